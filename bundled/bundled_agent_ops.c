/* The standalone agent on the bundled implementation (aiospec-agent-bundled). */
#include "bundled/aiospec_aio.h"
#include "harness/agent/agent.h"

void aiospec_agent_ops(struct aiospec_aio_ops *ops);

void aiospec_agent_ops(struct aiospec_aio_ops *ops) { aiospec_bundled_aio_ops(ops); }
