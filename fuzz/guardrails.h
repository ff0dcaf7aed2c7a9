// Guardrails: which traces the fuzzer may run in-process.
//
// A generated trace must never make the implementation do something POSIX
// leaves undefined (/work/shared/spec/ASSERTIONS.md, "UB guardrails the
// fuzzer must respect"), nor block forever by design, nor ask for more
// memory or disk than a fuzzing loop can afford. Then every model FAIL on a
// runnable trace is a real finding about the implementation.
//
// CheckRunnable is the static part: it walks the trace with a small state
// machine per aiocb (never submitted -> in flight -> waited -> returned)
// and per descriptor (file or stream). MakeRunnable repairs any parsable
// Trace until CheckRunnable accepts it (drops or edits the offending ops),
// which is what the mutator runs after every mutation.
//
// Some preconditions can only be known after the run: `aio_return` is only
// defined if the `wait` before it saw the request finish, and a wait can
// time out. CheckRunPreconditions looks at the log for that; a run that
// fails it is not judged.
//
// Usage:
//   absl::Status ok = CheckRunnable(trace);   // "op 4 (aio_return r): ..."
//   Trace safe = MakeRunnable(std::move(trace));
//   ... run safe, get log ...
//   if (CheckRunPreconditions(safe, log).ok()) { ... judge with the model ... }
#ifndef AIOSPEC_FUZZ_GUARDRAILS_H_
#define AIOSPEC_FUZZ_GUARDRAILS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "harness/observation/observation.h"
#include "harness/trace/trace.h"

namespace aiospec {

struct GuardrailOptions {
  int max_ops = 64;
  // The trace runs in an agent process of its own (a target whose
  // OutOfProcess() is true), not in the fuzzer: signal storms (at most
  // max_storm_rate_hz) and process events are allowed. In process they
  // would signal or fork the fuzzer itself.
  bool out_of_process = false;
  int32_t max_storm_rate_hz = 20000;
  // Waits come in two kinds. A long wait, bound in [min_wait_nanos,
  // max_wait_nanos], is one the qoi profile judges: timing out while a
  // request could proceed is a FAIL (no progress), only fair with a bound a
  // loaded machine can meet. A short wait, bound at most ShortWaitNanos(),
  // only polls: the model accepts its timeout. Its bound only decides how
  // often a request that can finish does so before the poll ends, and a
  // request that cannot (a read on an empty pipe) costs the whole bound:
  // in process 500 us, where a finished request shows within a few dozen
  // microseconds (fuzz_bench's short waits that succeeded, at load 5:
  // bundled 99.9% within 121 us, glibc 99.6% within 500 us, and as many
  // past 1 ms as past 500 us); an agent process, maybe under an emulator,
  // keeps 2 ms.
  // A request held on a pipe or socket makes a wait cost its whole bound,
  // so long waits (and aio_suspend timeouts above the short bound) are only
  // for requests on regular files, which a correct implementation finishes
  // at once, and at most max_long_waits of them: a long wait costs time
  // only when it finds a bug. This keeps the fuzzer at thousands of runs a
  // second.
  int64_t max_wait_nanos = 200'000'000;
  int64_t min_wait_nanos = 100'000'000;
  int64_t max_short_wait_nanos = 500'000;
  int64_t max_short_wait_nanos_out_of_process = 2'000'000;
  int64_t ShortWaitNanos() const {
    return out_of_process ? max_short_wait_nanos_out_of_process
                          : max_short_wait_nanos;
  }
  int max_long_waits = 4;
  // Bound on nbytes of a read or write, on write data and on file content.
  int64_t max_io_bytes = 64 << 10;
  // A write must stay below this file offset (so `readback` stays small),
  // unless its offset is negative or INT64_MAX (EINVAL/EFBIG cases).
  int64_t max_file_bytes = 1 << 20;
  // The model judges lio_listio lists of at most this many requests.
  int max_lio_requests = 6;
};

// OK, or InvalidArgument naming the first op that breaks a guardrail:
//  - a descriptor, file or aiocb used against the parser's invariants;
//  - an aiocb submitted (aio_read, aio_write, aio_fsync, lio_listio element,
//    also `nop`) while it may still be in flight, i.e. not aio_return'ed
//    since its last submission (AIO-READ-11, AIO-WRITE-10);
//  - one aiocb twice in one lio_listio list;
//  - aio_error, aio_cancel, aio_suspend or wait on an aiocb never submitted
//    (AIO-ERROR-05, AIO-SUSP-04);
//  - aio_return without a `wait` on it since its last submission
//    (AIO-RETURN-02);
//  - aio_cancel(fd, cb) where fd is not the descriptor cb was submitted on
//    (unspecified: AIO-CANCEL-08);
//  - aio_suspend with timeout=none or with no aiocb listed (AIO-SUSP-15),
//    or, unless out_of_process, with a negative timeout (AIO-SUSP-16: a
//    library may abort on it, and in process the fuzzer with it),
//    any wait or aio_suspend timeout above max_wait_nanos, a wait timeout
//    between ShortWaitNanos() and min_wait_nanos, a timeout above
//    ShortWaitNanos() on a request on a pipe or socket, or more than
//    max_long_waits timeouts above ShortWaitNanos();
//  - lio_listio wait with an element on a pipe or socket, or after any
//    request on a pipe or socket (it could block forever, also through a
//    reused descriptor number);
//  - a negative nbytes (the executor's buffer would be too small), or
//    nbytes, data or file content above max_io_bytes, or a write that would
//    grow a file past max_file_bytes;
//  - `fill` on anything but a pipe or socket; `fill` or `write` on a pipe's
//    read end, `drain` on its write end;
//  - more than max_ops ops, or a lio_listio with more than
//    max_lio_requests requests;
//  - a storm unless out_of_process; then a storm that watches an aiocb
//    never submitted, is faster than max_storm_rate_hz or closes a
//    descriptor that is not open, and the parser's storm rules (no nesting,
//    off at the end, a watched aiocb not resubmitted and a `returns=` aiocb
//    not named by the main thread while the storm is on);
//  - process events unless out_of_process; then a fork that watches an
//    aiocb that is not a submitted read or cancels on a descriptor not
//    open, a child request on a descriptor not open, and the parser's rules
//    (one child at a time, joined by the end, no process event under a
//    storm, a child's aiocb new and named by no other op);
//  - holds (their seccomp filter would stay on the executing process).
absl::Status CheckRunnable(const Trace& trace,
                           const GuardrailOptions& options = {});

// A trace CheckRunnable accepts, made from `trace` by the fewest simple
// edits: clamp sizes and timeouts, give a resubmitted aiocb a fresh name,
// put a `wait` before an unguarded aio_return, turn an unsafe
// `lio_listio wait` into `nowait`, drop ops that cannot be fixed. The result
// is canonical: ParseTrace(PrintTrace(result)) == result.
Trace MakeRunnable(Trace trace, const GuardrailOptions& options = {});

// OK when every aio_return in `log` was preceded by a `wait` on that aiocb
// that returned 0 (since the aiocb's last submission); else
// FailedPrecondition naming the aio_return whose wait timed out.
absl::Status CheckRunPreconditions(const Trace& trace,
                                   const ObservationLog& log);

}  // namespace aiospec

#endif  // AIOSPEC_FUZZ_GUARDRAILS_H_
