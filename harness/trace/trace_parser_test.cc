#include "harness/trace/trace_parser.h"

#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/trace/payload.h"

namespace aiospec {
namespace {

using ::testing::ElementsAre;

constexpr char kHeader[] = "aiospec-trace 1\n";

Trace MustParse(const std::string& body) {
  absl::StatusOr<Trace> trace = ParseTrace(kHeader + body, "t.trace");
  EXPECT_TRUE(trace.ok()) << trace.status();
  return trace.ok() ? *std::move(trace) : Trace{};
}

template <typename T>
const T& Body(const Trace& trace, size_t i) {
  EXPECT_LT(i, trace.ops.size());
  const T* body = std::get_if<T>(&trace.ops.at(i).body);
  EXPECT_NE(body, nullptr) << "op " << i << " is "
                           << OpName(trace.ops.at(i).body);
  static const T kEmpty{};
  return body != nullptr ? *body : kEmpty;
}

TEST(TraceParserTest, HeaderOnlyIsAnEmptyTrace) {
  absl::StatusOr<Trace> trace =
      ParseTrace("# leading comment\n\n  aiospec-trace 1  # v1\n", "x");
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->version, 1);
  EXPECT_EQ(trace->source, "x");
  EXPECT_TRUE(trace->ops.empty());
}

TEST(TraceParserTest, CoversAndAbout) {
  Trace t = MustParse(
      "covers AIO-READ-07 AIO-ERROR-02\n"
      "about \"reads # not a comment\"+\"!\"\n"
      "covers AIO-LIO-1\n");
  EXPECT_THAT(t.covers, ElementsAre("AIO-READ-07", "AIO-ERROR-02", "AIO-LIO-1"));
  EXPECT_EQ(t.about, "reads # not a comment!");
}

TEST(TraceParserTest, FilesPipesSocketpairsAndOpen) {
  Trace t = MustParse(
      "file f content=\"ab\"*2\n"
      "file g\n"
      "pipe r w\n"
      "socketpair s1 s2\n"
      "open d f flags=rdwr+append+sync\n"
      "open e g flags=wronly+dsync\n"
      "open o g flags=rdonly\n");
  EXPECT_THAT(t.file_names, ElementsAre("f", "g"));
  EXPECT_THAT(t.fd_names, ElementsAre("r", "w", "s1", "s2", "d", "e", "o"));
  EXPECT_EQ(Body<DeclareFile>(t, 0), (DeclareFile{0, "abab"}));
  EXPECT_EQ(Body<DeclareFile>(t, 1), (DeclareFile{1, ""}));
  EXPECT_EQ(Body<DeclarePipe>(t, 2), (DeclarePipe{0, 1}));
  EXPECT_EQ(Body<DeclareSocketpair>(t, 3), (DeclareSocketpair{2, 3}));
  EXPECT_EQ(Body<Open>(t, 4),
            (Open{4, 0, kAccessRead | kAccessWrite | kFlagAppend | kFlagSync}));
  EXPECT_EQ(Body<Open>(t, 5), (Open{5, 1, kAccessWrite | kFlagDsync}));
  EXPECT_EQ(Body<Open>(t, 6), (Open{6, 1, kAccessRead}));
  EXPECT_EQ(t.ops[4].loc, (SourceLoc{6, 1}));
}

TEST(TraceParserTest, CloseDupDup2) {
  Trace t = MustParse(
      "pipe r w\n"
      "close r\n"
      "dup r w\n"          // r reopened as a copy of w
      "dup2 w x\n"         // x is new
      "dup2 r x\n"         // x is open: replaced
      "close x\n"
      "dup2 w x\n");       // x is closed: reopened
  EXPECT_EQ(Body<Close>(t, 1), (Close{0}));
  EXPECT_EQ(Body<Dup>(t, 2), (Dup{0, 1}));
  EXPECT_EQ(Body<Dup2>(t, 3), (Dup2{1, 2}));
  EXPECT_EQ(Body<Dup2>(t, 4), (Dup2{0, 2}));
  EXPECT_EQ(Body<Dup2>(t, 6), (Dup2{1, 2}));
  EXPECT_THAT(t.fd_names, ElementsAre("r", "w", "x"));
}

TEST(TraceParserTest, AioReadAndWrite) {
  Trace t = MustParse(
      "pipe r w\n"
      "aio_read a fd=r offset=-5 nbytes=10 reqprio=3 notify=signal(7)\n"
      "aio_write b nbytes=3 offset=0 fd=w\n"
      "aio_write c fd=w offset=9223372036854775807 data=\"xyz\"\n"
      "aio_write a fd=badfd offset=0 nbytes=-1 data=\"q\" notify=thread(-2)\n");
  EXPECT_THAT(t.cb_names, ElementsAre("a", "b", "c"));
  IoRequest read{0, 0, -5, 10, 3, Notify{NotifyKind::kSignal, 7}, std::nullopt};
  EXPECT_EQ(Body<AioRead>(t, 1).req, read);
  IoRequest b{1, 1, 0, 3, 0, Notify{}, std::nullopt};
  EXPECT_EQ(Body<AioWrite>(t, 2).req, b);
  IoRequest c{2, 1, INT64_MAX, 3, 0, Notify{}, "xyz"};
  EXPECT_EQ(Body<AioWrite>(t, 3).req, c);
  IoRequest a2{0, kBadFd, 0, -1, 0, Notify{NotifyKind::kThread, -2}, "q"};
  EXPECT_EQ(Body<AioWrite>(t, 4).req, a2);
}

TEST(TraceParserTest, LioOpcodeOfTheSingleSubmissions) {
  Trace t = MustParse(
      "file f\n"
      "open d f flags=rdwr\n"
      "aio_read r fd=d offset=0 nbytes=1 lio_opcode=LIO_WRITE\n"
      "aio_write w fd=d offset=0 data=\"x\" lio_opcode=12345\n"
      "aio_fsync s fd=d lio_opcode=LIO_NOP\n"
      "aio_read q fd=d offset=0 nbytes=1\n");
  EXPECT_EQ(Body<AioRead>(t, 2).lio_opcode,
            (LioOpcodeValue{true, LioOpcode::kWrite, 0}));
  EXPECT_EQ(Body<AioWrite>(t, 3).lio_opcode,
            (LioOpcodeValue{false, LioOpcode::kNop, 12345}));
  EXPECT_EQ(Body<AioFsync>(t, 4).lio_opcode,
            (LioOpcodeValue{true, LioOpcode::kNop, 0}));
  EXPECT_EQ(Body<AioRead>(t, 5).lio_opcode, std::nullopt);
}

TEST(TraceParserTest, FsyncErrorReturnCancelSuspend) {
  Trace t = MustParse(
      "file f\n"
      "open d f flags=rdwr\n"
      "aio_fsync s fd=d\n"
      "aio_fsync s fd=d op=dsync notify=signal(1)\n"
      "aio_fsync s fd=badfd op=invalid\n"
      "aio_error s\n"
      "aio_return s\n"
      "aio_cancel d s\n"
      "aio_cancel badfd null\n"
      "aio_suspend s null s\n"
      "aio_suspend timeout=0\n"
      "aio_suspend s timeout=-3ms\n");
  EXPECT_EQ(Body<AioFsync>(t, 2), (AioFsync{0, 0, FsyncOp::kSync, Notify{}, std::nullopt}));
  EXPECT_EQ(Body<AioFsync>(t, 3),
            (AioFsync{0, 0, FsyncOp::kDsync, Notify{NotifyKind::kSignal, 1}, std::nullopt}));
  EXPECT_EQ(Body<AioFsync>(t, 4),
            (AioFsync{0, kBadFd, FsyncOp::kInvalid, Notify{}, std::nullopt}));
  EXPECT_EQ(Body<AioError>(t, 5), (AioError{0}));
  EXPECT_EQ(Body<AioReturn>(t, 6), (AioReturn{0}));
  EXPECT_EQ(Body<AioCancel>(t, 7), (AioCancel{0, 0}));
  EXPECT_EQ(Body<AioCancel>(t, 8), (AioCancel{kBadFd, kNullHandle}));
  EXPECT_EQ(Body<AioSuspend>(t, 9),
            (AioSuspend{{0, kNullHandle, 0}, Timeout{true, 0}}));
  EXPECT_EQ(Body<AioSuspend>(t, 10), (AioSuspend{{}, Timeout{false, 0}}));
  EXPECT_EQ(Body<AioSuspend>(t, 11), (AioSuspend{{0}, Timeout{false, -3000000}}));
}

TEST(TraceParserTest, LioListio) {
  Trace t = MustParse(
      "pipe r w\n"
      "lio_listio wait [read a fd=r offset=0 nbytes=4; null;"
      "write b fd=w offset=1 data=\"hi\" notify=signal(3);nop c; nop d fd=badfd]"
      " notify=thread(9)\n"
      "lio_listio nowait []\n"
      "lio_listio nowait[null]\n");
  const LioListio& lio = Body<LioListio>(t, 1);
  EXPECT_TRUE(lio.wait);
  EXPECT_EQ(lio.notify, (Notify{NotifyKind::kThread, 9}));
  ASSERT_EQ(lio.list.size(), 5u);
  EXPECT_EQ(lio.list[0].opcode, LioOpcode::kRead);
  EXPECT_EQ(lio.list[0].req, (IoRequest{0, 0, 0, 4, 0, {}, std::nullopt}));
  EXPECT_TRUE(lio.list[1].is_null);
  EXPECT_EQ(lio.list[2].opcode, LioOpcode::kWrite);
  EXPECT_EQ(lio.list[2].req,
            (IoRequest{1, 1, 1, 2, 0, {NotifyKind::kSignal, 3}, "hi"}));
  EXPECT_EQ(lio.list[3].opcode, LioOpcode::kNop);
  EXPECT_EQ(lio.list[3].req.cb, 2);
  EXPECT_EQ(lio.list[3].req.fd, kNullHandle);
  EXPECT_EQ(lio.list[4].req.fd, kBadFd);
  EXPECT_THAT(t.cb_names, ElementsAre("a", "b", "c", "d"));
  EXPECT_FALSE(Body<LioListio>(t, 2).wait);
  EXPECT_TRUE(Body<LioListio>(t, 2).list.empty());
  ASSERT_EQ(Body<LioListio>(t, 3).list.size(), 1u);
  EXPECT_TRUE(Body<LioListio>(t, 3).list[0].is_null);
}

TEST(TraceParserTest, HarnessOps) {
  Trace t = MustParse(
      "file f\n"
      "pipe r w\n"
      "aio_read a fd=r offset=0 nbytes=1\n"
      "fill w\n"
      "drain r\n"
      "drain r max=10\n"
      "write w data=\"x\\n\"\n"
      "readback f\n"
      "wait a\n"
      "wait a a timeout=250us\n"
      "wait a timeout=none\n"
      "wait a timeout=2s\n"
      "wait a until=notified timeout=1s\n"
      "wait a until=complete\n");
  EXPECT_EQ(Body<Fill>(t, 3), (Fill{1}));
  EXPECT_EQ(Body<Drain>(t, 4), (Drain{0, -1}));
  EXPECT_EQ(Body<Drain>(t, 5), (Drain{0, 10}));
  EXPECT_EQ(Body<Write>(t, 6), (Write{1, "x\n"}));
  EXPECT_EQ(Body<Readback>(t, 7), (Readback{0}));
  EXPECT_EQ(Body<Wait>(t, 8), (Wait{{0}, Timeout{false, 5000000000}}));
  EXPECT_EQ(Body<Wait>(t, 9), (Wait{{0, 0}, Timeout{false, 250000}}));
  EXPECT_EQ(Body<Wait>(t, 10), (Wait{{0}, Timeout{true, 0}}));
  EXPECT_EQ(Body<Wait>(t, 11), (Wait{{0}, Timeout{false, 2000000000}}));
  EXPECT_EQ(Body<Wait>(t, 12), (Wait{{0}, Timeout{false, 1000000000}, true}));
  EXPECT_EQ(Body<Wait>(t, 13), (Wait{{0}, Timeout{false, 5000000000}, false}));
}

TEST(TraceParserTest, OpLocationIsTheKeyword) {
  Trace t = MustParse("\n  \tpipe r w # c\n");
  ASSERT_EQ(t.ops.size(), 1u);
  EXPECT_EQ(t.ops[0].loc, (SourceLoc{3, 4}));
}

TEST(TraceParserTest, ByteLiteralMayHoldSeparators) {
  Trace t = MustParse("pipe r w\nwrite w data=\"a ; ] # b\"  # real comment\n");
  EXPECT_EQ(Body<Write>(t, 1).data, "a ; ] # b");
}

TEST(TraceParserTest, WritePayloadLimit) {
  // At the limit is fine; one above is rejected, pointing at nbytes' value.
  MustParse(absl::StrCat("pipe r w\naio_write a fd=w offset=0 nbytes=",
                         kMaxPayloadBytes, "\n"));
  absl::StatusOr<Trace> t = ParseTrace(
      absl::StrCat(kHeader, "pipe r w\naio_write a fd=w offset=0 nbytes=",
                   kMaxPayloadBytes + 1, "\n"),
      "big");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()),
              ::testing::StartsWith("big:3:34: nbytes 16777217 is above"));
}

struct BadInput {
  const char* text;
  const char* message;
};

class TraceParserErrorTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(TraceParserErrorTest, ReportsFileLineColumn) {
  absl::StatusOr<Trace> trace = ParseTrace(GetParam().text, "e.trace");
  ASSERT_FALSE(trace.ok()) << GetParam().text;
  EXPECT_EQ(trace.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(trace.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, TraceParserErrorTest,
    ::testing::Values(
        BadInput{"", "e.trace:1:1: empty trace: expected the header "
                     "'aiospec-trace 1'"},
        BadInput{"# only\n  pipe r w\n",
                 "e.trace:2:3: expected the header 'aiospec-trace 1', got "
                 "'pipe'"},
        BadInput{"aiospec-trace 3\n",
                 "e.trace:1:15: unsupported trace version 3 (this parser "
                 "reads versions 1 to 2)"},
        BadInput{"aiospec-trace 2\npipe r w\nthread t\n"
                 "on t aio_read a fd=r offset=0 nbytes=1 bogus=1\n",
                 "e.trace:4:40: unknown argument 'bogus' for aio_read"},
        BadInput{"aiospec-trace 1\npipe r w\naio_read a fd=r offset=0 nbytes=1\n"
                 "wait a until=sent\n",
                 "e.trace:4:14: until= must be complete or notified"},
        BadInput{"aiospec-trace 1\npipe r w\n"
                 "aio_read a fd=r offset=0 nbytes=1 lio_opcode=LIO_SYNC\n",
                 "e.trace:3:46: expected LIO_READ, LIO_WRITE, LIO_NOP or a "
                 "number, got 'LIO_SYNC'"},
        BadInput{"aiospec-trace 1\npipe r w\n"
                 "lio_listio wait [read a fd=r offset=0 nbytes=1 lio_opcode=1]\n",
                 "e.trace:3:48: unknown argument 'lio_opcode' for read"},
        BadInput{"aiospec-trace 1\nfrobnicate x\n",
                 "e.trace:2:1: unknown op 'frobnicate'"},
        BadInput{"aiospec-trace 1\npipe r w\naio_read a fd=q offset=0 nbytes=1\n",
                 "e.trace:3:15: unknown descriptor 'q'"},
        BadInput{"aiospec-trace 1\npipe r w\naio_error zz\n",
                 "e.trace:3:11: unknown aiocb 'zz'"},
        BadInput{"aiospec-trace 1\npipe r w\nclose r\nfill r\n",
                 "e.trace:4:6: descriptor 'r' is closed"},
        BadInput{"aiospec-trace 1\npipe r w\npipe x w\n",
                 "e.trace:3:8: descriptor 'w' is already open"},
        BadInput{"aiospec-trace 1\nfile f\nfile f\n",
                 "e.trace:3:6: file 'f' is already declared"},
        BadInput{"aiospec-trace 1\nfile f\npipe f w\n",
                 "e.trace:3:6: 'f' is a file, not a descriptor"},
        BadInput{"aiospec-trace 1\npipe r w\naio_read r fd=r offset=0 nbytes=1\n",
                 "e.trace:3:10: 'r' is a descriptor, not an aiocb"},
        BadInput{"aiospec-trace 1\npipe r w\n"
                 "aio_read a fd=r offset=99999999999999999999 nbytes=1\n",
                 "e.trace:3:24: number '99999999999999999999' does not fit "
                 "in 64 bits"},
        BadInput{"aiospec-trace 1\npipe r w\naio_read a fd=r nbytes=1\n",
                 "e.trace:3:1: aio_read needs offset="},
        BadInput{"aiospec-trace 1\npipe r w\n"
                 "aio_read a fd=r offset=0 nbytes=1 bogus=1\n",
                 "e.trace:3:35: unknown argument 'bogus' for aio_read"},
        BadInput{"aiospec-trace 1\npipe r w\n"
                 "aio_read a fd=r offset=0 nbytes=1 offset=2\n",
                 "e.trace:3:35: duplicate argument 'offset'"},
        BadInput{"aiospec-trace 1\npipe r w\nwrite w data=\"abc\n",
                 "e.trace:3:18: unterminated byte string"},
        BadInput{"aiospec-trace 1\npipe r w\nwrite w data=\"a\\qb\"\n",
                 "e.trace:3:16: unknown escape '\\q'"},
        BadInput{"aiospec-trace 1\npipe r w\nwrite w data=\"a\"x\n",
                 "e.trace:3:17: unexpected 'x' after a byte string"},
        BadInput{"aiospec-trace 1\nfile f\nopen d f flags=rdonly+wronly\n",
                 "e.trace:3:23: more than one access mode"},
        BadInput{"aiospec-trace 1\nfile f\nopen d f flags=append\n",
                 "e.trace:3:16: flags= needs an access mode: rdonly, wronly "
                 "or rdwr"},
        BadInput{"aiospec-trace 1\npipe r w\n"
                 "aio_read a fd=r offset=0 nbytes=1 notify=signal(x)\n",
                 "e.trace:3:49: expected a number, got 'x'"},
        BadInput{"aiospec-trace 1\naio_suspend timeout=5\n",
                 "e.trace:2:21: expected a timeout like 100ms, 0 or none, got "
                 "'5' (units: ns, us, ms, s)"},
        BadInput{"aiospec-trace 1\npipe r w\n"
                 "lio_listio wait [read a fd=r offset=0 nbytes=1;; null]\n",
                 "e.trace:3:48: expected a list element before ';'"},
        BadInput{"aiospec-trace 1\npipe r w\nlio_listio wait [null\n",
                 "e.trace:3:22: expected ']' to close the lio_listio list"},
        BadInput{"aiospec-trace 1\ncovers AIO-read-1\n",
                 "e.trace:2:8: expected an assertion ID like AIO-READ-07, got "
                 "'AIO-read-1'"},
        BadInput{"aiospec-trace 1\nabout \"a\"\nabout \"b\"\n",
                 "e.trace:3:1: duplicate 'about'"},
        BadInput{"aiospec-trace 1\npipe r w\nclose badfd\n",
                 "e.trace:3:7: badfd is only allowed as the descriptor of an "
                 "aio_* call or lio_listio element"},
        BadInput{"aiospec-trace 1\npipe null w\n",
                 "e.trace:2:6: 'null' is a keyword, not a descriptor name"},
        BadInput{"aiospec-trace 1\npipe r w\ndrain r max=-1\n",
                 "e.trace:3:13: max= must not be negative"},
        BadInput{"aiospec-trace 1\npipe r w\naio_read a fd=r offset=0 "
                 "nbytes=1\nwait a timeout=-1s\n",
                 "e.trace:4:16: this timeout must not be negative"},
        BadInput{"aiospec-trace 1\npipe r w\nclose r w\n",
                 "e.trace:3:9: unexpected argument 'w' for close"},
        BadInput{"aiospec-trace 1\npipe r w\nwrite w data=\"F\"*99999999999\n",
                 "e.trace:3:18: repeat count too large"},
        BadInput{"aiospec-trace 1\npipe r w\naio_write a fd=w offset=0\n",
                 "e.trace:3:1: aio_write needs nbytes= (or data=)"}));

}  // namespace
}  // namespace aiospec
