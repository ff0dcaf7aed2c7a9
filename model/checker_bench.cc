// Checker throughput: steps/s on generated regular-file traces with 1, 4
// and 16 requests in flight, on disjoint and on overlapping ranges, and on
// long traces (10,000 steps with 16 in flight, 100,000 steps with 4), with
// the heap the check holds at its peak (peak_heap, heap/step: memory must
// grow at most linearly with the trace; the trace and log are not counted).
//
// Each round submits `inflight` writes, polls one with aio_error, waits for
// all, reads the file back, collects every write with aio_return, then reads
// one range back with aio_read. The log is what a conforming, in-order
// implementation would record, so every run checks to PASS.
//
//   /tmp/build/bin/checker_bench --benchmark_filter=Disjoint
#include <malloc.h>

#include <cerrno>
#include <cstdlib>
#include <map>
#include <new>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "harness/observation/observation.h"
#include "harness/trace/payload.h"
#include "harness/trace/trace_parser.h"
#include "model/checker.h"

// Heap accounting for the peak_heap counter (this binary only), on in one
// untimed check per benchmark: malloc_usable_size on every allocation was a
// fifth of the timed loop's cost.
namespace {
bool g_counting = false;
int64_t g_live_bytes = 0;
int64_t g_peak_bytes = 0;
}  // namespace

void* operator new(size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  if (g_counting) {
    g_live_bytes += static_cast<int64_t>(malloc_usable_size(p));
    if (g_live_bytes > g_peak_bytes) g_peak_bytes = g_live_bytes;
  }
  return p;
}
void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  if (g_counting) g_live_bytes -= static_cast<int64_t>(malloc_usable_size(p));
  std::free(p);
}
void operator delete(void* p, size_t) noexcept { operator delete(p); }

namespace aiospec {
namespace {

constexpr int kRounds = 8;

struct Generated {
  Trace trace;
  ObservationLog log;
};

Generated Generate(int inflight, bool overlapping, int rounds = kRounds) {
  std::string text = "aiospec-trace 1\nfile f\nopen d f flags=rdwr\n";
  for (int round = 0; round < rounds; ++round) {
    for (int i = 0; i < inflight; ++i) {
      const int offset = overlapping ? 4 * i : 64 * i;
      absl::StrAppend(&text, "aio_write w", i, " fd=d offset=", offset,
                      " nbytes=16\n");
    }
    absl::StrAppend(&text, "aio_error w0\nwait");
    for (int i = 0; i < inflight; ++i) absl::StrAppend(&text, " w", i);
    absl::StrAppend(&text, "\nreadback f\n");
    for (int i = 0; i < inflight; ++i) absl::StrAppend(&text, "aio_return w", i, "\n");
    absl::StrAppend(&text, "aio_read r fd=d offset=0 nbytes=8\nwait r\naio_return r\n");
  }
  absl::StatusOr<Trace> trace = ParseTrace(text, "bench.trace");
  if (!trace.ok()) abort();
  Generated g{*std::move(trace), {}};
  std::string file;
  auto record = [&](int64_t ret, int err = 0,
                    std::optional<std::string> data = std::nullopt) {
    g.log.steps.push_back({static_cast<int>(g.log.steps.size()), ret, err,
                           std::move(data)});
  };
  record(0);
  record(3);
  for (size_t i = 2; i < g.trace.ops.size(); ++i) {
    const Op& op = g.trace.ops[i];
    if (const auto* w = std::get_if<AioWrite>(&op.body)) {
      // Completed in submission order, right away.
      const std::string bytes = RequestBytes(g.trace, static_cast<int>(i), w->req);
      if (file.size() < w->req.offset + bytes.size()) {
        file.resize(w->req.offset + bytes.size(), '\0');
      }
      file.replace(w->req.offset, bytes.size(), bytes);
      record(0);
    } else if (std::holds_alternative<AioError>(op.body)) {
      record(0);
    } else if (std::holds_alternative<Wait>(op.body) ||
               std::holds_alternative<AioRead>(op.body)) {
      record(0);
    } else if (std::holds_alternative<Readback>(op.body)) {
      record(static_cast<int64_t>(file.size()), 0, file);
    } else if (const auto* r = std::get_if<AioReturn>(&op.body)) {
      if (g.trace.cb_names[r->cb] == "r") {
        record(8, 0, file.substr(0, 8));
      } else {
        record(16);
      }
    }
  }
  return g;
}

// The peak heap of one check: what it allocates and still holds at worst.
int64_t PeakHeap(const Generated& g, const CheckOptions& options) {
  g_live_bytes = g_peak_bytes = 0;
  g_counting = true;
  { CheckResult r = CheckLog(g.trace, g.log, options); }
  g_counting = false;
  return g_peak_bytes;
}

void Run(benchmark::State& state, const Generated& g) {
  const CheckOptions options{Profile::kQoi, 4096};
  const int64_t peak = PeakHeap(g, options);
  for (auto _ : state) {
    CheckResult r = CheckLog(g.trace, g.log, options);
    if (r.verdict != Verdict::kPass) {
      state.SkipWithError(FormatResult(r, g.trace).c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  const double steps = static_cast<double>(g.trace.ops.size());
  state.counters["steps"] = steps;
  state.counters["steps/s"] =
      benchmark::Counter(steps * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["peak_heap"] = static_cast<double>(peak);
  state.counters["heap/step"] = static_cast<double>(peak) / steps;
}

void BM_Check(benchmark::State& state, bool overlapping) {
  Run(state, Generate(static_cast<int>(state.range(0)), overlapping));
}

void BM_Disjoint(benchmark::State& state) { BM_Check(state, false); }
void BM_Overlapping(benchmark::State& state) { BM_Check(state, true); }
BENCHMARK(BM_Disjoint)->Arg(1)->Arg(4)->Arg(16);
BENCHMARK(BM_Overlapping)->Arg(1)->Arg(4)->Arg(16);

// Long traces: args are (in flight, steps); a round is 2 * in flight + 6
// steps.
void BM_Long(benchmark::State& state) {
  const int inflight = static_cast<int>(state.range(0));
  const int rounds = static_cast<int>(state.range(1)) / (2 * inflight + 6);
  Run(state, Generate(inflight, false, rounds));
}
BENCHMARK(BM_Long)
    ->Args({16, 10'000})
    ->Args({16, 100'000})
    ->Args({4, 10'000})
    ->Args({4, 100'000})
    ->Unit(benchmark::kMillisecond);

// The console output plus, at the end, the figures of this run against the
// goals of issue #3 (medians when --benchmark_repetitions gives them):
// 1 M steps/s with up to 4 requests in flight, a 10,000-step trace with 16
// in flight in under 1 s, memory linear in trace length.
class GoalReporter : public benchmark::ConsoleReporter {
 public:
  GoalReporter() : ConsoleReporter(OO_None) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      const bool median =
          r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (r.run_type == Run::RT_Aggregate && !median) continue;
      Figures& f = figures_[r.run_name.str()];
      if (f.median && !median) continue;
      f.median = median;
      auto counter = [&](const char* name) {
        auto it = r.counters.find(name);
        return it == r.counters.end() ? 0.0 : it->second.value;
      };
      f.steps_per_s = counter("steps/s");
      f.peak_heap = counter("peak_heap");
      f.cpu_s = r.GetAdjustedCPUTime() / benchmark::GetTimeUnitMultiplier(r.time_unit);
      f.wall_s = r.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(r.time_unit);
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::ostream& out = GetOutputStream();
    out << "\nGoals (issue #3), from this run ("
        << (AnyMedian() ? "medians" : "single runs") << ", steps/s per CPU second):\n";
    out << "  >= 1 M steps/s with up to 4 requests in flight:\n";
    for (const char* name :
         {"BM_Disjoint/1", "BM_Disjoint/4", "BM_Overlapping/1",
          "BM_Overlapping/4", "BM_Long/4/10000", "BM_Long/4/100000"}) {
      auto it = figures_.find(name);
      if (it == figures_.end()) continue;
      const double ms = it->second.steps_per_s / 1e6;
      out << "    " << name << ": " << absl::StrFormat("%.2f", ms) << " M steps/s "
          << (ms >= 1.0 ? "(met)" : "(NOT met)") << "\n";
    }
    if (auto it = figures_.find("BM_Long/16/10000"); it != figures_.end()) {
      const Figures& f = it->second;
      out << "  10,000 steps with 16 in flight in under 1 s: "
          << absl::StrFormat("%.1f ms CPU, %.1f ms wall", 1e3 * f.cpu_s, 1e3 * f.wall_s)
          << (f.wall_s < 1.0 ? " (met)" : " (NOT met)") << "\n";
    }
    for (int inflight : {4, 16}) {
      auto a = figures_.find(absl::StrCat("BM_Long/", inflight, "/10000"));
      auto b = figures_.find(absl::StrCat("BM_Long/", inflight, "/100000"));
      if (a == figures_.end() || b == figures_.end() || a->second.peak_heap <= 0) {
        continue;
      }
      const double ratio = b->second.peak_heap / a->second.peak_heap;
      out << "  memory linear in trace length (" << inflight << " in flight): peak heap "
          << absl::StrFormat("%.0f B at 10,000 steps, %.0f B at 100,000 (x%.2f for x10 steps)",
                             a->second.peak_heap, b->second.peak_heap, ratio)
          << (ratio <= 10.0 ? " (met)" : " (NOT met)") << "\n";
    }
  }

 private:
  struct Figures {
    bool median = false;
    double steps_per_s = 0;
    double peak_heap = 0;
    double cpu_s = 0;   // per check
    double wall_s = 0;  // per check
  };
  bool AnyMedian() const {
    for (const auto& [name, f] : figures_) {
      if (f.median) return true;
    }
    return false;
  }
  std::map<std::string, Figures> figures_;
};

}  // namespace
}  // namespace aiospec

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  aiospec::GoalReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
