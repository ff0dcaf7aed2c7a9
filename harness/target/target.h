// Targets: the AIO implementations aiospec judges.
//
// A target runs a Trace and returns the ObservationLog. Out-of-process
// targets run an agent binary in a child process behind a watchdog, so a
// deadlock or crash in the implementation becomes a log that ends in
// RunEnd::kHung or kCrashed, never a hung or dead harness.
//
// Target specs (see KnownTargets()):
//   glibc          the agent linked with the system glibc, as a child process
//   glibc-inproc   the same executor inside this process (fast; no watchdog)
//   musl           the agent built statically with musl-gcc
//   agent:PATH     any agent binary, e.g. one built for a libc port
//
// Usage:
//   absl::StatusOr<std::unique_ptr<Target>> t = MakeTarget("musl");
//   if (!t.ok()) return t.status();   // "target musl: agent not built: ..."
//   absl::StatusOr<ObservationLog> log = (*t)->Run(trace, RunOptions{});
#ifndef AIOSPEC_HARNESS_TARGET_TARGET_H_
#define AIOSPEC_HARNESS_TARGET_TARGET_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "harness/observation/observation.h"
#include "harness/trace/trace.h"

namespace aiospec {

struct RunOptions {
  // Wall-clock bound for one trace; past it the agent is killed (SIGKILL).
  absl::Duration watchdog = absl::Seconds(10);
  // Out-of-process targets also bound each op: its own timeout (a wait's,
  // a finite aio_suspend's) plus this, so a hang costs seconds, not the
  // whole watchdog. Never extends `watchdog`.
  absl::Duration op_slack = absl::Seconds(2);
};

class Target {
 public:
  virtual ~Target() = default;
  virtual const std::string& name() const = 0;
  // A crash or hang of the implementation is a log, not an error. An error
  // means the target could not run at all: agent missing, failed to start,
  // or output that is not a log. kUnimplemented means this target does not
  // run this kind of trace (the verdict is UNSUPPORTED, with the reason).
  virtual absl::StatusOr<ObservationLog> Run(const Trace& trace,
                                             const RunOptions& options) = 0;
  // True when each run is a process of its own, with its own work directory
  // and watchdog: Run may then be called from several threads at once, and
  // a trace may use process-wide things (signal storms, fork). In-process
  // targets share this process's signals and AIO state.
  virtual bool OutOfProcess() const { return false; }
};

// Errors: kNotFound for an unknown spec, kFailedPrecondition for a known
// target that is not available here (e.g. musl-gcc was missing at build).
absl::StatusOr<std::unique_ptr<Target>> MakeTarget(std::string_view spec);

// In-process targets have no watchdog and share this process's signals and
// threads, so they refuse traces with signal storms, process events, holds
// or an aio_suspend with a negative timeout (which a library may abort on)
// (kUnimplemented, naming the out-of-process target to use instead); OK for
// every other trace.
absl::Status RefuseInProcess(const Trace& trace, std::string_view target,
                             std::string_view use_instead);

// The specs MakeTarget understands, except agent:PATH.
std::vector<std::string> KnownTargets();

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_TARGET_TARGET_H_
