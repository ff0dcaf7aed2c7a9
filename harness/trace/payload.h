// The bytes a write request sends.
//
// A write without `data=` sends a self-identifying payload, so that reading a
// file or pipe back tells which request put each byte there: the text
// "<aiocb name>@<op index>." repeated and cut to nbytes. Executors and the
// model both call RequestBytes, so they always agree on the bytes.
//
// Usage:
//   // op 5 is `aio_write w1 fd=d offset=0 nbytes=12`
//   RequestBytes(trace, 5, write.req)  // "w1@5.w1@5.w1"
#ifndef AIOSPEC_HARNESS_TRACE_PAYLOAD_H_
#define AIOSPEC_HARNESS_TRACE_PAYLOAD_H_

#include <cstddef>
#include <string>

#include "harness/trace/trace.h"

namespace aiospec {

// Largest payload materialized; the parser rejects writes above it.
inline constexpr int64_t kMaxPayloadBytes = 16 << 20;

// `data` when given (repeated to fill nbytes if shorter, cut if longer),
// else the default payload. nbytes <= 0 gives "".
std::string RequestBytes(const Trace& trace, int op_index,
                         const IoRequest& req);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_TRACE_PAYLOAD_H_
