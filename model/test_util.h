// Test helpers: traces and logs from short text, one op or record a line.
//
// Usage:
//   Trace t = TraceOf({"file f content=\"hello\"", "open d f flags=rdonly"});
//   ObservationLog l = LogOf(t, {"file ret=0", "open ret=3"});  // numbered
//   CheckResult r = CheckLog(t, l, CheckOptions{.profile = Profile::kPosix});
#ifndef AIOSPEC_MODEL_TEST_UTIL_H_
#define AIOSPEC_MODEL_TEST_UTIL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/observation/observation.h"
#include "harness/trace/trace.h"
#include "harness/trace/trace_parser.h"

namespace aiospec::testing {

inline Trace TraceOf(const std::vector<std::string>& lines) {
  std::string text = absl::StrCat("aiospec-trace ", kTraceVersion, "\n");
  for (const std::string& l : lines) absl::StrAppend(&text, l, "\n");
  absl::StatusOr<Trace> t = ParseTrace(text, "test.trace");
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *std::move(t) : Trace{};
}

// Op records are numbered in order; lines starting with "notify" or "end"
// are copied as they are. Without an "end" line, "end completed" is added.
inline ObservationLog LogOf(const std::vector<std::string>& lines) {
  std::string text = "aiospec-log 1\ntarget test\n";
  int op = 0;
  bool ended = false;
  for (const std::string& l : lines) {
    if (absl::StartsWith(l, "notify") || absl::StartsWith(l, "end")) {
      absl::StrAppend(&text, l, "\n");
      ended = ended || absl::StartsWith(l, "end");
    } else {
      absl::StrAppend(&text, op++, " ", l, "\n");
    }
  }
  if (!ended) absl::StrAppend(&text, "end completed\n");
  absl::StatusOr<ObservationLog> log = ParseLog(text, "test.log");
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? *std::move(log) : ObservationLog{};
}

}  // namespace aiospec::testing

#endif  // AIOSPEC_MODEL_TEST_UTIL_H_
