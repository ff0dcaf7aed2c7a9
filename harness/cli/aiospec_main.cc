// aiospec: judge POSIX AIO implementations against the model.
//
//   aiospec run TRACE... --target T     run traces on a target, print verdicts
//   aiospec check TRACE LOG             judge a saved (or edited) log
//   aiospec report --targets T,T ...    run a trace directory on many targets
//   aiospec targets                     list targets and whether they run here
//
// Exit codes are in harness/cli/exit_codes.h and README.md.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "harness/cli/baseline.h"
#include "harness/cli/exit_codes.h"
#include "harness/cli/judge.h"
#include "harness/cli/report.h"
#include "harness/observation/observation.h"
#include "harness/target/target.h"
#include "model/checker.h"

ABSL_FLAG(std::string, target, "glibc",
          "run: the target (glibc, glibc-inproc, musl, agent:PATH)");
ABSL_FLAG(std::string, targets, "glibc,musl",
          "report: comma-separated targets");
ABSL_FLAG(std::string, profile, "qoi", "posix or qoi");
ABSL_FLAG(std::string, baseline, "",
          "run: known-findings file; exit 0 iff every verdict matches it");
ABSL_FLAG(std::string, baseline_dir, "",
          "report: directory of TARGET.txt known-findings files");
ABSL_FLAG(bool, write_baselines, false,
          "report: rewrite the files in --baseline_dir from this run");
ABSL_FLAG(std::string, save_log, "",
          "run: write the observation log of the (last) trace to this file");
ABSL_FLAG(std::string, out, "aiospec-report",
          "report: output directory (report.md, report.json)");
ABSL_FLAG(int, watchdog_ms, 10000, "per-trace wall-clock bound for agents");
ABSL_FLAG(int, max_states, 4096, "model state-set cap (past it: UNRESOLVED)");
ABSL_FLAG(bool, quiet, false, "print only verdict lines");

namespace aiospec {
namespace {

constexpr char kUsage[] =
    "aiospec: a conformance checker for POSIX asynchronous I/O.\n\n"
    "  aiospec run TRACE... [--target glibc|glibc-inproc|musl|agent:PATH]\n"
    "                       [--profile qoi|posix] [--baseline FILE] [--save_log FILE]\n"
    "  aiospec check TRACE LOG [--profile qoi|posix]\n"
    "  aiospec report [--targets glibc,musl] [--baseline_dir DIR] [--out DIR] TRACE_DIR|TRACE...\n"
    "  aiospec targets\n\n"
    "Exit codes: 0 pass, 1 fail (or verdict differs from baseline), 2 usage,\n"
    "3 malformed trace/log, 4 unknown target, 5 target cannot run, 6 hang,\n"
    "7 crash, 8 unresolved, 77 nothing applicable.";

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

int UsageError(const absl::Status& s) {
  std::cerr << "aiospec: " << s.message() << "\n";
  return kExitUsage;
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

absl::Status WriteFile(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot write"));
  return absl::OkStatus();
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

int RunCommand(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cerr << "aiospec run: give at least one trace file\n";
    return kExitUsage;
  }
  absl::StatusOr<JudgeOptions> options = OptionsFromFlags();
  if (!options.ok()) return UsageError(options.status());
  absl::StatusOr<std::vector<std::string>> traces = ExpandTraces(args);
  if (!traces.ok()) return Fail(traces.status());
  absl::StatusOr<std::unique_ptr<Target>> target = MakeTarget(absl::GetFlag(FLAGS_target));
  if (!target.ok()) return Fail(target.status());

  std::optional<Baseline> baseline;
  if (!absl::GetFlag(FLAGS_baseline).empty()) {
    absl::StatusOr<Baseline> b = LoadBaseline(absl::GetFlag(FLAGS_baseline));
    if (!b.ok()) return Fail(b.status());
    baseline = *std::move(b);
  }

  ExitCode code = kExitPass;
  for (const std::string& path : *traces) {
    absl::StatusOr<Judgement> j = JudgeTraceFile(path, **target, *options);
    if (!j.ok()) {
      code = WorstExit(code, ExitForStatus(j.status()));
      std::cerr << "aiospec: " << j.status().message() << "\n";
      continue;
    }
    if (!absl::GetFlag(FLAGS_save_log).empty()) {
      absl::Status s = WriteFile(absl::GetFlag(FLAGS_save_log), PrintLog(j->log, j->trace));
      if (!s.ok()) return Fail(s);
    }
    if (absl::GetFlag(FLAGS_quiet)) {
      std::cout << VerdictName(j->result.verdict) << " " << j->target << " " << path << "\n";
    } else {
      std::cout << "== " << path << " on " << j->target << "\n"
                << FormatResult(j->result, j->trace);
    }
    if (baseline.has_value()) {
      BaselineComparison c = CompareToBaseline(*baseline, *j);
      if (!c.message.empty()) std::cout << (c.matches ? "   " : "!! ") << c.message << "\n";
      code = WorstExit(code, c.matches ? kExitPass : kExitFail);
    } else {
      code = WorstExit(code, ExitCodeFor(j->result.verdict));
    }
  }
  return code;
}

int CheckCommand(const std::vector<std::string>& args) {
  if (args.size() != 2) {
    std::cerr << "aiospec check: usage: aiospec check TRACE LOG\n";
    return kExitUsage;
  }
  absl::StatusOr<JudgeOptions> options = OptionsFromFlags();
  if (!options.ok()) return UsageError(options.status());
  absl::StatusOr<Trace> trace = LoadTrace(args[0]);
  if (!trace.ok()) return Fail(trace.status());
  absl::StatusOr<std::string> text = ReadTextFile(args[1]);
  if (!text.ok()) return Fail(text.status());
  absl::StatusOr<ObservationLog> log = ParseLog(*text, args[1]);
  if (!log.ok()) return Fail(log.status());
  CheckResult result = CheckLog(*trace, *log, options->check);
  std::cout << FormatResult(result, *trace);
  return ExitCodeFor(result.verdict);
}

int ReportCommand(const std::vector<std::string>& args) {
  absl::StatusOr<JudgeOptions> options = OptionsFromFlags();
  if (!options.ok()) return UsageError(options.status());
  absl::StatusOr<std::vector<std::string>> traces = ExpandTraces(args);
  if (!traces.ok()) return Fail(traces.status());
  Report report;
  report.profile = options->check.profile;
  report.targets = absl::StrSplit(absl::GetFlag(FLAGS_targets), ',', absl::SkipEmpty());
  const std::string baseline_dir = absl::GetFlag(FLAGS_baseline_dir);
  ExitCode code = kExitPass;

  for (const std::string& name : report.targets) {
    absl::StatusOr<std::unique_ptr<Target>> target = MakeTarget(name);
    if (!target.ok()) {
      std::cerr << "aiospec: " << target.status().message() << "\n";
      report.broken.push_back({name, std::string(target.status().message())});
      code = WorstExit(code, ExitForStatus(target.status()));
      continue;
    }
    Baseline baseline;
    if (!baseline_dir.empty()) {
      absl::StatusOr<Baseline> b = LoadBaseline(absl::StrCat(baseline_dir, "/", name, ".txt"));
      if (!b.ok()) return Fail(b.status());
      baseline = *std::move(b);
    }
    Baseline observed;
    size_t done = 0;
    const bool progress = isatty(STDERR_FILENO);
    for (const std::string& path : *traces) {
      ++done;
      if (progress) {
        std::cerr << "\r[" << name << "] " << done << "/" << traces->size() << " "
                  << TraceNameFromPath(path) << "\033[K" << std::flush;
      }
      absl::StatusOr<Judgement> j = JudgeTraceFile(path, **target, *options);
      if (!j.ok()) {
        std::cerr << "\naiospec: " << j.status().message() << "\n";
        code = WorstExit(code, ExitForStatus(j.status()));
        continue;
      }
      ReportEntry entry{*std::move(j), "", true};
      BaselineComparison c = CompareToBaseline(baseline, entry.judgement);
      entry.matches_baseline = c.matches;
      entry.baseline_note = c.message;
      if (std::optional<KnownFinding> f = FindingOf(entry.judgement)) {
        observed.by_trace.emplace(entry.judgement.trace_name, *f);
      }
      code = WorstExit(code, baseline_dir.empty() ? ExitCodeFor(entry.judgement.result.verdict)
                                                  : (c.matches ? kExitPass : kExitFail));
      report.results.push_back(std::move(entry));
    }
    if (progress) std::cerr << "\r\033[K";
    if (absl::GetFlag(FLAGS_write_baselines) && !baseline_dir.empty()) {
      absl::Status s = WriteFile(
          absl::StrCat(baseline_dir, "/", name, ".txt"),
          PrintBaseline(observed, absl::StrCat("known findings of ", name, " under profile ",
                                               ProfileName(report.profile))));
      if (!s.ok()) return Fail(s);
    }
  }

  const std::string out = absl::GetFlag(FLAGS_out);
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  for (const auto& [file, text] :
       {std::pair{"report.md", RenderMarkdown(report)}, std::pair{"report.json", RenderJson(report)},
        std::pair{"report.html", RenderHtml(report)}}) {
    absl::Status s = WriteFile(absl::StrCat(out, "/", file), text);
    if (!s.ok()) return Fail(s);
  }
  std::cout << "aiospec report (profile " << ProfileName(report.profile) << ")\n"
            << RenderSummary(report) << "written: " << out << "/report.html, " << out
            << "/report.md, " << out << "/report.json\n";
  return code;
}

int TargetsCommand() {
  for (const std::string& name : KnownTargets()) {
    absl::StatusOr<std::unique_ptr<Target>> t = MakeTarget(name);
    std::cout << name << "\t" << (t.ok() ? "available" : std::string(t.status().message()))
              << "\n";
  }
  std::cout << "agent:PATH\tany agent binary (see harness/agent)\n";
  return kExitPass;
}

}  // namespace
}  // namespace aiospec

int main(int argc, char** argv) {
  using namespace aiospec;
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() < 2) {
    std::cerr << kUsage << "\n";
    return kExitUsage;
  }
  const std::string command = positional[1];
  std::vector<std::string> args(positional.begin() + 2, positional.end());
  if (command == "run") return RunCommand(args);
  if (command == "check") return CheckCommand(args);
  if (command == "report") return ReportCommand(args);
  if (command == "targets") return TargetsCommand();
  if (command == "help") {
    std::cout << kUsage << "\n";
    return kExitPass;
  }
  std::cerr << "aiospec: unknown command '" << command << "'\n" << kUsage << "\n";
  return kExitUsage;
}
