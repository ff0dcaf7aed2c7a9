#include "harness/repro/repro.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
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

// The reproducer of a finding observed on target "t".
absl::StatusOr<std::string> Emit(const Finding& f) {
  return EmitReproducer(ReproInput{&f.trace, "t.trace", "t", &f.log, &f.result, {}});
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

TEST(Repro, ThreadsAreRefusedWithAReason) {
  Finding f = Judge(R"(aiospec-trace 2
pipe rd wr
aio_read r fd=rd offset=0 nbytes=2
thread t
start t aio_suspend r
cancel t
)",
                    "aiospec-log 1\ntarget t\n0 pipe ret=0\n1 aio_read ret=0\n"
                    "2 thread ret=0\n3 start ret=0\n4 cancel ret=-1 errno=ETIMEDOUT\n"
                    "end completed\n");
  ASSERT_EQ(f.result.verdict, Verdict::kFail);
  absl::StatusOr<std::string> c = Emit(f);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("does not replay threads"));
}

TEST(Repro, PassIsNothingToReproduce) {
  Finding f = Judge(kReadTrace,
                    "aiospec-log 1\ntarget t\n0 file ret=0\n1 open ret=3\n2 aio_read ret=0\n"
                    "3 wait ret=0\n4 aio_return ret=4 data=\"3456\"\nend completed\n");
  EXPECT_EQ(Emit(f).status().code(), absl::StatusCode::kFailedPrecondition);
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
  absl::StatusOr<std::string> c = Emit(f);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(*c, HasSubstr("storm_watch(\"r\", &cb_r, 0);"));
  EXPECT_THAT(*c, HasSubstr("ret = storm_on(100, CALL_ERROR | CALL_SUSPEND, &err);"));
  EXPECT_THAT(*c, HasSubstr("storm_off(3);"));
  EXPECT_THAT(*c, HasSubstr("SIGEV_THREAD_ID"));
}

constexpr char kStormTrace[] = R"(aiospec-trace 1
pipe rd wr
aio_read r fd=rd offset=0 nbytes=4
storm on r rate=1000 calls=error
write wr data="abcd"
wait r
storm off
)";

TEST(Repro, StormRecordFindingIsJudgedByTheStatusTheModelRejected) {
  Finding f = Judge(kStormTrace,
                    "aiospec-log 1\ntarget t\n0 pipe ret=0\n1 aio_read ret=0\n2 storm ret=0\n"
                    "3 write ret=4\n4 wait ret=0\n5 storm ret=9 seen=EINPROGRESS>EIO\n"
                    "end completed\n");
  ASSERT_EQ(f.result.verdict, Verdict::kFail);
  absl::StatusOr<std::string> c = Emit(f);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(*c, HasSubstr("#define FAIL_OP 5"));
  EXPECT_THAT(*c, HasSubstr("storm_allowed[] = {{FINAL, 0, 0}, {FINAL, -1, 0}};"));
  EXPECT_THAT(*c, HasSubstr("storm_rejected[] = {{FINAL, 0, EIO}, {FINAL, -1, 0}};"));
  EXPECT_THAT(*c, HasSubstr("ret = storm_on(1000, CALL_ERROR, &err);"));
  // Storm counts differ from run to run: the recorded record is shown whole.
  EXPECT_THAT(*c, HasSubstr("\"storm ret=9 seen=EINPROGRESS>EIO\""));
}

TEST(Repro, StormHandlerReturnIsJudgedByTheValueTheModelRejected) {
  Finding f = Judge(R"(aiospec-trace 1
pipe rd wr
aio_read r fd=rd offset=0 nbytes=4
storm on r rate=1000 calls=error returns=r
write wr data="abcd"
storm off
)",
                    "aiospec-log 1\ntarget t\n0 pipe ret=0\n1 aio_read ret=0\n2 storm ret=0\n"
                    "3 write ret=4\n4 storm ret=9 seen=EINPROGRESS>0 returned=3\n"
                    "end completed\n");
  ASSERT_EQ(f.result.verdict, Verdict::kFail);
  absl::StatusOr<std::string> c = Emit(f);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(*c, HasSubstr("storm_allowed[] = {{RETURNED, 0, 4}, {FINAL, -1, 0}};"));
  EXPECT_THAT(*c, HasSubstr("storm_rejected[] = {{RETURNED, 0, 3}, {FINAL, -1, 0}};"));
  EXPECT_THAT(*c, HasSubstr("storm_watch(\"r\", &cb_r, 1);"));
}

constexpr char kNotifiedTrace[] = R"(aiospec-trace 1
pipe rd wr
aio_read r fd=rd offset=0 nbytes=4 notify=signal(7)
write wr data="abcd"
wait r until=notified
)";

// The log of kNotifiedTrace up to its notify records.
constexpr char kNotifiedLogHead[] =
    "aiospec-log 1\ntarget t\n0 pipe ret=0\n1 aio_read ret=0\n2 write ret=4\n";

TEST(Repro, NotificationFindingWaitsForTheRejectedNotification) {
  Finding f = Judge(kNotifiedTrace,
                    absl::StrCat(kNotifiedLogHead,
                                 "notify after=2 kind=signal signo=SIGRTMIN+1 code=SI_QUEUE "
                                 "value=7 status=0\n3 wait ret=0\nend completed\n")
                        .c_str());
  ASSERT_EQ(f.result.verdict, Verdict::kFail);
  absl::StatusOr<std::string> c = Emit(f);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(*c, HasSubstr("#define FAIL_OP -1"));
  EXPECT_THAT(*c, HasSubstr("failing_note[] = \"kind=signal signo=SIGRTMIN+1 code=SI_QUEUE "
                            "value=7 status=0\";\n#define FAILING_NOTE_ARRIVAL 1\n"));
  EXPECT_THAT(*c, HasSubstr("allowed[] = {\"code=SI_ASYNCIO\", NULL};"));
  EXPECT_THAT(*c, HasSubstr("ret = wait_notified(list, 1, 5000000000LL, &err);"));
  EXPECT_THAT(*c, HasSubstr("PASS: no notification like notify kind=signal"));
}

TEST(Repro, DuplicateNotificationIsJudgedByItsCount) {
  Finding f = Judge(kNotifiedTrace,
                    absl::StrCat(kNotifiedLogHead,
                                 "notify after=2 kind=signal signo=SIGRTMIN+1 code=SI_ASYNCIO "
                                 "value=7 status=0\n3 wait ret=0\nnotify after=3 kind=signal "
                                 "signo=SIGRTMIN+1 code=SI_ASYNCIO value=7 status=0\n"
                                 "end completed\n")
                        .c_str());
  ASSERT_EQ(f.result.verdict, Verdict::kFail);
  absl::StatusOr<std::string> c = Emit(f);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(*c, HasSubstr("failing_note[] = \"kind=signal signo=SIGRTMIN+1 code=SI_ASYNCIO "
                            "value=7 status=0\";\n#define FAILING_NOTE_ARRIVAL 2\n"));
  EXPECT_THAT(*c, HasSubstr("status=0 arrived 2 times"));
}

TEST(Repro, ChangedAiocbIsComparedAndLioOpcodeSet) {
  Finding f = Judge(R"(aiospec-trace 1
pipe rd wr
aio_read r fd=rd offset=0 nbytes=1 lio_opcode=LIO_NOP
aio_error r
aio_cancel rd r
)",
                    "aiospec-log 1\ntarget t\n0 pipe ret=0\n1 aio_read ret=0\n"
                    "2 aio_error ret=EINPROGRESS changed=aio_buf\n"
                    "3 aio_cancel ret=AIO_NOTCANCELED\nend completed\n");
  ASSERT_EQ(f.result.verdict, Verdict::kFail);
  EXPECT_THAT(f.result.failure->assertion_ids, ::testing::Contains("AIO-ERROR-10"));
  absl::StatusOr<std::string> c = Emit(f);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(*c, HasSubstr("cb_r.aio_lio_opcode = LIO_NOP;"));
  EXPECT_THAT(*c, HasSubstr("aiocb_snapshot(&cb_r, &before);"));
  EXPECT_THAT(*c, HasSubstr("ret = aio_cancel(fd_rd, &cb_r);"));
  // The observed text has changed= before ret=, so the allowed text is no
  // prefix of it.
  EXPECT_THAT(*c, HasSubstr("\"aio_error changed=aio_buf ret=EINPROGRESS\""));
  EXPECT_THAT(*c, HasSubstr("{\"aio_error ret=EINPROGRESS\", NULL}"));
}

TEST(Repro, ScribbleAndEarlyTimeoutAreShownBeforeRet) {
  Finding f = Judge(R"(aiospec-trace 2
pipe rd wr
aio_read r fd=rd offset=0 nbytes=1 notify=signal(3)
aio_suspend r timeout=2ms
write wr data="x"
wait r until=notified
aio_return r scribble
)",
                    "aiospec-log 1\ntarget t\n0 pipe ret=0\n1 aio_read ret=0\n"
                    "2 aio_suspend early=1500000 ret=-1 errno=EAGAIN\n3 write ret=1\n"
                    "4 wait ret=0\n5 aio_return ret=1 data=\"x\" touched=3\n"
                    "notify after=4 kind=signal signo=SIGRTMIN+1 code=SI_ASYNCIO value=3\n"
                    "end completed\n");
  ASSERT_EQ(f.result.verdict, Verdict::kFail);
  EXPECT_THAT(f.result.failure->assertion_ids, ::testing::Contains("AIO-SUSP-06"));
  absl::StatusOr<std::string> c = Emit(f);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(*c, HasSubstr("ret = timed_suspend(list, 1, &ts, 2000000LL);"));
  EXPECT_THAT(*c, HasSubstr("\"aio_suspend early=1500000 ret=-1 errno=EAGAIN\""));
  EXPECT_THAT(*c, HasSubstr("{\"aio_suspend ret=-1 errno=EAGAIN\", NULL}"));
  EXPECT_THAT(*c, HasSubstr("scribble(&cb_r, buf_r, 1, n)"));
}

TEST(Repro, ProcAndHoldOpsAreWrittenOut) {
  Finding f = Judge(R"(aiospec-trace 1
file f content="........"
open d f flags=rdwr+hold
pipe rd wr
aio_read r fd=rd offset=0 nbytes=4
proc fork watch=r cancel=rd
aio_write w fd=d offset=0 nbytes=8
hold wait d
hold release d errno=EIO
proc join
proc exec write x fd=wr offset=0 data="xy"
proc join
)",
                    "aiospec-log 1\ntarget t\n0 file ret=0\nend hung at=1\n");
  ASSERT_EQ(f.result.verdict, Verdict::kHang);
  absl::StatusOr<std::string> c = Emit(f);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(*c, HasSubstr("  hold_install();"));
  EXPECT_THAT(*c, HasSubstr("if (ret >= 0) ret = hold_move((int)ret);"));
  EXPECT_THAT(*c, HasSubstr("unsigned char *const bufs[] = {buf_r};"));
  EXPECT_THAT(*c, HasSubstr("ret = proc_fork(bufs, lens, 1, /* cancel: */ 1, fd_rd, fds, 3, &err);"));
  EXPECT_THAT(*c, HasSubstr("hold_wait(6, fd_d, 1, 1000000000LL);"));
  EXPECT_THAT(*c, HasSubstr("hold_release(7, fd_d, 0, EIO);"));
  EXPECT_THAT(*c, HasSubstr("buf_x = map_pages(2);"));
  EXPECT_THAT(*c, HasSubstr("ret = proc_exec(&cb_x, 1, &err);"));
  EXPECT_THAT(*c, HasSubstr("#define HAVE_EXEC_PROBE 1"));
  EXPECT_THAT(*c, HasSubstr("proc_join(8);"));
  EXPECT_THAT(*c, HasSubstr("proc_join(10);"));
}

}  // namespace
}  // namespace aiospec
