#include "model/notifications.h"

#include <algorithm>
#include <cerrno>
#include <csignal>

#include "model/state_set.h"
#include "absl/strings/str_cat.h"
#include "harness/observation/host_names.h"

namespace aiospec {

std::vector<NotificationObservation> NotificationsAfter(
    const ObservationLog& log, int op_index) {
  std::vector<NotificationObservation> out;
  for (const NotificationObservation& n : log.notifications) {
    if (n.after_op == op_index) out.push_back(n);
  }
  return out;
}

namespace {

std::string Describe(const NotificationObservation& n) {
  std::string out = absl::StrCat(
      "notify kind=", n.kind == NotifyKind::kSignal ? "signal" : "thread");
  if (n.kind == NotifyKind::kSignal) {
    absl::StrAppend(&out, " signo=", SignalName(n.signo), " code=", SiCodeName(n.code));
  }
  absl::StrAppend(&out, " value=", n.value);
  if (n.status_in_handler) {
    absl::StrAppend(&out, " status=",
                    *n.status_in_handler == 0 ? "0" : ErrnoName(*n.status_in_handler));
  }
  return out;
}

NotificationOutcome Fail(const NotificationObservation& n,
                         std::vector<std::string> ids, std::string allowed,
                         std::string message) {
  NotificationOutcome out;
  out.failure = NotificationFailure{Describe(n), {std::move(allowed)},
                                    std::move(ids), std::move(message)};
  return out;
}

// The clauses that forbid a notification to the requests of `worlds` and
// the lio_listio calls of `trace` that asked for none.
std::vector<std::string> SilentSources(const Trace& trace,
                                       const std::vector<State>& worlds) {
  std::vector<std::string> ids;
  auto none = [](const std::optional<Request>& r) {
    return r && r->notify.kind == NotifyKind::kNone;
  };
  if (std::any_of(worlds.begin(), worlds.end(), [&](const State& w) {
        return std::any_of(w.requests.begin(), w.requests.end(), none);
      })) {
    ids.push_back("AIO-SIG-02");
  }
  for (const Op& op : trace.ops) {
    const auto* lio = std::get_if<LioListio>(&op.body);
    if (lio && !lio->wait && lio->notify.kind == NotifyKind::kNone) {
      ids.push_back("AIO-LIO-04");
      break;
    }
  }
  return ids;
}

// The clauses that suppress a notification `n` could be: one asked for by
// a request of a child that then called _exit (AIO-PROC-08) or exec
// (AIO-PROC-11) before the record arrived. Such a request completes without
// notifying anyone, so the record breaks these clauses, not SIG-02/04/14.
std::vector<std::string> SuppressedSources(const Trace& trace,
                                           const NotificationObservation& n) {
  std::vector<std::string> ids;
  for (int i = 0; i <= n.after_op && i < static_cast<int>(trace.ops.size()); ++i) {
    const auto* p = std::get_if<Proc>(&trace.ops[i].body);
    if (p == nullptr || (p->kind != ProcKind::kExit && p->kind != ProcKind::kExec) ||
        p->req.notify.kind != n.kind || p->req.notify.value != n.value) {
      continue;
    }
    const char* id = p->kind == ProcKind::kExit ? "AIO-PROC-08" : "AIO-PROC-11";
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  return ids;
}

}  // namespace

NotificationOutcome CheckNotification(const Trace& trace,
                                      const NotificationObservation& n,
                                      const std::vector<State>& worlds,
                                      const StepContext& ctx, size_t limit) {
  // AIO-SIG-04: a completion signal says SI_ASYNCIO.
  if (n.kind == NotifyKind::kSignal && n.code != SI_ASYNCIO) {
    return Fail(n, {"AIO-SIG-04"}, "code=SI_ASYNCIO",
                "an AIO completion signal must carry si_code SI_ASYNCIO");
  }
  // AIO-SIG-13: the handler sees the final status.
  if (n.status_in_handler && *n.status_in_handler == EINPROGRESS) {
    return Fail(n, {"AIO-SIG-13"}, "status other than EINPROGRESS",
                "the notification ran before the request's completion was "
                "published");
  }
  NotificationOutcome out;
  StateSet seen;
  std::vector<size_t> from;  // by index in `seen`
  bool any_candidate = false;
  bool group_candidate = false;
  for (size_t i = 0; i < worlds.size(); ++i) {
    const State& w = worlds[i];
    for (CbId cb = 0; cb < static_cast<int>(w.requests.size()); ++cb) {
      const std::optional<Request>& r = w.requests[cb];
      if (!r || r->notify.kind != n.kind || r->notify.value != n.value ||
          r->notifications > 0) {
        continue;
      }
      any_candidate = true;
      ExploreSpec spec;
      spec.must_complete = {cb};
      bool overflow = false;
      for (State& t : Explore(w, spec, ctx, limit, &overflow)) {
        if (t.IsPending(cb)) continue;  // cannot have completed: not this one
        // AIO-SIG-13 again: the status the handler saw is the final one.
        if (n.status_in_handler && *n.status_in_handler != t.requests[cb]->err) {
          continue;
        }
        ++t.requests[cb]->notifications;
        if (seen.Insert(std::move(t)).second) from.push_back(i);
      }
      if (overflow) {
        out.failure = NotificationFailure{Describe(n), {}, {}, "too many worlds"};
        return out;
      }
    }
  }
  // A late notification of a submission whose aiocb was submitted again.
  for (size_t i = 0; i < worlds.size(); ++i) {
    const State& w = worlds[i];
    for (size_t k = 0; k < w.owed.size(); ++k) {
      const OwedNotification& o = w.owed[k];
      if (o.notify.kind != n.kind || o.notify.value != n.value) continue;
      any_candidate = true;
      if (n.status_in_handler && *n.status_in_handler != o.err) continue;
      State t = w;
      t.owed.erase(t.owed.begin() + static_cast<std::ptrdiff_t>(k));
      if (seen.Insert(std::move(t)).second) from.push_back(i);
    }
  }
  // A lio_listio(LIO_NOWAIT) list notification: once, after every member
  // completed (AIO-LIO-05).
  for (size_t i = 0; i < worlds.size(); ++i) {
    const State& w = worlds[i];
    for (size_t g = 0; g < w.lio_groups.size(); ++g) {
      const LioGroup& group = w.lio_groups[g];
      if (group.notify.kind != n.kind || group.notify.value != n.value ||
          group.notifications > 0) {
        continue;
      }
      any_candidate = true;
      group_candidate = true;
      ExploreSpec spec;
      spec.must_complete = group.members;
      bool overflow = false;
      for (State& t : Explore(w, spec, ctx, limit, &overflow)) {
        bool all_done = true;
        for (CbId cb : group.members) all_done = all_done && !t.IsPending(cb);
        if (!all_done) continue;
        ++t.lio_groups[g].notifications;
        if (seen.Insert(std::move(t)).second) from.push_back(i);
      }
      if (overflow) {
        out.failure = NotificationFailure{Describe(n), {}, {}, "too many worlds"};
        return out;
      }
    }
  }
  if (!seen.empty()) {
    std::vector<State> states = std::move(seen).Take();
    for (size_t k = 0; k < states.size(); ++k) {
      out.worlds.push_back({from[k], std::move(states[k])});
    }
    return out;
  }
  if (!any_candidate) {
    if (std::vector<std::string> ids = SuppressedSources(trace, n); !ids.empty()) {
      return Fail(n, std::move(ids), "no notification (suppressed)",
                  "a notification of a request whose submitting child "
                  "called _exit or exec reached the parent");
    }
    std::vector<std::string> ids = {"AIO-SIG-14", "AIO-SIG-04"};
    // Requests that asked for no notification (SIGEV_NONE: AIO-SIG-02) and
    // LIO_NOWAIT lists without `sig` (AIO-LIO-04) are the likely sources.
    for (std::string& id : SilentSources(trace, worlds)) ids.push_back(std::move(id));
    return Fail(n, std::move(ids),
                "no notification (no request with this value is due one)",
                "a notification arrived that no submitted request accounts for "
                "(a second one for a request, or a wrong value)");
  }
  std::vector<std::string> ids = {"AIO-SIG-13", "AIO-SIG-14"};
  if (group_candidate) ids.push_back("AIO-LIO-05");
  return Fail(n, std::move(ids),
              "no notification yet (the request cannot have completed)",
              "a notification arrived for a request that cannot have completed "
              "by then, or its handler saw another status");
}

std::optional<CbId> OwedByNotifiedWait(const State& w, const Wait& op) {
  for (CbId cb : op.cbs) {
    const std::optional<Request>& r = w.requests[cb];
    if (!r.has_value() || r->status == RequestStatus::kQueued) continue;
    if (r->notify.kind != NotifyKind::kNone && r->notifications == 0) return cb;
  }
  return std::nullopt;
}

NotificationFailure NotificationNeverArrived(const Trace& trace, const Wait& op,
                                             const State& w, CbId cb) {
  const Request& r = *w.requests[cb];
  const bool signal = r.notify.kind == NotifyKind::kSignal;
  const bool cancelled = r.err == ECANCELED;
  NotificationFailure f;
  f.observed = "wait ret=-1 errno=ETIMEDOUT";
  f.allowed = {"wait ret=0"};
  // Exactly one notification per completed or cancelled request (SIG-14),
  // under its own sigevent (SIG-02 signal, SIG-07 thread; CANCEL-04).
  f.assertion_ids = {"AIO-SIG-14", signal ? "AIO-SIG-02" : "AIO-SIG-07"};
  if (cancelled) f.assertion_ids.push_back("AIO-CANCEL-04");
  f.message = absl::StrCat(
      "qoi: '", trace.cb_names[cb], "' ", cancelled ? "was cancelled" : "completed",
      " but its ", signal ? "SIGEV_SIGNAL" : "SIGEV_THREAD",
      " notification had not arrived ",
      op.timeout.infinite ? "at all"
                          : absl::StrCat("within ", op.timeout.nanos / 1000000, " ms"));
  return f;
}

}  // namespace aiospec
