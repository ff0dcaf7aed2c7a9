// Scenario traces: what the AIO fuzzers start from and splice in.
//
// RandomTrace (harness/trace/random_trace.h) covers the trace grammar, so
// the parser and the guardrails see everything; but few of its traces put
// two requests on one descriptor, block a read on an empty pipe, or end by
// looking at every request, which is where AIO bugs show. A scenario is
// built the way the conformance families are (conformance/traces/*):
//
//   - a setting: a regular file with content opened read-write (sometimes
//     O_APPEND or O_SYNC), a pipe, sometimes a socketpair;
//   - moves on it: requests on one descriptor with overlapping ranges,
//     reads that block on the empty pipe, writes behind a full pipe,
//     aio_fsync, lio_listio batches, aio_cancel of one aiocb or of NULL
//     (also on a bad descriptor), close of a busy descriptor and reuse of
//     its number, dup2 onto it, polls with aio_error and aio_suspend,
//     bad arguments (negative aio_reqprio or offset, huge aio_nbytes, an
//     invalid fsync op, a read on a write-only descriptor), notifications
//     with their values;
//   - an ending that makes every outcome visible: the pipe gets data, each
//     request is waited for, aio_error and aio_return of each, the file is
//     read back; out of process, sometimes under a signal storm whose
//     handler polls, returns or closes (async-signal safety, AIO-ASS-01),
//     or with a forked child that must see none of the requests.
//
// The text goes through the parser and MakeRunnable (guardrails.h), so a
// scenario is always runnable; the guardrails, not this file, decide what is
// safe.
//
// Usage:
//   std::mt19937_64 rng(seed);
//   Trace t = ScenarioTrace(rng, GuardrailOptions{});
#ifndef AIOSPEC_FUZZ_SCENARIO_H_
#define AIOSPEC_FUZZ_SCENARIO_H_

#include <random>
#include <string>

#include "fuzz/guardrails.h"
#include "harness/trace/trace.h"

namespace aiospec {

// The trace text of one scenario (parsable; not yet repaired). With
// `out_of_process`, for an agent process (GuardrailOptions), a child may
// submit a request and exit or exec, and the ending may fork or run under
// a signal storm.
std::string ScenarioText(std::mt19937_64& rng, bool out_of_process = false);

// ScenarioText, parsed and made runnable.
Trace ScenarioTrace(std::mt19937_64& rng, const GuardrailOptions& options);

}  // namespace aiospec

#endif  // AIOSPEC_FUZZ_SCENARIO_H_
