#include "harness/target/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiospec {
namespace {

using Outcome = SubprocessResult::Outcome;
using ::testing::EndsWith;

absl::StatusOr<SubprocessResult> Sh(const std::string& script,
                                    std::string_view input = "",
                                    SubprocessOptions opts = {}) {
  return RunSubprocess({"/bin/sh", "-c", script}, input, opts);
}

// True once `pid` no longer exists (or is a zombie waiting for init).
bool ProcessGone(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
    std::string line;
    if (!stat || !std::getline(stat, line)) return true;
    size_t paren = line.rfind(')');
    if (paren != std::string::npos && paren + 2 < line.size() &&
        line[paren + 2] == 'Z') {
      return true;
    }
    usleep(10000);
  }
  return false;
}

void ExpectNoChildren() {
  errno = 0;
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD) << "a child was left behind";
}

TEST(RunSubprocessTest, PassesLargeInputAndOutputWithoutDeadlock) {
  std::string input;
  for (int i = 0; input.size() < (3u << 20); ++i) absl::StrAppend(&input, i, ",");
  absl::StatusOr<SubprocessResult> r = RunSubprocess({"/bin/cat"}, input, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->outcome, Outcome::kExited);
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_TRUE(r->stdout_text == input) << "output differs from input";
  ExpectNoChildren();
}

TEST(RunSubprocessTest, ReportsExitCodeAndStderrTail) {
  absl::StatusOr<SubprocessResult> r = Sh("echo out; echo oops >&2; exit 3");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->outcome, Outcome::kExited);
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->stdout_text, "out\n");
  EXPECT_EQ(r->stderr_tail, "oops\n");
}

TEST(RunSubprocessTest, KeepsOnlyTheTailOfStderr) {
  SubprocessOptions opts;
  opts.stderr_tail_bytes = 100;
  absl::StatusOr<SubprocessResult> r = Sh(
      "i=0; while [ $i -lt 3000 ]; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxx >&2; "
      "i=$((i+1)); done; echo LAST >&2",
      "", opts);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stderr_tail.size(), 100u);
  EXPECT_THAT(r->stderr_tail, EndsWith("LAST\n"));
}

TEST(RunSubprocessTest, ReportsTheKillingSignal) {
  absl::StatusOr<SubprocessResult> r = Sh("echo before; kill -SEGV $$");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->outcome, Outcome::kSignaled);
  EXPECT_EQ(r->signal, SIGSEGV);
  EXPECT_EQ(r->stdout_text, "before\n");
  ExpectNoChildren();
}

TEST(RunSubprocessTest, WatchdogKillsTheWholeProcessGroup) {
  char dir[] = "/tmp/aiospec-subprocess-test.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string pid_file = absl::StrCat(dir, "/pid");
  SubprocessOptions opts;
  opts.timeout = absl::Milliseconds(300);
  // The shell ignores SIGTERM-like politeness; a grandchild holds stdout.
  const absl::Time start = absl::Now();
  absl::StatusOr<SubprocessResult> r =
      Sh(absl::StrCat("trap '' TERM INT; echo started; sleep 1000 & echo $! > ",
                      pid_file, "; wait"),
         "", opts);
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->outcome, Outcome::kTimedOut);
  EXPECT_EQ(r->stdout_text, "started\n");
  EXPECT_GE(took, absl::Milliseconds(300));
  EXPECT_LT(took, absl::Seconds(3));
  std::ifstream in(pid_file);
  pid_t grandchild = 0;
  ASSERT_TRUE(in >> grandchild);
  EXPECT_TRUE(ProcessGone(grandchild)) << "sleep " << grandchild << " survived";
  unlink(pid_file.c_str());
  rmdir(dir);
  ExpectNoChildren();
}

TEST(RunSubprocessTest, LineDeadlineBoundsEachStep) {
  // Step 1 finishes within its bound; step 2 hangs and is killed after its
  // own 300 ms, long before the 60 s run bound.
  SubprocessOptions opts;
  opts.timeout = absl::Seconds(60);
  std::vector<std::string> lines;
  opts.deadline_after_line =
      [&](std::string_view line) -> std::optional<absl::Duration> {
    lines.emplace_back(line);
    if (line.rfind("step", 0) != 0) return std::nullopt;
    return absl::Milliseconds(300);
  };
  const absl::Time start = absl::Now();
  absl::StatusOr<SubprocessResult> r =
      Sh("echo step 1; sleep 0.1; echo note; echo step 2; sleep 1000", "", opts);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->outcome, Outcome::kTimedOut);
  EXPECT_EQ(r->stdout_text, "step 1\nnote\nstep 2\n");
  EXPECT_THAT(lines, ::testing::ElementsAre("step 1", "note", "step 2"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  ExpectNoChildren();
}

TEST(RunSubprocessTest, LineDeadlineNeverExtendsTheRunBound) {
  SubprocessOptions opts;
  opts.timeout = absl::Milliseconds(300);
  opts.deadline_after_line = [](std::string_view) {
    return std::optional<absl::Duration>(absl::Hours(1));
  };
  const absl::Time start = absl::Now();
  absl::StatusOr<SubprocessResult> r = Sh("echo step; sleep 1000", "", opts);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->outcome, Outcome::kTimedOut);
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  ExpectNoChildren();
}

TEST(RunSubprocessTest, DoesNotWaitForStragglersHoldingStdout) {
  SubprocessOptions opts;
  opts.timeout = absl::Seconds(20);
  const absl::Time start = absl::Now();
  absl::StatusOr<SubprocessResult> r = Sh("sleep 1000 & echo done", "", opts);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->outcome, Outcome::kExited);
  EXPECT_EQ(r->stdout_text, "done\n");
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(RunSubprocessTest, CapsStandardOutput) {
  SubprocessOptions opts;
  opts.max_stdout_bytes = 100000;
  absl::StatusOr<SubprocessResult> r = RunSubprocess({"/usr/bin/yes"}, "", opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  ExpectNoChildren();
}

TEST(RunSubprocessTest, ChildThatIgnoresStdinDoesNotRaiseSigpipe) {
  // 16 MiB that nobody reads: our writes fail with EPIPE, quietly.
  std::string input(16u << 20, 'x');
  absl::StatusOr<SubprocessResult> r = Sh("exit 0", input);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->outcome, Outcome::kExited);
  sigset_t pending;
  sigpending(&pending);
  EXPECT_FALSE(sigismember(&pending, SIGPIPE));
}

TEST(RunSubprocessTest, MissingProgramIsAnError) {
  absl::StatusOr<SubprocessResult> r =
      RunSubprocess({"/nonexistent/aiospec-agent"}, "", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  ExpectNoChildren();
}

TEST(RunSubprocessTest, ManyRunsLeaveNoZombiesOrDescriptors) {
  auto count_fds = [] {
    int n = 0;
    for (int fd = 0; fd < 1024; ++fd) n += fcntl(fd, F_GETFD) != -1;
    return n;
  };
  const int fds_before = count_fds();
  for (int i = 0; i < 50; ++i) {
    absl::StatusOr<SubprocessResult> r = Sh("echo $$", "input");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->outcome, Outcome::kExited);
  }
  ExpectNoChildren();
  EXPECT_EQ(count_fds(), fds_before);
}

}  // namespace
}  // namespace aiospec
