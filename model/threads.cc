#include "model/threads.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <variant>

#include "absl/strings/str_cat.h"

namespace aiospec {
namespace {

// The aiocbs an op names; `submits` only the ones it submits.
std::vector<CbId> CbsOf(const OpBody& body, bool submits) {
  std::vector<CbId> out;
  std::visit(
      [&](const auto& op) {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, AioRead> || std::is_same_v<T, AioWrite>) {
          out.push_back(op.req.cb);
        } else if constexpr (std::is_same_v<T, AioFsync>) {
          out.push_back(op.cb);
        } else if constexpr (std::is_same_v<T, LioListio>) {
          for (const LioElement& e : op.list) {
            if (!e.is_null) out.push_back(e.req.cb);
          }
        } else if constexpr (std::is_same_v<T, AioError> ||
                             std::is_same_v<T, AioReturn>) {
          if (!submits) out.push_back(op.cb);
        } else if constexpr (std::is_same_v<T, AioCancel>) {
          if (!submits && op.cb != kNullHandle) out.push_back(op.cb);
        } else if constexpr (std::is_same_v<T, AioSuspend>) {
          for (CbId cb : op.list) {
            if (!submits && cb != kNullHandle) out.push_back(cb);
          }
        } else if constexpr (std::is_same_v<T, Wait>) {
          if (!submits) out = op.cbs;
        }
      },
      body);
  return out;
}

}  // namespace

ThreadBatches FindBatches(const Trace& trace) {
  ThreadBatches out;
  out.batch_of.assign(trace.ops.size(), -1);
  int open = 0;  // started ops not yet awaited
  for (int i = 0; i < static_cast<int>(trace.ops.size()); ++i) {
    const Op& op = trace.ops[i];
    const auto* t = std::get_if<ThreadOp>(&op.body);
    const bool ends = t != nullptr && t->started >= 0 &&
                      (t->kind == ThreadKind::kAwait ||
                       t->kind == ThreadKind::kCancel);
    if (op.run != RunOn::kStart && !ends) continue;
    if (open == 0) {
      out.batches.push_back(ThreadBatch{i, i, {}});
    }
    ThreadBatch& b = out.batches.back();
    out.batch_of[i] = static_cast<int>(out.batches.size()) - 1;
    if (op.run == RunOn::kStart) {
      ++open;
      continue;
    }
    b.members.push_back({t->started, i, t->kind == ThreadKind::kCancel});
    b.close = i;
    --open;
  }
  return out;
}

RuleOutcome ApplyThreadOp(const ThreadOp& op, const StepObservation& obs) {
  RuleOutcome out;
  if ((op.kind == ThreadKind::kCreate || op.kind == ThreadKind::kExit) &&
      obs.ret != 0) {
    out.unresolved = absl::StrCat("the executor could not ",
                                  op.kind == ThreadKind::kCreate
                                      ? "create the thread"
                                      : "end the thread");
    return out;
  }
  out.accepted.push_back({State{}, {}, /*same=*/true});
  return out;
}

std::optional<Rejection> JudgeCancel(const AioSuspend& suspend,
                                     const StepObservation& obs,
                                     const std::vector<const State*>& worlds,
                                     bool signaled) {
  if (obs.ret == 0) return std::nullopt;
  if (obs.ret == -1 && obs.err == EALREADY) {
    if (signaled) return std::nullopt;
    for (const State* w : worlds) {
      for (CbId cb : suspend.list) {
        if (cb != kNullHandle && !w->IsPending(cb)) return std::nullopt;
      }
    }
    return Rejection{{"AIO-SUSP-01", "AIO-SUSP-11"},
                     "cancel ret=0",
                     "aio_suspend with no time limit returned before the "
                     "cancellation although no listed request had completed "
                     "and no signal could interrupt it"};
  }
  return Rejection{{"AIO-SUSP-17"},
                   "cancel ret=0",
                   "aio_suspend is a cancellation point: pthread_cancel of a "
                   "thread blocked in it must end the thread there"};
}

std::vector<std::string> ThreadIdsAt(const Trace& trace, int index) {
  std::vector<std::string> ids;
  if (index < 0 || index >= static_cast<int>(trace.ops.size())) return ids;
  const Op& at = trace.ops[index];
  const auto* t = std::get_if<ThreadOp>(&at.body);
  if (at.run != RunOn::kMain || (t != nullptr && t->kind == ThreadKind::kAwait)) {
    ids.push_back("AIO-PROC-18");
  }
  const OpBody& body =
      t != nullptr && t->started >= 0 ? trace.ops[t->started].body : at.body;
  for (CbId cb : CbsOf(body, /*submits=*/false)) {
    // The op that last submitted cb, and whether its thread ended since.
    for (int i = index - 1; i >= 0; --i) {
      const Op& op = trace.ops[i];
      const std::vector<CbId> submitted = CbsOf(op.body, /*submits=*/true);
      if (std::find(submitted.begin(), submitted.end(), cb) == submitted.end()) {
        continue;
      }
      if (op.run == RunOn::kMain) break;
      for (int j = i + 1; j < index; ++j) {
        const auto* end = std::get_if<ThreadOp>(&trace.ops[j].body);
        if (end != nullptr && end->thread == op.thread &&
            (end->kind == ThreadKind::kExit || end->kind == ThreadKind::kCancel)) {
          ids.push_back("AIO-PROC-17");
          return ids;
        }
      }
      break;
    }
  }
  return ids;
}

RuleOutcome ApplySigmask(const StepObservation& obs) {
  RuleOutcome out;
  if (obs.ret != 0) {
    out.unresolved = "the executor could not change the signal mask";
    return out;
  }
  out.accepted.push_back({State{}, {}, /*same=*/true});
  return out;
}

SignalMasks MasksBefore(const Trace& trace, int index) {
  SignalMasks m;
  m.thread.assign(trace.thread_names.size(), 0);
  m.alive.assign(trace.thread_names.size(), false);
  for (int i = 0; i < index && i < static_cast<int>(trace.ops.size()); ++i) {
    const Op& op = trace.ops[i];
    if (const auto* t = std::get_if<ThreadOp>(&op.body)) {
      if (t->kind == ThreadKind::kCreate) {
        m.thread[t->thread] = m.main;
        m.alive[t->thread] = true;
      } else if (t->kind == ThreadKind::kExit || t->kind == ThreadKind::kCancel) {
        m.alive[t->thread] = false;
      }
    }
    if (const auto* sm = std::get_if<Sigmask>(&op.body)) {
      uint32_t& mask = op.run == RunOn::kMain ? m.main : m.thread[op.thread];
      for (int rt : sm->rts) {
        mask = sm->block ? mask | (1u << rt) : mask & ~(1u << rt);
      }
    }
  }
  return m;
}

namespace {

// N of a SIGRTMIN+N notification signal, or -1.
int RtOf(int signo) {
  const int rt = signo - SIGRTMIN;
  return rt >= 1 && rt <= kMaxRtSignal ? rt : -1;
}

// The mask of the thread a record names, or nullopt (other, or unknown).
std::optional<uint32_t> MaskOf(const Trace& trace, const SignalMasks& m,
                               const std::string& name) {
  if (name == "main") return m.main;
  for (size_t t = 0; t < trace.thread_names.size(); ++t) {
    if (trace.thread_names[t] == name) return m.thread[t];
  }
  return std::nullopt;
}

}  // namespace

std::optional<Rejection> JudgeDeliveryThread(const Trace& trace,
                                             const NotificationObservation& n) {
  const int rt = RtOf(n.signo);
  if (n.kind != NotifyKind::kSignal || rt < 0 || n.thread.empty()) {
    return std::nullopt;
  }
  const std::optional<uint32_t> before =
      MaskOf(trace, MasksBefore(trace, n.after_op), n.thread);
  const std::optional<uint32_t> after =
      MaskOf(trace, MasksBefore(trace, n.after_op + 1), n.thread);
  if (!before || !after || !(*before & *after & (1u << rt))) return std::nullopt;
  return Rejection{{"AIO-SIG-06"},
                   "a notify record on a thread that leaves the signal unblocked",
                   absl::StrCat("the notification signal ran its handler on thread ",
                                n.thread, ", which blocks it")};
}

std::optional<Rejection> JudgeRtOrder(
    const Trace& trace, int index, const StepObservation& obs,
    const std::vector<const NotificationObservation*>& during) {
  const auto* sm = std::get_if<Sigmask>(&trace.ops[index].body);
  if (sm == nullptr || sm->block || obs.pending.size() < 2) return std::nullopt;
  int last = 0;
  for (const NotificationObservation* n : during) {
    if (n->kind != NotifyKind::kSignal ||
        std::find(obs.pending.begin(), obs.pending.end(), n->signo) ==
            obs.pending.end()) {
      continue;
    }
    if (n->signo < last) {
      return Rejection{{"AIO-SIG-15"},
                       "the pending real-time signals delivered lowest-numbered first",
                       absl::StrCat(SignalName(n->signo), " was delivered after ",
                                    SignalName(last),
                                    " although both were pending when unblocked")};
    }
    last = n->signo;
  }
  return std::nullopt;
}

std::vector<std::string> SignalIdsAt(const Trace& trace, int index) {
  const auto* wait = std::get_if<Wait>(&trace.ops[index].body);
  if (wait == nullptr) return {};
  const SignalMasks m = MasksBefore(trace, index);
  for (CbId cb : wait->cbs) {
    for (int i = index - 1; i >= 0; --i) {
      const Op& op = trace.ops[i];
      const std::vector<CbId> submitted = CbsOf(op.body, /*submits=*/true);
      if (std::find(submitted.begin(), submitted.end(), cb) == submitted.end()) {
        continue;
      }
      const Notify* notify = nullptr;
      if (const auto* r = std::get_if<AioRead>(&op.body)) notify = &r->req.notify;
      if (const auto* w = std::get_if<AioWrite>(&op.body)) notify = &w->req.notify;
      if (const auto* f = std::get_if<AioFsync>(&op.body)) notify = &f->notify;
      if (notify == nullptr || notify->kind != NotifyKind::kSignal) break;
      const uint32_t bit = 1u << notify->rt;
      const uint32_t own = op.run == RunOn::kMain ? m.main : m.thread[op.thread];
      bool elsewhere = op.run != RunOn::kMain && !(m.main & bit);
      for (size_t t = 0; t < m.thread.size(); ++t) {
        const bool self = op.run != RunOn::kMain && static_cast<int>(t) == op.thread;
        elsewhere = elsewhere || (!self && m.alive[t] && !(m.thread[t] & bit));
      }
      if ((own & bit) && elsewhere) return {"AIO-SIG-06"};
      break;
    }
  }
  return {};
}

}  // namespace aiospec
