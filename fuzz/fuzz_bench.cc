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
// run-time precondition, e.g. a wait timed out before an aio_return), then
// where an exec's wall time went, mean microseconds per exec and phase:
//   setup_us    wire encoding, lock, work directory check, the executor's
//               validation and handler setup
//   ops_us      the trace's ops (InProcessPhases::ops_ns)
//   cleanup_us  the executor's own come-to-rest (cancel, release, close)
//   rest_us     InProcessTarget's wait for the library to come to rest
//   finish_us   the log's parse
//   check_us    run-time preconditions and the model (CheckLog)
//   p50_us, p99_us, max_us   of the whole exec; check_p99_us of the model
//   cpu_us      CPU time of the whole process (every thread) per exec: on a
//               shared machine it moves far less with the load than wall
//               time, so it tells CPU savings apart from noise (waits the
//               traces ask for cost wall time, no CPU)
// The table adds trim1%/s: execs/s with the slowest 1% of execs left out,
// i.e. how much of the mean the rare slow inputs (a model check of a fill
// with requests pending, a wait that runs to its 200 ms bound) cost.
// BM_ModelCheckOnly times the model's share alone, on logs of the same
// inputs. The _scenarios variants run the scenario traces (scenario.h) an
// empty-corpus fuzzer starts from.
//
// The process runs on one CPU (the goals are per core) unless
// $AIOSPEC_BENCH_ALL_CPUS=1 (PinToOneCpu, fuzz_oracle.h).
// After the benchmarks a table puts every exec figure next to its goal,
// all measured in this one run (so under the same load).
//
//   build/default/bin/fuzz_bench                       # all, then the table
//   build/default/bin/fuzz_bench --benchmark_filter=bundled
//   AIOSPEC_BENCH_SLOW_US=5000 build/default/bin/fuzz_bench ...  # slow inputs
//   AIOSPEC_BENCH_TRACES=a.trace,b.trace build/default/bin/fuzz_bench ...
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_split.h"
#include "benchmark/benchmark.h"
#include "fuzz/fuzz_oracle.h"
#include "fuzz/guardrails.h"
#include "fuzz/scenario.h"
#include "harness/target/inproc_target.h"
#include "harness/target/target.h"
#include "harness/trace/random_trace.h"
#include "harness/trace/trace_parser.h"
#include "harness/trace/trace_printer.h"
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
    // $AIOSPEC_BENCH_TRACES=a.trace,b.trace: these instead (made runnable),
    // to time one input's phases alone.
    if (const char* files = std::getenv("AIOSPEC_BENCH_TRACES")) {
      for (absl::string_view path : absl::StrSplit(files, ',')) {
        std::ifstream in{std::string(path)};
        std::stringstream text;
        text << in.rdbuf();
        absl::StatusOr<Trace> t = ParseTrace(text.str(), std::string(path));
        if (t.ok()) {
          v->push_back(MakeRunnable(*std::move(t)));
        } else {
          std::fprintf(stderr, "%s\n", std::string(t.status().message()).c_str());
        }
      }
      if (!v->empty()) return *(set = v);
    }
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

// One row of the closing table.
struct Row {
  std::string name;
  double execs_per_s = 0;
  double goal = 0;  // 0: no goal for this row
  double judged = 0;
  double phase_us[6] = {};  // setup ops cleanup rest finish check
  double p50_us = 0, p99_us = 0, check_p99_us = 0;
  double trimmed_per_s = 0;  // execs/s with the slowest 1% left out
  double cpu_us = 0;         // process CPU time per exec
};

std::string& CpuNote() {
  static std::string* note = new std::string;
  return *note;
}

std::vector<Row>& Rows() {
  static std::vector<Row>* rows = new std::vector<Row>;
  return *rows;
}

int64_t ProcessCpuNanos() {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

double Percentile(std::vector<int64_t> v, double q) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * v.size()));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return static_cast<double>(v[k]) / 1e3;
}

// The whole exec: run in-process and judge (Oracle::RunAndJudge).
void BM_FuzzExec(benchmark::State& state, const char* target_spec,
                 Inputs kind, double goal) {
  const std::string name = std::string(target_spec) +
                           (kind == Inputs::kRandom ? ", random traces"
                                                    : ", scenario traces");
  absl::StatusOr<std::unique_ptr<Target>> target = MakeOrSkip(state, target_spec);
  if (!target.ok()) return;
  const auto* inproc = dynamic_cast<const InProcessTarget*>(target->get());
  const std::vector<Trace>& inputs = InputSet(kind);
  Oracle oracle{OracleConfig{}};
  size_t next = 0;
  int64_t judged = 0;
  int64_t phase_ns[6] = {};
  std::vector<int64_t> exec_ns, check_ns;
  exec_ns.reserve(1 << 16);
  check_ns.reserve(1 << 16);
  const char* slow_env = std::getenv("AIOSPEC_BENCH_SLOW_US");
  const int64_t slow_ns = slow_env != nullptr ? std::atoll(slow_env) * 1000 : 0;
  const auto start = std::chrono::steady_clock::now();
  const int64_t cpu_start = ProcessCpuNanos();
  for (auto _ : state) {
    const size_t index = next++ % inputs.size();
    Judged j = oracle.RunAndJudge(**target, inputs[index]);
    judged += j.outcome == Judged::Outcome::kJudged;
    InProcessPhases p;
    if (inproc != nullptr) p = inproc->last_phases();
    phase_ns[0] += p.setup_ns;
    phase_ns[1] += p.ops_ns;
    phase_ns[2] += p.cleanup_ns;
    phase_ns[3] += p.rest_ns;
    phase_ns[4] += p.finish_ns;
    if (slow_ns > 0 && j.run_ns + j.check_ns > slow_ns) {
      // $AIOSPEC_BENCH_SLOW_US: show the inputs slower than that.
      std::fprintf(stderr,
                   "slow %s input %zu: setup %lld ops %lld cleanup %lld rest "
                   "%lld finish %lld check %lld us, %zu peak states\n%s\n",
                   name.c_str(), index, (long long)p.setup_ns / 1000,
                   (long long)p.ops_ns / 1000, (long long)p.cleanup_ns / 1000,
                   (long long)p.rest_ns / 1000, (long long)p.finish_ns / 1000,
                   (long long)j.check_ns / 1000, j.result.peak_states,
                   PrintTrace(inputs[index]).c_str());
    }
    phase_ns[5] += j.check_ns;
    exec_ns.push_back(j.run_ns + j.check_ns);
    check_ns.push_back(j.check_ns);
  }
  const std::chrono::duration<double> wall =
      std::chrono::steady_clock::now() - start;
  const int64_t cpu_ns = ProcessCpuNanos() - cpu_start;
  const double n = static_cast<double>(state.iterations());
  if (n == 0) return;
  Row row;
  row.name = name;
  row.execs_per_s = wall.count() > 0 ? n / wall.count() : 0;
  row.goal = goal;
  row.judged = static_cast<double>(judged) / n;
  row.cpu_us = static_cast<double>(cpu_ns) / n / 1e3;
  state.counters["cpu_us"] = row.cpu_us;
  state.counters["execs/s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  state.counters["judged"] = row.judged;
  static const char* const kPhase[6] = {"setup_us",  "ops_us",    "cleanup_us",
                                        "rest_us",   "finish_us", "check_us"};
  for (int i = 0; i < 6; ++i) {
    row.phase_us[i] = static_cast<double>(phase_ns[i]) / n / 1e3;
    state.counters[kPhase[i]] = row.phase_us[i];
  }
  {
    std::vector<int64_t> sorted = exec_ns;
    std::sort(sorted.begin(), sorted.end());
    const size_t keep = sorted.size() - sorted.size() / 100;
    int64_t sum = 0;
    for (size_t i = 0; i < keep; ++i) sum += sorted[i];
    row.trimmed_per_s = sum > 0 ? 1e9 * static_cast<double>(keep) / sum : 0;
  }
  row.p50_us = Percentile(exec_ns, 0.50);
  row.p99_us = Percentile(exec_ns, 0.99);
  row.check_p99_us = Percentile(check_ns, 0.99);
  state.counters["p50_us"] = row.p50_us;
  state.counters["p99_us"] = row.p99_us;
  state.counters["max_us"] = Percentile(exec_ns, 1.0);
  state.counters["check_p99_us"] = row.check_p99_us;
  // The benchmark library calls this once per trial; keep the last (longest).
  std::vector<Row>& rows = Rows();
  auto same = std::find_if(rows.begin(), rows.end(), [&](const Row& r) {
    return r.name == row.name;
  });
  if (same != rows.end()) {
    *same = std::move(row);
  } else {
    rows.push_back(std::move(row));
  }
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

BENCHMARK_CAPTURE(BM_FuzzExec, bundled, "bundled-inproc", Inputs::kRandom,
                  5000.0)
    ->UseRealTime()
    ->MinTime(5.0)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_FuzzExec, glibc, "glibc-inproc", Inputs::kRandom, 2000.0)
    ->UseRealTime()
    ->MinTime(5.0)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_FuzzExec, bundled_scenarios, "bundled-inproc",
                  Inputs::kScenario, 0.0)
    ->UseRealTime()
    ->MinTime(5.0)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_FuzzExec, glibc_scenarios, "glibc-inproc",
                  Inputs::kScenario, 0.0)
    ->UseRealTime()
    ->MinTime(5.0)
    ->Unit(benchmark::kMicrosecond);
// Every log of the input set in turn (512 of them), so the mean covers the
// rare large state sets too.
BENCHMARK_CAPTURE(BM_ModelCheckOnly, bundled, "bundled-inproc")
    ->MinTime(3.0)
    ->Unit(benchmark::kMicrosecond);

// The closing table: each exec benchmark's figure next to its goal, and
// where its mean exec went.
void PrintTable() {
  if (Rows().empty()) return;
  std::printf(
      "\nfuzz_bench: execs/s per core (%s), traces of up to %d ops, model "
      "check included (all measured in this run)\n",
      CpuNote().c_str(), kMaxOps);
  std::printf("%-33s %8s %6s %4s %8s %6s | mean us: %6s %6s %7s %6s %6s %7s | "
              "%6s %7s %9s %6s\n",
              "benchmark", "execs/s", "goal", "met", "trim1%/s", "judged",
              "setup", "ops", "cleanup", "rest", "finish", "check", "p50_us",
              "p99_us", "chk_p99us", "cpu_us");
  for (const Row& r : Rows()) {
    const double rate = r.execs_per_s;
    char goal[16] = "-", met[8] = "-";
    if (r.goal > 0) {
      std::snprintf(goal, sizeof goal, "%.0f", r.goal);
      std::snprintf(met, sizeof met, "%s", rate >= r.goal ? "yes" : "NO");
    }
    std::printf("%-33s %8.0f %6s %4s %8.0f %6.3f | %15.1f %6.1f %7.1f %6.1f "
                "%6.1f %7.1f | %6.0f %7.0f %9.0f %6.1f\n",
                r.name.c_str(), rate, goal, met, r.trimmed_per_s, r.judged,
                r.phase_us[0],
                r.phase_us[1], r.phase_us[2], r.phase_us[3], r.phase_us[4],
                r.phase_us[5], r.p50_us, r.p99_us, r.check_p99_us, r.cpu_us);
  }
  std::fflush(stdout);
}

}  // namespace
}  // namespace aiospec

int main(int argc, char** argv) {
  // The goals are per core: the whole process (runner, the libraries'
  // workers, notification threads) on one CPU (PinToOneCpu), unless
  // $AIOSPEC_BENCH_ALL_CPUS=1. Before any library starts a thread: the
  // bundled library decides at initialization whether spinning can pay.
  const char* all = std::getenv("AIOSPEC_BENCH_ALL_CPUS");
  const bool pin = all == nullptr || std::string(all) != "1";
  int cpu = -1;
  if (pin) cpu = aiospec::PinToOneCpu();
  aiospec::CpuNote() = cpu >= 0 ? "pinned to CPU " + std::to_string(cpu)
                                : "on all CPUs";
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  aiospec::PrintTable();
  return 0;
}
