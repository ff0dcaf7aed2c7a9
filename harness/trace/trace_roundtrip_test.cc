// Properties of parse and print together: random valid traces survive
// print -> parse; hand-written traces reach a fixed point; and mutated text
// never crashes the parser, and whatever it accepts also round-trips.
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/trace/random_trace.h"
#include "harness/trace/trace_parser.h"
#include "harness/trace/trace_printer.h"

namespace aiospec {
namespace {

const std::vector<std::string>& HandWritten() {
  static const auto* kTraces = new std::vector<std::string>{
      R"(aiospec-trace 1
about "aio_read at an offset returns the bytes there"
covers AIO-READ-07
file f content="0123456789"
open d f flags=rdonly
aio_read r fd=d offset=3 nbytes=4
wait r
aio_error r
aio_return r
)",
      R"(aiospec-trace 1
# A read held on an empty pipe, released by a write.
pipe rd wr
aio_read r fd=rd offset=0 nbytes=5 notify=signal(1)
aio_error r        # EINPROGRESS
write wr data="hello"
wait r timeout=2s
aio_return r
aio_suspend r null timeout=0
)",
      R"(aiospec-trace 1
file f
file g content="G"*100+"\x00"
open d f flags=rdwr+append
aio_write w fd=d offset=0 nbytes=64
close d
open d g flags=wronly+dsync   # reuses the number
aio_fsync s fd=d op=dsync
aio_cancel d null
aio_cancel badfd w
wait w s timeout=none
readback f
readback g
)",
      R"(aiospec-trace 1
file f content="abc"
open d f flags=rdwr
aio_read r fd=d offset=0 nbytes=3 lio_opcode=LIO_WRITE
aio_write w fd=d offset=3 data="d" notify=signal(1) lio_opcode=12345
aio_fsync s fd=d op=dsync lio_opcode=-1
aio_fsync t fd=d lio_opcode=LIO_NOP
aio_read q fd=d offset=0 nbytes=1 lio_opcode=LIO_READ
)",
      R"(aiospec-trace 1
socketpair a b
fill a
lio_listio nowait [write w1 fd=a offset=0 data="x"; null; read r1 fd=b offset=0 nbytes=3; nop n] notify=thread(42)
drain b max=4096
dup c b
dup2 c a
lio_listio wait []
wait w1 r1
)",
  };
  return *kTraces;
}

TEST(TraceRoundTripTest, RandomTracesSurvivePrintThenParse) {
  for (uint64_t seed = 0; seed < 3000; ++seed) {
    std::mt19937_64 rng(seed);
    const Trace original = RandomTrace(rng, 40);
    const std::string text = PrintTrace(original);
    absl::StatusOr<Trace> parsed = ParseTrace(text, "random");
    ASSERT_TRUE(parsed.ok()) << "seed " << seed << ": " << parsed.status()
                             << "\n" << text;
    ASSERT_EQ(*parsed, original) << "seed " << seed << "\n" << text << "\n--\n"
                                 << PrintTrace(*parsed);
  }
}

TEST(TraceRoundTripTest, RandomTracesCoverEveryOpKind) {
  // Guards the property test above against a generator that silently
  // stopped producing some op.
  std::vector<bool> seen(std::variant_size_v<OpBody>, false);
  for (uint64_t seed = 0; seed < 300; ++seed) {
    std::mt19937_64 rng(seed);
    for (const Op& op : RandomTrace(rng, 40).ops) seen[op.body.index()] = true;
  }
  // Storms, process events, holds, threads and signal masks are kept out of RandomTrace on
  // purpose: the fuzzer's in-process targets would storm, fork or filter
  // the fuzzer (see docs/TRACE_FORMAT.md).
  const size_t storm = OpBody(Storm{}).index();
  const size_t proc = OpBody(Proc{}).index();
  const size_t hold = OpBody(Hold{}).index();
  const size_t thread = OpBody(ThreadOp{}).index();
  const size_t sigmask = OpBody(Sigmask{}).index();
  for (size_t i = 0; i < seen.size(); ++i) {
    if (i == storm || i == proc || i == hold || i == thread || i == sigmask) {
      EXPECT_FALSE(seen[i]) << "RandomTrace generated kind " << i;
      continue;
    }
    EXPECT_TRUE(seen[i]) << "kind " << i;
  }
}

TEST(TraceRoundTripTest, ProcRoundTrips) {
  const std::string text =
      "aiospec-trace 1\n"
      "pipe rd wr\n"
      "aio_read r fd=rd offset=0 nbytes=1\n"
      "aio_read q fd=rd offset=0 nbytes=1\n"
      "proc fork watch=r+q\n"
      "proc join\n"
      "proc fork cancel=wr\n"
      "proc join\n"
      "proc fork\n"
      "proc exit write c fd=wr offset=0 data=\"x\" notify=signal(4)\n"
      "proc exit read d fd=rd offset=0 nbytes=3\n"
      "proc join\n";
  absl::StatusOr<Trace> t = ParseTrace(text, "proc.trace");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(PrintTrace(*t), text);
  const auto& fork = std::get<Proc>(t->ops[3].body);
  EXPECT_EQ(fork.kind, ProcKind::kFork);
  EXPECT_EQ(fork.watch, (std::vector<CbId>{0, 1}));
  EXPECT_EQ(fork.cancel_fd, kNullHandle);
  EXPECT_EQ(std::get<Proc>(t->ops[5].body).cancel_fd, 1);
  EXPECT_EQ(std::get<Proc>(t->ops[6].body).cancel_fd, 1);  // its join
  const auto& exit = std::get<Proc>(t->ops[8].body);
  EXPECT_TRUE(exit.write);
  EXPECT_EQ(exit.req.data, "x");
}

TEST(TraceRoundTripTest, ProcExecRoundTripsAndItsJoinKnowsIt) {
  const std::string text =
      "aiospec-trace 1\n"
      "pipe rd wr\n"
      "proc exec read r fd=rd offset=0 nbytes=4 notify=signal(5)\n"
      "write wr data=\"abcd\"\n"
      "proc join\n"
      "proc fork\n"
      "proc join\n";
  absl::StatusOr<Trace> t = ParseTrace(text, "exec.trace");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(PrintTrace(*t), text);
  const auto& exec = std::get<Proc>(t->ops[1].body);
  EXPECT_EQ(exec.kind, ProcKind::kExec);
  EXPECT_FALSE(exec.write);
  EXPECT_EQ(exec.req.nbytes, 4);
  EXPECT_TRUE(std::get<Proc>(t->ops[3].body).of_exec);
  EXPECT_FALSE(std::get<Proc>(t->ops[5].body).of_exec);
}

TEST(TraceRoundTripTest, ProcInvariants) {
  auto error = [](const std::string& body) {
    absl::StatusOr<Trace> t = ParseTrace("aiospec-trace 1\npipe rd wr\n" + body,
                                         "p.trace");
    return t.ok() ? std::string("ok") : std::string(t.status().message());
  };
  EXPECT_THAT(error("proc fork\n"), ::testing::HasSubstr("never joined"));
  EXPECT_THAT(error("proc join\n"), ::testing::HasSubstr("no forked child"));
  EXPECT_THAT(error("proc fork\nproc fork\nproc join\n"),
              ::testing::HasSubstr("not joined yet"));
  EXPECT_THAT(error("proc exit write c fd=wr offset=0 data=\"x\"\naio_error c\n"),
              ::testing::HasSubstr("belongs to a proc exit child"));
  EXPECT_THAT(error("aio_read c fd=rd offset=0 nbytes=1\n"
                    "proc exit write c fd=wr offset=0 data=\"x\"\n"),
              ::testing::HasSubstr("must be new"));
  EXPECT_THAT(error("proc exit read c fd=rd offset=0 nbytes=1 data=\"x\"\n"),
              ::testing::HasSubstr("data= is for writes"));
  EXPECT_THAT(error("proc exit write c fd=badfd offset=0 data=\"x\"\n"),
              ::testing::HasSubstr("open descriptor"));
  EXPECT_THAT(error("proc join watch=x\n"), ::testing::HasSubstr("unknown argument"));
  EXPECT_THAT(error("proc vfork\n"), ::testing::HasSubstr("unknown proc event"));
  EXPECT_THAT(error("proc exec read c fd=rd offset=0 nbytes=1\n"),
              ::testing::HasSubstr("never joined"));
  EXPECT_THAT(error("proc fork\nproc exec read c fd=rd offset=0 nbytes=1\n"
                    "proc join\n"),
              ::testing::HasSubstr("not joined yet"));
  EXPECT_THAT(error("proc exec read c fd=rd offset=0 nbytes=1\nproc join\n"
                    "aio_return c\n"),
              ::testing::HasSubstr("belongs to a proc exit child"));
  EXPECT_THAT(error("proc exec write c fd=badfd offset=0 data=\"x\"\n"),
              ::testing::HasSubstr("proc exec needs an open descriptor"));
}

TEST(TraceRoundTripTest, ThreadsRoundTripAndAwaitKnowsItsOp) {
  const std::string text =
      "aiospec-trace 2\n"
      "pipe rd wr\n"
      "thread a\n"
      "thread b\n"
      "on a aio_read r fd=rd offset=0 nbytes=4 notify=signal(3)\n"
      "exit a\n"
      "start b aio_suspend r timeout=none\n"
      "start c_thread_less_name_is_not_a_thread aio_error r\n";
  // A name that is not a thread is an error; the rest round-trips.
  absl::StatusOr<Trace> bad = ParseTrace(text, "t.trace");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              ::testing::HasSubstr("t.trace:8:7: unknown thread"));
  const std::string good =
      "aiospec-trace 2\n"
      "pipe rd wr\n"
      "thread a\n"
      "thread b\n"
      "on a aio_read r fd=rd offset=0 nbytes=4 notify=signal(3)\n"
      "exit a\n"
      "thread a\n"
      "start b aio_suspend r\n"
      "start a aio_error r\n"
      "cancel b\n"
      "await a\n"
      "start a lio_listio nowait [write w fd=wr offset=0 data=\"x\"]\n"
      "await a\n";
  absl::StatusOr<Trace> t = ParseTrace(good, "t.trace");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(PrintTrace(*t), good);
  EXPECT_EQ(t->version, 2);
  EXPECT_EQ(t->thread_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t->ops[3].run, RunOn::kOn);
  EXPECT_EQ(t->ops[3].thread, 0);
  EXPECT_EQ(t->ops[6].run, RunOn::kStart);
  EXPECT_STREQ(RecordName(t->ops[6]), "start");
  EXPECT_STREQ(RecordName(t->ops[3]), "aio_read");
  EXPECT_EQ(std::get<ThreadOp>(t->ops[8].body).started, 6);  // cancel b
  EXPECT_EQ(std::get<ThreadOp>(t->ops[9].body).started, 7);  // await a
}

TEST(TraceRoundTripTest, ThreadRulesAreEnforced) {
  auto error = [](const std::string& body) {
    absl::StatusOr<Trace> t = ParseTrace(
        "aiospec-trace 2\npipe rd wr\naio_read r fd=rd offset=0 nbytes=1\n"
        "thread a\nthread b\n" + body,
        "t.trace");
    return t.ok() ? std::string("ok") : std::string(t.status().message());
  };
  EXPECT_EQ(error("start a aio_error r\nawait a\n"), "ok");
  EXPECT_THAT(error("start a aio_error r\n"),
              ::testing::HasSubstr("t.trace:6:1: a started op is never awaited"));
  EXPECT_THAT(error("start a aio_error r\naio_error r\nawait a\n"),
              ::testing::HasSubstr("t.trace:7:1: a thread has a started op"));
  EXPECT_THAT(error("start a aio_error r\nstart a aio_error r\n"),
              ::testing::HasSubstr("still running a started op"));
  EXPECT_THAT(error("await a\n"), ::testing::HasSubstr("has no started op"));
  EXPECT_THAT(error("start a aio_error r\ncancel a\n"),
              ::testing::HasSubstr("cancel needs thread 'a' blocked"));
  EXPECT_THAT(error("start a aio_suspend r timeout=1s\ncancel a\n"),
              ::testing::HasSubstr("timeout=none"));
  EXPECT_THAT(error("start a aio_suspend r\ncancel a\non a aio_error r\n"),
              ::testing::HasSubstr("thread 'a' has ended"));
  EXPECT_THAT(error("exit a\nexit a\n"), ::testing::HasSubstr("has ended"));
  EXPECT_THAT(error("exit a\nthread a\non a aio_error r\n"), "ok");
  EXPECT_THAT(error("thread a\n"), ::testing::HasSubstr("already running"));
  EXPECT_THAT(error("on a write wr data=\"x\"\n"),
              ::testing::HasSubstr("t.trace:6:6: 'write' cannot run on a thread"));
  EXPECT_THAT(error("on r aio_error r\n"),
              ::testing::HasSubstr("'r' is a aiocb, not a thread"));
  EXPECT_THAT(error("thread rd\n"),
              ::testing::HasSubstr("'rd' is already a descriptor"));
  EXPECT_THAT(error("start a aio_return r\nstart b aio_error r\n"),
              ::testing::HasSubstr("aiocb 'r' is in use by the op started on "
                                   "thread 'a'"));
  EXPECT_EQ(error("start a aio_error r\nstart b aio_suspend r timeout=0\n"
                  "await b\nawait a\n"),
            "ok");
  EXPECT_THAT(error("start a aio_error r\nawait a\nstorm on r rate=10\n"
                    "on a aio_error r\nstorm off\n"),
              ::testing::HasSubstr("while a storm is on"));
  absl::StatusOr<Trace> v1 =
      ParseTrace("aiospec-trace 1\nthread a\n", "v1.trace");
  ASSERT_FALSE(v1.ok());
  EXPECT_EQ(v1.status().message(),
            "v1.trace:2:1: 'thread' needs 'aiospec-trace 2'");
}

TEST(TraceRoundTripTest, SigmaskAndNotificationSignalsRoundTrip) {
  const std::string text =
      "aiospec-trace 2\n"
      "pipe rd wr\n"
      "thread t\n"
      "sigmask block SIGRTMIN+3,SIGRTMIN+1\n"
      "on t sigmask unblock SIGRTMIN+8\n"
      "aio_read r fd=rd offset=0 nbytes=1 notify=signal(5,SIGRTMIN+3)\n"
      "aio_read q fd=rd offset=0 nbytes=1 notify=signal(6)\n";
  absl::StatusOr<Trace> t = ParseTrace(text, "s.trace");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(PrintTrace(*t), text);
  EXPECT_EQ(std::get<Sigmask>(t->ops[2].body).rts, (std::vector<int>{3, 1}));
  EXPECT_EQ(std::get<AioRead>(t->ops[4].body).req.notify.rt, 3);
  // SIGRTMIN+1 is the default: printed without it.
  absl::StatusOr<Trace> d = ParseTrace(
      "aiospec-trace 2\npipe rd wr\n"
      "aio_read r fd=rd offset=0 nbytes=1 notify=signal(5,SIGRTMIN+1)\n",
      "d.trace");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(PrintTrace(*d), ::testing::HasSubstr("notify=signal(5)\n"));
  auto error = [](const std::string& body) {
    absl::StatusOr<Trace> x =
        ParseTrace("aiospec-trace 2\npipe rd wr\nthread t\n" + body, "s.trace");
    return x.ok() ? std::string("ok") : std::string(x.status().message());
  };
  EXPECT_EQ(error("sigmask block SIGRTMIN+2\n"),
            "s.trace:4:15: expected SIGRTMIN+1 or SIGRTMIN+3 to SIGRTMIN+8, got "
            "'SIGRTMIN+2'");
  EXPECT_EQ(error("sigmask block SIGRTMIN+3,SIGRTMIN+3\n"),
            "s.trace:4:26: signal 'SIGRTMIN+3' is listed twice");
  EXPECT_EQ(error("sigmask hide SIGRTMIN+3\n"),
            "s.trace:4:9: expected block or unblock, got 'hide'");
  EXPECT_EQ(error("start t sigmask block SIGRTMIN+3\n"),
            "s.trace:4:9: sigmask runs with 'on', not 'start'");
  EXPECT_EQ(error("aio_read r fd=rd offset=0 nbytes=1 notify=signal(5,SIGRTMIN+9)\n"),
            "s.trace:4:52: expected SIGRTMIN+1 or SIGRTMIN+3 to SIGRTMIN+8, got "
            "'SIGRTMIN+9'");
  absl::StatusOr<Trace> v1 = ParseTrace(
      "aiospec-trace 1\npipe rd wr\n"
      "aio_read r fd=rd offset=0 nbytes=1 notify=signal(5,SIGRTMIN+3)\n",
      "v1.trace");
  ASSERT_FALSE(v1.ok());
  EXPECT_EQ(v1.status().message(),
            "v1.trace:3:52: a notification signal needs 'aiospec-trace 2'");
}

TEST(TraceRoundTripTest, StormRoundTripsAndOffCarriesItsLists) {
  const std::string text =
      "aiospec-trace 1\n"
      "pipe rd wr\n"
      "aio_read r fd=rd offset=0 nbytes=1\n"
      "aio_read q fd=rd offset=0 nbytes=1\n"
      "storm on r q rate=20000 calls=error returns=q\n"
      "aio_error r\n"
      "storm off\n"
      "storm on r rate=1\n"
      "storm off\n";
  absl::StatusOr<Trace> t = ParseTrace(text, "s.trace");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(PrintTrace(*t), text);
  const auto& on = std::get<Storm>(t->ops[3].body);
  EXPECT_TRUE(on.on);
  EXPECT_EQ(on.rate_hz, 20000);
  EXPECT_EQ(on.calls, kStormError);
  EXPECT_EQ(on.cbs, (std::vector<CbId>{0, 1}));
  EXPECT_EQ(on.returns, (std::vector<CbId>{1}));
  const auto& off = std::get<Storm>(t->ops[5].body);
  EXPECT_FALSE(off.on);
  EXPECT_EQ(off.cbs, on.cbs);
  EXPECT_EQ(off.returns, on.returns);
  EXPECT_EQ(std::get<Storm>(t->ops[6].body).calls,
            kStormError | kStormSuspend);
}

TEST(TraceRoundTripTest, StormCloseRoundTripsAndClosesTheDescriptor) {
  const std::string text =
      "aiospec-trace 1\n"
      "file g\n"
      "pipe rd wr\n"
      "aio_read r fd=rd offset=0 nbytes=1\n"
      "storm on r rate=2000 calls=error close=rd\n"
      "open rd g flags=rdonly\n"
      "storm off\n";
  absl::StatusOr<Trace> t = ParseTrace(text, "s.trace");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(PrintTrace(*t), text);
  EXPECT_EQ(std::get<Storm>(t->ops[3].body).close_fd, 0);
  EXPECT_EQ(std::get<Storm>(t->ops[5].body).close_fd, kNullHandle);
  const std::string head =
      "aiospec-trace 1\npipe rd wr\naio_read r fd=rd offset=0 nbytes=1\n";
  for (const auto& [body, error] : std::vector<std::pair<std::string, std::string>>{
           {"storm on r rate=5 close=rd\naio_error r\nclose rd\nstorm off\n",
            "s.trace:6:7: descriptor 'rd' is closed"},
           {"storm on r rate=5 close=badfd\nstorm off\n", "badfd is only allowed"},
           {"storm on r rate=5 close=zz\nstorm off\n", "unknown descriptor 'zz'"},
       }) {
    absl::StatusOr<Trace> bad = ParseTrace(head + body, "s.trace");
    ASSERT_FALSE(bad.ok()) << body;
    EXPECT_THAT(std::string(bad.status().message()), ::testing::HasSubstr(error));
  }
}

TEST(TraceRoundTripTest, StormRulesAreEnforced) {
  const std::string head =
      "aiospec-trace 1\npipe rd wr\naio_read r fd=rd offset=0 nbytes=1\n";
  struct Case {
    std::string body;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"storm on r rate=10\n", "s.trace:4:1: storm is still on at the end"},
      {"storm off\n", "s.trace:4:1: storm is not on"},
      {"storm on r rate=10\nstorm on r rate=10\nstorm off\n",
       "s.trace:5:1: storm is already on"},
      {"storm on r rate=0\nstorm off\n", "s.trace:4:17: rate= must be"},
      {"storm on rate=5\nstorm off\n", "storm on needs at least one aiocb"},
      {"storm on r rate=5 calls=return\nstorm off\n",
       "unknown storm call 'return'"},
      {"storm on r rate=5\naio_read r fd=rd offset=0 nbytes=1\nstorm off\n",
       "s.trace:5:1: aiocb 'r' is watched by the storm"},
      {"storm on r rate=5 returns=r\nwait r\nstorm off\n",
       "s.trace:5:1: aiocb 'r' may be returned by the storm's handler"},
      {"aio_read q fd=rd offset=0 nbytes=1\nstorm on r rate=5 returns=q\n"
       "storm off\n",
       "'q' in returns= is not watched"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Trace> t = ParseTrace(head + c.body, "s.trace");
    ASSERT_FALSE(t.ok()) << c.body;
    EXPECT_THAT(std::string(t.status().message()),
                ::testing::HasSubstr(c.error))
        << c.body;
  }
}

TEST(TraceRoundTripTest, ScribbledAiocbIsNamedOnlyBySubmissions) {
  const std::string head =
      "aiospec-trace 2\npipe rd wr\naio_read r fd=rd offset=0 nbytes=1\n"
      "write wr data=\"x\"\nwait r\n";
  const std::string ok_body =
      "aio_return r scribble\naio_read r fd=rd offset=0 nbytes=1\nstorm on r rate=5\n"
      "storm off\nwrite wr data=\"y\"\nwait r\naio_return r scribble\n";
  absl::StatusOr<Trace> ok = ParseTrace(head + ok_body, "s.trace");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(std::get<AioReturn>(ok->ops[4].body), (AioReturn{0, true}));
  EXPECT_EQ(PrintTrace(*ParseTrace(PrintTrace(*ok), "again")), PrintTrace(*ok));
  struct Case {
    std::string body;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"aio_return r scribble\naio_error r\n",
       "s.trace:7:1: aiocb 'r' was scribbled over: submit it again"},
      {"aio_return r scribble\naio_return r scribble\n", "s.trace:7:1: aiocb 'r' was scribbled"},
      {"aio_return r scribble\nwait r\n", "s.trace:7:1: aiocb 'r' was scribbled"},
      {"aio_return r scribble\nstorm on r rate=5\nstorm off\n",
       "s.trace:7:1: aiocb 'r' was scribbled"},
      {"storm on r rate=5\naio_return r scribble\nstorm off\n",
       "s.trace:7:1: aiocb 'r' is watched by the storm: its handler still reads it"},
      {"aio_return r scrawl\n", "s.trace:6:14: unexpected argument 'scrawl' for aio_return"},
      {"aio_error r scribble\n", "s.trace:6:13: unexpected argument 'scribble' for aio_error"},
  };
  const std::string v1 = "aiospec-trace 1" + head.substr(head.find('\n'));
  absl::StatusOr<Trace> old_version = ParseTrace(v1 + "aio_return r scribble\n", "s.trace");
  ASSERT_FALSE(old_version.ok());
  EXPECT_EQ(old_version.status().message(),
            "s.trace:6:14: 'scribble' needs 'aiospec-trace 2'");
  for (const Case& c : cases) {
    absl::StatusOr<Trace> t = ParseTrace(head + c.body, "s.trace");
    ASSERT_FALSE(t.ok()) << c.body;
    EXPECT_THAT(std::string(t.status().message()), ::testing::HasSubstr(c.error)) << c.body;
  }
}

TEST(TraceRoundTripTest, HandWrittenTracesReachAFixedPoint) {
  for (const std::string& text : HandWritten()) {
    absl::StatusOr<Trace> first = ParseTrace(text, "hand");
    ASSERT_TRUE(first.ok()) << first.status() << "\n" << text;
    const std::string printed = PrintTrace(*first);
    absl::StatusOr<Trace> second = ParseTrace(printed, "hand");
    ASSERT_TRUE(second.ok()) << second.status() << "\n" << printed;
    EXPECT_EQ(*second, *first) << printed;
    EXPECT_EQ(PrintTrace(*second), printed);
  }
}

// Random edits at byte level, biased towards the characters that matter to
// the grammar.
std::string Mutate(std::string text, std::mt19937_64& rng) {
  static constexpr char kInteresting[] = "\"\\[];#=+*-0123456789 \n\txafz()";
  auto uniform = [&rng](size_t n) {
    return std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  };
  const int edits = 1 + static_cast<int>(uniform(4));
  for (int e = 0; e < edits; ++e) {
    const size_t pos = text.empty() ? 0 : uniform(text.size() + 1);
    switch (uniform(5)) {
      case 0:  // insert a grammar character
        text.insert(pos, 1, kInteresting[uniform(sizeof(kInteresting) - 1)]);
        break;
      case 1:  // insert a random byte
        text.insert(pos, 1, static_cast<char>(uniform(256)));
        break;
      case 2:  // delete a short run
        if (pos < text.size()) text.erase(pos, 1 + uniform(8));
        break;
      case 3:  // overwrite one byte
        if (pos < text.size()) {
          text[pos] = kInteresting[uniform(sizeof(kInteresting) - 1)];
        }
        break;
      default:  // duplicate a chunk elsewhere
        if (!text.empty()) {
          const size_t from = uniform(text.size());
          const std::string chunk = text.substr(from, 1 + uniform(40));
          text.insert(pos, chunk);
        }
    }
  }
  return text;
}

TEST(TraceRoundTripTest, MutatedTextNeverCrashesAndAcceptedTextRoundTrips) {
  int accepted = 0;
  for (uint64_t seed = 0; seed < 4000; ++seed) {
    std::mt19937_64 rng(seed);
    std::string base = seed % 2 == 0
                           ? HandWritten()[seed / 2 % HandWritten().size()]
                           : PrintTrace(RandomTrace(rng, 15));
    const std::string text = Mutate(std::move(base), rng);
    absl::StatusOr<Trace> parsed = ParseTrace(text, "mutant");
    if (!parsed.ok()) {
      // Every error carries the source name and a position.
      ASSERT_EQ(parsed.status().message().rfind("mutant:", 0), 0u)
          << parsed.status();
      continue;
    }
    ++accepted;
    const std::string printed = PrintTrace(*parsed);
    absl::StatusOr<Trace> again = ParseTrace(printed, "mutant");
    ASSERT_TRUE(again.ok()) << again.status() << "\nfrom:\n" << text
                            << "\nprinted:\n" << printed;
    ASSERT_EQ(*again, *parsed) << "from:\n" << text << "\nprinted:\n"
                               << printed;
  }
  // Some mutants must still parse, or the round-trip half tests nothing.
  EXPECT_GT(accepted, 100);
}

}  // namespace
}  // namespace aiospec
