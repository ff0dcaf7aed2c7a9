/* aio_suspend, and the completion counter every waiter sleeps on.
 *
 * Invariants:
 *  - completion_seq is bumped (seq_cst) after every publication of a final
 *    status; if waiters is non-zero the bumper then wakes every futex
 *    waiter on it. A waiter increments waiters, reads completion_seq, then
 *    checks the statuses, and sleeps only if the counter still holds the
 *    value it read: a completion that lands between the check and the
 *    sleep changes the counter, so FUTEX_WAIT returns at once. No polling.
 *  - This path takes no lock, allocates nothing and calls only
 *    async-signal-safe functions (clock_gettime, syscall), so aio_suspend
 *    (and aio_error, aio_return) may be called from a signal handler, even
 *    one that interrupted aio_suspend on the same thread: waiters is a
 *    counter, not a flag, so nesting is fine.
 *  - With more than one usable CPU (aio_pool.c), a waiter first polls the
 *    statuses for up to AIO_SUSPEND_SPIN_NS (never past its timeout)
 *    without registering in waiters: a cached read completes in about a
 *    microsecond, far less than a futex sleep and wake-up, and completions
 *    that land meanwhile make no system call. Then it registers and sleeps
 *    as above.
 *  - Timeouts are relative and measured on CLOCK_MONOTONIC. A signal
 *    handler run on the waiting thread ends the wait with EINTR, whatever
 *    its SA_RESTART flag.
 *  - The sleep is a cancellation point (aio_suspend must be one,
 *    AIO-SUSP-17): the thread's cancel type is asynchronous around the
 *    futex call alone, as the C libraries' own cancellable syscalls do, so
 *    a pthread_cancel pending or arriving then ends the thread there; the
 *    cleanup handler takes the waiter out of `waiters`.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bundled/aio_fault.h"
#include "bundled/aio_internal.h"
#include "bundled/aiospec_aio.h"

/* The futex ABI, spelled out: musl's toolchain ships no kernel headers. */
#define AIO_FUTEX_WAIT_PRIVATE (0 | 128)
#define AIO_FUTEX_WAKE_PRIVATE (1 | 128)

#define AIO_SUSPEND_SPIN_NS 20000

static int completion_seq;
static int waiters;

void aiospec_i_completion_wake(void) {
  __atomic_add_fetch(&completion_seq, 1, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&waiters, __ATOMIC_SEQ_CST) > 0)
    syscall(SYS_futex, &completion_seq, AIO_FUTEX_WAKE_PRIVATE, INT32_MAX, NULL,
            NULL, 0);
}

void aiospec_i_suspend_reset_in_child(void) {
  __atomic_store_n(&waiters, 0, __ATOMIC_RELAXED);
}

static int in_progress(const struct aiocb *cb) {
  return __atomic_load_n(&AIOSPEC_CB_ERR(cb), __ATOMIC_ACQUIRE) == EINPROGRESS;
}

/* 1 when the list satisfies the wait. */
static int satisfied(const struct aiocb *const list[], int nent, int all) {
  for (int i = 0; i < nent; ++i) {
    if (!list[i]) continue;
    int busy = in_progress(list[i]);
    if (!all && !busy) return 1;
    if (all && busy) return 0;
  }
  return all;
}

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Runs when the waiter leaves, cancelled or not. */
static void leave_waiters(void *unused) {
  (void)unused;
  __atomic_sub_fetch(&waiters, 1, __ATOMIC_SEQ_CST);
}

struct wait {
  const struct aiocb *const *list;
  int nent, all;
  const struct timespec *timeout;
  int64_t deadline;
};

/* A cancellation ends a thread in sleep_until by unwinding past its frame
 * to registered_wait's cleanup (a longjmp ASan does not see): the frame's
 * redzones stay poisoned, and ASan's own sigaltstack call at the landing
 * then reads as a stack-buffer-underflow. These two frames have none. */
#if defined(__SANITIZE_ADDRESS__)
#define NO_REDZONES __attribute__((no_sanitize_address))
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_REDZONES __attribute__((no_sanitize_address))
#endif
#endif
#ifndef NO_REDZONES
#define NO_REDZONES
#endif

/* Sleeps on the completion counter until the list satisfies the wait:
 * 0, or EAGAIN (deadline passed, with a timeout) or EINTR. */
NO_REDZONES static int sleep_until(const struct wait *w) {
  const struct aiocb *const *list = w->list;
  const int nent = w->nent, all = w->all;
  const struct timespec *timeout = w->timeout;
  const int64_t deadline = w->deadline;
  int rc = 0;
  for (;;) {
    int seq = __atomic_load_n(&completion_seq, __ATOMIC_SEQ_CST);
    if (satisfied(list, nent, all)) break;
    /* Always a timeout: with one, the kernel turns an interruption by any
     * handler into EINTR, even an SA_RESTART one; without, it restarts. */
    struct timespec rel = {3600, 0};
    if (timeout) {
      int64_t left = deadline - mono_ns();
      if (left <= 0) {
        rc = EAGAIN;
        break;
      }
      rel.tv_sec = (time_t)(left / 1000000000LL);
      rel.tv_nsec = (long)(left % 1000000000LL);
    }
    int type;
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &type);
    long r = syscall(SYS_futex, &completion_seq, AIO_FUTEX_WAIT_PRIVATE, seq,
                     &rel, NULL, 0);
    int err = errno;
    pthread_setcanceltype(type, &type);
    if (r < 0 && err == EINTR) {
      rc = EINTR;
      break;
    }
    /* 0 (woken), EAGAIN (counter moved) or ETIMEDOUT: look again. */
  }
  return rc;
}

/* sleep_until as a registered waiter (the cleanup handler leaves when a
 * cancellation ends the thread in it). */
NO_REDZONES static int registered_wait(const struct wait *w) {
  int rc;
  __atomic_add_fetch(&waiters, 1, __ATOMIC_SEQ_CST);
  pthread_cleanup_push(leave_waiters, NULL);
  rc = sleep_until(w);
  pthread_cleanup_pop(1);
  return rc;
}

int aiospec_i_wait_list(const struct aiocb *const list[], int nent, int all,
                        const struct timespec *timeout) {
  int64_t deadline = 0;
  if (timeout) {
    if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
        timeout->tv_nsec >= 1000000000L) {
      errno = EINVAL;
      return -1;
    }
    int64_t rel =
        timeout->tv_sec > INT64_MAX / 1000000000LL - 1
            ? INT64_MAX / 2
            : (int64_t)timeout->tv_sec * 1000000000LL + timeout->tv_nsec;
    deadline = mono_ns() + rel;
  }
  if (__atomic_load_n(&aiospec_i_g.spin, __ATOMIC_RELAXED)) {
    int64_t until = mono_ns() + AIO_SUSPEND_SPIN_NS;
    if (timeout && deadline < until) until = deadline;
    for (unsigned i = 1;; ++i) {
      if (satisfied(list, nent, all)) return 0;
      if (i % 16 == 0 && mono_ns() > until) break;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
  }
  const struct wait w = {list, nent, all, timeout, deadline};
  int rc = registered_wait(&w);
  if (rc) {
    errno = rc;
    return -1;
  }
  return 0;
}

int aiospec_aio_suspend(const struct aiocb *const list[], int nent,
                        const struct timespec *timeout) {
  if (nent < 0) {
    errno = EINVAL;
    return -1;
  }
  if (AIOSPEC_FAULT_IS(suspend_takes_lock)) {
    pthread_mutex_lock(&aiospec_i_g.lock);
    int done = satisfied(list, nent, 0);
    pthread_mutex_unlock(&aiospec_i_g.lock);
    if (done) return 0;
  }
  return aiospec_i_wait_list(list, nent, 0, timeout);
}
