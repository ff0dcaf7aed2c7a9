// aiospec: judge POSIX AIO implementations against the model.
//
//   aiospec run TRACE... --target T     run traces on a target, print verdicts
//   aiospec check TRACE LOG             judge a saved (or edited) log
//   aiospec report --targets T,T ...    run a suite on many targets
//   aiospec targets                     list targets and whether they run here
//   aiospec explain AIO-CANCEL-03       what an assertion says, and who tests it
//   aiospec shrink TRACE --target T     minimise a finding
//   aiospec repro TRACE --target T      a finding as a standalone C program
//   aiospec fuzz --target bundled       run the libFuzzer target
//
// The commands, their flags and exit codes are declared once in commands.cc;
// `aiospec CMD --help` prints that command's part. Exit codes: exit_codes.h.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "fuzz/shrink.h"
#include "harness/cli/baseline.h"
#include "harness/cli/catalogue.h"
#include "harness/cli/color.h"
#include "harness/cli/commands.h"
#include "harness/cli/exit_codes.h"
#include "harness/cli/judge.h"
#include "harness/cli/report.h"
#include "harness/cli/reproducer.h"
#include "harness/observation/observation.h"
#include "harness/target/target.h"
#include "harness/trace/trace_printer.h"
#include "model/checker.h"

ABSL_FLAG(std::string, target, "",
          "glibc (default), musl, bundled, bundled-preload, glibc-inproc, agent:PATH, "
          "system; fuzz: bundled, glibc, diff");
ABSL_FLAG(std::string, targets, "glibc,musl", "comma-separated targets of a report");
ABSL_FLAG(std::string, profile, "qoi", "the model's profile: posix or qoi");
ABSL_FLAG(std::string, baseline, "",
          "known-findings file; exit 0 iff every verdict matches it");
ABSL_FLAG(std::string, baseline_dir, "",
          "directory of TARGET.txt known-findings files");
ABSL_FLAG(bool, write_baselines, false, "rewrite the files in --baseline_dir from this run");
ABSL_FLAG(std::string, save_log, "",
          "write the observation log of the (last) trace to this file");
ABSL_FLAG(std::string, out, "",
          "report: output directory (default aiospec-report); shrink, repro: output "
          "file (default stdout)");
ABSL_FLAG(int, watchdog_ms, 10000, "per-trace wall-clock bound for agents");
ABSL_FLAG(int, repeat, 1,
          "report: runs of each trace per target, counted per verdict (for races)");
ABSL_FLAG(int, jobs, 0,
          "report: traces run at once on an agent target (0: one per CPU); "
          "in-process targets run one at a time");
ABSL_FLAG(std::string, faults, "",
          "report: the seeded-faults table to include (faults/table.tsv, from ci/faults)");
ABSL_FLAG(int, max_states, 4096, "model state-set cap (past it: UNRESOLVED)");
ABSL_FLAG(bool, quiet, false, "print only verdict lines");
ABSL_FLAG(bool, json, false,
          "machine-readable JSON on stdout (docs/REPORT_SCHEMA.md)");
ABSL_FLAG(bool, emit_c, true,
          "repro: write a C99 program (the only format so far; --emit-c is the same)");
ABSL_FLAG(int, max_judgements, 300, "shrink: bound on runs of the target");
ABSL_FLAG(int, time, 60, "fuzz: seconds to fuzz (-max_total_time)");
ABSL_FLAG(std::string, findings, "",
          "fuzz: directory for findings (default fuzz-findings); each target in its own "
          "subdirectory");

namespace aiospec {
namespace {

ExitCode ExitForStatus(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument: return kExitBadInput;
    case absl::StatusCode::kNotFound: return kExitUnknownTarget;
    default: return kExitTargetBroken;
  }
}

int Fail(const absl::Status& s) {
  std::cerr << "aiospec: " << s.message() << "\n";
  return ExitForStatus(s);
}

int UsageError(std::string_view command, std::string_view message) {
  std::cerr << "aiospec " << command << ": " << message << "\n"
            << "usage: " << FindCommand(command)->synopsis << "\n"
            << "(aiospec " << command << " --help for more)\n";
  return kExitUsage;
}

// The target of the system's own libc: what a distribution tests.
std::string SystemTarget() {
#ifdef __GLIBC__
  return "glibc";
#else
  return "musl";
#endif
}

std::string ResolveTarget(std::string name, std::string_view fallback = "glibc") {
  if (name.empty()) name = std::string(fallback);
  return name == "system" ? SystemTarget() : name;
}

absl::StatusOr<JudgeOptions> OptionsFromFlags() {
  std::optional<Profile> profile = ProfileFromName(absl::GetFlag(FLAGS_profile));
  if (!profile.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--profile: unknown profile '", absl::GetFlag(FLAGS_profile),
                     "' (posix, qoi)"));
  }
  JudgeOptions o;
  o.check.profile = *profile;
  o.check.max_states = static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_max_states)));
  o.run.watchdog = absl::Milliseconds(std::max(1, absl::GetFlag(FLAGS_watchdog_ms)));
  return o;
}

std::string ExeDirectory() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "" : exe.parent_path().string();
}

// Trace files named directly, or every *.trace in named directories, sorted.
absl::StatusOr<std::vector<std::string>> ExpandTraces(
    const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const std::string& a : args) {
    std::error_code ec;
    if (std::filesystem::is_directory(a, ec)) {
      std::vector<std::string> found;
      for (const auto& e : std::filesystem::directory_iterator(a, ec)) {
        if (e.path().extension() == ".trace") found.push_back(e.path().string());
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(a);
    }
  }
  if (out.empty()) return absl::InvalidArgumentError("no trace files given");
  return out;
}

// The verdict word of FormatResult's text, coloured.
std::string ColorResult(std::string text, Verdict v, bool color) {
  const std::string name = VerdictName(v);
  size_t at = text.find(name);
  if (!color || at == std::string::npos) return text;
  return absl::StrCat(text.substr(0, at), Colored(name, v, true), text.substr(at + name.size()));
}

int RunCommand(const std::vector<std::string>& args) {
  if (args.empty()) return UsageError("run", "give at least one trace file");
  absl::StatusOr<JudgeOptions> options = OptionsFromFlags();
  if (!options.ok()) return UsageError("run", std::string(options.status().message()));
  absl::StatusOr<std::vector<std::string>> traces = ExpandTraces(args);
  if (!traces.ok()) return Fail(traces.status());
  absl::StatusOr<std::unique_ptr<Target>> target =
      MakeTarget(ResolveTarget(absl::GetFlag(FLAGS_target)));
  if (!target.ok()) return Fail(target.status());

  std::optional<Baseline> baseline;
  if (!absl::GetFlag(FLAGS_baseline).empty()) {
    absl::StatusOr<Baseline> b = LoadBaseline(absl::GetFlag(FLAGS_baseline));
    if (!b.ok()) return Fail(b.status());
    baseline = *std::move(b);
  }

  const bool json = absl::GetFlag(FLAGS_json);
  const bool color = !json && UseColor();
  std::vector<ReportEntry> results;
  // "Nothing applicable" until a trace says otherwise (see WorstExit).
  ExitCode code = kExitNotApplicable;
  for (const std::string& path : *traces) {
    absl::StatusOr<Judgement> j = JudgeTraceFile(path, **target, *options);
    if (!j.ok()) {
      code = WorstExit(code, ExitForStatus(j.status()));
      std::cerr << "aiospec: " << j.status().message() << "\n";
      continue;
    }
    if (!absl::GetFlag(FLAGS_save_log).empty()) {
      absl::Status s = WriteTextFile(absl::GetFlag(FLAGS_save_log), PrintLog(j->log, j->trace));
      if (!s.ok()) return Fail(s);
    }
    const Verdict v = j->result.verdict;
    if (json) {
      // printed at the end, as one document
    } else if (absl::GetFlag(FLAGS_quiet)) {
      std::cout << Colored(VerdictName(v), v, color) << " " << j->target << " " << path << "\n";
    } else {
      std::cout << "== " << path << " on " << j->target << "\n"
                << ColorResult(FormatResult(j->result, j->trace), v, color);
    }
    ReportEntry entry{*j, "", true, {}};
    if (baseline.has_value()) {
      BaselineComparison c = CompareToBaseline(*baseline, *j);
      entry.matches_baseline = c.matches;
      entry.baseline_note = c.message;
      if (!c.message.empty() && !json) {
        std::cout << (c.matches ? "   " : "!! ") << c.message << "\n";
      }
      code = WorstExit(code, c.matches ? kExitPass : kExitFail);
    } else {
      code = WorstExit(code, ExitCodeFor(v));
    }
    if (json) results.push_back(std::move(entry));
  }
  if (json) std::cout << RenderRunJson(options->check.profile, results, code);
  return code;
}

int CheckCommand(const std::vector<std::string>& args) {
  if (args.size() != 2) return UsageError("check", "give a TRACE and a LOG");
  absl::StatusOr<JudgeOptions> options = OptionsFromFlags();
  if (!options.ok()) return UsageError("check", std::string(options.status().message()));
  absl::StatusOr<Trace> trace = LoadTrace(args[0]);
  if (!trace.ok()) return Fail(trace.status());
  absl::StatusOr<std::string> text = ReadTextFile(args[1]);
  if (!text.ok()) return Fail(text.status());
  absl::StatusOr<ObservationLog> log = ParseLog(*text, args[1]);
  if (!log.ok()) return Fail(log.status());
  CheckResult result = CheckLog(*trace, *log, options->check);
  const ExitCode code = ExitCodeFor(result.verdict);
  if (absl::GetFlag(FLAGS_json)) {
    Judgement j;
    j.trace_path = args[0];
    j.trace_name = TraceNameFromPath(args[0]);
    j.target = absl::StrCat("log:", args[1]);
    j.trace = *std::move(trace);
    j.log = *std::move(log);
    j.result = std::move(result);
    std::cout << RenderRunJson(options->check.profile, {ReportEntry{std::move(j), "", true, {}}},
                               code);
  } else {
    std::cout << ColorResult(FormatResult(result, *trace), result.verdict, UseColor());
  }
  return code;
}

// One outcome of a report in the four codes the issue gives a CI job: 0
// every verdict PASS or as the baseline expects; 1 a finding not in it
// (FAIL, HANG, CRASH, UNRESOLVED); 77 nothing applicable, which includes a
// target that cannot run here (the report lists it as not run); 2 bad usage:
// an unknown target, a malformed trace or baseline, an unwritable --out.
ExitCode ReportExit(ExitCode c) {
  switch (c) {
    case kExitPass:
    case kExitFail:
    case kExitNotApplicable:
    case kExitUsage: return c;
    case kExitHang:
    case kExitCrash:
    case kExitUnresolved: return kExitFail;
    case kExitTargetBroken: return kExitNotApplicable;
    case kExitBadInput:
    case kExitUnknownTarget: return kExitUsage;
  }
  return kExitUsage;
}

int ReportFail(const absl::Status& s) {
  std::cerr << "aiospec report: " << s.message() << "\n";
  return ReportExit(ExitForStatus(s));
}

// The catalogue's required IDs, for the matrix's UNTESTED rows; none (with a
// warning) when no data directory has the catalogue.
std::vector<std::string> RequiredAssertions() {
  absl::StatusOr<std::string> dir = FindDataDir();
  absl::StatusOr<Catalogue> catalogue =
      dir.ok() ? LoadCatalogue(*dir) : absl::StatusOr<Catalogue>(dir.status());
  if (!catalogue.ok()) {
    std::cerr << "aiospec report: " << catalogue.status().message()
              << "; the matrix lists only the assertions the traces cover\n";
    return {};
  }
  return RequiredIds(*catalogue);
}

// A trace's runs on one target, folded into one entry (report.h): the
// verdict counts, whether every run is as the baseline expects (for a RACE
// entry: PASS or exactly its finding, each time), and the run to show.
struct TraceRuns {
  ReportEntry entry;
  ExitCode exit = kExitNotApplicable;
};

absl::StatusOr<TraceRuns> RunRepeatedly(const std::string& path, Target& target,
                                        const JudgeOptions& options, const Baseline& baseline,
                                        bool judge_by_baseline, int repeat) {
  TraceRuns out;
  bool shown_matches = true;
  for (int run = 0; run < repeat; ++run) {
    absl::StatusOr<Judgement> j = JudgeTraceFile(path, target, options);
    if (!j.ok()) return j.status();
    const BaselineComparison c = CompareToBaseline(baseline, *j);
    const Verdict v = j->result.verdict;
    ++out.entry.runs[v];
    out.exit = WorstExit(out.exit, ExitCodeFor(v));
    // Show the first run that differs from the baseline, else the first of
    // the worst verdict: what a reader needs to see of the runs.
    const bool first_mismatch = shown_matches && !c.matches;
    const bool worse = shown_matches == c.matches &&
                       VerdictSeverity(v) > VerdictSeverity(out.entry.judgement.result.verdict);
    if (run == 0 || first_mismatch || worse) {
      out.entry.judgement = *std::move(j);
      out.entry.baseline_note = c.message;
      shown_matches = c.matches;
    }
    out.entry.matches_baseline &= c.matches;
  }
  if (repeat > 1 && !out.entry.baseline_note.empty()) {
    absl::StrAppend(&out.entry.baseline_note, "; over ", repeat, " runs: ", RateText(out.entry));
  }
  if (judge_by_baseline && out.exit != kExitNotApplicable) {
    out.exit = out.entry.matches_baseline ? kExitPass : kExitFail;
  }
  return out;
}

// What --write_baselines records for a trace: a known race that kept to its
// entries stays; a finding seen in some runs and not others is a RACE.
std::vector<KnownFinding> ObservedFindings(const Baseline& baseline, const ReportEntry& e) {
  auto [first, last] = baseline.by_trace.equal_range(e.judgement.trace_name);
  if (first != last && first->second.racy && e.matches_baseline) {
    std::vector<KnownFinding> known;
    for (auto it = first; it != last; ++it) known.push_back(it->second);
    return known;
  }
  std::optional<KnownFinding> f = FindingOf(e.judgement);
  if (!f.has_value()) return {};
  f->racy = RunCounts(e).count(Verdict::kPass) > 0;
  return {*f};
}

// Every trace's runs on one target, in the order of `traces`. Up to `jobs`
// traces run at once when the target allows it (Target::OutOfProcess):
// an agent run mostly waits (held requests, a hang's bound), so overlapping
// runs cut a suite's wall time. Workers take the next index from a shared
// counter and write only their own slot of the result; the mutex guards the
// counter and the progress line (std::mutex rather than absl::Mutex:
// Debian's Abseil is not TSan-built, so TSan would not see its locking).
std::vector<absl::StatusOr<TraceRuns>> RunSuite(const std::vector<std::string>& traces,
                                                Target& target, const JudgeOptions& options,
                                                const Baseline& baseline,
                                                bool judge_by_baseline, int repeat, int jobs) {
  std::vector<absl::StatusOr<TraceRuns>> runs(traces.size(),
                                              absl::InternalError("trace not run"));
  const bool progress = isatty(STDERR_FILENO);
  std::mutex mu;
  size_t next = 0;
  size_t done = 0;
  auto worker = [&] {
    for (;;) {
      size_t i;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (next == traces.size()) return;
        i = next++;
      }
      runs[i] = RunRepeatedly(traces[i], target, options, baseline, judge_by_baseline, repeat);
      std::lock_guard<std::mutex> lock(mu);
      ++done;
      if (progress) {
        std::cerr << "\r[" << target.name() << "] " << done << "/" << traces.size() << " "
                  << TraceNameFromPath(traces[i])
                  << (repeat > 1 ? absl::StrCat(" x", repeat) : "") << "\033[K" << std::flush;
      }
    }
  };
  const size_t threads = target.OutOfProcess()
                             ? std::min(traces.size(), static_cast<size_t>(jobs))
                             : 1;
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  if (progress) std::cerr << "\r\033[K";
  return runs;
}

int ReportCommand(const std::vector<std::string>& args) {
  absl::StatusOr<JudgeOptions> options = OptionsFromFlags();
  if (!options.ok()) return UsageError("report", std::string(options.status().message()));
  const int repeat = absl::GetFlag(FLAGS_repeat);
  if (repeat < 1) return UsageError("report", "--repeat must be at least 1");
  int jobs = absl::GetFlag(FLAGS_jobs);
  if (jobs < 0) return UsageError("report", "--jobs must be 0 (one per CPU) or more");
  if (jobs == 0) jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::string> trace_args = args;
  std::string baseline_dir = absl::GetFlag(FLAGS_baseline_dir);
  if (trace_args.empty()) {
    // The suite that ships with aiospec, judged against its known findings.
    absl::StatusOr<std::string> data = FindDataDir();
    if (!data.ok()) return UsageError("report", "give traces (no installed suite found)");
    trace_args.push_back(absl::StrCat(*data, "/conformance/traces"));
    if (baseline_dir.empty()) baseline_dir = absl::StrCat(*data, "/conformance/baselines");
  }
  absl::StatusOr<std::vector<std::string>> traces = ExpandTraces(trace_args);
  if (!traces.ok()) return ReportFail(traces.status());
  Report report;
  report.profile = options->check.profile;
  report.repeat = repeat;
  report.required = RequiredAssertions();
  if (const std::string faults = absl::GetFlag(FLAGS_faults); !faults.empty()) {
    absl::StatusOr<FaultTable> table = ReadFaultTable(faults);
    if (!table.ok()) return UsageError("report", std::string(table.status().message()));
    report.faults = *std::move(table);
  }
  std::vector<std::string> names =
      absl::GetFlag(FLAGS_target).empty()
          ? std::vector<std::string>(absl::StrSplit(absl::GetFlag(FLAGS_targets), ',',
                                                    absl::SkipEmpty()))
          : std::vector<std::string>{absl::GetFlag(FLAGS_target)};
  for (std::string& n : names) n = ResolveTarget(n);
  if (names.empty()) return UsageError("report", "no targets given");
  report.targets = names;
  const bool json = absl::GetFlag(FLAGS_json);
  ExitCode code = kExitNotApplicable;

  for (const std::string& name : report.targets) {
    absl::StatusOr<std::unique_ptr<Target>> target = MakeTarget(name);
    if (!target.ok()) {
      std::cerr << "aiospec: " << target.status().message() << "\n";
      report.broken.push_back({name, std::string(target.status().message())});
      code = WorstExit(code, ReportExit(ExitForStatus(target.status())));
      continue;
    }
    Baseline baseline;
    if (!baseline_dir.empty()) {
      absl::StatusOr<Baseline> b = LoadBaseline(BaselinePath(baseline_dir, name));
      if (!b.ok()) return ReportFail(b.status());
      baseline = *std::move(b);
    }
    std::vector<absl::StatusOr<TraceRuns>> suite_runs = RunSuite(
        *traces, **target, *options, baseline, !baseline_dir.empty(), repeat, jobs);
    Baseline observed;
    for (size_t i = 0; i < traces->size(); ++i) {
      absl::StatusOr<TraceRuns>& runs = suite_runs[i];
      if (!runs.ok()) {
        std::cerr << "aiospec: " << runs.status().message() << "\n";
        code = WorstExit(code, ReportExit(ExitForStatus(runs.status())));
        continue;
      }
      for (const KnownFinding& f : ObservedFindings(baseline, runs->entry)) {
        observed.by_trace.emplace(runs->entry.judgement.trace_name, f);
      }
      code = WorstExit(code, ReportExit(runs->exit));
      report.results.push_back(std::move(runs->entry));
    }
    if (absl::GetFlag(FLAGS_write_baselines) && !baseline_dir.empty()) {
      absl::Status s = WriteTextFile(
          BaselinePath(baseline_dir, name),
          PrintBaseline(observed, absl::StrCat("known findings of ", name, " under profile ",
                                               ProfileName(report.profile))));
      if (!s.ok()) return ReportFail(absl::InvalidArgumentError(s.message()));
    }
  }

  std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) out = "aiospec-report";
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (absl::Status s = FileReproducers(out, report); !s.ok()) {
    return ReportFail(absl::InvalidArgumentError(s.message()));
  }
  const std::string report_json = RenderJson(report);
  for (const auto& [file, text] :
       {std::pair{"report.md", RenderMarkdown(report)}, std::pair{"report.json", report_json},
        std::pair{"report.html", RenderHtml(report)},
        std::pair{"report.junit.xml", RenderJunit(report)}}) {
    absl::Status s = WriteTextFile(absl::StrCat(out, "/", file), text);
    if (!s.ok()) return ReportFail(absl::InvalidArgumentError(s.message()));
  }
  if (json) {
    std::cout << report_json;
  } else {
    std::cout << "aiospec report (profile " << ProfileName(report.profile)
              << (repeat > 1 ? absl::StrCat(", each trace ", repeat, " times") : "") << ")\n"
              << RenderSummary(report, UseColor()) << "written: " << out << "/report.html, "
              << out << "/report.md, " << out << "/report.json, " << out
              << "/report.junit.xml"
              << (report.findings.empty() ? "" : absl::StrCat(", ", out, "/repro/"))
              << "\n";
  }
  return code;
}

int TargetsCommand(const std::vector<std::string>& args) {
  if (!args.empty()) return UsageError("targets", "takes no arguments");
  const bool json = absl::GetFlag(FLAGS_json);
  std::vector<std::string> rows;
  for (const std::string& name : KnownTargets()) {
    absl::StatusOr<std::unique_ptr<Target>> t = MakeTarget(name);
    const std::string reason = t.ok() ? "" : std::string(t.status().message());
    if (json) {
      rows.push_back(absl::StrCat("{\"name\":", JsonString(name), ",\"available\":",
                                  t.ok() ? "true" : "false", ",\"reason\":", JsonString(reason),
                                  ",\"system\":", name == SystemTarget() ? "true" : "false",
                                  "}"));
    } else {
      std::cout << name << "\t" << (t.ok() ? "available" : reason)
                << (name == SystemTarget() ? "  (system)" : "") << "\n";
    }
  }
  if (json) {
    std::cout << "{\"schema\":\"aiospec-targets/1\",\"targets\":[" << absl::StrJoin(rows, ",")
              << "]}\n";
  } else {
    std::cout << "agent:PATH\tany agent binary (see harness/agent)\n";
  }
  return kExitPass;
}

int ExplainCommand(const std::vector<std::string>& args) {
  if (args.size() != 1) return UsageError("explain", "give one assertion ID, e.g. AIO-READ-07");
  absl::StatusOr<std::string> dir = FindDataDir();
  if (!dir.ok()) {
    std::cerr << "aiospec explain: " << dir.status().message() << "\n";
    return kExitTargetBroken;
  }
  absl::StatusOr<Catalogue> catalogue = LoadCatalogue(*dir);
  if (!catalogue.ok()) {
    std::cerr << "aiospec explain: " << catalogue.status().message() << "\n";
    return kExitTargetBroken;
  }
  const CatalogueEntry* e = catalogue->Find(args[0]);
  if (e == nullptr) {
    std::cerr << "aiospec explain: unknown assertion ID '" << args[0]
              << "'; nearest: " << absl::StrJoin(catalogue->Nearest(args[0], 3), ", ") << "\n";
    return kExitUsage;
  }
  std::cout << FormatEntry(*e) << "source:   " << *dir << "/spec/ASSERTIONS.md\n";
  return kExitPass;
}

// The verdict and sorted assertion IDs: what "the same finding" means.
std::string Signature(const CheckResult& r) {
  std::vector<std::string> ids;
  if (r.failure.has_value()) ids = r.failure->assertion_ids;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::string out = VerdictName(r.verdict);
  if (!ids.empty()) absl::StrAppend(&out, " ", absl::StrJoin(ids, " "));
  return out;
}

int ShrinkCommand(const std::vector<std::string>& args) {
  if (args.size() != 1) return UsageError("shrink", "give one trace file");
  absl::StatusOr<JudgeOptions> options = OptionsFromFlags();
  if (!options.ok()) return UsageError("shrink", std::string(options.status().message()));
  absl::StatusOr<Trace> trace = LoadTrace(args[0]);
  if (!trace.ok()) return Fail(trace.status());
  absl::StatusOr<std::unique_ptr<Target>> target =
      MakeTarget(ResolveTarget(absl::GetFlag(FLAGS_target)));
  if (!target.ok()) return Fail(target.status());

  absl::Status run_error;
  JudgeFn judge = [&](const Trace& t) -> std::string {
    absl::StatusOr<ObservationLog> log = (*target)->Run(t, options->run);
    if (!log.ok()) {
      run_error = log.status();
      return absl::StrCat("ERROR ", log.status().message());
    }
    return Signature(CheckLog(t, *log, options->check));
  };
  const std::string original = judge(*trace);
  if (!run_error.ok()) return Fail(run_error);
  if (original == "PASS" || absl::StartsWith(original, "UNSUPPORTED") ||
      absl::StartsWith(original, "UNTESTED")) {
    std::cerr << "aiospec shrink: " << args[0] << " is " << original << " on "
              << (*target)->name() << ": nothing to shrink\n";
    return kExitFail;
  }
  ShrinkOptions shrink;
  shrink.guardrails.out_of_process = (*target)->OutOfProcess();  // keeps storms
  shrink.max_judgements = std::max(1, absl::GetFlag(FLAGS_max_judgements));
  ShrinkResult s = ShrinkTrace(*trace, judge, shrink);
  const std::string text = PrintTrace(s.trace);
  std::cerr << "aiospec shrink: " << trace->ops.size() << " ops -> " << s.trace.ops.size()
            << " ops in " << s.judgements << " runs, still " << s.signature << " on "
            << (*target)->name() << "\n";
  if (const std::string out = absl::GetFlag(FLAGS_out); !out.empty()) {
    absl::Status w = WriteTextFile(out, text);
    if (!w.ok()) return Fail(w);
  } else {
    std::cout << text;
  }
  return kExitPass;
}

int ReproCommand(const std::vector<std::string>& args) {
  if (args.size() != 1) return UsageError("repro", "give one trace file");
  if (!absl::GetFlag(FLAGS_emit_c)) return UsageError("repro", "--emit-c is the only format");
  absl::StatusOr<JudgeOptions> options = OptionsFromFlags();
  if (!options.ok()) return UsageError("repro", std::string(options.status().message()));
  absl::StatusOr<std::unique_ptr<Target>> target =
      MakeTarget(ResolveTarget(absl::GetFlag(FLAGS_target)));
  if (!target.ok()) return Fail(target.status());
  absl::StatusOr<Judgement> j = JudgeTraceFile(args[0], **target, *options);
  if (!j.ok()) return Fail(j.status());
  const Verdict v = j->result.verdict;
  absl::StatusOr<std::string> c = ReproducerFor(*j);
  if (!c.ok()) {
    std::cerr << "aiospec repro: "
              << (c.status().code() == absl::StatusCode::kFailedPrecondition
                      ? absl::StrCat("nothing to reproduce: ", args[0], " is ", VerdictName(v),
                                     " on ", j->target)
                      : absl::StrCat("cannot write a reproducer of ", args[0], ": ",
                                     c.status().message()))
              << "\n";
    return kExitNotApplicable;
  }
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    std::cout << *c;
  } else if (absl::Status w = WriteTextFile(out, *c); !w.ok()) {
    return Fail(w);
  }
  std::cerr << "aiospec repro: " << args[0] << " is " << VerdictName(v) << " on " << j->target
            << (out.empty() ? "" : absl::StrCat("; wrote ", out)) << "\n";
  return kExitPass;
}

int FuzzCommand(const std::vector<std::string>& args) {
  if (!args.empty()) return UsageError("fuzz", "takes no arguments, only flags");
  const std::string spec = absl::GetFlag(FLAGS_target).empty() ? "bundled"
                                                               : absl::GetFlag(FLAGS_target);
  if (absl::GetFlag(FLAGS_time) < 1) return UsageError("fuzz", "--time must be at least 1");
  // bundled, glibc and diff fuzz in process (aio_fuzzer_VARIANT); any other
  // target runs out of process, driven by aio_fuzzer_glibc, which records
  // findings and goes on.
  const bool out_of_process = spec != "bundled" && spec != "glibc" && spec != "diff";
  std::string variant = spec;
  std::string name = spec;
  if (out_of_process) {
    absl::StatusOr<std::unique_ptr<Target>> target = MakeTarget(spec);
    if (absl::IsNotFound(target.status())) {
      return UsageError("fuzz", std::string(target.status().message()));
    }
    if (!target.ok()) return Fail(target.status());  // e.g. its agent is not built
    if (!(*target)->OutOfProcess()) {
      return UsageError("fuzz", absl::StrCat("--target ", spec,
                                             " runs in process: use bundled or glibc"));
    }
    variant = "glibc";
    name = absl::StrReplaceAll((*target)->name(), {{":", "-"}, {"/", "-"}});
    setenv("AIOSPEC_FUZZ_TARGET", spec.c_str(), 1);
  }
  const std::string bin_dir = ExeDirectory();
  const std::string fuzzer = absl::StrCat(bin_dir, "/aio_fuzzer_", variant);
  if (access(fuzzer.c_str(), X_OK) != 0) {
    std::cerr << "aiospec fuzz: " << fuzzer << " not found; build the fuzz preset: "
              << "cmake --preset fuzz && cmake --build --preset fuzz\n";
    return kExitTargetBroken;
  }
  // The fuzz preset's tree: bin/ next to fuzz/corpus/aio (the seed corpus).
  const std::string build = std::filesystem::path(bin_dir).parent_path().string();
  const std::string seeds = absl::StrCat(build, "/fuzz/corpus/aio");
  const std::string grown = absl::StrCat(build, "/fuzz/corpus_out/aio_", name);
  std::string findings = absl::GetFlag(FLAGS_findings);
  if (findings.empty()) findings = "fuzz-findings";
  std::error_code ec;
  std::filesystem::create_directories(grown, ec);
  std::filesystem::create_directories(findings, ec);
  findings = std::filesystem::absolute(findings, ec).string();
  setenv("AIOSPEC_FUZZ_FINDINGS", absl::StrCat(findings, "/", name).c_str(), 1);
  setenv("AIOSPEC_FUZZ_PROFILE", absl::GetFlag(FLAGS_profile).c_str(), 1);

  std::vector<std::string> argv = {fuzzer,
                                   absl::StrCat("-max_total_time=", absl::GetFlag(FLAGS_time)),
                                   // Out of process, one input that hangs is retried and
                                   // shrunk (up to 30 s) at a watchdog's cost per run.
                                   out_of_process ? "-timeout=120" : "-timeout=20",
                                   "-rss_limit_mb=4096", "-print_final_stats=1"};
  const std::string dict = AIOSPEC_SOURCE_DIR "/fuzz/aio.dict";
  if (std::filesystem::is_regular_file(dict, ec)) argv.push_back(absl::StrCat("-dict=", dict));
  argv.push_back(grown);
  if (std::filesystem::is_directory(seeds, ec)) argv.push_back(seeds);
  std::cerr << "aiospec fuzz: " << absl::StrJoin(argv, " ") << "\n"
            << "aiospec fuzz: findings in " << findings << "/" << name << "\n";
  std::vector<char*> c_argv;
  for (std::string& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  std::cout.flush();
  execv(fuzzer.c_str(), c_argv.data());
  std::cerr << "aiospec fuzz: cannot run " << fuzzer << ": " << strerror(errno) << "\n";
  return kExitTargetBroken;
}

bool IsHelpFlag(std::string_view a) {
  return a == "--help" || a == "-help" || a == "-h" || a == "--h";
}

}  // namespace
}  // namespace aiospec

int main(int argc, char** argv) {
  using namespace aiospec;
  // Help is per command, from the table in commands.cc; absl's own --help
  // (every flag of every command) stays reachable as --helpfull.
  for (int i = 1; i < argc; ++i) {
    if (!IsHelpFlag(argv[i])) continue;
    const CommandSpec* c = argc > 1 && argv[1][0] != '-' ? FindCommand(argv[1]) : nullptr;
    std::cout << (c != nullptr && c->name != "help" ? CommandHelp(*c) : GeneralHelp());
    return kExitPass;
  }
  absl::SetProgramUsageMessage("aiospec COMMAND [ARGS] [--flags]; aiospec help");
  // The spelling; absl flag names cannot hold a dash.
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--emit-c") == 0) argv[i] = const_cast<char*>("--emit_c");
  }
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() < 2) {
    std::cerr << GeneralHelp();
    return kExitUsage;
  }
  const std::string command = positional[1];
  std::vector<std::string> args(positional.begin() + 2, positional.end());
  if (command == "run") return RunCommand(args);
  if (command == "check") return CheckCommand(args);
  if (command == "report") return ReportCommand(args);
  if (command == "targets") return TargetsCommand(args);
  if (command == "explain") return ExplainCommand(args);
  if (command == "shrink") return ShrinkCommand(args);
  if (command == "repro") return ReproCommand(args);
  if (command == "fuzz") return FuzzCommand(args);
  if (command == "help") {
    const CommandSpec* c = args.empty() ? nullptr : FindCommand(args[0]);
    if (!args.empty() && c == nullptr) {
      std::cerr << "aiospec: unknown command '" << args[0] << "'\n" << GeneralHelp();
      return kExitUsage;
    }
    std::cout << (c != nullptr ? CommandHelp(*c) : GeneralHelp());
    return kExitPass;
  }
  std::cerr << "aiospec: unknown command '" << command << "'\n" << GeneralHelp();
  return kExitUsage;
}
