// Structure-aware mutation of traces, for libFuzzer's custom mutator hooks.
//
// libFuzzer's byte-level mutations almost never keep a trace parsable, let
// alone runnable. These mutate the Trace instead: insert, delete, duplicate
// or swap ops, edit one argument (offset, nbytes, data, descriptor, aiocb,
// timeout, notification, ...), or splice two traces; then MakeRunnable
// (guardrails.h) repairs the result and PrintTrace writes it back. An input
// that does not parse is replaced by a scenario (scenario.h), now and then
// by a RandomTrace (random_trace.h); insertions take ops from either.
//
// Handles are spliced by name: an op taken from another trace keeps using
// `d` if this trace has a descriptor `d`, so seeds that share names
// (conformance traces do) combine meaningfully.
//
// Usage:
//   std::mt19937_64 rng(seed);
//   std::string next = MutateTraceText(text, rng, MutatorOptions{});
//   std::string child = CrossOverTraceText(a, b, rng, MutatorOptions{});
#ifndef AIOSPEC_FUZZ_MUTATOR_H_
#define AIOSPEC_FUZZ_MUTATOR_H_

#include <cstddef>
#include <random>
#include <string>
#include <string_view>

#include "fuzz/guardrails.h"
#include "harness/trace/trace.h"

namespace aiospec {

struct MutatorOptions {
  GuardrailOptions guardrails;
  // Ops in a RandomTrace made for an input that does not parse, and in
  // what one insertion may add.
  int random_trace_ops = 12;
  // Printed text stays within this size (libFuzzer's max_size).
  size_t max_text_bytes = 4096;
};

// One to three structural mutations of `trace`, made runnable.
Trace MutateTrace(Trace trace, std::mt19937_64& rng,
                  const MutatorOptions& options);

// A prefix of `a` followed by a part of `b`, handles joined by name, made
// runnable.
Trace CrossOver(const Trace& a, const Trace& b, std::mt19937_64& rng,
                const MutatorOptions& options);

// The same on text: parse (a scenario or a RandomTrace if that fails),
// mutate, print; one call in ten returns a fresh scenario instead. The
// result always parses, passes CheckRunnable, and fits max_text_bytes.
std::string MutateTraceText(std::string_view text, std::mt19937_64& rng,
                            const MutatorOptions& options);
std::string CrossOverTraceText(std::string_view a, std::string_view b,
                               std::mt19937_64& rng,
                               const MutatorOptions& options);

}  // namespace aiospec

#endif  // AIOSPEC_FUZZ_MUTATOR_H_
