#include "harness/common/byte_literal.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace aiospec {
namespace {

constexpr size_t kMinRun = 16;

void AppendEscaped(char c, std::string* out) {
  switch (c) {
    case '\n': *out += "\\n"; return;
    case '\t': *out += "\\t"; return;
    case '\r': *out += "\\r"; return;
    case '\\': *out += "\\\\"; return;
    case '"': *out += "\\\""; return;
    default: break;
  }
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) {
    *out += c;
  } else {
    absl::StrAppendFormat(out, "\\x%02x", u);
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes one quoted piece at text[*pos]; *pos ends past the closing quote.
absl::StatusOr<std::string> DecodeQuoted(std::string_view text, size_t* pos) {
  if (*pos >= text.size() || text[*pos] != '"') {
    return absl::InvalidArgumentError("expected '\"' to start a byte string");
  }
  std::string out;
  size_t i = *pos + 1;
  while (true) {
    if (i >= text.size()) {
      *pos = i;
      return absl::InvalidArgumentError("unterminated byte string");
    }
    char c = text[i];
    if (c == '"') break;
    if (c != '\\') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 >= text.size()) {
      *pos = i;
      return absl::InvalidArgumentError("unterminated escape");
    }
    char e = text[i + 1];
    switch (e) {
      case 'n': out += '\n'; i += 2; continue;
      case 't': out += '\t'; i += 2; continue;
      case 'r': out += '\r'; i += 2; continue;
      case '0': out += '\0'; i += 2; continue;
      case '\\': out += '\\'; i += 2; continue;
      case '"': out += '"'; i += 2; continue;
      case 'x': {
        int hi = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
        int lo = i + 3 < text.size() ? HexValue(text[i + 3]) : -1;
        if (hi < 0 || lo < 0) {
          *pos = i;
          return absl::InvalidArgumentError("\\x needs two hex digits");
        }
        out += static_cast<char>(hi * 16 + lo);
        i += 4;
        continue;
      }
      default:
        *pos = i;
        return absl::InvalidArgumentError(
            absl::StrFormat("unknown escape '\\%c'", e));
    }
  }
  *pos = i + 1;
  return out;
}

}  // namespace

std::string EncodeBytes(std::string_view bytes) {
  if (bytes.empty()) return "\"\"";
  std::string out;
  bool in_quote = false;
  size_t i = 0;
  while (i < bytes.size()) {
    size_t run = 1;
    while (i + run < bytes.size() && bytes[i + run] == bytes[i]) ++run;
    if (run >= kMinRun) {
      if (in_quote) out += "\"";
      if (!out.empty()) out += "+";
      out += "\"";
      AppendEscaped(bytes[i], &out);
      absl::StrAppend(&out, "\"*", run);
      in_quote = false;
      i += run;
      continue;
    }
    if (!in_quote) {
      if (!out.empty()) out += "+";
      out += "\"";
      in_quote = true;
    }
    for (size_t k = 0; k < run; ++k) AppendEscaped(bytes[i], &out);
    i += run;
  }
  if (in_quote) out += "\"";
  return out;
}

absl::StatusOr<std::string> DecodeBytes(std::string_view text, size_t* pos) {
  std::string out;
  while (true) {
    absl::StatusOr<std::string> piece = DecodeQuoted(text, pos);
    if (!piece.ok()) return piece.status();
    uint64_t repeat = 1;
    if (*pos < text.size() && text[*pos] == '*') {
      size_t digits_at = ++*pos;
      repeat = 0;
      while (*pos < text.size() && text[*pos] >= '0' && text[*pos] <= '9') {
        repeat = repeat * 10 + static_cast<uint64_t>(text[*pos] - '0');
        if (repeat > kMaxLiteralBytes) {
          *pos = digits_at;
          return absl::InvalidArgumentError("repeat count too large");
        }
        ++*pos;
      }
      if (*pos == digits_at) {
        return absl::InvalidArgumentError("expected a repeat count after '*'");
      }
    }
    if (!piece->empty() &&
        (repeat > kMaxLiteralBytes / piece->size() ||
         out.size() + piece->size() * repeat > kMaxLiteralBytes)) {
      return absl::InvalidArgumentError("byte string too long");
    }
    for (uint64_t k = 0; k < repeat; ++k) out += *piece;
    if (*pos < text.size() && text[*pos] == '+') {
      ++*pos;
      continue;
    }
    return out;
  }
}

}  // namespace aiospec
