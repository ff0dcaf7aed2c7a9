#include "harness/cli/commands.h"

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace aiospec {
namespace {

// Debian's Abseil has its own string_view: convert explicitly.
std::string S(std::string_view s) { return std::string(s); }

constexpr std::string_view kVerdictExits =
    "  0   every verdict PASS (with --baseline: as the baseline expects)\n"
    "  1   a FAIL, or a verdict that differs from the baseline\n"
    "  2   bad command line\n"
    "  3   malformed trace or log (the message names file:line:col)\n"
    "  4   unknown target\n"
    "  5   the target cannot run here (agent binary or compiler missing)\n"
    "  6   HANG: the implementation did not finish within --watchdog_ms\n"
    "  7   CRASH: the implementation died\n"
    "  8   UNRESOLVED: the model's state set passed --max_states\n"
    "  77  nothing applicable (only UNSUPPORTED/UNTESTED verdicts)\n";

}  // namespace

const std::vector<CommandSpec>& Commands() {
  static const std::vector<CommandSpec>* commands = new std::vector<CommandSpec>{
      {"run", "aiospec run TRACE|DIR... [--target T] [flags]",
       "run traces on a target and print the model's verdicts",
       "Runs each trace (or every *.trace in a directory) on the target and judges the\n"
       "observation log with the model. Targets: glibc, glibc-inproc, musl, bundled,\n"
       "bundled-inproc, bundled-preload, agent:PATH, and system (the system libc's\n"
       "target). Verdict lines are coloured on a terminal unless NO_COLOR is set.",
       {"target", "profile", "baseline", "save_log", "watchdog_ms", "max_states", "quiet",
        "json"},
       kVerdictExits},
      {"check", "aiospec check TRACE LOG [flags]",
       "judge a saved (or hand-edited) observation log",
       "Judges LOG, an observation log written by `run --save_log` (or edited by\n"
       "hand), against TRACE with the model, without running anything.",
       {"profile", "max_states", "json"},
       "  0   PASS\n  1   FAIL\n  2   bad command line\n"
       "  3   malformed trace or log (file:line:col)\n  8   UNRESOLVED\n"},
      {"report", "aiospec report [--targets T,T | --target T] [flags] [TRACE|DIR...]",
       "run a suite on several targets; write HTML, Markdown, JSON and JUnit",
       "Runs the traces (default: the installed or source conformance suite) on each\n"
       "target and writes report.html, report.md, report.json and report.junit.xml\n"
       "(one testsuite per target, one testcase per trace) into --out, with each\n"
       "finding's C reproducer (see `aiospec repro --help`) in repro/TARGET/TRACE.c;\n"
       "a finding the reproducer cannot write is listed with the reason. Without traces\n"
       "given, --baseline_dir defaults to the suite's baselines, so known findings do\n"
       "not fail the run. `aiospec report --target system` is what a distribution's\n"
       "test (autopkgtest) calls. --repeat N runs each trace N times per target (races):\n"
       "the report gives each verdict's rate (\"FAIL 15/20\"), and a RACE entry of the\n"
       "baseline must see PASS or exactly its finding in every run. --faults FILE adds\n"
       "the seeded-faults table that `ci/faults` wrote (faults/table.tsv): how many\n"
       "seeded bugs of the bundled implementation the suite and the fuzzer catch.\n"
       "--jobs N runs N traces at once on an agent target (default: one per CPU); an\n"
       "agent run mostly waits, so a suite with hangs finishes sooner. In-process\n"
       "targets run one trace at a time.",
       {"targets", "target", "profile", "baseline_dir", "write_baselines", "out", "repeat",
        "jobs", "faults", "watchdog_ms", "max_states", "json"},
       "  0   every verdict PASS or as the baseline expects\n"
       "  1   a FAIL, HANG, CRASH or UNRESOLVED not in the baseline\n"
       "  2   bad usage: bad command line, unknown target, malformed trace or baseline,\n"
       "      unwritable --out\n"
       "  77  nothing applicable (only UNSUPPORTED verdicts, or no target could run\n"
       "      here; a target that cannot run is listed as not run)\n"},
      {"targets", "aiospec targets [--json]", "list the targets and whether they run here",
       "Lists every known target with `available` or the reason it cannot run here.",
       {"json"},
       "  0   always (a target that cannot run is listed with its reason)\n"
       "  2   bad command line\n"},
      {"explain", "aiospec explain ASSERTION-ID",
       "show an assertion: catalogue text, level, model rules, traces",
       "Prints the assertion's text from the requirement catalogue (spec/ASSERTIONS.md),\n"
       "its level and check kind, the model rules and status from SPEC_NOTES.md, and the\n"
       "conformance traces that cover it. Data is read from $AIOSPEC_DATA_DIR, else\n"
       "<exe dir>/../share/aiospec, else the source tree.",
       {},
       "  0   found\n  2   bad command line, or unknown ID (the nearest IDs are named)\n"
       "  5   no data directory with spec/ASSERTIONS.md\n"},
      {"shrink", "aiospec shrink TRACE --target T [--out FILE] [flags]",
       "minimise a trace keeping its verdict and assertion IDs",
       "Delta debugging (fuzz/shrink.h): drops ops and simplifies arguments while the\n"
       "target and the model give the same verdict and the same assertion IDs. Prints\n"
       "the minimal trace to stdout, or writes it to --out.",
       {"target", "profile", "out", "max_judgements", "watchdog_ms", "max_states"},
       "  0   shrunk (the minimal trace is printed or written)\n"
       "  1   the trace PASSes: nothing to shrink\n  2   bad command line\n"
       "  3   malformed trace\n  4   unknown target\n  5   the target cannot run here\n"},
      {"repro", "aiospec repro TRACE --target T --emit-c [--out FILE] [flags]",
       "write a finding as a standalone C program for a libc's bug tracker",
       "Runs TRACE on the target; when the verdict is FAIL, HANG or CRASH, writes one\n"
       "self-contained C99 file (libc headers only) that replays the ops, prints what\n"
       "each observed, and judges itself. Its comment block names the assertions with\n"
       "the catalogue's words, what POSIX allows, what was observed, and the build line\n"
       "`cc -std=c99 -pthread repro.c -lrt`. Written to --out, else stdout.\n"
       "`aiospec report` writes one per finding to OUT/repro/TARGET/TRACE.c.\n\n"
       "the reproducer's own exit codes:\n"
       "  0   PASS: the failing op observed what POSIX allows\n"
       "  1   FAIL: the finding reproduced (or an op hung or crashed)\n"
       "  2   INCONCLUSIVE: the run diverged from the recorded one before the failing op,\n"
       "      so the model's allowed list may not apply",
       {"target", "profile", "out", "emit_c", "watchdog_ms", "max_states"},
       "  0   written\n  2   bad command line\n  3   malformed trace\n  4   unknown target\n"
       "  5   the target cannot run here\n"
       "  77  nothing to reproduce (the trace passes), or the trace uses an op the\n"
       "      reproducer cannot write yet (the reason is printed)\n"},
      {"fuzz", "aiospec fuzz --target bundled|glibc|diff|TARGET [--time S] [--findings DIR]",
       "run the model-guided libFuzzer target for a while",
       "Runs aio_fuzzer_TARGET (built by the `fuzz` preset, found next to aiospec)\n"
       "with -max_total_time, the seed corpus and fuzz/aio.dict. Progress is\n"
       "libFuzzer's own output; findings (shrunk) go to --findings/TARGET.\n"
       "bundled, glibc and diff run in this process, thousands of traces a second.\n"
       "Any other target (musl, cross:aarch64, agent:PATH) runs out of process, one\n"
       "agent per trace behind the watchdog, at a lower rate; its traces may also\n"
       "run under signal storms (async-signal safety). Its findings are recorded\n"
       "and the run goes on.",
       {"target", "time", "findings"},
       "  0   no finding\n  2   bad command line or unknown target\n"
       "  5   no fuzzer binary (cmake --preset fuzz && cmake --build --preset fuzz),\n"
       "      or the target cannot run here\n"
       "  other  libFuzzer's exit code (a crash or a trapped finding)\n"},
      {"help", "aiospec help [COMMAND]", "show this list, or a command's help",
       "`aiospec COMMAND --help` is the same as `aiospec help COMMAND`.", {}, "  0   always\n"},
  };
  return *commands;
}

const CommandSpec* FindCommand(std::string_view name) {
  for (const CommandSpec& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string CommandHelp(const CommandSpec& c) {
  std::string out = absl::StrCat("usage: ", S(c.synopsis), "\n\n", S(c.description), "\n");
  if (!c.flags.empty()) {
    out += "\nflags:\n";
    for (std::string_view name : c.flags) {
      const absl::CommandLineFlag* f =
          absl::FindCommandLineFlag(absl::string_view(name.data(), name.size()));
      if (f == nullptr) continue;
      std::string def = f->DefaultValue();
      absl::StrAppendFormat(&out, "  --%-16s %s%s\n", f->Name(), f->Help(),
                            def.empty() ? "" : absl::StrCat(" (default: ", def, ")"));
    }
  }
  absl::StrAppend(&out, "\nexit codes:\n", S(c.exit_codes));
  return out;
}

std::string GeneralHelp() {
  std::string out =
      "aiospec: a conformance checker for POSIX asynchronous I/O.\n\n"
      "usage: aiospec COMMAND [ARGS] [--flags]\n\ncommands:\n";
  for (const CommandSpec& c : Commands()) {
    absl::StrAppendFormat(&out, "  %-8s %s\n", S(c.name), S(c.summary));
  }
  absl::StrAppend(&out, "\n`aiospec COMMAND --help` shows a command's flags and exit codes.\n",
                  "Environment: NO_COLOR (no colours), AIOSPEC_DATA_DIR (spec and suite),\n",
                  "AIOSPEC_AGENT_DIR (agent binaries). See aiospec(1).\n\n",
                  "exit codes (run):\n", S(kVerdictExits));
  return out;
}

}  // namespace aiospec
