#include "model/process_events.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace aiospec {
namespace {

RuleOutcome Rejected(std::string allowed, std::string message) {
  RuleOutcome out;
  out.rejections.push_back(
      Rejection{{"AIO-PROC-14"}, std::move(allowed), std::move(message)});
  return out;
}

// AIO-PROC-14: the child's copies of the watched buffers were never filled
// and it received no notification. A child that never reported (crashed or
// hung after fork) is counted against the same clause.
RuleOutcome ApplyJoin(const State& s, const StepObservation& obs) {
  const std::string allowed = "proc ret=0 filled=0 notified=0";
  if (obs.ret != 0 || !obs.child.has_value()) {
    return Rejected(allowed,
                    "the forked child did not report: it crashed or hung "
                    "after the fork");
  }
  if (obs.child->filled != 0) {
    return Rejected(allowed,
                    absl::StrCat(obs.child->filled,
                                 " read buffer(s) of the parent's requests "
                                 "were filled in the child's memory: the "
                                 "child inherited an operation"));
  }
  if (obs.child->notified != 0) {
    return Rejected(allowed,
                    absl::StrCat("the child received ", obs.child->notified,
                                 " notification(s) of the parent's requests"));
  }
  RuleOutcome out;
  out.accepted.push_back({s, {}});
  return out;
}

// AIO-PROC-07/08: the child's submission is judged as the call it is
// (with its notification suppressed: the submitter is gone), then each
// queued request is either cancelled by the termination or left to
// complete.
RuleOutcome ApplyExit(const State& s, const Proc& op,
                      const StepObservation& obs, const RuleContext& ctx) {
  IoRequest req = op.req;
  req.notify = Notify{};  // AIO-PROC-08: notifications suppressed
  Op call;
  if (op.write) {
    call.body = AioWrite{req};
  } else {
    call.body = AioRead{req};
  }
  RuleOutcome out = ApplyRule(s, call, obs, ctx);
  std::vector<Accepted> both;
  for (Accepted& a : out.accepted) {
    if (a.state.IsPending(req.cb)) {
      Accepted cancelled = a;
      State& t = cancelled.state;
      if (t.requests[req.cb]->ofd != kNone) t.Unref(t.requests[req.cb]->ofd);
      t.requests[req.cb].reset();
      cancelled.choices.push_back(
          "AIO-PROC-07: _exit cancelled the pending request");
      both.push_back(std::move(cancelled));
      a.choices.push_back(
          "AIO-PROC-07: the pending request outlived _exit (AIO-PROC-08)");
    }
    both.push_back(std::move(a));
  }
  out.accepted = std::move(both);
  return out;
}

}  // namespace

// AIO-PROC-16: fork leaves the parent's world as it was.
RuleOutcome ApplyProc(const State& s, const Proc& op,
                      const StepObservation& obs, const RuleContext& ctx) {
  switch (op.kind) {
    case ProcKind::kFork: {
      RuleOutcome out;
      if (obs.ret != 0) {
        out.unresolved = "fork failed: nothing to judge";
      } else {
        out.accepted.push_back({s, {}});
      }
      return out;
    }
    case ProcKind::kJoin:
      return ApplyJoin(s, obs);
    case ProcKind::kExit:
      return ApplyExit(s, op, obs, ctx);
  }
  return RuleOutcome{};
}

}  // namespace aiospec
