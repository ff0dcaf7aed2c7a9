// Prints a Trace as canonical text in the format of docs/TRACE_FORMAT.md.
//
// Canonical means: the header, then `about`, then one `covers` line, then
// one op a line; key=value arguments in a fixed order; arguments equal to
// their default left out. For every Trace that ParseTrace can produce,
// ParseTrace(PrintTrace(t)) == t (source locations aside).
//
// Usage:
//
//   std::string text = PrintTrace(trace);
//   // "aiospec-trace 1\nfile f content=\"hello\"\nopen d f flags=rdonly\n..."
//   std::string line = PrintOp(trace, trace.ops[2]);
//   // "aio_read r fd=d offset=1 nbytes=4"   (for explanations)
#ifndef AIOSPEC_HARNESS_TRACE_TRACE_PRINTER_H_
#define AIOSPEC_HARNESS_TRACE_TRACE_PRINTER_H_

#include <string>

#include "harness/trace/trace.h"

namespace aiospec {

std::string PrintTrace(const Trace& trace);

// One op as one line, without a newline. Handles out of range of the
// trace's name tables print as `?fd7` / `?cb7` / `?file7` instead of
// crashing, so a model explaining a broken trace still says something.
std::string PrintOp(const Trace& trace, const Op& op);

// `timeout=` values: "none", "0", or the largest exact unit ("100ms").
std::string PrintTimeout(const Timeout& timeout);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_TRACE_TRACE_PRINTER_H_
