// Writes the fuzzer's seed corpus: each trace given, made runnable
// (guardrails.h), into OUT_DIR under its own file name.
//
// Usage: aiospec_fuzz_corpus OUT_DIR conformance/traces/*.trace
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/statusor.h"
#include "fuzz/guardrails.h"
#include "harness/trace/trace_parser.h"
#include "harness/trace/trace_printer.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR TRACE...\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out_dir = argv[1];
  std::filesystem::create_directories(out_dir);
  int written = 0;
  for (int i = 2; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<aiospec::Trace> trace = aiospec::ParseTrace(text.str(), argv[i]);
    if (!trace.ok()) {
      std::fprintf(stderr, "%s\n", std::string(trace.status().message()).c_str());
      return 3;
    }
    aiospec::Trace runnable = aiospec::MakeRunnable(*std::move(trace));
    if (runnable.ops.empty()) continue;
    runnable.about.clear();  // seeds are inputs, not documentation
    std::ofstream(out_dir / std::filesystem::path(argv[i]).filename(),
                  std::ios::binary)
        << aiospec::PrintTrace(runnable);
    ++written;
  }
  std::printf("%d seeds in %s\n", written, out_dir.c_str());
  return 0;
}
