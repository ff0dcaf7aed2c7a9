// The transition rules: what each op may observe in a model state, and the
// states it leads to.
//
// One rule per op. A rule sees one world (a State in which the hidden
// completions the checker chose have already happened) and the op's
// observation, and yields the accepted successor worlds, or a Rejection that
// says which assertions rule the observation out in this world and what the
// world allowed instead. Each rule's comment cites the assertion IDs of
// /work/shared/spec/ASSERTIONS.md it implements; every Rejection carries the
// IDs of the clause that failed.
//
// SpecFor says which pending requests the observation depends on, so the
// checker knows which completions to try before calling the rule.
//
// Usage:
//   RuleContext ctx{.trace = &trace, .op_index = i, .profile = Profile::kQoi};
//   ExploreSpec spec = SpecFor(state, op, obs);
//   for (const State& w : Explore(state, spec, ctx.step, limit, &overflow)) {
//     RuleOutcome out = ApplyRule(w, op, obs, ctx);
//     ...
//   }
#ifndef AIOSPEC_MODEL_RULES_H_
#define AIOSPEC_MODEL_RULES_H_

#include <optional>
#include <string>
#include <vector>

#include "harness/observation/observation.h"
#include "harness/trace/trace.h"
#include "model/checker.h"
#include "model/completion.h"
#include "model/state.h"

namespace aiospec {

// A wait bound below this is never a qoi FAIL (no progress, a notification
// not arrived): an implementation needs some time to run a request and to
// deliver its notification (model/README.md, Profiles).
inline constexpr int64_t kMinProgressBoundNanos = 100'000'000;

struct RuleContext {
  const Trace* trace = nullptr;
  int op_index = 0;
  Profile profile = Profile::kQoi;
  StepContext step;
  size_t limit = 4096;  // bound on worlds a rule may enumerate internally
};

struct Rejection {
  std::vector<std::string> assertion_ids;
  std::string allowed;  // what this world allowed, e.g. "aio_error ret=0"
  std::string message;  // one sentence, optional
};

// A world the rule accepted, with the implementation-defined choices the
// transition took ("AIO-READ-16: EBADF reported asynchronously").
struct Accepted {
  State state;
  std::vector<std::string> choices;
  // ApplyRuleKeepingInput only: the world is the rule's input, unchanged;
  // `state` is left empty.
  bool same = false;
};

struct RuleOutcome {
  std::vector<Accepted> accepted;
  std::vector<Rejection> rejections;
  // Set when the model cannot judge the op at all (an op it does not cover,
  // a setup failure, undefined behaviour in the trace).
  std::optional<std::string> unresolved;
};

// Which pending requests the observation of `op` depends on.
ExploreSpec SpecFor(const State& s, const Op& op, const StepObservation& obs);

RuleOutcome ApplyRule(const State& s, const Op& op, const StepObservation& obs,
                      const RuleContext& ctx);

// ApplyRule for the checker's hot loop: an accepted world that is `s`
// itself comes back as Accepted::same instead of a copy of `s`.
RuleOutcome ApplyRuleKeepingInput(const State& s, const Op& op,
                                  const StepObservation& obs,
                                  const RuleContext& ctx);

// "aio_error ret=EINPROGRESS", "aio_read ret=-1 errno=EAGAIN",
// "aio_return ret=5 data=\"hello\"".
std::string FormatObservation(const Op& op, const StepObservation& obs);

}  // namespace aiospec

#endif  // AIOSPEC_MODEL_RULES_H_
