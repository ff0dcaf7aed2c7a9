/* The worker pool: threads that take runnable requests and do the I/O.
 *
 * Invariants (all counters under aiospec_i_g.lock):
 *  - Workers are reused across requests and exit after AIO_IDLE_SECONDS
 *    without work. No thread is created per request while one is idle.
 *  - A worker that finishes a request takes the next runnable one in the
 *    same critical section as the retirement (one lock round trip per
 *    request while there is work).
 *  - With more than one CPU, a worker that runs out of work first spins
 *    for up to AIO_WORKER_SPIN_NS, polling nrunnable without the lock,
 *    before it sleeps; at most AIO_MAX_SPINNERS do so at a time (nspinning,
 *    under the lock). A push wakes nobody while the spinners outnumber the
 *    runnable requests: a spinner re-takes the lock, decrements nspinning
 *    and looks at the run queue before it may sleep, and a push sees
 *    nspinning under the same lock, so no request is left without a
 *    worker. The submitting thread never waits for a worker.
 *  - Bounded work (regular files) wakes or starts a worker only while
 *    fewer than max_awake (the CPUs but one) workers are awake on it (not
 *    idle, not blocked on an unseekable file): an awake worker takes the
 *    next runnable request after each retirement, so the queue drains, and
 *    more threads than CPUs would only fight over the lock.
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

#include "bundled/aio_internal.h"
#include "bundled/aiospec_aio.h"

#define AIO_IDLE_SECONDS 1
/* Long enough to cover a submitter's turnaround between two cached 4 KiB
 * requests, short enough that an idle process stops burning CPU at once. */
#define AIO_WORKER_SPIN_NS 50000
#define AIO_MAX_SPINNERS 1

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

/* Regular files: one positioned call; EINTR cannot mean cancel here. */
static void do_seekable(struct aio_req *req, ssize_t *ret, int *err) {
  ssize_t n;
  do {
    switch (req->op) {
      case AIO_OP_READ:
        n = pread(req->priv_fd, req->buf, req->nbytes, req->offset);
        break;
      case AIO_OP_WRITE:
        n = req->append
                ? write(req->priv_fd, req->buf, req->nbytes)
                : pwrite(req->priv_fd, req->buf, req->nbytes, req->offset);
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
}

/* Pipes, sockets, terminals: may block forever; cancel interrupts. A write
 * continues after a stray interruption so it transfers all or (cancelled)
 * what it has, like write() without signals. */
static void do_unseekable(struct aio_req *req, ssize_t *ret, int *err) {
  size_t done = 0;
  for (;;) {
    if (cancel_requested(req)) break;
    ssize_t n;
    if (req->op == AIO_OP_READ)
      n = read(req->priv_fd, req->buf, req->nbytes);
    else if (req->op == AIO_OP_WRITE)
      n = write(req->priv_fd, (char *)req->buf + done, req->nbytes - done);
    else
      n = req->op == AIO_OP_FSYNC ? fsync(req->priv_fd)
                                  : fdatasync(req->priv_fd);
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
  if (req->may_block) {
    aiospec_i_g.nblocking++;
    /* We may block forever: let someone else take what is queued. */
    if (aiospec_i_g.run_head) kick_locked(aiospec_i_g.run_head->may_block);
  }
  return req;
}

/* Polls for work without the lock, briefly. Lock held on entry and exit. */
static void spin_locked(void) {
  if (!aiospec_i_g.spin || aiospec_i_g.nspinning >= AIO_MAX_SPINNERS) return;
  aiospec_i_g.nspinning++;
  pthread_mutex_unlock(&aiospec_i_g.lock);
  int64_t deadline = mono_ns() + AIO_WORKER_SPIN_NS;
  for (unsigned i = 1;; ++i) {
    if (__atomic_load_n(&aiospec_i_g.nrunnable, __ATOMIC_RELAXED) > 0) break;
    cpu_relax();
    if (i % 64 == 0 && mono_ns() > deadline) break;
  }
  pthread_mutex_lock(&aiospec_i_g.lock);
  aiospec_i_g.nspinning--;
}

/* Waits for work. Returns NULL when the worker should exit. Lock held. */
static struct aio_req *wait_for_work_locked(pid_t tid) {
  for (;;) {
    if (aiospec_i_g.run_head) return take_locked(tid);
    spin_locked();
    if (aiospec_i_g.run_head) return take_locked(tid);
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
    if (aiospec_i_g.run_head) return take_locked(tid);
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
  struct aio_req *req = wait_for_work_locked(tid);
  pthread_mutex_unlock(&aiospec_i_g.lock);
  while (req) {
    ssize_t ret;
    int err;
    if (req->may_block)
      do_unseekable(req, &ret, &err);
    else
      do_seekable(req, &ret, &err);
    aiospec_i_dup_close_own(req);

    pthread_mutex_lock(&aiospec_i_g.lock);
    if (req->may_block) aiospec_i_g.nblocking--;
    aiospec_i_retire_locked(req, ret, err);
    if (aiospec_i_g.cancel_waiters > 0)
      pthread_cond_broadcast(&aiospec_i_g.cancel_cv);
    struct aio_req *next =
        aiospec_i_g.run_head ? take_locked(tid) : NULL;
    pthread_mutex_unlock(&aiospec_i_g.lock);
    aiospec_i_after_retire(req);
    if (!next) {
      pthread_mutex_lock(&aiospec_i_g.lock);
      next = wait_for_work_locked(tid);
      pthread_mutex_unlock(&aiospec_i_g.lock);
    }
    req = next;
  }
  return NULL;
}
