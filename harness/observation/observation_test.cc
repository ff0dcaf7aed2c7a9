#include "harness/observation/observation.h"

#include <aio.h>
#include <errno.h>
#include <signal.h>

#include <random>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/observation/host_names.h"
#include "harness/observation/partial_log.h"

namespace aiospec {
namespace {

using ::testing::HasSubstr;

constexpr char kExample[] = R"(aiospec-log 1
target glibc
0 file fd=-1                       # every op of the trace, in order
1 open ret=3
# begin 2
2 aio_read ret=0
3 aio_error ret=EINPROGRESS
4 write ret=-1 errno=EAGAIN
5 wait ret=0
6 aio_return ret=5 data="hello"
notify after=6 kind=signal signo=SIGRTMIN+1 code=SI_ASYNCIO value=7 status=0
7 drain ret=65536 data="F"*65536
8 aio_cancel ret=AIO_ALLDONE
end completed
)";

TEST(ParseLogTest, ParsesTheDocumentedExample) {
  absl::StatusOr<ObservationLog> log = ParseLog(kExample, "ex.log");
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->target, "glibc");
  ASSERT_EQ(log->steps.size(), 9u);
  for (int i = 0; i < 9; ++i) EXPECT_EQ(log->steps[i].op_index, i);
  EXPECT_EQ(log->steps[0].ret, 0);
  EXPECT_EQ(log->steps[1].ret, 3);
  EXPECT_EQ(log->steps[3].ret, EINPROGRESS);
  EXPECT_EQ(log->steps[4].ret, -1);
  EXPECT_EQ(log->steps[4].err, EAGAIN);
  EXPECT_EQ(log->steps[6].data, "hello");
  EXPECT_EQ(log->steps[7].data, std::string(65536, 'F'));
  EXPECT_EQ(log->steps[8].ret, AIO_ALLDONE);
  EXPECT_FALSE(log->steps[1].data.has_value());
  ASSERT_EQ(log->notifications.size(), 1u);
  const NotificationObservation& n = log->notifications[0];
  EXPECT_EQ(n.after_op, 6);
  EXPECT_EQ(n.kind, NotifyKind::kSignal);
  EXPECT_EQ(n.signo, SIGRTMIN + 1);
  EXPECT_EQ(n.code, SI_ASYNCIO);
  EXPECT_EQ(n.value, 7);
  EXPECT_EQ(n.status_in_handler, 0);
  EXPECT_EQ(log->end, RunEnd::kCompleted);
}

TEST(ParseLogTest, NumericValuesEqualSymbolicOnes) {
  std::string numeric = absl::StrCat(
      "aiospec-log 1\n0 aio_error ret=", EINPROGRESS, "\n1 close ret=-1 errno=",
      EBADF, "\nnotify after=1 kind=signal signo=", SIGRTMIN + 2,
      " code=", SI_QUEUE, " value=-3 status=", ECANCELED,
      "\nend crashed signal=", SIGSEGV, "\n");
  std::string symbolic =
      "aiospec-log 1\n0 aio_error ret=EINPROGRESS\n1 close ret=-1 errno=EBADF\n"
      "notify after=1 kind=signal signo=SIGRTMIN+2 code=SI_QUEUE value=-3 "
      "status=ECANCELED\nend crashed signal=SIGSEGV\n";
  absl::StatusOr<ObservationLog> a = ParseLog(numeric, "n.log");
  absl::StatusOr<ObservationLog> b = ParseLog(symbolic, "s.log");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->crash_signal, SIGSEGV);
  EXPECT_EQ(a->end, RunEnd::kCrashed);
}

TEST(ParseLogTest, StormRecordRoundTrips) {
  const std::string text =
      "aiospec-log 1\n"
      "target glibc\n"
      "0 storm ret=0\n"
      "1 storm ret=4180 seen=EINPROGRESS>0,-,EINPROGRESS>ECANCELED>... "
      "suspend=0:12,EAGAIN:30,EINTR:0,EINVAL:2 returned=5,-,-\n"
      "end completed\n";
  absl::StatusOr<ObservationLog> log = ParseLog(text, "s.log");
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_TRUE(log->steps[1].storm.has_value());
  const StormObservation& st = *log->steps[1].storm;
  EXPECT_EQ(log->steps[1].ret, 4180);
  EXPECT_EQ(st.seen, (std::vector<std::vector<int>>{
                         {EINPROGRESS, 0}, {}, {EINPROGRESS, ECANCELED,
                                                kSeenTruncated}}));
  EXPECT_EQ(st.suspend, (std::vector<std::pair<int, uint64_t>>{
                            {0, 12}, {EAGAIN, 30}, {EINTR, 0}, {EINVAL, 2}}));
  EXPECT_EQ(st.returned,
            (std::vector<std::optional<int64_t>>{5, std::nullopt,
                                                 std::nullopt}));
  EXPECT_FALSE(log->steps[0].storm.has_value());
  Trace trace;
  trace.ops.resize(2, Op{Storm{}, {}});
  absl::StatusOr<ObservationLog> again =
      ParseLog(PrintLog(*log, trace), "again.log");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *log);
  EXPECT_FALSE(ParseLog("aiospec-log 1\ntarget x\n0 storm ret=1 "
                        "suspend=0\nend completed\n",
                        "bad.log")
                   .ok());
}

TEST(ParseLogTest, EndVariants) {
  absl::StatusOr<ObservationLog> hung =
      ParseLog("aiospec-log 1\n0 file ret=0\nend hung at=1\n", "h");
  ASSERT_TRUE(hung.ok()) << hung.status();
  EXPECT_EQ(hung->end, RunEnd::kHung);
  EXPECT_EQ(hung->hung_at, 1);
  absl::StatusOr<ObservationLog> hung2 = ParseLog("aiospec-log 1\nend hung\n", "h");
  ASSERT_TRUE(hung2.ok()) << hung2.status();
  EXPECT_EQ(hung2->hung_at, -1);
  absl::StatusOr<ObservationLog> crashed =
      ParseLog("aiospec-log 1\nend crashed\n", "c");
  ASSERT_TRUE(crashed.ok()) << crashed.status();
  EXPECT_EQ(crashed->end, RunEnd::kCrashed);
  EXPECT_EQ(crashed->crash_signal, 0);
}

struct ErrorCase {
  const char* text;
  const char* message;  // expected substring, with the position
};

TEST(ParseLogTest, ChangedAiocbMembersRoundTrip) {
  const std::string text =
      "aiospec-log 1\n"
      "target glibc\n"
      "0 aio_error ret=EINPROGRESS changed=aio_lio_opcode,aio_fildes\n"
      "1 aio_cancel ret=AIO_NOTCANCELED\n"
      "end completed\n";
  absl::StatusOr<ObservationLog> log = ParseLog(text, "c.log");
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->steps[0].aiocb_changed, kAiocbFildes | kAiocbLioOpcode);
  EXPECT_EQ(log->steps[1].aiocb_changed, 0u);
  Trace trace;
  trace.ops = {Op{AioError{0}, {}}, Op{AioCancel{0, 0}, {}}};
  const std::string printed = PrintLog(*log, trace);
  // Printed in <aio.h> order.
  EXPECT_THAT(printed, HasSubstr("0 aio_error ret=EINPROGRESS "
                                 "changed=aio_fildes,aio_lio_opcode\n"));
  EXPECT_THAT(printed, HasSubstr("1 aio_cancel ret=AIO_NOTCANCELED\n"));
  absl::StatusOr<ObservationLog> again = ParseLog(printed, "again.log");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *log);
}

TEST(ParseLogTest, StartAndAwaitRecordsNameTheStartedOp) {
  const std::string text =
      "aiospec-log 1\n"
      "target glibc\n"
      "0 start ret=0\n"
      "1 await ret=EINPROGRESS\n"
      "end completed\n";
  absl::StatusOr<ObservationLog> log = ParseLog(text, "t.log");
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->steps[1].ret, EINPROGRESS);
  Trace trace;
  trace.thread_names = {"t"};
  trace.ops = {Op{AioError{0}, {}, RunOn::kStart, 0},
               Op{ThreadOp{ThreadKind::kAwait, 0, 0}, {}}};
  // The await's ret= is the aio_error's status, by name.
  EXPECT_EQ(PrintLog(*log, trace), text);
}

TEST(ParseLogTest, EarlySuspendRoundTrip) {
  const std::string text =
      "aiospec-log 1\n"
      "0 aio_suspend early=1830211 ret=-1 errno=EAGAIN\n"
      "1 aio_suspend ret=-1 errno=EAGAIN\n"
      "end completed\n";
  absl::StatusOr<ObservationLog> log = ParseLog(text, "s.log");
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->steps[0].suspend_early_ns, 1830211);
  EXPECT_EQ(log->steps[1].suspend_early_ns, 0);
  Trace trace;
  trace.ops = {Op{AioSuspend{{0}, {}}, {}}, Op{AioSuspend{{0}, {}}, {}}};
  absl::StatusOr<ObservationLog> again = ParseLog(PrintLog(*log, trace), "again.log");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *log);
}

TEST(ParseLogTest, ErrorsCarryPositions) {
  const ErrorCase cases[] = {
      {"", "e.log:1:1: empty log"},
      {"aiospec-log 2\nend completed\n", "e.log:1:13: unsupported log version"},
      {"target x\n", "e.log:1:1: expected 'aiospec-log 1'"},
      {"aiospec-log 1\n1 open ret=3\nend completed\n",
       "e.log:2:1: op 1 out of order: expected op 0"},
      {"aiospec-log 1\n0 open ret=3\n0 open ret=3\nend completed\n",
       "e.log:3:1: op 0 out of order: expected op 1"},
      {"aiospec-log 1\n0 open ret=3 color=red\nend completed\n",
       "e.log:2:14: unknown field 'color'"},
      {"aiospec-log 1\n0 open ret=3 ret=4\nend completed\n",
       "e.log:2:14: duplicate field 'ret'"},
      {"aiospec-log 1\n0 open ret=EBOGUS\nend completed\n",
       "e.log:2:12: bad ret value 'EBOGUS'"},
      {"aiospec-log 1\n0 open 3\nend completed\n",
       "e.log:2:8: expected key=value"},
      {"aiospec-log 1\n0 ret=3\nend completed\n",
       "e.log:2:3: expected an op name"},
      {"aiospec-log 1\n0 drain ret=3 data=\"abc\nend completed\n",
       "e.log:2:24: unterminated byte string"},
      {"aiospec-log 1\n0 open ret=3\n", "e.log:3:1: log has no 'end' line"},
      {"aiospec-log 1\nend completed\n0 open ret=3\n",
       "e.log:3:1: record after the 'end' line"},
      {"aiospec-log 1\nend exploded\n", "e.log:2:5: expected completed"},
      {"aiospec-log 1\nnotify kind=signal\nend completed\n",
       "e.log:2:1: notify record without after="},
      {"aiospec-log 1\nnotify after=0 kind=signal signo=SIGFOO\nend completed\n",
       "e.log:2:34: bad signo value 'SIGFOO'"},
      {"aiospec-log 1\nbogus\n", "e.log:2:1: unknown record 'bogus'"},
      {"aiospec-log 1\n0 open ret=3\ntarget late\nend completed\n",
       "e.log:3:1: 'target' must come before the first op"},
      {"aiospec-log 1\n0 open ret=99999999999999999999\nend completed\n",
       "e.log:2:12: bad ret value"},
      {"aiospec-log 1\n0 aio_error ret=0 changed=aio_offset,aio_flags\n"
       "end completed\n",
       "e.log:2:27: bad changed value 'aio_offset,aio_flags'"},
      {"aiospec-log 1\n0 aio_suspend early=0 ret=-1 errno=EAGAIN\nend completed\n",
       "e.log:2:21: bad early value '0'"},
  };
  for (const ErrorCase& c : cases) {
    absl::StatusOr<ObservationLog> log = ParseLog(c.text, "e.log");
    ASSERT_FALSE(log.ok()) << "accepted: " << c.text;
    EXPECT_EQ(log.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(log.status().message()), HasSubstr(c.message))
        << c.text;
  }
}

TEST(ParseLogTest, CommentsAndFdAreIgnored) {
  absl::StatusOr<ObservationLog> a = ParseLog(
      "# hello\naiospec-log 1\n  # begin 0\n0 pipe ret=0 fd=3,4 # two ends\n"
      "end completed # done\n",
      "c.log");
  absl::StatusOr<ObservationLog> b =
      ParseLog("aiospec-log 1\n0 pipe ret=0\nend completed\n", "c.log");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*a, *b);
}

TEST(BegunOpTest, ReadsOnlyProgressComments) {
  EXPECT_EQ(BegunOp("# begin 3"), 3);
  EXPECT_EQ(BegunOp("#  begin 12 aio_read"), 12);
  EXPECT_EQ(BegunOp("# begin -1"), std::nullopt);
  EXPECT_EQ(BegunOp("# error: begin 3"), std::nullopt);
  EXPECT_EQ(BegunOp("3 aio_read ret=0"), std::nullopt);
  EXPECT_EQ(BegunOp(""), std::nullopt);
}

TEST(ParsePartialLogTest, MissingEndIsACrashOfUnknownCause) {
  absl::StatusOr<PartialLog> p = ParsePartialLog(
      "aiospec-log 1\ntarget musl\n# begin 0\n0 file ret=0\n# begin 1\n"
      "1 open ret=3\n# begin 2 aio_read\n",
      "agent");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(p->ended);
  EXPECT_EQ(p->last_begun, 2);
  EXPECT_EQ(p->log.end, RunEnd::kCrashed);
  EXPECT_EQ(p->log.crash_signal, 0);
  EXPECT_EQ(p->log.steps.size(), 2u);
  EXPECT_EQ(p->log.target, "musl");
}

TEST(ParsePartialLogTest, DropsATornLastLineOnly) {
  absl::StatusOr<PartialLog> p = ParsePartialLog(
      "aiospec-log 1\n0 file ret=0\n1 drain ret=3 data=\"ab", "agent");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->log.steps.size(), 1u);
  // A complete last line without '\n' still counts.
  p = ParsePartialLog("aiospec-log 1\n0 file ret=0\nend completed", "agent");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->ended);
  EXPECT_EQ(p->log.end, RunEnd::kCompleted);
  // A bad line that is followed by more text is an error.
  p = ParsePartialLog("aiospec-log 1\n0 drain ret=3 data=\"ab\n", "agent");
  EXPECT_FALSE(p.ok());
}

TEST(ParsePartialLogTest, EmptyOutputAndErrorComment) {
  absl::StatusOr<PartialLog> p = ParsePartialLog("", "agent");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(p->ended);
  EXPECT_TRUE(p->log.steps.empty());
  p = ParsePartialLog("# error: bad wire at byte 7\n", "agent");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->last_error, "bad wire at byte 7");
  EXPECT_FALSE(ParsePartialLog("hello world\n", "agent").ok());
}

TEST(HostNamesTest, ErrnoNames) {
  EXPECT_EQ(ErrnoName(EINPROGRESS), "EINPROGRESS");
  EXPECT_EQ(ErrnoName(EAGAIN), "EAGAIN");
  EXPECT_EQ(ErrnoFromName("EWOULDBLOCK"), EAGAIN);
  EXPECT_EQ(ErrnoFromName("ECANCELED"), ECANCELED);
  EXPECT_EQ(ErrnoName(4000), "E#4000");
  EXPECT_EQ(ErrnoFromName("E#4000"), 4000);
  EXPECT_EQ(ErrnoFromName("22"), 22);
  EXPECT_EQ(ErrnoFromName("EBOGUS"), std::nullopt);
  EXPECT_EQ(ErrnoFromName(""), std::nullopt);
  for (int e = 1; e < 200; ++e) EXPECT_EQ(ErrnoFromName(ErrnoName(e)), e);
}

TEST(HostNamesTest, SignalNames) {
  EXPECT_EQ(SignalName(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(SignalName(SIGRTMIN), "SIGRTMIN");
  EXPECT_EQ(SignalName(SIGRTMIN + 3), "SIGRTMIN+3");
  EXPECT_EQ(SignalFromName("SIGRTMIN+3"), SIGRTMIN + 3);
  EXPECT_EQ(SignalFromName("SIGRTMAX"), SIGRTMAX);
  EXPECT_EQ(SignalFromName("SIGRTMAX-1"), SIGRTMAX - 1);
  EXPECT_EQ(SignalFromName("SIGRTMIN+1000"), std::nullopt);
  EXPECT_EQ(SignalFromName("SIGRTMIN-1"), std::nullopt);
  EXPECT_EQ(SignalFromName("SIGKILL"), SIGKILL);
  EXPECT_EQ(SignalFromName("11"), 11);
  EXPECT_EQ(SignalFromName("SIGNOPE"), std::nullopt);
  for (int s = 1; s < 65; ++s) EXPECT_EQ(SignalFromName(SignalName(s)), s);
}

TEST(HostNamesTest, SiCodesAndCancelResults) {
  EXPECT_EQ(SiCodeFromName("SI_ASYNCIO"), SI_ASYNCIO);
  EXPECT_EQ(SiCodeFromName("SI_USER"), SI_USER);
  EXPECT_EQ(SiCodeName(SI_QUEUE), "SI_QUEUE");
  EXPECT_EQ(CancelResultFromName("AIO_CANCELED"), AIO_CANCELED);
  EXPECT_EQ(CancelResultFromName("AIO_NOTCANCELED"), AIO_NOTCANCELED);
  EXPECT_EQ(CancelResultName(AIO_ALLDONE), "AIO_ALLDONE");
}

// A trace whose ops cover the kinds PrintLog treats specially.
Trace MixedTrace(int n) {
  Trace t;
  for (int i = 0; i < n; ++i) {
    switch (i % 5) {
      case 0: t.ops.push_back(Op{AioError{0}, {}}); break;
      case 1: t.ops.push_back(Op{AioCancel{0, 0}, {}}); break;
      case 2: t.ops.push_back(Op{Drain{0, -1}, {}}); break;
      case 3: t.ops.push_back(Op{Close{0}, {}}); break;
      default: t.ops.push_back(Op{AioReturn{0}, {}}); break;
    }
  }
  return t;
}

ObservationLog RandomLog(std::mt19937& rng, int n_ops) {
  auto pick = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  ObservationLog log;
  const char* targets[] = {"", "glibc", "musl", "agent:/x/y", "odd name#\""};
  log.target = targets[pick(0, 4)];
  int n_steps = pick(0, n_ops);
  for (int i = 0; i < n_steps; ++i) {
    StepObservation s;
    s.op_index = i;
    switch (pick(0, 4)) {
      case 0: s.ret = pick(-1, 3); break;
      case 1: s.ret = pick(1, 140); break;  // errno-like (aio_error)
      case 2: s.ret = int64_t{1} << pick(31, 62); break;
      case 3: s.ret = -pick(0, 1 << 30); break;
      default: s.ret = pick(0, 2); break;  // AIO_* (aio_cancel)
    }
    if (pick(0, 2) == 0) s.err = pick(-3, 200);
    if (pick(0, 2) == 0) {
      std::string d;
      int len = pick(0, 40);
      for (int j = 0; j < len; ++j) d += static_cast<char>(pick(0, 255));
      if (pick(0, 3) == 0) d += std::string(pick(16, 5000), 'F');
      s.data = d;
    }
    if (pick(0, 4) == 0) s.aiocb_changed = static_cast<uint32_t>(pick(1, 127));
    log.steps.push_back(s);
  }
  int n_notes = pick(0, 4);
  for (int i = 0; i < n_notes; ++i) {
    NotificationObservation nn;
    nn.after_op = pick(0, n_ops + 2);
    nn.kind = static_cast<NotifyKind>(pick(0, 2));
    nn.signo = pick(0, 1) ? SIGRTMIN + pick(0, 5) : pick(0, 64);
    nn.code = pick(-6, 3);
    nn.value = static_cast<int32_t>(rng());
    if (pick(0, 1)) nn.status_in_handler = pick(-1, 140);
    log.notifications.push_back(nn);
  }
  switch (pick(0, 2)) {
    case 0: log.end = RunEnd::kCompleted; break;
    case 1:
      log.end = RunEnd::kCrashed;
      log.crash_signal = pick(0, 1) ? 0 : pick(1, 64);
      break;
    default:
      log.end = RunEnd::kHung;
      log.hung_at = pick(-1, n_ops);
      break;
  }
  return log;
}

TEST(PrintLogTest, RoundTripsRandomLogs) {
  std::mt19937 rng(12345);
  for (int iter = 0; iter < 2000; ++iter) {
    const int n_ops = static_cast<int>(rng() % 12);
    Trace trace = MixedTrace(n_ops);
    ObservationLog log = RandomLog(rng, n_ops);
    std::string text = PrintLog(log, trace);
    absl::StatusOr<ObservationLog> back = ParseLog(text, "rt.log");
    ASSERT_TRUE(back.ok()) << back.status() << "\n" << text;
    ASSERT_EQ(*back, log) << text;
    // Printing is canonical: a second round gives the same text.
    EXPECT_EQ(PrintLog(*back, trace), text);
  }
}

TEST(PrintLogTest, PrintsSymbolsWhereTheOpCallsForThem) {
  Trace trace = MixedTrace(3);  // aio_error, aio_cancel, drain
  ObservationLog log;
  log.target = "glibc";
  log.steps = {{0, EINPROGRESS, 0, std::nullopt},
               {1, AIO_NOTCANCELED, 0, std::nullopt},
               {2, 20, 0, std::string(20, 'F')}};
  log.notifications = {{1, NotifyKind::kSignal, SIGRTMIN + 1, SI_ASYNCIO, 9,
                        ECANCELED}};
  log.end = RunEnd::kHung;
  log.hung_at = 2;
  EXPECT_EQ(PrintLog(log, trace),
            "aiospec-log 1\n"
            "target glibc\n"
            "0 aio_error ret=EINPROGRESS\n"
            "1 aio_cancel ret=AIO_NOTCANCELED\n"
            "notify after=1 kind=signal signo=SIGRTMIN+1 code=SI_ASYNCIO "
            "value=9 status=ECANCELED\n"
            "2 drain ret=20 data=\"F\"*20\n"
            "end hung at=2\n");
}

// Mutated logs must give a log or an error, never a crash or a hang.
TEST(ParseLogTest, SurvivesMutatedInput) {
  std::mt19937 rng(7);
  std::string base = kExample;
  // A shorter run keeps 20000 parses fast under sanitizers.
  base.replace(base.find("*65536"), 6, "*64");
  const char alphabet[] = "0123456789=\"*+#\n -aAEz\\x";
  for (int iter = 0; iter < 20000; ++iter) {
    std::string text = base;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % (text.size() + 1);
      switch (rng() % 3) {
        case 0: if (at < text.size()) text.erase(at, 1 + rng() % 8); break;
        case 1: text.insert(at, 1, alphabet[rng() % (sizeof(alphabet) - 1)]); break;
        default: if (at < text.size()) text[at] = static_cast<char>(rng()); break;
      }
    }
    absl::StatusOr<ObservationLog> log = ParseLog(text, "m.log");
    if (!log.ok()) {
      EXPECT_THAT(std::string(log.status().message()), HasSubstr("m.log:"));
    }
    (void)ParsePartialLog(text, "m.log");
  }
}

}  // namespace
}  // namespace aiospec
