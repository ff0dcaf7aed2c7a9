// libFuzzer target for the trace parser and printer.
//
// Oracle: any text the parser accepts must print back to text that parses
// to the same Trace (the round-trip promise of trace_printer.h); any text it
// rejects must be rejected with a located InvalidArgument. Crashes, hangs and
// memory blow-ups are caught by libFuzzer and the sanitizers.
//
// Run:  trace_parser_fuzzer -dict=fuzz/trace.dict fuzz/corpus/trace_parser
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "harness/trace/trace_parser.h"
#include "harness/trace/trace_printer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<aiospec::Trace> trace = aiospec::ParseTrace(text, "fuzz");
  if (!trace.ok()) {
    if (trace.status().code() != absl::StatusCode::kInvalidArgument ||
        trace.status().message().substr(0, 5) != "fuzz:") {
      __builtin_trap();
    }
    return 0;
  }
  const std::string printed = aiospec::PrintTrace(*trace);
  absl::StatusOr<aiospec::Trace> again = aiospec::ParseTrace(printed, "fuzz");
  if (!again.ok() || !(*again == *trace)) __builtin_trap();
  // Printing is canonical: a second print changes nothing.
  if (aiospec::PrintTrace(*again) != printed) __builtin_trap();
  return 0;
}
