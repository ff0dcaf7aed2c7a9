/* Notification records (see notify.h).
 *
 * Writers are the signal handler (on any thread, possibly interrupting the
 * main thread) and SIGEV_THREAD functions (on threads the C library makes);
 * the only reader is the agent's main thread. No locks, no allocation:
 *
 * Record log invariants:
 *  - g_reserved counts slots handed out; a writer owns slot s = the value
 *    its fetch_add returned, and no one else ever writes slot s in this run.
 *  - g_ring[s].ready becomes 1 (release) only after the record's fields are
 *    written; the reader copies a slot only after seeing ready (acquire).
 *  - the reader consumes slots in order; a slot reserved but not yet ready
 *    stops it until a later call, so records are reported in reservation
 *    order and none is skipped.
 *  - past kRingSize slots, writers count a drop and write nothing.
 *  - only aiospec_notify_begin resets the log, when the caller guarantees
 *    no notification of an earlier run can still arrive (it brought every
 *    request to rest and waited for stragglers at the end of that run).
 *
 * Value table invariants:
 *  - only the main thread writes it; entries [0, g_track_count) are
 *    initialized before g_track_count is published (release), so a handler
 *    that loads the count (acquire) reads only initialized entries.
 *  - an entry is retired (live = 0) when its aiocb is about to be reused or
 *    its submission failed; entries are never removed before notify_end.
 *  - g_handlers_active counts handlers between their first and last touch
 *    of the table; notify_end empties the table and then waits for it to be
 *    zero, so once it returns no handler dereferences an old aiocb.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "harness/agent/notify.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "harness/agent/wire.h"

enum { kRingSize = 4096, kTableSize = 4096 };

struct ring_slot {
  struct aiospec_notify_record record;
  int ready;
};

struct track_entry {
  int value;
  int live;
  const struct aiocb *cb;
};

static struct ring_slot g_ring[kRingSize];
static unsigned g_reserved;
static unsigned g_dropped;
static unsigned g_read_cursor; /* main thread only */

static struct track_entry g_table[kTableSize];
static unsigned g_track_count;
static int g_table_overflow;
static int g_handlers_active;
static const struct aiospec_aio_ops *g_ops;

int aiospec_notify_signo(void) { return SIGRTMIN + 1; }

int aiospec_notify_rt_valid(int rt) {
  return rt == 1 || (rt >= 3 && rt <= AIOSPEC_WIRE_NOTIFY_RT_MAX);
}

/* Trace threads by index: written by each thread for itself before the
 * trace gives it work, read by handlers (pthread_equal only). */
enum { kMaxNamedThreads = AIOSPEC_WIRE_MAX_THREADS };
static pthread_t g_main;
static pthread_t g_threads[kMaxNamedThreads];
static int g_thread_named[kMaxNamedThreads];

void aiospec_notify_name_thread(int k) {
  if (k < 0 || k >= kMaxNamedThreads) return;
  g_threads[k] = pthread_self();
  __atomic_store_n(&g_thread_named[k], 1, __ATOMIC_RELEASE);
}

static int which_thread(void) {
  pthread_t self = pthread_self();
  if (pthread_equal(self, g_main)) return AIOSPEC_NOTIFY_MAIN;
  for (int k = 0; k < kMaxNamedThreads; ++k) {
    if (__atomic_load_n(&g_thread_named[k], __ATOMIC_ACQUIRE) &&
        pthread_equal(self, g_threads[k])) {
      return k;
    }
  }
  return AIOSPEC_NOTIFY_OTHER;
}

/* The status of the one live request that notifies with `value`. */
static void lookup_status(int value, struct aiospec_notify_record *r) {
  __atomic_add_fetch(&g_handlers_active, 1, __ATOMIC_SEQ_CST);
  unsigned n = __atomic_load_n(&g_track_count, __ATOMIC_SEQ_CST);
  const struct aiospec_aio_ops *ops = __atomic_load_n(&g_ops, __ATOMIC_ACQUIRE);
  const struct aiocb *match = NULL;
  int matches = 0;
  for (unsigned i = 0; i < n && i < kTableSize; ++i) {
    if (!__atomic_load_n(&g_table[i].live, __ATOMIC_ACQUIRE)) continue;
    if (g_table[i].value != value) continue;
    if (matches == 0 || g_table[i].cb != match) ++matches;
    match = g_table[i].cb;
  }
  if (matches == 1 && match != NULL && ops != NULL &&
      !__atomic_load_n(&g_table_overflow, __ATOMIC_ACQUIRE)) {
    r->has_status = 1;
    r->status = ops->aio_error(match);
  }
  __atomic_sub_fetch(&g_handlers_active, 1, __ATOMIC_SEQ_CST);
}

static void append_record(const struct aiospec_notify_record *r) {
  unsigned slot = __atomic_fetch_add(&g_reserved, 1, __ATOMIC_ACQ_REL);
  if (slot >= kRingSize) {
    __atomic_fetch_add(&g_dropped, 1, __ATOMIC_RELAXED);
    return;
  }
  g_ring[slot].record = *r;
  __atomic_store_n(&g_ring[slot].ready, 1, __ATOMIC_RELEASE);
}

static void on_signal(int signo, siginfo_t *info, void *uctx) {
  (void)uctx;
  int saved_errno = errno;
  struct aiospec_notify_record r;
  memset(&r, 0, sizeof r);
  r.kind = AIOSPEC_NOTIFY_SIGNAL;
  r.signo = signo;
  r.thread = which_thread();
  r.code = info ? info->si_code : 0;
  r.value = info ? info->si_value.sival_int : 0;
  lookup_status(r.value, &r);
  append_record(&r);
  errno = saved_errno;
}

void aiospec_notify_thread_fn(union sigval value) {
  struct aiospec_notify_record r;
  memset(&r, 0, sizeof r);
  r.kind = AIOSPEC_NOTIFY_THREAD;
  r.value = value.sival_int;
  lookup_status(r.value, &r);
  append_record(&r);
}

int aiospec_notify_begin(const struct aiospec_aio_ops *ops) {
  /* Slots are reserved in order from 0, so only the last run's were written
   * (an in-process host begins a run per fuzz input: clearing the whole
   * ring each time cost more than the rest of a one-op run). */
  unsigned used = __atomic_load_n(&g_reserved, __ATOMIC_SEQ_CST);
  if (used > kRingSize) used = kRingSize;
  for (unsigned i = 0; i < used; ++i) {
    __atomic_store_n(&g_ring[i].ready, 0, __ATOMIC_RELAXED);
  }
  __atomic_store_n(&g_dropped, 0, __ATOMIC_RELAXED);
  g_read_cursor = 0;
  __atomic_store_n(&g_reserved, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n(&g_track_count, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n(&g_table_overflow, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n(&g_ops, ops, __ATOMIC_RELEASE);
  g_main = pthread_self();
  for (int k = 0; k < kMaxNamedThreads; ++k) {
    __atomic_store_n(&g_thread_named[k], 0, __ATOMIC_RELEASE);
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  /* SA_RESTART: an in-process host's own blocking calls must not see EINTR
   * because of us. aio_suspend with a timeout still reports EINTR. */
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigset_t set;
  sigemptyset(&set);
  for (int rt = 1; rt <= AIOSPEC_WIRE_NOTIFY_RT_MAX; ++rt) {
    if (aiospec_notify_rt_valid(rt)) sigaddset(&set, SIGRTMIN + rt);
  }
  /* A handler runs with the other notification signals blocked, so records
   * are appended in the order the signals are delivered: otherwise each
   * pending one would interrupt the last at its first instruction, and the
   * handlers' bodies would run in the reverse order (AIO-SIG-15). */
  sa.sa_mask = set;
  for (int rt = 1; rt <= AIOSPEC_WIRE_NOTIFY_RT_MAX; ++rt) {
    if (aiospec_notify_rt_valid(rt) && sigaction(SIGRTMIN + rt, &sa, NULL) != 0) {
      return -1;
    }
  }
  struct sigaction ignore;
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  if (sigaction(SIGPIPE, &ignore, NULL) != 0) return -1;
  /* The handler must run: make sure this thread does not block it. */
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  return 0;
}

int aiospec_notify_track(int value, const struct aiocb *cb) {
  unsigned n = __atomic_load_n(&g_track_count, __ATOMIC_RELAXED);
  if (n >= kTableSize) {
    __atomic_store_n(&g_table_overflow, 1, __ATOMIC_SEQ_CST);
    return -1;
  }
  g_table[n].value = value;
  g_table[n].cb = cb;
  __atomic_store_n(&g_table[n].live, 1, __ATOMIC_RELEASE);
  __atomic_store_n(&g_track_count, n + 1, __ATOMIC_SEQ_CST);
  return (int)n;
}

void aiospec_notify_untrack(int slot) {
  if (slot < 0 || slot >= kTableSize) return;
  __atomic_store_n(&g_table[slot].live, 0, __ATOMIC_RELEASE);
}

void aiospec_notify_untrack_cb(const struct aiocb *cb) {
  unsigned n = __atomic_load_n(&g_track_count, __ATOMIC_RELAXED);
  for (unsigned i = 0; i < n; ++i) {
    if (g_table[i].cb == cb) aiospec_notify_untrack((int)i);
  }
}

int aiospec_notify_next(struct aiospec_notify_record *out) {
  if (g_read_cursor >= kRingSize) return 0;
  struct ring_slot *slot = &g_ring[g_read_cursor];
  if (!__atomic_load_n(&slot->ready, __ATOMIC_ACQUIRE)) return 0;
  *out = slot->record;
  ++g_read_cursor;
  return 1;
}

unsigned aiospec_notify_mark(void) {
  return __atomic_load_n(&g_reserved, __ATOMIC_ACQUIRE);
}

int aiospec_notify_count_since(unsigned mark, int kind, int value) {
  int n = 0;
  for (unsigned i = mark; i < kRingSize; ++i) {
    if (!__atomic_load_n(&g_ring[i].ready, __ATOMIC_ACQUIRE)) {
      /* Reserved, not yet written: a handler is mid-append. */
      if (i < __atomic_load_n(&g_reserved, __ATOMIC_ACQUIRE)) continue;
      break;
    }
    n += g_ring[i].record.kind == kind && g_ring[i].record.value == value;
  }
  return n;
}

unsigned aiospec_notify_arrived(void) {
  unsigned n = 0;
  while (n < kRingSize && __atomic_load_n(&g_ring[n].ready, __ATOMIC_ACQUIRE)) {
    ++n;
  }
  return n + __atomic_load_n(&g_dropped, __ATOMIC_RELAXED);
}

unsigned aiospec_notify_dropped(void) {
  return __atomic_load_n(&g_dropped, __ATOMIC_RELAXED);
}

void aiospec_notify_end(void) {
  __atomic_store_n(&g_track_count, 0, __ATOMIC_SEQ_CST);
  while (__atomic_load_n(&g_handlers_active, __ATOMIC_SEQ_CST) != 0) {
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
}

/* ------------------------------------------------------------------------ */
/* Signal storms
 *
 * Invariants:
 *  - the timer is SIGEV_THREAD_ID to the thread that called storm_start (the
 *    agent's main thread), and the signal is blocked in no other way there,
 *    so the handler only ever runs on that thread, interrupting the op in
 *    progress; it does not nest with itself (the signal is in its own mask).
 *  - g_storm's configuration is written before the handler is installed and
 *    the timer armed, and not changed until storm_stop has deleted the timer
 *    and consumed every pending storm signal with the signal blocked; so
 *    the handler reads a fixed configuration, and once storm_stop returns no
 *    handler runs and the result fields are stable for the main thread.
 *  - the result fields are written by the handler only; the main thread
 *    reads them after storm_stop (same thread: no race, only reentrancy).
 *  - an aiocb the handler returned is never passed to aio_* again by it.
 */

static struct {
  int active;
  unsigned calls;
  int ncbs;
  const struct aiocb *cbs[AIOSPEC_STORM_MAX_CBS];
  int may_return[AIOSPEC_STORM_MAX_CBS];
  timer_t timer;
  struct sigaction old_action;
  sigset_t old_mask;
  struct aiospec_storm_result result;
  int close_fd;              /* -1: none; else closed by the next handler run */
  int closed;                /* set (release) by the handler after the close */
  long long close_ret;
  int close_err;
} g_storm = {.close_fd = -1};

void aiospec_storm_close_fd(int fd) {
  g_storm.closed = 0;
  __atomic_store_n(&g_storm.close_fd, fd, __ATOMIC_RELEASE);
}

int aiospec_storm_take_close(void) {
  return __atomic_exchange_n(&g_storm.close_fd, -1, __ATOMIC_ACQ_REL);
}

int aiospec_storm_closed(long long *ret, int *err) {
  if (!__atomic_load_n(&g_storm.closed, __ATOMIC_ACQUIRE)) return 0;
  *ret = g_storm.close_ret;
  *err = g_storm.close_err;
  return 1;
}

int aiospec_storm_signo(void) { return SIGRTMIN + 2; }

int aiospec_storm_active(void) { return g_storm.active; }

static void storm_handler(int signo, siginfo_t *info, void *uctx) {
  (void)signo;
  (void)info;
  (void)uctx;
  int saved_errno = errno;
  const struct aiospec_aio_ops *ops = __atomic_load_n(&g_ops, __ATOMIC_ACQUIRE);
  struct aiospec_storm_result *res = &g_storm.result;
  ++res->interrupts;
  if (!ops) {
    errno = saved_errno;
    return;
  }
  const int close_fd = __atomic_exchange_n(&g_storm.close_fd, -1, __ATOMIC_ACQ_REL);
  if (close_fd >= 0) {
    /* close from a signal handler (`storm on ... close=D`), once. */
    errno = 0;
    g_storm.close_ret = ops->close(close_fd);
    g_storm.close_err = g_storm.close_ret == 0 ? 0 : errno;
    __atomic_store_n(&g_storm.closed, 1, __ATOMIC_RELEASE);
  }
  const struct aiocb *list[AIOSPEC_STORM_MAX_CBS];
  int n = 0;
  for (int i = 0; i < g_storm.ncbs; ++i) {
    struct aiospec_storm_cb_result *c = &res->cbs[i];
    if (c->returned) continue;
    if ((g_storm.calls & AIOSPEC_WIRE_STORM_ERROR) || g_storm.may_return[i]) {
      int status = ops->aio_error(g_storm.cbs[i]);
      if (c->nseen == 0 || c->seen[c->nseen - 1] != status) {
        if (c->nseen < AIOSPEC_STORM_MAX_SEEN) {
          c->seen[c->nseen++] = status;
        } else {
          c->seen_overflow = 1;
        }
      }
      if (g_storm.may_return[i] && status != EINPROGRESS && status != -1) {
        c->ret = (long long)ops->aio_return((struct aiocb *)g_storm.cbs[i]);
        c->returned = 1;
        continue;
      }
    }
    list[n++] = g_storm.cbs[i];
  }
  if ((g_storm.calls & AIOSPEC_WIRE_STORM_SUSPEND) && n > 0) {
    struct timespec zero = {0, 0};
    errno = 0;
    int r = ops->aio_suspend(list, n, &zero);
    if (r == 0) {
      ++res->suspend_ok;
    } else if (r == -1 && errno == EAGAIN) {
      ++res->suspend_eagain;
    } else if (r == -1 && errno == EINTR) {
      ++res->suspend_eintr;
    } else {
      if (res->suspend_other++ == 0) res->other_errno = r == -1 ? errno : -1;
    }
  }
  errno = saved_errno;
}

int aiospec_storm_start(const struct aiocb *const *cbs, const int *may_return,
                        int ncbs, int rate_hz, unsigned calls) {
  if (g_storm.active || ncbs < 0 || ncbs > AIOSPEC_STORM_MAX_CBS ||
      rate_hz < 1 || rate_hz > AIOSPEC_WIRE_STORM_MAX_RATE) {
    errno = EINVAL;
    return -1;
  }
#ifdef SIGEV_THREAD_ID
  memset(&g_storm.result, 0, sizeof g_storm.result);
  g_storm.result.ncbs = ncbs;
  g_storm.calls = calls;
  g_storm.ncbs = ncbs;
  for (int i = 0; i < ncbs; ++i) {
    g_storm.cbs[i] = cbs[i];
    g_storm.may_return[i] = may_return[i];
  }
  const int signo = aiospec_storm_signo();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = storm_handler;
  /* SA_RESTART: the agent's own reads and writes need not see EINTR. The
   * calls under test (aio_suspend with a timeout) still may. */
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  if (sigaction(signo, &sa, &g_storm.old_action) != 0) return -1;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  pthread_sigmask(SIG_UNBLOCK, &set, &g_storm.old_mask);
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = signo;
#ifdef sigev_notify_thread_id
  sev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
#else /* glibc before 2.41 names the field only internally */
  sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
#endif
  if (timer_create(CLOCK_MONOTONIC, &sev, &g_storm.timer) != 0) {
    int err = errno;
    pthread_sigmask(SIG_SETMASK, &g_storm.old_mask, NULL);
    sigaction(signo, &g_storm.old_action, NULL);
    errno = err;
    return -1;
  }
  long long period = 1000000000LL / rate_hz;
  struct itimerspec its;
  its.it_interval.tv_sec = (time_t)(period / 1000000000LL);
  its.it_interval.tv_nsec = (long)(period % 1000000000LL);
  its.it_value = its.it_interval;
  g_storm.active = 1;
  if (timer_settime(g_storm.timer, 0, &its, NULL) != 0) {
    int err = errno;
    aiospec_storm_stop(NULL);
    errno = err;
    return -1;
  }
  return 0;
#else
  (void)cbs;
  (void)may_return;
  (void)calls;
  errno = ENOSYS;
  return -1;
#endif
}

void aiospec_storm_stop(struct aiospec_storm_result *out) {
  if (!g_storm.active) {
    if (out) memset(out, 0, sizeof *out);
    return;
  }
  timer_delete(g_storm.timer);
  g_storm.close_fd = -1;
  const int signo = aiospec_storm_signo();
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  /* Expired before the delete, not yet delivered: consume, do not run. */
  struct timespec zero = {0, 0};
  while (sigtimedwait(&set, NULL, &zero) == signo) {
  }
  sigaction(signo, &g_storm.old_action, NULL);
  pthread_sigmask(SIG_SETMASK, &g_storm.old_mask, NULL);
  g_storm.active = 0;
  if (out) *out = g_storm.result;
}
