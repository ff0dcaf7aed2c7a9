// The checker: judges an observation log against the model of POSIX AIO.
//
// It replays the trace on the model and keeps the set of model states that
// are consistent with every observation so far (SibylFS-style). Request
// completion is a hidden step: the checker inserts completions only where an
// observation needs them, and does not enumerate orders of completions that
// commute. States are memoized by canonical form. When the set grows past
// CheckOptions::max_states the verdict is kUnresolved, never kPass/kFail.
// An empty set is kFail, explained: the step, what was observed, what the
// model allowed there, and the assertion IDs that ruled the observation out.
//
// Usage:
//   CheckResult r = CheckLog(trace, log, CheckOptions{.profile = Profile::kQoi});
//   std::cout << FormatResult(r, trace);
//   if (r.verdict == Verdict::kFail) { ... r.failure->assertion_ids ... }
#ifndef AIOSPEC_MODEL_CHECKER_H_
#define AIOSPEC_MODEL_CHECKER_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/observation/observation.h"
#include "harness/trace/trace.h"

namespace aiospec {

// posix: only what the standard requires. qoi: posix plus the quality rules
// a good implementation keeps (ordered overlapping writes, progress within
// a wait bound, close never touching a reused descriptor number, ...).
enum class Profile { kPosix, kQoi };

// PASS..UNTESTED are the Open POSIX Test Suite's five; HANG and CRASH are a
// target that deadlocked or died.
enum class Verdict {
  kPass,
  kFail,
  kUnresolved,
  kUnsupported,
  kUntested,
  kHang,
  kCrash
};

const char* ProfileName(Profile p);               // "posix", "qoi"
std::optional<Profile> ProfileFromName(std::string_view name);
const char* VerdictName(Verdict v);               // "PASS", "FAIL", ...

struct CheckOptions {
  Profile profile = Profile::kQoi;
  size_t max_states = 4096;
};

// Why a log was rejected, or where a run stopped.
struct Explanation {
  int op_index = -1;
  SourceLoc loc;
  std::string op_text;                  // the op, as printed in a trace
  std::string observed;                 // "aio_error ret=EINPROGRESS"
  std::vector<std::string> allowed;     // what the model allowed instead
  std::vector<std::string> assertion_ids;
  std::string message;                  // one sentence for a person
};

struct CheckResult {
  Verdict verdict = Verdict::kPass;
  Profile profile = Profile::kQoi;
  std::optional<Explanation> failure;   // set for kFail, kHang, kCrash,
                                        // kUnresolved
  size_t peak_states = 0;               // largest state set seen
  size_t steps_checked = 0;
  // Implementation-defined choices every accepted run took, i.e. the ones
  // the log demonstrates, e.g. "AIO-READ-16: EBADF reported asynchronously"
  // (recorded, not judged).
  std::vector<std::string> choices;
};

CheckResult CheckLog(const Trace& trace, const ObservationLog& log,
                     const CheckOptions& options);

// A person-readable multi-line rendering of the verdict and explanation.
std::string FormatResult(const CheckResult& result, const Trace& trace);

}  // namespace aiospec

#endif  // AIOSPEC_MODEL_CHECKER_H_
