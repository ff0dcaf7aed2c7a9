#include "harness/cli/baseline.h"

#include <algorithm>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace aiospec {
namespace {

std::optional<Verdict> VerdictFromName(std::string_view name) {
  for (Verdict v : {Verdict::kPass, Verdict::kFail, Verdict::kUnresolved,
                    Verdict::kUnsupported, Verdict::kUntested, Verdict::kHang,
                    Verdict::kCrash}) {
    if (name == VerdictName(v)) return v;
  }
  return std::nullopt;
}

std::string Describe(const KnownFinding& f) {
  std::string s = absl::StrCat(f.racy ? "RACE " : "", VerdictName(f.verdict));
  if (!f.assertion_ids.empty()) {
    absl::StrAppend(&s, " ", absl::StrJoin(f.assertion_ids, " "));
  }
  return s;
}

}  // namespace

absl::StatusOr<Baseline> ParseBaseline(std::string_view text,
                                       std::string_view source_name) {
  Baseline baseline;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++line_no;
    if (size_t hash = line.find('#'); hash != absl::string_view::npos) {
      line = line.substr(0, hash);
    }
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (words.empty()) continue;
    auto error = [&](const std::string& what) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s:%d:1: %s", std::string(source_name), line_no, what));
    };
    if (words.size() < 2) return error("expected: TRACE [RACE] VERDICT [ASSERTION-ID...]");
    const bool racy = words[1] == "RACE";
    if (racy) {
      words.erase(words.begin() + 1);
      if (words.size() < 2) return error("expected a finding verdict after RACE");
    }
    std::optional<Verdict> verdict = VerdictFromName(std::string(words[1]));
    if (!verdict.has_value() || *verdict == Verdict::kPass) {
      return error(absl::StrCat("'", words[1],
                                "' is not a finding verdict (FAIL, HANG, CRASH, "
                                "UNRESOLVED, UNSUPPORTED, UNTESTED)"));
    }
    KnownFinding finding{*verdict, {}, racy};
    for (size_t i = 2; i < words.size(); ++i) {
      finding.assertion_ids.emplace_back(words[i]);
    }
    std::sort(finding.assertion_ids.begin(), finding.assertion_ids.end());
    auto [first, last] = baseline.by_trace.equal_range(std::string(words[0]));
    for (auto it = first; it != last; ++it) {
      if (!racy || !it->second.racy) {
        return error(absl::StrCat("trace '", words[0],
                                  "' listed twice (only RACE lines may list one outcome each)"));
      }
    }
    baseline.by_trace.emplace(std::string(words[0]), finding);
  }
  return baseline;
}

absl::StatusOr<Baseline> LoadBaseline(std::string_view path) {
  std::ifstream probe{std::string(path)};
  if (!probe) return Baseline{};
  absl::StatusOr<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  return ParseBaseline(*text, path);
}

std::string BaselinePath(std::string_view dir, std::string_view target) {
  std::string name(target);
  for (char& c : name) {
    if (c == ':' || c == '/') c = '-';
  }
  return absl::StrCat(std::string(dir), "/", name, ".txt");
}

std::string PrintBaseline(const Baseline& baseline, std::string_view header) {
  std::string out = absl::StrCat("# aiospec baseline 1: ", std::string(header), "\n");
  for (const auto& [trace, finding] : baseline.by_trace) {
    absl::StrAppendFormat(&out, "%-40s %s\n", trace, Describe(finding));
  }
  return out;
}

std::optional<KnownFinding> FindingOf(const Judgement& j) {
  // UNSUPPORTED and UNTESTED say what the harness could not run, not how the
  // implementation behaved: never findings.
  if (j.result.verdict == Verdict::kPass || j.result.verdict == Verdict::kUnsupported ||
      j.result.verdict == Verdict::kUntested) {
    return std::nullopt;
  }
  KnownFinding f{j.result.verdict, {}};
  if (j.result.verdict == Verdict::kFail && j.result.failure.has_value()) {
    f.assertion_ids = j.result.failure->assertion_ids;
    std::sort(f.assertion_ids.begin(), f.assertion_ids.end());
  }
  return f;
}

BaselineComparison CompareToBaseline(const Baseline& baseline,
                                     const Judgement& j) {
  std::optional<KnownFinding> now = FindingOf(j);
  auto [first, last] = baseline.by_trace.equal_range(j.trace_name);
  // The entry this run is judged by: the one it shows, else the first.
  const KnownFinding* known = first == last ? nullptr : &first->second;
  for (auto it = first; now.has_value() && it != last; ++it) {
    if (now->verdict == it->second.verdict && now->assertion_ids == it->second.assertion_ids) {
      known = &it->second;
    }
  }
  if (!now.has_value() && known == nullptr) return {true, ""};
  if (!now.has_value() && known != nullptr && known->racy) {
    return {true, absl::StrCat("known race on ", j.target, ", not seen this run: ",
                               Describe(*known))};
  }
  if (now.has_value() && known != nullptr && now->verdict == known->verdict &&
      now->assertion_ids == known->assertion_ids) {
    return {true, absl::StrCat(known->racy ? "known race on " : "known finding on ",
                               j.target, known->racy ? ", seen this run: " : ": ",
                               Describe(*now))};
  }
  if (known == nullptr) {
    return {false, absl::StrCat("new finding on ", j.target, ": ", j.trace_name,
                                " is ", Describe(*now),
                                " (not in the baseline)")};
  }
  if (!now.has_value()) {
    return {false, absl::StrCat("known finding fixed on ", j.target, ": ",
                                j.trace_name, " now PASSes; baseline says ",
                                Describe(*known), " (remove it from the baseline)")};
  }
  return {false, absl::StrCat("finding changed on ", j.target, ": ", j.trace_name,
                              " is ", Describe(*now), "; baseline says ",
                              Describe(*known))};
}

}  // namespace aiospec
