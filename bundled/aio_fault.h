/* Seeded faults: build-time switches that turn the bundled implementation
 * into one of the faulty variants of faults/faults.def, to measure what the
 * conformance suite and the fuzzer catch (faults/README.md).
 *
 * Without AIOSPEC_FAULT (every normal build) AIOSPEC_FAULT_IS(x) is the
 * constant 0, so each fault point is dead code the compiler drops and the
 * library is exactly as shipped. A variant is built with
 * -DAIOSPEC_FAULT=AIOSPEC_FAULT_<name>.
 *
 *   if (AIOSPEC_FAULT_IS(cancel_null_first_only) && !cb) break;
 */
#ifndef AIOSPEC_BUNDLED_AIO_FAULT_H_
#define AIOSPEC_BUNDLED_AIO_FAULT_H_

enum aiospec_fault {
  AIOSPEC_FAULT_none,
#define AIOSPEC_FAULT_ROW(name, kill, area, description) AIOSPEC_FAULT_##name,
#include "faults/faults.def"
#undef AIOSPEC_FAULT_ROW
};

#ifdef AIOSPEC_FAULT
#define AIOSPEC_FAULT_IS(name) (AIOSPEC_FAULT == AIOSPEC_FAULT_##name)
#else
#define AIOSPEC_FAULT_IS(name) 0
#endif

#endif /* AIOSPEC_BUNDLED_AIO_FAULT_H_ */
