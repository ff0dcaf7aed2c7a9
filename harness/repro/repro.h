// Standalone C reproducers: one finding (a trace whose run on a target the
// model judged FAIL, HANG or CRASH) as a self-contained C99 program that a
// libc maintainer builds with `cc -std=c99 -pthread repro.c -lrt` (or
// `musl-gcc -static`), without aiospec.
//
// The program runs the trace's ops as straight-line C, one commented block
// per op (signal storms, fork/_exit/exec children, seccomp holds written out
// as the agent does them), prints each op's observation in aiospec's log
// format, and judges itself:
//  - FAIL finding: at the failing op, an observation in the model's allowed
//    list is PASS (exit 0); any other is FAIL (exit 1, "observed X; POSIX
//    allows Y"). The allowed list is exact only for the recorded run's
//    history, so when an earlier op observed something else than the
//    recorded run (printed as it happens; descriptor numbers and storm
//    counts excepted) and the failing op is not allowed, the verdict is
//    INCONCLUSIVE (exit 2), never a FAIL that aiospec might not give.
//  - FAIL at a `storm off` record: the model's storm rules in C (a status
//    path that goes back or changes its final value, aio_suspend errors),
//    and for the final statuses the handlers saw and the values their
//    aio_return gave, the model's allowed list (PASS) and what its message
//    rejected (FAIL); else INCONCLUSIVE.
//  - FAIL whose rejected observation is a notification: FAIL when the same
//    notification (kind, signal, code, value, status) arrives, PASS when
//    the run ends without it.
//  - HANG/CRASH finding (and any run): the ops run in a child process; the
//    parent gives each op a bound (kHangSlackMillis plus the op's own
//    timeout, five times that while a storm is on) and reports "hung in op
//    N" or "crashed with SIGx in op N" as FAIL (exit 1). A HANG/CRASH
//    finding whose run completes is PASS.
// The comment block at the top names the trace, the assertion IDs with the
// catalogue's words, what the model allowed, what the target did, and the
// build line.
//
// Usage:
//   ReproInput in{.trace = &j.trace, .trace_path = j.trace_path,
//                 .target = j.target, .log = &j.log, .result = &j.result,
//                 .assertion_texts = {{"AIO-PROC-02", "..."}}};
//   absl::StatusOr<std::string> c = EmitReproducer(in);
//   // kFailedPrecondition: the verdict is not FAIL/HANG/CRASH;
//   // kUnimplemented: a FAIL that names no op (the message says so).
#ifndef AIOSPEC_HARNESS_REPRO_REPRO_H_
#define AIOSPEC_HARNESS_REPRO_REPRO_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/observation/observation.h"
#include "harness/trace/trace.h"
#include "model/checker.h"

namespace aiospec {

// Per-op slack of the program's watchdog: an op that makes no progress for
// this long (beyond its own timeout) has hung. Short, so HANG findings cost
// little, and far above what any op of a working libc takes.
inline constexpr int kHangSlackMillis = 2000;

struct ReproInput {
  const Trace* trace = nullptr;
  std::string trace_path;  // for the comment block
  std::string target;      // where the finding was observed
  const ObservationLog* log = nullptr;
  const CheckResult* result = nullptr;
  // Catalogue wording of the assertion IDs (ID, text); IDs without an entry
  // are named without text.
  std::vector<std::pair<std::string, std::string>> assertion_texts;
};

absl::StatusOr<std::string> EmitReproducer(const ReproInput& in);

// The build line the comment block recommends, for a file named `file`.
std::string ReproBuildLine(const std::string& file);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_REPRO_REPRO_H_
