#include "harness/trace/trace_printer.h"

#include <string>

#include "gtest/gtest.h"
#include "harness/trace/trace_parser.h"

namespace aiospec {
namespace {

TEST(TracePrinterTest, CanonicalTextOrdersArgumentsAndDropsDefaults) {
  absl::StatusOr<Trace> t = ParseTrace(
      "aiospec-trace 1\n"
      "covers AIO-READ-07\n"
      "file f   content=\"abc\"\n"
      "open d f flags=sync+rdwr+append   # flags in any order\n"
      "aio_write w data=\"xy\" offset=4 fd=d notify=none reqprio=0\n"
      "aio_write v nbytes=5 data=\"xy\" offset=4 fd=d\n"
      "aio_fsync s fd=d op=sync\n"
      "drain d max=3\n"
      "wait w v timeout=5000ms\n"
      "aio_suspend w null timeout=1500us\n"
      "about \"late \\\"about\\\"\"\n"
      "covers AIO-WRITE-1\n"
      "lio_listio nowait [ nop n ;null;read w fd=d offset=0 nbytes=2 "
      "reqprio=1 ] notify=signal(4)\n",
      "p");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(PrintTrace(*t),
            "aiospec-trace 1\n"
            "about \"late \\\"about\\\"\"\n"
            "covers AIO-READ-07 AIO-WRITE-1\n"
            "file f content=\"abc\"\n"
            "open d f flags=rdwr+append+sync\n"
            "aio_write w fd=d offset=4 data=\"xy\"\n"
            "aio_write v fd=d offset=4 nbytes=5 data=\"xy\"\n"
            "aio_fsync s fd=d\n"
            "drain d max=3\n"
            "wait w v\n"
            "aio_suspend w null timeout=1500us\n"
            "lio_listio nowait [nop n; null; read w fd=d offset=0 nbytes=2 "
            "reqprio=1] notify=signal(4)\n");
}

TEST(TracePrinterTest, PrintOpIsOneLine) {
  absl::StatusOr<Trace> t = ParseTrace(
      "aiospec-trace 1\npipe r w\nwrite w data=\"a\\nb\"+\"F\"*20\n", "p");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(PrintOp(*t, t->ops[1]), "write w data=\"a\\nb\"+\"F\"*20");
  EXPECT_STREQ(OpName(t->ops[1].body), "write");
  EXPECT_STREQ(OpName(t->ops[0].body), "pipe");
}

TEST(TracePrinterTest, OutOfRangeHandlesDoNotCrash) {
  Trace t;
  Op op{AioCancel{7, 3}, {}};
  EXPECT_EQ(PrintOp(t, op), "aio_cancel ?fd7 ?cb3");
  EXPECT_EQ(PrintOp(t, Op{AioCancel{kBadFd, kNullHandle}, {}}),
            "aio_cancel badfd null");
}

TEST(TracePrinterTest, TimeoutsUseTheLargestExactUnit) {
  EXPECT_EQ(PrintTimeout({true, 0}), "none");
  EXPECT_EQ(PrintTimeout({false, 0}), "0");
  EXPECT_EQ(PrintTimeout({false, 3000000000}), "3s");
  EXPECT_EQ(PrintTimeout({false, 1500000000}), "1500ms");
  EXPECT_EQ(PrintTimeout({false, -2000000}), "-2ms");
  EXPECT_EQ(PrintTimeout({false, 1001}), "1001ns");
  EXPECT_EQ(PrintTimeout({false, 7000}), "7us");
}

}  // namespace
}  // namespace aiospec
