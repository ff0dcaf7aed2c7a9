// Baselines: the known findings of a target, so CI stays green on a buggy
// libc while any change of verdict still fails.
//
// A baseline file lists, per trace, the verdict the target is known to get
// and the assertion IDs behind it. A trace not listed is expected to PASS.
// The trace itself (conformance/traces/NAME.trace) is the minimal trace
// that shows the finding; `aiospec run` replays it.
//
//   # aiospec baseline 1: known findings of glibc under profile qoi
//   close_reuse_pipe_write  FAIL  AIO-PROC-02
//   cancel_blocked_read     HANG
//   same_range_rewrites     RACE FAIL AIO-GEN-05 AIO-WRITE-01
//
// RACE marks a finding that depends on thread timing in the implementation
// (no blocker can hold it): that trace may PASS or show exactly that finding;
// anything else is a change. The finding stays listed, and the report says
// whether it showed in this run. A race with more than one outcome lists
// each on its own RACE line; the trace may show any of them:
//
//   close_file_write_then_reuse  RACE FAIL AIO-PROC-02
//   close_file_write_then_reuse  RACE FAIL AIO-PROC-03
//
// Usage:
//   absl::StatusOr<Baseline> b = LoadBaseline("conformance/baselines/glibc.txt");
//   BaselineComparison c = CompareToBaseline(*b, judgement);
//   if (!c.matches) std::cerr << c.message << "\n";  // "new FAIL ..." etc.
#ifndef AIOSPEC_HARNESS_CLI_BASELINE_H_
#define AIOSPEC_HARNESS_CLI_BASELINE_H_

#include <string>
#include <string_view>
#include <vector>

#include <optional>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "harness/cli/judge.h"
#include "model/checker.h"

namespace aiospec {

struct KnownFinding {
  Verdict verdict = Verdict::kFail;
  std::vector<std::string> assertion_ids;  // sorted
  bool racy = false;  // RACE: PASS is expected too
};

struct Baseline {
  // Sorted for printing; a trace has several entries only when all are RACE.
  absl::btree_multimap<std::string, KnownFinding> by_trace;
};

absl::StatusOr<Baseline> ParseBaseline(std::string_view text,
                                       std::string_view source_name);
// A missing file is an empty baseline: every trace is expected to PASS.
absl::StatusOr<Baseline> LoadBaseline(std::string_view path);
// DIR/TARGET.txt, with the ':' and '/' of specs like cross:aarch64 or
// agent:/path turned into '-' so every target has a plain file name.
std::string BaselinePath(std::string_view dir, std::string_view target);
std::string PrintBaseline(const Baseline& baseline, std::string_view header);

// The finding a judgement amounts to; nullopt for PASS, UNSUPPORTED, UNTESTED.
std::optional<KnownFinding> FindingOf(const Judgement& j);

struct BaselineComparison {
  bool matches = true;
  std::string message;  // why it differs, or "known finding: ..." when it matches one
};
BaselineComparison CompareToBaseline(const Baseline& baseline,
                                     const Judgement& j);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_CLI_BASELINE_H_
