// Lowers a Trace into the agent's wire format (see wire.h).
//
// The wire format is the trace with names resolved to indices and every byte
// payload spelled out, so the C agent needs no parser beyond integers and
// hex. Host-side only (C++).
//
// Usage:
//   std::string wire = EncodeWire(trace);
//   aiospec_agent_run(&ops, wire.data(), wire.size(), dir, emit, ctx);
#ifndef AIOSPEC_HARNESS_AGENT_WIRE_ENCODE_H_
#define AIOSPEC_HARNESS_AGENT_WIRE_ENCODE_H_

#include <string>

#include "harness/trace/trace.h"

namespace aiospec {

std::string EncodeWire(const Trace& trace);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_AGENT_WIRE_ENCODE_H_
