// Threads in the model (threads.h): a log the model accepts and minimally
// edited logs it rejects, citing AIO-PROC-17, AIO-PROC-18 and AIO-SUSP-17.
#include "model/threads.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "model/checker.h"
#include "model/test_util.h"

namespace aiospec {
namespace {

using ::aiospec::testing::LogOf;
using ::aiospec::testing::TraceOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using Lines = std::vector<std::string>;

CheckResult Check(const Lines& trace, const Lines& log,
                  Profile profile = Profile::kQoi) {
  Trace t = TraceOf(trace);
  CheckResult r = CheckLog(t, LogOf(log), CheckOptions{profile, 4096});
  SCOPED_TRACE(FormatResult(r, t));
  return r;
}

std::vector<std::string> Ids(const CheckResult& r) {
  return r.failure ? r.failure->assertion_ids : std::vector<std::string>{};
}

// AIO-PROC-17: the submitting thread's end cancels nothing.
const Lines kExited = {
    "pipe rd wr",
    "thread t",
    "on t aio_read r fd=rd offset=0 nbytes=2 notify=signal(4)",
    "exit t",
    "write wr data=\"hi\"",
    "wait r until=notified timeout=1s",
    "aio_return r",
};

TEST(ThreadsTest, RequestOfAnExitedThreadCompletes) {
  for (Profile p : {Profile::kPosix, Profile::kQoi}) {
    EXPECT_EQ(Check(kExited,
                    {"pipe ret=0", "thread ret=0", "aio_read ret=0", "exit ret=0",
                     "write ret=2",
                     "notify after=4 kind=signal signo=SIGRTMIN+1 code=SI_ASYNCIO "
                     "value=4 status=0",
                     "wait ret=0", "aio_return ret=2 data=\"hi\""},
                    p)
                  .verdict,
              Verdict::kPass);
  }
}

TEST(ThreadsTest, ExitCancellingTheRequestCitesProc17) {
  CheckResult r = Check(kExited, {"pipe ret=0", "thread ret=0", "aio_read ret=0", "exit ret=0",
                      "write ret=2",
                      "notify after=4 kind=signal signo=SIGRTMIN+1 code=SI_ASYNCIO "
                      "value=4 status=0",
                      "wait ret=0", "aio_return ret=-1"});
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_THAT(Ids(r), Contains("AIO-PROC-17"));
}

TEST(ThreadsTest, NotificationNeverArrivingAfterExitCitesProc17) {
  CheckResult r = Check(kExited, {"pipe ret=0", "thread ret=0", "aio_read ret=0",
                                  "exit ret=0", "write ret=2",
                                  "wait ret=-1 errno=ETIMEDOUT"});
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_THAT(Ids(r), Contains("AIO-PROC-17"));
}

// AIO-PROC-18: ops started together are judged in every order. Thread a's
// aio_suspend returns because b's write completes r: only the order
// "b, then a" explains it, though a was started first.
const Lines kBatch = {
    "pipe rd wr",
    "aio_read r fd=rd offset=0 nbytes=2",
    "thread a",
    "thread b",
    "start a aio_suspend r",
    "start b aio_write w fd=wr offset=0 data=\"hi\"",
    "await a",
    "await b",
    "aio_return r",
};

TEST(ThreadsTest, StartedOpsAreJudgedInAnyOrder) {
  for (Profile p : {Profile::kPosix, Profile::kQoi}) {
    EXPECT_EQ(Check(kBatch,
                    {"pipe ret=0", "aio_read ret=0", "thread ret=0", "thread ret=0",
                     "start ret=0", "start ret=0", "await ret=0", "await ret=0",
                     "aio_return ret=2 data=\"hi\""},
                    p)
                  .verdict,
              Verdict::kPass);
  }
}

TEST(ThreadsTest, AWrongResultOfAStartedOpCitesProc18) {
  CheckResult r = Check(kBatch, {"pipe ret=0", "aio_read ret=0", "thread ret=0",
                                 "thread ret=0", "start ret=0", "start ret=0",
                                 "await ret=0", "await ret=-1 errno=EBADF"});
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_THAT(Ids(r), Contains("AIO-PROC-18"));
  EXPECT_THAT(r.failure->message, HasSubstr("in every order"));
}

// AIO-SUSP-17: a thread blocked in aio_suspend is cancelled there.
const Lines kCancel = {
    "pipe rd wr",
    "aio_read r fd=rd offset=0 nbytes=2",
    "thread t",
    "start t aio_suspend r",
    "cancel t",
};
const Lines kCancelLog = {"pipe ret=0", "aio_read ret=0", "thread ret=0",
                          "start ret=0"};

Lines With(Lines log, const std::string& last) {
  log.push_back(last);
  return log;
}

TEST(ThreadsTest, CancelInAioSuspendPasses) {
  EXPECT_EQ(Check(kCancel, With(kCancelLog, "cancel ret=0")).verdict,
            Verdict::kPass);
}

TEST(ThreadsTest, AThreadStillBlockedAfterCancelFailsSusp17) {
  CheckResult r = Check(kCancel, With(kCancelLog, "cancel ret=-1 errno=ETIMEDOUT"));
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_EQ(Ids(r), (std::vector<std::string>{"AIO-SUSP-17"}));
}

TEST(ThreadsTest, ReturningWithNothingCompleteFails) {
  CheckResult r = Check(kCancel, With(kCancelLog, "cancel ret=-1 errno=EALREADY"));
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_THAT(Ids(r), Contains("AIO-SUSP-01"));
  // With the request done before, returning first is what a correct
  // library may do.
  Lines done = kCancel;
  done.insert(done.begin() + 2, "write wr data=\"hi\"");
  done.insert(done.begin() + 3, "wait r");
  EXPECT_EQ(Check(done, {"pipe ret=0", "aio_read ret=0", "write ret=2", "wait ret=0",
                         "thread ret=0", "start ret=0",
                         "cancel ret=-1 errno=EALREADY"})
                .verdict,
            Verdict::kPass);
}

// AIO-SIG-06: the main thread blocks the signal, thread t does not.
const Lines kOtherThread = {
    "pipe rd wr",
    "thread t",
    "sigmask block SIGRTMIN+3",
    "aio_read r fd=rd offset=0 nbytes=2 notify=signal(5,SIGRTMIN+3)",
    "write wr data=\"hi\"",
    "wait r timeout=1s",
    "wait r until=notified timeout=1s",
};
const Lines kOtherThreadLog = {"pipe ret=0",  "thread ret=0", "sigmask ret=0",
                               "aio_read ret=0", "write ret=2", "wait ret=0"};

TEST(ThreadsTest, SignalGoesToTheThreadThatLeavesItUnblocked) {
  Lines log = kOtherThreadLog;
  log.push_back("notify after=6 kind=signal signo=SIGRTMIN+3 code=SI_ASYNCIO "
                "value=5 thread=t status=0");
  log.push_back("wait ret=0");
  EXPECT_EQ(Check(kOtherThread, log).verdict, Verdict::kPass);
  // On the thread that blocks it: impossible, so the record is wrong.
  log[6] = "notify after=6 kind=signal signo=SIGRTMIN+3 code=SI_ASYNCIO "
           "value=5 thread=main status=0";
  CheckResult r = Check(kOtherThread, log);
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_EQ(Ids(r), (std::vector<std::string>{"AIO-SIG-06"}));
}

TEST(ThreadsTest, SignalKeptForTheBlockingSubmitterFailsSig06) {
  // Never delivered although t leaves it unblocked (sent to the submitting
  // thread alone): qoi's bound on notifications, and AIO-SIG-06.
  CheckResult r = Check(kOtherThread, With(kOtherThreadLog, "wait ret=-1 errno=ETIMEDOUT"));
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_THAT(Ids(r), Contains("AIO-SIG-06"));
}

// AIO-SIG-15: pending real-time signals, lowest-numbered first.
const Lines kRtOrder = {
    "pipe rd wr",
    "sigmask block SIGRTMIN+3,SIGRTMIN+4",
    "aio_read a fd=rd offset=0 nbytes=1 notify=signal(4,SIGRTMIN+4)",
    "aio_read b fd=rd offset=0 nbytes=1 notify=signal(3,SIGRTMIN+3)",
    "write wr data=\"xy\"",
    "wait a b",
    "sigmask unblock SIGRTMIN+3,SIGRTMIN+4",
};

Lines RtLog(int first, int second) {
  auto note = [](int rt) {
    return absl::StrCat("notify after=6 kind=signal signo=SIGRTMIN+", rt,
                        " code=SI_ASYNCIO value=", rt, " thread=main status=0");
  };
  return {"pipe ret=0", "sigmask ret=0", "aio_read ret=0", "aio_read ret=0",
          "write ret=2", "wait ret=0",
          "sigmask ret=0 pending=SIGRTMIN+3,SIGRTMIN+4", note(first), note(second)};
}

TEST(ThreadsTest, PendingRealTimeSignalsComeLowestFirst) {
  EXPECT_EQ(Check(kRtOrder, RtLog(3, 4)).verdict, Verdict::kPass);
  CheckResult r = Check(kRtOrder, RtLog(4, 3));
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_EQ(Ids(r), (std::vector<std::string>{"AIO-SIG-15"}));
}

TEST(ThreadsTest, MasksFollowTheTrace) {
  Trace t = TraceOf(kOtherThread);
  EXPECT_EQ(MasksBefore(t, 2).main, 0u);
  EXPECT_EQ(MasksBefore(t, 3).main, 1u << 3);
  EXPECT_EQ(MasksBefore(t, 3).thread[0], 0u);  // created before the block
}

TEST(ThreadsTest, BatchesAreFound) {
  Trace t = TraceOf(kBatch);
  ThreadBatches b = FindBatches(t);
  ASSERT_EQ(b.batches.size(), 1u);
  EXPECT_EQ(b.batches[0].first, 4);
  EXPECT_EQ(b.batches[0].close, 7);
  ASSERT_EQ(b.batches[0].members.size(), 2u);
  EXPECT_EQ(b.batches[0].members[0].start, 4);
  EXPECT_EQ(b.batches[0].members[0].end, 6);
  EXPECT_EQ(b.batch_of[3], -1);
}

}  // namespace
}  // namespace aiospec
