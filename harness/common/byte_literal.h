// Byte strings as readable text, shared by traces and observation logs.
//
// A literal is one or more pieces joined by '+'. A piece is a double-quoted
// string with C escapes (\n \t \r \0 \\ \" \xHH), optionally followed by
// `*N` to repeat it N times:
//
//   "hello"            "a\x00b"            "F"*65536+"tail"
//
// EncodeBytes picks runs of 16 or more equal bytes for `*N`, so a drained
// 64 KiB pipe prints as one short token. DecodeBytes(EncodeBytes(b)) == b.
//
// Usage:
//   size_t pos = 0;
//   absl::StatusOr<std::string> bytes = DecodeBytes(R"("ab"*2+"c")", &pos);
//   // *bytes == "ababc", pos == 10
#ifndef AIOSPEC_HARNESS_COMMON_BYTE_LITERAL_H_
#define AIOSPEC_HARNESS_COMMON_BYTE_LITERAL_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace aiospec {

// Largest byte string a literal may decode to; bounds memory on bad input.
inline constexpr size_t kMaxLiteralBytes = 64u << 20;

std::string EncodeBytes(std::string_view bytes);

// Decodes the literal starting at text[*pos] and leaves *pos just past it.
// On error, *pos is the offset of the offending character and the status
// message says what was expected there (no location prefix: callers add it).
absl::StatusOr<std::string> DecodeBytes(std::string_view text, size_t* pos);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_COMMON_BYTE_LITERAL_H_
