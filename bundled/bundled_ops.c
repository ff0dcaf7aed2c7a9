/* The agent's function table filled with the bundled implementation. */
#include "bundled/aiospec_aio.h"
#include "harness/agent/agent.h"

void aiospec_bundled_aio_ops(struct aiospec_aio_ops *ops) {
  ops->name = "bundled";
  ops->aio_read = aiospec_aio_read;
  ops->aio_write = aiospec_aio_write;
  ops->aio_fsync = aiospec_aio_fsync;
  ops->aio_error = aiospec_aio_error;
  ops->aio_return = aiospec_aio_return;
  ops->aio_cancel = aiospec_aio_cancel;
  ops->aio_suspend = aiospec_aio_suspend;
  ops->lio_listio = aiospec_lio_listio;
  ops->close = aiospec_close;
  ops->dup2 = aiospec_dup2;
}
