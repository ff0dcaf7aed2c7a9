// The seeded-faults table (issue #7, faults/README.md): how much of the bundled
// implementation's seeded bugs the conformance suite and the fuzzer catch,
// as `ci/faults` measured it. `aiospec report --faults FILE` puts it in the
// report (HTML, Markdown and JSON) next to the verdicts, so that a reader of
// a compliance report also sees how much a PASS is worth.
//
// The file, faults/table.tsv, is written by faults/measure.py:
//
//   # aiospec-faults-table/1 ...          a comment naming the format
//   # summary<TAB>28 faults; 28 killed...  one line per summary sentence
//   fault<TAB>area<TAB>...                  the header: exactly kFaultColumns
//   write_inline_overtakes<TAB>...          one row per fault
//
// Fields are tab-separated; a backslash, tab or newline inside a field is
// written \\, \t or \n.
//
// Usage:
//   absl::StatusOr<FaultTable> t = ReadFaultTable("faults/table.tsv");
//   if (!t.ok()) { ... t.status() names file:line ... }
//   report.faults = *std::move(t);  // RenderHtml/RenderMarkdown/RenderJson show it
#ifndef AIOSPEC_HARNESS_CLI_FAULT_TABLE_H_
#define AIOSPEC_HARNESS_CLI_FAULT_TABLE_H_

#include <array>
#include <string>

#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"

namespace aiospec {

inline constexpr std::array<const char*, 9> kFaultColumns = {
    "fault",         "area",               "description",
    "killed_by",     "fuzzer",             "minimal_trace",
    "minimal_trace_text", "fuzz_trace",    "fuzz_trace_text"};

struct FaultRow {
  std::string fault;        // its name in faults/faults.def
  std::string area;         // "write ordering", ...
  std::string description;  // the bug, one sentence
  std::string killed_by;    // "TRACE: VERDICT IDS" lines; empty: it survives
  std::string fuzzer;       // "3.5 s (5/5 seeds)", "> 30 s (0/3 seeds)", "not run"
  std::string minimal_trace;       // path in the source tree, may be empty
  std::string minimal_trace_text;  // its text
  std::string fuzz_trace;          // the fuzzer's shrunk finding, may be empty
  std::string fuzz_trace_text;
};

struct FaultTable {
  std::string path;                  // where it was read from
  std::vector<std::string> summary;  // sentences, in order
  std::vector<FaultRow> rows;
};

// Reads and checks a table; an error names path:line and what is wrong.
absl::StatusOr<FaultTable> ReadFaultTable(const std::string& path);
absl::StatusOr<FaultTable> ParseFaultTable(absl::string_view text, const std::string& path);

// The report's section: a heading, the summary, the table; each minimal
// trace behind a click. HTML assumes the report's stylesheet.
std::string FaultTableHtml(const FaultTable& table);
std::string FaultTableMarkdown(const FaultTable& table);
// {"source":..., "summary":[...], "faults":[{"fault":..., ...}]}
std::string FaultTableJson(const FaultTable& table);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_CLI_FAULT_TABLE_H_
