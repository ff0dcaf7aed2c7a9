#include "harness/repro/c_runtime.h"

namespace aiospec {
namespace {

// Needs from the generated data section: NOPS, FAIL_OP, op_text[],
// recorded[], allowed[], why[], progress_fd.
constexpr std::string_view kJudge = R"C(
/* ---- Observations, in the text format of aiospec's observation logs ----- */

enum { RET_NUMBER, RET_ERROR_STATUS, RET_CANCEL, RET_DESCRIPTOR };
#define SHOWN_MAX 80 /* aiospec cuts longer byte strings and adds "..." */

static const char *errno_name(int e) {
  static const struct { int value; const char *name; } names[] = {
      {EPERM, "EPERM"},     {ENOENT, "ENOENT"},       {EINTR, "EINTR"},
      {EIO, "EIO"},         {ENXIO, "ENXIO"},         {EBADF, "EBADF"},
      {EAGAIN, "EAGAIN"},   {ENOMEM, "ENOMEM"},       {EACCES, "EACCES"},
      {EFAULT, "EFAULT"},   {EBUSY, "EBUSY"},         {EEXIST, "EEXIST"},
      {EISDIR, "EISDIR"},   {EINVAL, "EINVAL"},       {EMFILE, "EMFILE"},
      {EFBIG, "EFBIG"},     {ENOSPC, "ENOSPC"},       {ESPIPE, "ESPIPE"},
      {EROFS, "EROFS"},     {EPIPE, "EPIPE"},         {ENOSYS, "ENOSYS"},
      {EOVERFLOW, "EOVERFLOW"}, {ENOTSOCK, "ENOTSOCK"},
      {EOPNOTSUPP, "EOPNOTSUPP"}, {ECONNRESET, "ECONNRESET"},
      {ENOTCONN, "ENOTCONN"}, {ETIMEDOUT, "ETIMEDOUT"},
      {EINPROGRESS, "EINPROGRESS"}, {ECANCELED, "ECANCELED"},
  };
  static char other[32];
  size_t i;
  for (i = 0; i < sizeof names / sizeof names[0]; ++i) {
    if (names[i].value == e) return names[i].name;
  }
  snprintf(other, sizeof other, "E#%d", e);
  return other;
}

static const char *cancel_name(long long r) {
  if (r == AIO_CANCELED) return "AIO_CANCELED";
  if (r == AIO_NOTCANCELED) return "AIO_NOTCANCELED";
  if (r == AIO_ALLDONE) return "AIO_ALLDONE";
  return "?";
}

struct text {
  char s[512];
  size_t n;
};

static void put(struct text *t, const char *s) {
  size_t k = strlen(s);
  if (t->n + k >= sizeof t->s) return;
  memcpy(t->s + t->n, s, k + 1);
  t->n += k;
}

static void put_escaped(struct text *t, unsigned char c) {
  char one[8];
  switch (c) {
    case '\n': put(t, "\\n"); return;
    case '\t': put(t, "\\t"); return;
    case '\r': put(t, "\\r"); return;
    case '\\': put(t, "\\\\"); return;
    case '"': put(t, "\\\""); return;
    default: break;
  }
  if (c >= 0x20 && c < 0x7f) {
    one[0] = (char)c;
    one[1] = 0;
  } else {
    snprintf(one, sizeof one, "\\x%02x", c);
  }
  put(t, one);
}

/* "abc", "F"*65536+"tail": runs of 16 or more equal bytes as "x"*N. */
static void put_bytes(struct text *t, const unsigned char *p, size_t n) {
  size_t start = t->n, i = 0, k;
  int quoted = 0;
  char count[32];
  if (n == 0) put(t, "\"\"");
  while (i < n && t->n - start <= SHOWN_MAX) {
    size_t run = 1;
    while (i + run < n && p[i + run] == p[i]) ++run;
    if (run >= 16) {
      if (quoted) put(t, "\"");
      if (t->n > start) put(t, "+");
      put(t, "\"");
      put_escaped(t, p[i]);
      snprintf(count, sizeof count, "\"*%lu", (unsigned long)run);
      put(t, count);
      quoted = 0;
    } else {
      if (!quoted) {
        if (t->n > start) put(t, "+");
        put(t, "\"");
        quoted = 1;
      }
      for (k = 0; k < run; ++k) put_escaped(t, p[i]);
    }
    i += run;
  }
  if (quoted) put(t, "\"");
  if (t->n - start > SHOWN_MAX) {
    t->n = start + SHOWN_MAX;
    t->s[t->n] = 0;
    put(t, "...");
  }
}

/* The op's line, before it runs: a hang leaves it as the last line. */
static void step(int k) {
  printf("op %d: %s\n", k, op_text[k]);
  fflush(stdout);
  if (write(progress_fd, &k, sizeof k) < 0) _exit(3);
}

static void finish(int code) {
  fflush(stdout);
  _exit(code);
}

/* An allowed text may stop early ("aio_return ret=-1" allows any errno)
 * or end in "..." where aiospec cut a long byte string. */
static int allows(const char *allowed_text, const char *seen) {
  size_t n = strlen(allowed_text);
  if (n >= 3 && strcmp(allowed_text + n - 3, "...") == 0) {
    return strncmp(allowed_text, seen, n - 3) == 0;
  }
  return strncmp(allowed_text, seen, n) == 0 &&
         (seen[n] == 0 || seen[n] == ' ');
}

static int diverged_at = -1;

static void judge(int k, const char *seen) {
  int i;
  for (i = 0; allowed[i]; ++i) {
    if (!allows(allowed[i], seen)) continue;
    printf("PASS: op %d observed %s, which POSIX allows here%s\n", k, seen,
           diverged_at >= 0 ? " (an earlier op took another path: see above)"
                            : "");
    finish(0);
  }
  if (diverged_at >= 0 && strcmp(seen, recorded[k]) == 0) {
    /* Another path, but the very observation the model rejected. */
    printf("FAIL: op %d (%s) observed %s, as in the recorded run (op %d took "
           "another path: see above); POSIX allows ", k, op_text[k], seen,
           diverged_at);
  } else if (diverged_at >= 0) {
    /* The allowed list holds for the recorded run's history only. */
    printf("INCONCLUSIVE: op %d observed %s, but op %d already differed from "
           "the recorded run, so what POSIX allows here may differ too; "
           "judge this run with aiospec\n", k, seen, diverged_at);
    finish(2);
  } else if (recorded[k] && strcmp(seen, recorded[k]) != 0) {
    /* Not what the model rejected, and not on the allowed list, which may
     * be prose this program cannot match: only aiospec can judge it. */
    printf("INCONCLUSIVE: op %d observed %s, not the observation the model "
           "rejected (%s); judge this run with aiospec\n", k, seen,
           recorded[k]);
    finish(2);
  } else {
    printf("FAIL: op %d (%s) observed %s; POSIX allows ", k, op_text[k], seen);
  }
  for (i = 0; allowed[i]; ++i) printf("%s%s", i ? " or " : "", allowed[i]);
  printf("%s\n      %s\n", i ? "" : "nothing the run could show", why);
  finish(1);
}

/* Op k's result, printed in aiospec's log format and compared with the run
 * aiospec recorded; at FAIL_OP the verdict. `data` is shown when ndata >= 0. */
static void observe(int k, const char *name, int kind, long long ret, int err,
                    const unsigned char *data, long long ndata) {
  struct text t;
  char number[64];
  t.n = 0;
  t.s[0] = 0;
  put(&t, name);
  put(&t, " ret=");
  if (kind == RET_ERROR_STATUS && ret > 0) {
    put(&t, errno_name((int)ret));
  } else if (kind == RET_CANCEL && ret != -1) {
    put(&t, cancel_name(ret));
  } else {
    snprintf(number, sizeof number, "%lld", ret);
    put(&t, number);
    if (ret == -1 && err != 0) {
      put(&t, " errno=");
      put(&t, errno_name(err));
    }
  }
  if (ndata >= 0) {
    put(&t, " data=");
    put_bytes(&t, data, (size_t)ndata);
  }
  printf("   -> %s\n", t.s);
  if (k == FAIL_OP) judge(k, t.s);
  /* Descriptor numbers may differ from the recorded run's: compare only
   * whether the call succeeded. */
  if (recorded[k] && (kind == RET_DESCRIPTOR && ret >= 0
                          ? strstr(recorded[k], "ret=-1") != NULL
                          : strcmp(recorded[k], t.s) != 0)) {
    printf("      (the recorded run saw: %s)\n", recorded[k]);
    if (diverged_at < 0) diverged_at = k;
  }
  fflush(stdout);
}
)C";

constexpr std::string_view kMakeBytes = R"C(
/* ---- Payloads ------------------------------------------------------------ */

struct piece {
  const char *bytes;
  size_t len, times;
};

/* The pieces one after another, repeated until n bytes are filled. */
static void make_bytes(unsigned char *out, size_t n, const struct piece *p,
                       int np) {
  size_t done = 0;
  while (done < n) {
    int i;
    size_t before = done;
    for (i = 0; i < np && done < n; ++i) {
      size_t t;
      for (t = 0; t < p[i].times && done < n; ++t) {
        size_t k = p[i].len < n - done ? p[i].len : n - done;
        memcpy(out + done, p[i].bytes, k);
        done += k;
      }
    }
    if (done == before) break; /* empty pattern */
  }
}
)C";

// Needs: work_dir (made by main before the fork).
constexpr std::string_view kFiles = R"C(
/* ---- Files, by name in a private directory ------------------------------- */

static char work_dir[64] = "/tmp/aiospec-repro-XXXXXX";

static const char *path_of(const char *name) {
  static char path[128];
  snprintf(path, sizeof path, "%s/%s", work_dir, name);
  return path;
}

/* file NAME content=...: created (or truncated) with that content. */
static int make_file(const char *name, const unsigned char *content, size_t n) {
  size_t done = 0;
  int fd = open(path_of(name), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  while (done < n) {
    ssize_t w = write(fd, content + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      close(fd);
      return -1;
    }
    done += (size_t)w;
  }
  close(fd);
  return 0;
}
)C";

constexpr std::string_view kReadback = R"C(
/* readback NAME: the whole file, read by path. *out is malloc'ed. */
static long long read_file(const char *name, unsigned char **out) {
  size_t n = 0, cap = 4096;
  int fd = open(path_of(name), O_RDONLY | O_CLOEXEC);
  *out = malloc(cap);
  if (fd < 0 || !*out) return -1;
  for (;;) {
    ssize_t got;
    if (n == cap) {
      unsigned char *bigger = realloc(*out, cap *= 2);
      if (!bigger) break;
      *out = bigger;
    }
    got = read(fd, *out + n, cap - n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    n += (size_t)got;
  }
  close(fd);
  return (long long)n;
}
)C";

constexpr std::string_view kNonBlocking = R"C(
/* ---- fill, drain, write: never block, even on a descriptor an AIO worker
 * is blocked on. A pipe gets a private O_NONBLOCK open file description
 * (/proc/self/fd/N), a socket MSG_DONTWAIT. ------------------------------- */

struct nb {
  int fd, own, socket;
};

static int nb_open(struct nb *io, int fd, int for_write) {
  struct stat st;
  char path[64];
  int fl = fcntl(fd, F_GETFL);
  io->fd = fd;
  io->own = io->socket = 0;
  if (fl < 0 || fstat(fd, &st) != 0) return -1;
  if ((fl & O_ACCMODE) == (for_write ? O_RDONLY : O_WRONLY)) {
    errno = EBADF;
    return -1;
  }
  if (S_ISSOCK(st.st_mode)) {
    io->socket = 1;
  } else if (S_ISFIFO(st.st_mode)) {
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    io->fd = open(path, (for_write ? O_WRONLY : O_RDONLY) | O_NONBLOCK | O_CLOEXEC);
    io->own = io->fd >= 0;
    /* ENXIO: no reader, so a write fails at once with EPIPE. */
    if (io->fd < 0 && errno != ENXIO) return -1;
    if (io->fd < 0) io->fd = fd;
  } else if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    return -1;
  }
  return 0;
}

static void nb_close(struct nb *io) {
  if (io->own) close(io->fd);
}

)C";

constexpr std::string_view kNbWrite = R"C(
static ssize_t nb_write(struct nb *io, const void *p, size_t n) {
  if (io->socket) return send(io->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
  return write(io->fd, p, n);
}
)C";

constexpr std::string_view kFill = R"C(
/* fill FD: 'F' bytes until the pipe or socket takes no more. */
static long long fill(int fd, int *err) {
  static char bytes[4096];
  long long total = 0;
  size_t size = sizeof bytes;
  struct nb io;
  *err = 0;
  memset(bytes, 'F', sizeof bytes);
  if (nb_open(&io, fd, 1) != 0) {
    *err = errno;
    return -1;
  }
  while (size > 0) {
    ssize_t w = nb_write(&io, bytes, size);
    if (w > 0) {
      total += w;
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      *err = errno;
      break;
    }
    size = size == 1 ? 0 : 1; /* then byte by byte into what is left */
  }
  nb_close(&io);
  return total == 0 && *err ? -1 : total;
}
)C";

constexpr std::string_view kDrain = R"C(
/* drain FD [max=N]: what is available now (max < 0: all of it). */
static long long drain(int fd, long long max, unsigned char **out, int *err) {
  size_t n = 0, cap = 65536;
  struct nb io;
  *err = 0;
  *out = malloc(cap);
  if (!*out || nb_open(&io, fd, 0) != 0) {
    *err = errno;
    return -1;
  }
  while (max < 0 || (long long)n < max) {
    size_t want = cap - n;
    ssize_t got;
    if (max >= 0 && (long long)want > max - (long long)n) want = (size_t)(max - (long long)n);
    got = io.socket ? recv(io.fd, *out + n, want, MSG_DONTWAIT)
                    : read(io.fd, *out + n, want);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && n == 0 && errno != EAGAIN && errno != EWOULDBLOCK) *err = errno;
    if (got <= 0) break;
    n += (size_t)got;
    if (n == cap) {
      unsigned char *bigger = realloc(*out, cap *= 2);
      if (!bigger) break;
      *out = bigger;
    }
  }
  nb_close(&io);
  return *err ? -1 : (long long)n;
}
)C";

constexpr std::string_view kWriteNow = R"C(
/* write FD data=...: one write that must not block. */
static long long write_now(int fd, const char *data, size_t n, int *err) {
  struct nb io;
  ssize_t w;
  *err = 0;
  if (nb_open(&io, fd, 1) != 0) {
    *err = errno;
    return -1;
  }
  do {
    errno = 0;
    w = nb_write(&io, data, n);
  } while (w < 0 && errno == EINTR);
  *err = errno;
  nb_close(&io);
  return w;
}
)C";

constexpr std::string_view kWait = R"C(
/* ---- wait: until every listed request leaves EINPROGRESS, or the bound --- */

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* 0, or -1 with *err = ETIMEDOUT. bound_ns < 0: no bound. */
static int wait_for(struct aiocb *const *cbs, int n, long long bound_ns, int *err) {
  const long long deadline = now_ns() + bound_ns;
  const struct aiocb *pending[64];
  *err = 0;
  for (;;) {
    int i, npending = 0;
    long long slice = 100000000LL; /* 100 ms: a lost wakeup costs time only */
    struct timespec ts;
    for (i = 0; i < n; ++i) {
      if (aio_error(cbs[i]) == EINPROGRESS && npending < 64) pending[npending++] = cbs[i];
    }
    if (npending == 0) return 0;
    if (bound_ns >= 0) {
      long long left = deadline - now_ns();
      if (left <= 0) {
        *err = ETIMEDOUT;
        return -1;
      }
      if (left < slice) slice = left;
    }
    ts.tv_sec = (time_t)(slice / 1000000000LL);
    ts.tv_nsec = (long)(slice % 1000000000LL);
    aio_suspend(pending, npending, &ts);
  }
}
)C";

constexpr std::string_view kNotify = R"C(
/* ---- Notifications: the signal handler and the SIGEV_THREAD function
 * append a record each (lock-free: a slot is claimed with an atomic add);
 * the main thread prints new records after every op. ---------------------- */

#define NOTIFY_SIGNO (SIGRTMIN + 1)
#define NOTES_MAX 256
#define TRACKED_MAX 64

struct note {
  int kind, signo, code, value, has_status, status;
};
static struct note notes[NOTES_MAX];
static volatile int notes_claimed, notes_ready[NOTES_MAX];
static int notes_printed;
/* sigev_value -> aiocb, filled before each submission, so a handler can
 * read the request's status. */
static struct { int value; struct aiocb *cb; } tracked[TRACKED_MAX];
static volatile int ntracked;

static void track(int value, struct aiocb *cb) {
  if (ntracked == TRACKED_MAX) return;
  tracked[ntracked].value = value;
  tracked[ntracked].cb = cb;
  __sync_synchronize();
  ntracked = ntracked + 1;
}

static void record(int kind, int signo, int code, int value) {
  int slot = __sync_fetch_and_add(&notes_claimed, 1), i, matches = 0;
  struct aiocb *cb = NULL;
  if (slot >= NOTES_MAX) return;
  notes[slot].kind = kind;
  notes[slot].signo = signo;
  notes[slot].code = code;
  notes[slot].value = value;
  for (i = 0; i < ntracked; ++i) {
    if (tracked[i].value != value) continue;
    ++matches;
    cb = tracked[i].cb;
  }
  notes[slot].has_status = matches == 1 && cb != NULL;
  if (notes[slot].has_status) notes[slot].status = aio_error(cb);
  __sync_synchronize();
  notes_ready[slot] = 1;
}

static void on_signal(int signo, siginfo_t *si, void *context) {
  int saved = errno;
  (void)context;
  record(1, signo, si->si_code, si->si_value.sival_int);
  errno = saved;
}

static void on_thread(union sigval value) { record(2, 0, 0, value.sival_int); }

static void notify_begin(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(NOTIFY_SIGNO, &sa, NULL);
}

static void set_notify(struct sigevent *se, int kind, int value) {
  memset(se, 0, sizeof *se);
  se->sigev_notify = kind;
  se->sigev_signo = NOTIFY_SIGNO;
  se->sigev_notify_function = on_thread;
  se->sigev_value.sival_int = value;
}

static const char *code_name(int code) {
  static char number[16];
  if (code == SI_ASYNCIO) return "SI_ASYNCIO";
  if (code == SI_QUEUE) return "SI_QUEUE";
  if (code == SI_USER) return "SI_USER";
  snprintf(number, sizeof number, "%d", code);
  return number;
}

/* Printed as aiospec logs them; not judged by this program. */
static void report_notifications(int k) {
  while (notes_printed < NOTES_MAX && notes_printed < notes_claimed &&
         notes_ready[notes_printed]) {
    const struct note *n = &notes[notes_printed++];
    if (n->kind == 1) {
      printf("   notify after=%d kind=signal signo=SIGRTMIN+%d code=%s value=%d",
             k, n->signo - SIGRTMIN, code_name(n->code), n->value);
    } else {
      printf("   notify after=%d kind=thread signo=0 code=0 value=%d", k, n->value);
    }
    if (n->has_status && n->status > 0) printf(" status=%s", errno_name(n->status));
    if (n->has_status && n->status <= 0) printf(" status=%d", n->status);
    printf("\n");
  }
  fflush(stdout);
}
)C";

// Needs: NOPS, op_text[], op_bound_ms[], file_names[] (with kFiles),
// HANG_SLACK_MS, scenario().
constexpr std::string_view kWatchdog = R"C(
/* ---- main: the scenario runs in a child; the parent bounds each op ------- */

static const char *signal_name(int signo) {
  static char other[32];
  switch (signo) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGABRT: return "SIGABRT";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGPIPE: return "SIGPIPE";
    case SIGSYS: return "SIGSYS";
    case SIGTRAP: return "SIGTRAP";
    default: break;
  }
  if (signo >= SIGRTMIN && signo <= SIGRTMAX) {
    snprintf(other, sizeof other, "SIGRTMIN+%d", signo - SIGRTMIN);
  } else {
    snprintf(other, sizeof other, "signal %d", signo);
  }
  return other;
}

static void clean_up(void) {
#ifdef HAVE_FILES
  int i;
  for (i = 0; file_names[i]; ++i) unlink(path_of(file_names[i]));
  rmdir(work_dir);
#endif
}

static const char *op_or_end(int k) {
  return k >= 0 && k < NOPS ? op_text[k] : "after the last op";
}

int main(void) {
  int progress[2], status, at = -1;
  pid_t child;
#ifdef HAVE_FILES
  if (!mkdtemp(work_dir)) {
    perror("mkdtemp");
    return 3;
  }
#endif
  if (pipe(progress) != 0) {
    perror("pipe");
    return 3;
  }
  fflush(stdout);
  child = fork();
  if (child < 0) {
    perror("fork");
    return 3;
  }
  if (child == 0) {
    /* Out of the way, so the scenario's descriptors are numbered from 3
     * as in aiospec's agent. */
    close(progress[0]);
    progress_fd = fcntl(progress[1], F_DUPFD_CLOEXEC, 100);
    close(progress[1]);
    scenario();
    finish(0);
  }
  close(progress[1]);
  for (;;) {
    int k, ready, bound = at >= 0 && at < NOPS ? op_bound_ms[at] : HANG_SLACK_MS;
    ssize_t got;
    struct pollfd pfd;
    pfd.fd = progress[0];
    pfd.events = POLLIN;
    pfd.revents = 0;
    ready = poll(&pfd, 1, bound);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      kill(child, SIGKILL);
      waitpid(child, &status, 0);
      clean_up();
      printf("FAIL: hung in op %d (%s): no progress within %d ms\n", at,
             op_or_end(at), bound);
      return 1;
    }
    got = read(progress[0], &k, sizeof k);
    if (got < 0 && errno == EINTR) continue;
    if (got != (ssize_t)sizeof k) break; /* the child is gone */
    at = k;
  }
  waitpid(child, &status, 0);
  clean_up();
  if (WIFSIGNALED(status)) {
    printf("FAIL: crashed with %s in op %d (%s)\n", signal_name(WTERMSIG(status)),
           at, op_or_end(at));
    return 1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}
)C";

}  // namespace

std::string_view CHelperText(CHelper helper) {
  switch (helper) {
    case CHelper::kJudge: return kJudge;
    case CHelper::kMakeBytes: return kMakeBytes;
    case CHelper::kFiles: return kFiles;
    case CHelper::kReadback: return kReadback;
    case CHelper::kNonBlocking: return kNonBlocking;
    case CHelper::kNbWrite: return kNbWrite;
    case CHelper::kFill: return kFill;
    case CHelper::kDrain: return kDrain;
    case CHelper::kWriteNow: return kWriteNow;
    case CHelper::kWait: return kWait;
    case CHelper::kNotify: return kNotify;
    case CHelper::kWatchdog: return kWatchdog;
  }
  return "";
}

}  // namespace aiospec
