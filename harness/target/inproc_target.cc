#include "harness/target/inproc_target.h"

#include <dirent.h>
#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
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

// The work directory of every in-process run in this process (runs are
// serialized by RunLock): made on first use, emptied before each run (the
// executor unlinks its files; anything left is removed here), removed at
// exit. A fresh directory per run cost a mkdtemp and a remove_all, tens of
// microseconds per exec. Returns "" when no directory can be made.
bool MakeEmpty(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (d == nullptr) return false;
  bool ok = true;
  while (struct dirent* e = readdir(d)) {
    const std::string_view n = e->d_name;
    if (n == "." || n == "..") continue;
    std::error_code ec;
    std::filesystem::remove_all(path + "/" + std::string(n), ec);
    ok = ok && !ec;
  }
  closedir(d);
  return ok;
}

TempDir*& SharedDir() {
  static TempDir* dir = nullptr;
  return dir;
}

const std::string& EmptyWorkDir() {
  static const std::string* const kNone = new std::string;
  TempDir*& dir = SharedDir();
  if (dir != nullptr && !MakeEmpty(dir->path())) {
    delete dir;  // removed from under us, or cannot be emptied: a new one
    dir = nullptr;
  }
  if (dir == nullptr) {
    dir = new TempDir("aiospec-inproc");
    if (dir->path().empty()) {
      delete dir;
      dir = nullptr;
      return *kNone;
    }
    static const bool registered = [] {
      std::atexit([] {
        // Not while a run (on a thread exit() did not stop) uses it.
        if (!RunLock().try_lock()) return;
        delete SharedDir();
        SharedDir() = nullptr;
        RunLock().unlock();
      });
      return true;
    }();
    (void)registered;
  }
  return dir->path();
}

// Precise sleeps for the executor's polls and backoffs while a run is on
// this thread: the default timer slack (50 us) doubled their shortest
// naps. Restores the thread's slack when it goes out of scope.
class TightTimerSlack {
 public:
  TightTimerSlack() : old_(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0)) {
    if (old_ > 1) prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
  }
  ~TightTimerSlack() {
    if (old_ > 1) prctl(PR_SET_TIMERSLACK, old_, 0, 0, 0);
  }
  TightTimerSlack(const TightTimerSlack&) = delete;
  TightTimerSlack& operator=(const TightTimerSlack&) = delete;

 private:
  const long old_;
};

int64_t NowNanos() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

struct Collector {
  std::string text;
  bool overflow = false;
  // When the executor wrote its first line, and its last line that is not
  // a comment before `end completed` (the last op's result or one of its
  // notifications): the op phase's bounds.
  int64_t first_line_ns = 0;
  int64_t last_op_line_ns = 0;
};

extern "C" void CollectLine(void* ctx, const char* line, size_t len) {
  auto* c = static_cast<Collector*>(ctx);
  const int64_t now = NowNanos();
  if (c->first_line_ns == 0) c->first_line_ns = now;
  if (len > 0 && line[0] != '#' &&
      std::string_view(line, len) != "end completed") {
    c->last_op_line_ns = now;
  }
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
  if (AtRest()) return;
  // What is left is usually a notification thread returning. Short naps
  // (precise: TightTimerSlack) bound the delay past the moment it does to
  // 100 us, where naps doubling up to 2 ms overshot by milliseconds.
  // (sched_yield would hand the CPU to any other process on a busy
  // machine, for a whole time slice.)
  const absl::Time deadline = absl::Now() + kRestBound;
  absl::Duration nap = absl::Microseconds(10);
  while (!AtRest() && absl::Now() < deadline) {
    absl::SleepFor(nap);
    nap = std::min(nap * 2, absl::Microseconds(100));
  }
}

absl::StatusOr<ObservationLog> InProcessTarget::Run(
    const Trace& trace, const RunOptions& /*options: no watchdog here*/) {
  if (absl::Status s = RefuseInProcess(trace, name_, replay_target_);
      !s.ok()) {
    return s;
  }
  const int64_t t0 = NowNanos();
  phases_ = InProcessPhases{};
  const std::string wire = EncodeWire(trace);
  std::lock_guard<std::mutex> hold(RunLock());
  TightTimerSlack slack;
  const std::string& dir = EmptyWorkDir();
  if (dir.empty()) {
    return absl::InternalError(
        absl::StrCat("target ", name_, ": cannot create a work directory"));
  }
  struct aiospec_aio_ops ops;
  fill_ops_(&ops);
  Collector out;
  const int rc = aiospec_agent_run(&ops, wire.data(), wire.size(),
                                   dir.c_str(), &CollectLine, &out);
  const int64_t t_end = NowNanos();
  WaitForRest();
  const int64_t t_rest = NowNanos();
  if (out.first_line_ns != 0) {
    const int64_t last = std::max(out.last_op_line_ns, out.first_line_ns);
    phases_.setup_ns = out.first_line_ns - t0;
    phases_.ops_ns = last - out.first_line_ns;
    phases_.cleanup_ns = t_end - last;
  } else {
    phases_.setup_ns = t_end - t0;
  }
  phases_.rest_ns = t_rest - t_end;
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
  phases_.finish_ns = NowNanos() - t_rest;
  if (log.end == RunEnd::kCompleted && log.steps.size() != trace.ops.size()) {
    return absl::InternalError(absl::StrCat(
        "target ", name_, ": executor logged ", log.steps.size(),
        " ops for a trace of ", trace.ops.size()));
  }
  return log;
}

}  // namespace aiospec
