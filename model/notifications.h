// Checking notification records against the model worlds.
//
// A notify record of the log (observation.h) says a SIGEV_SIGNAL or
// SIGEV_THREAD notification arrived no later than the end of op `after_op`.
// Each must belong to a request submitted with that kind and value, which
// had completed by then (AIO-SIG-13: the handler never sees EINPROGRESS),
// at most once per request (AIO-SIG-14), and a signal carries si_code
// SI_ASYNCIO and the request's value (AIO-SIG-04).
//
// Usage (in the checker, after op i's worlds are known):
//   for (const NotificationObservation& n : NotificationsAfter(log, i)) {
//     NotificationOutcome out = CheckNotification(trace, n, worlds, ctx, limit);
//     if (out.failure) ... else worlds = out.worlds;
//   }
#ifndef AIOSPEC_MODEL_NOTIFICATIONS_H_
#define AIOSPEC_MODEL_NOTIFICATIONS_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/observation/observation.h"
#include "harness/trace/trace.h"
#include "model/completion.h"
#include "model/state.h"

namespace aiospec {

struct NotificationFailure {
  std::string observed;  // "notify kind=signal code=SI_ASYNCIO value=7"
  std::vector<std::string> allowed;
  std::vector<std::string> assertion_ids;
  std::string message;
};

struct NotificationOutcome {
  // Successor worlds, each with the index of the world it came from.
  std::vector<std::pair<size_t, State>> worlds;
  std::optional<NotificationFailure> failure;
};

// The notify records that arrived by the end of op `op_index` and after the
// previous op, in log order.
std::vector<NotificationObservation> NotificationsAfter(
    const ObservationLog& log, int op_index);

// Matches one record in every world. A request still pending in a world
// is completed there first (the notification proves it completed); worlds
// where that is impossible are dropped.
NotificationOutcome CheckNotification(const Trace& trace,
                                      const NotificationObservation& n,
                                      const std::vector<State>& worlds,
                                      const StepContext& ctx, size_t limit);

// `wait CB... until=notified` (after its notify records were matched): the
// first listed request that, in world `w`, is complete but has not had the
// notification its sigevent asks for; nullopt when there is none.
std::optional<CbId> OwedByNotifiedWait(const State& w, const Wait& op);

// Why a `wait until=notified` that timed out with request `cb` complete and
// unnotified breaks the qoi profile: the assertion IDs and the message.
NotificationFailure NotificationNeverArrived(const Trace& trace, const Wait& op,
                                             const State& w, CbId cb);

}  // namespace aiospec

#endif  // AIOSPEC_MODEL_NOTIFICATIONS_H_
