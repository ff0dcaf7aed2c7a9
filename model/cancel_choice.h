// Lazy cancellation: which queued requests an aio_cancel or a close cancelled.
//
// aio_cancel(fd, NULL) answering AIO_NOTCANCELED, and close() (AIO-PROC-01),
// may each have cancelled any subset of the queued requests they target
// (AIO-CANCEL-09: which are cancelable is implementation-defined). Branching
// on every subset up front costs 2^n worlds, so for more than
// kEagerCancelLimit requests the rules mark each one Undecided instead: it
// was cancelled at that call (final ECANCELED, its description released),
// or it is still queued. The checker decides an undecided request only when
// the next op or notification depends on it (MustDecide), so the
// observations prune the choices one request at a time: 16 requests checked
// one aio_error at a time cost at most two worlds per step, not 65536.
//
// Invariants:
//  - an undecided request is kQueued, keeps its reference on its open file
//    description, and never takes a hidden step (StepRequest refuses it), so
//    until it is decided the world is the same as where it was not
//    cancelled, except for what MustDecide reports as depending on it;
//  - an aio_cancel group (cancel_group = the op) says at least one of its
//    requests was not cancelled: a member may be decided cancelled only
//    while another member is still undecided; deciding one "not cancelled"
//    lifts the constraint from the others;
//  - an aio_cancel that answered AIO_CANCELED past kEagerCancelLimit
//    targets marks them kCancelledOrDone, a group that says at least one
//    was cancelled (else the answer was AIO_ALLDONE): each was cancelled,
//    or had completed before the call, which is decided by letting it
//    complete then (nothing it conflicts with has moved since: that would
//    have decided it first).
//
// Usage (in the checker, before op i in world s):
//   std::vector<CbId> cbs = MustDecide(s, op, SpecFor(s, op, obs));
//   for (Decided& d : DecideAll(s, cbs, limit, &overflow)) ... d.state ...
#ifndef AIOSPEC_MODEL_CANCEL_CHOICE_H_
#define AIOSPEC_MODEL_CANCEL_CHOICE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "harness/observation/observation.h"
#include "harness/trace/trace.h"
#include "model/completion.h"
#include "model/state.h"

namespace aiospec {

// Up to this many targets, rules branch on every subset at once.
inline constexpr size_t kEagerCancelLimit = 4;

// Marks a queued request undecided (see above). `group`: the aio_cancel op
// whose AIO_NOTCANCELED says one of the group stayed queued, or -1.
void MarkUndecided(State& s, CbId cb, Undecided why, int group);

bool HasUndecided(const State& s);

// The undecided requests the op's outcome may depend on: the ones it names,
// the ones its spec seeds (the requests on the streams or file it touches,
// the targets of an aio_cancel), the ones a close or lio_listio may affect
// through their descriptor, all closed under Conflict (what Explore may
// move with them).
std::vector<CbId> MustDecide(const State& s, const Op& op,
                             const ExploreSpec& spec);

// The same for a notify record: requests and lio members it may be for.
std::vector<CbId> MustDecideForNotification(const State& s,
                                            const NotificationObservation& n);

struct Decided {
  State state;
  std::vector<std::string> choices;  // the implementation-defined choices taken
};

// Every way of deciding `cbs` (each cancelled, or still queued, or for
// kCancelledOrDone complete by one step of `ctx`, within the group
// constraints), in submission order. Sets *overflow past `limit` worlds.
std::vector<Decided> DecideAll(const State& s, const std::vector<CbId>& cbs,
                               const StepContext& ctx, size_t limit,
                               bool* overflow);

}  // namespace aiospec

#endif  // AIOSPEC_MODEL_CANCEL_CHOICE_H_
