// The fuzzer's oracle: run a runnable trace on an in-process target, judge
// the log with the model, turn the outcome into coverage features, and
// write findings (shrunk) to the findings directory.
//
// Verdicts come from the model only (model/checker.h), under the profile in
// $AIOSPEC_FUZZ_PROFILE (posix|qoi, default qoi). Findings go to
// $AIOSPEC_FUZZ_FINDINGS (default ./fuzz-findings)/<target>/, one set of
// files per signature (verdict and assertion IDs): NAME.trace (shrunk),
// NAME.log, NAME.txt (the explanation and the unshrunk trace). A signature
// already on disk is not written again.
//
// Usage:
//   Oracle oracle(OracleConfig::FromEnv());
//   Judged j = oracle.RunAndJudge(target, trace);
//   oracle.AddFeatures(target.name(), trace, j, counters, kNumCounters);
//   if (j.result.verdict == Verdict::kFail) oracle.RecordFinding(target, trace, j);
#ifndef AIOSPEC_FUZZ_FUZZ_ORACLE_H_
#define AIOSPEC_FUZZ_FUZZ_ORACLE_H_

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "harness/observation/observation.h"
#include "harness/target/target.h"
#include "harness/trace/trace.h"
#include "model/checker.h"

namespace aiospec {

struct OracleConfig {
  Profile profile = Profile::kQoi;
  std::string findings_dir = "fuzz-findings";
  int shrink_judgements = 150;
  // Wall-clock budget of one finding's shrinking ($AIOSPEC_FUZZ_SHRINK_SECONDS);
  // 0 writes findings as found (a smoke run that must stay short).
  int shrink_seconds = 30;
  static OracleConfig FromEnv();
};

struct Judged {
  enum class Outcome {
    kJudged,         // result holds the model's verdict
    kRunError,       // the target could not run it (error)
    kPrecondition,   // a guardrail that only the log can check failed
  };
  Outcome outcome = Outcome::kJudged;
  std::string error;  // kRunError, kPrecondition
  ObservationLog log;
  CheckResult result;
  // Wall time of the run (Target::Run) and of the judging (the run-time
  // preconditions and the model), in nanoseconds.
  int64_t run_ns = 0;
  int64_t check_ns = 0;
};

// "FAIL AIO-READ-07 AIO-GEN-04": verdict and sorted assertion IDs.
std::string FailureSignature(const CheckResult& result);

// Points $TMPDIR at /dev/shm when it is unset and /dev/shm is writable, so
// in-process runs (TempDir, harness/target/temp_dir.h) keep their files in
// memory: on a disk mounted with discard, removing a run's files cost
// milliseconds, more than the run itself. Call before the first run.
void PreferMemoryTempDir();

// Restricts this process to one CPU of its affinity mask and returns it,
// or -1 (nothing changed). The CPU is claimed with a lock file
// (/tmp/aiospec-cpu-N.lock, held until the process exits),
// starting from the CPU it runs on, so fuzzers or benchmarks started side
// by side take different CPUs; with every CPU claimed it stays unpinned.
// Call before anything starts a thread (threads inherit the mask, and the
// bundled library decides at initialization, from the mask, whether to
// spin): on one CPU a hand-off to a worker is a context switch, where on a
// shared machine spinning workers and cross-CPU wake-ups cost several
// times more (fuzz_bench, a file write and read on bundled-inproc: 8,588
// execs/s pinned, 1,726/s on both CPUs of a loaded 2-CPU machine).
int PinToOneCpu();

class Oracle {
 public:
  explicit Oracle(OracleConfig config) : config_(std::move(config)) {}

  Judged RunAndJudge(Target& target, const Trace& trace) const;

  // Sets counters[h % n] for features of the run: each step's op and
  // result class (ret, errno), consecutive pairs of them, notifications,
  // the model's verdict, its implementation-defined choices and its state
  // count. `salt` tells targets apart in a differential run.
  static void AddFeatures(const std::string& salt, const Trace& trace,
                          const Judged& judged, uint8_t* counters, size_t n);

  // Shrinks and writes a finding; returns the path prefix written, or ""
  // when the signature was already recorded.
  std::string RecordFinding(Target& target, const Trace& trace,
                            const Judged& judged);

  // Writes a note (e.g. a differential difference) once per key.
  std::string RecordNote(const std::string& kind, const std::string& key,
                         const std::string& text);

  const OracleConfig& config() const { return config_; }

 private:
  OracleConfig config_;
  std::set<std::string> recorded_;
};

}  // namespace aiospec

#endif  // AIOSPEC_FUZZ_FUZZ_ORACLE_H_
