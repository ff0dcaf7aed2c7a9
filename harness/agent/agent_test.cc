#include "harness/agent/agent.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/agent/wire.h"
#include "harness/agent/wire_encode.h"
#include "harness/observation/observation.h"
#include "harness/trace/random_trace.h"
#include "harness/trace/trace_parser.h"
#include "harness/trace/trace_printer.h"

namespace aiospec {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

#if defined(__SANITIZE_THREAD__)
constexpr bool kUnderTsan = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool kUnderTsan = true;
#else
constexpr bool kUnderTsan = false;
#endif
#else
constexpr bool kUnderTsan = false;
#endif

Trace MustParse(const std::string& body, int version = 1) {
  absl::StatusOr<Trace> trace =
      ParseTrace(absl::StrCat("aiospec-trace ", version, "\n", body), "t");
  EXPECT_TRUE(trace.ok()) << trace.status();
  return trace.ok() ? *std::move(trace) : Trace{};
}

std::vector<std::string> WireLines(const Trace& trace) {
  return absl::StrSplit(EncodeWire(trace), '\n', absl::SkipEmpty());
}

// A private directory that is removed (and must be empty) at the end.
class WorkDir {
 public:
  WorkDir() {
    std::string templ = ::testing::TempDir() + "aiospec-agent-test.XXXXXX";
    path_ = mkdtemp(templ.data()) ? templ : "";
  }
  ~WorkDir() {
    if (!path_.empty()) {
      EXPECT_EQ(rmdir(path_.c_str()), 0) << "the run left files behind";
    }
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void CollectLine(void* ctx, const char* line, size_t len) {
  static_cast<std::vector<std::string>*>(ctx)->emplace_back(line, len);
}

struct AgentRun {
  int rc = 0;
  std::vector<std::string> lines;  // every line, comments included
  std::vector<std::string> records;  // without comment lines
};

void SplitRecords(AgentRun& run) {
  for (const std::string& l : run.lines) {
    if (!absl::StartsWith(l, "#")) run.records.push_back(l);
  }
}

AgentRun RunWireInProcess(const std::string& wire) {
  WorkDir dir;
  struct aiospec_aio_ops ops;
  aiospec_libc_aio_ops(&ops);
  AgentRun run;
  run.rc = aiospec_agent_run(&ops, wire.data(), wire.size(), dir.path().c_str(),
                             CollectLine, &run.lines);
  SplitRecords(run);
  return run;
}

AgentRun RunInProcess(const std::string& trace_body) {
  return RunWireInProcess(EncodeWire(MustParse(trace_body)));
}

// Runs an agent binary on `wire` through a shell pipe.
AgentRun RunBinary(const std::string& binary, const std::string& wire) {
  // A file per call: ctest runs tests of this binary in parallel.
  std::string input = ::testing::TempDir() + "aiospec-agent-test.XXXXXX";
  AgentRun run;
  int fd = mkstemp(input.data());
  if (fd < 0) {
    run.rc = -1;
    return run;
  }
  close(fd);
  std::ofstream(input) << wire;
  FILE* out = popen(absl::StrCat(binary, " < ", input).c_str(), "r");
  if (out == nullptr) {
    run.rc = -1;
    return run;
  }
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, out)) > 0) text.append(buf, n);
  int status = pclose(out);
  run.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  SplitRecords(run);
  unlink(input.c_str());
  return run;
}

bool AnyLineMatches(const std::vector<std::string>& lines,
                    const std::string& pattern) {
  std::regex re(pattern);
  for (const std::string& l : lines) {
    if (std::regex_match(l, re)) return true;
  }
  return false;
}

constexpr char kReadAtOffset[] =
    "file f content=\"hello world\"\n"
    "open d f flags=rdonly\n"
    "aio_read r fd=d offset=6 nbytes=5\n"
    "wait r\n"
    "aio_return r\n";

constexpr char kPipeHeld[] =
    "pipe rd wr\n"
    "aio_read a fd=rd offset=0 nbytes=5\n"
    "aio_error a\n"
    "write wr data=\"hello\"\n"
    "wait a timeout=5s\n"
    "aio_error a\n"
    "aio_return a\n"
    "fill wr\n"
    "drain rd\n";

// --- Wire encoding ----------------------------------------------------------

TEST(WireEncodeTest, HeaderDescriptorOpsAndEnd) {
  Trace t = MustParse(
      "file f content=\"hi\"\n"
      "pipe r w\n"
      "socketpair s1 s2\n"
      "open d f flags=rdwr+append\n"
      "dup e d\n"
      "dup2 d e\n"
      "close e\n"
      "aio_cancel badfd null\n");
  EXPECT_THAT(WireLines(t),
              ElementsAre("aiospec-wire 1 1 6 0 8", "1 0 6869", "2 0 1",
                          "3 2 3", "4 4 0 7", "6 5 4", "7 4 5", "5 5",
                          "14 -2 -1", "end"));
}

TEST(WireEncodeTest, RequestsCarryNotifyAndPayload) {
  Trace t = MustParse(
      "file f\n"
      "open d f flags=rdwr\n"
      "aio_write w fd=d offset=3 nbytes=4 data=\"ab\" reqprio=1 "
      "notify=signal(7)\n"
      "aio_write v fd=d offset=0 nbytes=6\n"
      "aio_read r fd=d offset=0 nbytes=2 notify=thread(-5)\n"
      "aio_fsync w fd=d op=dsync\n");
  std::vector<std::string> lines = WireLines(t);
  ASSERT_EQ(lines.size(), 8u);
  EXPECT_EQ(lines[3], "9 0 0 3 4 1 1 7 61626162");  // "abab"
  EXPECT_EQ(lines[4], "9 1 0 0 6 0 0 0 7640332e7640");  // "v@3.v@"
  EXPECT_EQ(lines[5], "8 2 0 0 2 0 2 -5 -");
  EXPECT_EQ(lines[6], "10 0 0 1 0 0");
}

TEST(WireEncodeTest, LioOpcodeIsAnOptionalTail) {
  Trace t = MustParse(
      "file f\n"
      "open d f flags=rdwr\n"
      "aio_read r fd=d offset=0 nbytes=2 lio_opcode=LIO_WRITE\n"
      "aio_write w fd=d offset=0 data=\"ab\" lio_opcode=12345\n"
      "aio_fsync s fd=d lio_opcode=LIO_NOP\n");
  std::vector<std::string> lines = WireLines(t);
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[3], "8 0 0 0 2 0 0 0 - 1 0");
  EXPECT_EQ(lines[4], "9 1 0 0 2 0 0 0 6162 4 12345");
  EXPECT_EQ(lines[5], "10 2 0 0 0 0 2 0");
}

TEST(WireEncodeTest, ThreadOpsAndTheOnPrefix) {
  Trace t = MustParse(
      "pipe rd wr\n"
      "thread a\n"
      "on a aio_read r fd=rd offset=0 nbytes=2\n"
      "start a aio_suspend r\n"
      "cancel a\n"
      "thread a\n"
      "exit a\n",
      2);
  std::vector<std::string> lines = WireLines(t);
  ASSERT_EQ(lines.size(), 9u);
  EXPECT_EQ(lines[2], "24 0 0 61");
  EXPECT_EQ(lines[3], "25 1 0 8 0 0 0 2 0 0 0 -");
  EXPECT_EQ(lines[4], "25 2 0 13 1 0 1 0");
  EXPECT_EQ(lines[5], "24 2 0");
  EXPECT_EQ(lines[7], "24 3 0");
  EXPECT_EQ(lines[6], "24 0 0 61");  // `thread a`: the name in hex
}

TEST(WireEncodeTest, SigmaskAndNotificationSignal) {
  Trace t = MustParse(
      "pipe rd wr\n"
      "thread a\n"
      "on a sigmask block SIGRTMIN+3,SIGRTMIN+5\n"
      "aio_read r fd=rd offset=0 nbytes=2 notify=signal(7,SIGRTMIN+4)\n",
      2);
  std::vector<std::string> lines = WireLines(t);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[3], "25 1 0 26 1 2 3 5");
  EXPECT_EQ(lines[4], "8 0 0 0 2 0 65 7 -");  // SIGNAL | 4 << 4
}

TEST(WireEncodeTest, ListsTimeoutsAndNulls) {
  Trace t = MustParse(
      "pipe r w\n"
      "aio_read a fd=r offset=0 nbytes=1\n"
      "aio_suspend a null timeout=none\n"
      "aio_suspend a timeout=2ms\n"
      "aio_cancel r null\n"
      "lio_listio nowait [read b fd=r offset=0 nbytes=1; null; "
      "write c fd=w offset=0 nbytes=2 data=\"x\"] notify=signal(3)\n"
      "wait a b timeout=1s\n"
      "drain r max=10\n"
      "write w data=\"\"\n"
      "fill w\n");
  std::vector<std::string> lines = WireLines(t);
  ASSERT_EQ(lines.size(), 12u);
  EXPECT_EQ(lines[0], "aiospec-wire 1 0 2 3 10");
  EXPECT_EQ(lines[3], "13 1 0 2 0 -1");
  EXPECT_EQ(lines[4], "13 0 2000000 1 0");
  EXPECT_EQ(lines[5], "14 0 -1");
  EXPECT_EQ(lines[6],
            "15 0 1 3 3 0 1 0 0 1 0 0 0 - 3 0 0 0 0 0 0 0 - 1 2 1 0 2 0 0 0 "
            "7878");
  EXPECT_EQ(lines[7], "20 0 1000000000 2 0 1");
  EXPECT_EQ(lines[8], "17 0 10");
  EXPECT_EQ(lines[9], "18 1 -");
  EXPECT_EQ(lines[10], "16 1");
  EXPECT_EQ(lines[11], "end");
}

// --- In-process runs --------------------------------------------------------

TEST(AgentInProcessTest, ReadAtOffsetReturnsTheBytes) {
  AgentRun run = RunInProcess(kReadAtOffset);
  EXPECT_EQ(run.rc, 0);
  EXPECT_THAT(run.records,
              ElementsAre("aiospec-log 1", "target glibc", "0 file ret=0",
                          testing::StartsWith("1 open ret="),
                          "2 aio_read ret=0", "3 wait ret=0",
                          "4 aio_return ret=5 data=\"world\"", "end completed"));
  EXPECT_THAT(run.lines, Contains("# begin 4"));
}

TEST(AgentInProcessTest, LogParsesAsAnObservationLog) {
  AgentRun run = RunInProcess(kPipeHeld);
  absl::StatusOr<ObservationLog> log =
      ParseLog(absl::StrJoin(run.lines, "\n") + "\n", "agent.log");
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->target, "glibc");
  EXPECT_EQ(log->end, RunEnd::kCompleted);
  ASSERT_EQ(log->steps.size(), 9u);
  EXPECT_EQ(log->steps[2].ret, EINPROGRESS);
  EXPECT_EQ(log->steps[6].data, "hello");
}

TEST(AgentInProcessTest, PipeReadIsHeldUntilAWriteReleasesIt) {
  AgentRun run = RunInProcess(kPipeHeld);
  EXPECT_EQ(run.rc, 0);
  EXPECT_THAT(run.records, Contains("1 aio_read ret=0"));
  EXPECT_THAT(run.records, Contains("2 aio_error ret=EINPROGRESS"));
  EXPECT_THAT(run.records, Contains("3 write ret=5"));
  EXPECT_THAT(run.records, Contains("4 wait ret=0"));
  EXPECT_THAT(run.records, Contains("5 aio_error ret=0"));
  EXPECT_THAT(run.records, Contains("6 aio_return ret=5 data=\"hello\""));
  EXPECT_THAT(run.records, Contains("7 fill ret=65536"));
  EXPECT_THAT(run.records, Contains("8 drain ret=65536 data=\"F\"*65536"));
}

TEST(AgentInProcessTest, WriteToAFullPipeFailsWithEagainInsteadOfBlocking) {
  AgentRun run = RunInProcess(
      "pipe r w\n"
      "fill w\n"
      "write w data=\"x\"\n"
      "drain r max=3\n"
      "write w data=\"xyz\"\n"  // a pipe frees space a page at a time
      "drain r max=4093\n"
      "write w data=\"xyz\"\n"
      "drain r max=0\n");
  EXPECT_THAT(run.records, Contains("1 fill ret=65536"));
  EXPECT_THAT(run.records, Contains("2 write ret=-1 errno=EAGAIN"));
  EXPECT_THAT(run.records, Contains("3 drain ret=3 data=\"FFF\""));
  EXPECT_THAT(run.records, Contains("4 write ret=-1 errno=EAGAIN"));
  EXPECT_THAT(run.records, Contains("5 drain ret=4093 data=\"F\"*4093"));
  EXPECT_THAT(run.records, Contains("6 write ret=3"));
  EXPECT_THAT(run.records, Contains("7 drain ret=0 data=\"\""));
}

TEST(AgentInProcessTest, SocketpairFillAndDrainNeverBlock) {
  AgentRun run = RunInProcess(
      "socketpair a b\n"
      "drain b\n"
      "fill a\n"
      "write a data=\"x\"\n");
  EXPECT_THAT(run.records, Contains(testing::StartsWith("0 socketpair ret=0 fd=")));
  EXPECT_THAT(run.records, Contains("1 drain ret=0 data=\"\""));
  EXPECT_TRUE(AnyLineMatches(run.records, "2 fill ret=[1-9][0-9]*"))
      << absl::StrJoin(run.records, "\n");
  EXPECT_THAT(run.records, Contains("3 write ret=-1 errno=EAGAIN"));
}

TEST(AgentInProcessTest, SignalNotificationCarriesCodeValueAndStatus) {
  AgentRun run = RunInProcess(
      "file f content=\"hello world\"\n"
      "open d f flags=rdonly\n"
      "aio_read r fd=d offset=0 nbytes=5 notify=signal(7)\n"
      "wait r\n"
      "aio_suspend r timeout=10ms\n"
      "aio_return r\n");
  EXPECT_TRUE(AnyLineMatches(
      run.lines,
      "(# late )?notify after=[0-9]+ kind=signal signo=SIGRTMIN\\+1 "
      "code=SI_ASYNCIO value=7 status=0"))
      << absl::StrJoin(run.lines, "\n");
}

TEST(AgentInProcessTest, StormRecordsWhatHandlersSawAndLeavesNoHandler) {
  AgentRun run = RunInProcess(
      "pipe rd wr\n"
      "pipe zr zw\n"
      "aio_read z fd=zr offset=0 nbytes=1\n"
      "aio_read r fd=rd offset=0 nbytes=2\n"
      "aio_read q fd=rd offset=0 nbytes=2\n"
      "storm on r q rate=5000 returns=q\n"
      "wait r timeout=50ms\n"
      "write wr data=\"abcd\"\n"
      "wait r\n"
      "wait z timeout=100ms\n"  // held: a pause for the handlers
      "storm off\n");
  // 150 ms at 5 kHz: interrupts while r is held (EINPROGRESS, suspend
  // EAGAIN); r and q then complete, and in the 100 ms pause a handler sees
  // both final and returns q.
  EXPECT_TRUE(AnyLineMatches(run.lines,
                             "10 storm ret=[1-9][0-9]+ "
                             "seen=EINPROGRESS>0,EINPROGRESS>0 "
                             "suspend=0:[0-9]+,EAGAIN:[1-9][0-9]*,EINTR:[0-9]+ "
                             "returned=-,2"))
      << absl::StrJoin(run.lines, "\n");
  // The storm's handler is gone and no storm signal is pending here.
  struct sigaction sa;
  ASSERT_EQ(sigaction(SIGRTMIN + 2, nullptr, &sa), 0);
  EXPECT_EQ(sa.sa_handler, SIG_DFL);
  sigset_t pending;
  sigpending(&pending);
  EXPECT_FALSE(sigismember(&pending, SIGRTMIN + 2));
}

TEST(AgentInProcessTest, ThreadNotificationIsRecorded) {
  if (kUnderTsan) {
    // glibc starts its AIO workers with its internal pthread_create, which
    // TSan does not intercept; the worker's malloc for SIGEV_THREAD then
    // crashes inside TSan. The standalone agents cover this case.
    GTEST_SKIP() << "glibc SIGEV_THREAD cannot run in-process under TSan";
  }
  AgentRun run = RunInProcess(
      "file f content=\"hello world\"\n"
      "open d f flags=rdonly\n"
      "aio_read r fd=d offset=0 nbytes=5 notify=thread(-9)\n"
      "wait r\n"
      "aio_return r\n");
  EXPECT_TRUE(AnyLineMatches(run.lines,
                             "(# late )?notify after=[0-9]+ kind=thread "
                             "signo=0 code=0 value=-9 status=0"))
      << absl::StrJoin(run.lines, "\n");
}

TEST(AgentInProcessTest, WriteThenReadbackShowsTheFile) {
  AgentRun run = RunInProcess(
      "file f content=\"0123456789\"\n"
      "open d f flags=rdwr\n"
      "aio_write w fd=d offset=2 nbytes=3 data=\"abc\"\n"
      "wait w\n"
      "aio_return w\n"
      "readback f\n"
      "aio_write w fd=d offset=8 nbytes=4\n"  // reuses w's memory: it is done
      "wait w\n"
      "aio_return w\n"
      "readback f\n");
  EXPECT_THAT(run.records, Contains("4 aio_return ret=3"));
  EXPECT_THAT(run.records, Contains("5 readback ret=10 data=\"01abc56789\""));
  EXPECT_THAT(run.records, Contains("8 aio_return ret=4"));
  EXPECT_THAT(run.records, Contains("9 readback ret=12 data=\"01abc567w@6.\""));
}

TEST(AgentInProcessTest, ShortReadLeavesUnwrittenBytesVisible) {
  // Only the first `ret` bytes are logged, but a second read into the same
  // (reused) buffer starts from kUnwrittenByte again.
  AgentRun run = RunInProcess(
      "file f content=\"abc\"\n"
      "open d f flags=rdonly\n"
      "aio_read r fd=d offset=1 nbytes=8\n"
      "wait r\n"
      "aio_return r\n"
      "aio_read r fd=d offset=3 nbytes=8\n"
      "wait r\n"
      "aio_return r\n");
  EXPECT_THAT(run.records, Contains("4 aio_return ret=2 data=\"bc\""));
  EXPECT_THAT(run.records, Contains("7 aio_return ret=0"));
}

TEST(AgentInProcessTest, LioListioWaitRunsEveryElement) {
  AgentRun run = RunInProcess(
      "file f content=\"abcdef\"\n"
      "open d f flags=rdwr\n"
      "lio_listio wait [read a fd=d offset=0 nbytes=3; null; "
      "write b fd=d offset=6 nbytes=2 data=\"XY\"; nop c fd=d]\n"
      "aio_return a\n"
      "aio_return b\n"
      "readback f\n");
  EXPECT_THAT(run.records, Contains("2 lio_listio ret=0"));
  EXPECT_THAT(run.records, Contains("3 aio_return ret=3 data=\"abc\""));
  EXPECT_THAT(run.records, Contains("4 aio_return ret=2"));
  EXPECT_THAT(run.records, Contains("5 readback ret=8 data=\"abcdefXY\""));
}

TEST(AgentInProcessTest, DescriptorOpsAndBadFd) {
  AgentRun run = RunInProcess(
      "file f content=\"x\"\n"
      "open d f flags=rdonly\n"
      "dup e d\n"
      "pipe r w\n"
      "dup2 d w\n"     // w is open: dup2 onto its number
      "close e\n"
      "aio_cancel badfd null\n"
      "aio_read q fd=badfd offset=0 nbytes=1\n"
      "wait q\n"
      "aio_error q\n");
  EXPECT_TRUE(AnyLineMatches(run.records, "2 dup ret=[0-9]+"));
  EXPECT_TRUE(AnyLineMatches(run.records, "4 dup2 ret=[0-9]+"));
  EXPECT_THAT(run.records, Contains("5 close ret=0"));
  EXPECT_THAT(run.records, Contains("6 aio_cancel ret=-1 errno=EBADF"));
  // EBADF at submission (musl) or as the request's status (glibc).
  EXPECT_TRUE(
      AnyLineMatches(run.records, "7 aio_read ret=-1 errno=EBADF") ||
      AnyLineMatches(run.records, "9 aio_error ret=EBADF"))
      << absl::StrJoin(run.records, "\n");
}

TEST(AgentInProcessTest, WaitTimesOutOnAHeldRequest) {
  AgentRun run = RunInProcess(
      "pipe r w\n"
      "aio_read a fd=r offset=0 nbytes=1\n"
      "wait a timeout=20ms\n"
      "aio_suspend a timeout=1ms\n");
  EXPECT_THAT(run.records, Contains("2 wait ret=-1 errno=ETIMEDOUT"));
  EXPECT_THAT(run.records, Contains("3 aio_suspend ret=-1 errno=EAGAIN"));
}

TEST(AgentInProcessTest, EndOfTraceReleasesHeldRequests) {
  // A read on an empty pipe, a write on a full pipe and a read on a
  // socket are all still in flight when the trace ends.
  auto start = std::chrono::steady_clock::now();
  AgentRun run = RunInProcess(
      "pipe r w\n"
      "aio_read a fd=r offset=0 nbytes=5 notify=signal(1)\n"
      "pipe r2 w2\n"
      "fill w2\n"
      "aio_write b fd=w2 offset=0 nbytes=10\n"
      "socketpair s t\n"
      "aio_read c fd=s offset=0 nbytes=3\n"
      "aio_error a\n"
      "aio_error b\n"
      "aio_error c\n");
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_THAT(run.records, Contains("7 aio_error ret=EINPROGRESS"));
  EXPECT_THAT(run.records, Contains("8 aio_error ret=EINPROGRESS"));
  EXPECT_THAT(run.records, Contains("9 aio_error ret=EINPROGRESS"));
  EXPECT_THAT(run.lines, Not(Contains(HasSubstr("still in progress"))));
  EXPECT_EQ(run.records.back(), "end completed");
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(AgentInProcessTest, ManyRunsInOneProcessStayIndependent) {
  for (int i = 0; i < 20; ++i) {
    AgentRun run = RunInProcess(kReadAtOffset);
    ASSERT_THAT(run.records, Contains("4 aio_return ret=5 data=\"world\""));
    ASSERT_THAT(run.records, Not(Contains(HasSubstr("notify"))));
  }
}

TEST(AgentInProcessTest, ReadWithAnotherLioOpcodeStillReads) {
  AgentRun run = RunInProcess(
      "file f content=\"hello\"\n"
      "open d f flags=rdwr\n"
      "aio_read r fd=d offset=0 nbytes=5 lio_opcode=LIO_WRITE\n"
      "wait r\n"
      "aio_error r\n"
      "aio_cancel d r\n"
      "aio_return r\n");
  EXPECT_EQ(run.rc, 0);
  EXPECT_THAT(run.records, Contains("4 aio_error ret=0"));
  EXPECT_THAT(run.records, Contains("5 aio_cancel ret=AIO_ALLDONE"));
  EXPECT_THAT(run.records, Contains("6 aio_return ret=5 data=\"hello\""));
}

// An implementation that writes the aiocb it is asked about.
int ScribblingAioError(const struct aiocb* cb) {
  const_cast<struct aiocb*>(cb)->aio_reqprio += 1;
  const_cast<struct aiocb*>(cb)->aio_lio_opcode = 777;
  return aio_error(cb);
}
int ScribblingAioCancel(int fd, struct aiocb* cb) {
  if (cb != nullptr) cb->aio_sigevent.sigev_value.sival_int ^= 1;
  return aio_cancel(fd, cb);
}

TEST(AgentInProcessTest, RecordsAiocbMembersAQueryChanged) {
  struct aiospec_aio_ops ops;
  aiospec_libc_aio_ops(&ops);
  ops.aio_error = ScribblingAioError;
  ops.aio_cancel = ScribblingAioCancel;
  const std::string wire = EncodeWire(MustParse(
      "pipe rd wr\n"
      "aio_read r fd=rd offset=0 nbytes=1\n"
      "aio_error r\n"
      "aio_cancel rd r\n"
      "aio_cancel rd null\n"));
  WorkDir dir;
  AgentRun run;
  run.rc = aiospec_agent_run(&ops, wire.data(), wire.size(), dir.path().c_str(),
                             CollectLine, &run.lines);
  SplitRecords(run);
  EXPECT_EQ(run.rc, 0);
  EXPECT_THAT(run.records,
              Contains("2 aio_error ret=EINPROGRESS changed=aio_reqprio,aio_lio_opcode"));
  EXPECT_THAT(run.records, Contains(testing::MatchesRegex(
                               "3 aio_cancel ret=AIO_[A-Z]+ changed=aio_sigevent")));
  EXPECT_THAT(run.records, Contains(testing::MatchesRegex("4 aio_cancel ret=AIO_[A-Z]+")));
}

TEST(AgentInProcessTest, MalformedWireIsAnError) {
  for (const char* wire :
       {"", "aiospec-wire 2 0 0 0 0\nend\n", "aiospec-wire 1 0 0 0 1\nend\n",
        "aiospec-wire 1 0 1 0 1\n5 1\nend\n",  // fd handle out of range
        "aiospec-wire 1 0 0 0 1\n99\nend\n",
        "aiospec-wire 1 1 0 0 1\n1 0 abc\nend\n",  // odd hex
        // LIO_OPCODE: NULL is no opcode; the value is not optional.
        "aiospec-wire 1 0 1 1 1\n8 0 0 0 1 0 0 0 - 3 0\nend\n",
        "aiospec-wire 1 0 1 1 1\n8 0 0 0 1 0 0 0 - 4\nend\n",
        "aiospec-wire 1 0 0 0 0\n"}) {
    AgentRun run = RunWireInProcess(wire);
    EXPECT_EQ(run.rc, -1) << wire;
    ASSERT_EQ(run.lines.size(), 1u) << wire;
    EXPECT_THAT(run.lines[0], testing::StartsWith("# error: ")) << wire;
  }
}

// --- Standalone agents ------------------------------------------------------

class AgentBinaryTest : public ::testing::TestWithParam<const char*> {
 protected:
  std::string Binary() const {
    std::string path = GetParam();
    return path;
  }
};

TEST_P(AgentBinaryTest, RunsTracesLikeTheInProcessAgent) {
  if (Binary().empty()) GTEST_SKIP() << "musl-gcc was not found at build time";
  AgentRun run = RunBinary(Binary(), EncodeWire(MustParse(kReadAtOffset)));
  EXPECT_EQ(run.rc, 0);
  EXPECT_THAT(run.records, Contains("4 aio_return ret=5 data=\"world\""));
  EXPECT_THAT(run.records, Contains("end completed"));

  run = RunBinary(Binary(), EncodeWire(MustParse(kPipeHeld)));
  EXPECT_EQ(run.rc, 0);
  EXPECT_THAT(run.records, Contains("2 aio_error ret=EINPROGRESS"));
  EXPECT_THAT(run.records, Contains("6 aio_return ret=5 data=\"hello\""));
  EXPECT_THAT(run.records, Contains("7 fill ret=65536"));

  run = RunBinary(Binary(), EncodeWire(MustParse(
                                "file f content=\"hello world\"\n"
                                "open d f flags=rdonly\n"
                                "aio_read r fd=d offset=0 nbytes=5 "
                                "notify=signal(7)\n"
                                "wait r\n"
                                "aio_suspend r timeout=10ms\n")));
  EXPECT_TRUE(AnyLineMatches(
      run.lines,
      "(# late )?notify after=[0-9]+ kind=signal signo=SIGRTMIN\\+1 "
      "code=SI_ASYNCIO value=7 status=0"))
      << absl::StrJoin(run.lines, "\n");
}

// Threads: a request submitted on a thread that then exits completes and
// is collected by the main thread (AIO-PROC-17); started calls are
// awaited; a thread blocked in aio_suspend is cancelled (AIO-SUSP-17).
TEST_P(AgentBinaryTest, RunsOpsOnThreadsAwaitsAndCancels) {
  if (Binary().empty()) GTEST_SKIP() << "musl-gcc was not found at build time";
  AgentRun run = RunBinary(Binary(), EncodeWire(MustParse(
                                         "pipe rd wr\n"
                                         "thread a\n"
                                         "thread b\n"
                                         "on a aio_read r fd=rd offset=0 nbytes=2\n"
                                         "exit a\n"
                                         "start b aio_suspend r\n"
                                         "cancel b\n"
                                         "thread b\n"
                                         "start b aio_error r\n"
                                         "await b\n"
                                         "write wr data=\"hi\"\n"
                                         "wait r\n"
                                         "on b aio_return r\n",
                                         2)));
  EXPECT_EQ(run.rc, 0);
  EXPECT_THAT(run.records, Contains("1 thread ret=0"));
  EXPECT_THAT(run.records, Contains("3 aio_read ret=0"));
  EXPECT_THAT(run.records, Contains("4 exit ret=0"));
  EXPECT_THAT(run.records, Contains("5 start ret=0"));
  EXPECT_THAT(run.records, Contains("6 cancel ret=0"));
  EXPECT_THAT(run.records, Contains("9 await ret=EINPROGRESS"));
  EXPECT_THAT(run.records, Contains("12 aio_return ret=2 data=\"hi\""));
  EXPECT_THAT(run.records, Contains("end completed"));
}

// Signal masks per thread: the signal goes to the thread that leaves it
// unblocked, and the record says which (AIO-SIG-06); pending signals are
// listed by the sigmask that unblocks them, and delivered lowest first
// (AIO-SIG-15).
TEST_P(AgentBinaryTest, SignalMasksNameTheThreadAndThePendingSignals) {
  if (Binary().empty()) GTEST_SKIP() << "musl-gcc was not found at build time";
  AgentRun run = RunBinary(Binary(), EncodeWire(MustParse(
                                         "pipe rd wr\n"
                                         "thread t\n"
                                         "sigmask block SIGRTMIN+3,SIGRTMIN+4\n"
                                         "aio_read a fd=rd offset=0 nbytes=1 "
                                         "notify=signal(4,SIGRTMIN+4)\n"
                                         "aio_read b fd=rd offset=0 nbytes=1 "
                                         "notify=signal(3,SIGRTMIN+3)\n"
                                         "on t sigmask block SIGRTMIN+3,SIGRTMIN+4\n"
                                         "write wr data=\"xy\"\n"
                                         "wait a b\n"
                                         "wait a b until=notified timeout=50ms\n"
                                         "sigmask unblock SIGRTMIN+3,SIGRTMIN+4\n",
                                         2)));
  EXPECT_EQ(run.rc, 0);
  EXPECT_THAT(run.records,
              Contains("9 sigmask ret=0 pending=SIGRTMIN+3,SIGRTMIN+4"));
  EXPECT_THAT(run.records,
              Contains("notify after=9 kind=signal signo=SIGRTMIN+3 "
                       "code=SI_ASYNCIO value=3 thread=main status=0"));
  const auto first = std::find_if(run.records.begin(), run.records.end(),
                                  [](const std::string& l) {
                                    return absl::StartsWith(l, "notify");
                                  });
  ASSERT_NE(first, run.records.end());
  EXPECT_THAT(*first, ::testing::HasSubstr("SIGRTMIN+3"));
}

TEST_P(AgentBinaryTest, ReleasesHeldRequestsAndExits) {
  if (Binary().empty()) GTEST_SKIP() << "musl-gcc was not found at build time";
  AgentRun run = RunBinary(Binary(), EncodeWire(MustParse(
                                    "pipe r w\n"
                                    "aio_read a fd=r offset=0 nbytes=5\n"
                                    "pipe r2 w2\n"
                                    "fill w2\n"
                                    "aio_write b fd=w2 offset=0 nbytes=10\n")));
  EXPECT_EQ(run.rc, 0);
  EXPECT_THAT(run.lines, Not(Contains(HasSubstr("still in progress"))));
  EXPECT_EQ(run.lines.back(), "end completed");
}

TEST_P(AgentBinaryTest, MalformedInputExitsWithStatus2) {
  if (Binary().empty()) GTEST_SKIP() << "musl-gcc was not found at build time";
  AgentRun run = RunBinary(Binary(), "aiospec-wire 1 0 0 0 1\nend\n");
  EXPECT_EQ(run.rc, 2);
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_THAT(run.lines[0], testing::StartsWith("# error: "));
}

// The `proc exec` probe (aiospec_exec_probe) sees what AIO-PROC-13 forbids:
// a byte written into its memory at the old buffer address (here through
// /proc/PID/mem, as a completion would) and a notification signal.
TEST_P(AgentBinaryTest, ExecProbeSeesWritesAtTheOldAddressAndSignals) {
  if (Binary().empty()) GTEST_SKIP() << "musl-gcc was not found at build time";
  // An address the way `proc exec` gets one (agent.c, map_request_buf): from
  // mmap, so it lies where a sanitizer's runtime allows application pages,
  // and free in a fresh image, whose mappings land elsewhere (ASLR).
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(page, MAP_FAILED);
  ASSERT_EQ(munmap(page, 4096), 0);
  const uintptr_t addr = reinterpret_cast<uintptr_t>(page) + 0x10;  // unaligned
  const int signo = SIGRTMIN + 1;
  for (const char* inject : {"nothing", "write", "signal"}) {
    int go[2], report[2];
    ASSERT_EQ(pipe(go), 0);
    ASSERT_EQ(pipe(report), 0);
    const std::vector<std::string> args = {
        Binary(), "--exec-probe", absl::StrCat(go[0]), absl::StrCat(report[1]),
        absl::StrCat(addr), "8", absl::StrCat(signo)};
    std::vector<char*> argv;
    for (const std::string& a : args) {
      argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(go[0]);
    close(report[1]);
    // The agent's child report: four long longs (agent.c, child_report).
    long long ready[4] = {0, 0, 0, 0}, done[4] = {-1, -1, -1, -1};
    ASSERT_EQ(read(report[0], ready, sizeof ready), ssize_t{sizeof ready});
    EXPECT_EQ(ready[1], 1) << "the probe could not map the address";
    if (std::string(inject) == "write") {
      std::fstream mem(absl::StrCat("/proc/", pid, "/mem"),
                       std::ios::in | std::ios::out | std::ios::binary);
      mem.seekp(static_cast<std::streamoff>(addr + 3));
      mem.write("x", 1);
    } else if (std::string(inject) == "signal") {
      kill(pid, signo);
    }
    ASSERT_EQ(write(go[1], "g", 1), 1);
    ASSERT_EQ(read(report[0], done, sizeof done), ssize_t{sizeof done});
    int status = 0;
    waitpid(pid, &status, 0);
    close(go[1]);
    close(report[0]);
    EXPECT_EQ(done[0], std::string(inject) == "write" ? 1 : 0) << inject;
    EXPECT_EQ(done[1], std::string(inject) == "signal" ? 1 : 0) << inject;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << inject;
  }
}

TEST(AgentBinaryNameTest, MuslAgentSaysMusl) {
  const std::string musl = AIOSPEC_AGENT_MUSL;
  if (musl.empty()) GTEST_SKIP() << "musl-gcc was not found at build time";
  AgentRun run = RunBinary(musl, "aiospec-wire 1 0 0 0 0\nend\n");
  EXPECT_THAT(run.records,
              ElementsAre("aiospec-log 1", "target musl", "end completed"));
}

// Random valid traces: the agent finishes every one with a log the
// observation parser accepts, one step per op, ending `end completed`.
TEST_P(AgentBinaryTest, RandomTracesGiveCompleteParsableLogs) {
  if (Binary().empty()) GTEST_SKIP() << "musl-gcc was not found at build time";
  if (kUnderTsan && Binary() == AIOSPEC_AGENT_GLIBC) {
    // The glibc agent is TSan-instrumented here, and glibc's AIO workers
    // (started by its internal pthread_create) crash TSan on SIGEV_THREAD.
    GTEST_SKIP() << "the TSan-built glibc agent cannot run SIGEV_THREAD traces";
  }
  const char* seeds_env = getenv("AIOSPEC_AGENT_RANDOM_SEEDS");
  const int seeds = seeds_env ? atoi(seeds_env) : 25;
  for (int seed = 0; seed < seeds; ++seed) {
    std::mt19937_64 rng(seed);
    Trace trace = RandomTrace(rng, 25);
    // `timeout` bounds a trace that waits forever by design (aio_suspend
    // with timeout=none on a held request, or on a list of nulls).
    AgentRun run = RunBinary(absl::StrCat("timeout -s KILL 8 ", Binary()),
                             EncodeWire(trace));
    // AIOSPEC_AGENT_RANDOM_DUMP=DIR: report each seed, keep failing traces.
    if (getenv("AIOSPEC_AGENT_RANDOM_DUMP")) {
      std::cerr << "seed " << seed << " rc=" << run.rc << " "
                << (run.lines.empty() ? "" : run.lines.back()) << "\n";
      if (run.rc != 0) {
        std::ofstream(absl::StrCat(getenv("AIOSPEC_AGENT_RANDOM_DUMP"), "/seed",
                                   seed, ".wire"))
            << EncodeWire(trace);
        std::ofstream(absl::StrCat(getenv("AIOSPEC_AGENT_RANDOM_DUMP"), "/seed",
                                   seed, ".trace"))
            << PrintTrace(trace);
      }
    }
    if (run.rc == 137 || run.rc == -1) continue;  // killed: hung by design
    ASSERT_EQ(run.rc, 0) << "seed " << seed << "\n" << PrintTrace(trace);
    absl::StatusOr<ObservationLog> log =
        ParseLog(absl::StrJoin(run.lines, "\n") + "\n", "agent.log");
    ASSERT_TRUE(log.ok()) << "seed " << seed << ": " << log.status() << "\n"
                          << PrintTrace(trace);
    EXPECT_EQ(log->steps.size(), trace.ops.size()) << "seed " << seed;
    EXPECT_EQ(log->end, RunEnd::kCompleted) << "seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(Libcs, AgentBinaryTest,
                         ::testing::Values(AIOSPEC_AGENT_GLIBC,
                                           AIOSPEC_AGENT_MUSL),
                         [](const auto& info) {
                           return std::string(info.index == 0 ? "glibc"
                                                               : "musl");
                         });

}  // namespace
}  // namespace aiospec
