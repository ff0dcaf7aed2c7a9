// Parsing the log of a run that may have been cut short, for executors.
//
// ParseLog (observation.h) is for a log a person hands us: it must be whole,
// ending in an `end` line. An executor that reads an agent's output needs
// more: the agent may have crashed or been killed mid-trace, so the text may
// lack the `end` line or stop in the middle of a line, and the executor wants
// to know which op the agent last started (`# begin K` progress comments)
// and what the agent said went wrong (`# error: ...`).
//
// Usage:
//   absl::StatusOr<PartialLog> p = ParsePartialLog(out, "agent glibc");
//   if (!p.ok()) return p.status();          // not a log at all
//   if (!p->ended) {                          // the agent died mid-run
//     p->log.end = RunEnd::kHung;
//     p->log.hung_at = p->last_begun;
//   }
#ifndef AIOSPEC_HARNESS_OBSERVATION_PARTIAL_LOG_H_
#define AIOSPEC_HARNESS_OBSERVATION_PARTIAL_LOG_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "harness/observation/observation.h"

namespace aiospec {

struct PartialLog {
  // Without an `end` line: end == kCrashed and crash_signal == 0 (a run
  // that stopped for an unknown reason); the caller refines it.
  ObservationLog log;
  bool ended = false;       // an `end` line was present
  int last_begun = -1;      // K of the last `# begin K` comment, or -1
  std::string last_error;   // text after the last `# error:`, or ""
};

// K when `line` (one line of agent output, without its newline) is the
// progress comment `# begin K`, else nullopt. Lets a runner watch progress
// as the output arrives.
std::optional<int> BegunOp(std::string_view line);

// Like ParseLog, but a missing `end` line is not an error, and neither is an
// unparsable last line when the text does not end in '\n' (a torn write):
// that line is dropped. Empty text is an empty, unended log.
absl::StatusOr<PartialLog> ParsePartialLog(std::string_view text,
                                           std::string_view source_name);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_OBSERVATION_PARTIAL_LOG_H_
