#include "fuzz/shrink.h"

#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "fuzz/guardrails.h"
#include "gtest/gtest.h"
#include "harness/trace/trace_parser.h"
#include "harness/trace/trace_printer.h"

namespace aiospec {
namespace {

Trace Parse(const std::string& body) {
  absl::StatusOr<Trace> t = ParseTrace("aiospec-trace 1\n" + body, "t");
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : Trace{};
}

// A fake judge: "FAIL AIO-WRITE-01" when some aio_write sends data with a
// 'z' in it, else "PASS". It insists on runnable traces, as a real run would.
std::string FakeJudge(const Trace& t, int* calls) {
  ++*calls;
  EXPECT_TRUE(CheckRunnable(t).ok()) << CheckRunnable(t);
  for (const Op& op : t.ops) {
    const auto* w = std::get_if<AioWrite>(&op.body);
    if (w && w->req.data && absl::StrContains(*w->req.data, "z")) {
      return "FAIL AIO-WRITE-01";
    }
  }
  return "PASS";
}

constexpr char kNoisy[] =
    "about \"noise\"\n"
    "covers AIO-READ-07\n"
    "file f content=\"0123456789abcdef\"\n"
    "file g\n"
    "pipe a b\n"
    "open d f flags=rdwr+append\n"
    "aio_read r fd=d offset=7 nbytes=4 notify=signal(3)\n"
    "write b data=\"hello\"\n"
    "wait r timeout=150ms\n"
    "aio_return r\n"
    "aio_write w fd=d offset=4096 data=\"xxzyy\" notify=thread(1)\n"
    "drain a max=3\n"
    "readback f\n"
    "aio_read q fd=a offset=0 nbytes=16\n"
    "aio_cancel a q\n"
    "readback g\n";

TEST(ShrinkTest, KeepsTheSignatureAndDropsTheNoise) {
  int calls = 0;
  JudgeFn judge = [&](const Trace& t) { return FakeJudge(t, &calls); };
  const Trace noisy = Parse(kNoisy);
  ASSERT_TRUE(CheckRunnable(noisy).ok()) << CheckRunnable(noisy);
  ShrinkResult r = ShrinkTrace(noisy, judge);
  EXPECT_EQ(r.signature, "FAIL AIO-WRITE-01");
  EXPECT_EQ(FakeJudge(r.trace, &calls), "FAIL AIO-WRITE-01");
  EXPECT_EQ(r.judgements, calls - 1);
  EXPECT_LE(r.judgements, ShrinkOptions{}.max_judgements);
  // file, open, aio_write: nothing else is needed, and the arguments are
  // as simple as the failure allows.
  EXPECT_EQ(PrintTrace(r.trace),
            "aiospec-trace 1\n"
            "file f\n"
            "open d f flags=rdwr\n"
            "aio_write w fd=d offset=0 data=\"z\"\n");
}

TEST(ShrinkTest, RespectsTheBudget) {
  int calls = 0;
  JudgeFn judge = [&](const Trace& t) { return FakeJudge(t, &calls); };
  ShrinkOptions options;
  options.max_judgements = 4;
  ShrinkResult r = ShrinkTrace(Parse(kNoisy), judge, options);
  EXPECT_LE(calls, 4);
  EXPECT_EQ(r.signature, "FAIL AIO-WRITE-01");
  EXPECT_EQ(FakeJudge(r.trace, &calls), "FAIL AIO-WRITE-01");
}

TEST(ShrinkTest, AFlakyJudgeShrinksNothing) {
  int calls = 0;
  // Fails only on the first run: no candidate ever reproduces it.
  JudgeFn judge = [&](const Trace&) {
    return ++calls == 1 ? std::string("FAIL X") : std::string("PASS");
  };
  const Trace noisy = Parse(kNoisy);
  ShrinkResult r = ShrinkTrace(noisy, judge);
  EXPECT_EQ(r.trace, noisy);
  EXPECT_EQ(r.signature, "FAIL X");
}

}  // namespace
}  // namespace aiospec
