// Parses the trace text format (docs/TRACE_FORMAT.md) into a Trace.
//
// The parser checks everything the Trace invariants in trace.h promise:
// names resolve, descriptors are open when used and closed when reopened,
// numbers fit their fields, payloads fit kMaxPayloadBytes. Errors are
// InvalidArgument with the message "source:line:col: what is wrong", the
// column pointing at the offending token (1-based, in bytes).
//
// Any input is safe: the parser never crashes or hangs, and its memory is
// bounded (byte literals, list lengths and the text size are capped).
//
// Usage:
//
//   absl::StatusOr<Trace> trace = ParseTrace(
//       "aiospec-trace 1\n"
//       "file f content=\"hello\"\n"
//       "open d f flags=rdonly\n"
//       "aio_read r fd=d offset=1 nbytes=4\n"
//       "wait r\n",
//       "read.trace");
//   if (!trace.ok()) return trace.status();
//   // trace->ops.size() == 4, trace->cb_names == {"r"}
#ifndef AIOSPEC_HARNESS_TRACE_TRACE_PARSER_H_
#define AIOSPEC_HARNESS_TRACE_TRACE_PARSER_H_

#include <cstddef>
#include <string_view>

#include "absl/status/statusor.h"
#include "harness/trace/trace.h"

namespace aiospec {

// Largest trace text accepted, and the cap on the bytes all byte literals of
// one trace decode to together (each literal alone is capped by DecodeBytes).
inline constexpr size_t kMaxTraceTextBytes = 64u << 20;
inline constexpr size_t kMaxTraceLiteralBytes = 64u << 20;
// Most entries in one aio_suspend, wait or lio_listio list.
inline constexpr size_t kMaxTraceListLength = 1u << 16;

// `source_name` becomes Trace::source and prefixes every error message.
absl::StatusOr<Trace> ParseTrace(std::string_view text,
                                 std::string_view source_name);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_TRACE_TRACE_PARSER_H_
