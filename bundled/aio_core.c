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
 *  - Submission on a descriptor with a cached duplicate (aio_dup.c) takes
 *    the fast path: F_GETFL and fstat before the lock, then one critical
 *    section that compares them with the cache, checks, links and queues
 *    the request. The cached duplicate holds a reference on its file's
 *    queue record (struct aio_file: freed with no request and no such
 *    reference), so the fast path neither looks it up nor allocates.
 *  - Retired records are reused: retiring threads push them on a lock-free
 *    stack (aiospec_i_g.freed) whose only pop takes the whole stack under
 *    the lock into aiospec_i_g.spare, so there is no ABA. Submission (both
 *    paths) allocates only when both are empty, so the records never
 *    outnumber the peak of outstanding and just-retired requests.
 *  - A request is in its file's queue from submission to retirement. Its
 *    ndeps counts the earlier requests in that queue it conflicts with
 *    (conflicts() below); it becomes runnable when ndeps reaches zero.
 *    Retirement decrements ndeps of every later conflicting request in the
 *    queue, so the count is exact whichever order requests finish in.
 *    A write that fails with EIO or ENOSPC hands the error to every later
 *    sync it holds back, which reports it (AIO-FSYNC-16).
 *    The file's nblocked counts its requests with ndeps > 0; retirement
 *    scans the later requests only while it is non-zero (nothing else can
 *    depend on the retiring one). Because conflicts() depends only on the
 *    pair and their order, a chain of overlapping writes runs strictly in
 *    submission order, and two runnable requests never conflict.
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
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundled/aio_fault.h"
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
  /* The CPUs this thread may run on (taskset, cpusets), which the workers
   * inherit: spinning on a single CPU only delays the thread spun for. */
  long ncpu = -1;
#ifdef CPU_COUNT
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) ncpu = CPU_COUNT(&set);
#endif
  if (ncpu < 1) ncpu = sysconf(_SC_NPROCESSORS_ONLN);
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
   * files (a pipe's reader in the parent must still see EOF). The
   * duplicates forget their file records first: those are all freed here,
   * in whatever order. */
  for (int b = 0; b < AIO_HASH_BUCKETS; ++b) {
    for (struct aio_fdq *q = aiospec_i_g.fdqs[b]; q; q = q->hash_next)
      if (q->cache) q->cache->file = NULL;
    for (struct aio_file *f = aiospec_i_g.files[b]; f; f = f->hash_next)
      for (struct aio_req *r = f->head; r; r = r->file_next)
        if (r->shared) r->shared->file = NULL;
  }
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
   * reference counts are not known here and they are small. The spare
   * records stay: they are plain memory. */
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

int aiospec_aio_notifying(void) {
  return __atomic_load_n(&aiospec_i_g.notifying, __ATOMIC_ACQUIRE);
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

struct aio_file *aiospec_i_file_get(dev_t dev, ino_t ino) {
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
  if (f->head || f->refs > 0) return;
  struct aio_file **p = &aiospec_i_g.files[hash_file(f->dev, f->ino)];
  while (*p != f) p = &(*p)->hash_next;
  *p = f->hash_next;
  free(f);
}

void aiospec_i_file_put_locked(struct aio_file *f) {
  f->refs--;
  file_free_if_empty(f);
}

/* ---- request records ---- */

/* A zeroed record. Lock held; allocates only when no retired record is
 * left, so in a steady state submission calls no allocator. */
static struct aio_req *req_alloc_locked(void) {
  struct aio_req *r = aiospec_i_g.spare;
  if (!r) r = __atomic_exchange_n(&aiospec_i_g.freed, NULL, __ATOMIC_ACQUIRE);
  if (r) {
    aiospec_i_g.spare = r->done_next;
  } else {
    r = malloc(sizeof *r);
    if (!r) return NULL;
  }
  memset(r, 0, sizeof *r);
  return r;
}

/* Gives a retired record back. No lock needed: a push onto a lock-free
 * stack whose only pop takes the whole stack (no ABA). */
static void req_free(struct aio_req *r) {
  struct aio_req *head = __atomic_load_n(&aiospec_i_g.freed, __ATOMIC_RELAXED);
  do {
    r->done_next = head;
  } while (!__atomic_compare_exchange_n(&aiospec_i_g.freed, &head, r, 1,
                                        __ATOMIC_RELEASE, __ATOMIC_RELAXED));
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
    return earlier->op == later->op &&
           !(AIOSPEC_FAULT_IS(pipe_writes_unordered) && is_write(later));
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
  if (req->ndeps > 0) f->nblocked--; /* cancelled while waiting */
  /* Only a blocked request can depend on this one. */
  const int keep_blocked = AIOSPEC_FAULT_IS(released_request_never_started);
  for (struct aio_req *l = req->file_next; l && f->nblocked > keep_blocked;
       l = l->file_next) {
    if (!conflicts(req, l)) continue;
    if (is_sync(l) && is_write(req) && (err == EIO || err == ENOSPC) &&
        l->carried_err == 0)
      l->carried_err = err;
    if (--l->ndeps > 0) continue;
    f->nblocked--;
    if (l->state == AIO_REQ_WAITING) aiospec_i_pool_push_locked(l);
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

static void notify_and_free(struct aio_req *req) {
  aiospec_i_notify(&req->sev);
  if (req->group) aiospec_i_lio_group_put(req->group);
  req_free(req);
}

void aiospec_i_after_retire_list(struct aio_req *list) {
  if (!list) return;
  aiospec_i_completion_wake();
  while (list) {
    struct aio_req *next = list->done_next;
    notify_and_free(list);
    list = next;
  }
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

/* The synchronous checks, in the order the errors take precedence: 0 or
 * the error number. */
static int check(const struct aiocb *cb, enum aio_op op, int fl, int seekable,
                 mode_t mode) {
  int acc = fl & O_ACCMODE;
#ifdef O_PATH
  if ((fl & O_PATH) == O_PATH) return EBADF;
#endif
  if (op == AIO_OP_READ && acc != O_RDONLY && acc != O_RDWR) return EBADF;
  if (AIOSPEC_FAULT_IS(fsync_rdonly_ebadf) && op != AIO_OP_READ &&
      op != AIO_OP_WRITE && acc == O_RDONLY)
    return EBADF;
  if (op == AIO_OP_WRITE && acc != O_WRONLY && acc != O_RDWR) return EBADF;
  if (!aiospec_i_sigevent_valid(&cb->aio_sigevent)) return EINVAL;
  if (op == AIO_OP_READ || op == AIO_OP_WRITE) {
    /* aio_fsync ignores these fields (AIO-FSYNC-09). */
    const int check_prio = !AIOSPEC_FAULT_IS(reqprio_unchecked);
    const int check_nbytes = !AIOSPEC_FAULT_IS(nbytes_unchecked);
    if ((check_prio && (cb->aio_reqprio < 0 ||
                        cb->aio_reqprio > AIOSPEC_AIO_PRIO_DELTA_MAX)) ||
        (check_nbytes && cb->aio_nbytes > (size_t)SSIZE_MAX) ||
        (seekable && cb->aio_offset < 0))
      return EINVAL;
  } else if (!S_ISREG(mode) && !S_ISDIR(mode) && !S_ISBLK(mode)) {
    return EINVAL; /* fsync() is not possible here (AIO-FSYNC-14) */
  }
  return 0;
}

static void fill(struct aio_req *req, struct aiocb *cb, enum aio_op op,
                 int fl, int seekable, struct aio_lio_group *group) {
  req->cb = cb;
  req->op = op;
  req->seekable = seekable;
  req->append = op == AIO_OP_WRITE && (fl & O_APPEND) != 0;
  req->may_block = !seekable;
  req->offset = cb->aio_offset;
  req->nbytes = cb->aio_nbytes;
  req->buf = (void *)cb->aio_buf;
  req->sev = cb->aio_sigevent;
  req->group = group;
  req->carried_err = 0;
}

/* Links a checked request, holding its duplicate, into q, f and (if
 * nothing earlier conflicts) the run queue. On failure (EAGAIN) it is
 * linked nowhere and its shared duplicate is released: the caller unlocks,
 * closes its own duplicate and frees it. Lock held. */
static int enqueue_locked(struct aio_req *req, struct aio_fdq *q,
                          struct aio_file *f) {
  if (aiospec_i_g.outstanding >= AIOSPEC_AIO_MAX) {
    /* Before the release, which may free f with the last duplicate. */
    aiospec_i_fdq_free_if_unused(q);
    file_free_if_empty(f);
    aiospec_i_dup_release_locked(req);
    return -1;
  }
  /* In progress before any worker can see the request. */
  if (!AIOSPEC_FAULT_IS(status_not_reset_at_submit))
    aiospec_i_publish(req->cb, 0, EINPROGRESS);
  req->file = f;
  req->file_prev = f->tail;
  if (f->tail)
    f->tail->file_next = req;
  else
    f->head = req;
  f->tail = req;
  for (struct aio_req *e = req->file_prev; e; e = e->file_prev)
    if (conflicts(e, req)) req->ndeps++;
  if (req->ndeps > 0) f->nblocked++;
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
    return -1;
  }
  return 0;
}

/* Seeded faults (aio_fault.h): an inline fast path for an "uncontended"
 * file whose guard looks only at blocked requests, not at queued or running
 * ones. */
static int inline_fault_applies(const struct aiocb *cb, enum aio_op op,
                                const struct aio_lio_group *group,
                                const struct aio_file *f) {
  if (group || f->nblocked > 0) return 0;
  if (op == AIO_OP_READ) return AIOSPEC_FAULT_IS(read_inline_overtakes);
  if (op == AIO_OP_WRITE)
    return AIOSPEC_FAULT_IS(write_inline_overtakes) && cb->aio_nbytes <= 4096;
  return AIOSPEC_FAULT_IS(fsync_inline);
}

/* Does the I/O of a checked request on d in the caller and completes it.
 * Lock held on entry, released on return. */
static int submit_inline_fault(struct aiocb *cb, enum aio_op op,
                               struct aio_dup *d) {
  d->refs++;
  pthread_mutex_unlock(&aiospec_i_g.lock);
  void *buf = (void *)cb->aio_buf;
  ssize_t n = op == AIO_OP_READ
                  ? pread(d->fd, buf, cb->aio_nbytes, cb->aio_offset)
              : op == AIO_OP_WRITE
                  ? pwrite(d->fd, buf, cb->aio_nbytes, cb->aio_offset)
                  : fsync(d->fd);
  int err = n < 0 ? errno : 0;
  pthread_mutex_lock(&aiospec_i_g.lock);
  aiospec_i_dup_put_locked(d);
  pthread_mutex_unlock(&aiospec_i_g.lock);
  aiospec_i_publish(cb, n, err);
  aiospec_i_completion_wake();
  aiospec_i_notify(&cb->aio_sigevent);
  return 1;
}

/* The fast path: fd's cached duplicate of a regular file, trusted without
 * a system call (the hooks keep the cache right, aio_dup.c), and one
 * critical section. 1: submitted; 0: not applicable (no cache entry, or a
 * check fails: the slow path reports it); -1: failed with errno set. */
static int submit_cached(struct aiocb *cb, enum aio_op op,
                         struct aio_lio_group *group) {
  int fd = cb->aio_fildes;
  pthread_mutex_lock(&aiospec_i_g.lock);
  struct aio_fdq *q = aiospec_i_fdq_find(fd);
  struct aio_dup *d = q ? q->cache : NULL;
  if (!d || !d->file || check(cb, op, d->flags, 1, S_IFREG)) {
    pthread_mutex_unlock(&aiospec_i_g.lock);
    return 0;
  }
  if (inline_fault_applies(cb, op, group, d->file))
    return submit_inline_fault(cb, op, d);
  struct aio_req *req = req_alloc_locked();
  if (!req) {
    pthread_mutex_unlock(&aiospec_i_g.lock);
    return fail(EAGAIN);
  }
  d->refs++;
  req->shared = d;
  req->priv_fd = d->fd;
  fill(req, cb, op, d->flags, 1, group);
  int rc = enqueue_locked(req, q, d->file);
  pthread_mutex_unlock(&aiospec_i_g.lock);
  if (rc == 0) return 1;
  req_free(req);
  return fail(EAGAIN);
}

int aiospec_i_submit(struct aiocb *cb, enum aio_op op,
                     struct aio_lio_group *group) {
  int fd = cb->aio_fildes;
  aiospec_i_init();
  int fast = submit_cached(cb, op, group);
  if (fast != 0) return fast > 0 ? 0 : -1;

  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return fail(EBADF);
  struct stat st;
  if (fstat(fd, &st) != 0) return fail(EBADF);
  /* From the retired records too, or they would pile up on a program
   * whose requests all take this path (pipes, sockets). */
  pthread_mutex_lock(&aiospec_i_g.lock);
  struct aio_req *req = req_alloc_locked();
  pthread_mutex_unlock(&aiospec_i_g.lock);
  if (!req) return fail(EAGAIN);
  struct aio_fd_facts facts;
  if (aiospec_i_dup_acquire(fd, fl, &st, req, &facts) != 0) {
    int e = errno;
    free(req);
    return fail(e);
  }
  int err = check(cb, op, facts.flags, facts.seekable, facts.mode);
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
  fill(req, cb, op, facts.flags, facts.seekable, group);

  pthread_mutex_lock(&aiospec_i_g.lock);
  struct aio_fdq *q = aiospec_i_fdq_get(fd);
  struct aio_file *f = q ? aiospec_i_file_get(facts.dev, facts.ino) : NULL;
  int rc;
  if (!f) {
    if (q) aiospec_i_fdq_free_if_unused(q);
    aiospec_i_dup_release_locked(req);
    rc = -1;
  } else {
    rc = enqueue_locked(req, q, f);
  }
  pthread_mutex_unlock(&aiospec_i_g.lock);
  if (rc == 0) return 0;
  aiospec_i_dup_close_own(req);
  free(req);
  return fail(EAGAIN);
}

int aiospec_aio_read(struct aiocb *cb) {
  return aiospec_i_submit(cb, AIO_OP_READ, NULL);
}

int aiospec_aio_write(struct aiocb *cb) {
  return aiospec_i_submit(cb, AIO_OP_WRITE, NULL);
}

int aiospec_aio_fsync(int op, struct aiocb *cb) {
  if (op != O_SYNC && op != O_DSYNC && !AIOSPEC_FAULT_IS(fsync_bad_op_accepted))
    return fail(EINVAL);
  /* O_DSYNC == O_SYNC on some systems; then fsync is the safe choice. */
  return aiospec_i_submit(cb, op == O_SYNC ? AIO_OP_FSYNC : AIO_OP_FDATASYNC,
                          NULL);
}

long aiospec_sysconf(int name) {
  switch (name) {
    case _SC_AIO_MAX: return AIOSPEC_AIO_MAX;
    case _SC_AIO_LISTIO_MAX: return AIOSPEC_AIO_LISTIO_MAX;
    case _SC_AIO_PRIO_DELTA_MAX: return AIOSPEC_AIO_PRIO_DELTA_MAX;
    default: return sysconf(name);
  }
}
