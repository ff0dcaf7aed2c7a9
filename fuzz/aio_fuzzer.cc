// libFuzzer targets for the AIO implementations, model-guided and
// structure-aware. One source, three binaries (fuzz/CMakeLists.txt):
//
//   aio_fuzzer_bundled  bundled-inproc; a model FAIL is a bug in aiospec's
//                       own implementation: the finding is written, then
//                       __builtin_trap() stops the run.
//   aio_fuzzer_glibc    glibc-inproc; findings are written and counted, and
//                       the run goes on (a known glibc bug must not stop it).
//                       $AIOSPEC_FUZZ_TARGET=SPEC fuzzes that target instead,
//                       e.g. musl or agent:PATH (`aiospec fuzz --target`).
//   aio_fuzzer_diff     both on every input, each judged by the model;
//                       bundled FAILs trap, glibc FAILs are recorded, and
//                       differences in the implementation-defined choices
//                       (CheckResult::choices) are written as notes.
//
// Inputs are trace texts. Only inputs that pass CheckRunnable
// (guardrails.h) run; the custom mutator and cross-over (mutator.h) keep
// nearly all inputs runnable. The model's outcome (step result classes,
// choices, verdict) feeds libFuzzer as extra counters, so the search is
// guided by behaviour, not only by code coverage of aiospec itself.
//
// Hangs are libFuzzer's -timeout, or an in-process run slower than a correct
// one can be (TimedRun: an op that blocked until libFuzzer's alarm
// interrupted it); crashes and sanitizer reports are libFuzzer's own.
//
// An out-of-process target (a child process with a watchdog) also gets
// traces with signal storms and process events
// (GuardrailOptions::out_of_process), which in process would signal or
// fork the fuzzer itself.
//
// $AIOSPEC_FUZZ_AGENT=PATH points aio_fuzzer_bundled at agent:PATH (a child
// process with a watchdog) instead of bundled-inproc: ci/faults fuzzes the
// seeded-fault agents (faults/) this way, where a HANG or CRASH verdict is
// a finding too. The first finding's time is printed ("first finding
// after"). With $AIOSPEC_FUZZ_CONTROL_AGENT=PATH (the correct bundled
// agent) a finding that agent:PATH shows too is not the fault's: it is
// written as a note and the run goes on.
//
// Each fuzzing process pins itself to a CPU no other aiospec fuzzer has
// claimed (PinToOneCpu; not with -jobs/-workers/-fork, whose children
// would inherit the mask; $AIOSPEC_FUZZ_ALL_CPUS=1 never).
//
// Run (see ci/fuzz):
//   AIOSPEC_FUZZ_FINDINGS=/tmp/f aio_fuzzer_bundled -timeout=20 \
//       -dict=fuzz/aio.dict corpus-out fuzz/corpus/aio
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "fuzz/fuzz_oracle.h"
#include "fuzz/guardrails.h"
#include "fuzz/mutator.h"
#include "harness/target/bundled_inproc_target.h"
#include "harness/target/target.h"
#include "harness/trace/trace_parser.h"
#include "harness/trace/trace_printer.h"

#if defined(AIOSPEC_FUZZ_VARIANT_bundled)
constexpr bool kRunBundled = true, kRunGlibc = false;
#elif defined(AIOSPEC_FUZZ_VARIANT_glibc)
constexpr bool kRunBundled = false, kRunGlibc = true;
#else
constexpr bool kRunBundled = true, kRunGlibc = true;
#endif

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size,
                                   size_t max_size);

namespace aiospec {
namespace {

// libFuzzer clears these before each input and reads them after it.
constexpr size_t kNumCounters = 1 << 13;
__attribute__((used, section("__libfuzzer_extra_counters")))
uint8_t extra_counters[kNumCounters];

// Signatures listed in $AIOSPEC_FUZZ_KNOWN (default: fuzz/known_findings.txt
// of the source tree), one "TARGET VERDICT ID..." a line: known findings
// that are recorded but do not stop the bundled run (e.g. a gap in the
// model that is being fixed). Lines starting with # are comments.
std::set<std::string> LoadKnown() {
  std::set<std::string> known;
  const char* path = std::getenv("AIOSPEC_FUZZ_KNOWN");
  std::ifstream in(path != nullptr ? path : AIOSPEC_FUZZ_KNOWN_DEFAULT);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') known.insert(line);
  }
  return known;
}

struct State {
  Oracle oracle{OracleConfig::FromEnv()};
  std::set<std::string> known = LoadKnown();
  std::unique_ptr<Target> bundled;
  std::unique_ptr<Target> glibc;  // glibc-inproc, or $AIOSPEC_FUZZ_TARGET
  std::unique_ptr<Target> control;  // $AIOSPEC_FUZZ_CONTROL_AGENT
  bool bundled_is_agent = false;  // $AIOSPEC_FUZZ_AGENT
  GuardrailOptions guardrails;     // out_of_process when every target is
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  bool found = false;
  long inputs = 0, judged = 0, skipped = 0, glibc_findings = 0;
};

State& GetState() {
  static State* state = new State;
  return *state;
}

std::unique_ptr<Target> Make(const char* spec) {
  absl::StatusOr<std::unique_ptr<Target>> t = MakeTarget(spec);
  if (!t.ok()) {
    std::fprintf(stderr, "aio_fuzzer: %s\n",
                 std::string(t.status().message()).c_str());
    std::abort();
  }
  return *std::move(t);
}

// The executor's cleanup must leave the bundled library with nothing in
// flight, or the next input does not start from the same state. Run has
// already waited (bounded) for the library to come to rest
// (InProcessTarget::AtRest), so one look says whether it did.
bool BundledAtRest() { return BundledInProcessTarget::outstanding() == 0; }

// An in-process run this slow had an op blocked until something else woke
// it: libFuzzer's timeout alarm (every -timeout/2+1 s) interrupts a wait
// the implementation should never have entered, e.g. a close or cancel
// waiting for a held read. A correct run stays far below: its long waits are
// bounded by the guardrails at well under a second in all.
constexpr auto kInProcessHang = std::chrono::seconds(4);

// RunAndJudge, with an in-process run slower than kInProcessHang reported
// as a hang (a run error: there is nothing for the model to judge).
Judged TimedRun(State& s, Target& target, const Trace& trace) {
  const auto start = std::chrono::steady_clock::now();
  Judged j = s.oracle.RunAndJudge(target, trace);
  const std::chrono::duration<double> took =
      std::chrono::steady_clock::now() - start;
  if (!target.OutOfProcess() && took > kInProcessHang) {
    j.outcome = Judged::Outcome::kRunError;
    j.error = absl::StrFormat(
        "HANG: the run took %.1f s in process (an op blocked until a signal "
        "interrupted it)",
        took.count());
  }
  return j;
}

// Runs, judges, adds features; returns the judged run.
Judged RunOne(State& s, Target& target, const Trace& trace) {
  Judged j = TimedRun(s, target, trace);
  Oracle::AddFeatures(target.name(), trace, j, extra_counters, kNumCounters);
  if (j.outcome == Judged::Outcome::kPrecondition) ++s.skipped;
  if (j.outcome == Judged::Outcome::kJudged) ++s.judged;
  return j;
}

bool IsFinding(const Judged& j) {
  if (j.outcome == Judged::Outcome::kRunError) return true;
  if (j.outcome != Judged::Outcome::kJudged) return false;
  const Verdict v = j.result.verdict;
  // In process a hang or crash stops the fuzzer itself; an agent's is a verdict.
  return v == Verdict::kFail || v == Verdict::kHang || v == Verdict::kCrash;
}

// A finding must reproduce: two more runs give the same signature. A
// flaky one is written as a note (it may be the machine's load against a
// qoi bound) and the run goes on.
bool Reproduces(State& s, Target& target, const Trace& trace,
                const Judged& first) {
  auto signature = [](const Judged& j) {
    return j.outcome == Judged::Outcome::kRunError
               ? std::string("RUN-ERROR")
               : FailureSignature(j.result);
  };
  for (int i = 0; i < 2; ++i) {
    Judged again = TimedRun(s, target, trace);
    if (signature(again) != signature(first)) {
      const std::string prefix = s.oracle.RecordNote(
          absl::StrCat("flaky-", target.name()), PrintTrace(trace),
          absl::StrCat("first: ", signature(first), "\nthen: ",
                       signature(again), "\n\n", PrintTrace(trace)));
      std::fprintf(stderr, "aio_fuzzer: flaky %s on %s (%s.txt)\n",
                   signature(first).c_str(), target.name().c_str(),
                   prefix.c_str());
      return false;
    }
  }
  return true;
}

void Report(const char* what, Target& target, const Judged& j,
            const std::string& prefix) {
  std::fprintf(stderr, "aio_fuzzer: %s on %s: %s -> %s.{trace,log,txt}\n",
               what, target.name().c_str(),
               j.outcome == Judged::Outcome::kRunError
                   ? j.error.c_str()
                   : FailureSignature(j.result).c_str(),
               prefix.c_str());
}

// The control target fails the trace too: not a finding of this target.
bool ControlFails(State& s, const Trace& trace) {
  if (!s.control) return false;
  const Judged c = s.oracle.RunAndJudge(*s.control, trace);
  if (!IsFinding(c)) return false;
  s.oracle.RecordNote("control", PrintTrace(trace), PrintTrace(trace));
  return true;
}

// Prints the time to the first finding of the run, once.
void NoteFirstFinding(State& s) {
  if (s.found) return;
  s.found = true;
  const std::chrono::duration<double> t =
      std::chrono::steady_clock::now() - s.start;
  std::fprintf(stderr, "aio_fuzzer: first finding after %.2f s (%ld inputs)\n",
               t.count(), s.inputs);
}

void RunBundled(State& s, const Trace& trace, Judged* out) {
  Target& target = *s.bundled;
  Judged j = RunOne(s, target, trace);
  if (IsFinding(j) && !ControlFails(s, trace) &&
      Reproduces(s, target, trace, j)) {
    NoteFirstFinding(s);
    const std::string prefix = s.oracle.RecordFinding(target, trace, j);
    const bool known =
        j.outcome == Judged::Outcome::kJudged &&
        s.known.count(absl::StrCat(target.name(), " ",
                                   FailureSignature(j.result))) > 0;
    if (known) {
      if (!prefix.empty()) Report("known finding", target, j, prefix);
    } else {
      Report("FINDING", target, j,
             prefix.empty() ? "(already recorded)" : prefix);
      __builtin_trap();
    }
  }
  if (!s.bundled_is_agent && !BundledAtRest()) {
    const std::string prefix = s.oracle.RecordNote(
        "bundled-not-at-rest", PrintTrace(trace),
        absl::StrCat("requests still outstanding after the run: ",
                     BundledInProcessTarget::outstanding(), "\n\n",
                     PrintTrace(trace)));
    std::fprintf(stderr, "aio_fuzzer: bundled not at rest after a run: %s\n",
                 prefix.c_str());
    __builtin_trap();
  }
  *out = std::move(j);
}

void RunGlibc(State& s, const Trace& trace, Judged* out) {
  Target& target = *s.glibc;
  Judged j = RunOne(s, target, trace);
  if (IsFinding(j) && Reproduces(s, target, trace, j)) {
    NoteFirstFinding(s);
    const std::string prefix = s.oracle.RecordFinding(target, trace, j);
    if (!prefix.empty()) {
      ++s.glibc_findings;
      Report("finding (recorded, continuing)", target, j, prefix);
    }
  }
  *out = std::move(j);
}

void CompareChoices(State& s, const Trace& trace, const Judged& b,
                    const Judged& g) {
  if (b.outcome != Judged::Outcome::kJudged ||
      g.outcome != Judged::Outcome::kJudged ||
      b.result.choices == g.result.choices) {
    return;
  }
  const std::string key = absl::StrCat(absl::StrJoin(b.result.choices, "|"),
                                       " vs ",
                                       absl::StrJoin(g.result.choices, "|"));
  s.oracle.RecordNote(
      "choices", key,
      absl::StrCat("bundled-inproc choices:\n  ",
                   absl::StrJoin(b.result.choices, "\n  "),
                   "\nglibc-inproc choices:\n  ",
                   absl::StrJoin(g.result.choices, "\n  "), "\n\n",
                   PrintTrace(trace)));
}

}  // namespace
}  // namespace aiospec

using aiospec::GetState;

// Whether this process will fuzz itself (not hand the work to child
// processes that would inherit a pinned mask: -jobs, -workers, -fork).
bool FuzzesInThisProcess(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    for (std::string_view flag : {"-jobs=", "-workers=", "-fork="}) {
      if (a.substr(0, flag.size()) == flag && a.substr(flag.size()) != "0") {
        return false;
      }
    }
  }
  return true;
}

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  aiospec::PreferMemoryTempDir();
  // One CPU per fuzzer (PinToOneCpu, fuzz_oracle.h), before any thread:
  // the in-process runs hand off to the library's threads several times
  // faster there. $AIOSPEC_FUZZ_ALL_CPUS=1 leaves the mask alone.
  const char* all_cpus = std::getenv("AIOSPEC_FUZZ_ALL_CPUS");
  if ((all_cpus == nullptr || std::string_view(all_cpus) != "1") &&
      FuzzesInThisProcess(*argc, *argv)) {
    const int cpu = aiospec::PinToOneCpu();
    if (cpu >= 0) std::fprintf(stderr, "aio_fuzzer: pinned to CPU %d\n", cpu);
  }
  aiospec::State& s = GetState();
  const char* agent = std::getenv("AIOSPEC_FUZZ_AGENT");
  s.bundled_is_agent = agent != nullptr && *agent != '\0';
  const char* control = std::getenv("AIOSPEC_FUZZ_CONTROL_AGENT");
  if (control != nullptr && *control != '\0') {
    s.control = aiospec::Make(absl::StrCat("agent:", control).c_str());
  }
  if (kRunBundled) {
    s.bundled = aiospec::Make(
        s.bundled_is_agent ? absl::StrCat("agent:", agent).c_str()
                           : "bundled-inproc");
  }
  if (kRunGlibc) {
    const char* spec = std::getenv("AIOSPEC_FUZZ_TARGET");
    s.glibc = aiospec::Make(spec != nullptr && *spec != '\0' ? spec : "glibc-inproc");
  }
  s.guardrails.out_of_process = (!s.bundled || s.bundled->OutOfProcess()) &&
                                (!s.glibc || s.glibc->OutOfProcess());
  std::atexit([] {
    aiospec::State& st = GetState();
    std::fprintf(stderr,
                 "aio_fuzzer: %ld inputs, %ld judged, %ld not judged (a wait "
                 "timed out before aio_return), %ld new findings of %s; "
                 "findings dir %s\n",
                 st.inputs, st.judged, st.skipped, st.glibc_findings,
                 st.glibc ? st.glibc->name().c_str() : "-",
                 st.oracle.config().findings_dir.c_str());
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  aiospec::State& s = GetState();
  absl::StatusOr<aiospec::Trace> trace = aiospec::ParseTrace(
      std::string_view(reinterpret_cast<const char*>(data), size), "input");
  // Never run what the guardrails reject: a finding must be reproducible
  // from the input exactly as it is.
  if (!trace.ok() || !aiospec::CheckRunnable(*trace, s.guardrails).ok()) return -1;
  ++s.inputs;
  aiospec::Judged b, g;
  if (kRunBundled) aiospec::RunBundled(s, *trace, &b);
  if (kRunGlibc) aiospec::RunGlibc(s, *trace, &g);
  if (kRunBundled && kRunGlibc) aiospec::CompareChoices(s, *trace, b, g);
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size,
                                          size_t max_size, unsigned int seed) {
  std::mt19937_64 rng(seed);
  aiospec::MutatorOptions options;
  options.guardrails = GetState().guardrails;
  options.max_text_bytes = max_size;
  std::string base(reinterpret_cast<const char*>(data), size);
  // Now and then a byte-level mutation (with the dictionary): it reaches
  // values the structural edits do not; the repair makes it runnable.
  if (rng() % 8 == 0 && max_size > 0) {
    std::vector<uint8_t> bytes(data, data + size);
    bytes.resize(max_size);
    const size_t n = LLVMFuzzerMutate(bytes.data(), size, max_size);
    absl::StatusOr<aiospec::Trace> t = aiospec::ParseTrace(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), n),
        "fuzz");
    if (t.ok()) {
      std::string text =
          aiospec::PrintTrace(aiospec::MakeRunnable(*std::move(t), options.guardrails));
      if (text.size() <= max_size) {
        std::memcpy(data, text.data(), text.size());
        return text.size();
      }
    }
  }
  const std::string text = aiospec::MutateTraceText(base, rng, options);
  std::memcpy(data, text.data(), text.size());
  return text.size();
}

extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t* data1, size_t size1,
                                            const uint8_t* data2, size_t size2,
                                            uint8_t* out, size_t max_out_size,
                                            unsigned int seed) {
  std::mt19937_64 rng(seed);
  aiospec::MutatorOptions options;
  options.guardrails = GetState().guardrails;
  options.max_text_bytes = max_out_size;
  const std::string text = aiospec::CrossOverTraceText(
      std::string_view(reinterpret_cast<const char*>(data1), size1),
      std::string_view(reinterpret_cast<const char*>(data2), size2), rng,
      options);
  std::memcpy(out, text.data(), text.size());
  return text.size();
}
