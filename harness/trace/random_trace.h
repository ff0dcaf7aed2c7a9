// Random valid Traces, for property tests and as the fuzzer's generator.
//
// Every trace RandomTrace returns is one ParseTrace accepts: names follow
// the grammar (some deliberately spelled like keywords, e.g. an aiocb named
// `write`), descriptors are only used while open and only opened while
// closed, files are declared before use, and every name in the tables is
// defined by an op in the order of the tables. So for any seed,
// ParseTrace(PrintTrace(t)) == t.
//
// Values stay small enough to execute (payloads of at most 64 KiB, no
// `wait timeout=none`) but include the edge cases the checker must handle:
// badfd, negative offsets and nbytes, INT64 extremes, null list entries,
// notifications, odd timeouts.
//
// Usage:
//   std::mt19937_64 rng(seed);
//   Trace t = RandomTrace(rng, /*max_ops=*/40);
#ifndef AIOSPEC_HARNESS_TRACE_RANDOM_TRACE_H_
#define AIOSPEC_HARNESS_TRACE_RANDOM_TRACE_H_

#include <random>

#include "harness/trace/trace.h"

namespace aiospec {

// A trace with between 0 and max_ops ops (uniformly), from `rng`.
Trace RandomTrace(std::mt19937_64& rng, int max_ops);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_TRACE_RANDOM_TRACE_H_
