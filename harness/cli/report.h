// The compliance report: verdicts of many traces on many targets, rolled up
// per assertion ID, in Markdown (for people) and JSON (for machines).
//
// Per assertion and target the verdict is the worst of what the traces
// covering it say about it (docs/REPORT_SCHEMA.md, "assertions"): FAIL when a
// trace's failure cites the assertion, HANG or CRASH when a covering trace
// hung or crashed, UNRESOLVED when the model gave up on one, PASS when one
// passed, and UNTESTED when none judged it: no trace covers it (every
// required catalogue ID has a row), or the only covering traces failed
// earlier on other assertions (the model stops at the first rejected
// observation, so the rest of such a trace was never judged).
//
// Usage:
//   Report report{.profile = Profile::kQoi, .targets = {"glibc", "musl"}};
//   report.results.push_back(ReportEntry{judgement, "known finding"});
//   FileReproducers("out", report);    // reproducer.h: report.findings + out/repro/
//   WriteFile("report.md", RenderMarkdown(report));
//   WriteFile("report.json", RenderJson(report));
//   WriteFile("report.html", RenderHtml(report));
#ifndef AIOSPEC_HARNESS_CLI_REPORT_H_
#define AIOSPEC_HARNESS_CLI_REPORT_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/cli/fault_table.h"
#include "harness/cli/judge.h"
#include "model/checker.h"

namespace aiospec {

struct ReportEntry {
  // With --repeat, the run shown: the first that differs from the baseline,
  // else the first of the worst verdict seen.
  Judgement judgement;
  std::string baseline_note;  // "", "known finding ...", "new finding ..."
  bool matches_baseline = true;  // with --repeat: every run matched
  // With --repeat: how many runs got each verdict. Empty: one run, judgement's.
  std::map<Verdict, int> runs;
};

// Higher is worse: UNTESTED, UNSUPPORTED, PASS, UNRESOLVED, HANG, CRASH, FAIL.
// Rolls several traces (or runs) into one verdict.
int VerdictSeverity(Verdict v);

// The runs of an entry per verdict ({judgement's verdict: 1} for one run).
std::map<Verdict, int> RunCounts(const ReportEntry& e);
// The verdict with its rate when the trace ran more than once, worst first
// and PASS left out unless nothing else showed: "FAIL", "FAIL 15/20",
// "FAIL 3/20, HANG 1/20", "PASS 20/20".
std::string RateText(const ReportEntry& e);

// A target that could not run at all (agent missing, ...).
struct BrokenTarget {
  std::string target;
  std::string reason;
};

// A finding: a FAIL, HANG or CRASH of one trace on one target, known to the
// baseline or not (a known one is exactly what a distribution reports
// upstream), with its C reproducer when harness/repro can write one.
// Findings are grouped per target, verdict and sorted assertion IDs (a HANG
// or CRASH citing no ID only with its own trace): `result` is the group's
// trace with the fewest ops, `others` the rest.
struct Finding {
  size_t result = 0;                   // index into Report::results
  std::vector<size_t> others;          // more results showing it, in result order
  std::string reproducer;              // relative to the report directory
  std::string reproducer_unavailable;  // else why not, one line
};

struct Report {
  Profile profile = Profile::kQoi;
  std::vector<std::string> targets;
  std::vector<ReportEntry> results;
  std::vector<BrokenTarget> broken;
  std::vector<Finding> findings;  // CollectFindings, filled in by FileReproducers
  int repeat = 1;                 // runs of each trace per target
  // The catalogue's required IDs (catalogue.h, RequiredIds): each is a row
  // of the matrix, UNTESTED where no trace judged it.
  std::vector<std::string> required;
  // `report --faults FILE`: the seeded-faults table (fault_table.h), shown
  // after the choices in every format but JUnit.
  std::optional<FaultTable> faults;
};

// The report's findings, grouped as above, in the order of each group's
// first result, each with its minimal trace's reproducer path
// repro/TARGET/TRACE.c (the target's name made file-safe, and unique within
// the report).
std::vector<Finding> CollectFindings(const Report& report);
// The first line of a finding's explanation (its verdict when it has none).
std::string FindingMessage(const Judgement& j);

// assertion ID -> target -> verdict, per the rules above.
std::map<std::string, std::map<std::string, Verdict>> AssertionMatrix(
    const Report& report);
// How many assertions (rows of the matrix) are UNTESTED on `target`.
int UntestedCount(const std::map<std::string, std::map<std::string, Verdict>>& matrix,
                  const std::string& target);

std::string RenderMarkdown(const Report& report);
// One self-contained page (no external assets; reproducers are linked as
// files of the report directory): the summary, the matrix of assertions by
// targets colour-coded by verdict, the findings per target with their
// reproducers, each non-PASS result with its explanation, timeline of the
// requests (timeline.h), trace and replay command behind a click, and the
// implementation-defined choices each target made.
std::string RenderHtml(const Report& report);
// The JSON of report.json; shape in docs/REPORT_SCHEMA.md ("aiospec-report/1").
std::string RenderJson(const Report& report);
// One element of "results" (report.json and `run --json`).
std::string ResultJson(const ReportEntry& entry);
// `run --json` / `check --json`: {"schema":"aiospec-run/1", "profile", "exit_code",
// "results":[ResultJson...]}.
std::string RenderRunJson(Profile profile, const std::vector<ReportEntry>& results,
                          int exit_code);
// JUnit XML for CI systems: one testsuite per target, one testcase per trace,
// a <failure> (FAIL, UNRESOLVED) or <error> (HANG, CRASH) carrying the model's
// explanation, <skipped> for UNSUPPORTED/UNTESTED. A verdict that matches the
// baseline is a pass with the note in <system-out>.
std::string RenderJunit(const Report& report);
// A few lines for the terminal: counts per target and the findings;
// verdicts coloured when `color` (see color.h).
std::string RenderSummary(const Report& report, bool color = false);
// A JSON string literal.
std::string JsonString(std::string_view s);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_CLI_REPORT_H_
