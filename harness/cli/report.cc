#include "harness/cli/report.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "harness/cli/color.h"
#include "harness/cli/timeline.h"
#include "harness/trace/trace_printer.h"

namespace aiospec {
namespace {

// How many of `target`'s traces got each verdict.
std::map<Verdict, int> VerdictCounts(const Report& report, const std::string& target) {
  std::map<Verdict, int> counts;
  for (const ReportEntry& e : report.results) {
    if (e.judgement.target == target) ++counts[e.judgement.result.verdict];
  }
  return counts;
}

int TraceCount(const std::map<Verdict, int>& counts) {
  int n = 0;
  for (const auto& [verdict, count] : counts) n += count;
  return n;
}

std::vector<std::string> FailureIds(const Judgement& j) {
  return j.result.failure ? j.result.failure->assertion_ids : std::vector<std::string>{};
}

bool IsFinding(Verdict v) {
  return v == Verdict::kFail || v == Verdict::kHang || v == Verdict::kCrash;
}

// A target's name as one path component: agent:/a/b -> agent__a_b.
std::string FileSafe(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      c = '_';
    }
  }
  return out;
}

bool Cites(const Judgement& j, const std::string& id) {
  if (!j.result.failure.has_value()) return false;
  const auto& ids = j.result.failure->assertion_ids;
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

int VerdictSeverity(Verdict v) {
  switch (v) {
    case Verdict::kUntested: return 0;
    case Verdict::kUnsupported: return 1;
    case Verdict::kPass: return 2;
    case Verdict::kUnresolved: return 3;
    case Verdict::kHang: return 4;
    case Verdict::kCrash: return 5;
    case Verdict::kFail: return 6;
  }
  return 6;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

namespace {

std::string JsonStrings(const std::vector<std::string>& v) {
  std::vector<std::string> quoted;
  for (const std::string& s : v) quoted.push_back(JsonString(s));
  return absl::StrCat("[", absl::StrJoin(quoted, ","), "]");
}

std::string MarkdownCell(std::string_view s) {
  return absl::StrReplaceAll(absl::string_view(s.data(), s.size()), {{"|", "\\|"}, {"\n", " "}});
}

// What the summary counts when traces ran more than once.
std::string RepeatNote(const Report& report) {
  return absl::StrCat("Each trace ran ", report.repeat,
                      " times per target. A trace counts under the verdict of the run shown: "
                      "the first that differs from the baseline, else the first of the worst "
                      "verdict; the findings and details give the rates.");
}

// The names of the traces a finding groups besides its minimal one.
std::vector<std::string> OtherTraces(const Report& report, const Finding& f) {
  std::vector<std::string> names;
  for (size_t i : f.others) names.push_back(report.results[i].judgement.trace_name);
  return names;
}

// choice -> target -> how many traces showed it.
using ChoiceTable = std::map<std::string, std::map<std::string, int>>;

ChoiceTable ChoiceCounts(const Report& report) {
  ChoiceTable choices;
  for (const ReportEntry& e : report.results) {
    for (const std::string& c : e.judgement.result.choices) ++choices[c][e.judgement.target];
  }
  return choices;
}

// "seen 3×", or "" when `target` never showed the choice.
std::string SeenText(const std::map<std::string, int>& per_target, const std::string& target) {
  auto it = per_target.find(target);
  return it == per_target.end() ? "" : absl::StrCat("seen ", it->second, "×");
}

}  // namespace

std::map<Verdict, int> RunCounts(const ReportEntry& e) {
  if (!e.runs.empty()) return e.runs;
  return {{e.judgement.result.verdict, 1}};
}

std::string RateText(const ReportEntry& e) {
  const std::map<Verdict, int> runs = RunCounts(e);
  int total = 0;
  std::vector<std::pair<Verdict, int>> shown;
  for (const auto& [v, n] : runs) {
    total += n;
    if (v != Verdict::kPass) shown.emplace_back(v, n);
  }
  if (total == 1) return VerdictName(runs.begin()->first);
  if (shown.empty()) shown.emplace_back(Verdict::kPass, total);
  std::stable_sort(shown.begin(), shown.end(), [](const auto& a, const auto& b) {
    return VerdictSeverity(a.first) > VerdictSeverity(b.first);
  });
  std::vector<std::string> parts;
  for (const auto& [v, n] : shown) parts.push_back(absl::StrCat(VerdictName(v), " ", n, "/", total));
  return absl::StrJoin(parts, ", ");
}

std::vector<Finding> CollectFindings(const Report& report) {
  // (target, verdict, sorted IDs, trace when no ID) -> index into findings
  std::map<std::tuple<std::string, Verdict, std::vector<std::string>, std::string>, size_t> group;
  std::vector<Finding> findings;
  auto ops = [&](size_t i) { return report.results[i].judgement.trace.ops.size(); };
  for (size_t i = 0; i < report.results.size(); ++i) {
    const Judgement& j = report.results[i].judgement;
    if (!IsFinding(j.result.verdict)) continue;
    std::vector<std::string> ids = FailureIds(j);
    std::sort(ids.begin(), ids.end());
    // A HANG or CRASH citing nothing is the same finding only as its own trace.
    const std::string trace = ids.empty() ? j.trace_name : "";
    auto [it, fresh] = group.emplace(std::tuple{j.target, j.result.verdict, ids, trace},
                                     findings.size());
    if (fresh) {
      findings.emplace_back().result = i;
      continue;
    }
    Finding& f = findings[it->second];
    const bool seen = report.results[f.result].judgement.trace_name == j.trace_name ||
                      std::any_of(f.others.begin(), f.others.end(), [&](size_t o) {
                        return report.results[o].judgement.trace_name == j.trace_name;
                      });
    if (seen) continue;  // the same trace given twice
    size_t other = i;
    if (ops(other) < ops(f.result)) std::swap(f.result, other);
    f.others.push_back(other);
  }
  std::set<std::string> paths;
  for (Finding& f : findings) {
    std::sort(f.others.begin(), f.others.end());
    const Judgement& j = report.results[f.result].judgement;
    const std::string stem = absl::StrCat("repro/", FileSafe(j.target), "/", j.trace_name);
    f.reproducer = absl::StrCat(stem, ".c");
    for (int n = 2; !paths.insert(f.reproducer).second; ++n) {
      f.reproducer = absl::StrCat(stem, "-", n, ".c");
    }
  }
  return findings;
}

std::string FindingMessage(const Judgement& j) {
  if (!j.result.failure || j.result.failure->message.empty()) return VerdictName(j.result.verdict);
  const std::string& m = j.result.failure->message;
  return m.substr(0, m.find('\n'));
}

std::map<std::string, std::map<std::string, Verdict>> AssertionMatrix(
    const Report& report) {
  std::map<std::string, std::map<std::string, Verdict>> matrix;
  for (const std::string& id : report.required) matrix[id];
  for (const ReportEntry& e : report.results) {
    const Judgement& j = e.judgement;
    std::set<std::string> ids(j.trace.covers.begin(), j.trace.covers.end());
    const std::vector<std::string> cited = FailureIds(j);
    if (j.result.verdict == Verdict::kFail) ids.insert(cited.begin(), cited.end());
    for (const std::string& id : ids) {
      std::map<std::string, Verdict>& row = matrix[id];
      // The model stops at the first observation it rejects: a trace that
      // failed on other assertions never had the rest of its run judged, so
      // it says nothing about this one, neither PASS nor against it.
      if (j.result.verdict == Verdict::kFail && !Cites(j, id)) continue;
      auto [it, fresh] = row.emplace(j.target, j.result.verdict);
      if (!fresh && VerdictSeverity(j.result.verdict) > VerdictSeverity(it->second)) {
        it->second = j.result.verdict;
      }
    }
  }
  for (auto& [id, row] : matrix) {
    for (const std::string& t : report.targets) row.emplace(t, Verdict::kUntested);
  }
  return matrix;
}

int UntestedCount(const std::map<std::string, std::map<std::string, Verdict>>& matrix,
                  const std::string& target) {
  int n = 0;
  for (const auto& [id, row] : matrix) {
    auto it = row.find(target);
    n += it != row.end() && it->second == Verdict::kUntested;
  }
  return n;
}

std::string RenderSummary(const Report& report, bool color) {
  std::string out;
  const auto matrix = AssertionMatrix(report);
  for (const std::string& t : report.targets) {
    const std::map<Verdict, int> counts = VerdictCounts(report, t);
    std::vector<std::string> parts;
    for (const auto& [v, n] : counts) {
      parts.push_back(absl::StrCat(n, " ", Colored(VerdictName(v), v, color)));
    }
    absl::StrAppendFormat(&out, "  %-16s %s; %d assertions %s\n", t,
                          parts.empty() ? "no results" : absl::StrJoin(parts, ", "),
                          UntestedCount(matrix, t),
                          Colored("UNTESTED", Verdict::kUntested, color));
  }
  for (const BrokenTarget& b : report.broken) {
    absl::StrAppendFormat(&out, "  %-16s NOT RUN: %s\n", b.target, b.reason);
  }
  for (const ReportEntry& e : report.results) {
    const Judgement& j = e.judgement;
    if (j.result.verdict == Verdict::kPass) continue;
    std::string name = absl::StrFormat("%-6s", RateText(e));
    const bool has_ids = j.result.failure && !j.result.failure->assertion_ids.empty();
    // UNSUPPORTED says what the harness could not run: show why, not a baseline status.
    const std::string note =
        j.result.verdict == Verdict::kUnsupported
            ? (j.result.failure ? absl::StrCat(" (", j.result.failure->message, ")") : "")
            : (e.matches_baseline ? " (known)" : " (NEW: differs from baseline)");
    absl::StrAppendFormat(&out, "  %s %-16s %s%s%s\n", Colored(name, j.result.verdict, color),
                          j.target, j.trace_name,
                          has_ids ? absl::StrCat(" [", absl::StrJoin(j.result.failure->assertion_ids, " "), "]") : "",
                          note);
  }
  return out;
}

std::string RenderMarkdown(const Report& report) {
  std::string md = "# aiospec compliance report\n\n";
  absl::StrAppend(&md, "Profile: `", ProfileName(report.profile),
                  "`. Targets: ", absl::StrJoin(report.targets, ", "),
                  ". Every verdict below comes from the model in `model/`.\n\n");
  const auto matrix = AssertionMatrix(report);
  md += "## Summary\n\n";
  if (report.repeat > 1) absl::StrAppend(&md, RepeatNote(report), "\n\n");
  md += "| target | traces | PASS | FAIL | HANG | CRASH | UNRESOLVED | UNSUPPORTED | UNTESTED |\n"
        "|---|---|---|---|---|---|---|---|---|\n";
  for (const std::string& t : report.targets) {
    std::map<Verdict, int> c = VerdictCounts(report, t);
    const int n = TraceCount(c);
    absl::StrAppendFormat(&md, "| %s | %d | %d | %d | %d | %d | %d | %d | %d |\n", t, n,
                          c[Verdict::kPass], c[Verdict::kFail], c[Verdict::kHang],
                          c[Verdict::kCrash], c[Verdict::kUnresolved], c[Verdict::kUnsupported],
                          UntestedCount(matrix, t));
  }
  md += "\nThe verdict columns count traces; UNTESTED counts assertions no trace judged on "
        "the target (every required catalogue ID is one).\n";
  for (const BrokenTarget& b : report.broken) {
    absl::StrAppend(&md, "\n**", b.target, " not run:** ", MarkdownCell(b.reason), "\n");
  }

  md += "\n## Assertions\n\n| assertion |";
  for (const std::string& t : report.targets) absl::StrAppend(&md, " ", t, " |");
  md += "\n|---|";
  for (size_t i = 0; i < report.targets.size(); ++i) md += "---|";
  md += "\n";
  for (const auto& [id, row] : matrix) {
    absl::StrAppend(&md, "| ", id, " |");
    for (const std::string& t : report.targets) {
      absl::StrAppend(&md, " ", VerdictName(row.at(t)), " |");
    }
    md += "\n";
  }

  md += "\n## Findings\n\n";
  if (report.findings.empty()) {
    md += "None.\n";
  } else {
    md += "Each FAIL, HANG and CRASH (known to the baseline or not), with a standalone C "
          "reproducer: `cc -std=c99 -pthread FILE -lrt`, exit 0 PASS, 1 FAIL, 2 "
          "INCONCLUSIVE. The trace is the group's minimal one (fewest ops); the others "
          "show the same finding.\n\n"
          "| target | assertions | trace | verdict | message | reproducer | also shown by |\n"
          "|---|---|---|---|---|---|---|\n";
    for (const Finding& f : report.findings) {
      const ReportEntry& e = report.results[f.result];
      const Judgement& j = e.judgement;
      absl::StrAppend(&md, "| ", MarkdownCell(j.target), " | ",
                      absl::StrJoin(FailureIds(j), " "), " | ", j.trace_name, " | ",
                      RateText(e), " | ", MarkdownCell(FindingMessage(j)), " | ",
                      f.reproducer.empty()
                          ? absl::StrCat("none: ", MarkdownCell(f.reproducer_unavailable))
                          : absl::StrCat("[", f.reproducer, "](", f.reproducer, ")"),
                      " | ", absl::StrJoin(OtherTraces(report, f), " "), " |\n");
    }
  }

  md += "\n## Details\n\n";
  bool any = false;
  for (const ReportEntry& e : report.results) {
    const Judgement& j = e.judgement;
    if (j.result.verdict == Verdict::kPass) continue;
    any = true;
    absl::StrAppend(&md, "### ", j.target, ": ", j.trace_name, " — ", RateText(e), "\n\n");
    if (!e.baseline_note.empty()) absl::StrAppend(&md, "_", e.baseline_note, "_\n\n");
    absl::StrAppend(&md, "```\n", FormatResult(j.result, j.trace), "```\n\n");
    absl::StrAppend(&md, "Replay: `aiospec run ", j.trace_path, " --target ",
                    j.target, " --profile ", ProfileName(report.profile),
                    "`\n\n<details><summary>trace</summary>\n\n```\n",
                    PrintTrace(j.trace), "```\n</details>\n\n");
  }
  if (!any) md += "None.\n";

  md += "\n## Implementation-defined choices\n\n";
  const ChoiceTable choices = ChoiceCounts(report);
  if (choices.empty()) {
    md += "None recorded.\n";
  } else {
    md += "| choice |";
    for (const std::string& t : report.targets) absl::StrAppend(&md, " ", t, " |");
    md += "\n|---|";
    for (size_t i = 0; i < report.targets.size(); ++i) md += "---|";
    md += "\n";
    for (const auto& [c, per] : choices) {
      absl::StrAppend(&md, "| ", MarkdownCell(c), " |");
      for (const std::string& t : report.targets) {
        absl::StrAppend(&md, " ", SeenText(per, t), " |");
      }
      md += "\n";
    }
  }
  if (report.faults.has_value()) md += FaultTableMarkdown(*report.faults);
  return md;
}

namespace {

// A matrix cell; `link` opens the finding's details, `repro` is its C file.
std::string VerdictCell(Verdict v, std::string_view link = "", std::string_view repro = "",
                        std::string_view title = "") {
  std::string name = VerdictName(v);
  std::string text = link.empty() ? name : absl::StrCat("<a href=\"#", std::string(link), "\">", name, "</a>");
  if (!title.empty()) {
    text = absl::StrCat("<span title=\"", HtmlEscape(title), "\">", text, "*</span>");
  }
  if (!repro.empty()) {
    absl::StrAppend(&text, " <a class=\"repro\" href=\"", std::string(repro),
                    "\" title=\"C reproducer\">C</a>");
  }
  return absl::StrCat("<td class=\"v ", name, "\">", text, "</td>");
}

constexpr char kStyle[] = R"css(
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{margin-bottom:.2em} .sub{color:#666;margin-top:0}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f3f3f3;position:sticky;top:0}
td.v{text-align:center;font-weight:600;font-size:12px;white-space:nowrap}
.PASS{background:#d7f5dd;color:#145a22}.FAIL{background:#f9d0d0;color:#8a1111}
.HANG{background:#ffe0b2;color:#7a3e00}.CRASH{background:#e1bee7;color:#4a148c}
.UNRESOLVED{background:#fff6c2;color:#6b5900}.UNTESTED,.UNSUPPORTED{background:#eee;color:#777}
td.v a{color:inherit} a.repro{font-size:10px;border:1px solid;border-radius:3px;padding:0 3px;text-decoration:none}
details{border:1px solid #ddd;border-radius:4px;margin:.6em 0;padding:.3em .8em}
summary{cursor:pointer;font-weight:600} pre{background:#f7f7f7;padding:.6em;overflow:auto}
.note{color:#555;font-style:italic} .nw,a.creproducer{white-space:nowrap}
.also{font-size:12px;color:#555}
.tlnote{font-size:12px;color:#555;margin:.4em 0} .tlwrap{overflow-x:auto}
table.tl{margin:.3em 0 .8em;font-size:12px}
table.tl th{position:static;font-weight:600;vertical-align:bottom;white-space:nowrap}
table.tl th span{font-weight:400;color:#666;font-size:11px}
table.tl td{vertical-align:top;min-width:4.5em;padding:2px 4px}
table.tl td.live{background:#e3eefc}
table.tl th.bad{background:#f9d0d0;color:#8a1111} table.tl td.bad{box-shadow:inset 2px 0 #c62828,inset -2px 0 #c62828}
.ev{display:block;margin:1px 0;padding:0 4px;border-radius:3px;white-space:nowrap;border:1px solid #bbb;background:#fff}
.ev.submit{border-color:#1565c0;color:#0d47a1}.ev.status{border-color:#90a4ae;color:#37474f}
.ev.done{background:#d7f5dd;border-color:#2e7d32;color:#145a22}.ev.return{background:#2e7d32;border-color:#2e7d32;color:#fff}
.ev.error{background:#f9d0d0;border-color:#c62828;color:#8a1111}.ev.cancel{background:#fff6c2;border-color:#b59b00;color:#6b5900}
.ev.close{background:#ffe0b2;border-color:#e65100;color:#7a3e00}.ev.notify{background:#e1bee7;border-color:#6a1b9a;color:#4a148c}
)css";

// The implementation-defined choices each target's runs demonstrated.
std::string ChoicesHtml(const Report& report) {
  std::string h = "<h2 id=\"choices\">Implementation-defined choices</h2>";
  const ChoiceTable choices = ChoiceCounts(report);
  if (choices.empty()) return h + "<p>None recorded.</p>";
  h += "<p>What each target did where POSIX lets the implementation choose, and in how many "
       "traces.</p><table><tr><th>choice</th>";
  for (const std::string& t : report.targets) absl::StrAppend(&h, "<th>", HtmlEscape(t), "</th>");
  h += "</tr>";
  for (const auto& [c, per] : choices) {
    absl::StrAppend(&h, "<tr><td>", HtmlEscape(c), "</td>");
    for (const std::string& t : report.targets) {
      absl::StrAppend(&h, "<td class=\"nw\">", HtmlEscape(SeenText(per, t)), "</td>");
    }
    h += "</tr>";
  }
  return h + "</table>";
}

}  // namespace

std::string RenderHtml(const Report& report) {
  std::string h = absl::StrCat(
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>aiospec compliance report</title><style>",
      kStyle, "</style></head><body><h1>aiospec compliance report</h1><p class=\"sub\">Profile <b>",
      ProfileName(report.profile), "</b> &middot; targets ", HtmlEscape(absl::StrJoin(report.targets, ", ")),
      " &middot; every verdict comes from the model</p>");

  const auto matrix = AssertionMatrix(report);
  h += "<h2>Summary</h2>";
  if (report.repeat > 1) absl::StrAppend(&h, "<p>", RepeatNote(report), "</p>");
  h += "<table><tr><th>target</th><th>traces</th><th>PASS</th><th>FAIL</th><th>HANG</th>"
       "<th>CRASH</th><th>UNRESOLVED</th><th>UNSUPPORTED</th>"
       "<th title=\"assertions no trace judged on the target\">UNTESTED</th></tr>";
  for (const std::string& t : report.targets) {
    std::map<Verdict, int> c = VerdictCounts(report, t);
    const int n = TraceCount(c);
    absl::StrAppend(&h, "<tr><td>", HtmlEscape(t), "</td><td>", n, "</td>");
    for (Verdict v : {Verdict::kPass, Verdict::kFail, Verdict::kHang, Verdict::kCrash,
                      Verdict::kUnresolved, Verdict::kUnsupported}) {
      absl::StrAppend(&h, "<td class=\"v ", c[v] ? VerdictName(v) : "", "\">", c[v], "</td>");
    }
    const int untested = UntestedCount(matrix, t);
    absl::StrAppend(&h, "<td class=\"v ", untested ? "UNTESTED" : "", "\">", untested,
                    "</td></tr>");
  }
  h += "</table><p class=\"note\">The verdict columns count traces; UNTESTED counts "
       "assertions no trace judged on the target (every required catalogue ID is one).</p>";
  for (const BrokenTarget& b : report.broken) {
    absl::StrAppend(&h, "<p><b>", HtmlEscape(b.target), " not run:</b> ", HtmlEscape(b.reason), "</p>");
  }

  // Where a matrix cell links: a finding's minimal trace first (findings
  // group several traces), else the first non-PASS result covering the ID.
  std::map<std::pair<std::string, std::string>, size_t> anchor;
  std::vector<size_t> order;
  for (const Finding& f : report.findings) order.push_back(f.result);
  for (size_t i = 0; i < report.results.size(); ++i) order.push_back(i);
  for (size_t i : order) {
    const Judgement& j = report.results[i].judgement;
    if (j.result.verdict == Verdict::kPass) continue;
    std::vector<std::string> ids = j.trace.covers;
    if (j.result.failure) ids.insert(ids.end(), j.result.failure->assertion_ids.begin(), j.result.failure->assertion_ids.end());
    for (const std::string& id : ids) anchor.emplace(std::pair{id, j.target}, i);
  }
  std::map<size_t, const Finding*> finding_of;  // result index -> its finding
  for (const Finding& f : report.findings) finding_of[f.result] = &f;
  auto repro_of = [&](size_t result) -> std::string {
    auto it = finding_of.find(result);
    return it == finding_of.end() ? "" : it->second->reproducer;
  };
  h += "<h2>Assertions by target</h2><table><tr><th>assertion</th>";
  for (const std::string& t : report.targets) absl::StrAppend(&h, "<th>", HtmlEscape(t), "</th>");
  h += "</tr>";
  for (const auto& [id, row] : matrix) {
    absl::StrAppend(&h, "<tr><td>", HtmlEscape(id), "</td>");
    for (const std::string& t : report.targets) {
      Verdict v = row.at(t);
      auto it = anchor.find({id, t});
      const bool linked = v != Verdict::kPass && it != anchor.end();
      // UNTESTED with a covering trace that ran: it failed first on another
      // assertion, and the model judged nothing after that.
      const bool not_reached = linked && v == Verdict::kUntested;
      h += VerdictCell(v, linked ? absl::StrCat("f", it->second) : "",
                       linked && IsFinding(v) ? repro_of(it->second) : "",
                       not_reached ? "not reached: the traces that cover it failed "
                                     "first on other assertions (this link opens one)"
                                   : "");
    }
    h += "</tr>";
  }
  h += "</table><p class=\"note\">UNTESTED* : no trace judged it on that target because "
       "the traces that cover it failed first on another assertion; the model judges "
       "nothing after a trace's first failure.</p><h2 id=\"findings\">Findings</h2>";
  if (report.findings.empty()) h += "<p>None.</p>";
  else {
    h += "<p>Each FAIL, HANG and CRASH (known to the baseline or not), with a standalone C "
         "reproducer: <code>cc -std=c99 -pthread FILE -lrt</code>; it exits 0 PASS, 1 FAIL, "
         "2 INCONCLUSIVE. The trace named is the group's minimal one (fewest ops); the "
         "others listed show the same finding.</p>";
  }
  for (const std::string& t : report.targets) {
    std::string rows;
    for (const Finding& f : report.findings) {
      const ReportEntry& e = report.results[f.result];
      const Judgement& j = e.judgement;
      if (j.target != t) continue;
      std::vector<std::string> others;
      for (size_t o : f.others) {
        others.push_back(absl::StrCat("<a href=\"#f", o, "\">",
                                      HtmlEscape(report.results[o].judgement.trace_name), "</a>"));
      }
      std::vector<std::string> ids;  // each unbroken; a long list wraps between IDs
      for (const std::string& id : FailureIds(j)) {
        ids.push_back(absl::StrCat("<span class=\"nw\">", HtmlEscape(id), "</span>"));
      }
      absl::StrAppend(&rows, "<tr><td>", absl::StrJoin(ids, " "),
                      "</td><td><a href=\"#f", f.result, "\">", HtmlEscape(j.trace_name), "</a>",
                      others.empty() ? ""
                                     : absl::StrCat("<div class=\"also\">also: ",
                                                    absl::StrJoin(others, ", "), "</div>"),
                      "</td><td class=\"v ", VerdictName(j.result.verdict), "\">",
                      HtmlEscape(RateText(e)), "</td><td>",
                      HtmlEscape(FindingMessage(j)), "</td><td>",
                      f.reproducer.empty()
                          ? absl::StrCat("<span class=\"note\">", HtmlEscape(f.reproducer_unavailable),
                                         "</span>")
                          : absl::StrCat("<a class=\"creproducer\" href=\"", HtmlEscape(f.reproducer),
                                         "\">C reproducer</a>"),
                      "</td></tr>");
    }
    if (rows.empty()) continue;
    absl::StrAppend(&h, "<h3>", HtmlEscape(t), "</h3><table><tr><th>assertions</th><th>trace</th>"
                    "<th>verdict</th><th>message</th><th>reproducer</th></tr>", rows, "</table>");
  }
  h += ChoicesHtml(report);
  if (report.faults.has_value()) h += FaultTableHtml(*report.faults);
  h += "<h2>Details</h2>";
  bool any = false;
  for (size_t i = 0; i < report.results.size(); ++i) {
    const ReportEntry& e = report.results[i];
    const Judgement& j = e.judgement;
    if (j.result.verdict == Verdict::kPass) continue;
    any = true;
    std::string ids = j.result.failure ? absl::StrJoin(j.result.failure->assertion_ids, " ") : "";
    absl::StrAppend(&h, "<details id=\"f", i, "\"><summary><span class=\"", VerdictName(j.result.verdict), "\">&nbsp;",
                    HtmlEscape(RateText(e)), "&nbsp;</span> ", HtmlEscape(j.target), ": ", HtmlEscape(j.trace_name),
                    ids.empty() ? "" : absl::StrCat(" &mdash; ", HtmlEscape(ids)), "</summary>");
    if (!e.baseline_note.empty()) absl::StrAppend(&h, "<p class=\"note\">", HtmlEscape(e.baseline_note), "</p>");
    if (!j.trace.about.empty()) absl::StrAppend(&h, "<p>", HtmlEscape(j.trace.about), "</p>");
    if (const std::string repro = repro_of(i); !repro.empty()) {
      absl::StrAppend(&h, "<p><a class=\"repro\" href=\"", HtmlEscape(repro), "\">C reproducer</a> ",
                      HtmlEscape(repro), "</p>");
    }
    absl::StrAppend(&h, "<pre>", HtmlEscape(FormatResult(j.result, j.trace)), "</pre>",
                    RenderTimelineHtml(BuildTimeline(j)), "<p>Replay: <code>aiospec run ",
                    HtmlEscape(j.trace_path), " --target ", HtmlEscape(j.target), " --profile ", ProfileName(report.profile),
                    "</code></p><pre>", HtmlEscape(PrintTrace(j.trace)), "</pre></details>");
  }
  if (!any) h += "<p>None.</p>";
  h += "</body></html>\n";
  return h;
}

std::string ResultJson(const ReportEntry& e) {
  const Judgement& j = e.judgement;
  std::string js = absl::StrCat(
      "{\"trace\":", JsonString(j.trace_name), ",\"path\":", JsonString(j.trace_path),
      ",\"target\":", JsonString(j.target),
      ",\"verdict\":", JsonString(VerdictName(j.result.verdict)),
      ",\"covers\":", JsonStrings(j.trace.covers),
      ",\"matches_baseline\":", e.matches_baseline ? "true" : "false",
      ",\"baseline_note\":", JsonString(e.baseline_note),
      ",\"choices\":", JsonStrings(j.result.choices), ",\"runs\":{");
  bool first = true;
  for (const auto& [v, n] : RunCounts(e)) {
    absl::StrAppend(&js, first ? "" : ",", JsonString(VerdictName(v)), ":", n);
    first = false;
  }
  js += "}";
  if (j.result.failure.has_value()) {
    const Explanation& x = *j.result.failure;
    absl::StrAppend(&js, ",\"explanation\":{\"op_index\":", x.op_index,
                    ",\"line\":", x.loc.line, ",\"op\":", JsonString(x.op_text),
                    ",\"observed\":", JsonString(x.observed),
                    ",\"allowed\":", JsonStrings(x.allowed),
                    ",\"assertion_ids\":", JsonStrings(x.assertion_ids),
                    ",\"message\":", JsonString(x.message), "}");
  }
  return js + "}";
}

std::string RenderRunJson(Profile profile, const std::vector<ReportEntry>& results,
                          int exit_code) {
  std::string js = absl::StrCat("{\"schema\":\"aiospec-run/1\",\"profile\":",
                                JsonString(ProfileName(profile)), ",\"exit_code\":", exit_code,
                                ",\"results\":[");
  for (size_t i = 0; i < results.size(); ++i) {
    absl::StrAppend(&js, i ? "," : "", ResultJson(results[i]));
  }
  return js + "]}\n";
}

std::string RenderJunit(const Report& report) {
  auto xml = [](std::string_view s) {
    std::string out = HtmlEscape(s);
    for (char& c : out) {
      // XML 1.0 forbids most control characters, even escaped.
      if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') c = '?';
    }
    return out;
  };
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"aiospec\">\n";
  for (const std::string& t : report.targets) {
    int tests = 0, failures = 0, errors = 0, skipped = 0;
    std::string cases;
    for (const ReportEntry& e : report.results) {
      const Judgement& j = e.judgement;
      if (j.target != t) continue;
      ++tests;
      const Verdict v = j.result.verdict;
      absl::StrAppend(&cases, "    <testcase classname=\"aiospec.", xml(t), "\" name=\"",
                      xml(j.trace_name), "\" file=\"", xml(j.trace_path), "\">");
      const std::string detail = xml(FormatResult(j.result, j.trace));
      const std::string ids =
          j.result.failure ? absl::StrJoin(j.result.failure->assertion_ids, " ") : "";
      const std::string message =
          xml(absl::StrCat(VerdictName(v), ids.empty() ? "" : absl::StrCat(" ", ids)));
      if (v == Verdict::kPass && !e.matches_baseline) {
        ++failures;  // a known finding that now passes: the baseline is stale
        absl::StrAppend(&cases, "<failure type=\"BASELINE\" message=\"", xml(e.baseline_note),
                        "\"/>");
      } else if (v == Verdict::kPass) {
        // nothing to add
      } else if (v == Verdict::kUnsupported || v == Verdict::kUntested) {
        ++skipped;
        absl::StrAppend(&cases, "<skipped message=\"", message, "\"/>");
      } else if (e.matches_baseline) {
        // A known finding: the suite passes, the finding stays visible.
      } else if (v == Verdict::kHang || v == Verdict::kCrash) {
        ++errors;
        absl::StrAppend(&cases, "<error type=\"", VerdictName(v), "\" message=\"", message,
                        "\">", detail, "</error>");
      } else {
        ++failures;
        absl::StrAppend(&cases, "<failure type=\"", VerdictName(v), "\" message=\"", message,
                        "\">", detail, "</failure>");
      }
      if (!e.baseline_note.empty() || v != Verdict::kPass) {
        absl::StrAppend(&cases, "<system-out>", xml(e.baseline_note),
                        e.baseline_note.empty() ? "" : "\n", detail, "</system-out>");
      }
      cases += "</testcase>\n";
    }
    for (const BrokenTarget& b : report.broken) {
      if (b.target != t) continue;
      ++tests;
      ++errors;
      absl::StrAppend(&cases, "    <testcase classname=\"aiospec.", xml(t),
                      "\" name=\"target\"><error type=\"NOT_RUN\" message=\"", xml(b.reason),
                      "\"/></testcase>\n");
    }
    absl::StrAppend(&out, "  <testsuite name=\"", xml(t), "\" tests=\"", tests,
                    "\" failures=\"", failures, "\" errors=\"", errors, "\" skipped=\"", skipped,
                    "\">\n", cases, "  </testsuite>\n");
  }
  return out + "</testsuites>\n";
}

std::string RenderJson(const Report& report) {
  std::string js = absl::StrCat("{\"schema\":\"aiospec-report/1\",\"profile\":",
                                JsonString(ProfileName(report.profile)),
                                ",\"repeat\":", report.repeat,
                                ",\"targets\":", JsonStrings(report.targets),
                                ",\"broken_targets\":[");
  for (size_t i = 0; i < report.broken.size(); ++i) {
    absl::StrAppend(&js, i ? "," : "", "{\"target\":", JsonString(report.broken[i].target),
                    ",\"reason\":", JsonString(report.broken[i].reason), "}");
  }
  js += "],\"results\":[";
  for (size_t i = 0; i < report.results.size(); ++i) {
    absl::StrAppend(&js, i ? "," : "", ResultJson(report.results[i]));
  }
  js += "],\"findings\":[";
  for (size_t i = 0; i < report.findings.size(); ++i) {
    const Finding& f = report.findings[i];
    const Judgement& j = report.results[f.result].judgement;
    absl::StrAppend(&js, i ? "," : "", "{\"target\":", JsonString(j.target),
                    ",\"trace\":", JsonString(j.trace_name), ",\"path\":", JsonString(j.trace_path),
                    ",\"assertion_ids\":", JsonStrings(FailureIds(j)),
                    ",\"verdict\":", JsonString(VerdictName(j.result.verdict)),
                    ",\"message\":", JsonString(FindingMessage(j)),
                    ",\"other_traces\":", JsonStrings(OtherTraces(report, f)),
                    f.reproducer.empty() ? ",\"reproducer_unavailable\":" : ",\"reproducer\":",
                    JsonString(f.reproducer.empty() ? f.reproducer_unavailable : f.reproducer), "}");
  }
  js += "],\"assertions\":{";
  bool first = true;
  for (const auto& [id, row] : AssertionMatrix(report)) {
    absl::StrAppend(&js, first ? "" : ",", JsonString(id), ":{");
    first = false;
    bool first_t = true;
    for (const auto& [t, v] : row) {
      absl::StrAppend(&js, first_t ? "" : ",", JsonString(t), ":", JsonString(VerdictName(v)));
      first_t = false;
    }
    js += "}";
  }
  js += "}";
  if (report.faults.has_value()) absl::StrAppend(&js, ",\"seeded_faults\":", FaultTableJson(*report.faults));
  js += "}\n";
  return js;
}

}  // namespace aiospec
