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
#include <new>
#include <string>

#include "absl/strings/str_cat.h"
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

}  // namespace
}  // namespace aiospec

BENCHMARK_MAIN();
