/* Holding syscalls with a seccomp user-notification filter (hold.h).
 *
 * The filter stops every held syscall (read, write, sync) on a descriptor
 * number >= AIOSPEC_HOLD_FD_MIN. The agent keeps its own descriptors below
 * that; above it are the held descriptors (moved into [MIN, END)) and the
 * private duplicates an AIO implementation may make of them (the bundled one
 * does its I/O on such duplicates, high up), which must be held too.
 *
 * A supervisor thread receives every notification at once. A syscall on a
 * held number, or on another number that names the same open file
 * description (kcmp KCMP_FILE; the same inode where kcmp is unavailable),
 * is parked under that held number; any other is let run at once, so a
 * private duplicate of a file that is not held never waits for an op.
 *
 * State, under g_mu (never touched by a signal handler):
 *  - g_listener: the listener descriptor, -1 before the filter exists;
 *  - g_held[0, g_nheld): the held numbers, as aiospec_hold_move made them;
 *  - g_parked[0, g_nparked): notifications received and not yet answered,
 *    in the order received (the oldest first), with the held number they
 *    count for and what they asked for; g_cv is signalled on each new one.
 * A parked entry is removed exactly when it is answered. A notification
 * whose thread went away (killed) cannot be answered (ENOENT) and is
 * dropped as well. The filter uses SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
 * where the kernel has it, so a received syscall is not restarted by a
 * signal (which would stop it a second time under a new id).
 *
 * A forked child keeps the filter but not the supervisor: it must not make
 * a held syscall on a number >= MIN (the agent's children only close).
 * Under qemu-user the seccomp syscall fails (ENOSYS); holds are then
 * unavailable and aiospec_hold_install says so.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "harness/agent/hold.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* The kernel's seccomp ABI (linux/seccomp.h, linux/filter.h), spelled out:
 * musl-gcc has no kernel headers. */
struct hold_sock_filter {
  uint16_t code;
  uint8_t jt, jf;
  uint32_t k;
};
struct hold_sock_fprog {
  unsigned short len;
  struct hold_sock_filter *filter;
};
struct hold_seccomp_data {
  int32_t nr;
  uint32_t arch;
  uint64_t instruction_pointer;
  uint64_t args[6];
};
struct hold_notif {
  uint64_t id;
  uint32_t pid;
  uint32_t flags;
  struct hold_seccomp_data data;
};
struct hold_notif_resp {
  uint64_t id;
  int64_t val;
  int32_t error;
  uint32_t flags;
};

enum {
  kSetModeFilter = 1,             /* SECCOMP_SET_MODE_FILTER */
  kFlagNewListener = 1u << 3,     /* SECCOMP_FILTER_FLAG_NEW_LISTENER */
  kFlagWaitKillable = 1u << 5,    /* SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV */
  kRespContinue = 1u << 0         /* SECCOMP_USER_NOTIF_FLAG_CONTINUE */
};
#define HOLD_RET_ALLOW 0x7fff0000u      /* SECCOMP_RET_ALLOW */
#define HOLD_RET_USER_NOTIF 0x7fc00000u /* SECCOMP_RET_USER_NOTIF */
#define HOLD_IOCTL_RECV _IOWR('!', 0, struct hold_notif)
#define HOLD_IOCTL_SEND _IOWR('!', 1, struct hold_notif_resp)

#if defined(__x86_64__)
#define HOLD_AUDIT_ARCH 0xc000003eu
#elif defined(__aarch64__)
#define HOLD_AUDIT_ARCH 0xc00000b7u
#elif defined(__riscv) && __riscv_xlen == 64
#define HOLD_AUDIT_ARCH 0xc00000f3u
#endif

/* BPF opcodes (linux/bpf_common.h). */
#define HOLD_LD_W_ABS 0x20  /* BPF_LD | BPF_W | BPF_ABS */
#define HOLD_JEQ_K 0x15     /* BPF_JMP | BPF_JEQ | BPF_K */
#define HOLD_JGE_K 0x35     /* BPF_JMP | BPF_JGE | BPF_K */
#define HOLD_RET_K 0x06     /* BPF_RET | BPF_K */

struct parked {
  uint64_t id;
  int fd;
  struct aiospec_hold_call call;
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv;
static int g_listener = -1;
static int g_held[AIOSPEC_HOLD_FD_END - AIOSPEC_HOLD_FD_MIN];
static int g_nheld;
static struct parked g_parked[AIOSPEC_HOLD_MAX_CALLS];
static int g_nparked;

/* The held syscalls this architecture has, and what each one is. */
static const struct {
  long nr;
  int kind;
  int offset_arg; /* -1: the file position */
  int iovec;      /* args[1] is an iovec array of args[2] entries */
} kHeld[] = {
#ifdef SYS_read
    {SYS_read, AIOSPEC_HOLD_READ, -1, 0},
#endif
#ifdef SYS_write
    {SYS_write, AIOSPEC_HOLD_WRITE, -1, 0},
#endif
#ifdef SYS_readv
    {SYS_readv, AIOSPEC_HOLD_READ, -1, 1},
#endif
#ifdef SYS_writev
    {SYS_writev, AIOSPEC_HOLD_WRITE, -1, 1},
#endif
    {SYS_pread64, AIOSPEC_HOLD_READ, 3, 0},
    {SYS_pwrite64, AIOSPEC_HOLD_WRITE, 3, 0},
    {SYS_preadv, AIOSPEC_HOLD_READ, 3, 1},
    {SYS_pwritev, AIOSPEC_HOLD_WRITE, 3, 1},
#ifdef SYS_preadv2
    {SYS_preadv2, AIOSPEC_HOLD_READ, 3, 1},
#endif
#ifdef SYS_pwritev2
    {SYS_pwritev2, AIOSPEC_HOLD_WRITE, 3, 1},
#endif
    {SYS_fsync, AIOSPEC_HOLD_FSYNC, -1, 0},
    {SYS_fdatasync, AIOSPEC_HOLD_FDATASYNC, -1, 0},
};
enum { kNumHeld = sizeof kHeld / sizeof kHeld[0] };

static void *supervise(void *unused);

int aiospec_hold_install(void) {
#ifndef HOLD_AUDIT_ARCH
  errno = ENOSYS;
  return -1;
#else
  if (g_listener >= 0) return 0;
  /* Wrong arch or another syscall: allow (index 3+K). A held syscall goes
   * to the fd check (4+K): the low word of args[0] >= MIN is stopped
   * (6+K), anything else allowed (7+K). Jumps go forward only. */
  enum { K = kNumHeld };
  struct hold_sock_filter prog[8 + K];
  int n = 0;
  prog[n++] = (struct hold_sock_filter){HOLD_LD_W_ABS, 0, 0,
                                        offsetof(struct hold_seccomp_data, arch)};
  prog[n++] = (struct hold_sock_filter){HOLD_JEQ_K, 0, K + 1, HOLD_AUDIT_ARCH};
  prog[n++] = (struct hold_sock_filter){HOLD_LD_W_ABS, 0, 0,
                                        offsetof(struct hold_seccomp_data, nr)};
  for (int i = 0; i < K; ++i) {
    prog[n++] = (struct hold_sock_filter){HOLD_JEQ_K, (uint8_t)(K - i), 0,
                                          (uint32_t)kHeld[i].nr};
  }
  prog[n++] = (struct hold_sock_filter){HOLD_RET_K, 0, 0, HOLD_RET_ALLOW};
  prog[n++] = (struct hold_sock_filter){HOLD_LD_W_ABS, 0, 0,
                                        offsetof(struct hold_seccomp_data, args)};
  prog[n++] = (struct hold_sock_filter){HOLD_JGE_K, 0, 1, AIOSPEC_HOLD_FD_MIN};
  prog[n++] = (struct hold_sock_filter){HOLD_RET_K, 0, 0, HOLD_RET_USER_NOTIF};
  prog[n++] = (struct hold_sock_filter){HOLD_RET_K, 0, 0, HOLD_RET_ALLOW};
  struct hold_sock_fprog fprog = {(unsigned short)n, prog};
  /* Without CAP_SYS_ADMIN the kernel wants no_new_privs; it is harmless. */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  long fd = syscall(SYS_seccomp, kSetModeFilter,
                    kFlagNewListener | kFlagWaitKillable, &fprog);
  if (fd < 0 && errno == EINVAL) {  /* a kernel before 5.19 */
    fd = syscall(SYS_seccomp, kSetModeFilter, kFlagNewListener, &fprog);
  }
  if (fd < 0) return -1;
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&g_cv, &attr);
  pthread_condattr_destroy(&attr);
  g_listener = (int)fd;
  pthread_t t;
  int rc = pthread_create(&t, NULL, supervise, NULL);
  if (rc != 0) {
    errno = rc;
    return -1;
  }
  pthread_detach(t);
  return 0;
#endif
}

int aiospec_hold_move(int fd) {
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, AIOSPEC_HOLD_FD_MIN);
  if (moved < 0) return -1;
  if (moved >= AIOSPEC_HOLD_FD_END) {
    close(moved);
    errno = EMFILE;
    return -1;
  }
  close(fd);
  pthread_mutex_lock(&g_mu);
  int i = 0;
  while (i < g_nheld && g_held[i] != moved) ++i;
  if (i == g_nheld) g_held[g_nheld++] = moved;
  pthread_mutex_unlock(&g_mu);
  return moved;
}

/* What a received notification asks for (it is one of kHeld). */
static void describe(const struct hold_notif *n, int held, struct parked *p) {
  p->id = n->id;
  p->fd = held;
  memset(&p->call, 0, sizeof p->call);
  p->call.offset = -1;
  for (int i = 0; i < kNumHeld; ++i) {
    if (kHeld[i].nr != n->data.nr) continue;
    p->call.kind = kHeld[i].kind;
    if (kHeld[i].offset_arg >= 0) {
      p->call.offset = (long long)n->data.args[kHeld[i].offset_arg];
    }
    if (kHeld[i].iovec) {
      /* The stopped thread is ours: its iovec is in this address space,
       * and stays put while the thread waits for the answer. */
      const struct iovec *iov =
          (const struct iovec *)(uintptr_t)n->data.args[1];
      for (uint64_t k = 0; k < n->data.args[2] && k < 1024; ++k) {
        p->call.len += (long long)iov[k].iov_len;
      }
    } else if (p->call.kind == AIOSPEC_HOLD_READ ||
               p->call.kind == AIOSPEC_HOLD_WRITE) {
      p->call.len = (long long)n->data.args[2];
    }
    return;
  }
}

static int send_answer(uint64_t id, int err) {
  struct hold_notif_resp r;
  memset(&r, 0, sizeof r);
  r.id = id;
  if (err != 0) {
    r.error = -err;
    r.val = -1;
  } else {
    r.flags = kRespContinue;
  }
  while (ioctl(g_listener, HOLD_IOCTL_SEND, &r) != 0) {
    if (errno != EINTR) return -1; /* ENOENT: the thread is gone */
  }
  return 0;
}

/* Receives what has arrived, waiting up to millis for the first. A full
 * table lets the extra syscalls run at once (a trace never holds that
 * many; running them is what an unheld descriptor would do). */
/* Does fd name the open file description of held (a duplicate of it)? */
static int same_file(int fd, int held) {
  long r = syscall(SYS_kcmp, (long)getpid(), (long)getpid(), 0L /* KCMP_FILE */,
                   (long)fd, (long)held);
  if (r >= 0) return r == 0;
  if (errno == EBADF) return 0;
  struct stat a, b; /* no kcmp here: the same inode will do */
  return fstat(fd, &a) == 0 && fstat(held, &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

/* The held number a stopped syscall on fd counts for, or -1: not held. */
static int held_for_locked(int fd) {
  for (int i = 0; i < g_nheld; ++i) {
    if (g_held[i] == fd) return fd;
  }
  for (int i = 0; i < g_nheld; ++i) {
    if (same_file(fd, g_held[i])) return g_held[i];
  }
  return -1;
}

static void *supervise(void *unused) {
  (void)unused;
  for (;;) {
    struct hold_notif n;
    memset(&n, 0, sizeof n);
    if (ioctl(g_listener, HOLD_IOCTL_RECV, &n) != 0) {
      if (errno == EINTR || errno == ENOENT) continue;
      return NULL;
    }
    pthread_mutex_lock(&g_mu);
    const int held = held_for_locked((int)(uint32_t)n.data.args[0]);
    if (held < 0 || g_nparked == AIOSPEC_HOLD_MAX_CALLS) {
      send_answer(n.id, 0);
    } else {
      describe(&n, held, &g_parked[g_nparked++]);
      pthread_cond_broadcast(&g_cv);
    }
    pthread_mutex_unlock(&g_mu);
  }
}

static long long now_nanos(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int list_parked(int fd, struct aiospec_hold_call *out) {
  int n = 0;
  for (int i = 0; i < g_nparked; ++i) {
    if (g_parked[i].fd == fd) out[n++] = g_parked[i].call;
  }
  return n;
}

int aiospec_hold_wait(int fd, int count, long long nanos,
                      struct aiospec_hold_call *out) {
  if (g_listener < 0) {
    errno = ENOSYS;
    return -1;
  }
  const long long deadline = now_nanos() + nanos;
  const struct timespec until = {(time_t)(deadline / 1000000000),
                                 (long)(deadline % 1000000000)};
  pthread_mutex_lock(&g_mu);
  while (list_parked(fd, out) < count &&
         pthread_cond_timedwait(&g_cv, &g_mu, &until) != ETIMEDOUT) {
  }
  const int n = list_parked(fd, out);
  pthread_mutex_unlock(&g_mu);
  return n;
}

int aiospec_hold_release(int fd, int err, int all,
                         struct aiospec_hold_call *out) {
  if (g_listener < 0) {
    errno = ENOSYS;
    return -1;
  }
  pthread_mutex_lock(&g_mu);
  int n = 0, kept = 0;
  for (int i = 0; i < g_nparked; ++i) {
    struct parked p = g_parked[i];
    if (p.fd == fd && (all || n == 0)) {
      if (send_answer(p.id, err) == 0) out[n++] = p.call;
      continue;
    }
    g_parked[kept++] = p;
  }
  g_nparked = kept;
  pthread_mutex_unlock(&g_mu);
  return n;
}

void aiospec_hold_release_all(void) {
  if (g_listener < 0) return;
  pthread_mutex_lock(&g_mu);
  for (int i = 0; i < g_nparked; ++i) send_answer(g_parked[i].id, 0);
  g_nparked = 0;
  pthread_mutex_unlock(&g_mu);
}
