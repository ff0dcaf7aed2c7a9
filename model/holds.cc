#include "model/holds.h"

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"

namespace aiospec {
namespace {

// `call` is a syscall `r` may make: its kind, inside its range (an append
// write or a call at the file position may be anywhere).
bool Fits(const State& s, const Request& r, const HeldCall& call) {
  switch (call.kind) {
    case HeldCallKind::kFsync:
    case HeldCallKind::kFdatasync:
      return r.op == RequestOp::kFsync;
    case HeldCallKind::kRead:
      if (r.op != RequestOp::kRead) return false;
      break;
    case HeldCallKind::kWrite:
      if (r.op != RequestOp::kWrite) return false;
      break;
  }
  if (call.len > r.nbytes) return false;
  const bool anywhere = call.offset < 0 || (r.ofd != kNone && s.ofds[r.ofd].append);
  return anywhere ||
         (call.offset >= r.offset && call.offset + call.len <= r.offset + r.nbytes);
}

// Every way to give calls[i..] distinct requests on `fd` for which
// `eligible` holds, applying `take` to each; appends the worlds to *out.
template <typename Eligible, typename Take>
void Assign(const State& s, FdId fd, const std::vector<HeldCall>& calls,
            size_t i, std::vector<bool>& used, Eligible eligible, Take take,
            std::vector<State>* out) {
  if (i == calls.size()) {
    out->push_back(s);
    return;
  }
  for (CbId cb = 0; cb < static_cast<int>(s.requests.size()); ++cb) {
    const std::optional<Request>& r = s.requests[cb];
    if (used[cb] || !r || r->fd != fd || !eligible(cb, *r) ||
        !Fits(s, *r, calls[i])) {
      continue;
    }
    State t = s;
    take(*t.requests[cb]);
    used[cb] = true;
    Assign(t, fd, calls, i + 1, used, eligible, take, out);
    used[cb] = false;
  }
}

RuleOutcome Outcome(std::vector<State> worlds, std::string allowed,
                    std::string message) {
  RuleOutcome out;
  if (worlds.empty()) {
    out.rejections.push_back(
        Rejection{{"AIO-ERROR-02"}, std::move(allowed), std::move(message)});
  }
  for (State& w : worlds) out.accepted.push_back({std::move(w), {}});
  return out;
}

int InjectedErrno(HoldError e) {
  return e == HoldError::kEio ? EIO : e == HoldError::kEnospc ? ENOSPC : 0;
}

}  // namespace

RuleOutcome ApplyHold(const State& s, const Hold& op,
                      const StepObservation& obs) {
  if (obs.ret < 0) {
    RuleOutcome out;
    out.unresolved = "holds are unavailable on this target";
    return out;
  }
  std::vector<bool> used(s.requests.size(), false);
  std::vector<State> worlds;
  if (op.kind == HoldKind::kWait) {
    // The requests held before are among the calls (they stay stopped, even
    // one reported done), so unhold them and let the calls hold again.
    State base = s;
    std::vector<CbId> before;
    for (CbId cb = 0; cb < static_cast<int>(base.requests.size()); ++cb) {
      std::optional<Request>& r = base.requests[cb];
      if (r && r->fd == op.fd && r->held) r->held = false, before.push_back(cb);
    }
    Assign(
        base, op.fd, obs.calls, 0, used,
        [&](CbId cb, const Request& r) {
          return (r.status == RequestStatus::kQueued && r.queued) ||
                 absl::c_linear_search(before, cb);
        },
        [](Request& r) { r.held = true; }, &worlds);
    std::erase_if(worlds, [&](const State& w) {
      return !absl::c_all_of(before,
                             [&](CbId cb) { return w.requests[cb]->held; });
    });
    return Outcome(std::move(worlds), "stopped calls of requests in progress",
                   "a stopped syscall belongs to no request in progress on "
                   "the descriptor: a request reported completion while its "
                   "I/O was still in progress");
  }
  const int err = InjectedErrno(op.error);
  Assign(
      s, op.fd, obs.calls, 0, used,
      [](CbId, const Request& r) { return r.held; },
      [err](Request& r) {
        r.held = false;
        if (err != 0 && r.status == RequestStatus::kQueued) r.pending_error = err;
      },
      &worlds);
  return Outcome(std::move(worlds), "released calls of held requests",
                 "a released syscall belongs to no held request");
}

}  // namespace aiospec
