#include "model/process_events.h"

#include <aio.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace aiospec {
namespace {

RuleOutcome Rejected(std::vector<std::string> ids, std::string allowed,
                     std::string message) {
  RuleOutcome out;
  out.rejections.push_back(
      Rejection{std::move(ids), std::move(allowed), std::move(message)});
  return out;
}

// AIO-PROC-14: the child's copies of the watched buffers were never filled
// and it received no notification. A child that never reported (crashed or
// hung after fork) is counted against the same clause. With `cancel=`, the
// child's aio_cancel(fd, NULL) found nothing of its own: AIO_ALLDONE. That
// is qoi: the child of a multi-threaded process may call only
// async-signal-safe functions (fork()), so posix records it as a choice.
RuleOutcome ApplyJoin(const State& s, const Proc& op, const StepObservation& obs,
                      const RuleContext& ctx) {
  const std::string allowed =
      op.cancel_fd == kNullHandle ? "proc ret=0 filled=0 notified=0"
                                  : "proc ret=0 filled=0 notified=0 cancel=AIO_ALLDONE";
  if (obs.ret != 0 || !obs.child.has_value()) {
    return Rejected({"AIO-PROC-14"}, allowed,
                    "the forked child did not report: it crashed or hung "
                    "after the fork");
  }
  if (obs.child->filled != 0) {
    return Rejected({"AIO-PROC-14"}, allowed,
                    absl::StrCat(obs.child->filled,
                                 " read buffer(s) of the parent's requests "
                                 "were filled in the child's memory: the "
                                 "child inherited an operation"));
  }
  if (obs.child->notified != 0) {
    return Rejected({"AIO-PROC-14"}, allowed,
                    absl::StrCat("the child received ", obs.child->notified,
                                 " notification(s) of the parent's requests"));
  }
  RuleOutcome out;
  std::vector<std::string> choices;
  if (op.cancel_fd != kNullHandle && obs.child->has_cancel &&
      obs.child->cancel_ret != AIO_ALLDONE) {
    const std::string seen = ChildCancelText(*obs.child);
    if (ctx.profile == Profile::kQoi) {
      return Rejected({"AIO-PROC-14", "AIO-CANCEL-12"}, allowed,
                      absl::StrCat("qoi: aio_cancel(fd, NULL) in the forked "
                                   "child returned ", seen,
                                   ": the child saw requests of the parent, "
                                   "but it inherits none"));
    }
    choices.push_back(absl::StrCat("AIO-PROC-14: aio_cancel in the fork child "
                                   "returned ", seen));
  }
  out.accepted.push_back({s, std::move(choices)});
  return out;
}

// AIO-PROC-13 (and -11 for signals): the probe's pattern at the old buffer
// address is intact and no notification reached it. A probe that could not
// start or could not map that address leaves nothing to judge; one that
// started and then never reported died in the new image.
RuleOutcome ApplyExecJoin(const State& s, const StepObservation& obs) {
  const std::string allowed = "proc ret=0 filled=0 notified=0";
  RuleOutcome out;
  if (obs.ret != 0 && obs.err != ECHILD) {
    out.unresolved =
        obs.err == EADDRINUSE
            ? "the old buffer address is taken in the new image: the probe "
              "could not watch it"
            : "the child could not exec the probe: nothing to judge";
    return out;
  }
  if (obs.ret != 0 || !obs.child.has_value()) {
    return Rejected({"AIO-PROC-13"}, allowed,
                    "the exec'd probe did not report: it crashed or hung in "
                    "the new process image");
  }
  if (obs.child->filled != 0) {
    return Rejected({"AIO-PROC-13"}, allowed,
                    "the pattern the probe laid at the old buffer address "
                    "changed: a completion wrote into the new process image");
  }
  if (obs.child->notified != 0) {
    return Rejected({"AIO-PROC-11", "AIO-PROC-13"}, allowed,
                    absl::StrCat("the new process image received ",
                                 obs.child->notified,
                                 " notification signal(s) of a request "
                                 "submitted before exec"));
  }
  out.accepted.push_back({s, {}});
  return out;
}

// _exit (AIO-PROC-07/08) and exec (AIO-PROC-10/11): the child's
// submission is judged as the call it is, with its notification suppressed
// (the submitter is gone or replaced), then a queued request is either
// cancelled by the event or left to complete as if the event had not
// happened. Which one is the implementation's choice, recorded.
RuleOutcome ApplySubmitThenEnd(const State& s, const Proc& op,
                               const StepObservation& obs,
                               const RuleContext& ctx) {
  const bool exec = op.kind == ProcKind::kExec;
  IoRequest req = op.req;
  req.notify = Notify{};  // AIO-PROC-08, AIO-PROC-11: suppressed
  Op call;
  if (op.write) {
    call.body = AioWrite{req, std::nullopt};
  } else {
    call.body = AioRead{req, std::nullopt};
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
          exec ? "AIO-PROC-10: exec cancelled the pending request"
               : "AIO-PROC-07: _exit cancelled the pending request");
      both.push_back(std::move(cancelled));
      a.choices.push_back(
          exec ? "AIO-PROC-10: the pending request outlived exec "
                 "(AIO-PROC-11)"
               : "AIO-PROC-07: the pending request outlived _exit "
                 "(AIO-PROC-08)");
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
      return op.of_exec ? ApplyExecJoin(s, obs) : ApplyJoin(s, op, obs, ctx);
    case ProcKind::kExit:
    case ProcKind::kExec:
      return ApplySubmitThenEnd(s, op, obs, ctx);
  }
  return RuleOutcome{};
}

}  // namespace aiospec
