// The JUnit and JSON renderers on hand-made judgements (the model's verdicts
// are taken as given here; cli.* ctest entries check real runs).
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/cli/report.h"

namespace aiospec {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ReportEntry Entry(std::string target, std::string name, Verdict v, bool matches,
                  std::string note = "") {
  ReportEntry e;
  e.judgement.target = std::move(target);
  e.judgement.trace_name = name;
  e.judgement.trace_path = absl::StrCat("t/", name, ".trace");
  e.judgement.result.verdict = v;
  if (v == Verdict::kFail) {
    Explanation x;
    x.assertion_ids = {"AIO-READ-07"};
    x.message = "data <differs> & \"so\"";
    e.judgement.result.failure = x;
  }
  e.matches_baseline = matches;
  e.baseline_note = std::move(note);
  return e;
}

TEST(JunitTest, OneSuitePerTargetFailuresOnlyWhenNotInBaseline) {
  Report r;
  r.targets = {"glibc", "musl"};
  r.results.push_back(Entry("glibc", "a", Verdict::kPass, true));
  r.results.push_back(Entry("glibc", "b", Verdict::kFail, true, "known finding on glibc"));
  r.results.push_back(Entry("musl", "b", Verdict::kFail, false, "new finding on musl"));
  r.results.push_back(Entry("musl", "c", Verdict::kHang, false, "new finding"));
  r.results.push_back(Entry("musl", "d", Verdict::kUnsupported, true));
  std::string x = RenderJunit(r);
  EXPECT_THAT(x, HasSubstr("<testsuite name=\"glibc\" tests=\"2\" failures=\"0\" errors=\"0\""));
  EXPECT_THAT(x, HasSubstr("<testsuite name=\"musl\" tests=\"3\" failures=\"1\" errors=\"1\" "
                           "skipped=\"1\""));
  EXPECT_THAT(x, HasSubstr("<failure type=\"FAIL\" message=\"FAIL AIO-READ-07\">"));
  EXPECT_THAT(x, Not(HasSubstr("<differs>")));  // escaped
}

TEST(JunitTest, AFixedKnownFindingFailsAsStaleBaseline) {
  Report r;
  r.targets = {"glibc"};
  r.results.push_back(Entry("glibc", "a", Verdict::kPass, false, "known finding fixed"));
  EXPECT_THAT(RenderJunit(r), HasSubstr("<failure type=\"BASELINE\""));
}

TEST(RunJsonTest, CarriesSchemaExitCodeAndExplanation) {
  std::string js = RenderRunJson(Profile::kQoi, {Entry("glibc", "b", Verdict::kFail, true)}, 1);
  EXPECT_THAT(js, HasSubstr("\"schema\":\"aiospec-run/1\""));
  EXPECT_THAT(js, HasSubstr("\"exit_code\":1"));
  EXPECT_THAT(js, HasSubstr("\"assertion_ids\":[\"AIO-READ-07\"]"));
  EXPECT_THAT(js, HasSubstr("\\\"so\\\""));
}

TEST(FindingsTest, FailHangCrashOncePerTargetTraceAndIdsWithFileSafePaths) {
  Report r;
  r.targets = {"glibc", "agent:/opt/x"};
  r.results.push_back(Entry("glibc", "a", Verdict::kPass, true));
  r.results.push_back(Entry("glibc", "b", Verdict::kFail, true, "known finding on glibc"));
  r.results.push_back(Entry("glibc", "b", Verdict::kFail, true));  // the same trace again
  r.results.push_back(Entry("glibc", "d", Verdict::kUnsupported, true));
  r.results.push_back(Entry("agent:/opt/x", "c", Verdict::kHang, false));
  std::vector<Finding> f = CollectFindings(r);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].result, 1u);
  EXPECT_EQ(f[0].reproducer, "repro/glibc/b.c");
  EXPECT_EQ(f[1].result, 4u);
  EXPECT_EQ(f[1].reproducer, "repro/agent__opt_x/c.c");
  EXPECT_EQ(FindingMessage(r.results[1].judgement), "data <differs> & \"so\"");
  EXPECT_EQ(FindingMessage(r.results[4].judgement), "HANG");

  r.findings = f;
  r.findings[1].reproducer.clear();
  r.findings[1].reproducer_unavailable = "cannot emit op 'storm' yet";
  const std::string js = RenderJson(r);
  EXPECT_THAT(js, HasSubstr("\"findings\":[{\"target\":\"glibc\",\"trace\":\"b\""));
  EXPECT_THAT(js, HasSubstr("\"reproducer\":\"repro/glibc/b.c\""));
  EXPECT_THAT(js, HasSubstr("\"reproducer_unavailable\":\"cannot emit op 'storm' yet\""));
  EXPECT_THAT(RenderMarkdown(r), HasSubstr("[repro/glibc/b.c](repro/glibc/b.c)"));
  EXPECT_THAT(RenderHtml(r), HasSubstr("href=\"repro/glibc/b.c\">C reproducer</a>"));
}

}  // namespace
}  // namespace aiospec
