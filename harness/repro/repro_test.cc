#include "harness/repro/repro.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/trace/trace_parser.h"

namespace aiospec {
namespace {

using ::testing::HasSubstr;

// A finding judged by the real model on a hand-written log.
struct Finding {
  Trace trace;
  ObservationLog log;
  CheckResult result;
};

Finding Judge(const char* trace_text, const char* log_text) {
  Finding f;
  f.trace = *ParseTrace(trace_text, "t.trace");
  f.log = *ParseLog(log_text, "t.log");
  f.result = CheckLog(f.trace, f.log, CheckOptions{});
  return f;
}

constexpr char kReadTrace[] = R"(aiospec-trace 1
covers AIO-READ-07
file f content="0123456789"
open d f flags=rdonly
aio_read r fd=d offset=3 nbytes=4
wait r
aio_return r
)";

TEST(Repro, FailFindingNamesTheOpAllowedAndBuildLine) {
  Finding f = Judge(kReadTrace,
                    "aiospec-log 1\ntarget t\n0 file ret=0\n1 open ret=3\n2 aio_read ret=0\n"
                    "3 wait ret=0\n4 aio_return ret=4 data=\"XXXX\"\nend completed\n");
  ASSERT_EQ(f.result.verdict, Verdict::kFail);
  ReproInput in{&f.trace, "dir/t.trace", "libx", &f.log, &f.result, {{"AIO-READ-07", "reads"}}};
  absl::StatusOr<std::string> c = EmitReproducer(in);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(*c, HasSubstr("t is FAIL on libx"));
  EXPECT_THAT(*c, HasSubstr("#define FAIL_OP 4"));
  EXPECT_THAT(*c, HasSubstr("\"aio_return ret=4 data=\\\"3456\\\"\""));
  EXPECT_THAT(*c, HasSubstr("/* op 2 (trace line 5): aio_read r fd=d offset=3 nbytes=4 */"));
  EXPECT_THAT(*c, HasSubstr(ReproBuildLine("repro.c")));
  EXPECT_THAT(*c, ::testing::Not(HasSubstr("fill(")));  // helpers only when needed
}

TEST(Repro, PassIsNothingToReproduce) {
  Finding f = Judge(kReadTrace,
                    "aiospec-log 1\ntarget t\n0 file ret=0\n1 open ret=3\n2 aio_read ret=0\n"
                    "3 wait ret=0\n4 aio_return ret=4 data=\"3456\"\nend completed\n");
  ReproInput in{&f.trace, "t.trace", "t", &f.log, &f.result, {}};
  EXPECT_EQ(EmitReproducer(in).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Repro, StormHangRunsTheStormInThePlainC) {
  Finding f = Judge(R"(aiospec-trace 1
pipe rd wr
aio_read r fd=rd offset=0 nbytes=5
storm on r rate=100
storm off
)",
                    "aiospec-log 1\ntarget t\n0 pipe ret=0\n1 aio_read ret=0\nend hung at=2\n");
  ASSERT_EQ(f.result.verdict, Verdict::kHang);
  ReproInput in{&f.trace, "t.trace", "t", &f.log, &f.result, {}};
  absl::StatusOr<std::string> c = EmitReproducer(in);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(*c, HasSubstr("storm_watch(\"r\", &cb_r, 0);"));
  EXPECT_THAT(*c, HasSubstr("ret = storm_on(100, CALL_ERROR | CALL_SUSPEND, &err);"));
  EXPECT_THAT(*c, HasSubstr("storm_off(3);"));
  EXPECT_THAT(*c, HasSubstr("SIGEV_THREAD_ID"));
}

}  // namespace
}  // namespace aiospec
