// The rules of the `hold` op: requests on regular files kept in progress by
// stopping their syscalls (docs/TRACE_FORMAT.md, "Holding requests on
// regular files").
//
// `hold wait` lists every syscall stopped on the descriptor. Each belongs to
// a distinct request submitted on that descriptor handle that asked for it
// (same kind; a read or write within the request's range): a request still
// in progress (AIO-ERROR-02), now held: it cannot complete until released.
// Requests held before stay held. When several requests fit a call, each
// fitting one is a world of its own.
//
// `hold release` lists the syscalls it answered, each a held request's. The
// request is no longer held; with an injected errno its syscall failed, so
// the request completes with return status -1 and that error status (a
// write()/read()/fsync() errno: AIO-WRITE-16, AIO-READ-18, AIO-FSYNC-07).
//
// A hold record with ret=-1 (holds unavailable on the target) leaves the
// trace unresolved.
//
// Usage (from ApplyRule):
//   if (const auto* h = std::get_if<Hold>(&op.body))
//     return ApplyHold(s, *h, obs);
#ifndef AIOSPEC_MODEL_HOLDS_H_
#define AIOSPEC_MODEL_HOLDS_H_

#include "harness/observation/observation.h"
#include "harness/trace/trace.h"
#include "model/rules.h"
#include "model/state.h"

namespace aiospec {

RuleOutcome ApplyHold(const State& s, const Hold& op,
                      const StepObservation& obs);

}  // namespace aiospec

#endif  // AIOSPEC_MODEL_HOLDS_H_
