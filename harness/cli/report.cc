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
#include "harness/trace/trace_printer.h"

namespace aiospec {
namespace {

// Higher is worse; used to roll several traces into one verdict.
int Severity(Verdict v) {
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

}  // namespace

std::vector<Finding> CollectFindings(const Report& report) {
  std::vector<Finding> findings;
  std::set<std::tuple<std::string, std::string, std::vector<std::string>>> seen;
  std::set<std::string> paths;
  for (size_t i = 0; i < report.results.size(); ++i) {
    const Judgement& j = report.results[i].judgement;
    if (!IsFinding(j.result.verdict)) continue;
    std::vector<std::string> ids = FailureIds(j);
    std::sort(ids.begin(), ids.end());
    if (!seen.insert({j.target, j.trace_name, ids}).second) continue;
    const std::string stem = absl::StrCat("repro/", FileSafe(j.target), "/", j.trace_name);
    std::string path = absl::StrCat(stem, ".c");
    for (int n = 2; !paths.insert(path).second; ++n) path = absl::StrCat(stem, "-", n, ".c");
    findings.push_back(Finding{i, path, ""});
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
  auto raise = [&](const std::string& id, const std::string& target, Verdict v) {
    auto [it, fresh] = matrix[id].emplace(target, v);
    if (!fresh && Severity(v) > Severity(it->second)) it->second = v;
  };
  for (const ReportEntry& e : report.results) {
    const Judgement& j = e.judgement;
    std::set<std::string> ids(j.trace.covers.begin(), j.trace.covers.end());
    if (j.result.failure.has_value() && j.result.verdict == Verdict::kFail) {
      ids.insert(j.result.failure->assertion_ids.begin(),
                 j.result.failure->assertion_ids.end());
    }
    for (const std::string& id : ids) {
      Verdict v = j.result.verdict;
      // A trace that failed on another assertion says nothing about this
      // one: it counts below a PASS of another trace (kUntested's rank).
      if (v == Verdict::kFail && !Cites(j, id)) {
        if (!matrix[id].count(j.target)) matrix[id][j.target] = Verdict::kUnresolved;
        continue;
      }
      if (auto it = matrix[id].find(j.target);
          it != matrix[id].end() && it->second == Verdict::kUnresolved && v == Verdict::kPass) {
        it->second = v;
        continue;
      }
      raise(id, j.target, v);
    }
  }
  for (auto& [id, row] : matrix) {
    for (const std::string& t : report.targets) row.emplace(t, Verdict::kUntested);
  }
  return matrix;
}

std::string RenderSummary(const Report& report, bool color) {
  std::string out;
  for (const std::string& t : report.targets) {
    const std::map<Verdict, int> counts = VerdictCounts(report, t);
    std::vector<std::string> parts;
    for (const auto& [v, n] : counts) {
      parts.push_back(absl::StrCat(n, " ", Colored(VerdictName(v), v, color)));
    }
    absl::StrAppendFormat(&out, "  %-16s %s\n", t,
                          parts.empty() ? "no results" : absl::StrJoin(parts, ", "));
  }
  for (const BrokenTarget& b : report.broken) {
    absl::StrAppendFormat(&out, "  %-16s NOT RUN: %s\n", b.target, b.reason);
  }
  for (const ReportEntry& e : report.results) {
    const Judgement& j = e.judgement;
    if (j.result.verdict == Verdict::kPass) continue;
    std::string name = absl::StrFormat("%-6s", VerdictName(j.result.verdict));
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
  md += "## Summary\n\n| target | traces | PASS | FAIL | HANG | CRASH | UNRESOLVED | UNSUPPORTED |\n|---|---|---|---|---|---|---|---|\n";
  for (const std::string& t : report.targets) {
    std::map<Verdict, int> c = VerdictCounts(report, t);
    const int n = TraceCount(c);
    absl::StrAppendFormat(&md, "| %s | %d | %d | %d | %d | %d | %d | %d |\n", t, n,
                          c[Verdict::kPass], c[Verdict::kFail], c[Verdict::kHang],
                          c[Verdict::kCrash], c[Verdict::kUnresolved], c[Verdict::kUnsupported]);
  }
  for (const BrokenTarget& b : report.broken) {
    absl::StrAppend(&md, "\n**", b.target, " not run:** ", MarkdownCell(b.reason), "\n");
  }

  md += "\n## Assertions\n\n| assertion |";
  for (const std::string& t : report.targets) absl::StrAppend(&md, " ", t, " |");
  md += "\n|---|";
  for (size_t i = 0; i < report.targets.size(); ++i) md += "---|";
  md += "\n";
  for (const auto& [id, row] : AssertionMatrix(report)) {
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
          "INCONCLUSIVE.\n\n| target | assertions | trace | verdict | message | reproducer |\n"
          "|---|---|---|---|---|---|\n";
    for (const Finding& f : report.findings) {
      const Judgement& j = report.results[f.result].judgement;
      absl::StrAppend(&md, "| ", MarkdownCell(j.target), " | ",
                      absl::StrJoin(FailureIds(j), " "), " | ", j.trace_name, " | ",
                      VerdictName(j.result.verdict), " | ", MarkdownCell(FindingMessage(j)), " | ",
                      f.reproducer.empty()
                          ? absl::StrCat("none: ", MarkdownCell(f.reproducer_unavailable))
                          : absl::StrCat("[", f.reproducer, "](", f.reproducer, ")"),
                      " |\n");
    }
  }

  md += "\n## Details\n\n";
  bool any = false;
  for (const ReportEntry& e : report.results) {
    const Judgement& j = e.judgement;
    if (j.result.verdict == Verdict::kPass) continue;
    any = true;
    absl::StrAppend(&md, "### ", j.target, ": ", j.trace_name, " — ",
                    VerdictName(j.result.verdict), "\n\n");
    if (!e.baseline_note.empty()) absl::StrAppend(&md, "_", e.baseline_note, "_\n\n");
    absl::StrAppend(&md, "```\n", FormatResult(j.result, j.trace), "```\n\n");
    absl::StrAppend(&md, "Replay: `aiospec run ", j.trace_path, " --target ",
                    j.target, " --profile ", ProfileName(report.profile),
                    "`\n\n<details><summary>trace</summary>\n\n```\n",
                    PrintTrace(j.trace), "```\n</details>\n\n");
  }
  if (!any) md += "None.\n";

  md += "\n## Implementation-defined choices\n\n";
  std::map<std::string, std::map<std::string, int>> choices;  // choice -> target -> count
  for (const ReportEntry& e : report.results) {
    for (const std::string& c : e.judgement.result.choices) ++choices[c][e.judgement.target];
  }
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
        auto it = per.find(t);
        absl::StrAppend(&md, " ", it == per.end() ? "" : absl::StrCat("seen ", it->second, "×"), " |");
      }
      md += "\n";
    }
  }
  return md;
}

namespace {

std::string Html(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// A matrix cell; `link` opens the finding's details, `repro` is its C file.
std::string VerdictCell(Verdict v, std::string_view link = "", std::string_view repro = "") {
  std::string name = VerdictName(v);
  std::string text = link.empty() ? name : absl::StrCat("<a href=\"#", std::string(link), "\">", name, "</a>");
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
td.v{text-align:center;font-weight:600;font-size:12px}
.PASS{background:#d7f5dd;color:#145a22}.FAIL{background:#f9d0d0;color:#8a1111}
.HANG{background:#ffe0b2;color:#7a3e00}.CRASH{background:#e1bee7;color:#4a148c}
.UNRESOLVED{background:#fff6c2;color:#6b5900}.UNTESTED,.UNSUPPORTED{background:#eee;color:#777}
td.v a{color:inherit} a.repro{font-size:10px;border:1px solid;border-radius:3px;padding:0 3px;text-decoration:none}
details{border:1px solid #ddd;border-radius:4px;margin:.6em 0;padding:.3em .8em}
summary{cursor:pointer;font-weight:600} pre{background:#f7f7f7;padding:.6em;overflow:auto}
.note{color:#555;font-style:italic} .nw,a.creproducer{white-space:nowrap}
)css";

}  // namespace

std::string RenderHtml(const Report& report) {
  std::string h = absl::StrCat(
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>aiospec compliance report</title><style>",
      kStyle, "</style></head><body><h1>aiospec compliance report</h1><p class=\"sub\">Profile <b>",
      ProfileName(report.profile), "</b> &middot; targets ", Html(absl::StrJoin(report.targets, ", ")),
      " &middot; every verdict comes from the model</p>");

  h += "<h2>Summary</h2><table><tr><th>target</th><th>traces</th><th>PASS</th><th>FAIL</th><th>HANG</th><th>CRASH</th><th>UNRESOLVED</th><th>UNSUPPORTED</th></tr>";
  for (const std::string& t : report.targets) {
    std::map<Verdict, int> c = VerdictCounts(report, t);
    const int n = TraceCount(c);
    absl::StrAppend(&h, "<tr><td>", Html(t), "</td><td>", n, "</td>");
    for (Verdict v : {Verdict::kPass, Verdict::kFail, Verdict::kHang, Verdict::kCrash,
                      Verdict::kUnresolved, Verdict::kUnsupported}) {
      absl::StrAppend(&h, "<td class=\"v ", c[v] ? VerdictName(v) : "", "\">", c[v], "</td>");
    }
    h += "</tr>";
  }
  h += "</table>";
  for (const BrokenTarget& b : report.broken) {
    absl::StrAppend(&h, "<p><b>", Html(b.target), " not run:</b> ", Html(b.reason), "</p>");
  }

  // The first finding per (assertion, target) is where a matrix cell links.
  std::map<std::pair<std::string, std::string>, size_t> anchor;
  for (size_t i = 0; i < report.results.size(); ++i) {
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
  for (const std::string& t : report.targets) absl::StrAppend(&h, "<th>", Html(t), "</th>");
  h += "</tr>";
  for (const auto& [id, row] : AssertionMatrix(report)) {
    absl::StrAppend(&h, "<tr><td>", Html(id), "</td>");
    for (const std::string& t : report.targets) {
      Verdict v = row.at(t);
      auto it = anchor.find({id, t});
      const bool linked = v != Verdict::kPass && it != anchor.end();
      h += VerdictCell(v, linked ? absl::StrCat("f", it->second) : "",
                       linked && IsFinding(v) ? repro_of(it->second) : "");
    }
    h += "</tr>";
  }
  h += "</table><h2 id=\"findings\">Findings</h2>";
  if (report.findings.empty()) h += "<p>None.</p>";
  else {
    h += "<p>Each FAIL, HANG and CRASH (known to the baseline or not), with a standalone C "
         "reproducer: <code>cc -std=c99 -pthread FILE -lrt</code>; it exits 0 PASS, 1 FAIL, "
         "2 INCONCLUSIVE.</p>";
  }
  for (const std::string& t : report.targets) {
    std::string rows;
    for (const Finding& f : report.findings) {
      const Judgement& j = report.results[f.result].judgement;
      if (j.target != t) continue;
      const std::string v = VerdictName(j.result.verdict);
      absl::StrAppend(&rows, "<tr><td class=\"nw\">", Html(absl::StrJoin(FailureIds(j), " ")),
                      "</td><td><a href=\"#f", f.result, "\">", Html(j.trace_name),
                      "</a></td><td class=\"v ", v, "\">", v, "</td><td>",
                      Html(FindingMessage(j)), "</td><td>",
                      f.reproducer.empty()
                          ? absl::StrCat("<span class=\"note\">", Html(f.reproducer_unavailable),
                                         "</span>")
                          : absl::StrCat("<a class=\"creproducer\" href=\"", Html(f.reproducer),
                                         "\">C reproducer</a>"),
                      "</td></tr>");
    }
    if (rows.empty()) continue;
    absl::StrAppend(&h, "<h3>", Html(t), "</h3><table><tr><th>assertions</th><th>trace</th>"
                    "<th>verdict</th><th>message</th><th>reproducer</th></tr>", rows, "</table>");
  }
  h += "<h2>Details</h2>";
  bool any = false;
  for (size_t i = 0; i < report.results.size(); ++i) {
    const ReportEntry& e = report.results[i];
    const Judgement& j = e.judgement;
    if (j.result.verdict == Verdict::kPass) continue;
    any = true;
    std::string ids = j.result.failure ? absl::StrJoin(j.result.failure->assertion_ids, " ") : "";
    absl::StrAppend(&h, "<details id=\"f", i, "\"><summary><span class=\"", VerdictName(j.result.verdict), "\">&nbsp;",
                    VerdictName(j.result.verdict), "&nbsp;</span> ", Html(j.target), ": ", Html(j.trace_name),
                    ids.empty() ? "" : absl::StrCat(" &mdash; ", Html(ids)), "</summary>");
    if (!e.baseline_note.empty()) absl::StrAppend(&h, "<p class=\"note\">", Html(e.baseline_note), "</p>");
    if (!j.trace.about.empty()) absl::StrAppend(&h, "<p>", Html(j.trace.about), "</p>");
    if (const std::string repro = repro_of(i); !repro.empty()) {
      absl::StrAppend(&h, "<p><a class=\"repro\" href=\"", Html(repro), "\">C reproducer</a> ",
                      Html(repro), "</p>");
    }
    absl::StrAppend(&h, "<pre>", Html(FormatResult(j.result, j.trace)), "</pre><p>Replay: <code>aiospec run ",
                    Html(j.trace_path), " --target ", Html(j.target), " --profile ", ProfileName(report.profile),
                    "</code></p><pre>", Html(PrintTrace(j.trace)), "</pre></details>");
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
      ",\"choices\":", JsonStrings(j.result.choices));
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
    std::string out;
    for (char c : s) {
      switch (c) {
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '&': out += "&amp;"; break;
        case '"': out += "&quot;"; break;
        default:
          // XML 1.0 forbids most control characters, even escaped.
          if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
            out += '?';
          } else {
            out += c;
          }
      }
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
  js += "}}\n";
  return js;
}

}  // namespace aiospec
