#include "harness/cli/fault_table.h"

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "harness/cli/report.h"
#include "harness/cli/timeline.h"

namespace aiospec {
namespace {

constexpr absl::string_view kSummaryPrefix = "# summary\t";

absl::Status BadLine(const std::string& path, int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ": ", what));
}

// A trace's file name (its path on hover) and text behind a click; nothing
// when there is no path.
std::string TraceHtml(absl::string_view label, const std::string& path,
                      const std::string& text) {
  if (path.empty()) return "";
  const std::string name = path.substr(path.find_last_of('/') + 1);
  // Long names break after an underscore, not anywhere.
  const std::string shown =
      absl::StrCat(label, " <code title=\"", HtmlEscape(path), "\">",
                   absl::StrReplaceAll(HtmlEscape(name), {{"_", "_<wbr>"}}), "</code>");
  if (text.empty()) return absl::StrCat("<div>", shown, "</div>");
  return absl::StrCat("<details><summary>", shown, "</summary><pre>", HtmlEscape(text),
                      "</pre></details>");
}

std::string Cell(absl::string_view s) {
  return absl::StrReplaceAll(s, {{"|", "\\|"}, {"\n", "<br>"}});
}

}  // namespace

absl::StatusOr<FaultTable> ParseFaultTable(absl::string_view text, const std::string& path) {
  FaultTable table;
  table.path = path;
  bool header_seen = false;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    if (absl::ConsumePrefix(&line, kSummaryPrefix)) {
      table.summary.emplace_back(line);
      continue;
    }
    if (absl::StartsWith(line, "#")) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
    if (!header_seen) {
      if (fields != std::vector<absl::string_view>(kFaultColumns.begin(), kFaultColumns.end())) {
        return BadLine(path, line_no,
                       absl::StrCat("header is not the columns ",
                                    absl::StrJoin(kFaultColumns, ",")));
      }
      header_seen = true;
      continue;
    }
    if (fields.size() != kFaultColumns.size()) {
      return BadLine(path, line_no,
                     absl::StrCat(fields.size(), " fields, want ", kFaultColumns.size()));
    }
    std::array<std::string, kFaultColumns.size()> f;
    for (size_t i = 0; i < f.size(); ++i) {
      std::string error;
      if (!absl::CUnescape(fields[i], &f[i], &error)) {
        return BadLine(path, line_no, absl::StrCat(kFaultColumns[i], ": ", error));
      }
    }
    if (f[0].empty()) return BadLine(path, line_no, "a row without a fault name");
    table.rows.push_back(FaultRow{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]});
  }
  if (!header_seen) return BadLine(path, line_no, "no header row");
  return table;
}

absl::StatusOr<FaultTable> ReadFaultTable(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read the faults table"));
  std::ostringstream text;
  text << in.rdbuf();
  return ParseFaultTable(text.str(), path);
}

std::string FaultTableHtml(const FaultTable& table) {
  std::string h =
      "<h2 id=\"faults\">Seeded faults: what this suite catches</h2><p>Each row is the "
      "bundled implementation with one realistic bug built in (<code>ci/faults</code>), "
      "judged by the same model on the conformance suite and fuzzed from an empty "
      "corpus.</p>";
  for (const std::string& s : table.summary) absl::StrAppend(&h, "<p>", HtmlEscape(s), "</p>");
  h += "<table><tr><th>fault (area: the bug)</th><th>killed by (trace: verdict, assertions)</th>"
       "<th>fuzzer: median first finding</th><th>minimal trace</th></tr>";
  for (const FaultRow& r : table.rows) {
    std::vector<std::string> kills;
    for (absl::string_view k : absl::StrSplit(r.killed_by, '\n', absl::SkipEmpty())) {
      kills.push_back(HtmlEscape(std::string(k)));
    }
    absl::StrAppend(
        &h, "<tr><td><code>", HtmlEscape(r.fault), "</code><div class=\"also\">",
        HtmlEscape(r.area), ": ", HtmlEscape(r.description), "</div></td>",
        kills.empty() ? "<td class=\"v FAIL\">survives</td>"
                      : absl::StrCat("<td>", absl::StrJoin(kills, "<br>"), "</td>"),
        "<td>", HtmlEscape(r.fuzzer), "</td><td>", TraceHtml("suite", r.minimal_trace, r.minimal_trace_text),
        TraceHtml("fuzzer", r.fuzz_trace, r.fuzz_trace_text), "</td></tr>");
  }
  absl::StrAppend(&h, "</table><p class=\"note\">From ", HtmlEscape(table.path), ".</p>");
  return h;
}

std::string FaultTableMarkdown(const FaultTable& table) {
  std::string md = "\n## Seeded faults: what this suite catches\n\n";
  for (const std::string& s : table.summary) absl::StrAppend(&md, s, "\n");
  md += "\n| fault | area | killed by | fuzzer: median first finding | minimal trace |\n"
        "|---|---|---|---|---|\n";
  for (const FaultRow& r : table.rows) {
    std::vector<std::string> traces;
    for (const std::string* p : {&r.minimal_trace, &r.fuzz_trace}) {
      if (!p->empty()) traces.push_back(absl::StrCat("`", *p, "`"));
    }
    absl::StrAppend(&md, "| `", r.fault, "` | ", Cell(r.area), " | ",
                    r.killed_by.empty() ? "**survives**" : Cell(r.killed_by), " | ",
                    Cell(r.fuzzer), " | ", absl::StrJoin(traces, "<br>"), " |\n");
  }
  absl::StrAppend(&md, "\nFrom `", table.path, "`.\n");
  return md;
}

std::string FaultTableJson(const FaultTable& table) {
  std::vector<std::string> summary, rows;
  for (const std::string& s : table.summary) summary.push_back(JsonString(s));
  for (const FaultRow& r : table.rows) {
    const std::array<const std::string*, kFaultColumns.size()> f = {
        &r.fault,         &r.area,       &r.description,        &r.killed_by,
        &r.fuzzer,        &r.minimal_trace, &r.minimal_trace_text, &r.fuzz_trace,
        &r.fuzz_trace_text};
    std::vector<std::string> fields;
    for (size_t i = 0; i < f.size(); ++i) {
      fields.push_back(absl::StrCat(JsonString(kFaultColumns[i]), ":", JsonString(*f[i])));
    }
    rows.push_back(absl::StrCat("{", absl::StrJoin(fields, ","), "}"));
  }
  return absl::StrCat("{\"source\":", JsonString(table.path), ",\"summary\":[",
                      absl::StrJoin(summary, ","), "],\"faults\":[", absl::StrJoin(rows, ","),
                      "]}");
}

}  // namespace aiospec
