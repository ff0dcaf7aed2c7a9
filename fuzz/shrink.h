// Shrinking a failing trace to a small one that fails the same way.
//
// Delta debugging (ddmin) over ops, then over arguments: drop chunks of ops,
// then single ops, then simplify what is left (drop list entries, notify
// none, offsets to 0, shorter data and contents, smaller nbytes). Every
// candidate is made runnable (guardrails.h) and kept only if `judge` gives
// it the same signature as the original: the same verdict and assertion
// IDs, so a shrunk finding is the same finding, only readable.
//
// Usage:
//   JudgeFn judge = [&](const Trace& t) {
//     CheckResult r = CheckLog(t, *target->Run(t, {}), {});
//     return FailureSignature(r);   // e.g. "FAIL AIO-READ-07 AIO-GEN-04"
//   };
//   ShrinkResult s = ShrinkTrace(trace, judge, ShrinkOptions{});
//   // s.trace fails like trace; s.judgements runs were spent.
#ifndef AIOSPEC_FUZZ_SHRINK_H_
#define AIOSPEC_FUZZ_SHRINK_H_

#include <functional>
#include <string>

#include "fuzz/guardrails.h"
#include "harness/trace/trace.h"

namespace aiospec {

// Runs and judges a trace; returns a signature (verdict and assertion IDs).
// Equal signatures mean "fails the same way".
using JudgeFn = std::function<std::string(const Trace&)>;

struct ShrinkOptions {
  GuardrailOptions guardrails;
  int max_judgements = 300;  // a bound on runs of the target
  // Judgements of one candidate; it must reproduce every time (flaky
  // findings shrink to nonsense otherwise).
  int confirmations = 1;
};

struct ShrinkResult {
  Trace trace;
  std::string signature;  // of the original and of `trace`
  int judgements = 0;
};

ShrinkResult ShrinkTrace(const Trace& trace, const JudgeFn& judge,
                         const ShrinkOptions& options = {});

}  // namespace aiospec

#endif  // AIOSPEC_FUZZ_SHRINK_H_
