#include "model/state.h"

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
