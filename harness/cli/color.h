// Verdict colours for the terminal: only when stdout is a terminal and
// NO_COLOR (https://no-color.org) is unset, so pipes, files and CI logs
// stay plain text.
//
// Usage:
//   const bool color = UseColor();
//   std::cout << Colored(VerdictName(v), v, color);
#ifndef AIOSPEC_HARNESS_CLI_COLOR_H_
#define AIOSPEC_HARNESS_CLI_COLOR_H_

#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "model/checker.h"

namespace aiospec {

inline bool UseColor() {
  const char* no_color = getenv("NO_COLOR");
  return isatty(STDOUT_FILENO) && (no_color == nullptr || *no_color == '\0');
}

// PASS green, FAIL red, HANG/CRASH magenta, UNRESOLVED yellow; others plain.
inline std::string Colored(std::string_view text, Verdict v, bool color) {
  if (!color) return std::string(text);
  const char* code = "";
  switch (v) {
    case Verdict::kPass: code = "\033[32m"; break;
    case Verdict::kFail: code = "\033[1;31m"; break;
    case Verdict::kHang:
    case Verdict::kCrash: code = "\033[1;35m"; break;
    case Verdict::kUnresolved: code = "\033[33m"; break;
    default: return std::string(text);
  }
  return absl::StrCat(code, absl::string_view(text.data(), text.size()), "\033[0m");
}

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_CLI_COLOR_H_
