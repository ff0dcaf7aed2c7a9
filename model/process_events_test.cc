// The `proc` rules (process_events.h): for each, a log the model accepts and
// minimal edits it rejects, with the clause cited.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/checker.h"
#include "model/test_util.h"

namespace aiospec {
namespace {

using ::aiospec::testing::LogOf;
using ::aiospec::testing::TraceOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

using Lines = std::vector<std::string>;

CheckResult Check(const Lines& trace, const Lines& log, Profile profile) {
  return CheckLog(TraceOf(trace), LogOf(log), CheckOptions{profile, 4096});
}

void ExpectPass(const Lines& trace, const Lines& log,
                const std::string& choice = "") {
  for (Profile p : {Profile::kPosix, Profile::kQoi}) {
    CheckResult r = Check(trace, log, p);
    EXPECT_EQ(r.verdict, Verdict::kPass) << FormatResult(r, TraceOf(trace));
    if (!choice.empty()) EXPECT_THAT(r.choices, Contains(HasSubstr(choice)));
  }
}

void ExpectCites(const Lines& trace, const Lines& log,
                 const std::string& id) {
  for (Profile p : {Profile::kPosix, Profile::kQoi}) {
    CheckResult r = Check(trace, log, p);
    EXPECT_EQ(r.verdict, Verdict::kFail) << FormatResult(r, TraceOf(trace));
    ASSERT_TRUE(r.failure.has_value());
    EXPECT_THAT(r.failure->assertion_ids, UnorderedElementsAre(id));
  }
}

// --- fork: AIO-PROC-14, -16 ---------------------------------------------------

const Lines kFork = {
    "pipe rd wr",
    "aio_read r fd=rd offset=0 nbytes=5",
    "proc fork watch=r",
    "write wr data=\"hello\"",
    "wait r",
    "aio_return r",
    "proc join",
};

Lines ForkLog(const std::string& join) {
  return {"pipe ret=0", "aio_read ret=0", "proc ret=0", "write ret=5",
          "wait ret=0", "aio_return ret=5 data=\"hello\"", join};
}

TEST(ProcessEventsTest, ChildSeesNothingOfTheParentsRequests) {
  ExpectPass(kFork, ForkLog("proc ret=0 filled=0 notified=0"));
}

TEST(ProcessEventsTest, ChildBufferFilledCitesProc14) {
  ExpectCites(kFork, ForkLog("proc ret=0 filled=1 notified=0"), "AIO-PROC-14");
}

TEST(ProcessEventsTest, ChildNotifiedCitesProc14) {
  ExpectCites(kFork, ForkLog("proc ret=0 filled=0 notified=1"), "AIO-PROC-14");
}

TEST(ProcessEventsTest, ChildThatNeverReportedCitesProc14) {
  ExpectCites(kFork, ForkLog("proc ret=-1 errno=ECHILD"), "AIO-PROC-14");
}

// `proc fork cancel=rd`: the child's aio_cancel(rd, NULL) must find none of
// the parent's requests (qoi); posix records what it returned.
Lines CancelFork() {
  Lines t = kFork;
  t[2] = "proc fork watch=r cancel=rd";
  return t;
}

TEST(ProcessEventsTest, ChildCancelFindsNothing) {
  ExpectPass(CancelFork(), ForkLog("proc ret=0 filled=0 notified=0 cancel=AIO_ALLDONE"));
}

TEST(ProcessEventsTest, ChildCancelThatSawTheParentsRequestFailsOnlyUnderQoi) {
  const Lines log = ForkLog("proc ret=0 filled=0 notified=0 cancel=AIO_NOTCANCELED");
  CheckResult qoi = Check(CancelFork(), log, Profile::kQoi);
  EXPECT_EQ(qoi.verdict, Verdict::kFail);
  ASSERT_TRUE(qoi.failure.has_value());
  EXPECT_THAT(qoi.failure->assertion_ids,
              UnorderedElementsAre("AIO-PROC-14", "AIO-CANCEL-12"));
  CheckResult posix = Check(CancelFork(), log, Profile::kPosix);
  EXPECT_EQ(posix.verdict, Verdict::kPass) << FormatResult(posix, TraceOf(CancelFork()));
  EXPECT_THAT(posix.choices, Contains(HasSubstr("aio_cancel in the fork child")));
}

// The parent's request is unaffected by the fork (AIO-PROC-16): it still
// completes with the parent's bytes.
TEST(ProcessEventsTest, ParentReadLostAtForkIsRejected) {
  Lines log = ForkLog("proc ret=0 filled=0 notified=0");
  log[5] = "aio_return ret=-1 errno=ECANCELED";
  CheckResult r = Check(kFork, log, Profile::kPosix);
  EXPECT_EQ(r.verdict, Verdict::kFail) << FormatResult(r, TraceOf(kFork));
}

// --- _exit: AIO-PROC-07, -08 ------------------------------------------------

const Lines kExit = {
    "pipe rd wr",
    "proc exit write w fd=wr offset=0 data=\"child\" notify=signal(9)",
    "drain rd",
};

// No bytes: cancelled, or not written yet; either way accepted.
TEST(ProcessEventsTest, ExitMayCancelThePendingWrite) {
  ExpectPass(kExit, {"pipe ret=0", "proc ret=0", "drain ret=0 data=\"\""});
}

TEST(ProcessEventsTest, ExitMayLetThePendingWriteComplete) {
  ExpectPass(kExit,
             {"pipe ret=0", "proc ret=0", "drain ret=5 data=\"child\""},
             "outlived _exit");
}

TEST(ProcessEventsTest, ExitWriteOfOtherBytesIsRejected) {
  CheckResult r = Check(
      kExit, {"pipe ret=0", "proc ret=0", "drain ret=5 data=\"xxxxx\""},
      Profile::kPosix);
  EXPECT_EQ(r.verdict, Verdict::kFail) << FormatResult(r, TraceOf(kExit));
}

// The child's submission is judged as the call it is.
TEST(ProcessEventsTest, ExitSubmissionFailingOnAValidDescriptorCitesWrite03) {
  CheckResult r = Check(
      kExit, {"pipe ret=0", "proc ret=-1 errno=EBADF", "drain ret=0 data=\"\""},
      Profile::kPosix);
  EXPECT_EQ(r.verdict, Verdict::kFail) << FormatResult(r, TraceOf(kExit));
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_THAT(r.failure->assertion_ids, Contains("AIO-WRITE-03"));
}

// AIO-PROC-08: the child's notification is suppressed, so one that reaches
// the parent breaks that clause (not SIG-02/04/14: it is the request's own).
TEST(ProcessEventsTest, ExitNotificationReachingTheParentCitesProc08) {
  ExpectCites(
      kExit,
      {"pipe ret=0", "proc ret=0",
       "notify after=1 kind=signal signo=SIGRTMIN+1 code=SI_ASYNCIO value=9",
       "drain ret=5 data=\"child\""},
      "AIO-PROC-08");
}

// A value no request asked for is no suppressed notification: SIG-14.
TEST(ProcessEventsTest, ExitParentNotificationOfAnotherValueCitesSig14) {
  CheckResult r = Check(
      kExit,
      {"pipe ret=0", "proc ret=0",
       "notify after=1 kind=signal signo=SIGRTMIN+1 code=SI_ASYNCIO value=8",
       "drain ret=5 data=\"child\""},
      Profile::kPosix);
  EXPECT_EQ(r.verdict, Verdict::kFail) << FormatResult(r, TraceOf(kExit));
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_THAT(r.failure->assertion_ids, Contains("AIO-SIG-14"));
  EXPECT_THAT(r.failure->assertion_ids, ::testing::Not(Contains("AIO-PROC-08")));
}

// --- exec: AIO-PROC-10, -11, -13 ---------------------------------------------

const Lines kExec = {
    "pipe rd wr",
    "proc exec read r fd=rd offset=0 nbytes=4 notify=signal(5)",
    "write wr data=\"abcd\"",
    "drain rd",
    "proc join",
};

Lines ExecLog(const std::string& drain, const std::string& join) {
  return {"pipe ret=0", "proc ret=0", "write ret=4", drain, join};
}

// The bytes stay in the pipe: exec cancelled the read (AIO-PROC-10), or it
// has not run yet.
TEST(ProcessEventsTest, ExecMayCancelThePendingRead) {
  ExpectPass(kExec, ExecLog("drain ret=4 data=\"abcd\"",
                            "proc ret=0 filled=0 notified=0"));
}

// The read consumed them: it completed as if exec had not happened
// (AIO-PROC-11), but not into the new image.
TEST(ProcessEventsTest, ExecMayLetThePendingReadComplete) {
  ExpectPass(kExec,
             ExecLog("drain ret=0 data=\"\"", "proc ret=0 filled=0 notified=0"),
             "outlived exec");
}

TEST(ProcessEventsTest, ExecCompletionIntoTheNewImageCitesProc13) {
  ExpectCites(kExec,
              ExecLog("drain ret=0 data=\"\"", "proc ret=0 filled=1 notified=0"),
              "AIO-PROC-13");
}

TEST(ProcessEventsTest, ExecNotificationToTheNewImageCitesProc11And13) {
  for (Profile p : {Profile::kPosix, Profile::kQoi}) {
    CheckResult r = Check(kExec,
                          ExecLog("drain ret=0 data=\"\"",
                                  "proc ret=0 filled=0 notified=1"),
                          p);
    EXPECT_EQ(r.verdict, Verdict::kFail) << FormatResult(r, TraceOf(kExec));
    ASSERT_TRUE(r.failure.has_value());
    EXPECT_THAT(r.failure->assertion_ids,
                UnorderedElementsAre("AIO-PROC-11", "AIO-PROC-13"));
  }
}

// AIO-PROC-11: the request that outlived exec completes unnotified, in
// the parent as in the new image.
TEST(ProcessEventsTest, ExecNotificationReachingTheParentCitesProc11) {
  ExpectCites(kExec,
              {"pipe ret=0", "proc ret=0", "write ret=4",
               "notify after=2 kind=signal signo=SIGRTMIN+1 code=SI_ASYNCIO "
               "value=5",
               "drain ret=0 data=\"\"", "proc ret=0 filled=0 notified=0"},
              "AIO-PROC-11");
}

TEST(ProcessEventsTest, ExecProbeThatNeverReportedCitesProc13) {
  ExpectCites(kExec,
              ExecLog("drain ret=4 data=\"abcd\"", "proc ret=-1 errno=ECHILD"),
              "AIO-PROC-13");
}

// Bytes that were neither consumed nor left in the pipe.
TEST(ProcessEventsTest, ExecReadThatLostTheBytesIsRejected) {
  CheckResult r = Check(kExec,
                        ExecLog("drain ret=2 data=\"cd\"",
                                "proc ret=0 filled=0 notified=0"),
                        Profile::kPosix);
  EXPECT_EQ(r.verdict, Verdict::kFail) << FormatResult(r, TraceOf(kExec));
}

// No probe ran (exec failed) or it could not watch the old address.
TEST(ProcessEventsTest, ExecWithoutAWorkingProbeIsUnresolved) {
  for (const char* join :
       {"proc ret=-1 errno=ENOEXEC", "proc ret=-1 errno=EADDRINUSE"}) {
    CheckResult r = Check(kExec, ExecLog("drain ret=4 data=\"abcd\"", join),
                          Profile::kPosix);
    EXPECT_EQ(r.verdict, Verdict::kUnresolved) << join;
  }
}

}  // namespace
}  // namespace aiospec
