#include "model/checker.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/test_util.h"

namespace aiospec {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::aiospec::testing::LogOf;
using ::aiospec::testing::TraceOf;

using Lines = std::vector<std::string>;

CheckResult Check(const Lines& trace, const Lines& log, Profile profile,
                  size_t max_states = 4096) {
  Trace t = TraceOf(trace);
  CheckResult r = CheckLog(t, LogOf(log), CheckOptions{profile, max_states});
  SCOPED_TRACE(FormatResult(r, t));
  return r;
}

std::string Show(const Lines& trace, const CheckResult& r) {
  return FormatResult(r, TraceOf(trace));
}

std::vector<std::string> Ids(const CheckResult& r) {
  return r.failure ? r.failure->assertion_ids : std::vector<std::string>{};
}

void ExpectPassBoth(const Lines& trace, const Lines& log) {
  for (Profile p : {Profile::kPosix, Profile::kQoi}) {
    CheckResult r = Check(trace, log, p);
    EXPECT_EQ(r.verdict, Verdict::kPass) << Show(trace, r);
  }
}

void ExpectFailBoth(const Lines& trace, const Lines& log,
                    const std::vector<std::string>& ids) {
  for (Profile p : {Profile::kPosix, Profile::kQoi}) {
    CheckResult r = Check(trace, log, p);
    EXPECT_EQ(r.verdict, Verdict::kFail) << Show(trace, r);
    EXPECT_THAT(Ids(r), IsSupersetOf(ids)) << Show(trace, r);
  }
}

// --- Signal storms (AIO-ASS-01) ----------------------------------------------

const Lines kStorm = {
    "pipe rd wr",
    "aio_read r fd=rd offset=0 nbytes=2",
    "aio_read q fd=rd offset=0 nbytes=2",
    "storm on r q rate=1000 returns=q",
    "write wr data=\"ab\"",
    "wait r",
    "storm off",
    "aio_return r",
};

TEST(CheckerTest, StormRecordFitsTheModel) {
  ExpectPassBoth(kStorm, {"pipe ret=0", "aio_read ret=0", "aio_read ret=0",
                          "storm ret=0", "write ret=2", "wait ret=0",
                          "storm ret=300 seen=EINPROGRESS>0,EINPROGRESS "
                          "suspend=0:3,EAGAIN:297,EINTR:0",
                          "aio_return ret=2 data=\"ab\""});
}

TEST(CheckerTest, StormEinprogressAfterFinalStatusFails) {
  ExpectFailBoth(kStorm,
                 {"pipe ret=0", "aio_read ret=0", "aio_read ret=0",
                  "storm ret=0", "write ret=2", "wait ret=0",
                  "storm ret=300 seen=EINPROGRESS>0>EINPROGRESS,EINPROGRESS "
                  "suspend=0:3,EAGAIN:297,EINTR:0",
                  "aio_return ret=2 data=\"ab\""},
                 {"AIO-ASS-01", "AIO-ERROR-09"});
}

TEST(CheckerTest, StormSuspendZeroWithNothingCompleteFails) {
  // No write: neither read can complete, so aio_suspend(0) cannot return 0.
  const Lines trace = {"pipe rd wr", "aio_read r fd=rd offset=0 nbytes=2",
                       "storm on r rate=1000", "wait r timeout=50ms",
                       "storm off"};
  const Lines ok = {"pipe ret=0", "aio_read ret=0", "storm ret=0",
                    "wait ret=-1 errno=ETIMEDOUT",
                    "storm ret=50 seen=EINPROGRESS "
                    "suspend=0:0,EAGAIN:49,EINTR:1"};
  ExpectPassBoth(trace, ok);
  Lines bad = ok;
  bad[4] = "storm ret=50 seen=EINPROGRESS suspend=0:1,EAGAIN:49,EINTR:0";
  ExpectFailBoth(trace, bad, {"AIO-ASS-01", "AIO-SUSP-02", "AIO-SUSP-13"});
}

// `storm on ... close=D`: a handler closed D before `storm on` returned.
// Close from a signal handler is close (AIO-PROC-01..03): the pending read
// completes on its pipe or is cancelled, and never fails EBADF.
const Lines kStormClose = {
    "pipe rd wr", "aio_read r fd=rd offset=0 nbytes=2",
    "storm on r rate=1000 calls=none close=rd", "write wr data=\"ab\"",
    "wait r", "storm off", "aio_error r", "aio_return r"};
const Lines kStormCloseLog = {
    "pipe ret=0", "aio_read ret=0", "storm ret=0", "write ret=2",
    "wait ret=0", "storm ret=12", "aio_error ret=0", "aio_return ret=2 data=\"ab\""};

TEST(CheckerTest, StormCloseIsACloseFromAHandler) {
  ExpectPassBoth(kStormClose, kStormCloseLog);
  // posix lets close cancel any pending subset (AIO-PROC-01); then nothing
  // holds the read end.
  Lines cancelled = kStormCloseLog;
  cancelled[3] = "write ret=-1 errno=EPIPE";
  cancelled[6] = "aio_error ret=ECANCELED";
  cancelled[7] = "aio_return ret=-1";
  EXPECT_EQ(Check(kStormClose, cancelled, Profile::kPosix).verdict, Verdict::kPass);
  Lines ebadf = kStormCloseLog;
  ebadf[6] = "aio_error ret=EBADF";
  ebadf[7] = "aio_return ret=-1";
  ExpectFailBoth(kStormClose, ebadf, {"AIO-PROC-03"});
}

TEST(CheckerTest, StormCloseThatNoHandlerMadeIsUnresolved) {
  Lines no_handler = kStormCloseLog;
  no_handler[2] = "storm ret=-1 errno=ETIMEDOUT";
  EXPECT_EQ(Check(kStormClose, no_handler, Profile::kQoi).verdict, Verdict::kUnresolved);
  Lines failed = kStormCloseLog;
  failed[2] = "storm ret=-1 errno=EBADF";
  CheckResult r = Check(kStormClose, failed, Profile::kPosix);
  EXPECT_EQ(r.verdict, Verdict::kUnresolved);
}

TEST(CheckerTest, StormHandlerReturnMustMatchAndConsumes) {
  const Lines trace = {"pipe rd wr", "aio_read r fd=rd offset=0 nbytes=2",
                       "storm on r rate=1000 returns=r",
                       "write wr data=\"ab\"", "storm off", "aio_return r"};
  ExpectPassBoth(trace, {"pipe ret=0", "aio_read ret=0", "storm ret=0",
                         "write ret=2",
                         "storm ret=9 seen=EINPROGRESS>0 "
                         "suspend=0:0,EAGAIN:8,EINTR:0 returned=2",
                         "aio_return ret=-1 errno=EINVAL"});
  ExpectFailBoth(trace,
                 {"pipe ret=0", "aio_read ret=0", "storm ret=0", "write ret=2",
                  "storm ret=9 seen=EINPROGRESS>0 "
                  "suspend=0:0,EAGAIN:8,EINTR:0 returned=1",
                  "aio_return ret=-1 errno=EINVAL"},
                 {"AIO-ASS-01", "AIO-RETURN-08"});
}

TEST(CheckerTest, HangInsideAStormNamesTheCall) {
  CheckResult r = Check({"pipe rd wr", "aio_read r fd=rd offset=0 nbytes=2",
                         "storm on r rate=1000", "wait r timeout=50ms",
                         "storm off"},
                        {"pipe ret=0", "aio_read ret=0", "storm ret=0",
                         "end hung at=3"},
                        Profile::kQoi);
  EXPECT_EQ(r.verdict, Verdict::kHang);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_THAT(r.failure->message,
              HasSubstr("hung in wait while handlers called"));
  EXPECT_THAT(Ids(r), Contains("AIO-ASS-01"));
}

// --- Regular-file reads ------------------------------------------------------

const Lines kFileRead = {
    "file f content=\"hello world\"",
    "open d f flags=rdonly",
    "aio_read r fd=d offset=6 nbytes=5",
    "wait r",
    "aio_error r",
    "aio_return r",
};

TEST(CheckerTest, ReadAtOffsetPasses) {
  ExpectPassBoth(kFileRead, {"file ret=0", "open ret=3", "aio_read ret=0",
                             "wait ret=0", "aio_error ret=0",
                             "aio_return ret=5 data=\"world\""});
}

TEST(CheckerTest, ReadAtWrongOffsetFails) {
  ExpectFailBoth(kFileRead,
                 {"file ret=0", "open ret=3", "aio_read ret=0", "wait ret=0",
                  "aio_error ret=0", "aio_return ret=5 data=\"hello\""},
                 {"AIO-READ-01", "AIO-READ-07", "AIO-GEN-04"});
}

TEST(CheckerTest, ShortReadAtEndOfFile) {
  const Lines trace = {"file f content=\"hello world\"", "open d f flags=rdonly",
                       "aio_read r fd=d offset=8 nbytes=10", "wait r",
                       "aio_return r"};
  ExpectPassBoth(trace, {"file ret=0", "open ret=3", "aio_read ret=0",
                         "wait ret=0", "aio_return ret=3 data=\"rld\""});
  ExpectFailBoth(trace,
                 {"file ret=0", "open ret=3", "aio_read ret=0", "wait ret=0",
                  "aio_return ret=10 data=\"rld\\0\\0\\0\\0\\0\\0\\0\""},
                 {"AIO-RETURN-01", "AIO-READ-20"});
}

TEST(CheckerTest, FailureExplainsStepObservedAndAllowed) {
  CheckResult r = Check(kFileRead,
                        {"file ret=0", "open ret=3", "aio_read ret=0",
                         "wait ret=0", "aio_error ret=0",
                         "aio_return ret=5 data=\"hello\""},
                        Profile::kQoi);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->op_index, 5);
  EXPECT_EQ(r.failure->loc.line, 7);  // after the header line
  EXPECT_THAT(r.failure->op_text, HasSubstr("aio_return r"));
  EXPECT_THAT(r.failure->observed, HasSubstr("data=\"hello\""));
  EXPECT_THAT(r.failure->allowed, Contains(HasSubstr("data=\"world\"")));
  const std::string text = Show(kFileRead, r);
  EXPECT_THAT(text, HasSubstr("FAIL (profile qoi)"));
  EXPECT_THAT(text, HasSubstr("AIO-READ-07"));
}

// --- Pipes: a read held by an empty pipe -------------------------------------

const Lines kPipeRead = {
    "pipe r w",
    "aio_read a fd=r offset=0 nbytes=4",
    "aio_error a",
    "write w data=\"abcd\"",
    "wait a",
    "aio_return a",
};

TEST(CheckerTest, ReadOnEmptyPipeWaitsForWrite) {
  ExpectPassBoth(kPipeRead, {"pipe ret=0", "aio_read ret=0",
                             "aio_error ret=EINPROGRESS", "write ret=4",
                             "wait ret=0", "aio_return ret=4 data=\"abcd\""});
}

TEST(CheckerTest, ReadOnEmptyPipeCannotCompleteEarly) {
  ExpectFailBoth(kPipeRead,
                 {"pipe ret=0", "aio_read ret=0", "aio_error ret=0",
                  "write ret=4", "wait ret=0",
                  "aio_return ret=4 data=\"abcd\""},
                 {"AIO-ERROR-02"});
}

TEST(CheckerTest, PipeReadDataMismatchFails) {
  ExpectFailBoth(kPipeRead,
                 {"pipe ret=0", "aio_read ret=0", "aio_error ret=EINPROGRESS",
                  "write ret=4", "wait ret=0", "aio_return ret=4 data=\"abce\""},
                 {"AIO-READ-01", "AIO-GEN-25"});
}

TEST(CheckerTest, ReadSeesEndOfFileWhenLastWriterCloses) {
  const Lines trace = {"pipe r w", "aio_read a fd=r offset=0 nbytes=4",
                       "close w", "wait a", "aio_return a"};
  ExpectPassBoth(trace, {"pipe ret=0", "aio_read ret=0", "close ret=0",
                         "wait ret=0", "aio_return ret=0"});
  ExpectFailBoth(trace,
                 {"pipe ret=0", "aio_read ret=0", "close ret=0", "wait ret=0",
                  "aio_return ret=4 data=\"????\""},
                 {"AIO-RETURN-01"});
}

TEST(CheckerTest, WriteWithNoReaderGetsEpipe) {
  const Lines trace = {"pipe r w", "close r",
                       "aio_write a fd=w offset=0 nbytes=3 data=\"abc\"",
                       "wait a", "aio_error a", "aio_return a"};
  ExpectPassBoth(trace, {"pipe ret=0", "close ret=0", "aio_write ret=0",
                         "wait ret=0", "aio_error ret=EPIPE",
                         "aio_return ret=-1"});
  ExpectFailBoth(trace,
                 {"pipe ret=0", "close ret=0", "aio_write ret=0", "wait ret=0",
                  "aio_error ret=0", "aio_return ret=3"},
                 {"AIO-ERROR-01", "AIO-WRITE-18"});
}

TEST(CheckerTest, SocketpairCarriesBytesBothWays) {
  const Lines trace = {"socketpair s t", "aio_read a fd=t offset=0 nbytes=8",
                       "write s data=\"ping\"", "wait a", "aio_return a",
                       "aio_read b fd=s offset=0 nbytes=8",
                       "write t data=\"pong\"", "wait b", "aio_return b"};
  ExpectPassBoth(trace, {"socketpair ret=0", "aio_read ret=0", "write ret=4",
                         "wait ret=0", "aio_return ret=4 data=\"ping\"",
                         "aio_read ret=0", "write ret=4", "wait ret=0",
                         "aio_return ret=4 data=\"pong\""});
}

TEST(CheckerTest, LargeWriteIntoPipeOfUnknownCapacityArrivesInPieces) {
  const Lines trace = {"pipe r w",
                       "aio_write a fd=w offset=0 nbytes=100000 data=\"z\"",
                       "drain r", "aio_error a", "drain r", "wait a",
                       "aio_return a"};
  ExpectPassBoth(trace, {"pipe ret=0", "aio_write ret=0",
                         "drain ret=65536 data=\"z\"*65536",
                         "aio_error ret=EINPROGRESS",
                         "drain ret=34464 data=\"z\"*34464", "wait ret=0",
                         "aio_return ret=100000"});
  ExpectFailBoth(trace,
                 {"pipe ret=0", "aio_write ret=0",
                  "drain ret=65536 data=\"z\"*65536", "aio_error ret=0",
                  "drain ret=34464 data=\"z\"*34464", "wait ret=0",
                  "aio_return ret=65536"},
                 {"AIO-RETURN-01", "AIO-WRITE-18"});
}

// --- The offset maximum: AIO-READ-14, -17, -19, -20 ---------------------------

// A read ending past the offset maximum (2^63-1) starts past EOF: it sees
// EOF, or reports EINVAL for its implied offset (Linux's pread), sync or
// async; EOVERFLOW is only for a read that starts before EOF.
const Lines kReadAtOffsetMax = {
    "file f content=\"ab\"", "open d f flags=rdonly",
    "aio_read r fd=d offset=9223372036854775807 nbytes=4", "wait r",
    "aio_error r", "aio_return r"};

Lines ReadAtOffsetMaxLog(const std::string& error, const std::string& ret) {
  return {"file ret=0", "open ret=3", "aio_read ret=0", "wait ret=0", error, ret};
}

TEST(CheckerTest, ReadPastTheOffsetMaximumSeesEofOrEinval) {
  ExpectPassBoth(kReadAtOffsetMax,
                 ReadAtOffsetMaxLog("aio_error ret=0", "aio_return ret=0"));
  ExpectPassBoth(kReadAtOffsetMax,
                 ReadAtOffsetMaxLog("aio_error ret=EINVAL", "aio_return ret=-1"));
  CheckResult sync = Check({kReadAtOffsetMax[0], kReadAtOffsetMax[1],
                            kReadAtOffsetMax[2]},
                           {"file ret=0", "open ret=3", "aio_read ret=-1 errno=EINVAL"},
                           Profile::kPosix);
  EXPECT_EQ(sync.verdict, Verdict::kPass);
  EXPECT_THAT(sync.choices, Contains(HasSubstr("AIO-READ-17: EINVAL reported")));
}

TEST(CheckerTest, ReadPastTheOffsetMaximumReportingEoverflowCitesRead19) {
  ExpectFailBoth(kReadAtOffsetMax,
                 ReadAtOffsetMaxLog("aio_error ret=EOVERFLOW", "aio_return ret=-1"),
                 {"AIO-READ-19"});
  const Lines submit = {kReadAtOffsetMax[0], kReadAtOffsetMax[1],
                        kReadAtOffsetMax[2]};
  ExpectFailBoth(submit,
                 {"file ret=0", "open ret=3", "aio_read ret=-1 errno=EOVERFLOW"},
                 {"AIO-READ-19"});
}

// --- aio_error monotonicity and aio_return once ------------------------------

const Lines kTwice = {"file f content=\"abc\"", "open d f flags=rdonly",
                      "aio_read r fd=d offset=0 nbytes=3", "aio_error r",
                      "aio_error r", "aio_return r", "aio_return r",
                      "aio_error r"};

TEST(CheckerTest, AioErrorNeverGoesBackToInProgress) {
  ExpectPassBoth(kTwice, {"file ret=0", "open ret=3", "aio_read ret=0",
                          "aio_error ret=EINPROGRESS", "aio_error ret=0",
                          "aio_return ret=3 data=\"abc\"",
                          "aio_return ret=-1 errno=EINVAL", "aio_error ret=0"});
  ExpectFailBoth(kTwice,
                 {"file ret=0", "open ret=3", "aio_read ret=0",
                  "aio_error ret=0", "aio_error ret=EINPROGRESS",
                  "aio_return ret=3 data=\"abc\"", "aio_return ret=3",
                  "aio_error ret=0"},
                 {"AIO-ERROR-09"});
}

TEST(CheckerTest, SecondAioReturnIsStaleOrEinval) {
  ExpectPassBoth(kTwice, {"file ret=0", "open ret=3", "aio_read ret=0",
                          "aio_error ret=0", "aio_error ret=0",
                          "aio_return ret=3 data=\"abc\"", "aio_return ret=3",
                          "aio_error ret=-1 errno=EINVAL"});
  ExpectFailBoth(kTwice,
                 {"file ret=0", "open ret=3", "aio_read ret=0",
                  "aio_error ret=0", "aio_error ret=0",
                  "aio_return ret=3 data=\"abc\"", "aio_return ret=7",
                  "aio_error ret=0"},
                 {"AIO-RETURN-03", "AIO-RETURN-05", "AIO-RETURN-06"});
  ExpectFailBoth(kTwice,
                 {"file ret=0", "open ret=3", "aio_read ret=0",
                  "aio_error ret=0", "aio_error ret=0",
                  "aio_return ret=3 data=\"abc\"", "aio_return ret=3",
                  "aio_error ret=-1 errno=EBADF"},
                 {"AIO-ERROR-06", "AIO-ERROR-07"});
}

// AIO-READ-15, AIO-WRITE-13, AIO-FSYNC-11: EAGAIN (resource limits) is
// always a possible answer to a submission. AIO-LIO-21 and AIO-LIO-24:
// EINVAL for a list longer than {AIO_LISTIO_MAX} (at least 2), and then
// nothing started.
TEST(CheckerTest, SubmissionsMayFailForResources) {
  const Lines trace = {"file f content=\"abc\"", "open d f flags=rdwr",
                       "aio_read r fd=d offset=0 nbytes=1",
                       "aio_write w fd=d offset=0 data=\"x\"",
                       "aio_fsync s fd=d",
                       "lio_listio wait [write a fd=d offset=0 data=\"A\"; "
                       "write b fd=d offset=1 data=\"B\"; "
                       "write c fd=d offset=2 data=\"C\"]",
                       "readback f"};
  ExpectPassBoth(trace, {"file ret=0", "open ret=3",
                         "aio_read ret=-1 errno=EAGAIN",
                         "aio_write ret=-1 errno=EAGAIN",
                         "aio_fsync ret=-1 errno=EAGAIN",
                         "lio_listio ret=-1 errno=EINVAL",
                         "readback ret=3 data=\"abc\""});
  ExpectFailBoth(trace, {"file ret=0", "open ret=3",
                         "aio_read ret=-1 errno=EAGAIN",
                         "aio_write ret=-1 errno=EAGAIN",
                         "aio_fsync ret=-1 errno=EAGAIN",
                         "lio_listio ret=-1 errno=EINVAL",
                         "readback ret=3 data=\"ABC\""},
                 {});
}

// --- aio_suspend -------------------------------------------------------------

TEST(CheckerTest, SuspendMustNotTimeOutWithACompleteEntry) {
  const Lines trace = {"file f content=\"abc\"", "open d f flags=rdonly",
                       "aio_read r fd=d offset=0 nbytes=3", "wait r",
                       "aio_suspend null r timeout=0"};
  ExpectPassBoth(trace, {"file ret=0", "open ret=3", "aio_read ret=0",
                         "wait ret=0", "aio_suspend ret=0"});
  ExpectFailBoth(trace,
                 {"file ret=0", "open ret=3", "aio_read ret=0", "wait ret=0",
                  "aio_suspend ret=-1 errno=EAGAIN"},
                 {"AIO-SUSP-02"});
}

TEST(CheckerTest, SuspendWithoutTimeoutDoesNotTimeOut) {
  const Lines trace = {"file f content=\"abc\"", "open d f flags=rdonly",
                       "aio_read r fd=d offset=0 nbytes=3", "aio_suspend r"};
  ExpectPassBoth(trace, {"file ret=0", "open ret=3", "aio_read ret=0",
                         "aio_suspend ret=0"});
  ExpectFailBoth(trace, {"file ret=0", "open ret=3", "aio_read ret=0",
                         "aio_suspend ret=-1 errno=EAGAIN"},
                 {"AIO-SUSP-11"});
}

TEST(CheckerTest, SuspendCountsACancelledRequestComplete) {
  const Lines trace = {"pipe r w", "aio_read a fd=r offset=0 nbytes=1",
                       "aio_cancel r a", "aio_suspend a timeout=0"};
  ExpectPassBoth(trace, {"pipe ret=0", "aio_read ret=0",
                         "aio_cancel ret=AIO_CANCELED", "aio_suspend ret=0"});
  ExpectFailBoth(trace, {"pipe ret=0", "aio_read ret=0",
                         "aio_cancel ret=AIO_CANCELED",
                         "aio_suspend ret=-1 errno=EAGAIN"},
                 {"AIO-SUSP-14"});
}

TEST(CheckerTest, SuspendTimesOutOnABlockedRead) {
  const Lines trace = {"pipe r w", "aio_read a fd=r offset=0 nbytes=1",
                       "aio_suspend a timeout=1ms"};
  ExpectPassBoth(trace, {"pipe ret=0", "aio_read ret=0",
                         "aio_suspend ret=-1 errno=EAGAIN"});
  ExpectPassBoth(trace, {"pipe ret=0", "aio_read ret=0",
                         "aio_suspend ret=-1 errno=EINTR"});
  ExpectFailBoth(trace, {"pipe ret=0", "aio_read ret=0", "aio_suspend ret=0"},
                 {"AIO-SUSP-01"});
}

// --- Descriptor reuse: AIO-PROC-02 -------------------------------------------

const Lines kReuse = {
    "file g",
    "pipe r w",
    "fill w",
    "aio_write x fd=w offset=0 nbytes=8 data=\"XXXXXXXX\"",
    "close w",
    "open d g flags=rdwr",
    "drain r",
    "wait x",
    "readback g",
};

TEST(CheckerTest, PendingWriteStaysOnItsPipeAfterClose) {
  ExpectPassBoth(kReuse, {"file ret=0", "pipe ret=0", "fill ret=65536",
                          "aio_write ret=0", "close ret=0", "open ret=4",
                          "drain ret=65536 data=\"F\"*65536", "wait ret=0",
                          "readback ret=0 data=\"\""});
  // The write may also move during the drain, behind the fill bytes.
  ExpectPassBoth(kReuse, {"file ret=0", "pipe ret=0", "fill ret=65536",
                          "aio_write ret=0", "close ret=0", "open ret=4",
                          "drain ret=65544 data=\"F\"*65536+\"XXXXXXXX\"",
                          "wait ret=0", "readback ret=0 data=\"\""});
}

TEST(CheckerTest, WriteLandingInReusedDescriptorFails) {
  ExpectFailBoth(kReuse,
                 {"file ret=0", "pipe ret=0", "fill ret=65536",
                  "aio_write ret=0", "close ret=0", "open ret=4",
                  "drain ret=65536 data=\"F\"*65536", "wait ret=0",
                  "readback ret=8 data=\"XXXXXXXX\""},
                 {"AIO-PROC-02"});
}

TEST(CheckerTest, CloseMayCancelAndTheChoiceIsRecorded) {
  Lines trace = kReuse;
  trace.push_back("aio_error x");
  CheckResult r = Check(trace,
                        {"file ret=0", "pipe ret=0", "fill ret=65536",
                         "aio_write ret=0", "close ret=0", "open ret=4",
                         "drain ret=65536 data=\"F\"*65536", "wait ret=0",
                         "readback ret=0 data=\"\"", "aio_error ret=ECANCELED"},
                        Profile::kPosix);
  EXPECT_EQ(r.verdict, Verdict::kPass) << Show(trace, r);
  EXPECT_THAT(r.choices, Contains(HasSubstr("AIO-PROC-01")));
}

TEST(CheckerTest, ChoicesAreOnlyWhatTheLogShows) {
  // Nothing after the close tells whether it cancelled the write.
  CheckResult r = Check(kReuse,
                        {"file ret=0", "pipe ret=0", "fill ret=65536",
                         "aio_write ret=0", "close ret=0", "open ret=4",
                         "drain ret=65536 data=\"F\"*65536", "wait ret=0",
                         "readback ret=0 data=\"\""},
                        Profile::kPosix);
  EXPECT_EQ(r.verdict, Verdict::kPass);
  EXPECT_THAT(r.choices, ::testing::IsEmpty());
}

TEST(CheckerTest, CloseOfADupDoesNotCancel) {
  const Lines trace = {"pipe r w", "dup r2 r",
                       "aio_read a fd=r offset=0 nbytes=1", "close r2",
                       "aio_error a"};
  ExpectPassBoth(trace, {"pipe ret=0", "dup ret=5", "aio_read ret=0",
                         "close ret=0", "aio_error ret=EINPROGRESS"});
  ExpectFailBoth(trace,
                 {"pipe ret=0", "dup ret=5", "aio_read ret=0", "close ret=0",
                  "aio_error ret=ECANCELED"},
                 {"AIO-ERROR-02"});
}

// --- Write order: posix vs qoi -----------------------------------------------

const Lines kOverlap = {
    "file f",
    "open d f flags=rdwr",
    "aio_write a fd=d offset=0 nbytes=4 data=\"AAAA\"",
    "aio_write b fd=d offset=2 nbytes=4 data=\"BBBB\"",
    "wait a b",
    "readback f",
};

TEST(CheckerTest, OverlappingWritesInSubmissionOrderPass) {
  ExpectPassBoth(kOverlap, {"file ret=0", "open ret=3", "aio_write ret=0",
                            "aio_write ret=0", "wait ret=0",
                            "readback ret=6 data=\"AABBBB\""});
}

TEST(CheckerTest, OverlappingWritesOutOfOrderFailOnlyUnderQoi) {
  const Lines log = {"file ret=0", "open ret=3", "aio_write ret=0",
                     "aio_write ret=0", "wait ret=0",
                     "readback ret=6 data=\"AAAABB\""};
  CheckResult posix = Check(kOverlap, log, Profile::kPosix);
  EXPECT_EQ(posix.verdict, Verdict::kPass) << Show(kOverlap, posix);
  CheckResult qoi = Check(kOverlap, log, Profile::kQoi);
  EXPECT_EQ(qoi.verdict, Verdict::kFail);
  EXPECT_THAT(Ids(qoi), Contains("AIO-GEN-05")) << Show(kOverlap, qoi);
  EXPECT_THAT(qoi.failure->message, HasSubstr("qoi"));
  // Bytes neither order produces fail under both.
  ExpectFailBoth(kOverlap,
                 {"file ret=0", "open ret=3", "aio_write ret=0",
                  "aio_write ret=0", "wait ret=0",
                  "readback ret=6 data=\"BBBBAA\""},
                 {"AIO-WRITE-01", "AIO-WRITE-06"});
}

TEST(CheckerTest, WriteBeyondEndZeroFills) {
  const Lines trace = {"file f content=\"ab\"", "open d f flags=wronly",
                       "aio_write a fd=d offset=4 nbytes=2 data=\"cd\"",
                       "wait a", "readback f"};
  ExpectPassBoth(trace, {"file ret=0", "open ret=3", "aio_write ret=0",
                         "wait ret=0", "readback ret=6 data=\"ab\\0\\0cd\""});
  ExpectFailBoth(trace,
                 {"file ret=0", "open ret=3", "aio_write ret=0", "wait ret=0",
                  "readback ret=4 data=\"abcd\""},
                 {"AIO-WRITE-06"});
}

TEST(CheckerTest, AppendWritesOrderUnderQoi) {
  const Lines trace = {"file f content=\"0\"", "open d f flags=wronly+append",
                       "aio_write a fd=d offset=0 nbytes=1 data=\"a\"",
                       "aio_write b fd=d offset=0 nbytes=1 data=\"b\"",
                       "wait a b", "readback f"};
  ExpectPassBoth(trace, {"file ret=0", "open ret=3", "aio_write ret=0",
                         "aio_write ret=0", "wait ret=0",
                         "readback ret=3 data=\"0ab\""});
  const Lines swapped = {"file ret=0", "open ret=3", "aio_write ret=0",
                         "aio_write ret=0", "wait ret=0",
                         "readback ret=3 data=\"0ba\""};
  EXPECT_EQ(Check(trace, swapped, Profile::kPosix).verdict, Verdict::kPass);
  CheckResult qoi = Check(trace, swapped, Profile::kQoi);
  EXPECT_EQ(qoi.verdict, Verdict::kFail);
  EXPECT_THAT(Ids(qoi), IsSupersetOf({"AIO-GEN-05", "AIO-WRITE-07"}));
}

TEST(CheckerTest, ReadbackMaySeeAPendingWriteOrNot) {
  const Lines trace = {"file f content=\"....\"", "open d f flags=rdwr",
                       "aio_write a fd=d offset=0 nbytes=2 data=\"ab\"",
                       "readback f"};
  ExpectPassBoth(trace, {"file ret=0", "open ret=3", "aio_write ret=0",
                         "readback ret=4 data=\"....\""});
  ExpectPassBoth(trace, {"file ret=0", "open ret=3", "aio_write ret=0",
                         "readback ret=4 data=\"ab..\""});
  // The copy may be torn by the write's pwrite (Linux reads are not atomic
  // against a concurrent write): any mix of old and new bytes...
  ExpectPassBoth(trace, {"file ret=0", "open ret=3", "aio_write ret=0",
                         "readback ret=4 data=\".b..\""});
  // ...but no byte the write does not put there.
  ExpectFailBoth(trace,
                 {"file ret=0", "open ret=3", "aio_write ret=0",
                  "readback ret=4 data=\"ax..\""},
                 {"AIO-WRITE-01"});
  // Once the write is waited for, the copy is whole.
  const Lines waited = {"file f content=\"....\"", "open d f flags=rdwr",
                        "aio_write a fd=d offset=0 nbytes=2 data=\"ab\"",
                        "wait a", "readback f"};
  ExpectFailBoth(waited,
                 {"file ret=0", "open ret=3", "aio_write ret=0", "wait ret=0",
                  "readback ret=4 data=\".b..\""},
                 {"AIO-WRITE-01"});
}

// --- Progress: wait under qoi -------------------------------------------------

// A read on a regular file cannot stay pending for a second.
const Lines kFileReadTimesOut = {"file f content=\"abc\"", "open d f flags=rdonly",
                                 "aio_read r fd=d offset=0 nbytes=3",
                                 "wait r timeout=1s"};
const Lines kFileReadTimesOutLog = {"file ret=0", "open ret=3", "aio_read ret=0",
                                    "wait ret=-1 errno=ETIMEDOUT"};

TEST(CheckerTest, WaitTimeoutOnAFileRequestFailsOnlyUnderQoi) {
  const Lines& trace = kFileReadTimesOut;
  const Lines& log = kFileReadTimesOutLog;
  EXPECT_EQ(Check(trace, log, Profile::kPosix).verdict, Verdict::kPass);
  CheckResult qoi = Check(trace, log, Profile::kQoi);
  EXPECT_EQ(qoi.verdict, Verdict::kFail);
  EXPECT_THAT(Ids(qoi), Contains("AIO-READ-01"));
  EXPECT_THAT(qoi.failure->message, HasSubstr("qoi: no progress"));
}

TEST(CheckerTest, WaitTimeoutOnABlockedPipeReadPasses) {
  const Lines trace = {"pipe r w", "aio_read a fd=r offset=0 nbytes=1",
                       "wait a timeout=1ms"};
  ExpectPassBoth(trace, {"pipe ret=0", "aio_read ret=0",
                         "wait ret=-1 errno=ETIMEDOUT"});
  ExpectFailBoth(trace, {"pipe ret=0", "aio_read ret=0", "wait ret=0"},
                 {"AIO-GEN-02"});
}

// The fuzzer's find (a model gap): after a fill, reading a few bytes frees
// no page of the pipe, so a small write may still find no room.
TEST(CheckerTest, WriteAfterAPartialReadOfAFullPipeMayFindNoRoom) {
  const Lines trace = {"pipe rd wr", "fill wr",
                       "aio_read r fd=rd offset=0 nbytes=4", "wait r",
                       "write wr data=\"d\""};
  ExpectPassBoth(trace, {"pipe ret=0", "fill ret=65536", "aio_read ret=0",
                         "wait ret=0", "write ret=-1 errno=EAGAIN"});
  ExpectPassBoth(trace, {"pipe ret=0", "fill ret=65536", "aio_read ret=0",
                         "wait ret=0", "write ret=1"});
  // With a page or more of room the write fits.
  const Lines drained = {"pipe rd wr", "fill wr", "drain rd max=8192",
                         "write wr data=\"d\""};
  ExpectFailBoth(drained,
                 {"pipe ret=0", "fill ret=65536",
                  "drain ret=8192 data=\"F\"*8192", "write ret=-1 errno=EAGAIN"},
                 {"AIO-GEN-25"});
}

// AIO-RETURN-02: aio_return while the log leaves the request in progress
// is undefined, so what it returns is not judged (found by ci/faults: a
// correct agent's EINVAL for a request still queued was a FAIL).
TEST(CheckerTest, ReturnOfARequestThatMayBeInProgressIsUnresolved) {
  const Lines trace = {"file f content=\"ab\"", "open d f flags=rdwr",
                       "aio_fsync s fd=d", "wait s timeout=2ms", "aio_error s",
                       "aio_return s"};
  for (Profile p : {Profile::kPosix, Profile::kQoi}) {
    CheckResult r = Check(trace,
                          {"file ret=0", "open ret=0", "aio_fsync ret=0",
                           "wait ret=-1 errno=ETIMEDOUT", "aio_error ret=EINPROGRESS",
                           "aio_return ret=-1 errno=EINVAL"},
                          p);
    EXPECT_EQ(r.verdict, Verdict::kUnresolved) << Show(trace, r);
    EXPECT_THAT(r.failure->message, HasSubstr("AIO-RETURN-02")) << Show(trace, r);
  }
  // Once aio_error has said it is complete, the answer is judged.
  ExpectFailBoth(trace,
                 {"file ret=0", "open ret=0", "aio_fsync ret=0",
                  "wait ret=-1 errno=ETIMEDOUT", "aio_error ret=0",
                  "aio_return ret=-1 errno=EINVAL"},
                 {"AIO-RETURN-01"});
}

TEST(CheckerTest, ShortReadOfAFullPipeMayFreeAWholePage) {
  const Lines trace = {"pipe rd wr", "write wr data=\";\"", "fill wr",
                       "aio_read r fd=rd offset=0 nbytes=8", "wait r",
                       "write wr data=\"BbBdBfBhBjBl\""};
  ExpectPassBoth(trace, {"pipe ret=0", "write ret=1", "fill ret=65535",
                         "aio_read ret=0", "wait ret=0", "write ret=12"});
  ExpectPassBoth(trace, {"pipe ret=0", "write ret=1", "fill ret=65535",
                         "aio_read ret=0", "wait ret=0", "write ret=-1 errno=EAGAIN"});
  // Nothing read since fill: no room at all.
  const Lines unread = {"pipe rd wr", "write wr data=\";\"", "fill wr",
                        "write wr data=\"BbBdBfBhBjBl\""};
  ExpectFailBoth(unread, {"pipe ret=0", "write ret=1", "fill ret=65535", "write ret=12"},
                 {"AIO-GEN-25"});
}

// The fuzzer's find (a model gap): fill writes PIPE_BUF-byte chunks, and a
// queued pipe write may land between two of them, never inside one.
const Lines kWriteQueuedBeforeFill = {
    "pipe rd wr", "aio_write a fd=wr offset=0 data=\"Cb\"", "fill wr",
    "drain rd"};

TEST(CheckerTest, QueuedPipeWriteMayLandBetweenFillChunks) {
  ExpectPassBoth(kWriteQueuedBeforeFill,
                 {"pipe ret=0", "aio_write ret=0", "fill ret=61440",
                  "drain ret=61442 data=\"F\"*8192+\"Cb\"+\"F\"*53248"});
  ExpectFailBoth(kWriteQueuedBeforeFill,
                 {"pipe ret=0", "aio_write ret=0", "fill ret=61440",
                  "drain ret=61442 data=\"F\"*100+\"Cb\"+\"F\"*61340"},
                 {"AIO-WRITE-18"});
}

// The fuzzer's repro: w2 is held by a full pipe, w4 (a file write) may or
// may not have completed; the timeout only says that not all did.
const Lines kWaitOneHeld = {
    "pipe rd wr", "fill wr", "aio_write w2 fd=wr offset=0 data=\"s\"",
    "file f", "open d f flags=wronly",
    "aio_write w4 fd=d offset=0 nbytes=64", "wait w2 w4 timeout=200ms",
    "aio_error w4",
};

TEST(CheckerTest, WaitTimeoutWithOneListedRequestHeldPasses) {
  for (const char* w4 : {"aio_error ret=0", "aio_error ret=EINPROGRESS"}) {
    ExpectPassBoth(kWaitOneHeld,
                   {"pipe ret=0", "fill ret=65536", "aio_write ret=0",
                    "file ret=0", "open ret=5", "aio_write ret=0",
                    "wait ret=-1 errno=ETIMEDOUT", w4});
  }
  // Without the held request, w4 alone could certainly proceed.
  const Lines alone = {"file f", "open d f flags=wronly",
                       "aio_write w4 fd=d offset=0 nbytes=64",
                       "wait w4 timeout=200ms"};
  const Lines log = {"file ret=0", "open ret=3", "aio_write ret=0",
                     "wait ret=-1 errno=ETIMEDOUT"};
  EXPECT_EQ(Check(alone, log, Profile::kPosix).verdict, Verdict::kPass);
  CheckResult qoi = Check(alone, log, Profile::kQoi);
  EXPECT_EQ(qoi.verdict, Verdict::kFail) << Show(alone, qoi);
  EXPECT_EQ(Ids(qoi), std::vector<std::string>{"AIO-WRITE-01"}) << Show(alone, qoi);
}

TEST(CheckerTest, WaitTimeoutFailsUnderQoiOnlyWhenEveryListedRequestCanProceed) {
  const Lines trace = {"file f", "open d f flags=rdwr",
                       "aio_write a fd=d offset=0 data=\"ab\"",
                       "aio_read b fd=d offset=8 nbytes=2",
                       "wait a b timeout=200ms"};
  const Lines log = {"file ret=0", "open ret=3", "aio_write ret=0",
                     "aio_read ret=0", "wait ret=-1 errno=ETIMEDOUT"};
  EXPECT_EQ(Check(trace, log, Profile::kPosix).verdict, Verdict::kPass);
  CheckResult qoi = Check(trace, log, Profile::kQoi);
  EXPECT_EQ(qoi.verdict, Verdict::kFail) << Show(trace, qoi);
  EXPECT_EQ(Ids(qoi), std::vector<std::string>{"AIO-WRITE-01"}) << Show(trace, qoi);
}

TEST(CheckerTest, WaitTimeoutMayFollowHiddenCompletionsThatBlockTheRest) {
  // Both writes could start into the empty pipe, but once the first is in,
  // the second may not fit (the capacity is unknown): a legitimate timeout.
  const Lines trace = {"pipe rd wr", "aio_write a fd=wr offset=0 data=\"ab\"",
                       "aio_write b fd=wr offset=0 data=\"cd\"",
                       "wait a b timeout=200ms", "aio_error a", "aio_error b"};
  ExpectPassBoth(trace, {"pipe ret=0", "aio_write ret=0", "aio_write ret=0",
                         "wait ret=-1 errno=ETIMEDOUT", "aio_error ret=0",
                         "aio_error ret=EINPROGRESS"});
  // Under qoi the first had to get in (the second stays held behind it).
  const Lines stuck = {"pipe ret=0", "aio_write ret=0", "aio_write ret=0",
                       "wait ret=-1 errno=ETIMEDOUT",
                       "aio_error ret=EINPROGRESS", "aio_error ret=EINPROGRESS"};
  EXPECT_EQ(Check(trace, stuck, Profile::kPosix).verdict, Verdict::kPass);
  CheckResult qoi = Check(trace, stuck, Profile::kQoi);
  EXPECT_EQ(qoi.verdict, Verdict::kFail) << Show(trace, qoi);
}

TEST(CheckerTest, WaitBoundBelowTheMinimumIsNeverAProgressFail) {
  const Lines log = {"file ret=0", "open ret=3", "aio_read ret=0",
                     "wait ret=-1 errno=ETIMEDOUT"};
  auto trace = [](const char* timeout) {
    return Lines{"file f content=\"abc\"", "open d f flags=rdonly",
                 "aio_read r fd=d offset=0 nbytes=3",
                 absl::StrCat("wait r timeout=", timeout)};
  };
  ExpectPassBoth(trace("99ms"), log);
  EXPECT_EQ(Check(trace("100ms"), log, Profile::kQoi).verdict, Verdict::kFail);
}

// --- write(2) into a stream ---------------------------------------------------

TEST(CheckerTest, WriteOnADescriptorNotOpenForWritingIsEbadf) {
  // The read end of a pipe: the fuzzer found the model indexing a missing
  // stream here.
  const Lines read_end = {"pipe r w", "aio_read a fd=r offset=0 nbytes=1",
                          "write r data=\"x\"", "write w data=\"y\"", "wait a",
                          "aio_return a"};
  ExpectPassBoth(read_end, {"pipe ret=0", "aio_read ret=0",
                            "write ret=-1 errno=EBADF", "write ret=1",
                            "wait ret=0", "aio_return ret=1 data=\"y\""});
  // The bytes of the refused write went nowhere.
  ExpectFailBoth(read_end,
                 {"pipe ret=0", "aio_read ret=0", "write ret=-1 errno=EBADF",
                  "write ret=1", "wait ret=0", "aio_return ret=1 data=\"x\""},
                 {"AIO-READ-01"});
  // write(2) succeeding there is outside the model, not an AIO FAIL.
  const Lines bare = {"pipe r w", "write r data=\"x\""};
  EXPECT_EQ(Check(bare, {"pipe ret=0", "write ret=1"}, Profile::kQoi).verdict,
            Verdict::kUnresolved);
}

// --- Submission errors: EITHER ------------------------------------------------

const Lines kBadFd = {"aio_read a fd=badfd offset=0 nbytes=1", "wait a",
                      "aio_error a", "aio_return a"};

TEST(CheckerTest, BadDescriptorReportedAsynchronously) {
  CheckResult r = Check(kBadFd,
                        {"aio_read ret=0", "wait ret=0", "aio_error ret=EBADF",
                         "aio_return ret=-1"},
                        Profile::kQoi);
  EXPECT_EQ(r.verdict, Verdict::kPass) << Show(kBadFd, r);
  EXPECT_THAT(r.choices, Contains("AIO-READ-16: EBADF reported asynchronously"));
  ExpectFailBoth(kBadFd,
                 {"aio_read ret=0", "wait ret=0", "aio_error ret=0",
                  "aio_return ret=0"},
                 {"AIO-READ-16"});
}

TEST(CheckerTest, BadDescriptorReportedSynchronously) {
  const Lines trace = {"aio_read a fd=badfd offset=0 nbytes=1"};
  CheckResult r = Check(trace, {"aio_read ret=-1 errno=EBADF"}, Profile::kQoi);
  EXPECT_EQ(r.verdict, Verdict::kPass);
  EXPECT_THAT(r.choices, Contains("AIO-READ-16: EBADF reported synchronously"));
  ExpectPassBoth(trace, {"aio_read ret=-1 errno=EAGAIN"});
  ExpectFailBoth(trace, {"aio_read ret=-1 errno=ENOSPC"},
                 {"AIO-READ-03", "AIO-READ-16"});
}

TEST(CheckerTest, WriteOnReadOnlyDescriptorIsEbadf) {
  const Lines trace = {"file f", "open d f flags=rdonly",
                       "aio_write a fd=d offset=0 nbytes=1"};
  ExpectPassBoth(trace, {"file ret=0", "open ret=3", "aio_write ret=-1 errno=EBADF"});
  ExpectFailBoth(trace, {"file ret=0", "open ret=3", "aio_write ret=-1 errno=EINVAL"},
                 {"AIO-WRITE-14"});
}

TEST(CheckerTest, NegativeOffsetIsEinval) {
  const Lines trace = {"file f", "open d f flags=rdonly",
                       "aio_read a fd=d offset=-1 nbytes=1"};
  ExpectPassBoth(trace, {"file ret=0", "open ret=3", "aio_read ret=-1 errno=EINVAL"});
  ExpectFailBoth(trace, {"file ret=0", "open ret=3", "aio_read ret=-1 errno=EBADF"},
                 {"AIO-READ-17"});
}

// Found by the fuzzer on glibc: dup2(fd, fd) closes nothing, so requests
// on fd stay as they were and fd stays open for what it was opened for.
TEST(CheckerTest, Dup2OntoItselfKeepsTheDescriptor) {
  const Lines trace = {"file f", "open d f flags=rdonly", "dup2 d d",
                       "aio_read r fd=d offset=0 nbytes=1", "wait r", "aio_return r"};
  ExpectPassBoth(trace, {"file ret=0", "open ret=3", "dup2 ret=3", "aio_read ret=0",
                         "wait ret=0", "aio_return ret=0"});
  ExpectFailBoth(trace, {"file ret=0", "open ret=3", "dup2 ret=3",
                         "aio_read ret=-1 errno=EBADF"},
                 {"AIO-READ-02"});
}

// Found by the fuzzer on bundled: write(2) of nothing to a pipe with no
// reader may return 0 (Linux does) as well as fail with EPIPE.
TEST(CheckerTest, EmptyWriteToAReaderlessPipeMayReturnZero) {
  const Lines trace = {"pipe r w", "close r", "write w data=\"\""};
  ExpectPassBoth(trace, {"pipe ret=0", "close ret=0", "write ret=0"});
  ExpectPassBoth(trace, {"pipe ret=0", "close ret=0", "write ret=-1 errno=EPIPE"});
  const Lines one = {"pipe r w", "close r", "write w data=\"x\""};
  ExpectFailBoth(one, {"pipe ret=0", "close ret=0", "write ret=1"}, {"AIO-GEN-25"});
}

// A bad descriptor and a negative offset: EBADF or EINVAL (AIO-READ-16/17).
TEST(CheckerTest, BadDescriptorWithNegativeOffsetMayBeEinval) {
  const Lines trace = {"aio_read r fd=badfd offset=-1 nbytes=1"};
  ExpectPassBoth(trace, {"aio_read ret=-1 errno=EINVAL"});
  ExpectPassBoth(trace, {"aio_read ret=-1 errno=EBADF"});
  ExpectFailBoth(trace, {"aio_read ret=-1 errno=ENOSPC"}, {"AIO-READ-16"});
}

// AIO-WRITE-12/15/17: a write ending past the offset maximum (2^63-1)
// transfers nothing; EFBIG or EINVAL, sync or async.
TEST(CheckerTest, WritePastTheOffsetMaximumFails) {
  const Lines trace = {"file f", "open d f flags=wronly",
                       "aio_write w fd=d offset=9223372036854775807 data=\"x\"",
                       "wait w", "aio_return w"};
  ExpectPassBoth(Lines(trace.begin(), trace.begin() + 3),
                 {"file ret=0", "open ret=3", "aio_write ret=-1 errno=EFBIG"});
  ExpectPassBoth(trace, {"file ret=0", "open ret=3", "aio_write ret=0", "wait ret=0",
                         "aio_return ret=-1"});
  ExpectFailBoth(trace, {"file ret=0", "open ret=3", "aio_write ret=0", "wait ret=0",
                         "aio_return ret=1"},
                 {"AIO-WRITE-15", "AIO-WRITE-17"});
}

TEST(CheckerTest, WriteBeyondWhatTheModelHoldsIsUnresolved) {
  const Trace t = TraceOf({"file f", "open d f flags=wronly",
                           "aio_write w fd=d offset=4611686018427387904 data=\"x\""});
  const CheckResult r =
      CheckLog(t, LogOf({"file ret=0", "open ret=3", "aio_write ret=0"}), CheckOptions{});
  EXPECT_EQ(r.verdict, Verdict::kUnresolved) << FormatResult(r, t);
}

// --- Notifications -------------------------------------------------------------

const Lines kNotify = {"file f content=\"abc\"", "open d f flags=rdonly",
                       "aio_read r fd=d offset=0 nbytes=3 notify=signal(7)",
                       "wait r", "aio_return r"};
const Lines kNotifyLogHead = {"file ret=0", "open ret=3", "aio_read ret=0",
                              "wait ret=0"};

Lines With(Lines head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

// Found by the fuzzer on glibc: a SIGEV_THREAD function may run after the
// aiocb was returned and submitted again; the first submission's one
// notification is still due, and only once (AIO-SIG-14).
TEST(CheckerTest, LateNotificationOfAResubmittedAiocb) {
  const Lines trace = {"aio_write a fd=badfd offset=0 nbytes=1 notify=thread(5)",
                       "wait a timeout=100ms", "aio_return a",
                       "aio_write a fd=badfd offset=0 nbytes=1 notify=thread(6)"};
  const Lines head = {"aio_write ret=0", "wait ret=0", "aio_return ret=-1",
                      "aio_write ret=0"};
  ExpectPassBoth(trace, With(head, {"notify after=3 kind=thread value=5 status=EBADF"}));
  ExpectFailBoth(trace,
                 With(head, {"notify after=3 kind=thread value=5 status=EBADF",
                             "notify after=3 kind=thread value=5 status=EBADF"}),
                 {"AIO-SIG-14"});
}

TEST(CheckerTest, OneSignalPerCompletedRequest) {
  ExpectPassBoth(kNotify,
                 With(kNotifyLogHead,
                      {"notify after=3 kind=signal signo=SIGRTMIN+1 "
                       "code=SI_ASYNCIO value=7 status=0",
                       "aio_return ret=3 data=\"abc\""}));
  ExpectFailBoth(kNotify,
                 With(kNotifyLogHead,
                      {"notify after=3 kind=signal signo=SIGRTMIN+1 "
                       "code=SI_ASYNCIO value=7 status=0",
                       "notify after=3 kind=signal signo=SIGRTMIN+1 "
                       "code=SI_ASYNCIO value=7 status=0",
                       "aio_return ret=3 data=\"abc\""}),
                 {"AIO-SIG-14"});
}

TEST(CheckerTest, NoNotificationWhereNoneWasAskedFor) {
  const Lines plain = {"file f content=\"abc\"", "open d f flags=rdonly",
                       "aio_read r fd=d offset=0 nbytes=3", "wait r"};
  ExpectFailBoth(plain,
                 {"file ret=0", "open ret=3", "aio_read ret=0", "wait ret=0",
                  "notify after=3 kind=signal signo=SIGRTMIN+1 "
                  "code=SI_ASYNCIO value=0 status=0"},
                 {"AIO-SIG-02"});
  const Lines lio = {"file f content=\"abc\"", "open d f flags=rdonly",
                     "lio_listio nowait [read r fd=d offset=0 nbytes=3 "
                     "notify=signal(4)]",
                     "wait r"};
  ExpectPassBoth(lio, {"file ret=0", "open ret=3", "lio_listio ret=0",
                       "wait ret=0",
                       "notify after=3 kind=signal signo=SIGRTMIN+1 "
                       "code=SI_ASYNCIO value=4 status=0"});
  ExpectFailBoth(lio,
                 {"file ret=0", "open ret=3", "lio_listio ret=0", "wait ret=0",
                  "notify after=3 kind=signal signo=SIGRTMIN+1 "
                  "code=SI_ASYNCIO value=4 status=0",
                  "notify after=3 kind=signal signo=SIGRTMIN+1 "
                  "code=SI_ASYNCIO value=4"},
                 {"AIO-LIO-04"});
}

TEST(CheckerTest, SignalNeedsSiAsyncioAndFinalStatus) {
  ExpectFailBoth(kNotify,
                 With(kNotifyLogHead,
                      {"notify after=3 kind=signal signo=SIGRTMIN+1 "
                       "code=SI_QUEUE value=7 status=0",
                       "aio_return ret=3 data=\"abc\""}),
                 {"AIO-SIG-04"});
  ExpectFailBoth(kNotify,
                 With(kNotifyLogHead,
                      {"notify after=3 kind=signal signo=SIGRTMIN+1 "
                       "code=SI_ASYNCIO value=7 status=EINPROGRESS",
                       "aio_return ret=3 data=\"abc\""}),
                 {"AIO-SIG-13"});
}

TEST(CheckerTest, NotificationBeforeCompletionPossibleFails) {
  const Lines trace = {"pipe r w",
                       "aio_read a fd=r offset=0 nbytes=1 notify=thread(3)",
                       "aio_error a"};
  ExpectFailBoth(trace,
                 {"pipe ret=0", "aio_read ret=0",
                  "notify after=1 kind=thread signo=0 code=0 value=3",
                  "aio_error ret=EINPROGRESS"},
                 {"AIO-SIG-13"});
}

// --- aio_fsync ----------------------------------------------------------------

const Lines kFsync = {"file f", "open d f flags=rdwr",
                      "aio_write w fd=d offset=0 nbytes=2 data=\"ab\"",
                      "aio_fsync s fd=d", "aio_error s", "aio_error w",
                      "wait s", "aio_return s"};

TEST(CheckerTest, FsyncCompletesAfterEarlierWrites) {
  ExpectPassBoth(kFsync, {"file ret=0", "open ret=3", "aio_write ret=0",
                          "aio_fsync ret=0", "aio_error ret=EINPROGRESS",
                          "aio_error ret=0", "wait ret=0", "aio_return ret=0"});
  ExpectPassBoth(kFsync, {"file ret=0", "open ret=3", "aio_write ret=0",
                          "aio_fsync ret=0", "aio_error ret=0",
                          "aio_error ret=0", "wait ret=0", "aio_return ret=0"});
  ExpectFailBoth(kFsync,
                 {"file ret=0", "open ret=3", "aio_write ret=0",
                  "aio_fsync ret=0", "aio_error ret=0",
                  "aio_error ret=EINPROGRESS", "wait ret=0",
                  "aio_return ret=0"},
                 {"AIO-FSYNC-08"});
}

TEST(CheckerTest, FsyncSubmissionErrors) {
  ExpectPassBoth({"aio_fsync s fd=badfd"}, {"aio_fsync ret=-1 errno=EBADF"});
  ExpectFailBoth({"aio_fsync s fd=badfd"}, {"aio_fsync ret=0"},
                 {"AIO-FSYNC-12"});
  const Lines invalid = {"file f", "open d f flags=rdonly",
                         "aio_fsync s fd=d op=invalid"};
  ExpectPassBoth(invalid, {"file ret=0", "open ret=3",
                           "aio_fsync ret=-1 errno=EINVAL"});
  ExpectFailBoth(invalid, {"file ret=0", "open ret=3", "aio_fsync ret=0"},
                 {"AIO-FSYNC-15"});
  // Issue 7: a read-only descriptor is fine.
  ExpectPassBoth({"file f", "open d f flags=rdonly", "aio_fsync s fd=d",
                  "wait s", "aio_return s"},
                 {"file ret=0", "open ret=3", "aio_fsync ret=0", "wait ret=0",
                  "aio_return ret=0"});
}

TEST(CheckerTest, FsyncOnAPipeIsEinvalEitherWay) {
  const Lines trace = {"pipe r w", "aio_fsync s fd=w", "wait s", "aio_error s"};
  ExpectPassBoth(trace, {"pipe ret=0", "aio_fsync ret=0", "wait ret=0",
                         "aio_error ret=EINVAL"});
  ExpectFailBoth(trace,
                 {"pipe ret=0", "aio_fsync ret=0", "wait ret=0",
                  "aio_error ret=0"},
                 {"AIO-FSYNC-07"});
}

// --- aio_cancel -----------------------------------------------------------------

const Lines kCancelPipe = {"pipe r w", "aio_read a fd=r offset=0 nbytes=1",
                           "aio_cancel r a", "aio_error a"};

TEST(CheckerTest, CancelOfABlockedRead) {
  ExpectPassBoth(kCancelPipe, {"pipe ret=0", "aio_read ret=0",
                               "aio_cancel ret=AIO_CANCELED",
                               "aio_error ret=ECANCELED"});
  ExpectPassBoth(kCancelPipe, {"pipe ret=0", "aio_read ret=0",
                               "aio_cancel ret=AIO_NOTCANCELED",
                               "aio_error ret=EINPROGRESS"});
  ExpectFailBoth(kCancelPipe,
                 {"pipe ret=0", "aio_read ret=0", "aio_cancel ret=AIO_ALLDONE",
                  "aio_error ret=EINPROGRESS"},
                 {"AIO-CANCEL-12"});
  ExpectFailBoth(kCancelPipe,
                 {"pipe ret=0", "aio_read ret=0", "aio_cancel ret=AIO_CANCELED",
                  "aio_error ret=EINPROGRESS"},
                 {"AIO-ERROR-09", "AIO-CANCEL-06"});
}

TEST(CheckerTest, CancelAfterCompletionIsAllDone) {
  const Lines trace = {"file f content=\"abc\"", "open d f flags=rdonly",
                       "aio_read r fd=d offset=0 nbytes=3", "wait r",
                       "aio_cancel d r", "aio_cancel d null",
                       "aio_cancel badfd null"};
  ExpectPassBoth(trace, {"file ret=0", "open ret=3", "aio_read ret=0",
                         "wait ret=0", "aio_cancel ret=AIO_ALLDONE",
                         "aio_cancel ret=AIO_ALLDONE",
                         "aio_cancel ret=-1 errno=EBADF"});
  ExpectFailBoth(trace,
                 {"file ret=0", "open ret=3", "aio_read ret=0", "wait ret=0",
                  "aio_cancel ret=AIO_CANCELED", "aio_cancel ret=AIO_ALLDONE",
                  "aio_cancel ret=-1 errno=EBADF"},
                 {"AIO-CANCEL-10"});
}

// --- lio_listio -----------------------------------------------------------------

const Lines kLio = {"file f content=\"abc\"", "open d f flags=rdwr",
                    "lio_listio wait [read a fd=d offset=0 nbytes=3; null; "
                    "write b fd=d offset=3 data=\"xy\"; nop c]",
                    "aio_error a", "aio_return a", "readback f"};

TEST(CheckerTest, LioWaitCompletesEveryElement) {
  ExpectPassBoth(kLio, {"file ret=0", "open ret=3", "lio_listio ret=0",
                        "aio_error ret=0", "aio_return ret=3 data=\"abc\"",
                        "readback ret=5 data=\"abcxy\""});
  ExpectFailBoth(kLio,
                 {"file ret=0", "open ret=3", "lio_listio ret=0",
                  "aio_error ret=EINPROGRESS", "aio_return ret=3 data=\"abc\"",
                  "readback ret=5 data=\"abcxy\""},
                 {"AIO-ERROR-09"});
  ExpectFailBoth(kLio,
                 {"file ret=0", "open ret=3", "lio_listio ret=-1 errno=EIO",
                  "aio_error ret=0", "aio_return ret=3 data=\"abc\"",
                  "readback ret=5 data=\"abcxy\""},
                 {"AIO-LIO-16", "AIO-LIO-23"});
}

TEST(CheckerTest, LioWithABadElementReportsEio) {
  const Lines trace = {"file f content=\"abc\"", "open d f flags=rdonly",
                       "lio_listio nowait [read a fd=d offset=0 nbytes=3; "
                       "read b fd=badfd offset=0 nbytes=1]",
                       "wait a b", "aio_error b", "aio_return a"};
  ExpectPassBoth(trace, {"file ret=0", "open ret=3",
                         "lio_listio ret=-1 errno=EIO", "wait ret=0",
                         "aio_error ret=EBADF", "aio_return ret=3 data=\"abc\""});
  ExpectPassBoth(trace, {"file ret=0", "open ret=3", "lio_listio ret=0",
                         "wait ret=0", "aio_error ret=EBADF",
                         "aio_return ret=3 data=\"abc\""});
  ExpectFailBoth(trace,
                 {"file ret=0", "open ret=3", "lio_listio ret=0", "wait ret=0",
                  "aio_error ret=0", "aio_return ret=3 data=\"abc\""},
                 {"AIO-READ-16"});
}

TEST(CheckerTest, LioListNotificationAfterAllElements) {
  const Lines trace = {"pipe r w",
                       "lio_listio nowait [read a fd=r offset=0 nbytes=1; "
                       "read b fd=r offset=0 nbytes=1] notify=signal(5)",
                       "write w data=\"x\"", "write w data=\"y\"", "wait a b"};
  ExpectPassBoth(trace, {"pipe ret=0", "lio_listio ret=0", "write ret=1",
                         "write ret=1", "wait ret=0",
                         "notify after=4 kind=signal signo=SIGRTMIN+1 "
                         "code=SI_ASYNCIO value=5"});
  ExpectFailBoth(trace,
                 {"pipe ret=0", "lio_listio ret=0", "write ret=1",
                  "notify after=2 kind=signal signo=SIGRTMIN+1 "
                  "code=SI_ASYNCIO value=5",
                  "write ret=1", "wait ret=0"},
                 {"AIO-LIO-05"});
}

// --- Commuting completions: N independent requests, about 2N worlds --------

// 16 one-byte aio_writes at offsets 0..15 of a 16-byte file, all pending,
// then `after`. Each write is a conflict component of its own.
Lines DisjointWrites(const Lines& after) {
  Lines t = {"file f content=\"................\"", "open d f flags=rdwr"};
  for (int i = 0; i < 16; ++i) {
    t.push_back(absl::StrCat("aio_write w", i, " fd=d offset=", i, " data=\"",
                             std::string(1, static_cast<char>('A' + i)), "\""));
  }
  t.insert(t.end(), after.begin(), after.end());
  return t;
}

Lines DisjointWritesLog(const Lines& after) {
  Lines l = {"file ret=0", "open ret=3"};
  for (int i = 0; i < 16; ++i) l.push_back("aio_write ret=0");
  l.insert(l.end(), after.begin(), after.end());
  return l;
}

// Each component's worlds are judged against the bytes before they are
// combined: 2^16 subsets of done writes would pass the state cap.
TEST(CheckerTest, ReadbackOverSixteenPendingDisjointWrites) {
  const Lines trace = DisjointWrites({"readback f"});
  for (const char* data : {"ABCDEFGHIJKLMNOP", "A.C.E.G.I.K.M.O.", "................"}) {
    for (Profile p : {Profile::kPosix, Profile::kQoi}) {
      CheckResult r = Check(
          trace, DisjointWritesLog({absl::StrCat("readback ret=16 data=\"", data, "\"")}), p);
      EXPECT_EQ(r.verdict, Verdict::kPass) << Show(trace, r);
      EXPECT_LE(r.peak_states, 17u) << data;
    }
  }
  ExpectFailBoth(trace,
                 DisjointWritesLog({"readback ret=16 data=\"ABCDEFGHIJKLMNOQ\""}),
                 {"AIO-WRITE-01"});
}

// aio_cancel(d, NULL): AIO_ALLDONE, every write complete; AIO_NOTCANCELED,
// each write cancelled or not, told by its aio_error; the file agrees.
TEST(CheckerTest, CancelNullOverSixteenPendingDisjointWrites) {
  Lines after = {"aio_cancel d null"};
  for (int i = 0; i < 16; ++i) after.push_back(absl::StrCat("aio_error w", i));
  after.push_back("readback f");
  const Lines trace = DisjointWrites(after);
  auto log = [](const std::string& result, uint32_t cancelled,
                const std::string& data) {
    Lines l = {result};
    for (int i = 0; i < 16; ++i) {
      l.push_back((cancelled >> i) & 1 ? "aio_error ret=ECANCELED" : "aio_error ret=0");
    }
    l.push_back(absl::StrCat("readback ret=16 data=\"", data, "\""));
    return DisjointWritesLog(l);
  };
  ExpectPassBoth(trace, log("aio_cancel ret=AIO_ALLDONE", 0, "ABCDEFGHIJKLMNOP"));
  ExpectPassBoth(trace,
                 log("aio_cancel ret=AIO_NOTCANCELED", 0x5555, ".B.D.F.H.J.L.N.P"));
  // AIO_CANCELED: each cancelled, or complete before the call.
  ExpectPassBoth(trace,
                 log("aio_cancel ret=AIO_CANCELED", 0x5555, ".B.D.F.H.J.L.N.P"));
  ExpectPassBoth(trace, log("aio_cancel ret=AIO_CANCELED", 0xffff, "................"));
  // A cancelled write whose byte is in the file.
  ExpectFailBoth(trace,
                 log("aio_cancel ret=AIO_NOTCANCELED", 0x5555, "AB.D.F.H.J.L.N.P"),
                 {"AIO-WRITE-01"});
  // AIO_CANCELED, yet none was cancelled: that is AIO_ALLDONE.
  ExpectFailBoth(trace, log("aio_cancel ret=AIO_CANCELED", 0, "ABCDEFGHIJKLMNOP"),
                 {"AIO-CANCEL-06"});
  // AIO_ALLDONE, yet a write says it was cancelled: it had completed.
  ExpectFailBoth(trace, log("aio_cancel ret=AIO_ALLDONE", 1, ".BCDEFGHIJKLMNOP"),
                 {"AIO-ERROR-03"});
}

// --- aio_lio_opcode is ignored; aio_error and aio_cancel keep the aiocb --------

const Lines kOpcodeGarbage = {
    "file f content=\"hello\"", "open d f flags=rdwr",
    "aio_read r fd=d offset=0 nbytes=5 lio_opcode=LIO_WRITE",
    "aio_fsync s fd=d lio_opcode=12345", "wait r s", "aio_error s",
    "aio_return r"};

TEST(CheckerTest, SubmissionsIgnoreLioOpcode) {
  ExpectPassBoth(kOpcodeGarbage,
                 {"file ret=0", "open ret=3", "aio_read ret=0", "aio_fsync ret=0",
                  "wait ret=0", "aio_error ret=0", "aio_return ret=5 data=\"hello\""});
  // The read acted as the write its opcode names: its buffer's '?' bytes.
  ExpectFailBoth(kOpcodeGarbage,
                 {"file ret=0", "open ret=3", "aio_read ret=0", "aio_fsync ret=0",
                  "wait ret=0", "aio_error ret=0", "aio_return ret=5 data=\"?????\""},
                 {"AIO-READ-01", "AIO-GEN-19", "AIO-READ-08"});
  // The sync refused a valid call over the opcode.
  ExpectFailBoth(kOpcodeGarbage,
                 {"file ret=0", "open ret=3", "aio_read ret=0",
                  "aio_fsync ret=-1 errno=EINVAL"},
                 {"AIO-GEN-19", "AIO-FSYNC-09"});
}

TEST(CheckerTest, WriteIgnoresLioOpcode) {
  const Lines trace = {"file f content=\"hello\"", "open d f flags=rdwr",
                       "aio_write w fd=d offset=0 data=\"HE\" lio_opcode=LIO_NOP",
                       "wait w", "aio_error w"};
  ExpectPassBoth(trace, {"file ret=0", "open ret=3", "aio_write ret=0",
                         "wait ret=0", "aio_error ret=0"});
  ExpectFailBoth(trace,
                 {"file ret=0", "open ret=3", "aio_write ret=0", "wait ret=0",
                  "aio_error ret=EINVAL"},
                 {"AIO-GEN-19", "AIO-WRITE-09"});
}

const Lines kHeldReadQueries = {"pipe rd wr", "aio_read r fd=rd offset=0 nbytes=2",
                                "aio_error r", "aio_cancel rd r", "write wr data=\"ab\"",
                                "wait r", "aio_cancel rd r", "aio_return r"};
// The read stays in progress through the first aio_cancel.
const Lines kHeldReadQueriesLog = {
    "pipe ret=0",  "aio_read ret=0", "aio_error ret=EINPROGRESS", "aio_cancel ret=AIO_NOTCANCELED",
    "write ret=2", "wait ret=0",     "aio_cancel ret=AIO_ALLDONE", "aio_return ret=2 data=\"ab\""};

TEST(CheckerTest, AioErrorMustNotChangeTheAiocb) {
  ExpectPassBoth(kHeldReadQueries, kHeldReadQueriesLog);
  Lines edited = kHeldReadQueriesLog;
  edited[2] = "aio_error ret=EINPROGRESS changed=aio_nbytes";
  ExpectFailBoth(kHeldReadQueries, edited, {"AIO-ERROR-10"});
  CheckResult r = Check(kHeldReadQueries, edited, Profile::kQoi);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->op_index, 2);
}

TEST(CheckerTest, AioCancelMustNotChangeTheAiocbItLeaves) {
  Lines not_cancelled = kHeldReadQueriesLog;
  not_cancelled[3] = "aio_cancel ret=AIO_NOTCANCELED changed=aio_offset";
  ExpectFailBoth(kHeldReadQueries, not_cancelled, {"AIO-CANCEL-07"});
  Lines all_done = kHeldReadQueriesLog;
  all_done[6] = "aio_cancel ret=AIO_ALLDONE changed=aio_sigevent,aio_lio_opcode";
  ExpectFailBoth(kHeldReadQueries, all_done, {"AIO-CANCEL-07"});
  // A request it cancelled is the library's again: not judged.
  const Lines cancelled = {"pipe ret=0",
                           "aio_read ret=0",
                           "aio_error ret=EINPROGRESS",
                           "aio_cancel ret=AIO_CANCELED changed=aio_reqprio",
                           "write ret=2",
                           "wait ret=0",
                           "aio_cancel ret=AIO_ALLDONE",
                           "aio_return ret=-1"};
  ExpectPassBoth(kHeldReadQueries, cancelled);
}

TEST(CheckerTest, TimedOutSuspendWaitsItsWholeTimeout) {
  const Lines trace = {"pipe rd wr", "aio_read r fd=rd offset=0 nbytes=2",
                       "aio_suspend r timeout=5ms", "write wr data=\"ab\"", "wait r",
                       "aio_return r"};
  const Lines log = {"pipe ret=0", "aio_read ret=0", "aio_suspend ret=-1 errno=EAGAIN",
                     "write ret=2", "wait ret=0", "aio_return ret=2 data=\"ab\""};
  ExpectPassBoth(trace, log);
  Lines early = log;
  early[2] = "aio_suspend early=4000000 ret=-1 errno=EAGAIN";
  ExpectFailBoth(trace, early, {"AIO-SUSP-06"});
  CheckResult r = Check(trace, early, Profile::kPosix);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->op_index, 2);
}

TEST(CheckerTest, ScribbledAiocbAndBufferStayUntouched) {
  const Lines trace = {"pipe rd wr", "aio_read r fd=rd offset=0 nbytes=2", "write wr data=\"ab\"",
                       "wait r", "aio_return r scribble"};
  const Lines log = {"pipe ret=0", "aio_read ret=0", "write ret=2", "wait ret=0",
                     "aio_return ret=2 data=\"ab\""};
  ExpectPassBoth(trace, log);
  Lines touched = log;
  touched[4] = "aio_return ret=2 data=\"ab\" touched=8";
  ExpectFailBoth(trace, touched, {"AIO-GEN-21"});
  CheckResult r = Check(trace, touched, Profile::kPosix);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->op_index, 4);
  // A wrong result still cites its own clause, and AIO-GEN-21 too.
  touched[4] = "aio_return ret=1 data=\"a\" touched=8";
  ExpectFailBoth(trace, touched, {"AIO-RETURN-01", "AIO-GEN-21"});
}

// --- Verdicts other than PASS/FAIL ----------------------------------------------

TEST(CheckerTest, TooManyStatesIsUnresolved) {
  // close may cancel each of the two reads: four worlds.
  const Lines trace = {"pipe r w", "aio_read a fd=r offset=0 nbytes=1",
                       "aio_read b fd=r offset=0 nbytes=1", "close r"};
  const Lines log = {"pipe ret=0", "aio_read ret=0", "aio_read ret=0",
                     "close ret=0"};
  EXPECT_EQ(Check(trace, log, Profile::kPosix, 4096).verdict, Verdict::kPass);
  CheckResult r = Check(trace, log, Profile::kPosix, 3);
  EXPECT_EQ(r.verdict, Verdict::kUnresolved);
  EXPECT_THAT(r.failure->message, HasSubstr("more than 3"));
}

// The cap cuts a drain's search of interleavings: the bytes seen may come
// from an order never tried, and an order tried may be missing, so a right
// and a wrong log are both UNRESOLVED under it.
TEST(CheckerTest, DrainCutByTheStateCapIsUnresolved) {
  const Lines trace = {"pipe r w", "aio_write a fd=w offset=0 data=\"ab\"",
                       "aio_write b fd=w offset=0 data=\"cd\"", "drain r"};
  const Lines right = {"pipe ret=0", "aio_write ret=0", "aio_write ret=0",
                       "drain ret=4 data=\"abcd\""};
  const Lines wrong = {"pipe ret=0", "aio_write ret=0", "aio_write ret=0",
                       "drain ret=4 data=\"abdc\""};
  EXPECT_EQ(Check(trace, right, Profile::kPosix).verdict, Verdict::kPass);
  EXPECT_EQ(Check(trace, wrong, Profile::kPosix).verdict, Verdict::kFail);
  for (const Lines& log : {right, wrong}) {
    CheckResult r = Check(trace, log, Profile::kPosix, 2);
    EXPECT_EQ(r.verdict, Verdict::kUnresolved) << Show(trace, r);
  }
}

// The qoi progress rule needs every world the pending requests reach; with
// the cap hit it may not call the timeout fine (PASS) any more than wrong.
TEST(CheckerTest, TimedOutWaitCutByTheStateCapIsUnresolved) {
  const Lines& trace = kFileReadTimesOut;
  const Lines& log = kFileReadTimesOutLog;
  CheckResult full = Check(trace, log, Profile::kQoi);
  EXPECT_EQ(full.verdict, Verdict::kFail) << Show(trace, full);
  EXPECT_THAT(Ids(full), Contains("AIO-READ-01"));
  CheckResult cut = Check(trace, log, Profile::kQoi, 1);
  EXPECT_EQ(cut.verdict, Verdict::kUnresolved) << Show(trace, cut);
}

TEST(CheckerTest, HungLogIsHang) {
  const Lines trace = {"pipe r w", "aio_read a fd=r offset=0 nbytes=1",
                       "wait a timeout=none"};
  CheckResult r = Check(trace, {"pipe ret=0", "aio_read ret=0", "end hung at=2"},
                        Profile::kQoi);
  EXPECT_EQ(r.verdict, Verdict::kHang);
  EXPECT_EQ(r.failure->op_index, 2);
  EXPECT_THAT(r.failure->message, HasSubstr("hung in op 2"));
}

TEST(CheckerTest, FailureInPrefixWinsOverHang) {
  const Lines trace = {"pipe r w", "aio_read a fd=r offset=0 nbytes=1",
                       "aio_error a", "wait a timeout=none"};
  CheckResult r = Check(trace,
                        {"pipe ret=0", "aio_read ret=0", "aio_error ret=0",
                         "end hung at=3"},
                        Profile::kQoi);
  EXPECT_EQ(r.verdict, Verdict::kFail);
}

TEST(CheckerTest, CrashedLogIsCrash) {
  const Lines trace = {"pipe r w", "aio_read a fd=r offset=0 nbytes=1"};
  CheckResult r = Check(trace, {"pipe ret=0", "end crashed signal=SIGSEGV"},
                        Profile::kPosix);
  EXPECT_EQ(r.verdict, Verdict::kCrash);
  EXPECT_THAT(r.failure->message, HasSubstr("SIGSEGV"));
}

TEST(CheckerTest, ShortCompletedLogIsUnresolved) {
  const Lines trace = {"pipe r w", "aio_read a fd=r offset=0 nbytes=1"};
  CheckResult r = Check(trace, {"pipe ret=0"}, Profile::kPosix);
  EXPECT_EQ(r.verdict, Verdict::kUnresolved);
  EXPECT_THAT(r.failure->message, HasSubstr("1 op records"));
}

TEST(CheckerTest, SetupFailureIsUnresolved) {
  const Lines trace = {"file f", "open d f flags=rdwr"};
  CheckResult r = Check(trace, {"file ret=0", "open ret=-1 errno=ENOENT"},
                        Profile::kQoi);
  EXPECT_EQ(r.verdict, Verdict::kUnresolved);
  EXPECT_THAT(r.failure->message, HasSubstr("target could not set up"));
}

TEST(CheckerTest, ProfileNamesRoundTrip) {
  for (Profile p : {Profile::kPosix, Profile::kQoi}) {
    EXPECT_EQ(ProfileFromName(ProfileName(p)), p);
  }
  EXPECT_FALSE(ProfileFromName("strict").has_value());
  EXPECT_STREQ(VerdictName(Verdict::kHang), "HANG");
}

}  // namespace
}  // namespace aiospec
