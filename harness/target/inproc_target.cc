#include "harness/target/inproc_target.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
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
// serialized by RunLock): made on first use, checked empty before each run
// (the executor unlinks its files; anything left is removed here), removed
// at exit. A fresh directory per run cost a mkdtemp and a remove_all, tens
// of microseconds per exec; the check is two system calls on a descriptor
// kept open.
struct WorkDir {
  TempDir* dir = nullptr;
  int fd = -1;
};

WorkDir& Shared() {
  static WorkDir* w = new WorkDir;
  return *w;
}

void Drop(WorkDir& w) {
  if (w.fd >= 0) close(w.fd);
  delete w.dir;  // removes it, with anything in it
  w = WorkDir{};
}

// 1: only "." and ".."; 0: something else; -1: unreadable or removed
// (getdents on a removed directory fails with ENOENT).
int Emptiness(int fd) {
  alignas(8) char buf[4096];
  if (lseek(fd, 0, SEEK_SET) != 0) return -1;
  const long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
  if (n <= 0) return -1;
  for (long off = 0; off < n;) {
    // struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name.
    unsigned short reclen;
    std::memcpy(&reclen, buf + off + 16, sizeof reclen);
    const std::string_view name(buf + off + 19);
    if (name != "." && name != "..") return 0;
    off += reclen;
  }
  return 1;  // the buffer holds many entries: a short answer is all of them
}

bool RemoveContents(const std::string& path) {
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

// The shared directory, empty; "" when no directory can be made.
const std::string& EmptyWorkDir() {
  static const std::string* const kNone = new std::string;
  WorkDir& w = Shared();
  if (w.dir != nullptr) {
    const int e = Emptiness(w.fd);
    if (e < 0 || (e == 0 && !RemoveContents(w.dir->path()))) Drop(w);
  }
  if (w.dir == nullptr) {
    w.dir = new TempDir("aiospec-inproc");
    if (!w.dir->path().empty()) {
      w.fd = open(w.dir->path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (w.fd < 0) {
      Drop(w);
      return *kNone;
    }
    static const bool registered = [] {
      std::atexit([] {
        // Not while a run (on a thread exit() did not stop) uses it.
        if (!RunLock().try_lock()) return;
        Drop(Shared());
        RunLock().unlock();
      });
      return true;
    }();
    (void)registered;
  }
  return w.dir->path();
}

// Precise sleeps for the executor's polls and backoffs on the threads that
// run traces: the default timer slack (50 us) doubled their shortest naps.
// Set once per thread (threads it starts inherit it) and left: three
// prctl calls per run cost more than the sleeps they sharpen.
void TightenTimerSlack() {
  thread_local bool done = false;
  if (done) return;
  done = true;
  prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
}

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
  // (precise: TightenTimerSlack) bound the delay past the moment it does to
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
  TightenTimerSlack();
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
