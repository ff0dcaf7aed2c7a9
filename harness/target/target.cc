// MakeTarget and KnownTargets (target.h): target specs to Target objects.
#include "harness/target/target.h"

#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/target/agent_target.h"
#include "harness/target/cross_target.h"
#ifdef AIOSPEC_HAVE_INPROC_AGENT
#include "harness/target/inproc_target.h"
#endif
#ifdef AIOSPEC_HAVE_BUNDLED_INPROC
#include "harness/target/bundled_inproc_target.h"
#endif

namespace aiospec {
namespace {

constexpr char kAgentPrefix[] = "agent:";

// A known out-of-process target: its spec, its agent binary, and what to do
// when the binary is missing.
struct AgentSpec {
  const char* spec;
  const char* binary;
  const char* hint;
};
constexpr AgentSpec kAgents[] = {
    {"glibc", "aiospec-agent-glibc", "build the aiospec-agent-glibc target"},
    {"musl", "aiospec-agent-musl",
     "is musl-gcc installed? see ci/bootstrap"},
    {"bundled", "aiospec-agent-bundled", "build the aiospec-agent-bundled target"},
};

// The glibc agent with the drop-in bundled library preloaded: what any
// unmodified program gets with LD_PRELOAD=libaiospec_aio.so.
constexpr char kPreloadSpec[] = "bundled-preload";
constexpr char kPreloadLibrary[] = "libaiospec_aio.so";

absl::StatusOr<std::unique_ptr<Target>> MakeKnownAgent(const AgentSpec& a) {
  absl::StatusOr<std::string> path = FindAgentBinary(a.binary);
  if (!path.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("target ", a.spec, ": agent binary ", a.binary,
                     " not found (", a.hint, ")"));
  }
  return std::unique_ptr<Target>(new AgentTarget(a.spec, *path));
}

absl::StatusOr<std::unique_ptr<Target>> MakePreloadAgent() {
  absl::StatusOr<std::string> agent = FindAgentBinary("aiospec-agent-glibc");
  absl::StatusOr<std::string> library = FindAgentBinary(kPreloadLibrary);
  if (!agent.ok() || !library.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "target ", kPreloadSpec, ": needs aiospec-agent-glibc and ",
        kPreloadLibrary, " next to aiospec (build the aiospec_aio target)"));
  }
  return std::unique_ptr<Target>(new AgentTarget(
      kPreloadSpec, *agent, {absl::StrCat("LD_PRELOAD=", *library)}));
}

absl::StatusOr<std::unique_ptr<Target>> MakePathAgent(std::string_view spec) {
  std::string path(spec.substr(sizeof kAgentPrefix - 1));
  struct stat st;
  if (path.empty() || stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      access(path.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "target ", std::string(spec), ": '", path, "' is not an executable file"));
  }
  absl::StatusOr<std::vector<std::string>> launcher = LauncherFor(path);
  if (!launcher.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "target ", std::string(spec), ": ", launcher.status().message()));
  }
  return std::unique_ptr<Target>(
      new AgentTarget(std::string(spec), path, {}, *std::move(launcher)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Target>> MakeTarget(std::string_view spec) {
  for (const AgentSpec& a : kAgents) {
    if (spec == a.spec) return MakeKnownAgent(a);
  }
  if (spec == kPreloadSpec) return MakePreloadAgent();
  if (spec == "glibc-inproc") {
#ifdef AIOSPEC_HAVE_INPROC_AGENT
    return std::unique_ptr<Target>(new InProcessTarget());
#else
    return absl::FailedPreconditionError(
        "target glibc-inproc: this build has no in-process agent "
        "(aiospec_agent_core was not built)");
#endif
  }
  if (spec == "bundled-inproc") {
#ifdef AIOSPEC_HAVE_BUNDLED_INPROC
    return std::unique_ptr<Target>(new BundledInProcessTarget());
#else
    return absl::FailedPreconditionError(
        "target bundled-inproc: this build has no in-process agent or no "
        "bundled library (aiospec_agent_core, aiospec_bundled)");
#endif
  }
  if (spec.substr(0, sizeof kAgentPrefix - 1) == kAgentPrefix) {
    return MakePathAgent(spec);
  }
  if (spec.substr(0, sizeof kCrossPrefix - 1) == kCrossPrefix) {
    return MakeCrossTarget(spec.substr(sizeof kCrossPrefix - 1));
  }
  return absl::NotFoundError(absl::StrCat(
      "unknown target '", std::string(spec), "' (known: ",
      absl::StrJoin(KnownTargets(), ", "), ", agent:PATH)"));
}

absl::Status RefuseInProcess(const Trace& trace, std::string_view target,
                             std::string_view use_instead) {
  for (const Op& op : trace.ops) {
    const char* why = nullptr;
    if (std::holds_alternative<Storm>(op.body)) {
      why = " runs no signal storms: they would interrupt this process, and an "
            "in-process run has no watchdog";
    } else if (std::holds_alternative<Proc>(op.body)) {
      why = " runs no process events (proc): they would fork this process, "
            "threads and all, and an in-process run has no watchdog";
    }
    // An invalid timeout's result is unspecified (AIO-SUSP-16), and a
    // library may abort on it (glibc 2.36 asserts in aio_suspend): in
    // process that would end the harness, not the run.
    if (const auto* suspend = std::get_if<AioSuspend>(&op.body);
        suspend != nullptr && !suspend->timeout.infinite && suspend->timeout.nanos < 0) {
      why = " runs no aio_suspend with a negative timeout: a library may abort on "
            "it (AIO-SUSP-16), and in process that would end aiospec itself";
    }
    if (std::holds_alternative<Sigmask>(op.body)) {
      why = " changes no signal mask (sigmask): it would block signals in "
            "this process";
    }
    if (std::holds_alternative<ThreadOp>(op.body) || op.run != RunOn::kMain) {
      why = " runs no trace threads (thread, on, start): a thread blocked or "
            "cancelled in the library cannot be stopped in this process, and "
            "an in-process run has no watchdog";
    }
    const auto* open = std::get_if<Open>(&op.body);
    if (std::holds_alternative<Hold>(op.body) ||
        (open != nullptr && (open->flags & kFlagHold) != 0)) {
      why = " holds no syscalls (hold): its seccomp filter would outlive the "
            "run in this process";
    }
    if (why != nullptr) {
      return absl::UnimplementedError(
          absl::StrCat("target ", std::string(target), why, " (use --target ",
                       std::string(use_instead), ")"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> KnownTargets() {
  std::vector<std::string> known = {"glibc",          "glibc-inproc",
                                    "musl",           "bundled",
                                    "bundled-inproc", kPreloadSpec};
  for (const std::string& arch : CrossArchitectures()) {
    known.push_back(absl::StrCat(kCrossPrefix, arch));
  }
  return known;
}

}  // namespace aiospec
