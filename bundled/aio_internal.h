/* Shared internals of the bundled AIO implementation. Not installed.
 *
 * Data structures (owned by aiospec_i_g.lock unless a field says otherwise):
 *
 *  struct aio_dup  a duplicate of a caller's descriptor that requests do
 *                  their I/O on (aio_dup.c): shared and cached per
 *                  descriptor for regular files, one per request otherwise.
 *
 *  struct aio_req  one outstanding request, from a successful submission
 *                  to its completion. It sits in up to three lists:
 *                  - the per-file queue (struct aio_file, keyed by st_dev and
 *                    st_ino), in submission order: the ordering rules of
 *                    aio_core.c read it;
 *                  - the per-descriptor list (struct aio_fdq, keyed by the
 *                    caller's descriptor number): aio_cancel(fd, ...) and
 *                    close(fd) find requests there without a scan; close
 *                    detaches them (fdq == NULL);
 *                  - the run queue, while it is runnable and no worker has
 *                    taken it.
 *  The request's status lives in the caller's aiocb (glibc: __error_code and
 *  __return_value; musl: __err and __ret), written with atomic stores under
 *  the lock and read with atomic loads without it. Once the error status is
 *  no longer EINPROGRESS the library never touches the aiocb again: the
 *  caller may free it.
 */
#ifndef AIOSPEC_BUNDLED_AIO_INTERNAL_H_
#define AIOSPEC_BUNDLED_AIO_INTERNAL_H_

#include <aio.h>
#include <pthread.h>
#include <signal.h>
#include <sys/types.h>

/* Internal names stay out of the dynamic symbol table of the preload
 * library, so they can never interpose on anything. */
#pragma GCC visibility push(hidden)

#if defined(__GLIBC__)
#define AIOSPEC_CB_ERR(cb) ((cb)->__error_code)
#define AIOSPEC_CB_RET(cb) ((cb)->__return_value)
#else /* musl */
#define AIOSPEC_CB_ERR(cb) ((cb)->__err)
#define AIOSPEC_CB_RET(cb) ((cb)->__ret)
#endif

enum aio_op { AIO_OP_READ, AIO_OP_WRITE, AIO_OP_FSYNC, AIO_OP_FDATASYNC };
enum aio_req_state {
  AIO_REQ_WAITING,  /* an earlier conflicting request has not finished */
  AIO_REQ_RUNNABLE, /* in the run queue */
  AIO_REQ_RUNNING,  /* a worker owns the I/O */
};

struct aio_dup;
struct aio_file;
struct aio_fdq;
struct aio_lio_group;

struct aio_req {
  struct aiocb *cb;
  enum aio_op op;
  int priv_fd;   /* our duplicate of the caller's descriptor */
  struct aio_dup *shared; /* priv_fd's owner when shared, else NULL */
  int seekable;  /* lseek works: positioned I/O, range ordering */
  int append;    /* O_APPEND: the range is the whole file */
  int may_block; /* unseekable: the I/O may wait forever */
  off_t offset;
  size_t nbytes;
  void *buf;
  struct sigevent sev;         /* copied at submission */
  struct aio_lio_group *group; /* lio_listio LIO_NOWAIT list, or NULL */
  enum aio_req_state state;
  int ndeps;        /* earlier conflicting requests still in the queue */
  int carried_err;  /* a sync: EIO/ENOSPC of a covered write (AIO-FSYNC-16);
                       set under the lock before the sync can run */
  int cancel;       /* atomic; set by aio_cancel on a running request */
  pid_t worker_tid; /* valid while RUNNING */
  struct aio_file *file;
  struct aio_req *file_prev, *file_next;
  struct aio_fdq *fdq; /* NULL once close() detached it */
  struct aio_req *fd_prev, *fd_next;
  struct aio_req *run_prev, *run_next;
  /* A list owned by one thread: a worker's batch, aio_cancel's cancelled
   * requests, the stack of retired records (aio_core.c). */
  struct aio_req *done_next;
  ssize_t ret; /* the outcome, between a worker's I/O and retirement */
  int err;
};

struct aio_dup {
  int fd;   /* the duplicate, close-on-exec */
  int refs; /* the cache's (while cached) + one per request */
  int flags; /* F_GETFL of the caller's descriptor when cached */
  dev_t dev;
  ino_t ino;
  struct aio_file *file; /* its file's queue, kept alive by file->refs */
};

/* A caller's descriptor number: its requests, and its cached duplicate.
 * Freed when it has neither. */
struct aio_fdq {
  int fd;
  struct aio_req *head, *tail;
  struct aio_dup *cache; /* regular files only; see aio_dup.c */
  struct aio_fdq *hash_next;
};

/* Freed when it holds no request and no cached duplicate points to it. */
struct aio_file {
  dev_t dev;
  ino_t ino;
  int refs;     /* struct aio_dup pointing here */
  int nblocked; /* requests in the queue with ndeps > 0 */
  struct aio_req *head, *tail;
  struct aio_file *hash_next;
};

#define AIO_HASH_BUCKETS 256

struct aio_state {
  pthread_mutex_t lock;
  struct aio_fdq *fdqs[AIO_HASH_BUCKETS];
  struct aio_file *files[AIO_HASH_BUCKETS];
  struct aio_req *run_head, *run_tail;
  int nrunnable; /* length of the run queue; atomic reads allowed */
  int outstanding; /* atomic reads allowed; writes under lock */
  int notifying;   /* SIGEV_THREAD threads started, not yet returned; atomic */
  int dup_base;    /* lowest number for our duplicates */
  /* Retired request records for reuse (aio_core.c): `freed` is a lock-free
   * stack retiring threads push onto; submitters move it whole to `spare`,
   * which is under the lock. */
  struct aio_req *freed;
  struct aio_req *spare;
  /* Pool (aio_pool.c). */
  pthread_cond_t work_cv;
  int nworkers;  /* alive */
  int nidle;     /* waiting on work_cv and not yet handed a wake token */
  int nwake;     /* wake tokens handed out and not yet taken */
  int nblocking; /* running a may_block request */
  int nspinning; /* polling nrunnable without the lock before sleeping */
  int spin;      /* more than one usable CPU: spinning can pay off (set
                    once; atomic reads) */
  int max_awake; /* bounded-work workers kept awake (set once) */
  /* aio_cancel waiting for interrupted workers (aio_cancel.c). */
  pthread_cond_t cancel_cv;
  int cancel_waiters;
};

extern struct aio_state aiospec_i_g;

/* aio_core.c */
void aiospec_i_init(void); /* once; safe to call on every entry */
int aiospec_i_submit(struct aiocb *cb, enum aio_op op,
                     struct aio_lio_group *group);
void aiospec_i_publish(struct aiocb *cb, ssize_t ret, int err);
int aiospec_i_sigevent_valid(const struct sigevent *sev);
struct aio_fdq *aiospec_i_fdq_find(int fd);
struct aio_fdq *aiospec_i_fdq_get(int fd); /* NULL: out of memory */
/* Frees q if it holds no request and no cached duplicate. Lock held. */
void aiospec_i_fdq_free_if_unused(struct aio_fdq *q);
void aiospec_i_mutex_init(pthread_mutex_t *m);
/* Removes a finished request from every index, releases the requests that
 * waited for it, publishes its status. Lock held. */
void aiospec_i_retire_locked(struct aio_req *req, ssize_t ret, int err);
/* After the lock is dropped, for retired requests linked by done_next:
 * wakes waiters (once), notifies each, recycles the records. */
void aiospec_i_after_retire_list(struct aio_req *list);
/* Drops a reference a cached duplicate held on f. Lock held. */
void aiospec_i_file_put_locked(struct aio_file *f);
/* Looks up or creates the queue of a file. NULL: out of memory. Lock held. */
struct aio_file *aiospec_i_file_get(dev_t dev, ino_t ino);
void aiospec_i_reset_in_child(void);

/* aio_pool.c */
/* Puts a request on the run queue and makes sure a worker will take it.
 * Returns -1 if no worker exists and none could be started. Lock held. */
int aiospec_i_pool_push_locked(struct aio_req *req);
void aiospec_i_pool_unlink_locked(struct aio_req *req);
void aiospec_i_pool_install_wake_signal(void);
void aiospec_i_pool_reset_in_child(void);
int aiospec_i_sys_close(int fd);

/* aio_suspend.c */
void aiospec_i_completion_wake(void);
/* Waits until any (all == 0) or every (all == 1) non-NULL entry is no
 * longer EINPROGRESS. 0, or -1 with errno EAGAIN (timeout) or EINTR. */
int aiospec_i_wait_list(const struct aiocb *const list[], int nent, int all,
                        const struct timespec *timeout);
void aiospec_i_suspend_reset_in_child(void);

/* aio_notify.c */
void aiospec_i_notify(const struct sigevent *sev);

/* lio_listio.c */
struct aio_lio_group {
  int pending; /* atomic: submitter's reference + unfinished requests */
  struct sigevent sev;
};
void aiospec_i_lio_group_put(struct aio_lio_group *group);

/* aio_dup.c */
/* What submission needs to know about the caller's descriptor. */
struct aio_fd_facts {
  int flags; /* F_GETFL */
  int seekable;
  mode_t mode;
  dev_t dev;
  ino_t ino;
};
/* Fills *facts and req->priv_fd/req->shared with a duplicate of fd, whose
 * F_GETFL and fstat the caller just read (fl, st), taking the cached one
 * when fd still looks the same (aio_dup.c). Lock not held. 0, or -1 with
 * errno EBADF (fd not open) or EAGAIN (no descriptor left). */
struct stat;
int aiospec_i_dup_acquire(int fd, int fl, const struct stat *st,
                          struct aio_req *req, struct aio_fd_facts *facts);
/* Closes the request's own duplicate (not a shared one). Lock optional. */
void aiospec_i_dup_close_own(struct aio_req *req);
/* Drops the request's reference to a shared duplicate. Lock held. */
void aiospec_i_dup_release_locked(struct aio_req *req);
/* Drops q's cached duplicate, if any. Lock held. */
void aiospec_i_dup_uncache_locked(struct aio_fdq *q);
void aiospec_i_dup_put_locked(struct aio_dup *d);

/* aio_fd.c */
void aiospec_i_fd_register_atfork(void);
/* close()'s rule for fd, without the close: its requests leave the index. */
void aiospec_i_fd_detach(int fd);
/* The same for every descriptor number in [lo, hi]. */
void aiospec_i_fd_detach_range(unsigned lo, unsigned hi);

#pragma GCC visibility pop

#endif /* AIOSPEC_BUNDLED_AIO_INTERNAL_H_ */
