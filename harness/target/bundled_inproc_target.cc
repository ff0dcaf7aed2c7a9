#include "harness/target/bundled_inproc_target.h"

#include "bundled/aiospec_aio.h"

namespace aiospec {

BundledInProcessTarget::BundledInProcessTarget()
    : InProcessTarget("bundled-inproc", aiospec_bundled_aio_ops, "bundled") {}

int BundledInProcessTarget::outstanding() { return aiospec_aio_outstanding(); }

bool BundledInProcessTarget::AtRest() const {
  return aiospec_aio_outstanding() == 0 && aiospec_aio_notifying() == 0;
}

}  // namespace aiospec
