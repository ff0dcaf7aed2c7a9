// The agent's executor run inside this process: on the linked C library
// (the `glibc-inproc` target, the default) or on any other function table,
// such as the bundled implementation's (bundled_inproc_target.h).
//
// Much faster than a child process (no fork, no exec), which is what the
// fuzzer needs, but with no protection: RunOptions::watchdog is ignored,
// because nothing can stop a deadlocked thread in our own process, and a
// crash of the implementation is a crash of the caller. Use `glibc` (the
// same executor behind a watchdog) to replay anything suspicious.
//
// Runs are serialized by one process-wide lock, shared by every in-process
// target: the executor installs signal handlers and owns process-wide
// notification state, so two runs at once would see each other's signals.
// Traces with signal storms or process events are refused (RefuseInProcess
// in target.h). Every run uses the same work directory (a TempDir,
// temp_dir.h, made on the first run and removed at exit), emptied before
// each run; a run returns once the implementation is at rest (AtRest), so
// the next one starts from the same state. A thread that runs a trace has
// its timer slack set to 1 ns (and left so), so the executor's short polls
// sleep as long as they ask.
//
// Usage:
//   InProcessTarget target;
//   absl::StatusOr<ObservationLog> log = target.Run(trace, RunOptions{});
#ifndef AIOSPEC_HARNESS_TARGET_INPROC_TARGET_H_
#define AIOSPEC_HARNESS_TARGET_INPROC_TARGET_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "harness/agent/agent.h"
#include "harness/target/target.h"

namespace aiospec {

// Where the wall time of one Run went, in nanoseconds (fuzz_bench reports
// these per phase). `ops` runs from the executor's first log line to the
// last line of the last op; `cleanup` is the executor's own end-of-run
// cleanup (cancel, release, stragglers, close, unlink) up to `end
// completed`; `rest` is Run's wait for the implementation to come to rest.
struct InProcessPhases {
  int64_t setup_ns = 0;     // wire encoding, lock, work directory check,
                            // the executor's validation and handler setup
  int64_t ops_ns = 0;       // the trace's ops
  int64_t cleanup_ns = 0;   // the executor's come-to-rest
  int64_t rest_ns = 0;      // WaitForRest
  int64_t finish_ns = 0;    // log parse
};

class InProcessTarget : public Target {
 public:
  // The linked C library, as `glibc-inproc`.
  InProcessTarget();
  // `fill_ops` fills the executor's function table; `replay_target` is the
  // out-of-process target that runs the same code behind a watchdog.
  InProcessTarget(std::string name, void (*fill_ops)(struct aiospec_aio_ops*),
                  std::string replay_target);

  const std::string& name() const override { return name_; }
  absl::StatusOr<ObservationLog> Run(const Trace& trace,
                                     const RunOptions& options) override;

  // The phases of the last Run on this target.
  const InProcessPhases& last_phases() const { return phases_; }

 protected:
  // Whether the implementation has nothing of the last run left in flight
  // (requests, notification threads). Run waits for it, bounded, before
  // it returns, so a late notification never lands in the next run. The
  // C library cannot be asked: true.
  virtual bool AtRest() const { return true; }

 private:
  void WaitForRest() const;

  std::string name_;
  void (*fill_ops_)(struct aiospec_aio_ops*);
  std::string replay_target_;
  InProcessPhases phases_;
};

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_TARGET_INPROC_TARGET_H_
