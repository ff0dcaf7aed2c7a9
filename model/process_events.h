// The rules of the `proc` op: fork, _exit and exec with requests in flight.
//
// fork (AIO-PROC-14, -15, -16): the parent's world does not change (its
// requests complete into its own memory; the child closing its copies of
// the descriptors cancels nothing), and the child inherits no operation:
// at `proc join` its copies of the watched read buffers are unchanged and it
// received no notification; with `proc fork cancel=D` its aio_cancel(D,
// NULL) returned AIO_ALLDONE (qoi only: POSIX lets the child of a
// multi-threaded process call only async-signal-safe functions).
//
// _exit (AIO-PROC-07, -08, -09): `proc exit` is a submission by a child
// that then terminates. The submission is judged like aio_read/aio_write;
// a queued request is then either cancelled by the termination (gone, with
// no effect on the file or stream) or completes as if the child had not
// terminated, with its notification suppressed. Which one is an
// implementation-defined choice, recorded, never judged. _exit may block
// until the request completes (AIO-PROC-09): nothing to observe.
//
// exec (AIO-PROC-10..13): `proc exec` is a submission by a child that then
// execs a probe. The submission is judged like `proc exit`'s, and a queued
// request is cancelled by exec (AIO-PROC-10) or completes as if exec had
// not happened, its notification suppressed (AIO-PROC-11): the choice is
// recorded. Whether exec waited for it (AIO-PROC-12) is not observed. At
// the `proc join` of that child, the probe's pattern at the old buffer
// address is unchanged and it received no notification (AIO-PROC-13).
//
// Usage (from ApplyRule):
//   if (const auto* p = std::get_if<Proc>(&op.body))
//     return ApplyProc(s, *p, obs, ctx);
#ifndef AIOSPEC_MODEL_PROCESS_EVENTS_H_
#define AIOSPEC_MODEL_PROCESS_EVENTS_H_

#include "harness/observation/observation.h"
#include "harness/trace/trace.h"
#include "model/rules.h"
#include "model/state.h"

namespace aiospec {

RuleOutcome ApplyProc(const State& s, const Proc& op,
                      const StepObservation& obs, const RuleContext& ctx);

}  // namespace aiospec

#endif  // AIOSPEC_MODEL_PROCESS_EVENTS_H_
