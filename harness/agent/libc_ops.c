/* The AIO entry points of the C library this file is linked with. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <aio.h>
#include <unistd.h>

#include "harness/agent/agent.h"

/* The build names the library (-DAIOSPEC_LIBC_NAME="musl"); otherwise the
 * headers tell glibc apart, and anything else is taken for musl. */
#ifndef AIOSPEC_LIBC_NAME
#if defined(__GLIBC__)
#define AIOSPEC_LIBC_NAME "glibc"
#else
#define AIOSPEC_LIBC_NAME "musl"
#endif
#endif

/* musl declares lio_listio with restrict-qualified pointers, a different
 * function type; a wrapper gives both libraries the ops table's type. */
static int libc_lio_listio(int mode, struct aiocb *const list[], int n,
                           struct sigevent *sig) {
  return lio_listio(mode, list, n, sig);
}

void aiospec_libc_aio_ops(struct aiospec_aio_ops *ops) {
  ops->name = AIOSPEC_LIBC_NAME;
  ops->aio_read = aio_read;
  ops->aio_write = aio_write;
  ops->aio_fsync = aio_fsync;
  ops->aio_error = aio_error;
  ops->aio_return = aio_return;
  ops->aio_cancel = aio_cancel;
  ops->aio_suspend = aio_suspend;
  ops->lio_listio = libc_lio_listio;
  ops->close = close;
  ops->dup2 = dup2;
}
