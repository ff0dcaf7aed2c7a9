/* The descriptors requests do their I/O on: duplicates of the caller's
 * descriptor, and the per-descriptor cache that shares one duplicate among
 * the requests on a regular file.
 *
 * Invariants:
 *  - Every request works on a duplicate (close-on-exec, at a high number)
 *    of the caller's descriptor that names the open file description the
 *    caller's descriptor named at submission, never on the caller's number
 *    (AIO-PROC-02). The duplicate outlives the request's I/O.
 *  - Regular files: a struct aio_dup is shared. The per-descriptor entry
 *    (struct aio_fdq) caches one and holds a reference; each request holds
 *    one; the duplicate is closed when the last goes. A cache entry means
 *    "this number names this open file description, opened with these
 *    status flags": the only things that change what a number names,
 *    close, dup2 and dup3 (and, under LD_PRELOAD, fclose, freopen,
 *    close_range and closefrom) go through our hooks, which drop the entry
 *    before the number is released (aio_fd.c, preload.c).
 *  - While a number has a cache entry, submission trusts it without any
 *    system call (the fast path of aio_core.c): F_GETFL and fstat on the
 *    caller's descriptor cost more than the I/O they precede, and they
 *    bounce the open file description and the inode between the
 *    submitting CPU and the worker. The price is the caller's side of the
 *    contract: a number closed behind the hooks (a raw close system call,
 *    or a plain close() with the prefixed API instead of aiospec_close)
 *    keeps its entry, so later requests on it go to the old file; and a
 *    status-flag change with fcntl(F_SETFL) is seen by the I/O (it runs on
 *    the same description) but not by the ordering rules (O_APPEND) until
 *    the number is closed or replaced.
 *  - Without an entry (first request, or after a hook dropped it) the slow
 *    path checks the descriptor (F_GETFL, fstat: EBADF if closed) and, for
 *    a regular file, duplicates it and caches the duplicate, replacing an
 *    entry whose flags or file differ.
 *    A regular file's descriptor count is not observable, so the shared
 *    duplicate may stay open after completion.
 *  - Everything else (pipes, sockets, terminals, directories, devices):
 *    one duplicate per request, closed before the request's status is
 *    published, so a caller who sees completion sees the descriptor count
 *    it expects (a pipe's reader gets EOF once the writer's last
 *    descriptor is closed).
 *  - A duplicate cached for a descriptor closed behind our back stays open
 *    until that number is closed through the hooks: at most one per
 *    descriptor number.
 *  - Cache entries and reference counts are under aiospec_i_g.lock; the
 *    system calls (F_GETFL, fstat, the duplication) run without it. A
 *    cached duplicate holds a reference on its file's queue record
 *    (aio_core.c), dropped when the duplicate is closed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bundled/aio_internal.h"
#include "bundled/aiospec_aio.h"

void aiospec_i_dup_put_locked(struct aio_dup *d) {
  if (--d->refs > 0) return;
  aiospec_i_sys_close(d->fd);
  if (d->file) aiospec_i_file_put_locked(d->file);
  free(d);
}

void aiospec_i_dup_uncache_locked(struct aio_fdq *q) {
  struct aio_dup *d = q->cache;
  if (!d) return;
  q->cache = NULL;
  aiospec_i_dup_put_locked(d);
}

void aiospec_i_dup_release_locked(struct aio_req *req) {
  if (!req->shared) return;
  aiospec_i_dup_put_locked(req->shared);
  req->shared = NULL;
  req->priv_fd = -1;
}

void aiospec_i_dup_close_own(struct aio_req *req) {
  if (req->shared || req->priv_fd < 0) return;
  aiospec_i_sys_close(req->priv_fd);
  req->priv_fd = -1;
}

static int new_dup(int fd) {
  int d = fcntl(fd, F_DUPFD_CLOEXEC, aiospec_i_g.dup_base);
  if (d < 0) d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  return d;
}

/* The cached duplicate of fd with a reference for the caller, or NULL. */
static struct aio_dup *cached_ref(int fd) {
  struct aio_dup *d = NULL;
  pthread_mutex_lock(&aiospec_i_g.lock);
  struct aio_fdq *q = aiospec_i_fdq_find(fd);
  if (q && q->cache) {
    d = q->cache;
    d->refs++;
  }
  pthread_mutex_unlock(&aiospec_i_g.lock);
  return d;
}

/* fd no longer names d's description: forget d (if still cached). */
static void drop_stale(int fd, struct aio_dup *d) {
  pthread_mutex_lock(&aiospec_i_g.lock);
  struct aio_fdq *q = aiospec_i_fdq_find(fd);
  if (q && q->cache == d) {
    aiospec_i_dup_uncache_locked(q);
    aiospec_i_fdq_free_if_unused(q);
  }
  aiospec_i_dup_put_locked(d);
  pthread_mutex_unlock(&aiospec_i_g.lock);
}

int aiospec_i_dup_acquire(int fd, int fl, const struct stat *stp,
                          struct aio_req *req, struct aio_fd_facts *facts) {
  req->shared = NULL;
  req->priv_fd = -1;
  struct stat st = *stp;
  facts->flags = fl;
  facts->mode = st.st_mode;
  facts->dev = st.st_dev;
  facts->ino = st.st_ino;

  struct aio_dup *d = S_ISREG(st.st_mode) ? cached_ref(fd) : NULL;
  if (d) {
    if (d->flags == fl && d->dev == st.st_dev && d->ino == st.st_ino) {
      facts->seekable = 1;
      req->shared = d;
      req->priv_fd = d->fd;
      return 0;
    }
    drop_stale(fd, d);
  }

  facts->seekable = lseek(fd, 0, SEEK_CUR) >= 0;
  int dup_fd = new_dup(fd);
  if (dup_fd < 0) {
    errno = errno == EBADF ? EBADF : EAGAIN;
    return -1;
  }
  req->priv_fd = dup_fd;
  if (!S_ISREG(st.st_mode) || !facts->seekable) return 0; /* its own */
#ifdef O_PATH
  if ((fl & O_PATH) == O_PATH) return 0; /* rejected by the caller */
#endif

  d = malloc(sizeof *d);
  if (!d) return 0;
  d->fd = dup_fd;
  d->refs = 1; /* the request's */
  d->flags = fl;
  d->dev = st.st_dev;
  d->ino = st.st_ino;
  d->file = NULL;
  req->shared = d;
  pthread_mutex_lock(&aiospec_i_g.lock);
  struct aio_fdq *q = aiospec_i_fdq_get(fd);
  if (q) {
    aiospec_i_dup_uncache_locked(q);
    q->cache = d;
    d->refs++;
    /* Keeps the file's queue record alive between requests, so the fast
     * path of submission (aio_core.c) neither looks it up nor allocates. */
    d->file = aiospec_i_file_get(st.st_dev, st.st_ino);
    if (d->file) d->file->refs++;
  }
  pthread_mutex_unlock(&aiospec_i_g.lock);
  return 0;
}
