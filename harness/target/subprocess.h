// Runs a program as a child process behind a watchdog.
//
// The child gets `stdin_data` on its standard input (then EOF), and its
// standard output and a tail of its standard error come back. It runs in a
// process group of its own; when it outlives `timeout`, the whole group is
// killed with SIGKILL, which an implementation cannot block, so a deadlocked
// target costs bounded time. The child is always reaped before RunSubprocess
// returns: no zombies, on every path.
//
// Usage:
//   SubprocessOptions opts;
//   opts.timeout = absl::Milliseconds(300);
//   absl::StatusOr<SubprocessResult> r =
//       RunSubprocess({"/bin/cat"}, "hello", opts);
//   // r->outcome == SubprocessResult::Outcome::kExited, r->stdout_text == "hello"
//
// A caller that knows how long each step of the child's work may take can
// bound the steps one by one: `deadline_after_line` sees every complete
// line of standard output as it arrives, and a duration it returns moves
// the deadline to that long from now (never past `timeout` from the start).
// An agent that announces each op this way hangs for one op's bound, not
// the whole run's.
//
// Thread-safe: concurrent calls from different threads are fine (the pipes
// are close-on-exec, so one call's child never holds another call's pipe).
#ifndef AIOSPEC_HARNESS_TARGET_SUBPROCESS_H_
#define AIOSPEC_HARNESS_TARGET_SUBPROCESS_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace aiospec {

struct SubprocessOptions {
  absl::Duration timeout = absl::Seconds(10);  // on CLOCK_MONOTONIC
  // More standard output than this is an error (kResourceExhausted): the
  // child is killed rather than buffering without bound.
  size_t max_stdout_bytes = size_t{256} << 20;
  size_t stderr_tail_bytes = 4096;  // the last bytes of stderr are kept
  // "NAME=VALUE" entries that replace or extend the harness's environment
  // (e.g. LD_PRELOAD for the drop-in bundled implementation).
  std::vector<std::string> env_overrides;
  // Optional per-step watchdog (see the top comment); called on the thread
  // that called RunSubprocess, with the line without its newline.
  std::function<std::optional<absl::Duration>(std::string_view line)>
      deadline_after_line;
};

struct SubprocessResult {
  enum class Outcome {
    kExited,    // exit_code is valid
    kSignaled,  // killed by `signal` (not by the watchdog)
    kTimedOut,  // the watchdog killed the process group
  };
  Outcome outcome = Outcome::kExited;
  int exit_code = 0;
  int signal = 0;
  std::string stdout_text;  // everything read, also after a timeout
  std::string stderr_tail;
};

// argv[0] is the program's path (no PATH search). Errors: the program could
// not be started (kFailedPrecondition / kInternal), or wrote too much
// (kResourceExhausted). A child that fails, crashes or hangs is a result.
absl::StatusOr<SubprocessResult> RunSubprocess(
    const std::vector<std::string>& argv, std::string_view stdin_data,
    const SubprocessOptions& options);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_TARGET_SUBPROCESS_H_
