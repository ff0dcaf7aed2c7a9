/* aio_bench on the C library it is linked with (bench-glibc, bench-musl). */
#include "harness/agent/agent.h"

void aiospec_bench_ops(struct aiospec_aio_ops *ops);

void aiospec_bench_ops(struct aiospec_aio_ops *ops) { aiospec_libc_aio_ops(ops); }
