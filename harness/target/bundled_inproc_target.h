// aiospec's bundled AIO implementation (bundled/) driven by the agent's
// executor inside this process (the `bundled-inproc` target).
//
// The bundled twin of InProcessTarget (inproc_target.h): no fork, no exec,
// so it is what the fuzzer runs thousands of times a second. The same
// caveats hold: RunOptions::watchdog is ignored, and a crash of the
// implementation is a crash of the caller. Replay anything suspicious on
// `bundled` (the same code behind a watchdog).
//
// Runs are serialized by a process-wide lock (the executor owns the signal
// handlers and the notification state). Each run gets a fresh TempDir. After
// a run, outstanding() says how many requests the bundled library still
// counts as in flight: 0 unless the executor's end-of-run cleanup failed, so
// the next run starts from the same, empty, request table.
//
// Usage:
//   BundledInProcessTarget target;
//   absl::StatusOr<ObservationLog> log = target.Run(trace, RunOptions{});
//   if (BundledInProcessTarget::outstanding() != 0) { ... leaked requests ... }
#ifndef AIOSPEC_HARNESS_TARGET_BUNDLED_INPROC_TARGET_H_
#define AIOSPEC_HARNESS_TARGET_BUNDLED_INPROC_TARGET_H_

#include <string>

#include "absl/status/statusor.h"
#include "harness/target/target.h"

namespace aiospec {

class BundledInProcessTarget : public Target {
 public:
  const std::string& name() const override { return name_; }
  absl::StatusOr<ObservationLog> Run(const Trace& trace,
                                     const RunOptions& options) override;

  // Requests the bundled library holds as submitted and not completed.
  static int outstanding();

 private:
  std::string name_ = "bundled-inproc";
};

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_TARGET_BUNDLED_INPROC_TARGET_H_
