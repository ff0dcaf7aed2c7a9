/* The descriptor and process rules: close, dup2, fork.
 *
 * Invariants:
 *  - Requests hold their own duplicate of the descriptor (aio_core.c), so
 *    closing the caller's number never affects their I/O, and a reused
 *    number is never touched by them (AIO-PROC-02).
 *  - close(fd) cancels nothing (AIO-PROC-01, our choice): it detaches every
 *    request from fd's index entry and drops fd's cached duplicate
 *    (aio_dup.c) under the lock, then closes. Detached
 *    requests complete and notify normally (AIO-PROC-03); aio_cancel on the
 *    number (reused or not) no longer finds them. close never waits for
 *    I/O (AIO-PROC-04). Closing another descriptor of the same open file
 *    (from dup) detaches nothing of fd (AIO-PROC-06).
 *  - dup2(old, new) with old != new applies close's rule to new first.
 *  - Every way to release a number goes through close's rule first, while
 *    the number still names the old file: close, dup2, dup3 here and in
 *    preload.c, which also wraps fclose, freopen, close_range and
 *    closefrom. The descriptor cache (aio_dup.c) relies on it.
 *  - The real close and dup are system calls, never the libc functions, so
 *    the preload library, which interposes close and dup2, cannot recurse.
 *  - fork: the prepare handler takes the lock, so the child copies the
 *    state at a quiet point; the parent handler releases it; the child
 *    handler throws the whole table away (the workers do not exist in the
 *    child) and reinitializes the lock. The child inherits no request
 *    (AIO-PROC-14).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bundled/aio_fault.h"
#include "bundled/aio_internal.h"
#include "bundled/aiospec_aio.h"

static int initialized(void) {
  /* dup_base is set once by aiospec_i_init before any request exists. */
  return __atomic_load_n(&aiospec_i_g.dup_base, __ATOMIC_ACQUIRE) != 0;
}

/* Unhooks q from the table, detaches its requests, drops its cache. */
static void detach_locked(struct aio_fdq *q) {
  struct aio_fdq **p = &aiospec_i_g.fdqs[(unsigned)q->fd % AIO_HASH_BUCKETS];
  while (*p != q) p = &(*p)->hash_next;
  *p = q->hash_next;
  for (struct aio_req *r = q->head; r;) {
    struct aio_req *next = r->fd_next;
    r->fdq = NULL;
    r->fd_prev = r->fd_next = NULL;
    r = next;
  }
  aiospec_i_dup_uncache_locked(q);
  free(q);
}

void aiospec_i_fd_detach(int fd) {
  if (!initialized() || fd < 0) return;
  pthread_mutex_lock(&aiospec_i_g.lock);
  struct aio_fdq *q = aiospec_i_fdq_find(fd);
  if (q) detach_locked(q);
  pthread_mutex_unlock(&aiospec_i_g.lock);
}

void aiospec_i_fd_detach_range(unsigned lo, unsigned hi) {
  if (!initialized()) return;
  pthread_mutex_lock(&aiospec_i_g.lock);
  for (int b = 0; b < AIO_HASH_BUCKETS; ++b) {
    struct aio_fdq *q = aiospec_i_g.fdqs[b];
    while (q) {
      struct aio_fdq *next = q->hash_next;
      if ((unsigned)q->fd >= lo && (unsigned)q->fd <= hi) detach_locked(q);
      q = next;
    }
  }
  pthread_mutex_unlock(&aiospec_i_g.lock);
}

/* Seeded fault (aio_fault.h): close "synchronised" with pending I/O by
 * waiting for every request on fd, however long it takes. */
static void fault_wait_for_fd_requests(int fd) {
  if (!initialized() || fd < 0) return;
  const struct aiocb *list[64];
  int n = 0;
  pthread_mutex_lock(&aiospec_i_g.lock);
  struct aio_fdq *q = aiospec_i_fdq_find(fd);
  for (struct aio_req *r = q ? q->head : NULL; r && n < 64; r = r->fd_next)
    list[n++] = r->cb;
  pthread_mutex_unlock(&aiospec_i_g.lock);
  if (n > 0) aiospec_i_wait_list(list, n, 1, NULL);
}

int aiospec_close(int fd) {
  if (AIOSPEC_FAULT_IS(close_waits_for_io)) fault_wait_for_fd_requests(fd);
  if (!AIOSPEC_FAULT_IS(close_hook_missing)) aiospec_i_fd_detach(fd);
  return aiospec_i_sys_close(fd);
}

int aiospec_dup2(int old_fd, int new_fd) {
  if (old_fd == new_fd) {
    if (fcntl(old_fd, F_GETFD) < 0) return -1; /* EBADF */
    return new_fd;
  }
  if (fcntl(old_fd, F_GETFD) < 0) return -1; /* a failing dup2 closes nothing */
  aiospec_i_fd_detach(new_fd);
  int rc;
  do {
    rc = (int)syscall(SYS_dup3, old_fd, new_fd, 0);
  } while (rc < 0 && errno == EBUSY);
  return rc;
}

static void prepare(void) { pthread_mutex_lock(&aiospec_i_g.lock); }
static void parent(void) { pthread_mutex_unlock(&aiospec_i_g.lock); }
static void child(void) {
  if (AIOSPEC_FAULT_IS(fork_child_keeps_requests)) {
    pthread_mutex_unlock(&aiospec_i_g.lock);
    return;
  }
  aiospec_i_reset_in_child();
}

void aiospec_i_fd_register_atfork(void) {
  pthread_atfork(prepare, parent, child);
}
