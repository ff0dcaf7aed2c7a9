// The `hold` rules (holds.h): logs the model accepts, and minimal edits it
// rejects, with the clauses cited.
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

const std::vector<std::string> kWriteEio = {
    "file f content=\"........\"",
    "open d f flags=rdwr+hold",
    "aio_write w fd=d offset=0 nbytes=8",
    "hold wait d",
    "aio_error w",
    "hold release d errno=EIO",
    "wait w",
    "aio_error w",
    "aio_return w",
    "readback f",
};

// The log of hold_write_eio on glibc, with `error` and `ret` for the
// write's final status.
std::vector<std::string> WriteEioLog(const std::string& error,
                                     const std::string& ret) {
  return {"file ret=0",
          "open ret=900",
          "aio_write ret=0",
          "hold ret=1 calls=write@0:8",
          "aio_error ret=EINPROGRESS",
          "hold ret=1 calls=write@0:8",
          "wait ret=0",
          "aio_error ret=" + error,
          "aio_return ret=" + ret,
          "readback ret=8 data=\"........\""};
}

CheckResult Check(const std::vector<std::string>& trace,
                  const std::vector<std::string>& log, Profile profile) {
  return CheckLog(TraceOf(trace), LogOf(log), CheckOptions{profile, 4096});
}

TEST(HoldTest, InjectedEioIsTheWritesStatus) {
  for (Profile p : {Profile::kPosix, Profile::kQoi}) {
    CheckResult r = Check(kWriteEio, WriteEioLog("EIO", "-1"), p);
    EXPECT_EQ(r.verdict, Verdict::kPass) << FormatResult(r, TraceOf(kWriteEio));
  }
}

TEST(HoldTest, SuccessAfterInjectedEioIsRejected) {
  CheckResult r = Check(kWriteEio, WriteEioLog("0", "8"), Profile::kPosix);
  EXPECT_EQ(r.verdict, Verdict::kFail);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_THAT(r.failure->assertion_ids, Contains("AIO-WRITE-16"));
}

TEST(HoldTest, HeldWriteCannotHaveCompleted) {
  std::vector<std::string> log = WriteEioLog("EIO", "-1");
  log[4] = "aio_error ret=0";  // done while its pwrite is stopped
  CheckResult r = Check(kWriteEio, log, Profile::kPosix);
  EXPECT_EQ(r.verdict, Verdict::kFail);
}

TEST(HoldTest, StoppedCallOfNoRequestIsRejected) {
  std::vector<std::string> log = WriteEioLog("EIO", "-1");
  log[3] = "hold ret=1 calls=write@100:8";  // outside the request's range
  CheckResult r = Check(kWriteEio, log, Profile::kPosix);
  EXPECT_EQ(r.verdict, Verdict::kFail);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_THAT(r.failure->assertion_ids, Contains("AIO-ERROR-02"));
}

TEST(HoldTest, UnavailableHoldsLeaveTheTraceUnresolved) {
  std::vector<std::string> log = WriteEioLog("EIO", "-1");
  log[3] = "hold ret=-1 errno=ENOSYS";
  EXPECT_EQ(Check(kWriteEio, log, Profile::kPosix).verdict,
            Verdict::kUnresolved);
}

// --- AIO-FSYNC-16: a sync carries the error of a write it covers -----------

// The trace hold_fsync_after_write_eio: the sync is queued while the write
// is in progress, so it covers the write, whose pwrite then fails.
const std::vector<std::string> kFsyncCoversFailedWrite = {
    "file f content=\"........\"",
    "open d f flags=rdwr+hold",
    "aio_write w fd=d offset=0 nbytes=8",
    "hold wait d",
    "aio_fsync s fd=d",
    "hold release d errno=EIO",
    "wait w",
    "aio_error w",
    "hold wait d",
    "hold release d",
    "wait s",
    "aio_error s",
    "aio_return s",
};

// `sync_call`: the record of the two hold ops on the sync's own fsync(2)
// ("hold ret=0" when the implementation made none); `error` and `ret` the
// sync's final status.
std::vector<std::string> FsyncCoversLog(const std::string& sync_call,
                                        const std::string& error,
                                        const std::string& ret) {
  return {"file ret=0",
          "open ret=900",
          "aio_write ret=0",
          "hold ret=1 calls=write@0:8",
          "aio_fsync ret=0",
          "hold ret=1 calls=write@0:8",
          "wait ret=0",
          "aio_error ret=EIO",
          sync_call,
          sync_call,
          "wait ret=0",
          "aio_error ret=" + error,
          "aio_return ret=" + ret};
}

TEST(HoldTest, SyncCoveringAFailedWriteCarriesItsError) {
  for (Profile p : {Profile::kPosix, Profile::kQoi}) {
    for (const char* call : {"hold ret=1 calls=fsync", "hold ret=0"}) {
      CheckResult r =
          Check(kFsyncCoversFailedWrite, FsyncCoversLog(call, "EIO", "-1"), p);
      EXPECT_EQ(r.verdict, Verdict::kPass)
          << FormatResult(r, TraceOf(kFsyncCoversFailedWrite));
    }
  }
}

TEST(HoldTest, SyncCoveringAFailedWriteReportingSuccessCitesFsync16) {
  CheckResult r = Check(kFsyncCoversFailedWrite,
                        FsyncCoversLog("hold ret=1 calls=fsync", "0", "0"),
                        Profile::kPosix);
  EXPECT_EQ(r.verdict, Verdict::kFail);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_THAT(r.failure->assertion_ids, Contains("AIO-FSYNC-16"));
}

// The same, with ENOSPC: the sync carries that error, not another.
TEST(HoldTest, SyncCarriesTheWritesOwnError) {
  std::vector<std::string> trace = kFsyncCoversFailedWrite;
  trace[5] = "hold release d errno=ENOSPC";
  std::vector<std::string> log =
      FsyncCoversLog("hold ret=1 calls=fsync", "ENOSPC", "-1");
  log[7] = "aio_error ret=ENOSPC";
  EXPECT_EQ(Check(trace, log, Profile::kPosix).verdict, Verdict::kPass);
  log[11] = "aio_error ret=EIO";
  CheckResult r = Check(trace, log, Profile::kPosix);
  EXPECT_EQ(r.verdict, Verdict::kFail);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_THAT(r.failure->assertion_ids, Contains("AIO-FSYNC-16"));
}

// A sync called after the write had failed covers nothing that failed
// (AIO-FSYNC-01: the I/O queued at the call): its own fsync decides.
TEST(HoldTest, SyncAfterTheWriteFailedCarriesNothing) {
  std::vector<std::string> trace = kFsyncCoversFailedWrite;
  trace.erase(trace.begin() + 4);
  trace.insert(trace.begin() + 7, "aio_fsync s fd=d");
  std::vector<std::string> log =
      FsyncCoversLog("hold ret=1 calls=fsync", "0", "0");
  log.erase(log.begin() + 4);
  log.insert(log.begin() + 7, "aio_fsync ret=0");
  CheckResult ok = Check(trace, log, Profile::kPosix);
  EXPECT_EQ(ok.verdict, Verdict::kPass) << FormatResult(ok, TraceOf(trace));
  log[11] = "aio_error ret=EIO";
  log[12] = "aio_return ret=-1";
  EXPECT_EQ(Check(trace, log, Profile::kPosix).verdict, Verdict::kFail);
}

}  // namespace
}  // namespace aiospec
