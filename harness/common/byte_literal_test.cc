#include "harness/common/byte_literal.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace aiospec {
namespace {

std::string Decode(std::string_view text) {
  size_t pos = 0;
  absl::StatusOr<std::string> out = DecodeBytes(text, &pos);
  EXPECT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(pos, text.size());
  return out.ok() ? *out : "";
}

TEST(ByteLiteral, DecodesEscapesRepeatsAndJoins) {
  EXPECT_EQ(Decode(R"("hello")"), "hello");
  EXPECT_EQ(Decode(R"("a\x00b\n\"")"), std::string("a\0b\n\"", 5));
  EXPECT_EQ(Decode(R"("ab"*2+"c")"), "ababc");
  EXPECT_EQ(Decode(R"("")"), "");
}

TEST(ByteLiteral, EncodesRunsCompactly) {
  std::string bytes(65536, 'F');
  bytes += "tail";
  EXPECT_EQ(EncodeBytes(bytes), R"("F"*65536+"tail")");
}

TEST(ByteLiteral, RoundTripsRandomBytes) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes;
    int len = rng() % 64;
    for (int k = 0; k < len; ++k) {
      // Mostly a small alphabet, so runs long enough for `*N` occur.
      bytes += (rng() % 4 == 0) ? static_cast<char>(rng() % 256) : 'a';
    }
    if (rng() % 5 == 0) bytes += std::string(rng() % 40, 'z');
    EXPECT_EQ(Decode(EncodeBytes(bytes)), bytes);
  }
}

TEST(ByteLiteral, RejectsMalformedInputWithPosition) {
  struct Case {
    const char* text;
    size_t error_pos;
  } cases[] = {{"hello", 0}, {R"("abc)", 4}, {R"("a\q")", 2},
               {R"("a\x4")", 2}, {R"("a"*)", 4}, {R"("a"+b)", 4}};
  for (const Case& c : cases) {
    size_t pos = 0;
    absl::StatusOr<std::string> out = DecodeBytes(c.text, &pos);
    EXPECT_FALSE(out.ok()) << c.text;
    EXPECT_EQ(pos, c.error_pos) << c.text;
  }
}

TEST(ByteLiteral, BoundsRepeatCounts) {
  size_t pos = 0;
  EXPECT_FALSE(DecodeBytes(R"("abc"*99999999999)", &pos).ok());
}

}  // namespace
}  // namespace aiospec
