/* The standalone agent drives the C library it is linked with. */
#include "harness/agent/agent.h"

void aiospec_agent_ops(struct aiospec_aio_ops *ops);

void aiospec_agent_ops(struct aiospec_aio_ops *ops) { aiospec_libc_aio_ops(ops); }
