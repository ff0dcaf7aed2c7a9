#include "model/cancel_choice.h"

#include <algorithm>
#include <cerrno>
#include <type_traits>
#include <utility>
#include <variant>

namespace aiospec {
namespace {

bool Contains(const std::vector<CbId>& v, CbId cb) {
  return std::find(v.begin(), v.end(), cb) != v.end();
}

bool IsUndecided(const State& s, CbId cb) {
  return s.IsPending(cb) && s.requests[cb]->undecided != Undecided::kNo;
}

// `r` acts on the same file or a stream of what `fd` names now, or was
// submitted on `fd`.
bool SharesObjectWith(const State& s, const Request& r, FdId fd) {
  if (fd < 0) return false;
  if (r.fd == fd) return true;
  const Ofd* o = s.OfdOfFd(fd);
  if (o == nullptr || r.ofd == kNone) return false;
  const Ofd& ro = s.ofds[r.ofd];
  if (o->kind != ro.kind) return false;
  if (o->kind == OfdKind::kFile) return o->file == ro.file;
  for (StreamId a : {o->read_stream, o->write_stream}) {
    for (StreamId b : {ro.read_stream, ro.write_stream}) {
      if (a != kNone && a == b) return true;
    }
  }
  return false;
}

// An undecided read on the read end of a pipe that is still open, with
// nothing queued and no pending write into it: whether cancelled or not it
// cannot move while the op's hidden steps run, and holds no reference that
// decides anything (a descriptor holds the read end too).
bool Frozen(const State& s, CbId cb) {
  const Request& r = *s.requests[cb];
  if (r.op != RequestOp::kRead || r.pending_error != 0 || r.ofd == kNone ||
      r.nbytes == 0) {
    return false;
  }
  const Ofd& o = s.ofds[r.ofd];
  if (o.kind != OfdKind::kStream || o.write_stream != kNone) return false;
  if (std::find(s.fds.begin(), s.fds.end(), r.ofd) == s.fds.end()) return false;
  if (BytesSize(s.streams[o.read_stream].queue) > 0 ||
      !s.HasWriter(o.read_stream)) {
    return false;
  }
  for (const std::optional<Request>& p : s.requests) {
    if (p && p->status == RequestStatus::kQueued && p->op == RequestOp::kWrite &&
        p->ofd != kNone && s.ofds[p->ofd].kind == OfdKind::kStream &&
        s.ofds[p->ofd].write_stream == o.read_stream) {
      return false;
    }
  }
  return true;
}

// The undecided members of the Conflict closure of `seeds` among the
// pending requests.
std::vector<CbId> UndecidedInClosure(const State& s, std::vector<CbId> seeds) {
  std::vector<CbId> closure;
  for (CbId cb : seeds) {
    if (s.IsPending(cb) && !Contains(closure, cb)) closure.push_back(cb);
  }
  for (size_t i = 0; i < closure.size(); ++i) {
    for (CbId p = 0; p < static_cast<int>(s.requests.size()); ++p) {
      if (s.IsPending(p) && !Contains(closure, p) && Conflict(s, closure[i], p)) {
        closure.push_back(p);
      }
    }
  }
  std::vector<CbId> out;
  for (CbId cb : closure) {
    if (IsUndecided(s, cb)) out.push_back(cb);
  }
  std::sort(out.begin(), out.end());
  return out;
}

const char* CancelledChoice(Undecided why) {
  switch (why) {
    case Undecided::kAioCancel:
    case Undecided::kCancelledOrDone:
      return "AIO-CANCEL-09: a pending request was cancelable";
    case Undecided::kClose:
      return "AIO-PROC-01: close cancelled a pending request";
    case Undecided::kDup2:
      return "AIO-PROC-01: dup2 cancelled a pending request";
    case Undecided::kNo:
      break;
  }
  return "";
}

// `cb` decided in `t`: no longer undecided; when it kept its group's
// promise, the group's constraint is lifted from the others.
void Settle(State& t, CbId cb, bool kept_promise) {
  Request& q = *t.requests[cb];
  const int group = q.cancel_group;
  q.undecided = Undecided::kNo;
  q.cancel_group = -1;
  if (!kept_promise || group == -1) return;
  for (std::optional<Request>& o : t.requests) {
    if (o && o->cancel_group == group) o->cancel_group = -1;
  }
}

// Not cancelled: still queued, or for kCancelledOrDone complete, as it was
// before the call (each world one step of it can reach that completes it).
std::vector<Decided> NotCancelled(const State& s, CbId cb, const StepContext& ctx) {
  State t = s;
  Settle(t, cb, /*kept_promise=*/s.requests[cb]->undecided != Undecided::kCancelledOrDone);
  if (s.requests[cb]->undecided == Undecided::kAioCancel) {
    return {{std::move(t), {"AIO-CANCEL-09: a pending request was not cancelable"}}};
  }
  if (s.requests[cb]->undecided != Undecided::kCancelledOrDone) return {{std::move(t), {}}};
  std::vector<Decided> out;
  for (State& done : StepRequest(t, cb, ctx)) {
    if (!done.IsPending(cb)) out.push_back({std::move(done), {}});
  }
  return out;
}

// The ways of deciding `cb` in `s`. A group's promise: AIO_NOTCANCELED's
// that one stayed queued (AIO-CANCEL-11), AIO_CANCELED's that one was
// cancelled; its last undecided member must keep it.
std::vector<Decided> DecideOne(const State& s, CbId cb, const StepContext& ctx) {
  const Request& r = *s.requests[cb];
  const int group = r.cancel_group;
  bool other_undecided_in_group = false;
  if (group != -1) {
    for (CbId o = 0; o < static_cast<int>(s.requests.size()); ++o) {
      if (o != cb && IsUndecided(s, o) && s.requests[o]->cancel_group == group) {
        other_undecided_in_group = true;
      }
    }
  }
  const bool free = group == -1 || other_undecided_in_group;
  const bool promised_cancel = r.undecided == Undecided::kCancelledOrDone;
  std::vector<Decided> out;
  if (free || !promised_cancel) out = NotCancelled(s, cb, ctx);
  // Cancelled at the call (AIO-CANCEL-06, AIO-PROC-01).
  if (free || promised_cancel) {
    State t = s;
    std::vector<std::string> choices = {CancelledChoice(r.undecided)};
    Settle(t, cb, promised_cancel);
    Request& q = *t.requests[cb];
    q.status = RequestStatus::kDone;
    q.ret = -1;
    q.err = ECANCELED;
    t.Unref(q.ofd);
    out.push_back({std::move(t), std::move(choices)});
  }
  return out;
}

}  // namespace

void MarkUndecided(State& s, CbId cb, Undecided why, int group) {
  Request& r = *s.requests[cb];
  r.undecided = why;
  r.cancel_group = group;
}

bool HasUndecided(const State& s) {
  for (const std::optional<Request>& r : s.requests) {
    if (r && r->status == RequestStatus::kQueued &&
        r->undecided != Undecided::kNo) {
      return true;
    }
  }
  return false;
}

std::vector<CbId> MustDecide(const State& s, const Op& op,
                             const ExploreSpec& spec) {
  if (!HasUndecided(s)) return {};
  std::vector<CbId> seeds;
  // What the op's hidden steps may move: a frozen read stays where it is
  // either way. fill and drain move requests within the op itself.
  const bool moves_inside = std::holds_alternative<Fill>(op.body) ||
                            std::holds_alternative<Drain>(op.body);
  for (const std::vector<CbId>* v : {&spec.must_complete, &spec.either}) {
    for (CbId cb : *v) {
      if (moves_inside || !IsUndecided(s, cb) || !Frozen(s, cb)) seeds.push_back(cb);
    }
  }
  std::vector<FdId> fds;         // lio_listio: whose objects it may complete on
  std::vector<FdId> closed_fds;  // close, dup2: whose requests it may cancel
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, AioError> || std::is_same_v<T, AioReturn>) {
          seeds.push_back(body.cb);
        } else if constexpr (std::is_same_v<T, AioSuspend>) {
          for (CbId cb : body.list) {
            if (cb != kNullHandle) seeds.push_back(cb);
          }
        } else if constexpr (std::is_same_v<T, Wait>) {
          seeds.insert(seeds.end(), body.cbs.begin(), body.cbs.end());
        } else if constexpr (std::is_same_v<T, AioCancel>) {
          if (body.cb != kNullHandle) seeds.push_back(body.cb);
        } else if constexpr (std::is_same_v<T, AioRead> || std::is_same_v<T, AioWrite>) {
          seeds.push_back(body.req.cb);  // a resubmission must know
        } else if constexpr (std::is_same_v<T, AioFsync>) {
          seeds.push_back(body.cb);
        } else if constexpr (std::is_same_v<T, LioListio>) {
          for (const LioElement& e : body.list) {
            if (e.is_null || e.opcode == LioOpcode::kNop) continue;
            seeds.push_back(e.req.cb);
            fds.push_back(e.req.fd);  // LIO_WAIT completes them in place
          }
        } else if constexpr (std::is_same_v<T, Close>) {
          closed_fds.push_back(body.fd);
        } else if constexpr (std::is_same_v<T, Dup2>) {
          closed_fds.push_back(body.target);
        }
      },
      op.body);
  for (CbId cb = 0; cb < static_cast<int>(s.requests.size()); ++cb) {
    if (!IsUndecided(s, cb)) continue;
    for (FdId fd : fds) {
      if (SharesObjectWith(s, *s.requests[cb], fd)) seeds.push_back(cb);
    }
    for (FdId fd : closed_fds) {
      if (s.requests[cb]->fd == fd) seeds.push_back(cb);
    }
  }
  return UndecidedInClosure(s, std::move(seeds));
}

std::vector<CbId> MustDecideForNotification(const State& s,
                                            const NotificationObservation& n) {
  if (!HasUndecided(s)) return {};
  std::vector<CbId> seeds;
  for (CbId cb = 0; cb < static_cast<int>(s.requests.size()); ++cb) {
    const std::optional<Request>& r = s.requests[cb];
    if (r && r->notify.kind == n.kind && r->notify.value == n.value) {
      seeds.push_back(cb);
    }
  }
  for (const LioGroup& g : s.lio_groups) {
    if (g.notify.kind == n.kind && g.notify.value == n.value) {
      seeds.insert(seeds.end(), g.members.begin(), g.members.end());
    }
  }
  return UndecidedInClosure(s, std::move(seeds));
}

std::vector<Decided> DecideAll(const State& s, const std::vector<CbId>& cbs,
                               const StepContext& ctx, size_t limit,
                               bool* overflow) {
  // In submission order: under qoi a request that completed before the
  // call did so after the earlier ones it is ordered behind.
  std::vector<CbId> order = cbs;
  std::sort(order.begin(), order.end(), [&](CbId a, CbId b) {
    return s.requests[a]->seq < s.requests[b]->seq;
  });
  std::vector<Decided> worlds;
  worlds.push_back({s, {}});
  for (CbId cb : order) {
    std::vector<Decided> next;
    for (Decided& w : worlds) {
      if (!IsUndecided(w.state, cb)) {
        next.push_back(std::move(w));
        continue;
      }
      for (Decided& d : DecideOne(w.state, cb, ctx)) {
        d.choices.insert(d.choices.begin(), w.choices.begin(), w.choices.end());
        next.push_back(std::move(d));
      }
      if (next.size() > limit) {
        *overflow = true;
        return {};
      }
    }
    worlds = std::move(next);
  }
  return worlds;
}

}  // namespace aiospec
