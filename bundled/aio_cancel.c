/* aio_cancel: cancel one request, or every request submitted on a
 * descriptor, found through the per-descriptor index.
 *
 * Invariants:
 *  - A request that no worker has taken (WAITING or RUNNABLE) is cancelled
 *    on the spot, under the lock: ECANCELED / -1 is published and it leaves
 *    every index in one critical section. Its notification is sent after
 *    the lock is released, as for any completion (AIO-CANCEL-04).
 *  - A RUNNING request on a seekable file is not cancelable: its I/O takes
 *    bounded time. Nothing about it is changed (AIO-CANCEL-07).
 *  - A RUNNING request on an unseekable file gets its cancel flag set and
 *    its worker interrupted with AIOSPEC_WAKE_SIGNAL; aio_cancel then waits
 *    on cancel_cv for the worker to retire it, re-sending the signal every
 *    AIO_CANCEL_RESEND_NS (the first may land just before the worker
 *    enters the system call). The outcome is read from the aiocb:
 *    ECANCELED means cancelled, anything else (bytes already moved) means
 *    not cancelled. The wait is bounded by AIO_CANCEL_GIVE_UP_NS, after
 *    which the request counts as not cancelled: aio_cancel never blocks
 *    forever, even on a worker stuck in an uninterruptible call.
 *  - While waiting, aio_cancel re-finds each request by its aiocb in the
 *    index instead of keeping a pointer: a retired record is freed by its
 *    worker at any time.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bundled/aio_fault.h"
#include "bundled/aio_internal.h"
#include "bundled/aiospec_aio.h"

#define AIO_CANCEL_RESEND_NS 1000000L      /* 1 ms */
#define AIO_CANCEL_GIVE_UP_NS 2000000000LL /* 2 s */

static struct aio_req *find_running(int fd, const struct aiocb *cb) {
  struct aio_fdq *q = aiospec_i_fdq_find(fd);
  for (struct aio_req *r = q ? q->head : NULL; r; r = r->fd_next)
    if (r->cb == cb) return r;
  return NULL;
}

static void interrupt_worker(struct aio_req *req) {
  if (AIOSPEC_FAULT_IS(cancel_waits_for_running)) return;
  syscall(SYS_tgkill, getpid(), req->worker_tid, AIOSPEC_WAKE_SIGNAL);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int aiospec_aio_cancel(int fd, struct aiocb *cb) {
  if (!AIOSPEC_FAULT_IS(cancel_badfd_unchecked) && fcntl(fd, F_GETFD) < 0) {
    errno = EBADF;
    return -1;
  }
  if (cb && cb->aio_fildes != fd) { /* unspecified (AIO-CANCEL-08) */
    errno = EINVAL;
    return -1;
  }
  aiospec_i_init();
  int cancelled = 0, not_cancelled = 0, matched = 0;
  struct aio_req *done = NULL;
  /* aiocbs of running requests we interrupted, to wait for. */
  struct aiocb **waiting = NULL;
  int nwaiting = 0;

  pthread_mutex_lock(&aiospec_i_g.lock);
  struct aio_fdq *q = aiospec_i_fdq_find(fd);
  int n = 0;
  for (struct aio_req *r = q ? q->head : NULL; r; r = r->fd_next) ++n;
  if (n > 0) waiting = malloc(sizeof *waiting * (size_t)n);
  struct aio_req *r = q ? q->head : NULL;
  while (r) {
    struct aio_req *next = r->fd_next;
    if (cb && r->cb != cb) {
      r = next;
      continue;
    }
    matched++;
    if (r->state != AIO_REQ_RUNNING) {
      aiospec_i_pool_unlink_locked(r);
      aiospec_i_dup_close_own(r); /* a shared one goes in retire */
      /* Retiring may free q (when r was its last entry); next is safe: it
       * is a later entry of the same queue. */
      aiospec_i_retire_locked(r, -1, ECANCELED);
      if (AIOSPEC_FAULT_IS(cancel_not_notified))
        r->sev.sigev_notify = SIGEV_NONE;
      r->done_next = done;
      done = r;
      cancelled++;
      if (AIOSPEC_FAULT_IS(cancel_null_first_only)) break;
    } else if (r->may_block && waiting) {
      __atomic_store_n(&r->cancel, 1, __ATOMIC_RELEASE);
      interrupt_worker(r);
      waiting[nwaiting++] = r->cb;
    } else {
      not_cancelled++;
    }
    r = next;
  }

  if (cb && matched == 0 && aiospec_aio_error(cb) == EINPROGRESS) {
    /* Not on fd's list but still running: close() detached it (its number
     * may be reused). It is not ours to cancel, and not done either. */
    not_cancelled++;
  }

  if (nwaiting > 0) {
    int64_t give_up = now_ns() + AIO_CANCEL_GIVE_UP_NS;
    aiospec_i_g.cancel_waiters++;
    int left = nwaiting;
    while (left > 0) {
      left = 0;
      for (int i = 0; i < nwaiting; ++i) {
        if (!waiting[i]) continue;
        struct aio_req *run = find_running(fd, waiting[i]);
        if (run) {
          left++;
          continue;
        }
        /* Retired (or detached by close, then still in progress). */
        if (aiospec_aio_error(waiting[i]) == ECANCELED)
          cancelled++;
        else
          not_cancelled++;
        waiting[i] = NULL;
      }
      if (left == 0) break;
      int64_t now = now_ns();
      if (now >= give_up && !AIOSPEC_FAULT_IS(cancel_waits_for_running)) {
        not_cancelled += left;
        break;
      }
      for (int i = 0; i < nwaiting; ++i) {
        struct aio_req *run = waiting[i] ? find_running(fd, waiting[i]) : NULL;
        if (run) interrupt_worker(run);
      }
      int64_t until = now + AIO_CANCEL_RESEND_NS;
      struct timespec ts = {(time_t)(until / 1000000000LL),
                            (long)(until % 1000000000LL)};
      pthread_cond_timedwait(&aiospec_i_g.cancel_cv, &aiospec_i_g.lock, &ts);
    }
    aiospec_i_g.cancel_waiters--;
  }
  pthread_mutex_unlock(&aiospec_i_g.lock);
  free(waiting);

  aiospec_i_after_retire_list(done);
  if (AIOSPEC_FAULT_IS(cancel_canceled_over_notcanceled) && cancelled > 0)
    return AIO_CANCELED;
  if (not_cancelled > 0) return AIO_NOTCANCELED;
  if (cancelled > 0) return AIO_CANCELED;
  return AIOSPEC_FAULT_IS(cancel_nothing_returns_canceled) ? AIO_CANCELED
                                                           : AIO_ALLDONE;
}
