#include "model/threads.h"

#include <algorithm>
#include <cerrno>
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

}  // namespace aiospec
