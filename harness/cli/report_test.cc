// The report's roll-ups on hand-made judgements: the assertion matrix
// (UNTESTED rows, traces that failed on other assertions), findings grouped
// per target and assertion IDs with a minimal trace, and --repeat rates.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/cli/report.h"

namespace aiospec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

ReportEntry Entry(std::string target, std::string name, Verdict v,
                  std::vector<std::string> covers, std::vector<std::string> cited = {},
                  int ops = 1) {
  ReportEntry e;
  e.judgement.target = std::move(target);
  e.judgement.trace_name = name;
  e.judgement.trace_path = absl::StrCat("t/", name, ".trace");
  e.judgement.trace.covers = std::move(covers);
  e.judgement.trace.ops.resize(ops, Op{DeclarePipe{}, {}});
  e.judgement.result.verdict = v;
  if (v != Verdict::kPass) {
    e.judgement.result.failure = Explanation{};
    e.judgement.result.failure->assertion_ids = std::move(cited);
    e.judgement.result.failure->message = absl::StrCat(name, " went wrong");
  }
  return e;
}

TEST(AssertionMatrixTest, AFailureOnAnotherAssertionSaysNothingAboutThisOne) {
  Report r;
  r.targets = {"glibc", "musl"};
  // Fails on Y at some step: the model judged nothing after it, so X is
  // neither PASS nor against it (it was UNRESOLVED before).
  r.results.push_back(Entry("glibc", "a", Verdict::kFail, {"AIO-X-01", "AIO-Y-01"}, {"AIO-Y-01"}));
  r.results.push_back(Entry("musl", "a", Verdict::kFail, {"AIO-X-01", "AIO-Y-01"}, {"AIO-Y-01"}));
  r.results.push_back(Entry("musl", "b", Verdict::kPass, {"AIO-X-01"}));
  const auto m = AssertionMatrix(r);
  EXPECT_THAT(m.at("AIO-X-01"), UnorderedElementsAre(Pair("glibc", Verdict::kUntested),
                                                     Pair("musl", Verdict::kPass)));
  EXPECT_THAT(m.at("AIO-Y-01"), UnorderedElementsAre(Pair("glibc", Verdict::kFail),
                                                     Pair("musl", Verdict::kFail)));
  // The HTML cell says why, and opens the trace that failed first.
  EXPECT_THAT(RenderHtml(r), HasSubstr("<tr><td>AIO-X-01</td><td class=\"v UNTESTED\">"
                                       "<span title=\"not reached: the traces that cover it "
                                       "failed first on other assertions (this link opens "
                                       "one)\"><a href=\"#f0\">UNTESTED</a>*</span></td>"));
}

TEST(AssertionMatrixTest, RequiredIdsNoTraceCoversAreUntestedRowsAndCounted) {
  Report r;
  r.targets = {"glibc", "musl"};
  r.required = {"AIO-X-01", "AIO-Z-09"};
  r.results.push_back(Entry("glibc", "b", Verdict::kPass, {"AIO-X-01"}));
  r.results.push_back(Entry("glibc", "c", Verdict::kUnresolved, {"AIO-X-01"}));
  const auto m = AssertionMatrix(r);
  EXPECT_EQ(m.at("AIO-X-01").at("glibc"), Verdict::kUnresolved);  // the worst
  EXPECT_EQ(m.at("AIO-X-01").at("musl"), Verdict::kUntested);
  EXPECT_THAT(m.at("AIO-Z-09"), UnorderedElementsAre(Pair("glibc", Verdict::kUntested),
                                                     Pair("musl", Verdict::kUntested)));
  EXPECT_EQ(UntestedCount(m, "glibc"), 1);
  EXPECT_EQ(UntestedCount(m, "musl"), 2);
  EXPECT_THAT(RenderMarkdown(r), HasSubstr("| UNRESOLVED | UNSUPPORTED | UNTESTED |"));
  EXPECT_THAT(RenderMarkdown(r), HasSubstr("| AIO-Z-09 | UNTESTED | UNTESTED |"));
  EXPECT_THAT(RenderHtml(r), HasSubstr(">UNTESTED</th></tr>"));
  EXPECT_THAT(RenderSummary(r), HasSubstr("musl             no results; 2 assertions UNTESTED"));
  EXPECT_THAT(RenderJson(r), HasSubstr("\"AIO-Z-09\":{\"glibc\":\"UNTESTED\",\"musl\":\"UNTESTED\"}"));
}

TEST(FindingsTest, GroupedPerTargetAndIdsWithTheFewestOpsAsMinimalTrace) {
  Report r;
  r.targets = {"glibc", "musl"};
  r.results.push_back(Entry("glibc", "long", Verdict::kFail, {}, {"AIO-B-01", "AIO-A-01"}, 9));
  r.results.push_back(Entry("glibc", "short", Verdict::kFail, {}, {"AIO-A-01", "AIO-B-01"}, 3));
  r.results.push_back(Entry("glibc", "mid", Verdict::kFail, {}, {"AIO-A-01", "AIO-B-01"}, 5));
  r.results.push_back(Entry("musl", "mid", Verdict::kFail, {}, {"AIO-A-01", "AIO-B-01"}, 5));
  r.results.push_back(Entry("glibc", "other", Verdict::kFail, {}, {"AIO-A-01"}, 2));
  // HANGs citing no ID are different findings unless the trace is the same.
  r.results.push_back(Entry("glibc", "h1", Verdict::kHang, {}, {}, 2));
  r.results.push_back(Entry("glibc", "h2", Verdict::kHang, {}, {}, 1));
  std::vector<Finding> f = CollectFindings(r);
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(f[0].result, 1u);  // "short"
  EXPECT_THAT(f[0].others, ElementsAre(0u, 2u));
  EXPECT_EQ(f[0].reproducer, "repro/glibc/short.c");
  EXPECT_EQ(f[1].result, 3u);  // musl is its own group
  EXPECT_TRUE(f[1].others.empty());
  EXPECT_EQ(f[2].result, 4u);
  EXPECT_EQ(f[3].result, 5u);
  EXPECT_EQ(f[4].result, 6u);

  r.findings = f;
  EXPECT_THAT(RenderJson(r), HasSubstr("\"trace\":\"short\",\"path\":\"t/short.trace\","
                                       "\"assertion_ids\":[\"AIO-A-01\",\"AIO-B-01\"]"));
  EXPECT_THAT(RenderJson(r), HasSubstr("\"other_traces\":[\"long\",\"mid\"]"));
  EXPECT_THAT(RenderMarkdown(r), HasSubstr("| long mid |"));
  EXPECT_THAT(RenderHtml(r), HasSubstr("also: <a href=\"#f0\">long</a>, <a href=\"#f2\">mid</a>"));
  // The matrix cell opens the minimal trace, not the first result citing the IDs.
  EXPECT_THAT(RenderHtml(r), HasSubstr("<tr><td>AIO-B-01</td><td class=\"v FAIL\">"
                                       "<a href=\"#f1\">FAIL</a>"));
}

TEST(RepeatTest, RatesPerVerdictInEveryForm) {
  Report r;
  r.targets = {"glibc"};
  r.repeat = 20;
  ReportEntry e = Entry("glibc", "race", Verdict::kFail, {"AIO-P-02"}, {"AIO-P-02"});
  e.runs = {{Verdict::kPass, 5}, {Verdict::kFail, 15}};
  r.results.push_back(e);
  ReportEntry calm = Entry("glibc", "calm", Verdict::kPass, {"AIO-P-03"});
  calm.runs = {{Verdict::kPass, 20}};
  r.results.push_back(calm);
  r.findings = CollectFindings(r);
  EXPECT_EQ(RateText(r.results[0]), "FAIL 15/20");
  EXPECT_EQ(RateText(r.results[1]), "PASS 20/20");
  EXPECT_EQ(RateText(Entry("glibc", "once", Verdict::kHang, {})), "HANG");
  ReportEntry mixed = e;
  mixed.runs = {{Verdict::kPass, 16}, {Verdict::kFail, 3}, {Verdict::kHang, 1}};
  EXPECT_EQ(RateText(mixed), "FAIL 3/20, HANG 1/20");

  EXPECT_THAT(RenderSummary(r), HasSubstr("FAIL 15/20 glibc            race"));
  EXPECT_THAT(RenderMarkdown(r), HasSubstr("| race | FAIL 15/20 |"));
  EXPECT_THAT(RenderMarkdown(r), HasSubstr("### glibc: race — FAIL 15/20"));
  EXPECT_THAT(RenderHtml(r), HasSubstr(">FAIL 15/20</td>"));
  const std::string js = RenderJson(r);
  EXPECT_THAT(js, HasSubstr("\"repeat\":20"));
  EXPECT_THAT(js, HasSubstr("\"runs\":{\"PASS\":5,\"FAIL\":15}"));
  EXPECT_THAT(js, HasSubstr("\"runs\":{\"PASS\":20}"));
}

TEST(ChoicesTest, TheHtmlHasTheImplementationDefinedChoicesTable) {
  Report r;
  r.targets = {"glibc", "musl"};
  ReportEntry e = Entry("glibc", "a", Verdict::kPass, {});
  e.judgement.result.choices = {"AIO-READ-16: EBADF reported asynchronously"};
  r.results.push_back(e);
  r.results.push_back(e);
  const std::string h = RenderHtml(r);
  EXPECT_THAT(h, HasSubstr("<h2 id=\"choices\">Implementation-defined choices</h2>"));
  EXPECT_THAT(h, HasSubstr("<tr><td>AIO-READ-16: EBADF reported asynchronously</td>"
                           "<td class=\"nw\">seen 2×</td><td class=\"nw\"></td></tr>"));
}

}  // namespace
}  // namespace aiospec
