// Fuzz loop throughput (issue 6's speed goals, measured, never asserted).
//
// One exec is what libFuzzer pays per input, minus libFuzzer itself: make
// a generated trace runnable (guardrails.h), run it on an in-process target
// and judge the log with the model (fuzz_oracle.h). Inputs are
// RandomTrace(max_ops = 16) traces, a fixed set cycled, so every run of the
// benchmark measures the same work. Time is wall time: the implementations'
// workers run on threads of their own.
//
// Counters: execs/s (goal: 5,000 on bundled-inproc, 2,000 on glibc-inproc)
// and judged (the share of inputs the model judged; the rest failed a
// run-time precondition, e.g. a wait timed out before an aio_return).
// BM_ModelCheckOnly times the model's share alone, on logs of the same
// inputs. The _scenarios variants run the scenario traces (scenario.h) an
// empty-corpus fuzzer starts from.
//
//   build/default/bin/fuzz_bench --benchmark_filter=bundled
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmark/benchmark.h"
#include "fuzz/fuzz_oracle.h"
#include "fuzz/guardrails.h"
#include "fuzz/scenario.h"
#include "harness/target/target.h"
#include "harness/trace/random_trace.h"
#include "model/checker.h"

namespace aiospec {
namespace {

constexpr int kMaxOps = 16;
constexpr int kTraces = 512;

// Grammar-random traces (RandomTrace), or the scenarios an empty-corpus
// fuzzer starts from (scenario.h); a fixed set of each.
enum class Inputs { kRandom, kScenario };

const std::vector<Trace>& InputSet(Inputs kind) {
  static const std::vector<Trace>* sets[2] = {nullptr, nullptr};
  const std::vector<Trace>*& set = sets[static_cast<int>(kind)];
  if (set == nullptr) {
    auto* v = new std::vector<Trace>;
    std::mt19937_64 rng(20261123);
    while (v->size() < kTraces) {
      // MakeRunnable drops what in-process targets refuse (signal storms).
      v->push_back(kind == Inputs::kRandom
                       ? MakeRunnable(RandomTrace(rng, kMaxOps))
                       : ScenarioTrace(rng, GuardrailOptions{}));
    }
    set = v;
  }
  return *set;
}

absl::StatusOr<std::unique_ptr<Target>> MakeOrSkip(benchmark::State& state,
                                                   const char* spec) {
  PreferMemoryTempDir();  // as the fuzzers do
  absl::StatusOr<std::unique_ptr<Target>> target = MakeTarget(spec);
  if (!target.ok()) {
    state.SkipWithError(std::string(target.status().message()).c_str());
  }
  return target;
}

// The whole exec: run in-process and judge (Oracle::RunAndJudge).
void BM_FuzzExec(benchmark::State& state, const char* target_spec,
                 Inputs kind) {
  absl::StatusOr<std::unique_ptr<Target>> target = MakeOrSkip(state, target_spec);
  if (!target.ok()) return;
  const std::vector<Trace>& inputs = InputSet(kind);
  Oracle oracle{OracleConfig{}};
  size_t next = 0;
  int64_t judged = 0;
  for (auto _ : state) {
    Judged j = oracle.RunAndJudge(**target, inputs[next++ % inputs.size()]);
    judged += j.outcome == Judged::Outcome::kJudged;
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["execs/s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  state.counters["judged"] = n > 0 ? static_cast<double>(judged) / n : 0;
}

// The model's part alone, on the logs one pass of the inputs produced.
void BM_ModelCheckOnly(benchmark::State& state, const char* target_spec) {
  absl::StatusOr<std::unique_ptr<Target>> target = MakeOrSkip(state, target_spec);
  if (!target.ok()) return;
  std::vector<std::pair<const Trace*, ObservationLog>> logs;
  for (const Trace& t : InputSet(Inputs::kRandom)) {
    absl::StatusOr<ObservationLog> log = (*target)->Run(t, RunOptions{});
    if (log.ok() && CheckRunPreconditions(t, *log).ok()) {
      logs.emplace_back(&t, *std::move(log));
    }
  }
  size_t next = 0;
  for (auto _ : state) {
    const auto& [trace, log] = logs[next++ % logs.size()];
    benchmark::DoNotOptimize(CheckLog(*trace, log, CheckOptions{}).verdict);
  }
  state.counters["checks/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

BENCHMARK_CAPTURE(BM_FuzzExec, bundled, "bundled-inproc", Inputs::kRandom)
    ->UseRealTime()
    ->MinTime(5.0)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_FuzzExec, glibc, "glibc-inproc", Inputs::kRandom)
    ->UseRealTime()
    ->MinTime(5.0)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_FuzzExec, bundled_scenarios, "bundled-inproc",
                  Inputs::kScenario)
    ->UseRealTime()
    ->MinTime(5.0)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_FuzzExec, glibc_scenarios, "glibc-inproc",
                  Inputs::kScenario)
    ->UseRealTime()
    ->MinTime(5.0)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ModelCheckOnly, bundled, "bundled-inproc")
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace aiospec

BENCHMARK_MAIN();
