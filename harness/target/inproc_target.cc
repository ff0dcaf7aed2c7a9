#include "harness/target/inproc_target.h"

#include <algorithm>
#include <mutex>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "harness/agent/agent.h"
#include "harness/agent/wire_encode.h"
#include "harness/observation/partial_log.h"
#include "harness/target/temp_dir.h"

namespace aiospec {
namespace {

// std::mutex rather than absl::Mutex: Debian's Abseil is not TSan-built.
std::mutex& RunLock() {
  static std::mutex* lock = new std::mutex;
  return *lock;
}

// How long a run waits for the implementation to come to rest: far above
// the microseconds a notification thread takes, far below a fuzz timeout.
constexpr absl::Duration kRestBound = absl::Milliseconds(200);

// Same bound as the child-process runner's stdout cap.
constexpr size_t kMaxLogBytes = size_t{256} << 20;

struct Collector {
  std::string text;
  bool overflow = false;
};

extern "C" void CollectLine(void* ctx, const char* line, size_t len) {
  auto* c = static_cast<Collector*>(ctx);
  if (c->overflow || c->text.size() + len + 1 > kMaxLogBytes) {
    c->overflow = true;
    return;
  }
  c->text.append(line, len);
  c->text.push_back('\n');
}

}  // namespace

InProcessTarget::InProcessTarget()
    : InProcessTarget("glibc-inproc", aiospec_libc_aio_ops, "glibc") {}

InProcessTarget::InProcessTarget(std::string name,
                                 void (*fill_ops)(struct aiospec_aio_ops*),
                                 std::string replay_target)
    : name_(std::move(name)),
      fill_ops_(fill_ops),
      replay_target_(std::move(replay_target)) {}

void InProcessTarget::WaitForRest() const {
  const absl::Time deadline = absl::Now() + kRestBound;
  absl::Duration nap = absl::Microseconds(20);
  while (!AtRest() && absl::Now() < deadline) {
    absl::SleepFor(nap);
    nap = std::min(nap * 2, absl::Milliseconds(2));
  }
}

absl::StatusOr<ObservationLog> InProcessTarget::Run(
    const Trace& trace, const RunOptions& /*options: no watchdog here*/) {
  if (absl::Status s = RefuseInProcess(trace, name_, replay_target_);
      !s.ok()) {
    return s;
  }
  const std::string wire = EncodeWire(trace);
  std::lock_guard<std::mutex> hold(RunLock());
  TempDir dir("aiospec-inproc");
  if (dir.path().empty()) {
    return absl::InternalError(
        absl::StrCat("target ", name_, ": cannot create a work directory"));
  }
  struct aiospec_aio_ops ops;
  fill_ops_(&ops);
  Collector out;
  const int rc = aiospec_agent_run(&ops, wire.data(), wire.size(),
                                   dir.path().c_str(), &CollectLine, &out);
  WaitForRest();
  if (out.overflow) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "target ", name_, ": log larger than ", kMaxLogBytes, " bytes"));
  }
  absl::StatusOr<PartialLog> parsed =
      ParsePartialLog(out.text, absl::StrCat("target ", name_, " output"));
  if (!parsed.ok()) {
    return absl::InternalError(
        absl::StrCat("target ", name_, ": executor output is not a log: ",
                     parsed.status().message()));
  }
  if (rc != 0 || !parsed->ended) {
    return absl::InternalError(absl::StrCat(
        "target ", name_, ": executor failed",
        parsed->last_error.empty() ? "" : ": ", parsed->last_error));
  }
  ObservationLog log = std::move(parsed->log);
  if (log.target.empty()) log.target = name_;
  if (log.end == RunEnd::kCompleted && log.steps.size() != trace.ops.size()) {
    return absl::InternalError(absl::StrCat(
        "target ", name_, ": executor logged ", log.steps.size(),
        " ops for a trace of ", trace.ops.size()));
  }
  return log;
}

}  // namespace aiospec
