#include "harness/target/agent_target.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "harness/agent/wire_encode.h"
#include "harness/observation/partial_log.h"
#include "harness/target/subprocess.h"
#include "harness/target/temp_dir.h"

namespace aiospec {
namespace {

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

std::string SelfDirectory() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string path(buf, static_cast<size_t>(n));
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

// The agent's cleanup after the last op (agent.c: kCleanupMillis plus
// kStragglerMillis), with room to spare.
constexpr absl::Duration kCleanupBound = absl::Seconds(3);

// A signal storm takes most of the main thread's time on purpose: ops
// while it is on (`storm off` included) get this many times the slack.
constexpr int kStormSlackFactor = 5;

// How long each op may run before the agent counts as hung in it: its own
// bound (a wait's or a finite aio_suspend's timeout; an unbounded
// aio_suspend gets the whole watchdog) plus slack; the last op also covers
// the agent's cleanup.
std::vector<absl::Duration> OpBounds(const Trace& trace,
                                     const RunOptions& options,
                                     absl::Duration slack) {
  std::vector<absl::Duration> bounds;
  bool storm_on = false;
  for (const Op& op : trace.ops) {
    absl::Duration own = absl::ZeroDuration();
    const Timeout* timeout = nullptr;
    if (const auto* w = std::get_if<Wait>(&op.body)) timeout = &w->timeout;
    // An await takes as long as the op its thread started.
    const auto* t = std::get_if<ThreadOp>(&op.body);
    const OpBody& body = t != nullptr && t->kind == ThreadKind::kAwait
                             ? trace.ops[t->started].body
                             : op.body;
    if (const auto* s = std::get_if<AioSuspend>(&body)) timeout = &s->timeout;
    if (timeout != nullptr) {
      own = timeout->infinite ? options.watchdog
                              : absl::Nanoseconds(timeout->nanos);
    }
    const auto* storm = std::get_if<Storm>(&op.body);
    const bool stormy = storm_on || (storm != nullptr && storm->on);
    if (storm != nullptr) storm_on = storm->on;
    bounds.push_back(own + (stormy ? kStormSlackFactor * slack : slack));
  }
  if (!bounds.empty()) bounds.back() += kCleanupBound;
  return bounds;
}

// `proc exec` makes the agent exec itself as a probe. Under an emulator
// (launcher) the kernel can run the foreign binary only when binfmt_misc
// knows the emulator; otherwise the trace is not runnable here.
absl::Status CheckExecWorksUnder(const std::vector<std::string>& launcher,
                                 const Trace& trace, const std::string& name) {
  if (launcher.empty()) return absl::OkStatus();
  const bool execs = std::any_of(trace.ops.begin(), trace.ops.end(), [](const Op& op) {
    const auto* p = std::get_if<Proc>(&op.body);
    return p != nullptr && p->kind == ProcKind::kExec;
  });
  if (!execs) return absl::OkStatus();
  const std::string& emulator = launcher.front();
  const std::string base = emulator.substr(emulator.rfind('/') + 1);
  const std::string entry = absl::StrCat("/proc/sys/fs/binfmt_misc/", base);
  if (access(entry.c_str(), F_OK) == 0) return absl::OkStatus();
  return absl::UnimplementedError(absl::StrCat(
      "target ", name, " cannot run `proc exec`: the probe's exec under ",
      base, " needs binfmt_misc (", entry,
      " is missing; Debian package qemu-user-binfmt)"));
}

std::string StderrSuffix(const std::string& tail) {
  if (tail.empty()) return "";
  return absl::StrCat("; agent stderr (tail):\n", tail);
}

}  // namespace

absl::StatusOr<std::string> FindAgentBinary(std::string_view file_name) {
  // Next to aiospec (the build tree), then the installed layout
  // (PREFIX/bin/aiospec -> PREFIX/libexec/aiospec), then $AIOSPEC_AGENT_DIR.
  std::vector<std::string> dirs;
  if (std::string self = SelfDirectory(); !self.empty()) {
    dirs.push_back(self);
    dirs.push_back(absl::StrCat(self, "/../libexec/aiospec"));
  }
  if (const char* env = getenv("AIOSPEC_AGENT_DIR"); env && *env) {
    dirs.push_back(env);
  }
  // A shared library to preload needs only to be readable.
  const bool library = file_name.size() > 3 &&
                       file_name.substr(file_name.size() - 3) == ".so";
  for (const std::string& dir : dirs) {
    std::string path = absl::StrCat(dir, "/", std::string(file_name));
    if (library ? access(path.c_str(), R_OK) == 0 : IsExecutableFile(path)) {
      return path;
    }
  }
  return absl::NotFoundError(
      absl::StrCat("agent binary ", std::string(file_name), " not found"));
}

absl::StatusOr<ObservationLog> AgentTarget::Run(const Trace& trace,
                                                const RunOptions& options) {
  if (absl::Status s = CheckExecWorksUnder(launcher_, trace, name_); !s.ok()) {
    return s;
  }
  // The run's files live in a directory we own, so they are removed even
  // when the watchdog kills the agent before it can clean up.
  TempDir work_dir("aiospec-agent-run");
  if (work_dir.path().empty()) {
    return absl::InternalError(
        absl::StrCat("target ", name_, ": cannot create a work directory"));
  }
  SubprocessOptions sub;
  sub.timeout = options.watchdog;
  sub.env_overrides = env_overrides_;
  // Emulated targets (a launcher such as qemu-user) run each op slower.
  const absl::Duration slack =
      launcher_.empty() ? options.op_slack : 4 * options.op_slack;
  const std::vector<absl::Duration> bounds = OpBounds(trace, options, slack);
  sub.deadline_after_line =
      [&](std::string_view line) -> std::optional<absl::Duration> {
    std::optional<int> k = BegunOp(line);
    if (!k || *k >= static_cast<int>(bounds.size())) return std::nullopt;
    return bounds[static_cast<size_t>(*k)];
  };
  std::vector<std::string> argv = launcher_;
  argv.insert(argv.end(), {binary_path_, "--work-dir", work_dir.path()});
  absl::StatusOr<SubprocessResult> run =
      RunSubprocess(argv, EncodeWire(trace), sub);
  if (!run.ok()) {
    return absl::Status(run.status().code(),
                        absl::StrCat("target ", name_, ": ",
                                     run.status().message()));
  }
  absl::StatusOr<PartialLog> parsed = ParsePartialLog(
      run->stdout_text, absl::StrCat("target ", name_, " output"));
  if (!parsed.ok()) {
    return absl::InternalError(absl::StrCat(
        "target ", name_, ": agent output is not an observation log: ",
        parsed.status().message(), StderrSuffix(run->stderr_tail)));
  }
  ObservationLog log = std::move(parsed->log);
  if (log.target.empty()) log.target = name_;
  switch (run->outcome) {
    case SubprocessResult::Outcome::kTimedOut:
      // Also when `end` was printed: the agent then hung on its way out.
      log.end = RunEnd::kHung;
      log.crash_signal = 0;
      log.hung_at = parsed->last_begun;
      return log;
    case SubprocessResult::Outcome::kSignaled:
      log.end = RunEnd::kCrashed;
      log.crash_signal = run->signal;
      log.hung_at = -1;
      return log;
    case SubprocessResult::Outcome::kExited:
      break;
  }
  if (!parsed->ended) {
    if (run->exit_code != 0) {
      std::string said =
          parsed->last_error.empty()
              ? ""
              : absl::StrCat(" (agent said: ", parsed->last_error, ")");
      return absl::InternalError(absl::StrCat(
          "target ", name_, ": agent exited with status ", run->exit_code,
          " before the end of the log", said, StderrSuffix(run->stderr_tail)));
    }
    return log;  // kCrashed, signal 0: the output stopped short
  }
  if (log.end == RunEnd::kCompleted && log.steps.size() != trace.ops.size()) {
    return absl::InternalError(absl::StrCat(
        "target ", name_, ": agent logged ", log.steps.size(),
        " ops for a trace of ", trace.ops.size()));
  }
  return log;
}

}  // namespace aiospec
