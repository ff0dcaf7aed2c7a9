#include "harness/trace/payload.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace aiospec {

std::string RequestBytes(const Trace& trace, int op_index,
                         const IoRequest& req) {
  const int64_t n = std::min<int64_t>(req.nbytes, kMaxPayloadBytes);
  if (n <= 0) return "";
  std::string unit = req.data.has_value()
                         ? *req.data
                         : absl::StrCat(trace.cb_names[req.cb], "@", op_index, ".");
  if (unit.empty()) unit = std::string(1, '\0');
  std::string out;
  out.reserve(n);
  while (static_cast<int64_t>(out.size()) < n) {
    out.append(unit, 0, std::min<size_t>(unit.size(), n - out.size()));
  }
  return out;
}

}  // namespace aiospec
