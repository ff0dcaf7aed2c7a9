/* Request records, the per-descriptor and per-file indexes, ordering, and
 * the submission entry points (aio_read, aio_write, aio_fsync), aio_error,
 * aio_return.
 *
 * Invariants:
 *  - One mutex, aiospec_i_g.lock, guards every index, every request record,
 *    the descriptor cache (aio_dup.c) and the pool counters. Critical
 *    sections are short: no system call runs under it on the hot paths
 *    (the descriptor checks and duplicates of submission run before it is
 *    taken), it is never held across I/O, and it is never taken by
 *    aio_error, aio_return or aio_suspend (async-signal-safe). Where the
 *    C library offers one it is an adaptive (spin, then sleep) mutex.
 *  - A request is in its file's queue from submission to retirement. Its
 *    ndeps counts the earlier requests in that queue it conflicts with
 *    (conflicts() below); it becomes runnable when ndeps reaches zero.
 *    Retirement decrements ndeps of every later conflicting request in the
 *    queue, so the count is exact whichever order requests finish in.
 *    Because conflicts() depends only on the pair and their order, a chain
 *    of overlapping writes runs strictly in submission order.
 *  - The aiocb's error status is EINPROGRESS from submission until the
 *    request is retired. Retirement publishes (return value first, then the
 *    error status with release order) under the lock and removes the
 *    request from every index in the same critical section, so aio_cancel
 *    never reports AIO_ALLDONE while aio_error still says EINPROGRESS.
 *    A request's own duplicate descriptor (not a regular file's shared
 *    one, aio_dup.c) is closed before publication, so a caller who sees
 *    completion sees the descriptor count it expects (a pipe's reader gets
 *    EOF once the writer's last descriptor is closed).
 *  - Notification (signal, thread, lio list) happens after publication and
 *    after the lock is released, from the retiring thread, which by then
 *    owns the record alone and frees it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundled/aio_internal.h"
#include "bundled/aiospec_aio.h"

#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
struct aio_state aiospec_i_g = {.lock = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP};
#else
struct aio_state aiospec_i_g = {.lock = PTHREAD_MUTEX_INITIALIZER};
#endif

void aiospec_i_mutex_init(pthread_mutex_t *m) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
  /* The lock is held for a few hundred nanoseconds: spinning beats a futex
   * round trip. */
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
  pthread_mutex_init(m, &attr);
  pthread_mutexattr_destroy(&attr);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_cond(pthread_cond_t *cv) {
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(cv, &attr);
  pthread_condattr_destroy(&attr);
}

/* Our duplicates go high, out of the way of the lowest-free-number rule the
 * application relies on (open after close returns the same number). */
static int pick_dup_base(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return 1024;
  rlim_t base = rl.rlim_cur / 2;
  if (base > 4096) base = 4096;
  if (base < 3) base = 3;
  return (int)base;
}

static void init_state(void) {
  init_cond(&aiospec_i_g.work_cv);
  init_cond(&aiospec_i_g.cancel_cv);
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  __atomic_store_n(&aiospec_i_g.spin, ncpu > 1, __ATOMIC_RELAXED);
  /* One CPU is left to the submitters. */
  aiospec_i_g.max_awake = ncpu < 3 ? 1
                          : ncpu > AIOSPEC_POOL_MAX ? AIOSPEC_POOL_MAX
                                                    : (int)ncpu - 1;
  aiospec_i_pool_install_wake_signal();
  aiospec_i_fd_register_atfork();
  /* Last: a non-zero dup_base tells close() that the state exists. */
  __atomic_store_n(&aiospec_i_g.dup_base, pick_dup_base(), __ATOMIC_RELEASE);
}

void aiospec_i_init(void) { pthread_once(&init_once, init_state); }

void aiospec_i_reset_in_child(void) {
  /* The workers did not survive fork. Drop every record and close our
   * duplicates so the child holds no extra references to the parent's
   * files (a pipe's reader in the parent must still see EOF). */
  for (int b = 0; b < AIO_HASH_BUCKETS; ++b) {
    struct aio_file *f = aiospec_i_g.files[b];
    while (f) {
      struct aio_file *next_file = f->hash_next;
      struct aio_req *r = f->head;
      while (r) {
        struct aio_req *next = r->file_next;
        aiospec_i_dup_close_own(r);
        aiospec_i_dup_release_locked(r);
        free(r);
        r = next;
      }
      free(f);
      f = next_file;
    }
    aiospec_i_g.files[b] = NULL;
    struct aio_fdq *q = aiospec_i_g.fdqs[b];
    while (q) {
      struct aio_fdq *next = q->hash_next;
      aiospec_i_dup_uncache_locked(q);
      free(q);
      q = next;
    }
    aiospec_i_g.fdqs[b] = NULL;
  }
  /* lio groups still referenced by the dropped records are leaked: their
   * reference counts are not known here and they are small. */
  aiospec_i_g.run_head = aiospec_i_g.run_tail = NULL;
  aiospec_i_g.nrunnable = 0;
  aiospec_i_g.outstanding = 0;
  aiospec_i_g.cancel_waiters = 0;
  init_cond(&aiospec_i_g.cancel_cv);
  aiospec_i_pool_reset_in_child();
  aiospec_i_suspend_reset_in_child();
  aiospec_i_mutex_init(&aiospec_i_g.lock);
}

/* ---- status in the aiocb ---- */

void aiospec_i_publish(struct aiocb *cb, ssize_t ret, int err) {
  __atomic_store_n(&AIOSPEC_CB_RET(cb), ret, __ATOMIC_RELAXED);
  __atomic_store_n(&AIOSPEC_CB_ERR(cb), err, __ATOMIC_RELEASE);
}

int aiospec_aio_error(const struct aiocb *cb) {
  return __atomic_load_n(&AIOSPEC_CB_ERR(cb), __ATOMIC_ACQUIRE);
}

ssize_t aiospec_aio_return(struct aiocb *cb) {
  /* The acquire load pairs with the release in publish. */
  if (__atomic_load_n(&AIOSPEC_CB_ERR(cb), __ATOMIC_ACQUIRE) == EINPROGRESS) {
    errno = EINVAL;
    return -1;
  }
  return __atomic_load_n(&AIOSPEC_CB_RET(cb), __ATOMIC_RELAXED);
}

int aiospec_aio_outstanding(void) {
  return __atomic_load_n(&aiospec_i_g.outstanding, __ATOMIC_RELAXED);
}

/* ---- indexes ---- */

static unsigned hash_fd(int fd) { return (unsigned)fd % AIO_HASH_BUCKETS; }

static unsigned hash_file(dev_t dev, ino_t ino) {
  uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev;
  return (unsigned)(h >> 32) % AIO_HASH_BUCKETS;
}

struct aio_fdq *aiospec_i_fdq_find(int fd) {
  struct aio_fdq *q = aiospec_i_g.fdqs[hash_fd(fd)];
  while (q && q->fd != fd) q = q->hash_next;
  return q;
}

struct aio_fdq *aiospec_i_fdq_get(int fd) {
  struct aio_fdq *q = aiospec_i_fdq_find(fd);
  if (q) return q;
  q = calloc(1, sizeof *q);
  if (!q) return NULL;
  q->fd = fd;
  unsigned b = hash_fd(fd);
  q->hash_next = aiospec_i_g.fdqs[b];
  aiospec_i_g.fdqs[b] = q;
  return q;
}

void aiospec_i_fdq_free_if_unused(struct aio_fdq *q) {
  if (q->head || q->cache) return;
  struct aio_fdq **p = &aiospec_i_g.fdqs[hash_fd(q->fd)];
  while (*p != q) p = &(*p)->hash_next;
  *p = q->hash_next;
  free(q);
}

static void fdq_unlink(struct aio_req *req) {
  struct aio_fdq *q = req->fdq;
  if (!q) return;
  if (req->fd_prev)
    req->fd_prev->fd_next = req->fd_next;
  else
    q->head = req->fd_next;
  if (req->fd_next)
    req->fd_next->fd_prev = req->fd_prev;
  else
    q->tail = req->fd_prev;
  req->fdq = NULL;
  req->fd_prev = req->fd_next = NULL;
  aiospec_i_fdq_free_if_unused(q);
}

static struct aio_file *file_get(dev_t dev, ino_t ino) {
  unsigned b = hash_file(dev, ino);
  struct aio_file *f = aiospec_i_g.files[b];
  while (f && !(f->dev == dev && f->ino == ino)) f = f->hash_next;
  if (f) return f;
  f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->dev = dev;
  f->ino = ino;
  f->hash_next = aiospec_i_g.files[b];
  aiospec_i_g.files[b] = f;
  return f;
}

static void file_free_if_empty(struct aio_file *f) {
  if (f->head) return;
  struct aio_file **p = &aiospec_i_g.files[hash_file(f->dev, f->ino)];
  while (*p != f) p = &(*p)->hash_next;
  *p = f->hash_next;
  free(f);
}

/* ---- ordering ---- */

static int is_write(const struct aio_req *r) { return r->op == AIO_OP_WRITE; }
static int is_sync(const struct aio_req *r) {
  return r->op == AIO_OP_FSYNC || r->op == AIO_OP_FDATASYNC;
}

static int ranges_overlap(const struct aio_req *a, const struct aio_req *b) {
  if (a->append || b->append) return 1;
  if (a->nbytes == 0 || b->nbytes == 0) return 0;
  /* Offsets are >= 0 and nbytes <= SSIZE_MAX: compare as unsigned 64-bit
   * ends, saturating, so huge requests cannot wrap. */
  uint64_t a0 = (uint64_t)a->offset, b0 = (uint64_t)b->offset;
  uint64_t a1 = a0 + a->nbytes, b1 = b0 + b->nbytes;
  if (a1 < a0) a1 = UINT64_MAX;
  if (b1 < b0) b1 = UINT64_MAX;
  return a0 < b1 && b0 < a1;
}

/* Whether `later` must wait for `earlier` (same file, earlier submitted). */
static int conflicts(const struct aio_req *earlier,
                     const struct aio_req *later) {
  if (is_sync(later)) return is_write(earlier);
  if (is_sync(earlier)) return 0;
  if (!later->seekable || !earlier->seekable) {
    /* A pipe or socket: each direction is a FIFO of its own. Reads never
     * wait for writes (a write blocked on a full pipe must not hold up the
     * read that drains it). */
    return earlier->op == later->op;
  }
  if (!is_write(earlier) && !is_write(later)) return 0;
  return ranges_overlap(earlier, later);
}

/* ---- retirement ---- */

void aiospec_i_retire_locked(struct aio_req *req, ssize_t ret, int err) {
  aiospec_i_dup_release_locked(req);
  aiospec_i_publish(req->cb, ret, err);
  fdq_unlink(req);
  struct aio_file *f = req->file;
  for (struct aio_req *l = req->file_next; l; l = l->file_next) {
    if (!conflicts(req, l)) continue;
    if (--l->ndeps == 0 && l->state == AIO_REQ_WAITING)
      aiospec_i_pool_push_locked(l);
  }
  if (req->file_prev)
    req->file_prev->file_next = req->file_next;
  else
    f->head = req->file_next;
  if (req->file_next)
    req->file_next->file_prev = req->file_prev;
  else
    f->tail = req->file_prev;
  req->file = NULL;
  file_free_if_empty(f);
  __atomic_sub_fetch(&aiospec_i_g.outstanding, 1, __ATOMIC_RELAXED);
}

void aiospec_i_after_retire(struct aio_req *req) {
  aiospec_i_completion_wake();
  aiospec_i_notify(&req->sev);
  if (req->group) aiospec_i_lio_group_put(req->group);
  free(req);
}

/* ---- submission ---- */

int aiospec_i_sigevent_valid(const struct sigevent *sev) {
  switch (sev->sigev_notify) {
    case SIGEV_NONE:
      return 1;
    case SIGEV_SIGNAL:
      /* SIGEV_SIGNAL is 0 on Linux, so a zeroed aiocb asks for signal 0:
       * accepted as "no signal", as the C libraries do. */
      return sev->sigev_signo >= 0 && sev->sigev_signo < NSIG;
    case SIGEV_THREAD:
      return sev->sigev_notify_function != NULL;
    default:
      return 0;
  }
}

static int fail(int err) {
  errno = err;
  return -1;
}

int aiospec_i_submit(struct aiocb *cb, enum aio_op op,
                     struct aio_lio_group *group) {
  int fd = cb->aio_fildes;
  aiospec_i_init();
  struct aio_req *req = malloc(sizeof *req);
  if (!req) return fail(EAGAIN);
  memset(req, 0, sizeof *req);
  struct aio_fd_facts facts;
  if (aiospec_i_dup_acquire(fd, req, &facts) != 0) {
    int e = errno;
    free(req);
    return fail(e);
  }
  /* The checks, in the order the errors take precedence. */
  int fl = facts.flags, acc = fl & O_ACCMODE, err = 0;
#ifdef O_PATH
  if ((fl & O_PATH) == O_PATH) err = EBADF;
#endif
  if (op == AIO_OP_READ && acc != O_RDONLY && acc != O_RDWR) err = EBADF;
  if (op == AIO_OP_WRITE && acc != O_WRONLY && acc != O_RDWR) err = EBADF;
  if (!err && !aiospec_i_sigevent_valid(&cb->aio_sigevent)) err = EINVAL;
  if (err) {
  } else if (op == AIO_OP_READ || op == AIO_OP_WRITE) {
    /* aio_fsync ignores these fields (AIO-FSYNC-09). */
    if (cb->aio_reqprio < 0 || cb->aio_reqprio > AIOSPEC_AIO_PRIO_DELTA_MAX ||
        cb->aio_nbytes > (size_t)SSIZE_MAX ||
        (facts.seekable && cb->aio_offset < 0))
      err = EINVAL;
  } else if (!S_ISREG(facts.mode) && !S_ISDIR(facts.mode) &&
             !S_ISBLK(facts.mode)) {
    err = EINVAL; /* fsync() is not possible here (AIO-FSYNC-14) */
  }
  if (err) {
    aiospec_i_dup_close_own(req);
    if (req->shared) {
      pthread_mutex_lock(&aiospec_i_g.lock);
      aiospec_i_dup_release_locked(req);
      pthread_mutex_unlock(&aiospec_i_g.lock);
    }
    free(req);
    return fail(err);
  }
  req->cb = cb;
  req->op = op;
  req->seekable = facts.seekable;
  req->append = op == AIO_OP_WRITE && (fl & O_APPEND) != 0;
  req->may_block = !facts.seekable;
  req->offset = cb->aio_offset;
  req->nbytes = cb->aio_nbytes;
  req->buf = (void *)cb->aio_buf;
  req->sev = cb->aio_sigevent;
  req->group = group;

  pthread_mutex_lock(&aiospec_i_g.lock);
  struct aio_fdq *q = NULL;
  struct aio_file *f = NULL;
  if (aiospec_i_g.outstanding >= AIOSPEC_AIO_MAX ||
      !(q = aiospec_i_fdq_get(fd)) || !(f = file_get(facts.dev, facts.ino))) {
    if (q) aiospec_i_fdq_free_if_unused(q);
    aiospec_i_dup_release_locked(req);
    pthread_mutex_unlock(&aiospec_i_g.lock);
    aiospec_i_dup_close_own(req);
    free(req);
    return fail(EAGAIN);
  }
  /* In progress before any worker can see the request. */
  aiospec_i_publish(cb, 0, EINPROGRESS);
  req->file = f;
  req->file_prev = f->tail;
  if (f->tail)
    f->tail->file_next = req;
  else
    f->head = req;
  f->tail = req;
  for (struct aio_req *e = req->file_prev; e; e = e->file_prev)
    if (conflicts(e, req)) req->ndeps++;
  req->fdq = q;
  req->fd_prev = q->tail;
  if (q->tail)
    q->tail->fd_next = req;
  else
    q->head = req;
  q->tail = req;
  __atomic_add_fetch(&aiospec_i_g.outstanding, 1, __ATOMIC_RELAXED);
  req->state = AIO_REQ_WAITING;
  if (req->ndeps == 0 && aiospec_i_pool_push_locked(req) != 0) {
    /* No worker at all: undo. Nothing can depend on the last request. */
    aiospec_i_pool_unlink_locked(req);
    __atomic_sub_fetch(&aiospec_i_g.outstanding, 1, __ATOMIC_RELAXED);
    fdq_unlink(req);
    f->tail = req->file_prev;
    if (f->tail)
      f->tail->file_next = NULL;
    else
      f->head = NULL;
    file_free_if_empty(f);
    aiospec_i_dup_release_locked(req);
    pthread_mutex_unlock(&aiospec_i_g.lock);
    aiospec_i_dup_close_own(req);
    free(req);
    return fail(EAGAIN);
  }
  pthread_mutex_unlock(&aiospec_i_g.lock);
  return 0;
}

int aiospec_aio_read(struct aiocb *cb) {
  return aiospec_i_submit(cb, AIO_OP_READ, NULL);
}

int aiospec_aio_write(struct aiocb *cb) {
  return aiospec_i_submit(cb, AIO_OP_WRITE, NULL);
}

int aiospec_aio_fsync(int op, struct aiocb *cb) {
  if (op != O_SYNC && op != O_DSYNC) return fail(EINVAL);
  /* O_DSYNC == O_SYNC on some systems; then fsync is the safe choice. */
  return aiospec_i_submit(cb, op == O_SYNC ? AIO_OP_FSYNC : AIO_OP_FDATASYNC,
                          NULL);
}
