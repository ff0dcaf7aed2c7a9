// Every fenced example in docs/TRACE_FORMAT.md that starts with the header
// parses and round-trips, so the format's one document stays true.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "harness/trace/trace_parser.h"
#include "harness/trace/trace_printer.h"

namespace aiospec {
namespace {

std::vector<std::string> ExampleTraces(const std::string& markdown) {
  std::vector<std::string> out;
  std::istringstream in(markdown);
  std::string line, block;
  bool in_block = false;
  while (std::getline(in, line)) {
    if (line.rfind("```", 0) == 0) {
      if (in_block && block.rfind("aiospec-trace", 0) == 0) out.push_back(block);
      in_block = !in_block;
      block.clear();
      continue;
    }
    if (in_block) block += line + "\n";
  }
  return out;
}

TEST(TraceFormatDocTest, ExamplesParseAndRoundTrip) {
  std::ifstream file(AIOSPEC_TRACE_FORMAT_DOC);
  ASSERT_TRUE(file.good()) << AIOSPEC_TRACE_FORMAT_DOC;
  std::stringstream markdown;
  markdown << file.rdbuf();
  const std::vector<std::string> examples = ExampleTraces(markdown.str());
  ASSERT_GE(examples.size(), 4u);
  for (const std::string& text : examples) {
    absl::StatusOr<Trace> trace = ParseTrace(text, "TRACE_FORMAT.md");
    ASSERT_TRUE(trace.ok()) << trace.status() << "\n" << text;
    EXPECT_FALSE(trace->ops.empty()) << text;
    absl::StatusOr<Trace> again = ParseTrace(PrintTrace(*trace), "printed");
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(*again, *trace);
  }
}

}  // namespace
}  // namespace aiospec
