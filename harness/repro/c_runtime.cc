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

/* How long before its timeout a timed-out aio_suspend returned (early=),
 * shown by the next observe() before its ret=, as aiospec's log writes it. */
static long long early_nanos;

/* What changed after `aio_return CB scribble` (touched=), shown likewise. */
static long long touched_bytes;

/* Two observations are the same when they differ at most in early='s
 * count, which no two runs share. */
static int same_observation(const char *a, const char *b) {
  const char *ea = strstr(a, " early="), *eb = strstr(b, " early=");
  if (!ea || !eb || ea - a != eb - b) return strcmp(a, b) == 0;
  if (strncmp(a, b, (size_t)(ea - a)) != 0) return 0;
  for (ea += 7; *ea >= '0' && *ea <= '9'; ++ea) {
  }
  for (eb += 7; *eb >= '0' && *eb <= '9'; ++eb) {
  }
  return strcmp(ea, eb) == 0;
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
  if (diverged_at >= 0 && same_observation(seen, recorded[k])) {
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
  } else if (recorded[k] && !same_observation(seen, recorded[k])) {
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

/* How an observation is compared with the recorded run's. */
enum {
  SAME_TEXT,    /* the same text, or the run took another path */
  SAME_SUCCESS, /* descriptor numbers may differ: only success counts */
  TIMING        /* counts that differ from run to run: shown, not compared */
};

/* Op k's observation as aiospec's log writes it: printed, judged at
 * FAIL_OP, and compared with the run aiospec recorded. */
static void observe_text(int k, const char *text, int compare) {
  printf("   -> %s\n", text);
  if (k == FAIL_OP && compare != TIMING) judge(k, text);
  if (recorded[k] && (compare == SAME_SUCCESS ? strstr(recorded[k], "ret=-1") != NULL
                                              : !same_observation(recorded[k], text))) {
    printf("      (the recorded run saw: %s)\n", recorded[k]);
    if (diverged_at < 0 && compare != TIMING) diverged_at = k;
  }
  fflush(stdout);
}

/* "ret=N", "ret=-1 errno=E", or a symbolic ret, as the log writes it. */
static void put_ret(struct text *t, int kind, long long ret, int err) {
  char number[64];
  put(t, " ret=");
  if (kind == RET_ERROR_STATUS && ret > 0) {
    put(t, errno_name((int)ret));
  } else if (kind == RET_CANCEL && ret != -1) {
    put(t, cancel_name(ret));
  } else {
    snprintf(number, sizeof number, "%lld", ret);
    put(t, number);
    if (ret == -1 && err != 0) {
      put(t, " errno=");
      put(t, errno_name(err));
    }
  }
}

/* The aiocb members the op changed (aiocb_changed), shown by the next
 * observe() before its ret=, as aiospec's model writes it. */
static char changed_members[128];

/* Op k's result; `data` is shown when ndata >= 0. */
static void observe(int k, const char *name, int kind, long long ret, int err,
                    const unsigned char *data, long long ndata) {
  struct text t;
  t.n = 0;
  t.s[0] = 0;
  put(&t, name);
  if (changed_members[0]) {
    put(&t, " changed=");
    put(&t, changed_members);
    changed_members[0] = 0;
  }
  if (early_nanos > 0) {
    char number[40];
    snprintf(number, sizeof number, " early=%lld", early_nanos);
    put(&t, number);
    early_nanos = 0;
  }
  if (touched_bytes > 0) {
    char number[40];
    snprintf(number, sizeof number, " touched=%lld", touched_bytes);
    put(&t, number);
    touched_bytes = 0;
  }
  put_ret(&t, kind, ret, err);
  if (ndata >= 0) {
    put(&t, " data=");
    put_bytes(&t, data, (size_t)ndata);
  }
  observe_text(k, t.s, kind == RET_DESCRIPTOR && ret >= 0 ? SAME_SUCCESS : SAME_TEXT);
}
)C";

constexpr std::string_view kAiocbWatch = R"C(
/* ---- The public aiocb members an aio_error or aio_cancel changed -------- */

/* aio_error must change none (AIO-ERROR-10), aio_cancel none of a request
 * it did not cancel (AIO-CANCEL-07); private members may change. */
struct aiocb_public {
  int fildes, reqprio, lio_opcode;
  off_t offset;
  volatile void *buf;
  size_t nbytes;
  struct sigevent sev;
};

static void aiocb_snapshot(const struct aiocb *cb, struct aiocb_public *s) {
  memset(s, 0, sizeof *s);
  s->fildes = cb->aio_fildes;
  s->reqprio = cb->aio_reqprio;
  s->lio_opcode = cb->aio_lio_opcode;
  s->offset = cb->aio_offset;
  s->buf = cb->aio_buf;
  s->nbytes = cb->aio_nbytes;
  s->sev = cb->aio_sigevent;
}

/* Sets changed_members to the members that differ from `before`. */
static void aiocb_changed(const struct aiocb *cb,
                          const struct aiocb_public *before) {
  static const char *const names[] = {"aio_fildes",  "aio_offset",
                                      "aio_buf",     "aio_nbytes",
                                      "aio_reqprio", "aio_sigevent",
                                      "aio_lio_opcode"};
  struct aiocb_public now;
  const struct sigevent *a, *b;
  int differs[7];
  int i;
  aiocb_snapshot(cb, &now);
  a = &now.sev;
  b = &before->sev;
  differs[0] = now.fildes != before->fildes;
  differs[1] = now.offset != before->offset;
  differs[2] = now.buf != before->buf;
  differs[3] = now.nbytes != before->nbytes;
  differs[4] = now.reqprio != before->reqprio;
  differs[5] = a->sigev_notify != b->sigev_notify ||
               a->sigev_signo != b->sigev_signo ||
               memcmp(&a->sigev_value, &b->sigev_value,
                      sizeof a->sigev_value) != 0 ||
               a->sigev_notify_function != b->sigev_notify_function ||
               a->sigev_notify_attributes != b->sigev_notify_attributes;
  differs[6] = now.lio_opcode != before->lio_opcode;
  changed_members[0] = 0;
  for (i = 0; i < 7; ++i) {
    if (!differs[i]) continue;
    if (changed_members[0]) strcat(changed_members, ",");
    strcat(changed_members, names[i]);
  }
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
/* readback NAME: the whole file, read by path in one pread, so that it is
 * one observation at one moment (see the agent's read_snapshot). *out is
 * malloc'ed. */
static long long read_file(const char *name, unsigned char **out) {
  struct stat st;
  size_t cap;
  ssize_t got = -1;
  int fd = open(path_of(name), O_RDONLY | O_CLOEXEC);
  *out = NULL;
  if (fd < 0) return -1;
  cap = fstat(fd, &st) == 0 ? (size_t)st.st_size + 65536 : 65536;
  for (;;) {
    unsigned char *bigger = realloc(*out, cap);
    if (!bigger) break;
    *out = bigger;
    do got = pread(fd, *out, cap, 0);
    while (got < 0 && errno == EINTR);
    if (got < 0 || (size_t)got < cap) break;
    cap *= 2;
  }
  close(fd);
  return (long long)got;
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

// Needs from the generated data section: failing_note ("" unless the
// finding is a notification) and FAILING_NOTE_ARRIVAL, allowed[], why[].
constexpr std::string_view kTimedSuspend = R"C(
/* ---- A timed aio_suspend, measured on CLOCK_MONOTONIC (AIO-SUSP-06) ---- */

/* aio_suspend, noting in early_nanos a timeout (-1/EAGAIN) that came
 * before timeout_ns had passed. */
static int timed_suspend(const struct aiocb *const list[], int n,
                         const struct timespec *ts, long long timeout_ns) {
  struct timespec t0, t1;
  long long elapsed;
  int ret, err;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  errno = 0;
  ret = aio_suspend(list, n, ts);
  err = errno;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  elapsed = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
  if (ret == -1 && err == EAGAIN && elapsed < timeout_ns) early_nanos = timeout_ns - elapsed;
  errno = err;
  return ret;
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
 * read the request's status; `mark` is where the records stood then. */
static struct { int value, mark; struct aiocb *cb; } tracked[TRACKED_MAX];
static volatile int ntracked;

static void record(int kind, int signo, int code, int value) {
  int slot = __sync_fetch_and_add(&notes_claimed, 1), i, matches = 0;
  struct aiocb *cb = NULL;
  if (slot >= NOTES_MAX) return;
  notes[slot].kind = kind;
  notes[slot].signo = signo;
  notes[slot].code = code;
  notes[slot].value = value;
  for (i = 0; i < ntracked; ++i) {
    if (tracked[i].value != value || (matches > 0 && tracked[i].cb == cb)) continue;
    ++matches; /* distinct aiocbs: a resubmitted one counts once */
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

static void notify_begin(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(NOTIFY_SIGNO, &sa, NULL);
}

static const char *code_name(int code) {
  static char number[16];
  if (code == SI_ASYNCIO) return "SI_ASYNCIO";
  if (code == SI_QUEUE) return "SI_QUEUE";
  if (code == SI_USER) return "SI_USER";
  snprintf(number, sizeof number, "%d", code);
  return number;
}

/* A record as aiospec's explanations describe it (without after=). */
static void describe_note(const struct note *n, struct text *t) {
  char piece[96];
  t->n = 0;
  t->s[0] = 0;
  if (n->kind == 1) {
    snprintf(piece, sizeof piece, "kind=signal signo=SIGRTMIN+%d code=%s value=%d",
             n->signo - SIGRTMIN, code_name(n->code), n->value);
  } else {
    snprintf(piece, sizeof piece, "kind=thread value=%d", n->value);
  }
  put(t, piece);
  if (n->has_status) {
    put(t, " status=");
    put(t, n->status == 0 ? "0" : errno_name(n->status));
  }
}

/* The records that arrived by the end of op k, printed; with a
 * notification finding, the one aiospec's model rejected is the FAIL. */
static void report_notifications(int k) {
  static int failing_seen;
  while (notes_printed < NOTES_MAX && notes_printed < notes_claimed &&
         notes_ready[notes_printed]) {
    struct text t;
    int i;
    describe_note(&notes[notes_printed++], &t);
    printf("   notify after=%d %s\n", k, t.s);
    if (strcmp(t.s, failing_note) != 0 || ++failing_seen < FAILING_NOTE_ARRIVAL) continue;
    printf("FAIL: during op %d (%s) the notification %s arrived (%d time%s); POSIX allows ",
           k, op_text[k], t.s, failing_seen, failing_seen == 1 ? "" : "s");
    for (i = 0; allowed[i]; ++i) printf("%s%s", i ? " or " : "", allowed[i]);
    printf("\n      %s\n", why);
    finish(1);
  }
  fflush(stdout);
}
)C";

// Needs: kNotify.
constexpr std::string_view kNotifyRequest = R"C(
/* What a request with notify=signal(V) or thread(V) is given. */
static void on_thread(union sigval value) { record(2, 0, 0, value.sival_int); }

static void set_notify(struct sigevent *se, int kind, int value) {
  memset(se, 0, sizeof *se);
  se->sigev_notify = kind;
  se->sigev_signo = NOTIFY_SIGNO;
  se->sigev_notify_function = on_thread;
  se->sigev_value.sival_int = value;
}

static void track(int value, struct aiocb *cb) {
  if (ntracked == TRACKED_MAX) return;
  tracked[ntracked].value = value;
  tracked[ntracked].cb = cb;
  tracked[ntracked].mark = notes_claimed;
  __sync_synchronize();
  ntracked = ntracked + 1;
}
)C";

// After kNotifyRequest, whose tracked aiocbs it forgets when present.
constexpr std::string_view kScribble = R"C(
/* ---- aio_return CB scribble: the aiocb and buffer are the program's ----- */

static size_t count_unscribbled(const unsigned char *p, size_t n) {
  size_t i, changed = 0;
  for (i = 0; i < n; ++i) changed += p[i] != '~';
  return changed;
}

/* Keeps the `shown` bytes the observation shows, overwrites the aiocb and
 * its buffer with '~', waits 1 ms for a late store or copy, and counts what
 * changed (AIO-GEN-21). Returns the kept bytes, valid until the next call. */
static const unsigned char *scribble(struct aiocb *cb, unsigned char *buf,
                                     size_t buf_size, long long shown) {
  static unsigned char *kept;
  struct timespec ms = {0, 1000000};
#ifdef TRACKED_MAX
  int i; /* a late notification must not read what is the program's again */
  for (i = 0; i < ntracked; ++i) {
    if (tracked[i].cb == cb) tracked[i].cb = NULL;
  }
  __sync_synchronize();
#endif
  free(kept);
  kept = malloc(shown > 0 ? (size_t)shown : 1);
  if (!kept) finish(3);
  if (shown > 0) memcpy(kept, buf, (size_t)shown);
  memset(cb, '~', sizeof *cb);
  memset(buf, '~', buf_size);
  while (nanosleep(&ms, &ms) != 0 && errno == EINTR) {
  }
  touched_bytes = (long long)(count_unscribbled((const unsigned char *)cb, sizeof *cb) +
                              count_unscribbled(buf, buf_size));
  return kept;
}
)C";

// Needs: kWait, kNotify.
constexpr std::string_view kWaitNotified = R"C(
/* Has the latest submission of cb had a notification of its own kind and
 * value since it was submitted? (1 when it asked for none.) */
static int notified(const struct aiocb *cb) {
  int kind = cb->aio_sigevent.sigev_notify == SIGEV_SIGNAL   ? 1
             : cb->aio_sigevent.sigev_notify == SIGEV_THREAD ? 2
                                                             : 0;
  int i, from = -1;
  for (i = 0; i < ntracked; ++i) {
    if (tracked[i].cb == cb) from = tracked[i].mark;
  }
  if (kind == 0 || from < 0) return 1;
  for (i = from; i < notes_claimed && i < NOTES_MAX; ++i) {
    if (notes_ready[i] && notes[i].kind == kind &&
        notes[i].value == cb->aio_sigevent.sigev_value.sival_int) {
      return 1;
    }
  }
  return 0;
}

/* wait ... until=notified: also until each listed request that asked for
 * a notification has had one since its submission. */
static int wait_notified(struct aiocb *const *cbs, int n, long long bound_ns, int *err) {
  const long long deadline = now_ns() + bound_ns;
  const struct timespec ms = {0, 1000000};
  int i, all;
  if (wait_for(cbs, n, bound_ns, err) != 0) return -1;
  for (;;) {
    for (i = 0, all = 1; i < n; ++i) all = all && notified(cbs[i]);
    if (all) return 0;
    if (bound_ns >= 0 && now_ns() >= deadline) {
      *err = ETIMEDOUT;
      return -1;
    }
    nanosleep(&ms, NULL);
  }
}
)C";

// Needs from the generated data section: the storm judge's tables
// (struct storm_fact {kind, cb, value} storm_allowed[], storm_rejected[],
// STORM_NONE_COMPLETE),
// FAIL_OP, allowed[], why[].
constexpr std::string_view kStorm = R"C(
/* ---- Signal storms (AIO-ASS-01): a timer signals the scenario's thread
 * `rate` times a second; the handler calls aio_error, aio_suspend with a
 * zero timeout and aio_return (once, on the cbs that may) on the watched
 * aiocbs, and remembers what they said. ---------------------------------- */

#define STORM_SIGNO (SIGRTMIN + 2)
#define STORM_MAX_CBS 64
#define STORM_MAX_SEEN 8
enum { CALL_ERROR = 1, CALL_SUSPEND = 2 };

/* What the handler saw of one watched aiocb. */
struct storm_cb {
  const char *name;
  struct aiocb *cb;
  int may_return;
  int nseen, seen[STORM_MAX_SEEN], seen_overflow; /* repeats collapsed */
  int returned;
  long long ret;
};

static struct {
  int active; /* the timer is armed */
  unsigned calls;
  int ncbs;
  struct storm_cb cbs[STORM_MAX_CBS];
  timer_t timer;
  struct sigaction old_action;
  sigset_t old_mask;
  unsigned long long interrupts, suspend_ok, suspend_eagain, suspend_eintr, suspend_other;
  int other_errno;
  volatile sig_atomic_t close_fd; /* `close=`: the handler closes it, once */
  volatile sig_atomic_t closed;
  long long close_ret;
  int close_err;
} storm = {.close_fd = -1};

static void storm_handler(int signo, siginfo_t *si, void *context) {
  const struct aiocb *list[STORM_MAX_CBS];
  struct timespec zero = {0, 0};
  int saved = errno, i, n = 0, r;
  (void)signo;
  (void)si;
  (void)context;
  ++storm.interrupts;
  if (storm.close_fd >= 0) { /* close from a signal handler (close=) */
    int fd = storm.close_fd;
    storm.close_fd = -1;
    errno = 0;
    storm.close_ret = close(fd);
    storm.close_err = storm.close_ret == 0 ? 0 : errno;
    storm.closed = 1;
  }
  for (i = 0; i < storm.ncbs; ++i) {
    struct storm_cb *c = &storm.cbs[i];
    if (c->returned) continue;
    if ((storm.calls & CALL_ERROR) || c->may_return) {
      int status = aio_error(c->cb);
      if (c->nseen == 0 || c->seen[c->nseen - 1] != status) {
        if (c->nseen < STORM_MAX_SEEN) {
          c->seen[c->nseen++] = status;
        } else {
          c->seen_overflow = 1;
        }
      }
      if (c->may_return && status != EINPROGRESS && status != -1) {
        c->ret = (long long)aio_return(c->cb);
        c->returned = 1;
        continue;
      }
    }
    list[n++] = c->cb;
  }
  if ((storm.calls & CALL_SUSPEND) && n > 0) {
    errno = 0;
    r = aio_suspend(list, n, &zero);
    if (r == 0) {
      ++storm.suspend_ok;
    } else if (r == -1 && errno == EAGAIN) {
      ++storm.suspend_eagain;
    } else if (r == -1 && errno == EINTR) {
      ++storm.suspend_eintr;
    } else if (storm.suspend_other++ == 0) {
      storm.other_errno = r == -1 ? errno : -1;
    }
  }
  errno = saved;
}

static void storm_watch(const char *name, struct aiocb *cb, int may_return) {
  struct storm_cb *c = &storm.cbs[storm.ncbs++];
  c->name = name;
  c->cb = cb;
  c->may_return = may_return;
}

/* storm on: the handler, then a timer aimed at this thread (Linux's
 * SIGEV_THREAD_ID), so the signal interrupts the ops that follow. */
static long long storm_on(int rate, unsigned calls, int *err) {
  struct sigaction sa;
  struct sigevent sev;
  struct itimerspec its;
  sigset_t set;
  long long period = 1000000000LL / rate;
  storm.calls = calls;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = storm_handler;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigemptyset(&set);
  sigaddset(&set, STORM_SIGNO);
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = STORM_SIGNO;
#ifdef sigev_notify_thread_id
  sev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
#else /* glibc before 2.41 names the field only internally */
  sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
#endif
  its.it_interval.tv_sec = (time_t)(period / 1000000000LL);
  its.it_interval.tv_nsec = (long)(period % 1000000000LL);
  its.it_value = its.it_interval;
  if (sigaction(STORM_SIGNO, &sa, &storm.old_action) != 0 ||
      pthread_sigmask(SIG_UNBLOCK, &set, &storm.old_mask) != 0 ||
      timer_create(CLOCK_MONOTONIC, &sev, &storm.timer) != 0 ||
      timer_settime(storm.timer, 0, &its, NULL) != 0) {
    *err = errno;
    return -1;
  }
  storm.active = 1;
  *err = 0;
  return 0;
}

/* storm on ... close=D: the storm, then wait (calling aio_error on a
 * watched aiocb, so the close interrupts an AIO call) until the handler has
 * closed fd; its result, or -1/ETIMEDOUT if no handler ran in 2 s (then
 * fd is closed here). */
static long long storm_on_close(int rate, unsigned calls, int fd, int *err) {
  struct timespec start, now;
  long long ret;
  storm.closed = 0;
  storm.close_fd = fd;
  ret = storm_on(rate, calls, err);
  if (ret != 0) {
    storm.close_fd = -1;
    close(fd);
    return ret;
  }
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (!storm.closed) {
    if (storm.ncbs > 0) aio_error(storm.cbs[0].cb);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec >= 2) {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, STORM_SIGNO);
      pthread_sigmask(SIG_BLOCK, &set, NULL);
      if (!storm.closed) {
        storm.close_fd = -1;
        close(fd);
        storm.close_ret = -1;
        storm.close_err = ETIMEDOUT;
        storm.closed = 1;
      }
      pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    }
  }
  *err = storm.close_err;
  return storm.close_ret;
}

static void put_status(struct text *t, int status) {
  char number[16];
  if (status > 0) {
    put(t, errno_name(status));
    return;
  }
  snprintf(number, sizeof number, "%d", status);
  put(t, number);
}

/* The storm record, as aiospec logs it. */
static void storm_text(struct text *t) {
  char piece[160];
  int i, j, any_return = 0;
  snprintf(piece, sizeof piece, "storm ret=%llu", storm.interrupts);
  t->n = 0;
  t->s[0] = 0;
  put(t, piece);
  if (storm.calls & CALL_ERROR) {
    put(t, " seen=");
    for (i = 0; i < storm.ncbs; ++i) {
      const struct storm_cb *c = &storm.cbs[i];
      if (i) put(t, ",");
      if (c->nseen == 0) put(t, "-");
      for (j = 0; j < c->nseen; ++j) {
        if (j) put(t, ">");
        put_status(t, c->seen[j]);
      }
      if (c->seen_overflow) put(t, ">...");
    }
  }
  if (storm.calls & CALL_SUSPEND) {
    snprintf(piece, sizeof piece, " suspend=0:%llu,EAGAIN:%llu,EINTR:%llu",
             storm.suspend_ok, storm.suspend_eagain, storm.suspend_eintr);
    put(t, piece);
    if (storm.suspend_other) {
      snprintf(piece, sizeof piece, ",%s:%llu",
               storm.other_errno > 0 ? errno_name(storm.other_errno) : "other",
               storm.suspend_other);
      put(t, piece);
    }
  }
  for (i = 0; i < storm.ncbs; ++i) any_return |= storm.cbs[i].returned;
  for (i = 0; any_return && i < storm.ncbs; ++i) {
    put(t, i ? "," : " returned=");
    if (storm.cbs[i].returned) {
      snprintf(piece, sizeof piece, "%lld", storm.cbs[i].ret);
      put(t, piece);
    } else {
      put(t, "-");
    }
  }
}

/* What the handlers showed of watched aiocb i: the final status their
 * aio_error saw (FINAL) or what their aio_return gave (RETURNED), if any. */
static int storm_shows(int kind, int i, long long *value) {
  const struct storm_cb *c = &storm.cbs[i];
  int j, shown = 0;
  if (kind == RETURNED) {
    *value = c->ret;
    return c->returned;
  }
  for (j = 0; j < c->nseen; ++j) {
    if (c->seen[j] == EINPROGRESS) continue;
    *value = c->seen[j];
    shown = 1;
  }
  return shown;
}

static int is_fact(const struct storm_fact *facts, int kind, int cb, long long value) {
  int j;
  for (j = 0; facts[j].cb >= 0; ++j) {
    if (facts[j].kind == kind && facts[j].cb == cb && facts[j].value == value) return 1;
  }
  return 0;
}

static int names_cb(const struct storm_fact *facts, int kind, int cb) {
  int j;
  for (j = 0; facts[j].cb >= 0; ++j) {
    if (facts[j].kind == kind && facts[j].cb == cb) return 1;
  }
  return 0;
}

/* "aio_error of 'r' = EBADF", "aio_return of 'r' = 4" */
static void storm_fact_text(char *out, size_t n, int kind, int i, long long value) {
  if (kind == RETURNED) {
    snprintf(out, n, "aio_return of '%s' = %lld", storm.cbs[i].name, value);
  } else {
    snprintf(out, n, "aio_error of '%s' = %s", storm.cbs[i].name,
             value == 0 ? "0" : errno_name((int)value));
  }
}

static void storm_verdict(int k, const char *verdict, const char *what) {
  int i;
  printf("%s: op %d (%s): %s; POSIX allows ", verdict, k, op_text[k], what);
  for (i = 0; allowed[i]; ++i) printf("%s%s", i ? " or " : "", allowed[i]);
  printf("\n      %s\n", why);
  finish(strcmp(verdict, "FAIL") == 0 ? 1 : 2);
}

/* The rules aiospec's model judged the storm record by (AIO-ASS-01 with
 * AIO-ERROR-08/09, AIO-RETURN-08, AIO-SUSP-02/13). A status path that goes
 * back to EINPROGRESS or changes its final value, and an aio_suspend
 * error, are FAILs in any run. The final status each aiocb may end in,
 * and what a handler's aio_return may give, depend on what the run did:
 * the model's list (storm_allowed) is PASS, what it rejected in the
 * recorded run (storm_rejected) FAIL; anything else, or nothing shown
 * where the model rejected something (the storm stopped first), is
 * INCONCLUSIVE. */
static void storm_judge(int k) {
  char what[200];
  int i, j, kind, unsure = 0;
  long long value;
  for (i = 0; i < storm.ncbs; ++i) {
    const struct storm_cb *c = &storm.cbs[i];
    int final = 1; /* none seen: 1 is no status aio_error returns */
    for (j = 0; j < c->nseen; ++j) {
      if (final != 1 && c->seen[j] != final) {
        snprintf(what, sizeof what, "a handler saw aio_error of '%s' change after %s",
                 c->name, final == 0 ? "0" : errno_name(final));
        storm_verdict(k, "FAIL", what);
      }
      if (c->seen[j] != EINPROGRESS) final = c->seen[j];
    }
  }
  if (STORM_NONE_COMPLETE && storm.suspend_ok > 0) {
    storm_verdict(k, "FAIL", "aio_suspend with a zero timeout returned 0 in a handler "
                             "before any watched request could complete");
  }
  if (storm.suspend_other > 0) storm_verdict(k, "FAIL", "aio_suspend in a handler failed otherwise");
  for (kind = FINAL; kind <= RETURNED; ++kind) {
    for (i = 0; i < storm.ncbs; ++i) {
      int shown = storm_shows(kind, i, &value);
      if (shown && is_fact(storm_rejected, kind, i, value)) {
        storm_fact_text(what, sizeof what, kind, i, value);
        strcat(what, ", as in the recorded run");
        storm_verdict(k, "FAIL", what);
      }
      if (!shown && names_cb(storm_rejected, kind, i)) {
        snprintf(what, sizeof what, "the handlers showed no %s of '%s' (the storm stopped "
                 "first); run it again", kind == FINAL ? "final status" : "aio_return",
                 storm.cbs[i].name);
        unsure = 1;
      } else if (shown && !is_fact(storm_allowed, kind, i, value) &&
                 (names_cb(storm_allowed, kind, i) || names_cb(storm_rejected, kind, i))) {
        storm_fact_text(what, sizeof what, kind, i, value);
        strcat(what, ", not what the model rejected; judge this run with aiospec");
        unsure = 1;
      }
    }
  }
  if (unsure) storm_verdict(k, "INCONCLUSIVE", what);
  printf("PASS: op %d: the storm's handlers saw what POSIX allows%s\n", k,
         diverged_at >= 0 ? " (an earlier op took another path: see above)" : "");
  finish(0);
}

/* storm off: no handler runs after the timer is deleted and the signals
 * still pending are consumed with the signal blocked. */
static void storm_off(int k) {
  struct text t;
  struct timespec zero = {0, 0};
  sigset_t set;
  (void)storm_on_close; /* used only by traces with close= */
  if (storm.active) timer_delete(storm.timer);
  storm.active = 0;
  sigemptyset(&set);
  sigaddset(&set, STORM_SIGNO);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  while (sigtimedwait(&set, NULL, &zero) == STORM_SIGNO) {
  }
  sigaction(STORM_SIGNO, &storm.old_action, NULL);
  pthread_sigmask(SIG_SETMASK, &storm.old_mask, NULL);
  storm_text(&t);
  observe_text(k, t.s, TIMING);
  if (k == FAIL_OP) storm_judge(k);
}
)C";

// Needs: progress_fd.
constexpr std::string_view kProc = R"C(
/* ---- Process events: fork, _exit and exec with requests in flight.
 * Between fork and _exit (or exec) a child of a process with AIO threads
 * may make only async-signal-safe calls (their locks may be held), so it
 * gets everything ready-made and reports with one write() of a fixed-size
 * message on a pipe. ------------------------------------------------------ */

#define CHILD_REPORT_MS 5000 /* a child answers within this */

struct child_report {
  long long a, b, cancel_ret, cancel_err;
};

static void send_report(int fd, long long a, long long b, long long c, long long d) {
  struct child_report m;
  m.a = a;
  m.b = b;
  m.cancel_ret = c;
  m.cancel_err = d;
  while (write(fd, &m, sizeof m) < 0 && errno == EINTR) {
  }
}

/* 0, or -1: no report within CHILD_REPORT_MS. */
static int take_report(int fd, struct child_report *m) {
  struct pollfd p;
  p.fd = fd;
  p.events = POLLIN;
  for (;;) {
    int n = poll(&p, 1, CHILD_REPORT_MS);
    ssize_t got;
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    got = read(fd, m, sizeof *m);
    if (got < 0 && errno == EINTR) continue;
    return got == (ssize_t)sizeof *m ? 0 : -1;
  }
}

/* Reaps pid within `ms` (killing it first when kill_now): 1, or 0. */
static int reap(pid_t pid, int ms, int kill_now) {
  const struct timespec one_ms = {0, 1000000};
  if (kill_now) kill(pid, SIGKILL);
  for (; ms >= 0; --ms) {
    pid_t got = waitpid(pid, NULL, WNOHANG);
    if (got == pid || (got < 0 && errno != EINTR)) return 1;
    nanosleep(&one_ms, NULL);
  }
  return 0;
}

/* The pipes to a child (go) and from it (report): 0, or -1 with errno. */
static int make_pipes(int *go, int *report) {
  return pipe(go) == 0 && pipe(report) == 0 ? 0 : -1;
}

/* fork, each side keeping its ends of the pipes; the watchdog's progress
 * pipe is closed in the child, so that only the scenario reports. */
static pid_t fork_child(int *go, int *report) {
  pid_t pid = fork();
  if (pid == 0) {
    close(progress_fd);
    close(go[1]);
    close(report[0]);
  } else {
    close(go[0]);
    close(report[1]);
  }
  return pid;
}
)C";

// Needs: kProc.
constexpr std::string_view kProcJoin = R"C(
/* The child of proc fork or proc exec, until proc join. */
static pid_t proc_child;
static int proc_go = -1, proc_report = -1; /* pipes to and from it */
static int proc_cancels;                   /* proc fork cancel= */
static int proc_ready = 1;                 /* 0: a probe not yet heard from */
static int proc_exec_err;                  /* why the probe cannot report */

#ifdef HAVE_EXEC_PROBE
static void take_probe_ready(void); /* proc exec */
#endif

/* proc join: the child's report, as "proc ret=0 filled=N notified=N" (and
 * "cancel=..."), or ret=-1 with why there is none. */
static void proc_join(int k) {
  struct child_report m;
  struct text t;
  char piece[96];
  int ok = 0, exec_err;
  if (proc_child > 0) {
    while (write(proc_go, "g", 1) < 0 && errno == EINTR) {
    }
#ifdef HAVE_EXEC_PROBE
    if (!proc_ready) take_probe_ready();
#endif
  }
  if (proc_child > 0) {
    ok = take_report(proc_report, &m) == 0;
    reap(proc_child, 2000, !ok);
    close(proc_go);
    close(proc_report);
    proc_child = 0;
  }
  exec_err = proc_exec_err;
  proc_exec_err = 0;
  t.n = 0;
  t.s[0] = 0;
  put(&t, "proc");
  if (!ok || exec_err != 0) {
    put_ret(&t, RET_NUMBER, -1, exec_err != 0 ? exec_err : ECHILD);
  } else {
    snprintf(piece, sizeof piece, " ret=0 filled=%lld notified=%lld", m.a, m.b);
    put(&t, piece);
    if (proc_cancels) {
      put(&t, " cancel=");
      put(&t, m.cancel_ret == -1 ? errno_name((int)m.cancel_err) : cancel_name(m.cancel_ret));
    }
  }
  observe_text(k, t.s, SAME_TEXT);
}
)C";

// Needs: kProcJoin, kNotify.
constexpr std::string_view kProcFork = R"C(
/* proc fork [watch=...] [cancel=D]: the child snapshots the watched read
 * buffers, calls aio_cancel(cancel_fd, NULL) when asked (it inherited no
 * request, AIO-PROC-14), closes its copies of the trace's descriptors
 * (which must not cancel the parent's requests, AIO-PROC-16), waits for
 * proc join, and reports how many watched buffers changed in its copy and
 * how many notifications it got. It never touches an aiocb (AIO-PROC-15). */
static long long proc_fork(unsigned char *const *bufs, const size_t *lens, int nbufs,
                           int cancel, int cancel_fd, const int *fds, int nfds,
                           int *err) {
  int go[2], report[2], i, before;
  long long cancel_ret = 0, cancel_err = 0, filled = 0;
  size_t total = 1, at;
  unsigned char *snap;
  char c;
  for (i = 0; i < nbufs; ++i) total += lens[i];
  snap = malloc(total); /* before fork: the child may not allocate */
  if (!snap || make_pipes(go, report) != 0) {
    *err = errno;
    free(snap);
    return -1;
  }
  proc_child = fork_child(go, report);
  if (proc_child != 0) {
    *err = errno;
    free(snap);
    if (proc_child < 0) return -1;
    proc_go = go[1];
    proc_report = report[0];
    proc_cancels = cancel;
    proc_ready = 1;
    return 0;
  }
  /* The child. Notifications it inherited count for the parent. */
  before = notes_claimed;
  for (i = 0, at = 0; i < nbufs; at += lens[i++]) memcpy(snap + at, bufs[i], lens[i]);
  if (cancel) {
    errno = 0;
    cancel_ret = aio_cancel(cancel_fd, NULL);
    cancel_err = cancel_ret == -1 ? errno : 0;
  }
  for (i = 0; i < nfds; ++i) {
    if (fds[i] >= 0) close(fds[i]);
  }
  while (read(go[0], &c, 1) < 0 && errno == EINTR) {
  }
  for (i = 0, at = 0; i < nbufs; at += lens[i++]) {
    filled += memcmp(snap + at, bufs[i], lens[i]) != 0;
  }
  send_report(report[1], filled, notes_claimed - before, cancel_ret, cancel_err);
  _exit(0);
}
)C";

// Needs: kProc.
constexpr std::string_view kChildSubmit = R"C(
/* In the child of proc exit or proc exec: its one request, and the result
 * as a report. */
static void child_submit(struct aiocb *cb, int is_write, int report) {
  long long r;
  errno = 0;
  r = is_write ? aio_write(cb) : aio_read(cb);
  send_report(report, r, errno, 0, 0);
}
)C";

// Needs: kChildSubmit.
constexpr std::string_view kProcExit = R"C(
/* proc exit: a child submits the one request on a descriptor it inherited
 * and calls _exit at once (AIO-PROC-07/08/09). The result is the child's
 * submission. _exit may wait for the request: such a child is left to
 * finish on its own. */
static long long proc_exit(struct aiocb *cb, int is_write, int *err) {
  int go[2], report[2];
  struct child_report m;
  pid_t pid;
  if (make_pipes(go, report) != 0) {
    *err = errno;
    return -1;
  }
  pid = fork_child(go, report);
  if (pid == 0) {
    child_submit(cb, is_write, report[1]);
    _exit(0);
  }
  *err = errno;
  if (pid < 0) return -1;
  close(go[1]);
  if (take_report(report[0], &m) != 0) {
    reap(pid, 2000, 1);
    close(report[0]);
    *err = ETIMEDOUT;
    return -1;
  }
  close(report[0]);
  reap(pid, 200, 0);
  *err = (int)m.b;
  return m.a;
}

)C";

// Needs: kProcJoin, kChildSubmit, kNotify (NOTIFY_SIGNO), HAVE_EXEC_PROBE.
constexpr std::string_view kExec = R"C(
/* ---- proc exec (AIO-PROC-10..13): a child submits one request and execs
 * this program again as a probe (main's --exec-probe), which maps the old
 * buffer's address if the new image left it free, lays a pattern there,
 * counts notification signals, and at proc join reports whether the
 * pattern changed and how many signals came: neither may happen. -------- */

#define PROBE_READY 0x70726f6265LL /* "probe": what answered is the probe */
#define PROBE_PATTERN 0xA5

static char self_exe[4096];

/* A request buffer on pages of its own, far from this image's data, so
 * that the exec'd image can map the same address. */
static unsigned char *map_pages(size_t n) {
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

/* The probe's ready message, or why there is none (proc_exec_err). */
static void take_probe_ready(void) {
  struct child_report m;
  m.a = m.b = 0;
  if (take_report(proc_report, &m) == 0 && m.a == PROBE_READY) {
    proc_ready = 1;
    if (!m.b) proc_exec_err = EADDRINUSE; /* the old address is taken */
    return;
  }
  proc_exec_err = m.a == -1 && m.b > 0 ? (int)m.b : ENOEXEC;
  reap(proc_child, 2000, 1);
  close(proc_go);
  close(proc_report);
  proc_child = 0;
}

/* The child's submission result; the probe's readiness is awaited for a
 * second, as exec may wait for the request (AIO-PROC-12). */
static long long proc_exec(struct aiocb *cb, int is_write, int *err) {
  int go[2], report[2];
  char args[4][32], probe_flag[] = "--exec-probe";
  char *argv[8];
  struct child_report m;
  struct pollfd p;
  ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
  self_exe[n > 0 ? n : 0] = 0;
  argv[0] = self_exe;
  argv[1] = probe_flag;
  argv[2] = args[0];
  argv[3] = args[1];
  argv[4] = args[2];
  argv[5] = args[3];
  argv[6] = NULL;
  if (make_pipes(go, report) != 0) {
    *err = errno;
    proc_exec_err = *err;
    return -1;
  }
  /* Formatted before fork: the child may not call snprintf. */
  snprintf(args[0], sizeof args[0], "%d", go[0]);
  snprintf(args[1], sizeof args[1], "%d", report[1]);
  snprintf(args[2], sizeof args[2], "%lu", (unsigned long)cb->aio_buf);
  snprintf(args[3], sizeof args[3], "%lu", (unsigned long)cb->aio_nbytes);
  proc_child = fork_child(go, report);
  if (proc_child == 0) {
    child_submit(cb, is_write, report[1]);
    if (n > 0) execv(self_exe, argv);
    send_report(report[1], -1, n > 0 ? errno : ENOEXEC, 0, 0);
    _exit(127);
  }
  *err = errno;
  if (proc_child < 0 || take_report(report[0], &m) != 0) {
    if (proc_child > 0) reap(proc_child, 2000, 1);
    if (proc_child > 0) *err = ETIMEDOUT;
    proc_exec_err = proc_child < 0 ? *err : ENOEXEC;
    if (proc_child > 0) {
      close(go[1]);
      close(report[0]);
    }
    proc_child = 0;
    return -1;
  }
  proc_go = go[1];
  proc_report = report[0];
  proc_ready = 0;
  proc_cancels = 0;
  p.fd = report[0];
  p.events = POLLIN;
  if (poll(&p, 1, 1000) > 0) take_probe_ready();
  *err = (int)m.b;
  return m.a;
}

static volatile sig_atomic_t probe_signals;

static void probe_on_signal(int signo) {
  (void)signo;
  probe_signals = probe_signals + 1;
}

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000 /* Linux 4.17; older kernels ignore it */
#endif

/* argv: --exec-probe GO REPORT ADDRESS LENGTH */
static int exec_probe(char **argv) {
  const int go = atoi(argv[2]), report = atoi(argv[3]);
  unsigned char *buf = (unsigned char *)strtoul(argv[4], NULL, 10);
  const size_t len = (size_t)strtoul(argv[5], NULL, 10);
  const unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE);
  const unsigned long start = (unsigned long)buf & ~(page - 1);
  const size_t span = (size_t)((((unsigned long)buf + len + page - 1) & ~(page - 1)) - start);
  struct sigaction sa;
  sigset_t set;
  long long filled = 0;
  size_t i;
  int mapped = len == 0;
  char c;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = probe_on_signal;
  sigemptyset(&sa.sa_mask);
  sigemptyset(&set);
  sigaddset(&set, NOTIFY_SIGNO);
  if (sigaction(NOTIFY_SIGNO, &sa, NULL) != 0 || sigprocmask(SIG_UNBLOCK, &set, NULL) != 0) {
    return 1;
  }
  if (!mapped) {
    void *got = mmap((void *)start, span, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    mapped = got == (void *)start;
    if (got != MAP_FAILED && !mapped) munmap(got, span);
  }
  if (mapped) memset(buf, PROBE_PATTERN, len);
  send_report(report, PROBE_READY, mapped, 0, 0);
  while (read(go, &c, 1) < 0 && errno == EINTR) {
  }
  for (i = 0; mapped && i < len; ++i) filled |= buf[i] != PROBE_PATTERN;
  send_report(report, filled, probe_signals, 0, 0);
  return 0;
}
)C";

constexpr std::string_view kHold = R"C(
/* ---- Holding syscalls on regular files (open ...+hold, hold wait/release).
 * A seccomp filter with a user-notification listener stops every read,
 * write and sync syscall on a descriptor number >= HOLD_FD_MIN; a held
 * descriptor is moved there, so an AIO worker's syscall on it (or on a
 * duplicate the library made of it) waits in the kernel until `hold
 * release` lets it run or fails it with an injected errno. A supervisor
 * thread parks the stopped syscalls and lets every other one run at once.
 * The kernel ABI is spelled out: musl-gcc has no kernel headers. -------- */

#define HOLD_FD_MIN 900
#define HOLD_FD_END 1000
#define HOLD_MAX_CALLS 64
enum { HOLD_READ, HOLD_WRITE, HOLD_FSYNC, HOLD_FDATASYNC };

struct hold_sock_filter {
  unsigned short code;
  unsigned char jt, jf;
  unsigned int k;
};
struct hold_sock_fprog {
  unsigned short len;
  struct hold_sock_filter *filter;
};
struct hold_seccomp_data {
  int nr;
  unsigned int arch;
  unsigned long long instruction_pointer;
  unsigned long long args[6];
};
struct hold_notif {
  unsigned long long id;
  unsigned int pid, flags;
  struct hold_seccomp_data data;
};
struct hold_notif_resp {
  unsigned long long id;
  long long val;
  int error;
  unsigned int flags;
};

#define HOLD_SET_MODE_FILTER 1          /* SECCOMP_SET_MODE_FILTER */
#define HOLD_FLAG_NEW_LISTENER (1u << 3) /* SECCOMP_FILTER_FLAG_NEW_LISTENER */
#define HOLD_FLAG_WAIT_KILLABLE (1u << 5) /* ..._WAIT_KILLABLE_RECV (5.19) */
#define HOLD_RESP_CONTINUE 1u           /* SECCOMP_USER_NOTIF_FLAG_CONTINUE */
#define HOLD_RET_ALLOW 0x7fff0000u
#define HOLD_RET_USER_NOTIF 0x7fc00000u
#define HOLD_IOCTL_RECV _IOWR('!', 0, struct hold_notif)
#define HOLD_IOCTL_SEND _IOWR('!', 1, struct hold_notif_resp)
#define HOLD_LD_W_ABS 0x20 /* BPF_LD | BPF_W | BPF_ABS */
#define HOLD_JEQ_K 0x15    /* BPF_JMP | BPF_JEQ | BPF_K */
#define HOLD_JGE_K 0x35    /* BPF_JMP | BPF_JGE | BPF_K */
#define HOLD_RET_K 0x06    /* BPF_RET | BPF_K */
#if defined(__x86_64__)
#define HOLD_AUDIT_ARCH 0xc000003eu
#elif defined(__aarch64__)
#define HOLD_AUDIT_ARCH 0xc00000b7u
#elif defined(__riscv) && __riscv_xlen == 64
#define HOLD_AUDIT_ARCH 0xc00000f3u
#endif

/* The held syscalls: what each is, where its offset is (-1: the file
 * position), whether args[1] is an iovec array of args[2] entries. */
static const struct {
  long nr;
  int kind, offset_arg, iovec;
} held_syscalls[] = {
#ifdef SYS_read
    {SYS_read, HOLD_READ, -1, 0},
#endif
#ifdef SYS_write
    {SYS_write, HOLD_WRITE, -1, 0},
#endif
#ifdef SYS_readv
    {SYS_readv, HOLD_READ, -1, 1},
#endif
#ifdef SYS_writev
    {SYS_writev, HOLD_WRITE, -1, 1},
#endif
    {SYS_pread64, HOLD_READ, 3, 0},
    {SYS_pwrite64, HOLD_WRITE, 3, 0},
    {SYS_preadv, HOLD_READ, 3, 1},
    {SYS_pwritev, HOLD_WRITE, 3, 1},
#ifdef SYS_preadv2
    {SYS_preadv2, HOLD_READ, 3, 1},
#endif
#ifdef SYS_pwritev2
    {SYS_pwritev2, HOLD_WRITE, 3, 1},
#endif
    {SYS_fsync, HOLD_FSYNC, -1, 0},
    {SYS_fdatasync, HOLD_FDATASYNC, -1, 0},
};
#define NHELD_SYSCALLS ((int)(sizeof held_syscalls / sizeof held_syscalls[0]))

/* A stopped syscall, parked until answered. */
struct parked {
  unsigned long long id;
  int fd; /* the held number it counts for */
  int kind;
  long long offset, len;
};

static pthread_mutex_t hold_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cv; /* on CLOCK_MONOTONIC, from hold_install */
static int hold_listener = -1, hold_err;
static int held_fds[HOLD_FD_END - HOLD_FD_MIN], nheld_fds;
static struct parked parked[HOLD_MAX_CALLS];
static int nparked;

static int hold_answer(unsigned long long id, int err) {
  struct hold_notif_resp r;
  memset(&r, 0, sizeof r);
  r.id = id;
  if (err != 0) {
    r.error = -err;
    r.val = -1;
  } else {
    r.flags = HOLD_RESP_CONTINUE;
  }
  while (ioctl(hold_listener, HOLD_IOCTL_SEND, &r) != 0) {
    if (errno != EINTR) return -1; /* ENOENT: the thread is gone */
  }
  return 0;
}

/* Does fd name the open file description of held (a duplicate of it)? */
static int same_file(int fd, int held) {
  struct stat a, b;
  long r = syscall(SYS_kcmp, (long)getpid(), (long)getpid(), 0L /* KCMP_FILE */, (long)fd,
                   (long)held);
  if (r >= 0) return r == 0;
  if (errno == EBADF) return 0;
  /* No kcmp here: the same inode will do. */
  return fstat(fd, &a) == 0 && fstat(held, &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

/* The held number that fd is, or names the same open file description
 * as (a library's private duplicate); -1: not held. */
static int held_for(int fd) {
  int i;
  for (i = 0; i < nheld_fds; ++i) {
    if (held_fds[i] == fd) return fd;
  }
  for (i = 0; i < nheld_fds; ++i) {
    if (same_file(fd, held_fds[i])) return held_fds[i];
  }
  return -1;
}

static void describe_call(const struct hold_notif *n, struct parked *p) {
  int i;
  unsigned long long k;
  p->id = n->id;
  p->offset = -1;
  p->len = 0;
  for (i = 0; i < NHELD_SYSCALLS; ++i) {
    if (held_syscalls[i].nr != n->data.nr) continue;
    p->kind = held_syscalls[i].kind;
    if (held_syscalls[i].offset_arg >= 0) {
      p->offset = (long long)n->data.args[held_syscalls[i].offset_arg];
    }
    if (held_syscalls[i].iovec) {
      /* The stopped thread is ours: its iovec is in this address space. */
      const struct iovec *iov = (const struct iovec *)(unsigned long)n->data.args[1];
      for (k = 0; k < n->data.args[2] && k < 1024; ++k) p->len += (long long)iov[k].iov_len;
    } else if (p->kind == HOLD_READ || p->kind == HOLD_WRITE) {
      p->len = (long long)n->data.args[2];
    }
    return;
  }
}

static void *supervise(void *unused) {
  (void)unused;
  for (;;) {
    struct hold_notif n;
    int held;
    memset(&n, 0, sizeof n);
    if (ioctl(hold_listener, HOLD_IOCTL_RECV, &n) != 0) {
      if (errno == EINTR || errno == ENOENT) continue;
      return NULL;
    }
    pthread_mutex_lock(&hold_mu);
    held = held_for((int)(unsigned int)n.data.args[0]);
    if (held < 0 || nparked == HOLD_MAX_CALLS) {
      hold_answer(n.id, 0);
    } else {
      parked[nparked].fd = held;
      describe_call(&n, &parked[nparked++]);
      pthread_cond_broadcast(&hold_cv);
    }
    pthread_mutex_unlock(&hold_mu);
  }
}

/* The filter, for this thread and the ones it creates later (so: before
 * the first AIO call), and its supervisor. hold_err says why not. */
static void hold_install(void) {
#ifndef HOLD_AUDIT_ARCH
  hold_err = ENOSYS;
#else
  /* Wrong arch or another syscall: allow. A held syscall on a number
   * >= HOLD_FD_MIN (the low word of args[0]) goes to the listener. */
  struct hold_sock_filter prog[8 + NHELD_SYSCALLS];
  struct hold_sock_fprog fprog;
  pthread_condattr_t attr;
  pthread_t t;
  long fd;
  int i, n = 0;
  prog[n++] = (struct hold_sock_filter){HOLD_LD_W_ABS, 0, 0,
                                        offsetof(struct hold_seccomp_data, arch)};
  prog[n++] = (struct hold_sock_filter){HOLD_JEQ_K, 0, NHELD_SYSCALLS + 1, HOLD_AUDIT_ARCH};
  prog[n++] = (struct hold_sock_filter){HOLD_LD_W_ABS, 0, 0,
                                        offsetof(struct hold_seccomp_data, nr)};
  for (i = 0; i < NHELD_SYSCALLS; ++i) { /* a match jumps to the fd check */
    prog[n++] = (struct hold_sock_filter){HOLD_JEQ_K, (unsigned char)(NHELD_SYSCALLS - i), 0,
                                          (unsigned int)held_syscalls[i].nr};
  }
  prog[n++] = (struct hold_sock_filter){HOLD_RET_K, 0, 0, HOLD_RET_ALLOW};
  prog[n++] = (struct hold_sock_filter){HOLD_LD_W_ABS, 0, 0,
                                        offsetof(struct hold_seccomp_data, args)};
  prog[n++] = (struct hold_sock_filter){HOLD_JGE_K, 0, 1, HOLD_FD_MIN};
  prog[n++] = (struct hold_sock_filter){HOLD_RET_K, 0, 0, HOLD_RET_USER_NOTIF};
  prog[n++] = (struct hold_sock_filter){HOLD_RET_K, 0, 0, HOLD_RET_ALLOW};
  fprog.len = (unsigned short)n;
  fprog.filter = prog;
  /* Without CAP_SYS_ADMIN the kernel wants no_new_privs. */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    hold_err = errno;
    return;
  }
  fd = syscall(SYS_seccomp, HOLD_SET_MODE_FILTER,
               HOLD_FLAG_NEW_LISTENER | HOLD_FLAG_WAIT_KILLABLE, &fprog);
  if (fd < 0 && errno == EINVAL) { /* a kernel before 5.19 */
    fd = syscall(SYS_seccomp, HOLD_SET_MODE_FILTER, HOLD_FLAG_NEW_LISTENER, &fprog);
  }
  if (fd < 0) {
    hold_err = errno;
    return;
  }
  hold_listener = (int)fd;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&hold_cv, &attr);
  pthread_condattr_destroy(&attr);
  errno = pthread_create(&t, NULL, supervise, NULL);
  if (errno != 0) {
    hold_err = errno;
    return;
  }
  pthread_detach(t);
#endif
}

/* open ...+hold: fd moved into the held range, or -1 with errno. */
static int hold_move(int fd) {
  int moved;
  if (hold_err != 0) {
    close(fd);
    errno = hold_err;
    return -1;
  }
  moved = fcntl(fd, F_DUPFD_CLOEXEC, HOLD_FD_MIN);
  if (moved < 0) return -1;
  close(fd);
  pthread_mutex_lock(&hold_mu);
  held_fds[nheld_fds++] = moved;
  pthread_mutex_unlock(&hold_mu);
  return moved;
}

/* The record of a hold op: "hold ret=N calls=write@0:8,fsync". */
static void hold_text(struct text *t, long long ret, int err, const struct parked *calls) {
  static const char *const kinds[] = {"read", "write", "fsync", "fdatasync"};
  char piece[64];
  int i;
  t->n = 0;
  t->s[0] = 0;
  put(t, "hold");
  put_ret(t, RET_NUMBER, ret, err);
  for (i = 0; i < ret; ++i) {
    put(t, i == 0 ? " calls=" : ",");
    put(t, kinds[calls[i].kind]);
    if (calls[i].kind != HOLD_READ && calls[i].kind != HOLD_WRITE) continue;
    if (calls[i].offset < 0) {
      snprintf(piece, sizeof piece, "@-:%lld", calls[i].len);
    } else {
      snprintf(piece, sizeof piece, "@%lld:%lld", calls[i].offset, calls[i].len);
    }
    put(t, piece);
  }
}

static int list_parked(int fd, struct parked *out) {
  int i, n = 0;
  for (i = 0; i < nparked; ++i) {
    if (parked[i].fd == fd) out[n++] = parked[i];
  }
  return n;
}

/* hold wait D count=N timeout=T: until N syscalls on fd are stopped. */
static void hold_wait(int k, int fd, int count, long long timeout_ns) {
  struct parked calls[HOLD_MAX_CALLS];
  struct text t;
  struct timespec until;
  long long ns;
  int n;
  if (hold_listener < 0) {
    hold_text(&t, -1, ENOSYS, NULL);
    observe_text(k, t.s, SAME_TEXT);
    return;
  }
  clock_gettime(CLOCK_MONOTONIC, &until);
  ns = until.tv_nsec + timeout_ns % 1000000000LL;
  until.tv_sec += (time_t)(timeout_ns / 1000000000LL + ns / 1000000000LL);
  until.tv_nsec = (long)(ns % 1000000000LL);
  pthread_mutex_lock(&hold_mu);
  while (list_parked(fd, calls) < count &&
         pthread_cond_timedwait(&hold_cv, &hold_mu, &until) != ETIMEDOUT) {
  }
  n = list_parked(fd, calls);
  pthread_mutex_unlock(&hold_mu);
  hold_text(&t, n, 0, calls);
  observe_text(k, t.s, SAME_TEXT);
}

/* hold release D [all] [errno=E]: the oldest stopped syscall on fd (or
 * all) runs, or fails with err. */
static void hold_release(int k, int fd, int all, int err) {
  struct parked calls[HOLD_MAX_CALLS];
  struct text t;
  int i, n = 0, kept = 0;
  if (hold_listener < 0) {
    hold_text(&t, -1, ENOSYS, NULL);
    observe_text(k, t.s, SAME_TEXT);
    return;
  }
  pthread_mutex_lock(&hold_mu);
  for (i = 0; i < nparked; ++i) {
    if (parked[i].fd == fd && (all || n == 0)) {
      if (hold_answer(parked[i].id, err) == 0) calls[n++] = parked[i];
      continue;
    }
    parked[kept++] = parked[i];
  }
  nparked = kept;
  pthread_mutex_unlock(&hold_mu);
  hold_text(&t, n, 0, calls);
  observe_text(k, t.s, SAME_TEXT);
}

/* At the end: every stopped syscall runs. */
static void hold_release_all(void) {
  int i;
  pthread_mutex_lock(&hold_mu);
  for (i = 0; i < nparked; ++i) hold_answer(parked[i].id, 0);
  nparked = 0;
  pthread_mutex_unlock(&hold_mu);
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

int main(int argc, char **argv) {
  int progress[2], status, at = -1;
  pid_t child;
#ifdef HAVE_EXEC_PROBE
  if (argc == 6 && strcmp(argv[1], "--exec-probe") == 0) return exec_probe(argv);
#else
  (void)argc;
  (void)argv;
#endif
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
  /* A process group of its own (set on both sides, whichever runs first):
   * the scenario's own children (proc ops) go with it, so none outlives
   * the run. */
  if (child == 0) setpgid(0, 0);
  if (child > 0) setpgid(child, child);
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
      kill(-child, SIGKILL);
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
  kill(-child, SIGKILL); /* a proc exit child still in _exit, say */
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
    case CHelper::kAiocbWatch: return kAiocbWatch;
    case CHelper::kMakeBytes: return kMakeBytes;
    case CHelper::kFiles: return kFiles;
    case CHelper::kReadback: return kReadback;
    case CHelper::kNonBlocking: return kNonBlocking;
    case CHelper::kNbWrite: return kNbWrite;
    case CHelper::kFill: return kFill;
    case CHelper::kDrain: return kDrain;
    case CHelper::kWriteNow: return kWriteNow;
    case CHelper::kWait: return kWait;
    case CHelper::kTimedSuspend: return kTimedSuspend;
    case CHelper::kScribble: return kScribble;
    case CHelper::kNotify: return kNotify;
    case CHelper::kHold: return kHold;
    case CHelper::kNotifyRequest: return kNotifyRequest;
    case CHelper::kProc: return kProc;
    case CHelper::kProcJoin: return kProcJoin;
    case CHelper::kProcFork: return kProcFork;
    case CHelper::kChildSubmit: return kChildSubmit;
    case CHelper::kProcExit: return kProcExit;
    case CHelper::kExec: return kExec;
    case CHelper::kStorm: return kStorm;
    case CHelper::kWaitNotified: return kWaitNotified;
    case CHelper::kWatchdog: return kWatchdog;
  }
  return "";
}

}  // namespace aiospec
