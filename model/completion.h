// Hidden steps: request completion (and partial transfer) and the search
// over the orders in which pending requests may complete.
//
// A request's completion is never observed directly; an op's observation
// only needs some requests complete or pending. The checker therefore lets
// only the *relevant* requests move before an op: the ones the observation
// depends on (the seeds), closed under conflict (two requests conflict when
// the order of their completions can change what is observed). Requests in
// different conflict components commute, so components are explored one
// after the other instead of interleaved, and a component that nothing needs
// stays as it was (its completions are deferred to a later op).
//
// Usage:
//   StepContext ctx{.trace = &trace, .strict_order = true};
//   ExploreSpec spec;  spec.either = {cb};
//   bool overflow = false;
//   std::vector<State> worlds = Explore(state, spec, ctx, 4096, &overflow);
#ifndef AIOSPEC_MODEL_COMPLETION_H_
#define AIOSPEC_MODEL_COMPLETION_H_

#include <cstddef>
#include <functional>
#include <vector>

#include "model/state.h"

namespace aiospec {

struct StepContext {
  const Trace* trace = nullptr;
  // qoi: overlapping writes on a file (and every write on a stream or an
  // O_APPEND description) complete in submission order, and a read does not
  // complete before an earlier overlapping write (AIO-GEN-05, AIO-WRITE-07).
  bool strict_order = true;
};

// The successors of one hidden step of `cb`: its completion, or for a large
// stream write that does not fit, the transfer of the bytes that fit. Empty
// when the step is not enabled (blocked, ordered after another request, or
// not pending).
std::vector<State> StepRequest(const State& s, CbId cb, const StepContext& ctx);

// A step of `cb` is enabled whatever the unknown parts of the world are:
// a regular-file request, a stream read with bytes queued or no writer, a
// stream write with no reader or into an empty stream. Used by the qoi
// progress rule.
bool EnabledForSure(const State& s, CbId cb);

// The order of completing `a` and `b` (both pending) may matter.
bool Conflict(const State& s, CbId a, CbId b);

// The pending requests that touch a stream or file.
std::vector<CbId> RequestsOnStream(const State& s, StreamId stream);
std::vector<CbId> WritesOnFile(const State& s, FileId file);

// What an observation says of the worlds one conflict component reaches
// (ExploreSpec::fit): kOut rules a world out; kOnce lets it stand by an
// exception the observation allows once over all components (a readback
// torn by one pending write).
enum class ComponentFit { kFits, kOnce, kOut };

// What an op's observation needs from the pending requests.
struct ExploreSpec {
  std::vector<CbId> must_complete;  // each (or with any_of: one) complete
  bool any_of = false;
  std::vector<CbId> either;         // may or may not complete
  // Judges each component's worlds before they are combined, so that N
  // independent requests an observation shows cost about 2N worlds, not
  // 2^N. It must only rule out worlds that no completion of the other
  // components can make fit. Unset: every world fits.
  std::function<ComponentFit(const State&, const std::vector<CbId>& comp)> fit;
};

// Some request the spec names is pending in `s`: Explore could move
// something. Otherwise Explore(s, spec, ...) is just {s}.
bool AnySeedPending(const State& s, const ExploreSpec& spec);

// All worlds reachable from `s` by hidden steps of relevant requests that
// satisfy the spec (or, when no world satisfies it, every reachable world, so
// the rule can explain why). Includes `s` itself when it qualifies. Sets
// *overflow and stops when more than `limit` worlds are generated.
std::vector<State> Explore(const State& s, const ExploreSpec& spec,
                           const StepContext& ctx, size_t limit,
                           bool* overflow);

// Every world reachable from `s` by steps of `cbs` in any order (BFS,
// deduped), `s` included.
std::vector<State> Reachable(const State& s, const std::vector<CbId>& cbs,
                             const StepContext& ctx, size_t limit,
                             bool* overflow);

}  // namespace aiospec

#endif  // AIOSPEC_MODEL_COMPLETION_H_
