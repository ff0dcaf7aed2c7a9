// Judging: one trace file, one target, one verdict.
//
// The glue of the data flow: parse the trace, run it on the target, check
// the log with the model. Used by every subcommand of the CLI.
//
// Usage:
//   absl::StatusOr<Judgement> j = JudgeTraceFile("read.trace", *target, opts);
//   if (!j.ok()) ...                       // bad trace, or target could not run
//   std::cout << FormatResult(j->result, j->trace);
#ifndef AIOSPEC_HARNESS_CLI_JUDGE_H_
#define AIOSPEC_HARNESS_CLI_JUDGE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "harness/observation/observation.h"
#include "harness/target/target.h"
#include "harness/trace/trace.h"
#include "model/checker.h"

namespace aiospec {

struct JudgeOptions {
  CheckOptions check;
  RunOptions run;
};

struct Judgement {
  std::string trace_path;
  std::string trace_name;  // file name without directory and ".trace"
  std::string target;
  Trace trace;
  ObservationLog log;
  CheckResult result;
};

// Errors: kInvalidArgument for an unreadable or malformed trace (the message
// is "file:line:col: ..."), and whatever the target returns when it cannot
// run at all.
absl::StatusOr<Judgement> JudgeTraceFile(std::string_view path, Target& target,
                                         const JudgeOptions& options);

absl::StatusOr<std::string> ReadTextFile(std::string_view path);
// kPermissionDenied when `path` cannot be written.
absl::Status WriteTextFile(std::string_view path, std::string_view text);
absl::StatusOr<Trace> LoadTrace(std::string_view path);
std::string TraceNameFromPath(std::string_view path);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_CLI_JUDGE_H_
