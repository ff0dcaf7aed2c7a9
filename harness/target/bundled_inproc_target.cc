#include "harness/target/bundled_inproc_target.h"

#include "bundled/aiospec_aio.h"

namespace aiospec {

BundledInProcessTarget::BundledInProcessTarget()
    : InProcessTarget("bundled-inproc", aiospec_bundled_aio_ops, "bundled") {}

int BundledInProcessTarget::outstanding() { return aiospec_aio_outstanding(); }

}  // namespace aiospec
