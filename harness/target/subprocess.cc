// The child-process runner behind out-of-process targets (subprocess.h).
//
// Invariants, in words:
//  - Descriptors. Three pipes are made close-on-exec (so a child started by
//    another thread never inherits them). The child gets the read end of the
//    stdin pipe and the write ends of the stdout and stderr pipes as 0, 1, 2
//    through posix_spawn file actions; the parent closes those three right
//    after the spawn and owns the other three ends (plus a pidfd when the
//    kernel has pidfd_open). Every descriptor the parent owns is closed
//    exactly once, by the Fds destructor, whatever path leaves the function.
//  - Process group. The child leads a new process group (pgid == pid), so
//    everything it forks can be killed with one kill(-pid, SIGKILL).
//  - Reaping. The child is reaped by exactly one waitpid(), at the end, on
//    every path after the spawn succeeded. The process group is killed
//    *before* that waitpid: while the leader is an unreaped zombie its pid
//    cannot be reused, so kill(-pid) can only reach our own children's
//    group. Exit is detected beforehand with waitid(WNOWAIT), which leaves
//    the zombie in place.
//  - Exit paths. (a) The child exits: its output is drained (it is dead, so
//    the pipes hold all it wrote), the group is killed to take stragglers
//    holding the pipes with it, the child is reaped. (b) The watchdog
//    expires (CLOCK_MONOTONIC): the group is killed, the child reaped, the
//    pipes drained of what was written before the kill. (c) Stdout passes
//    its cap: the group is killed, the child reaped, an error returned.
//  - Deadlines. `hard_deadline` (start + timeout) never moves; `deadline`
//    starts there and only deadline_after_line moves it, never past it.
//  - SIGPIPE. The stdin pipe is written with SIGPIPE blocked in this thread;
//    a SIGPIPE raised by our write (child stopped reading) is consumed before
//    the mask is restored, so it never reaches the process.
#include "harness/target/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace aiospec {
namespace {

absl::Status ErrnoError(const char* what, int err) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(err)));
}

int64_t MonotonicNanos() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// Every descriptor the parent owns; closes what is still open.
struct Fds {
  int stdin_w = -1, stdout_r = -1, stderr_r = -1, pidfd = -1;
  // The child's ends, only until the spawn.
  int stdin_r = -1, stdout_w = -1, stderr_w = -1;
  static void Close(int& fd) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
  void CloseChildEnds() {
    Close(stdin_r);
    Close(stdout_w);
    Close(stderr_w);
  }
  ~Fds() {
    CloseChildEnds();
    Close(stdin_w);
    Close(stdout_r);
    Close(stderr_r);
    Close(pidfd);
  }
};

// A close-on-exec pipe whose ends are >= 3, so that a dup2 onto 0, 1 or 2
// in the child never meets an end already sitting there (which would keep
// its close-on-exec flag and vanish at exec).
absl::Status MakePipe(int* read_end, int* write_end) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return ErrnoError("pipe2", errno);
  for (int& fd : p) {
    if (fd < 3) {
      int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
      int err = errno;
      close(fd);
      fd = moved;
      if (moved < 0) return ErrnoError("fcntl(F_DUPFD_CLOEXEC)", err);
    }
  }
  *read_end = p[0];
  *write_end = p[1];
  return absl::OkStatus();
}

void SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// Reads what `fd` has now into `out`; closes fd at EOF. Returns false when
// the byte budget `cap` was passed.
bool ReadAvailable(int& fd, std::string* out, size_t cap) {
  char buf[65536];
  while (fd >= 0) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      out->append(buf, static_cast<size_t>(n));
      if (out->size() > cap) return false;
      continue;
    }
    if (n == 0) {
      Fds::Close(fd);
      break;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) Fds::Close(fd);
    break;
  }
  return true;
}

// Keeps only the last `keep` bytes (with slack, to trim rarely).
void TrimTail(std::string* s, size_t keep) {
  if (s->size() > 2 * keep + 65536) s->erase(0, s->size() - keep);
}

class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_set_);
    sigaddset(&pipe_set_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_set_, &old_);
  }
  ~SigpipeBlock() {
    if (!was_pending_) {
      struct timespec zero = {0, 0};
      while (sigtimedwait(&pipe_set_, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_set_;
  sigset_t old_;
  bool was_pending_ = false;
};

// environ with each NAME=... of `overrides` replacing an entry of that NAME.
std::vector<std::string> ChildEnvironment(const std::vector<std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool replaced = false;
    for (const std::string& o : overrides) {
      size_t eq = o.find('=');
      if (entry.substr(0, eq + 1) == std::string_view(o).substr(0, eq + 1)) replaced = true;
    }
    if (!replaced) env.emplace_back(entry);
  }
  env.insert(env.end(), overrides.begin(), overrides.end());
  return env;
}

absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv,
                            const std::vector<std::string>& env_overrides, Fds& fds) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&actions, fds.stdin_r, 0);
  posix_spawn_file_actions_adddup2(&actions, fds.stdout_w, 1);
  posix_spawn_file_actions_adddup2(&actions, fds.stderr_w, 2);
  // A fresh process group, an empty signal mask and default dispositions:
  // the agent must not inherit the harness's blocked or ignored signals.
  sigset_t empty, all;
  sigemptyset(&empty);
  sigfillset(&all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
                                      POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env = ChildEnvironment(env_overrides);
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0].c_str(), &actions, &attr, args.data(),
                       envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run ", argv[0], ": ", std::strerror(rc)));
  }
  return pid;
}

bool HasExited(pid_t pid) {
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  while (waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno != EINTR) return true;  // ECHILD: nothing left to wait for
  }
  return info.si_pid == pid;
}

void KillGroupAndReap(pid_t pid, int* status) {
  kill(-pid, SIGKILL);  // the leader is not reaped yet: pgid `pid` is ours
  while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

absl::StatusOr<SubprocessResult> RunSubprocess(
    const std::vector<std::string>& argv, std::string_view stdin_data,
    const SubprocessOptions& options) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  Fds fds;
  if (absl::Status s = MakePipe(&fds.stdin_r, &fds.stdin_w); !s.ok()) return s;
  if (absl::Status s = MakePipe(&fds.stdout_r, &fds.stdout_w); !s.ok()) return s;
  if (absl::Status s = MakePipe(&fds.stderr_r, &fds.stderr_w); !s.ok()) return s;

  const int64_t hard_deadline =
      MonotonicNanos() + absl::ToInt64Nanoseconds(options.timeout);
  int64_t deadline = hard_deadline;
  size_t lines_seen = 0;  // stdout_text[0, lines_seen) was shown to the caller
  auto see_new_lines = [&](const std::string& text) {
    if (!options.deadline_after_line) return;
    size_t nl;
    while ((nl = text.find('\n', lines_seen)) != std::string::npos) {
      std::optional<absl::Duration> d = options.deadline_after_line(
          std::string_view(text).substr(lines_seen, nl - lines_seen));
      lines_seen = nl + 1;
      if (d) {
        deadline = std::min(hard_deadline,
                            MonotonicNanos() + absl::ToInt64Nanoseconds(*d));
      }
    }
  };
  SigpipeBlock sigpipe_block;
  absl::StatusOr<pid_t> spawned = Spawn(argv, options.env_overrides, fds);
  fds.CloseChildEnds();
  if (!spawned.ok()) return spawned.status();
  const pid_t pid = *spawned;
  fds.pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  SetNonBlocking(fds.stdin_w);
  SetNonBlocking(fds.stdout_r);
  SetNonBlocking(fds.stderr_r);

  SubprocessResult result;
  size_t written = 0;
  if (stdin_data.empty()) Fds::Close(fds.stdin_w);
  bool timed_out = false, overflow = false;
  const size_t stderr_cap = std::max<size_t>(options.stderr_tail_bytes, 1)
                            << 8;  // trimmed long before this

  while (true) {
    if (HasExited(pid)) {
      overflow = !ReadAvailable(fds.stdout_r, &result.stdout_text,
                                options.max_stdout_bytes);
      ReadAvailable(fds.stderr_r, &result.stderr_tail, stderr_cap);
      break;
    }
    const int64_t now = MonotonicNanos();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    struct pollfd pfd[4];
    int n = 0;
    int i_in = -1, i_out = -1, i_err = -1;
    if (fds.stdin_w >= 0) { i_in = n; pfd[n++] = {fds.stdin_w, POLLOUT, 0}; }
    if (fds.stdout_r >= 0) { i_out = n; pfd[n++] = {fds.stdout_r, POLLIN, 0}; }
    if (fds.stderr_r >= 0) { i_err = n; pfd[n++] = {fds.stderr_r, POLLIN, 0}; }
    if (fds.pidfd >= 0) pfd[n++] = {fds.pidfd, POLLIN, 0};
    // Without a pidfd, exit is noticed by polling every 10 ms.
    int64_t wait_ms = (deadline - now + 999999) / 1000000;
    if (fds.pidfd < 0) wait_ms = std::min<int64_t>(wait_ms, 10);
    int rc = poll(pfd, n, static_cast<int>(std::min<int64_t>(wait_ms, 1000)));
    if (rc < 0) {
      if (errno == EINTR) continue;
      timed_out = false;
      break;  // cannot happen with valid fds; kill and report what we have
    }
    if (i_in >= 0 && pfd[i_in].revents != 0) {
      ssize_t w = write(fds.stdin_w, stdin_data.data() + written,
                        std::min<size_t>(stdin_data.size() - written, 65536));
      if (w > 0) written += static_cast<size_t>(w);
      // EPIPE: the child stopped reading; what it does next is its business.
      if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
          written == stdin_data.size()) {
        Fds::Close(fds.stdin_w);
      }
    }
    if (i_out >= 0 && pfd[i_out].revents != 0 &&
        !ReadAvailable(fds.stdout_r, &result.stdout_text,
                       options.max_stdout_bytes)) {
      overflow = true;
      break;
    }
    see_new_lines(result.stdout_text);
    if (i_err >= 0 && pfd[i_err].revents != 0) {
      ReadAvailable(fds.stderr_r, &result.stderr_tail, stderr_cap);
      TrimTail(&result.stderr_tail, options.stderr_tail_bytes);
    }
  }

  int status = 0;
  KillGroupAndReap(pid, &status);
  if (overflow) {
    return absl::ResourceExhaustedError(absl::StrCat(
        argv[0], " wrote more than ", options.max_stdout_bytes,
        " bytes to standard output"));
  }
  if (timed_out) {
    // The group is dead: the pipes now hold all it wrote before the kill.
    ReadAvailable(fds.stdout_r, &result.stdout_text, options.max_stdout_bytes);
    ReadAvailable(fds.stderr_r, &result.stderr_tail, stderr_cap);
    result.outcome = SubprocessResult::Outcome::kTimedOut;
  } else if (WIFSIGNALED(status)) {
    result.outcome = SubprocessResult::Outcome::kSignaled;
    result.signal = WTERMSIG(status);
  } else {
    result.outcome = SubprocessResult::Outcome::kExited;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  if (result.stderr_tail.size() > options.stderr_tail_bytes) {
    result.stderr_tail.erase(
        0, result.stderr_tail.size() - options.stderr_tail_bytes);
  }
  return result;
}

}  // namespace aiospec
