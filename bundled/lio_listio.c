/* lio_listio: submit a list; wait for all of it, or notify when all of it
 * has completed.
 *
 * Invariants:
 *  - Every check that can fail the whole call without starting anything
 *    (mode, nent, the list sigevent) comes before the first submission
 *    (AIO-LIO-24).
 *  - LIO_NOWAIT with a notifying `sig`: a group holds one reference for the
 *    submitter plus one per submitted element. Each element drops its
 *    reference after its own status is published and its own notification
 *    sent; the submitter drops its reference after the last submission.
 *    Whoever drops the last one sends the list notification and frees the
 *    group, so it fires exactly once, after every element reports a final
 *    status (AIO-LIO-05), including elements that failed synchronously,
 *    whose status is published before the submitter lets go.
 *  - An element that could not be submitted gets its error status (and
 *    return value -1) written into its aiocb, so the caller can inspect
 *    every element after EAGAIN or EIO.
 *  - LIO_WAIT waits like aio_suspend (futex on the completion counter) for
 *    every submitted element, and returns EINTR, leaving the others
 *    running, if a signal handler runs on the calling thread meanwhile
 *    (AIO-LIO-22).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <stdlib.h>

#include "bundled/aio_fault.h"
#include "bundled/aio_internal.h"
#include "bundled/aiospec_aio.h"

void aiospec_i_lio_group_put(struct aio_lio_group *group) {
  if (__atomic_sub_fetch(&group->pending, 1, __ATOMIC_ACQ_REL) != 0) return;
  aiospec_i_notify(&group->sev);
  free(group);
}

int aiospec_lio_listio(int mode, struct aiocb *const list[], int nent,
                       struct sigevent *sig) {
  if ((mode != LIO_WAIT && mode != LIO_NOWAIT) || nent < 0 ||
      nent > AIOSPEC_AIO_LISTIO_MAX) {
    errno = EINVAL;
    return -1;
  }
  struct aio_lio_group *group = NULL;
  if (mode == LIO_NOWAIT && sig && sig->sigev_notify != SIGEV_NONE) {
    if (!aiospec_i_sigevent_valid(sig)) {
      errno = EINVAL;
      return -1;
    }
    group = malloc(sizeof *group);
    if (!group) {
      errno = EAGAIN;
      return -1;
    }
    group->pending = 1;
    group->sev = *sig;
  }

  int again = 0, failed = 0;
  for (int i = 0; i < nent; ++i) {
    struct aiocb *cb = list[i];
    if (!cb) continue;
    enum aio_op op;
    switch (cb->aio_lio_opcode) {
      case LIO_NOP:
        continue;
      case LIO_READ:
        op = AIO_OP_READ;
        break;
      case LIO_WRITE:
        op = AIO_OP_WRITE;
        break;
      default:
        aiospec_i_publish(cb, -1, EINVAL);
        failed = 1;
        continue;
    }
    if (group) __atomic_add_fetch(&group->pending, 1, __ATOMIC_RELAXED);
    if (aiospec_i_submit(cb, op, group) != 0) {
      int e = errno;
      if (group) __atomic_sub_fetch(&group->pending, 1, __ATOMIC_RELAXED);
      aiospec_i_publish(cb, -1, e);
      if (e == EAGAIN)
        again = 1;
      else
        failed = 1;
    }
  }
  if (group && AIOSPEC_FAULT_IS(lio_notify_early)) {
    aiospec_i_notify(&group->sev);
    group->sev.sigev_notify = SIGEV_NONE;
  }
  if (group) aiospec_i_lio_group_put(group);

  if (mode == LIO_WAIT && AIOSPEC_FAULT_IS(lio_wait_any)) {
    if (aiospec_i_wait_list((const struct aiocb *const *)list, nent, 0,
                            NULL) != 0)
      return -1;
  } else if (mode == LIO_WAIT) {
    /* NOP entries are not ours to look at: skip them in the wait. */
    for (int i = 0; i < nent; ++i) {
      const struct aiocb *cb = list[i];
      if (!cb || cb->aio_lio_opcode == LIO_NOP) continue;
      const struct aiocb *one[1] = {cb};
      if (aiospec_i_wait_list(one, 1, 1, NULL) != 0) return -1; /* EINTR */
      if (aiospec_aio_error(cb) != 0) failed = 1;
    }
  }
  if (again) {
    errno = EAGAIN;
    return -1;
  }
  if (failed) {
    errno = EIO;
    return -1;
  }
  return 0;
}
