/* The worker pool: threads that take runnable requests and do the I/O.
 *
 * Invariants (all counters under aiospec_i_g.lock):
 *  - Workers are reused across requests and exit after AIO_IDLE_SECONDS
 *    without work. No thread is created per request while one is idle.
 *  - A worker takes a batch of runnable requests in one critical section:
 *    one request that may block, or up to AIO_BATCH_MAX bounded ones (no
 *    more than its share, nrunnable / max_awake). It does their I/O, then
 *    retires the whole batch and takes the next in one critical section
 *    (one lock round trip per batch while there is work). Runnable
 *    requests never conflict with each other, so a batch runs in any
 *    order. A batch's requests are RUNNING from the take: not cancelable,
 *    like any started request on a regular file.
 *  - With more than one usable CPU (the affinity mask at initialization,
 *    so taskset -c 0 means one), a worker that runs out of work registers
 *    as the spinner in that same critical section (nspinning, at most
 *    AIO_MAX_SPINNERS) and polls, without the lock, for up to
 *    AIO_WORKER_SPIN_NS before it sleeps. A push of a bounded request onto
 *    an empty run queue while a spinner is registered hands the request
 *    straight to it (mailbox: RUNNING, worker_tid set, nspinning
 *    decremented, all under the lock), and the spinner starts the I/O
 *    without taking the lock. The spinner empties the mailbox when it
 *    claims the request, and no one may register as the spinner while
 *    the mailbox is full, so a handed request is never overwritten.
 *    Otherwise a push wakes nobody while the spinners outnumber the
 *    runnable requests: a spinner also polls nrunnable, re-takes the lock,
 *    and before it may sleep either finds a handed-over request or
 *    decrements nspinning and looks at the run queue; a push sees
 *    nspinning under the same lock, so no request is left without a
 *    worker. A handover needs an empty run queue, so no queued request
 *    ever relied on the spinner it consumes. The submitting thread never
 *    waits for a worker.
 *  - Bounded work (regular files) wakes or starts a worker only while
 *    fewer than max_awake (the usable CPUs but one, at least one) workers
 *    are awake on it (not idle, not blocked on an unseekable file): an
 *    awake worker takes the next runnable batch after each retirement, so
 *    the queue drains, and more threads than CPUs would only fight over
 *    the lock.
 *  - nidle counts workers waiting for work that no one has woken yet; a
 *    push that finds one hands it a wake token (nwake++) and signals. A
 *    worker consumes a token when it wakes, so two pushes never count on
 *    the same idle worker.
 *  - At most AIOSPEC_POOL_MAX workers run bounded work (regular files).
 *    Workers blocked in a request that may wait forever (nblocking: a read
 *    on an empty pipe, a write on a full one) do not count, so such
 *    requests can never starve the rest, however many there are (they are
 *    bounded by AIOSPEC_AIO_MAX).
 *  - Workers block every signal except AIOSPEC_WAKE_SIGNAL, whose handler
 *    does nothing and is installed without SA_RESTART: aio_cancel sends it
 *    (tgkill) to the worker of a request it wants to cancel, which makes a
 *    blocked read or write fail with EINTR. The worker then looks at the
 *    request's cancel flag: set, and nothing transferred -> ECANCELED;
 *    otherwise it retries (a stale signal meant for an earlier request) or
 *    completes with the partial count. A worker's thread id is only used
 *    under the lock while its request is RUNNING, so it names a live
 *    thread.
 *  - The I/O itself runs without the lock, on the request's own duplicate
 *    descriptor, never on the caller's descriptor number.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bundled/aio_fault.h"
#include "bundled/aio_internal.h"
#include "bundled/aiospec_aio.h"

#define AIO_IDLE_SECONDS 1
/* Long enough to cover a submitter's turnaround between two cached 4 KiB
 * requests, short enough that an idle process stops burning CPU at once. */
#define AIO_WORKER_SPIN_NS 50000
#define AIO_MAX_SPINNERS 1
/* Most bounded requests a worker takes in one critical section. */
#define AIO_BATCH_MAX 8

/* The spinner's mailbox, alone on its cache line (the type is aligned,
 * so padded) so that the lock and the queue counters do not bounce with
 * it. Written under the lock, polled by the spinner without it. */
static struct __attribute__((aligned(64))) {
  struct aio_req *req; /* atomic */
  pid_t tid;           /* the spinner's thread; under the lock */
} mailbox;

int aiospec_i_sys_close(int fd) { return (int)syscall(SYS_close, fd); }

static void on_wake_signal(int signo) { (void)signo; }

void aiospec_i_pool_install_wake_signal(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_wake_signal;
  sigfillset(&sa.sa_mask);
  sa.sa_flags = 0; /* no SA_RESTART: blocked I/O must return EINTR */
  sigaction(AIOSPEC_WAKE_SIGNAL, &sa, NULL);
}

void aiospec_i_pool_reset_in_child(void) {
  aiospec_i_g.nworkers = 0;
  aiospec_i_g.nidle = 0;
  aiospec_i_g.nwake = 0;
  aiospec_i_g.nblocking = 0;
  aiospec_i_g.nspinning = 0;
  __atomic_store_n(&mailbox.req, NULL, __ATOMIC_RELAXED);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&aiospec_i_g.work_cv, &attr);
  pthread_condattr_destroy(&attr);
}

/* ---- the I/O ---- */

static int cancel_requested(struct aio_req *req) {
  return __atomic_load_n(&req->cancel, __ATOMIC_ACQUIRE);
}

/* Seeded fault (aio_fault.h): an optimistic "done" before the transfer. */
static void fault_publish_before_read(struct aio_req *req) {
  if (AIOSPEC_FAULT_IS(status_before_read) && req->op == AIO_OP_READ)
    aiospec_i_publish(req->cb, (ssize_t)req->nbytes, 0);
}

/* The description appends now (its flags may have changed since the
 * request was ordered by req->append). */
static int append_now(const struct aio_req *req) {
  const int fl = fcntl(req->priv_fd, F_GETFL);
  return fl >= 0 && (fl & O_APPEND) != 0;
}

/* Regular files: one positioned call; EINTR cannot mean cancel here. */
static void do_seekable(struct aio_req *req, ssize_t *ret, int *err) {
  ssize_t n;
  fault_publish_before_read(req);
  do {
    switch (req->op) {
      case AIO_OP_READ:
        n = pread(req->priv_fd, req->buf, req->nbytes, req->offset);
        break;
      case AIO_OP_WRITE:
        /* pwrite even with O_APPEND: Linux appends then, whatever the
         * offset, and the description's current flags decide, not the
         * ones the request was ordered by (which may be older, aio_dup.c).
         * write() would move the caller's file offset. An appending write
         * ignores aio_offset, but the kernel still range-checks the
         * position (EINVAL for INT64_MAX), so it gets 0. */
        n = pwrite(req->priv_fd, req->buf, req->nbytes,
                   append_now(req) ? 0 : req->offset);
        break;
      case AIO_OP_FSYNC:
        n = fsync(req->priv_fd);
        break;
      default:
        n = fdatasync(req->priv_fd);
        break;
    }
  } while (n < 0 && errno == EINTR);
  *ret = n;
  *err = n < 0 ? errno : 0;
  if (req->carried_err != 0 && n == 0) { /* a covered write failed */
    *ret = -1;
    *err = req->carried_err;
  }
}

/* The descriptor the I/O runs on; the seeded fault (aio_fault.h) uses the
 * caller's number, which close and reuse can point elsewhere. */
static int io_fd(const struct aio_req *req) {
  return AIOSPEC_FAULT_IS(worker_uses_caller_fd) ? req->cb->aio_fildes
                                                 : req->priv_fd;
}

/* Pipes, sockets, terminals: may block forever; cancel interrupts. A write
 * continues after a stray interruption so it transfers all or (cancelled)
 * what it has, like write() without signals. */
static void do_unseekable(struct aio_req *req, ssize_t *ret, int *err) {
  size_t done = 0;
  fault_publish_before_read(req);
  for (;;) {
    if (cancel_requested(req)) break;
    ssize_t n;
    if (req->op == AIO_OP_READ)
      n = read(io_fd(req), req->buf, req->nbytes);
    else if (req->op == AIO_OP_WRITE)
      n = write(io_fd(req), (char *)req->buf + done, req->nbytes - done);
    else
      n = req->op == AIO_OP_FSYNC ? fsync(io_fd(req)) : fdatasync(io_fd(req));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (done > 0) break;
      *ret = -1;
      *err = errno;
      return;
    }
    if (req->op != AIO_OP_WRITE) {
      *ret = n;
      *err = 0;
      return;
    }
    done += (size_t)n;
    if (done >= req->nbytes) break;
  }
  if (done == 0 && cancel_requested(req) && req->nbytes > 0) {
    *ret = -1;
    *err = ECANCELED;
    return;
  }
  *ret = (ssize_t)done;
  *err = 0;
}

/* ---- queue and workers ---- */

static void set_nrunnable(int delta) {
  __atomic_store_n(&aiospec_i_g.nrunnable, aiospec_i_g.nrunnable + delta,
                   __ATOMIC_RELAXED);
}

static void run_append(struct aio_req *req) {
  set_nrunnable(1);
  req->run_next = NULL;
  req->run_prev = aiospec_i_g.run_tail;
  if (aiospec_i_g.run_tail)
    aiospec_i_g.run_tail->run_next = req;
  else
    aiospec_i_g.run_head = req;
  aiospec_i_g.run_tail = req;
}

void aiospec_i_pool_unlink_locked(struct aio_req *req) {
  if (req->state != AIO_REQ_RUNNABLE) return;
  set_nrunnable(-1);
  if (req->run_prev)
    req->run_prev->run_next = req->run_next;
  else
    aiospec_i_g.run_head = req->run_next;
  if (req->run_next)
    req->run_next->run_prev = req->run_prev;
  else
    aiospec_i_g.run_tail = req->run_prev;
  req->run_prev = req->run_next = NULL;
  req->state = AIO_REQ_WAITING;
}

static void *worker_main(void *arg);

static int spawn_worker_locked(void) {
  pthread_attr_t attr;
  pthread_t t;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  /* Start with everything blocked; the worker unblocks its wake signal. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&t, &attr, worker_main, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (rc != 0) return -1;
  aiospec_i_g.nworkers++;
  return 0;
}

/* Makes sure someone will take the head of the run queue. */
static int kick_locked(int may_block) {
  if (aiospec_i_g.nspinning >= aiospec_i_g.nrunnable) return 0;
  int awake = aiospec_i_g.nworkers - aiospec_i_g.nidle - aiospec_i_g.nblocking;
  if (!may_block && awake >= aiospec_i_g.max_awake) return 0;
  if (aiospec_i_g.nidle > 0) {
    aiospec_i_g.nidle--;
    aiospec_i_g.nwake++;
    pthread_cond_signal(&aiospec_i_g.work_cv);
    return 0;
  }
  int bounded = aiospec_i_g.nworkers - aiospec_i_g.nblocking;
  if (bounded < AIOSPEC_POOL_MAX || may_block) {
    if (spawn_worker_locked() == 0) return 0;
  }
  return aiospec_i_g.nworkers > 0 ? 0 : -1;
}

int aiospec_i_pool_push_locked(struct aio_req *req) {
  if (!req->may_block && aiospec_i_g.nspinning > 0 && !aiospec_i_g.run_head) {
    /* Straight to the spinner, which starts the I/O without taking the
     * lock. Nothing queued relied on it: the run queue is empty. */
    aiospec_i_g.nspinning--;
    req->state = AIO_REQ_RUNNING;
    req->worker_tid = mailbox.tid;
    if (AIOSPEC_FAULT_IS(status_not_reset_at_submit))
      aiospec_i_publish(req->cb, 0, EINPROGRESS);
    req->done_next = NULL; /* a batch of one */
    __atomic_store_n(&mailbox.req, req, __ATOMIC_RELEASE);
    return 0;
  }
  run_append(req);
  req->state = AIO_REQ_RUNNABLE;
  return kick_locked(req->may_block);
}

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* Takes the head of the run queue for this worker. Lock held. */
static struct aio_req *take_locked(pid_t tid) {
  struct aio_req *req = aiospec_i_g.run_head;
  aiospec_i_pool_unlink_locked(req);
  req->state = AIO_REQ_RUNNING;
  req->worker_tid = tid;
  if (AIOSPEC_FAULT_IS(status_not_reset_at_submit))
    aiospec_i_publish(req->cb, 0, EINPROGRESS);
  if (req->may_block) {
    aiospec_i_g.nblocking++;
    /* We may block forever: let someone else take what is queued. */
    if (aiospec_i_g.run_head) kick_locked(aiospec_i_g.run_head->may_block);
  }
  return req;
}

/* Takes a batch (linked by done_next) from the head of the run queue: one
 * request that may block, or up to AIO_BATCH_MAX bounded ones, no more
 * than this worker's share of the queue so other awake workers get theirs.
 * Runnable requests never conflict with each other (each has no earlier
 * conflicting request left), so a batch may run in any order. Lock held. */
static struct aio_req *take_batch_locked(pid_t tid) {
  struct aio_req *first = take_locked(tid), *last = first;
  if (!first->may_block) {
    int more = aiospec_i_g.nrunnable / aiospec_i_g.max_awake;
    if (more > AIO_BATCH_MAX - 1) more = AIO_BATCH_MAX - 1;
    while (more-- > 0 && aiospec_i_g.run_head &&
           !aiospec_i_g.run_head->may_block) {
      last->done_next = take_locked(tid);
      last = last->done_next;
    }
  }
  last->done_next = NULL;
  return first;
}

/* Registers the caller as the spinner if spinning is worth it, no one
 * else spins and no request handed to an earlier spinner is still
 * unclaimed in the mailbox. Lock held. */
static int spin_begin_locked(pid_t tid) {
  if (!__atomic_load_n(&aiospec_i_g.spin, __ATOMIC_RELAXED) ||
      aiospec_i_g.nspinning >= AIO_MAX_SPINNERS ||
      __atomic_load_n(&mailbox.req, __ATOMIC_ACQUIRE))
    return 0;
  aiospec_i_g.nspinning++;
  mailbox.tid = tid;
  return 1;
}

/* Takes the request out of the mailbox. Only the spinner it was handed to
 * calls this, and no push writes the mailbox until a new spinner
 * registers, which waits for it to be empty: no lock needed. */
static struct aio_req *claim(struct aio_req *r) {
  __atomic_store_n(&mailbox.req, NULL, __ATOMIC_RELEASE);
  return r;
}

/* Polls, without the lock, for a request handed over (returned) or a
 * runnable one (NULL), for at most AIO_WORKER_SPIN_NS (NULL). */
static struct aio_req *spin_poll(void) {
  int64_t deadline = mono_ns() + AIO_WORKER_SPIN_NS;
  for (unsigned i = 1;; ++i) {
    struct aio_req *r = __atomic_load_n(&mailbox.req, __ATOMIC_ACQUIRE);
    if (r) return claim(r);
    if (__atomic_load_n(&aiospec_i_g.nrunnable, __ATOMIC_RELAXED) > 0)
      return NULL;
    cpu_relax();
    if (i % 64 == 0 && mono_ns() > deadline) return NULL;
  }
}

/* Ends a spin that found nothing in the mailbox: a request handed over
 * since then (returned), or the spinner leaves (NULL). Lock held. */
static struct aio_req *spin_end_locked(void) {
  struct aio_req *r = __atomic_load_n(&mailbox.req, __ATOMIC_ACQUIRE);
  if (r) return claim(r); /* the push already took us off nspinning */
  aiospec_i_g.nspinning--;
  return NULL;
}

/* Waits for work. Returns NULL when the worker should exit. Lock held. */
static struct aio_req *wait_for_work_locked(pid_t tid) {
  for (;;) {
    if (aiospec_i_g.run_head) return take_batch_locked(tid);
    if (spin_begin_locked(tid)) {
      pthread_mutex_unlock(&aiospec_i_g.lock);
      struct aio_req *r = spin_poll();
      pthread_mutex_lock(&aiospec_i_g.lock);
      if (r || (r = spin_end_locked())) return r;
      if (aiospec_i_g.run_head) return take_batch_locked(tid);
    }
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += AIO_IDLE_SECONDS;
    aiospec_i_g.nidle++;
    int rc = 0;
    while (aiospec_i_g.nwake == 0 && rc != ETIMEDOUT)
      rc = pthread_cond_timedwait(&aiospec_i_g.work_cv, &aiospec_i_g.lock,
                                  &deadline);
    if (aiospec_i_g.nwake > 0) {
      aiospec_i_g.nwake--; /* woken by a push: nidle was taken for us */
      continue;
    }
    aiospec_i_g.nidle--;
    if (aiospec_i_g.run_head) return take_batch_locked(tid);
    aiospec_i_g.nworkers--;
    return NULL;
  }
}

static void *worker_main(void *arg) {
  (void)arg;
  sigset_t wake;
  sigemptyset(&wake);
  sigaddset(&wake, AIOSPEC_WAKE_SIGNAL);
  pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
  pid_t tid = (pid_t)syscall(SYS_gettid);

  pthread_mutex_lock(&aiospec_i_g.lock);
  struct aio_req *batch = wait_for_work_locked(tid);
  pthread_mutex_unlock(&aiospec_i_g.lock);
  while (batch) {
    for (struct aio_req *r = batch; r; r = r->done_next) {
      if (r->may_block)
        do_unseekable(r, &r->ret, &r->err);
      else
        do_seekable(r, &r->ret, &r->err);
      aiospec_i_dup_close_own(r);
      if (AIOSPEC_FAULT_IS(notify_before_status)) {
        aiospec_i_notify(&r->sev);
        r->sev.sigev_notify = SIGEV_NONE;
      }
    }

    pthread_mutex_lock(&aiospec_i_g.lock);
    for (struct aio_req *r = batch; r; r = r->done_next) {
      if (r->may_block) aiospec_i_g.nblocking--;
      aiospec_i_retire_locked(r, r->ret, r->err);
    }
    if (aiospec_i_g.cancel_waiters > 0)
      pthread_cond_broadcast(&aiospec_i_g.cancel_cv);
    struct aio_req *next =
        aiospec_i_g.run_head ? take_batch_locked(tid) : NULL;
    /* Out of work: start spinning in this critical section, so a
     * submission that comes while we notify can already hand over. */
    int spinning = !next && spin_begin_locked(tid);
    pthread_mutex_unlock(&aiospec_i_g.lock);
    aiospec_i_after_retire_list(batch);
    if (spinning) next = spin_poll();
    if (!next) {
      pthread_mutex_lock(&aiospec_i_g.lock);
      if (spinning) next = spin_end_locked();
      if (!next) next = wait_for_work_locked(tid);
      pthread_mutex_unlock(&aiospec_i_g.lock);
    }
    batch = next;
  }
  return NULL;
}
