#include "harness/cli/catalogue.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

#ifndef AIOSPEC_SOURCE_DIR
#define AIOSPEC_SOURCE_DIR ""
#endif

namespace aiospec {
namespace {

std::string ExeDirectory() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string path(buf, static_cast<size_t>(n));
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

bool ReadAll(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return true;
}

std::string Trim(absl::string_view s) {
  return std::string(absl::StripAsciiWhitespace(s));
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

// "AIO-CANCEL-03" -> "AIO-CANCEL"
std::string_view Family(std::string_view id) {
  size_t dash = id.rfind('-');
  return dash == std::string_view::npos ? id : id.substr(0, dash);
}

}  // namespace

const CatalogueEntry* Catalogue::Find(std::string_view id) const {
  auto it = entries.find(absl::AsciiStrToUpper(absl::string_view(id.data(), id.size())));
  return it == entries.end() ? nullptr : &it->second;
}

std::vector<std::string> Catalogue::Nearest(std::string_view id, size_t n) const {
  std::string want = absl::AsciiStrToUpper(absl::string_view(id.data(), id.size()));
  std::vector<std::pair<size_t, std::string>> scored;
  for (const auto& [key, e] : entries) {
    // A matching family ("AIO-CANCEL") counts as closer than any other.
    size_t d = EditDistance(want, key) * 2 + (Family(want) == Family(key) ? 0 : 1);
    scored.emplace_back(d, key);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < n; ++i) out.push_back(scored[i].second);
  return out;
}

void ParseAssertions(std::string_view markdown, Catalogue& out) {
  std::string section;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(markdown.data(), markdown.size()), '\n')) {
    if (absl::ConsumePrefix(&line, "## ")) {
      section = Trim(line);
      continue;
    }
    // - **AIO-GEN-01** [SHALL | B] text
    if (!absl::ConsumePrefix(&line, "- **AIO-")) continue;
    size_t end = line.find("**");
    if (end == absl::string_view::npos) continue;
    CatalogueEntry e;
    e.id = absl::StrCat("AIO-", line.substr(0, end));
    e.section = section;
    line.remove_prefix(end + 2);
    line = absl::StripLeadingAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "[")) {
      size_t close = line.find(']');
      if (close != absl::string_view::npos) {
        std::vector<std::string> parts = absl::StrSplit(line.substr(0, close), '|');
        if (!parts.empty()) e.level = Trim(parts[0]);
        if (parts.size() > 1) e.check = Trim(parts[1]);
        line.remove_prefix(close + 1);
      }
    }
    e.text = Trim(line);
    std::string id = e.id;
    out.entries[id] = std::move(e);
  }
}

void ParseSpecNotes(std::string_view markdown, Catalogue& out) {
  // | ID | level | check | model rule | tests | status |
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(markdown.data(), markdown.size()), '\n')) {
    if (!absl::StartsWith(line, "| AIO-")) continue;
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    if (cells.size() < 7) continue;
    std::string id = Trim(cells[1]);
    CatalogueEntry& e = out.entries[id];
    if (e.id.empty()) {  // a row for an ID the catalogue lacks: keep it visible
      e.id = id;
      e.level = Trim(cells[2]);
      e.check = Trim(cells[3]);
    }
    e.model_rules = Trim(cells[4]);
    e.notes_tests = Trim(cells[5]);
    e.status = Trim(cells[6]);
  }
}

bool IsRequired(const CatalogueEntry& e) {
  static const auto* kRequired =
      new std::set<std::string>{"SHALL", "SHALL-FAIL", "EITHER", "DERIVED", "MAY-FAIL"};
  // Words of capitals and dashes: "SHALL + IMPL-DEF exception" -> SHALL, IMPL-DEF.
  std::string level = e.level;
  for (char& c : level) {
    if (!absl::ascii_isupper(static_cast<unsigned char>(c)) && c != '-') c = ' ';
  }
  bool required_level = false;
  for (absl::string_view word : absl::StrSplit(level, ' ', absl::SkipEmpty())) {
    required_level |= kRequired->count(std::string(word)) > 0;
  }
  for (absl::string_view check : absl::StrSplit(e.check, ',')) {
    if (Trim(check) == "X") return false;  // unobservable: tested only weakly, if at all
  }
  return required_level;
}

std::vector<std::string> RequiredIds(const Catalogue& c) {
  std::vector<std::string> ids;
  for (const auto& [id, e] : c.entries) {
    if (!e.text.empty() && IsRequired(e)) ids.push_back(id);
  }
  return ids;
}

absl::StatusOr<std::string> FindDataDir() {
  std::vector<std::string> candidates;
  if (const char* env = getenv("AIOSPEC_DATA_DIR"); env && *env) candidates.push_back(env);
  if (std::string exe = ExeDirectory(); !exe.empty()) {
    candidates.push_back(absl::StrCat(exe, "/../share/aiospec"));
  }
  if (*AIOSPEC_SOURCE_DIR) candidates.push_back(AIOSPEC_SOURCE_DIR);
  for (const std::string& dir : candidates) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(absl::StrCat(dir, "/spec/ASSERTIONS.md"), ec)) {
      return std::filesystem::weakly_canonical(dir, ec).string();
    }
  }
  return absl::NotFoundError(absl::StrCat(
      "no data directory with spec/ASSERTIONS.md (searched: ",
      absl::StrJoin(candidates, ", "), "; set AIOSPEC_DATA_DIR)"));
}

absl::StatusOr<Catalogue> LoadCatalogue(const std::string& data_dir) {
  Catalogue c;
  std::string text;
  const std::string assertions = absl::StrCat(data_dir, "/spec/ASSERTIONS.md");
  if (!ReadAll(assertions, text)) {
    return absl::NotFoundError(absl::StrCat(assertions, ": cannot read"));
  }
  ParseAssertions(text, c);
  if (ReadAll(absl::StrCat(data_dir, "/SPEC_NOTES.md"), text)) ParseSpecNotes(text, c);

  std::error_code ec;
  std::vector<std::filesystem::path> traces;
  for (const auto& f : std::filesystem::directory_iterator(
           absl::StrCat(data_dir, "/conformance/traces"), ec)) {
    if (f.path().extension() == ".trace") traces.push_back(f.path());
  }
  std::sort(traces.begin(), traces.end());
  for (const auto& path : traces) {
    if (!ReadAll(path.string(), text)) continue;
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      if (!absl::ConsumePrefix(&line, "covers ")) continue;
      for (absl::string_view id : absl::StrSplit(line, ' ', absl::SkipWhitespace())) {
        auto it = c.entries.find(std::string(id));
        if (it != c.entries.end()) it->second.traces.push_back(path.stem().string());
      }
    }
  }
  return c;
}

std::string FormatEntry(const CatalogueEntry& e) {
  std::string out = absl::StrCat(e.id, "  [", e.level, " | check ", e.check, "]\n");
  if (!e.section.empty()) absl::StrAppend(&out, "section:  ", e.section, "\n");
  absl::StrAppend(&out, "\n", e.text.empty() ? "(not in the catalogue)" : e.text, "\n\n");
  absl::StrAppend(&out, "model:    ", e.model_rules.empty() ? "(no rule yet)" : e.model_rules, "\n");
  absl::StrAppend(&out, "status:   ", e.status.empty() ? "not touched yet" : e.status, "\n");
  if (!e.notes_tests.empty()) absl::StrAppend(&out, "notes:    ", e.notes_tests, "\n");
  absl::StrAppend(&out, "traces:   ", e.traces.empty() ? "(none)" : absl::StrJoin(e.traces, " "),
                  "\n");
  return out;
}

}  // namespace aiospec
