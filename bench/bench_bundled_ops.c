/* aio_bench on the bundled implementation (bench-bundled). */
#include "bundled/aiospec_aio.h"
#include "harness/agent/agent.h"

void aiospec_bench_ops(struct aiospec_aio_ops *ops);

void aiospec_bench_ops(struct aiospec_aio_ops *ops) { aiospec_bundled_aio_ops(ops); }
