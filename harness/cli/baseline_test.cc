#include "harness/cli/baseline.h"

#include "gtest/gtest.h"

namespace aiospec {
namespace {

Judgement MakeJudgement(std::string name, Verdict v, std::vector<std::string> ids) {
  Judgement j;
  j.trace_name = std::move(name);
  j.target = "glibc";
  j.result.verdict = v;
  if (v != Verdict::kPass) {
    j.result.failure = Explanation{};
    j.result.failure->assertion_ids = std::move(ids);
  }
  return j;
}

TEST(Baseline, ParsesAndRejectsWithLocation) {
  absl::StatusOr<Baseline> b = ParseBaseline(
      "# header\nclose_reuse FAIL AIO-PROC-02\n\nhang_trace HANG\n", "glibc.txt");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->by_trace.size(), 2u);
  EXPECT_EQ(b->by_trace.find("close_reuse")->second.assertion_ids,
            std::vector<std::string>{"AIO-PROC-02"});

  absl::StatusOr<Baseline> bad = ParseBaseline("x PASS\n", "glibc.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().substr(0, 14), "glibc.txt:1:1:");
  EXPECT_FALSE(ParseBaseline("a FAIL\na HANG\n", "b").ok());
}

TEST(Baseline, MatchesOnlyTheSameVerdictAndIds) {
  Baseline b = *ParseBaseline("t FAIL AIO-PROC-02\n", "b");
  EXPECT_TRUE(CompareToBaseline(b, MakeJudgement("t", Verdict::kFail, {"AIO-PROC-02"})).matches);
  // A known FAIL that now passes must be reported, so the baseline shrinks.
  EXPECT_FALSE(CompareToBaseline(b, MakeJudgement("t", Verdict::kPass, {})).matches);
  // The same trace failing for another reason is a change.
  EXPECT_FALSE(CompareToBaseline(b, MakeJudgement("t", Verdict::kFail, {"AIO-READ-01"})).matches);
  // A trace not in the baseline must pass.
  EXPECT_TRUE(CompareToBaseline(b, MakeJudgement("u", Verdict::kPass, {})).matches);
  EXPECT_FALSE(CompareToBaseline(b, MakeJudgement("u", Verdict::kHang, {})).matches);
}

TEST(Baseline, RaceAcceptsPassOrThatFindingOnly) {
  Baseline b = *ParseBaseline("t RACE FAIL AIO-GEN-05\n", "b");
  ASSERT_TRUE(b.by_trace.find("t")->second.racy);
  BaselineComparison pass = CompareToBaseline(b, MakeJudgement("t", Verdict::kPass, {}));
  EXPECT_TRUE(pass.matches);
  EXPECT_NE(pass.message.find("not seen this run"), std::string::npos);
  EXPECT_TRUE(CompareToBaseline(b, MakeJudgement("t", Verdict::kFail, {"AIO-GEN-05"})).matches);
  EXPECT_FALSE(CompareToBaseline(b, MakeJudgement("t", Verdict::kFail, {"AIO-READ-01"})).matches);
  EXPECT_FALSE(CompareToBaseline(b, MakeJudgement("t", Verdict::kHang, {})).matches);
  EXPECT_FALSE(ParseBaseline("t RACE\n", "b").ok());
  // Printing keeps the mark.
  EXPECT_TRUE(ParseBaseline(PrintBaseline(b, "x"), "b2")->by_trace.find("t")->second.racy);
}

TEST(Baseline, ARaceMayListSeveralOutcomesOneALine) {
  Baseline b = *ParseBaseline("t RACE FAIL AIO-PROC-02\nt RACE FAIL AIO-PROC-03\n", "b");
  EXPECT_EQ(b.by_trace.count("t"), 2u);
  EXPECT_TRUE(CompareToBaseline(b, MakeJudgement("t", Verdict::kPass, {})).matches);
  EXPECT_TRUE(CompareToBaseline(b, MakeJudgement("t", Verdict::kFail, {"AIO-PROC-02"})).matches);
  BaselineComparison other = CompareToBaseline(b, MakeJudgement("t", Verdict::kFail, {"AIO-PROC-03"}));
  EXPECT_TRUE(other.matches);
  EXPECT_NE(other.message.find("FAIL AIO-PROC-03"), std::string::npos);
  EXPECT_FALSE(CompareToBaseline(b, MakeJudgement("t", Verdict::kFail, {"AIO-PROC-01"})).matches);
  EXPECT_EQ(ParseBaseline(PrintBaseline(b, "x"), "b2")->by_trace.count("t"), 2u);
  // Only races have several outcomes.
  EXPECT_FALSE(ParseBaseline("t RACE FAIL AIO-PROC-02\nt FAIL AIO-PROC-03\n", "b").ok());
  EXPECT_FALSE(ParseBaseline("t FAIL AIO-PROC-02\nt RACE FAIL AIO-PROC-03\n", "b").ok());
}

TEST(Baseline, PathsOfTargetSpecsArePlainFileNames) {
  EXPECT_EQ(BaselinePath("d", "glibc"), "d/glibc.txt");
  EXPECT_EQ(BaselinePath("d", "cross:aarch64"), "d/cross-aarch64.txt");
  EXPECT_EQ(BaselinePath("d", "agent:/opt/a"), "d/agent--opt-a.txt");
}

TEST(Baseline, PrintParsesBack) {
  Baseline b = *ParseBaseline("t FAIL AIO-B-2 AIO-A-1\nu CRASH\n", "b");
  absl::StatusOr<Baseline> again = ParseBaseline(PrintBaseline(b, "test"), "b2");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->by_trace.size(), 2u);
  EXPECT_EQ(again->by_trace.find("t")->second.assertion_ids,
            (std::vector<std::string>{"AIO-A-1", "AIO-B-2"}));
}

}  // namespace
}  // namespace aiospec
