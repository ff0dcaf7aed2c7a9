// aiospec's bundled AIO implementation (bundled/) driven by the agent's
// executor inside this process (the `bundled-inproc` target).
//
// InProcessTarget (inproc_target.h) on the bundled function table: no fork,
// no exec, which is what the fuzzer needs; no watchdog either, so replay
// anything suspicious on `bundled`. After a run, outstanding() says how many
// requests the bundled library still counts as in flight: 0 unless the
// executor's end-of-run cleanup failed, so the next run starts from the same
// empty request table. Run itself waits until the library is at rest (no
// request and no notification thread of the run left), so a notification
// thread of one run cannot report into the next.
//
// Usage:
//   BundledInProcessTarget target;
//   absl::StatusOr<ObservationLog> log = target.Run(trace, RunOptions{});
//   if (BundledInProcessTarget::outstanding() != 0) { ... leaked requests ... }
#ifndef AIOSPEC_HARNESS_TARGET_BUNDLED_INPROC_TARGET_H_
#define AIOSPEC_HARNESS_TARGET_BUNDLED_INPROC_TARGET_H_

#include "harness/target/inproc_target.h"

namespace aiospec {

class BundledInProcessTarget : public InProcessTarget {
 public:
  BundledInProcessTarget();

  // Requests the bundled library holds as submitted and not completed.
  static int outstanding();

 protected:
  // No request outstanding and no SIGEV_THREAD notification running.
  bool AtRest() const override;
};

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_TARGET_BUNDLED_INPROC_TARGET_H_
