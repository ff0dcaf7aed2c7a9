#include "fuzz/guardrails.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/observation/observation.h"
#include "harness/trace/random_trace.h"
#include "harness/trace/trace_parser.h"
#include "harness/trace/trace_printer.h"

namespace aiospec {
namespace {

using ::testing::HasSubstr;

Trace Parse(const std::string& body) {
  absl::StatusOr<Trace> t = ParseTrace("aiospec-trace 1\n" + body, "t");
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : Trace{};
}

std::string Why(const std::string& body) {
  absl::Status s = CheckRunnable(Parse(body));
  return s.ok() ? "ok" : std::string(s.message());
}

constexpr char kFileRead[] =
    "file f content=\"hello\"\n"
    "open d f flags=rdwr\n"
    "aio_read r fd=d offset=0 nbytes=4\n";

TEST(CheckRunnableTest, AcceptsAGuardedReadAndReuse) {
  EXPECT_EQ(Why(std::string(kFileRead) +
                "wait r timeout=100ms\naio_error r\naio_return r\n"
                "aio_read r fd=d offset=1 nbytes=4\n"
                "aio_suspend r null timeout=500us\n"),
            "ok");
}

TEST(CheckRunnableTest, RejectsResubmissionInFlight) {
  EXPECT_THAT(Why(std::string(kFileRead) + "aio_read r fd=d offset=1 nbytes=1\n"),
              HasSubstr("op 3 (aio_read r fd=d offset=1 nbytes=1): resubmits"));
  // A wait alone is not enough: the wait may have timed out.
  EXPECT_THAT(Why(std::string(kFileRead) +
                  "wait r timeout=100ms\naio_write r fd=d offset=1 data=\"x\"\n"),
              HasSubstr("AIO-READ-11"));
  EXPECT_THAT(Why(std::string(kFileRead) +
                  "lio_listio nowait [read q fd=d offset=0 nbytes=1; "
                  "write q fd=d offset=0 data=\"a\"]\n"),
              HasSubstr("lists one twice"));
}

TEST(CheckRunnableTest, RejectsQueriesOfUnsubmittedAiocbs) {
  EXPECT_THAT(Why(std::string(kFileRead) +
                  "lio_listio nowait [nop n]\naio_error n\n"),
              HasSubstr("AIO-ERROR-05"));
  EXPECT_THAT(Why(std::string(kFileRead) +
                  "lio_listio nowait [nop n]\naio_suspend n timeout=0\n"),
              HasSubstr("AIO-SUSP-04"));
  EXPECT_THAT(Why(std::string(kFileRead) +
                  "lio_listio nowait [nop n]\nwait n timeout=100ms\n"),
              HasSubstr("never submitted"));
}

TEST(CheckRunnableTest, RejectsReturnWithoutWait) {
  EXPECT_THAT(Why(std::string(kFileRead) + "aio_error r\naio_return r\n"),
              HasSubstr("AIO-RETURN-02"));
}

TEST(CheckRunnableTest, RejectsUnboundedOrLongWaits) {
  EXPECT_THAT(Why(std::string(kFileRead) + "aio_suspend r\n"),
              HasSubstr("without a short bound"));
  EXPECT_THAT(Why(std::string(kFileRead) + "wait r\n"),  // 5s default
              HasSubstr("wait bound neither short (<= 500us) nor one of 4 long "
                        "ones in [100ms, 200ms] on requests to regular files"));
  EXPECT_THAT(Why(std::string(kFileRead) + "wait r timeout=50ms\n"),
              HasSubstr("wait bound neither short"));
  // Short waits only poll; long ones (or long aio_suspend timeouts), at
  // most 4 a trace, only on requests to regular files.
  const std::string four_long =
      "wait r timeout=150ms\naio_suspend r timeout=150ms\n"
      "wait r timeout=100ms\nwait r timeout=200ms\n";
  EXPECT_EQ(Why(std::string(kFileRead) + "wait r timeout=0\nwait r timeout=500us\n" +
                four_long),
            "ok");
  EXPECT_THAT(Why(std::string(kFileRead) + four_long + "wait r timeout=150ms\n"),
              HasSubstr("op 7 (wait r timeout=150ms): wait bound neither short"));
  EXPECT_THAT(Why(std::string(kFileRead) + four_long + "aio_suspend r timeout=150ms\n"),
              HasSubstr("more than 4 long waits"));
  const std::string pipe_read = "pipe a b\naio_read p fd=a offset=0 nbytes=1\n";
  EXPECT_EQ(Why(pipe_read + "wait p timeout=500us\n"), "ok");
  EXPECT_THAT(Why(pipe_read + "wait p timeout=2ms\n"),
              HasSubstr("wait bound neither short (<= 500us)"));
  GuardrailOptions agent;  // an agent process polls for 2 ms
  agent.out_of_process = true;
  EXPECT_TRUE(CheckRunnable(Parse(pipe_read + "wait p timeout=2ms\n"), agent).ok());
  EXPECT_THAT(Why(pipe_read + "wait p timeout=150ms\n"),
              HasSubstr("on requests to regular files"));
  EXPECT_THAT(Why(pipe_read + "aio_suspend p timeout=150ms\n"),
              HasSubstr("a long timeout on a request on a pipe or socket"));
  EXPECT_THAT(Why(std::string(kFileRead) + "aio_suspend null timeout=0\n"),
              HasSubstr("AIO-SUSP-15"));
  // A negative aio_suspend timeout (unspecified, AIO-SUSP-16) only out of
  // process: glibc aborts on it, which in process would end the fuzzer.
  const std::string negative = std::string(kFileRead) + "aio_suspend r timeout=-1ms\n";
  EXPECT_THAT(Why(negative), HasSubstr("negative aio_suspend timeout in process"));
  GuardrailOptions out_of_process;
  out_of_process.out_of_process = true;
  EXPECT_TRUE(CheckRunnable(Parse(negative), out_of_process).ok());
}

TEST(CheckRunnableTest, RejectsLioWaitThatCouldBlockForever) {
  EXPECT_THAT(Why("pipe a b\nlio_listio wait [read r fd=a offset=0 nbytes=1]\n"),
              HasSubstr("could block forever"));
  // A regular file, but a request on a pipe is still held somewhere.
  EXPECT_THAT(Why("file f\nopen d f flags=rdwr\npipe a b\n"
                  "aio_read p fd=a offset=0 nbytes=1\n"
                  "lio_listio wait [read r fd=d offset=0 nbytes=1]\n"),
              HasSubstr("could block forever"));
  EXPECT_EQ(Why("file f\nopen d f flags=rdwr\n"
                "lio_listio wait [read r fd=d offset=0 nbytes=1; null]\n"),
            "ok");
}

TEST(CheckRunnableTest, RejectsUnboundedSizes) {
  EXPECT_THAT(Why("file f\nopen d f flags=rdwr\n"
                  "aio_read r fd=d offset=0 nbytes=65537\n"),
              HasSubstr("nbytes above 65536"));
  EXPECT_THAT(Why("file f\nopen d f flags=rdwr\n"
                  "aio_write w fd=d offset=4294967296 data=\"x\"\n"),
              HasSubstr("a write past offset 1048576"));
  EXPECT_EQ(Why("file f\nopen d f flags=rdwr\n"
                "aio_write w fd=d offset=-1 data=\"x\"\n"
                "aio_write v fd=d offset=9223372036854775807 data=\"x\"\n"),
            "ok");
}

// Above SSIZE_MAX as a size_t: the EINVAL cases of AIO-READ-17 and
// AIO-WRITE-15 stay, at any offset.
TEST(CheckRunnableTest, KeepsNegativeNbytes) {
  EXPECT_EQ(Why("file f\nopen d f flags=rdwr\n"
                "aio_read r fd=d offset=0 nbytes=-1\n"
                "aio_write w fd=d offset=4096 nbytes=-9223372036854775808\n"
                "lio_listio wait [write v fd=d offset=0 nbytes=-1]\n"),
            "ok");
}

TEST(CheckRunnableTest, RejectsFillOnAFileAndForeignCancel) {
  EXPECT_THAT(Why("file f\nopen d f flags=rdwr\nfill d\n"),
              HasSubstr("fill on a closed descriptor, a regular file"));
  EXPECT_THAT(Why("pipe r w\nwrite r data=\"x\"\n"), HasSubstr("read end"));
  EXPECT_THAT(Why("pipe r w\nfill r\n"), HasSubstr("read end"));
  EXPECT_THAT(Why("pipe r w\ndup x w\ndrain x\n"), HasSubstr("write end"));
  EXPECT_EQ(Why("pipe r w\nsocketpair a b\nfill w\nwrite a data=\"x\"\n"
                "drain b\ndrain r\n"),
            "ok");
  EXPECT_THAT(Why(std::string(kFileRead) + "open e f flags=rdonly\n"
                  "aio_cancel e r\n"),
              HasSubstr("AIO-CANCEL-08"));
  // Same handle name, but closed and reopened: another descriptor.
  EXPECT_THAT(Why(std::string(kFileRead) + "close d\nopen d f flags=rdonly\n"
                  "aio_cancel d r\n"),
              HasSubstr("AIO-CANCEL-08"));
  EXPECT_EQ(Why(std::string(kFileRead) + "aio_cancel d r\naio_cancel badfd null\n"),
            "ok");
}

TEST(MakeRunnableTest, RepairsByEditingNotDropping) {
  Trace t = MakeRunnable(Parse(std::string(kFileRead) +
                               "aio_return r\n"                       // + wait
                               "aio_read r fd=d offset=0 nbytes=9\n"  // fresh cb
                               "aio_suspend r\n"                      // bounded
                               "lio_listio wait [read x fd=d offset=0 nbytes=1]\n"
                               "wait r\n"));
  EXPECT_TRUE(CheckRunnable(t).ok()) << CheckRunnable(t);
  EXPECT_EQ(PrintTrace(t),
            "aiospec-trace 1\n"
            "file f content=\"hello\"\n"
            "open d f flags=rdwr\n"
            "aio_read r fd=d offset=0 nbytes=4\n"
            "wait r timeout=100ms\n"
            "aio_return r\n"
            "aio_read r fd=d offset=0 nbytes=9\n"
            "aio_suspend r timeout=1ms\n"
            "lio_listio wait [read x fd=d offset=0 nbytes=1]\n"
            "wait r timeout=200ms\n");
}

TEST(MakeRunnableTest, DropsWhatCannotBeFixed) {
  Trace t = MakeRunnable(Parse(std::string(kFileRead) +
                               "lio_listio nowait [nop n]\n"
                               "aio_error n\n"
                               "fill d\n"
                               "aio_read r fd=d offset=0 nbytes=1\n"));
  EXPECT_TRUE(CheckRunnable(t).ok()) << CheckRunnable(t);
  EXPECT_EQ(PrintTrace(t),
            "aiospec-trace 1\n"
            "file f content=\"hello\"\n"
            "open d f flags=rdwr\n"
            "aio_read r fd=d offset=0 nbytes=4\n"
            "lio_listio nowait [nop n]\n"
            "aio_read g0 fd=d offset=0 nbytes=1\n");
}

// The mutator's promise rests on this: any parsable trace becomes runnable.
TEST(MakeRunnableTest, RandomTracesBecomeRunnableAndCanonical) {
  int kept_ops = 0, total_ops = 0;
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    std::mt19937_64 rng(seed);
    Trace random = RandomTrace(rng, 30);
    Trace t = MakeRunnable(random);
    ASSERT_TRUE(CheckRunnable(t).ok())
        << "seed " << seed << ": " << CheckRunnable(t) << "\n"
        << PrintTrace(t);
    absl::StatusOr<Trace> again = ParseTrace(PrintTrace(t), "again");
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(*again, t) << "seed " << seed;
    EXPECT_EQ(MakeRunnable(t), t) << "seed " << seed;  // idempotent
    kept_ops += static_cast<int>(t.ops.size());
    total_ops += static_cast<int>(random.ops.size());
  }
  // Repairs edit more than they drop.
  EXPECT_GT(kept_ops, total_ops / 2);
}

// The conformance traces, by path.
std::vector<std::pair<std::string, Trace>> ConformanceTraces() {
  std::vector<std::pair<std::string, Trace>> traces;
  for (const auto& entry :
       std::filesystem::directory_iterator(AIOSPEC_CONFORMANCE_TRACES)) {
    if (entry.path().extension() != ".trace") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<Trace> t = ParseTrace(text.str(), entry.path().string());
    EXPECT_TRUE(t.ok()) << t.status();
    if (t.ok()) traces.emplace_back(entry.path().string(), *std::move(t));
  }
  return traces;
}

TEST(MakeRunnableTest, ConformanceTracesKeepEveryOp) {
  int seen = 0;
  for (const auto& [path, trace] : ConformanceTraces()) {
    const Trace* t = &trace;
    Trace r = MakeRunnable(*t);
    EXPECT_TRUE(CheckRunnable(r).ok()) << path;
    // Exempt: the {AIO_MAX} and {AIO_LISTIO_MAX} traces (limit_*), longer
    // than any fuzz input may be (max_ops, max_lio_requests), and traces
    // with signal storms, process events, threads or signal masks, whose
    // other ops may only make sense with them (a handler's close, then the
    // reuse of its number; a request a thread submitted).
    const GuardrailOptions bounds;
    const bool exempt =
        static_cast<int>(t->ops.size()) > bounds.max_ops ||
        std::any_of(t->ops.begin(), t->ops.end(), [&](const Op& op) {
          const auto* lio = std::get_if<LioListio>(&op.body);
          return std::holds_alternative<Storm>(op.body) ||
                 std::holds_alternative<Proc>(op.body) ||
                 std::holds_alternative<ThreadOp>(op.body) ||
                 std::holds_alternative<Sigmask>(op.body) ||
                 (lio != nullptr &&
                  static_cast<int>(lio->list.size()) > bounds.max_lio_requests);
        });
    if (exempt) continue;
    // Signal storms, process events and holds are the ops the in-process
    // fuzzer never runs (they would signal, fork or seccomp-filter the
    // fuzzer's own process): only they may be dropped.
    auto non_storm = [](const Trace& x) {
      return std::count_if(x.ops.begin(), x.ops.end(), [](const Op& op) {
        return !std::holds_alternative<Storm>(op.body) &&
               !std::holds_alternative<Proc>(op.body) &&
               !std::holds_alternative<Hold>(op.body);
      });
    };
    EXPECT_GE(non_storm(r), non_storm(*t)) << path << "\n"
                                           << PrintTrace(r);
    ++seen;
  }
  EXPECT_GT(seen, 0);
}

GuardrailOptions OutOfProcess() {
  GuardrailOptions o;
  o.out_of_process = true;
  return o;
}

constexpr char kHeldReads[] =
    "pipe rd wr\n"
    "aio_read r fd=rd offset=0 nbytes=4\n"
    "aio_read q fd=rd offset=0 nbytes=4\n";

TEST(CheckRunnableTest, StormsOnlyOutOfProcess) {
  const Trace t = Parse(std::string(kHeldReads) +
                        "storm on r q rate=2000 returns=q\n"
                        "write wr data=\"abcdefgh\"\n"
                        "wait r timeout=2ms\n"
                        "storm off\n");
  EXPECT_THAT(CheckRunnable(t).message(), HasSubstr("only out of process"));
  EXPECT_TRUE(CheckRunnable(t, OutOfProcess()).ok()) << CheckRunnable(t, OutOfProcess());
  const Trace fast = Parse(std::string(kHeldReads) +
                           "storm on r rate=100000\nstorm off\n");
  EXPECT_THAT(CheckRunnable(fast, OutOfProcess()).message(), HasSubstr("above 20000 Hz"));
}

TEST(MakeRunnableTest, KeepsTheStormRules) {
  // What the parser refuses but a mutation can make: a storm watching an
  // aiocb never submitted, one nested in it, the main thread naming the
  // handler's `returns` aiocb, a fork while the storm is on, and no
  // `storm off`.
  Trace in = Parse(std::string(kHeldReads) + "drain rd\n");
  const CbId r = 0, q = 1, x = 2;
  in.cb_names.push_back("x");
  Storm outer;
  outer.on = true;
  outer.rate_hz = 90000;
  outer.calls = kStormError | kStormSuspend;
  outer.cbs = {r, x};
  outer.returns = {r};
  outer.close_fd = 1;  // wr
  Storm inner;
  inner.on = true;
  inner.rate_hz = 10;
  inner.cbs = {q};
  Wait wait;
  wait.cbs = {r};
  wait.timeout = Timeout{false, 2'000'000};
  in.ops.insert(in.ops.begin() + 3,
                {Op{outer, {}}, Op{inner, {}}, Op{wait, {}}, Op{AioError{q}, {}},
                 Op{Proc{}, {}}});
  const Trace t = MakeRunnable(in, OutOfProcess());
  EXPECT_TRUE(CheckRunnable(t, OutOfProcess()).ok()) << CheckRunnable(t, OutOfProcess());
  EXPECT_EQ(PrintTrace(t),
            "aiospec-trace 1\n"
            "pipe rd wr\n"
            "aio_read r fd=rd offset=0 nbytes=4\n"
            "aio_read q fd=rd offset=0 nbytes=4\n"
            "storm on r rate=20000 returns=r close=wr\n"
            "aio_error q\n"
            "drain rd\n"
            "storm off\n");
  // After `storm off` the handler may have returned r: it is not free for
  // reuse until the main thread's own wait and aio_return.
  const Trace after = MakeRunnable(Parse(std::string(kHeldReads) +
                                         "storm on r rate=200 returns=r\n"
                                         "storm off\n"
                                         "aio_read r fd=rd offset=0 nbytes=1\n"),
                                   OutOfProcess());
  EXPECT_THAT(PrintTrace(after), HasSubstr("aio_read g0 fd=rd"));
}

TEST(MakeRunnableTest, KeepsTheProcRules) {
  EXPECT_THAT(Why(std::string(kHeldReads) + "proc fork watch=r\nproc join\n"),
              HasSubstr("only out of process"));
  // A fork watching a write, a second fork before the join, the parent
  // naming a child's aiocb, and no join at the end.
  Trace in = Parse(std::string(kHeldReads) +
                   "aio_write w fd=wr offset=0 data=\"x\"\n"
                   "proc exit write c fd=wr offset=0 data=\"y\"\n"
                   "drain rd\n");
  const CbId r = 0, w = 2, c = 3;
  Proc fork;
  fork.kind = ProcKind::kFork;
  fork.watch = {r, w};
  fork.cancel_fd = 1;  // wr
  in.ops.insert(in.ops.begin() + 4, {Op{fork, {}}, Op{fork, {}}});
  in.ops.push_back(Op{AioError{c}, {}});
  const Trace t = MakeRunnable(in, OutOfProcess());
  EXPECT_TRUE(CheckRunnable(t, OutOfProcess()).ok()) << CheckRunnable(t, OutOfProcess());
  EXPECT_EQ(PrintTrace(t),
            "aiospec-trace 1\n"
            "pipe rd wr\n"
            "aio_read r fd=rd offset=0 nbytes=4\n"
            "aio_read q fd=rd offset=0 nbytes=4\n"
            "aio_write w fd=wr offset=0 data=\"x\"\n"
            "proc fork watch=r cancel=wr\n"
            "proc exit write c fd=wr offset=0 data=\"y\"\n"
            "drain rd\n"
            "proc join\n");
}

// RandomTrace makes no storms: splice one into random traces, watching
// aiocbs the trace submits, at a random place, and repair.
TEST(MakeRunnableTest, RandomTracesWithStormsBecomeRunnable) {
  int kept = 0;
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    std::mt19937_64 rng(seed);
    Trace random = RandomTrace(rng, 30);
    if (random.cb_names.empty()) continue;
    Storm on;
    on.on = true;
    on.rate_hz = 1 + static_cast<int32_t>(rng() % 40000);
    on.calls = static_cast<uint32_t>(rng() % 4);
    on.cbs = {static_cast<CbId>(rng() % random.cb_names.size())};
    if (rng() % 2 == 0) on.returns = on.cbs;
    const size_t at = rng() % (random.ops.size() + 1);
    random.ops.insert(random.ops.begin() + static_cast<std::ptrdiff_t>(at), Op{on, {}});
    Trace t = MakeRunnable(random, OutOfProcess());
    ASSERT_TRUE(CheckRunnable(t, OutOfProcess()).ok())
        << "seed " << seed << ": " << CheckRunnable(t, OutOfProcess()) << "\n"
        << PrintTrace(t);
    EXPECT_EQ(MakeRunnable(t, OutOfProcess()), t) << "seed " << seed;
    kept += std::any_of(t.ops.begin(), t.ops.end(), [](const Op& op) {
      return std::holds_alternative<Storm>(op.body);
    });
  }
  EXPECT_GT(kept, 100);  // storms watching a submitted aiocb stay
}

// Out of process, the conformance traces with storms and process events
// keep every op too (holds excepted: they stay in-process-only), so the
// guardrails accept what the suite does.
TEST(MakeRunnableTest, OutOfProcessConformanceTracesKeepEveryOp) {
  int seen = 0;
  for (const auto& [path, trace] : ConformanceTraces()) {
    const Trace* t = &trace;
    const GuardrailOptions bounds = OutOfProcess();
    const bool exempt =
        static_cast<int>(t->ops.size()) > bounds.max_ops ||
        std::any_of(t->ops.begin(), t->ops.end(), [&](const Op& op) {
          const auto* lio = std::get_if<LioListio>(&op.body);
          const auto* open = std::get_if<Open>(&op.body);
          return std::holds_alternative<Hold>(op.body) ||
                 (open != nullptr && (open->flags & kFlagHold)) ||
                 (lio != nullptr &&
                  static_cast<int>(lio->list.size()) > bounds.max_lio_requests);
        });
    const bool eventful = std::any_of(t->ops.begin(), t->ops.end(), [](const Op& op) {
      return std::holds_alternative<Storm>(op.body) || std::holds_alternative<Proc>(op.body);
    });
    if (exempt || !eventful) continue;
    const Trace r = MakeRunnable(*t, bounds);
    EXPECT_TRUE(CheckRunnable(r, bounds).ok()) << path;
    auto events = [](const Trace& x) {
      return std::count_if(x.ops.begin(), x.ops.end(), [](const Op& op) {
        return std::holds_alternative<Storm>(op.body) || std::holds_alternative<Proc>(op.body);
      });
    };
    EXPECT_EQ(events(r), events(*t)) << path << "\n" << PrintTrace(r);
    ++seen;
  }
  EXPECT_GT(seen, 10);
}

TEST(CheckRunPreconditionsTest, AioReturnAfterATimedOutWaitIsNotJudged) {
  const Trace t = Parse("pipe a b\naio_read r fd=a offset=0 nbytes=1\n"
                        "wait r timeout=100ms\naio_return r\n");
  auto log_with_wait = [](const std::string& wait) {
    absl::StatusOr<ObservationLog> log = ParseLog(
        "aiospec-log 1\ntarget x\n0 pipe ret=0\n1 aio_read ret=0\n2 wait " +
            wait + "\n3 aio_return ret=-1 errno=EINVAL\nend completed\n",
        "log");
    EXPECT_TRUE(log.ok()) << log.status();
    return *log;
  };
  EXPECT_TRUE(CheckRunPreconditions(t, log_with_wait("ret=0")).ok());
  absl::Status s =
      CheckRunPreconditions(t, log_with_wait("ret=-1 errno=ETIMEDOUT"));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("op 3 (aio_return r)"));
}

}  // namespace
}  // namespace aiospec
