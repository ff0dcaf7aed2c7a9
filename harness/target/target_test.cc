#include "harness/target/target.h"
#ifdef AIOSPEC_HAVE_BUNDLED_INPROC
#include "harness/target/bundled_inproc_target.h"
#endif

#include <elf.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/target/agent_target.h"
#include "harness/target/subprocess.h"
#include "harness/trace/trace_parser.h"

namespace aiospec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Four ops: file, open, aio_read, wait; plus aio_error and aio_return.
constexpr char kReadTrace[] =
    "aiospec-trace 1\n"
    "file f content=\"hello\"\n"
    "open d f flags=rdonly\n"
    "aio_read r fd=d offset=1 nbytes=4\n"
    "wait r\n"
    "aio_error r\n"
    "aio_return r\n";

Trace ReadTrace() {
  absl::StatusOr<Trace> t = ParseTrace(kReadTrace, "read.trace");
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : Trace{};
}

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

// Fake agents: shell scripts in a temporary directory.
class FakeAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/aiospec-target-test.XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes an executable script that first swallows the wire (as agents do).
  std::string Agent(const std::string& name, const std::string& body) {
    std::string path = absl::StrCat(dir_, "/", name);
    std::ofstream(path) << "#!/bin/sh\ncat >/dev/null\n" << body;
    chmod(path.c_str(), 0755);
    return absl::StrCat("agent:", path);
  }

  absl::StatusOr<ObservationLog> Run(const std::string& spec,
                                     absl::Duration watchdog = absl::Seconds(10)) {
    absl::StatusOr<std::unique_ptr<Target>> t = MakeTarget(spec);
    if (!t.ok()) return t.status();
    EXPECT_EQ((*t)->name(), spec);
    RunOptions opts;
    opts.watchdog = watchdog;
    return (*t)->Run(ReadTrace(), opts);
  }

  std::string dir_;
};

constexpr char kPrefix[] =
    "echo 'aiospec-log 1'\n"
    "echo 'target fake'\n"
    "echo '# begin 0'; echo '0 file ret=0'\n"
    "echo '# begin 1'; echo '1 open ret=3'\n"
    "echo '# begin 2'\n";

TEST_F(FakeAgentTest, ValidLog) {
  absl::StatusOr<ObservationLog> log = Run(Agent(
      "ok", absl::StrCat(kPrefix,
                         "echo '2 aio_read ret=0'\n"
                         "echo '3 wait ret=0'\n"
                         "echo '4 aio_error ret=0'\n"
                         "echo '5 aio_return ret=4 data=\"ello\"'\n"
                         "echo 'end completed'\n")));
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->target, "fake");
  EXPECT_EQ(log->end, RunEnd::kCompleted);
  ASSERT_EQ(log->steps.size(), 6u);
  EXPECT_EQ(log->steps[1].ret, 3);
  EXPECT_EQ(log->steps[5].data, "ello");
}

TEST_F(FakeAgentTest, HangIsKilledByTheWatchdog) {
  const absl::Time start = absl::Now();
  absl::StatusOr<ObservationLog> log =
      Run(Agent("hang", absl::StrCat(kPrefix, "sleep 1000\n")),
          absl::Milliseconds(300));
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->end, RunEnd::kHung);
  EXPECT_EQ(log->hung_at, 2);
  EXPECT_EQ(log->steps.size(), 2u);
  EXPECT_GE(took, absl::Milliseconds(300));
  EXPECT_LT(took, absl::Seconds(3));
}

TEST_F(FakeAgentTest, WorkDirIsGivenAndRemovedEvenAfterAKill) {
  const std::string seen = absl::StrCat(dir_, "/seen");
  absl::StatusOr<ObservationLog> log = Run(
      Agent("uses_dir", absl::StrCat(
                            "[ \"$1\" = --work-dir ] || exit 9\n"
                            "echo \"$2\" > ", seen, "\n",
                            "echo data > \"$2/file\" || exit 8\n", kPrefix,
                            "sleep 1000\n")),
      absl::Milliseconds(300));
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->end, RunEnd::kHung);
  std::string work_dir;
  ASSERT_TRUE(std::getline(std::ifstream(seen), work_dir));
  ASSERT_FALSE(work_dir.empty());
  EXPECT_FALSE(std::filesystem::exists(work_dir)) << work_dir;
}

TEST_F(FakeAgentTest, HangThatBlocksSignalsIsKilledToo) {
  // SIGKILL cannot be blocked or ignored; the agent ignores everything else.
  const absl::Time start = absl::Now();
  absl::StatusOr<ObservationLog> log = Run(
      Agent("stubborn", absl::StrCat("trap '' TERM INT HUP QUIT\n", kPrefix,
                                     "while :; do :; done\n")),
      absl::Milliseconds(300));
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->end, RunEnd::kHung);
  EXPECT_EQ(log->hung_at, 2);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(FakeAgentTest, CrashIsALogEndingInTheSignal) {
  absl::StatusOr<ObservationLog> log =
      Run(Agent("crash", absl::StrCat(kPrefix, "kill -SEGV $$\n")));
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->end, RunEnd::kCrashed);
  EXPECT_EQ(log->crash_signal, SIGSEGV);
  EXPECT_EQ(log->steps.size(), 2u);
}

TEST_F(FakeAgentTest, CleanExitWithoutEndIsATruncatedRun) {
  absl::StatusOr<ObservationLog> log =
      Run(Agent("short", absl::StrCat(kPrefix, "exit 0\n")));
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->end, RunEnd::kCrashed);
  EXPECT_EQ(log->crash_signal, 0);
  EXPECT_EQ(log->steps.size(), 2u);
}

TEST_F(FakeAgentTest, GarbageIsAnError) {
  absl::StatusOr<ObservationLog> log =
      Run(Agent("garbage", "echo 'hello world'\necho 'oops' >&2\n"));
  ASSERT_FALSE(log.ok());
  EXPECT_THAT(Msg(log.status()), HasSubstr("not an observation log"));
  EXPECT_THAT(Msg(log.status()), HasSubstr("oops"));
}

TEST_F(FakeAgentTest, FailureExitWithoutEndIsAnErrorWithTheReason) {
  absl::StatusOr<ObservationLog> log = Run(Agent(
      "fail", "echo '# error: bad wire at byte 3'\necho 'stderr says hi' >&2\n"
              "exit 2\n"));
  ASSERT_FALSE(log.ok());
  EXPECT_THAT(Msg(log.status()), HasSubstr("exited with status 2"));
  EXPECT_THAT(Msg(log.status()), HasSubstr("bad wire at byte 3"));
  EXPECT_THAT(Msg(log.status()), HasSubstr("stderr says hi"));
}

TEST_F(FakeAgentTest, CompletedLogWithMissingOpsIsAnError) {
  absl::StatusOr<ObservationLog> log =
      Run(Agent("few", absl::StrCat(kPrefix, "echo 'end completed'\n")));
  ASSERT_FALSE(log.ok());
  EXPECT_THAT(Msg(log.status()), HasSubstr("logged 2 ops for a trace of 6"));
}

TEST(MakeTargetTest, UnknownSpec) {
  absl::StatusOr<std::unique_ptr<Target>> t = MakeTarget("x");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Msg(t.status()),
            "unknown target 'x' (known: glibc, glibc-inproc, musl, bundled, "
            "bundled-inproc, bundled-preload, cross:aarch64, cross:riscv64, "
            "agent:PATH)");
}

TEST(MakeTargetTest, AgentPathMustBeExecutable) {
  absl::StatusOr<std::unique_ptr<Target>> t =
      MakeTarget("agent:/nonexistent/agent");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Msg(t.status()), HasSubstr("/nonexistent/agent"));
}

TEST(MakeTargetTest, KnownTargets) {
  EXPECT_THAT(KnownTargets(),
              ElementsAre("glibc", "glibc-inproc", "musl", "bundled",
                          "bundled-inproc", "bundled-preload", "cross:aarch64",
                          "cross:riscv64"));
}

TEST(MakeTargetTest, UnknownCrossArchitecture) {
  absl::StatusOr<std::unique_ptr<Target>> t = MakeTarget("cross:vax");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Msg(t.status()),
            "unknown target 'cross:vax' (cross: knows aarch64, riscv64)");
}

// A directory that is all of $PATH, so no qemu-aarch64 is found; skipped on
// an aarch64 host, which needs no emulator.
class NoEmulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    struct utsname u;
    ASSERT_EQ(uname(&u), 0);
    if (std::string(u.machine) == "aarch64") {
      std::printf("skipping: the host is aarch64, no emulator is needed\n");
      GTEST_SKIP() << "host is aarch64";
    }
    ASSERT_NE(mkdtemp(dir_), nullptr);
    saved_path_ = getenv("PATH") ? getenv("PATH") : "";
    setenv("PATH", dir_, 1);
  }
  void TearDown() override {
    if (IsSkipped()) return;
    setenv("PATH", saved_path_.c_str(), 1);
    unsetenv("AIOSPEC_AGENT_DIR");
    std::filesystem::remove_all(dir_);
  }
  char dir_[32] = "/tmp/aiospec-no-qemu.XXXXXX";
  std::string saved_path_;
};

// An agent is found (a stand-in in $AIOSPEC_AGENT_DIR, or the real one next
// to this test) but $PATH holds no emulator: the reason names the package.
TEST_F(NoEmulatorTest, CrossNamesThePackage) {
  const std::string agent = absl::StrCat(dir_, "/aiospec-agent-aarch64");
  std::ofstream(agent) << "#!/bin/sh\nexit 0\n";
  chmod(agent.c_str(), 0755);
  setenv("AIOSPEC_AGENT_DIR", dir_, 1);
  absl::StatusOr<std::unique_ptr<Target>> t = MakeTarget("cross:aarch64");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Msg(t.status()),
            absl::StrCat("target cross:aarch64: qemu-aarch64 not found in "
                         "$PATH (install qemu-user or qemu-user-static)"));
}

// agent:PATH reads the ELF header: a foreign-architecture agent runs under
// qemu-user like cross:ARCH, and without qemu the reason names the package.
TEST_F(NoEmulatorTest, ForeignAgentNamesThePackage) {
  const std::string agent = absl::StrCat(dir_, "/agent");
  Elf64_Ehdr h{};
  memcpy(h.e_ident, ELFMAG, SELFMAG);
  h.e_ident[EI_CLASS] = ELFCLASS64;
  h.e_machine = EM_AARCH64;
  std::ofstream(agent).write(reinterpret_cast<const char*>(&h), sizeof h);
  chmod(agent.c_str(), 0755);
  absl::StatusOr<std::unique_ptr<Target>> t = MakeTarget(absl::StrCat("agent:", agent));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Msg(t.status()),
            absl::StrCat("target agent:", agent, ": an aarch64 binary: qemu-aarch64 not "
                         "found in $PATH (install qemu-user or qemu-user-static)"));
}

// The emulator hook: the launcher's words come before the agent's path. A
// script without the execute bit runs only when /bin/sh is put in front.
TEST_F(FakeAgentTest, LauncherIsPrependedToTheAgent) {
  const std::string script = absl::StrCat(dir_, "/not_executable.sh");
  std::ofstream(script) << "cat >/dev/null\n"
                        << "[ \"$1\" = --work-dir ] || exit 9\n"
                        << kPrefix
                        << "echo '2 aio_read ret=0'\n"
                           "echo '3 wait ret=0'\n"
                           "echo '4 aio_error ret=0'\n"
                           "echo '5 aio_return ret=4 data=\"ello\"'\n"
                           "echo 'end completed'\n";
  chmod(script.c_str(), 0644);
  AgentTarget launched("launched", script, {}, {"/bin/sh"});
  absl::StatusOr<ObservationLog> log = launched.Run(ReadTrace(), RunOptions{});
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->end, RunEnd::kCompleted);
  EXPECT_EQ(log->steps[5].data, "ello");
  AgentTarget direct("direct", script);
  EXPECT_FALSE(direct.Run(ReadTrace(), RunOptions{}).ok());
}

void ExpectMissingMuslMessage(const absl::Status& status) {
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Msg(status),
            "target musl: agent binary aiospec-agent-musl not found "
            "(is musl-gcc installed? see ci/bootstrap)");
}

// Run by MissingAgentBinarySaysHowToGetIt in a copy of this binary that has
// no agents next to it.
TEST(MakeTargetTest, DISABLED_MissingMuslAgent) {
  absl::StatusOr<std::unique_ptr<Target>> t = MakeTarget("musl");
  ASSERT_FALSE(t.ok());
  ExpectMissingMuslMessage(t.status());
}

TEST(MakeTargetTest, MissingAgentBinarySaysHowToGetIt) {
  setenv("AIOSPEC_AGENT_DIR", "/nonexistent", 1);
  absl::StatusOr<std::unique_ptr<Target>> t = MakeTarget("musl");
  if (!t.ok()) {
    unsetenv("AIOSPEC_AGENT_DIR");
    ExpectMissingMuslMessage(t.status());
    return;
  }
  // The musl agent sits next to this test: run a copy of the test elsewhere.
  char templ[] = "/tmp/aiospec-lonely-test.XXXXXX";
  ASSERT_NE(mkdtemp(templ), nullptr);
  const std::string copy = absl::StrCat(templ, "/target_test");
  std::filesystem::copy_file("/proc/self/exe", copy);
  chmod(copy.c_str(), 0755);
  absl::StatusOr<SubprocessResult> r = RunSubprocess(
      {copy, "--gtest_filter=MakeTargetTest.DISABLED_MissingMuslAgent",
       "--gtest_also_run_disabled_tests"},
      "", SubprocessOptions{});
  unsetenv("AIOSPEC_AGENT_DIR");
  std::filesystem::remove_all(templ);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->outcome, SubprocessResult::Outcome::kExited);
  EXPECT_EQ(r->exit_code, 0) << r->stdout_text;
  EXPECT_THAT(r->stdout_text, HasSubstr("1 test"));
}

TEST(MakeTargetTest, AgentDirEnvironmentVariableIsSearched) {
  char templ[] = "/tmp/aiospec-agent-dir.XXXXXX";
  ASSERT_NE(mkdtemp(templ), nullptr);
  const std::string path = absl::StrCat(templ, "/aiospec-agent-musl");
  std::ofstream(path) << "#!/bin/sh\nexit 0\n";
  chmod(path.c_str(), 0755);
  setenv("AIOSPEC_AGENT_DIR", templ, 1);
  absl::StatusOr<std::unique_ptr<Target>> t = MakeTarget("musl");
  unsetenv("AIOSPEC_AGENT_DIR");
  std::filesystem::remove_all(templ);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)->name(), "musl");
}

// The real agents, when they were built next to this test.
class RealTargetTest : public ::testing::TestWithParam<const char*> {};

TEST_P(RealTargetTest, RunsASmallReadTrace) {
  absl::StatusOr<std::unique_ptr<Target>> t = MakeTarget(GetParam());
  if (!t.ok()) {
    std::printf("skipping: %s\n", Msg(t.status()).c_str());
    GTEST_SKIP() << t.status();
  }
  const Trace trace = ReadTrace();
  // Repeated runs: the in-process target must be reusable (the fuzzer's use).
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<ObservationLog> log = (*t)->Run(trace, RunOptions{});
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_EQ(log->end, RunEnd::kCompleted);
    ASSERT_EQ(log->steps.size(), trace.ops.size());
    EXPECT_EQ(log->steps[2].ret, 0);  // aio_read submitted
    EXPECT_EQ(log->steps[3].ret, 0);  // wait: done within the bound
    EXPECT_EQ(log->steps[4].ret, 0);  // aio_error: success
    EXPECT_EQ(log->steps[5].ret, 4);  // aio_return
    EXPECT_EQ(log->steps[5].data, "ello");
  }
}

INSTANTIATE_TEST_SUITE_P(Agents, RealTargetTest,
                         ::testing::Values("glibc", "glibc-inproc", "musl",
                                           "bundled-inproc", "cross:aarch64",
                                           "cross:riscv64"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-' || c == ':') c = '_';
                           }
                           return name;
                         });

#ifdef AIOSPEC_HAVE_BUNDLED_INPROC
// The fuzzer runs one input after another in one process: a run that leaves
// requests held (a read on an empty pipe, a write on a full one) must not
// leave them to the next run.
TEST(BundledInProcessTargetTest, HeldRequestsDoNotOutliveTheRun) {
  absl::StatusOr<Trace> held = ParseTrace(
      "aiospec-trace 1\n"
      "pipe r w\n"
      "aio_read a fd=r offset=0 nbytes=4\n"
      "socketpair s t\n"
      "fill s\n"
      "aio_write b fd=s offset=0 data=\"xyz\"\n"
      "aio_error a\n",
      "held.trace");
  ASSERT_TRUE(held.ok()) << held.status();
  BundledInProcessTarget target;
  EXPECT_EQ(target.name(), "bundled-inproc");
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<ObservationLog> log = target.Run(*held, RunOptions{});
    ASSERT_TRUE(log.ok()) << log.status();
    ASSERT_EQ(log->steps.size(), held->ops.size());
    EXPECT_EQ(log->steps[1].ret, 0);            // submitted
    EXPECT_EQ(log->steps[5].ret, EINPROGRESS);  // held by the empty pipe
    EXPECT_EQ(BundledInProcessTarget::outstanding(), 0);
  }
  absl::StatusOr<ObservationLog> log = target.Run(ReadTrace(), RunOptions{});
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->target, "bundled");
  EXPECT_EQ(log->steps[5].data, "ello");
}

// The read end is closed while a read is held on it, and its number is
// reused at once by a dup of the write end: cleanup must still close that
// write end (it is not what the read was submitted on), so the read ends.
TEST(BundledInProcessTargetTest, HeldReadEndsWhenItsNumberWasReusedByDup) {
  absl::StatusOr<Trace> reuse = ParseTrace(
      "aiospec-trace 1\n"
      "pipe rd wr\n"
      "aio_read r1 fd=rd offset=0 nbytes=4\n"
      "close rd\n"
      "dup rd wr\n",
      "reuse.trace");
  ASSERT_TRUE(reuse.ok()) << reuse.status();
  BundledInProcessTarget target;
  absl::StatusOr<ObservationLog> log = target.Run(*reuse, RunOptions{});
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(BundledInProcessTarget::outstanding(), 0);
}
#endif

}  // namespace
}  // namespace aiospec
