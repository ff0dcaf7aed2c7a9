#include "harness/cli/judge.h"

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "harness/trace/trace_parser.h"

namespace aiospec {

absl::StatusOr<std::string> ReadTextFile(std::string_view path) {
  std::ifstream in{std::string(path), std::ios::binary};
  if (!in) return absl::InvalidArgumentError(absl::StrCat(std::string(path), ": cannot open"));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status WriteTextFile(std::string_view path, std::string_view text) {
  std::ofstream out(std::string(path), std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::PermissionDeniedError(absl::StrCat(std::string(path), ": cannot write"));
  return absl::OkStatus();
}

absl::StatusOr<Trace> LoadTrace(std::string_view path) {
  absl::StatusOr<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  return ParseTrace(*text, path);
}

std::string TraceNameFromPath(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (name.size() >= 6 && name.substr(name.size() - 6) == ".trace") name.remove_suffix(6);
  return std::string(name);
}

absl::StatusOr<Judgement> JudgeTraceFile(std::string_view path, Target& target,
                                         const JudgeOptions& options) {
  absl::StatusOr<Trace> trace = LoadTrace(path);
  if (!trace.ok()) return trace.status();
  absl::StatusOr<ObservationLog> log = target.Run(*trace, options.run);
  if (!log.ok() && log.status().code() == absl::StatusCode::kUnimplemented) {
    // The target does not run this kind of trace: UNSUPPORTED, with why.
    Judgement j;
    j.trace_path = std::string(path);
    j.trace_name = TraceNameFromPath(path);
    j.target = target.name();
    j.result.verdict = Verdict::kUnsupported;
    j.result.profile = options.check.profile;
    j.result.failure = Explanation{};
    j.result.failure->message = std::string(log.status().message());
    j.trace = *std::move(trace);
    return j;
  }
  if (!log.ok()) return log.status();
  Judgement j;
  j.trace_path = std::string(path);
  j.trace_name = TraceNameFromPath(path);
  j.target = target.name();
  j.result = CheckLog(*trace, *log, options.check);
  j.trace = *std::move(trace);
  j.log = *std::move(log);
  return j;
}

}  // namespace aiospec
