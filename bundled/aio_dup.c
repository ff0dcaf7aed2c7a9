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
 *    one; the duplicate is closed when the last goes. close, dup2 and dup3
 *    through our hooks drop the cache entry at once (aio_fd.c), so a
 *    number closed and reused the documented way always gets a fresh
 *    duplicate of its new file.
 *  - A submission reuses the cached duplicate only if the caller's
 *    descriptor is open with the same status flags (F_GETFL) and names the
 *    same file (fstat: device, inode) as when it was cached; otherwise it
 *    takes the slow path and replaces the entry. So a number closed behind
 *    our back (a raw close, fclose) fails with EBADF, and one reused for
 *    another file, or with another access mode, is never confused with
 *    the old one. (kcmp(KCMP_FILE) would tell open file descriptions
 *    apart, but costs a microsecond, as much as the I/O.) What remains: a
 *    number closed behind our back and reopened on the same file with the
 *    same flags keeps the old duplicate, whose I/O moves the same bytes of
 *    the same file with the same flags.
 *    A regular file's descriptor count is not observable, so the shared
 *    duplicate may stay open after completion.
 *  - Everything else (pipes, sockets, terminals, directories, devices):
 *    one duplicate per request, closed before the request's status is
 *    published, so a caller who sees completion sees the descriptor count
 *    it expects (a pipe's reader gets EOF once the writer's last
 *    descriptor is closed).
 *  - A duplicate cached for a descriptor closed behind our back stays open
 *    until that number is next submitted on or closed through the hooks:
 *    at most one per descriptor number.
 *  - Cache entries and reference counts are under aiospec_i_g.lock; the
 *    system calls of the fast path (F_GETFL, fstat) run without it, on a
 *    reference taken under it.
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

int aiospec_i_dup_acquire(int fd, struct aio_req *req,
                          struct aio_fd_facts *facts) {
  req->shared = NULL;
  req->priv_fd = -1;
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) {
    errno = EBADF;
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    errno = EBADF;
    return -1;
  }
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
  req->shared = d;
  pthread_mutex_lock(&aiospec_i_g.lock);
  struct aio_fdq *q = aiospec_i_fdq_get(fd);
  if (q) {
    aiospec_i_dup_uncache_locked(q);
    q->cache = d;
    d->refs++;
  }
  pthread_mutex_unlock(&aiospec_i_g.lock);
  return 0;
}
