#include "model/state.h"

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "model/test_util.h"

namespace aiospec {
namespace {

using ::aiospec::testing::TraceOf;

TEST(StateTest, InitialStateHoldsDeclaredContent) {
  Trace t = TraceOf({"file f content=\"abc\"", "file g", "pipe r w"});
  State s = InitialState(t);
  ASSERT_EQ(s.files.size(), 2u);
  EXPECT_EQ(BytesOf(s.files[0].content), "abc");
  EXPECT_EQ(BytesOf(s.files[1].content), "");
  EXPECT_EQ(s.fds.size(), 2u);
  EXPECT_EQ(s.fds[0], kNone);
}

// Ropes (runs and ranges of flat bytes) against plain strings: the same
// bytes, size and hash whatever the pieces, and SameBytes compares bytes.
TEST(StateTest, RopesAreTheirBytes) {
  std::mt19937 rng(7);
  auto pick = [&](int n) { return static_cast<int64_t>(rng() % n); };
  std::vector<std::pair<Bytes, std::string>> pool = {
      {MakeBytes(""), ""}, {MakeBytes("xyz"), "xyz"},
      {MakeBytes(std::string(100, 'F') + "ab"), std::string(100, 'F') + "ab"}};
  for (int i = 0; i < 3000; ++i) {
    const auto& [a, sa] = pool[pick(pool.size())];
    const auto& [b, sb] = pool[pick(pool.size())];
    Bytes made;
    std::string want;
    switch (pick(3)) {
      case 0: {
        const char c = "Fxa"[pick(3)];
        const int64_t n = pick(3) == 0 ? pick(5) : pick(5000);
        made = RunBytes(c, n);
        want = std::string(n, c);
        break;
      }
      case 1:
        made = ConcatBytes(a, b);
        want = sa + sb;
        break;
      default: {
        const int64_t pos = pick(sa.size() + 2);
        const int64_t len = pick(3) == 0 ? INT64_MAX : pick(sa.size() + 2);
        made = SubBytes(a, pos, len);
        want = sa.substr(std::min<size_t>(pos, sa.size()),
                         static_cast<size_t>(std::min<int64_t>(len, INT64_MAX)));
        break;
      }
    }
    const Bytes flat = MakeBytes(want);
    ASSERT_EQ(BytesSize(made), static_cast<int64_t>(want.size()));
    ASSERT_EQ(BytesHash(made), BytesHash(flat));
    ASSERT_TRUE(SameBytes(made, flat));
    ASSERT_TRUE(SameBytes(flat, made));
    for (const auto& [other, so] : pool) {
      ASSERT_EQ(SameBytes(made, other), so == want);
    }
    ASSERT_EQ(BytesOf(made), want);
    if (pool.size() < 64) {
      pool.emplace_back(made, want);
    } else {
      pool[pick(pool.size())] = {made, want};
    }
  }
  EXPECT_EQ(BytesHash(nullptr), BytesHash(MakeBytes("")));
}

TEST(StateTest, CanonicalFormTellsWorldsApart) {
  Trace t = TraceOf({"file f content=\"abc\""});
  State a = InitialState(t);
  State b = a;
  EXPECT_EQ(a.Canonical(), b.Canonical());
  EXPECT_EQ(a.files[0].content.get(), b.files[0].content.get());  // shared
  b.files[0].content = MakeBytes("abd");
  EXPECT_NE(a.Canonical(), b.Canonical());
  EXPECT_EQ(BytesOf(a.files[0].content), "abc");  // copy-on-write
  // Content boundaries are unambiguous.
  State c = a, d = a;
  c.files.push_back({MakeBytes("x;1:y")});
  d.files.push_back({MakeBytes("x")});
  d.files.push_back({MakeBytes("y")});
  EXPECT_NE(c.Canonical(), d.Canonical());
}

TEST(StateTest, EqualityAndHashFollowTheWorldNotTheSharing) {
  Trace t = TraceOf({"file f content=\"abc\""});
  State a = InitialState(t);
  State b = a;
  b.files[0].content = MakeBytes("abc");  // equal bytes, another object
  EXPECT_TRUE(a == b);
  EXPECT_EQ(a.Hash(), b.Hash());
  b.files[0].content = MakeBytes("abd");
  EXPECT_FALSE(a == b);
  State c = a;
  c.fds.push_back(kNone);
  EXPECT_FALSE(a == c);
}

TEST(StateTest, WriteAtZeroFillsAGap) {
  EXPECT_EQ(WriteAt("ab", 4, "cd"), std::string("ab\0\0cd", 6));
  EXPECT_EQ(WriteAt("abcdef", 1, "XY"), "aXYdef");
  EXPECT_EQ(WriteAt("", 0, ""), "");
}

TEST(StateTest, ReadersAndWritersAreLiveDescriptions) {
  State s;
  StreamId st = s.AddStream();
  OfdId r = s.AddOfd(Ofd{.kind = OfdKind::kStream, .read_stream = st,
                         .readable = true, .refs = 1});
  OfdId w = s.AddOfd(Ofd{.kind = OfdKind::kStream, .write_stream = st,
                         .writable = true, .refs = 2});
  EXPECT_TRUE(s.HasReader(st));
  EXPECT_TRUE(s.HasWriter(st));
  s.Unref(w);
  EXPECT_TRUE(s.HasWriter(st));  // a request still holds it
  s.Unref(w);
  EXPECT_FALSE(s.HasWriter(st));
  s.Unref(r);
  EXPECT_FALSE(s.HasReader(st));
}

}  // namespace
}  // namespace aiospec
