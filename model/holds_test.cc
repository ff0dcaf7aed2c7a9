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

}  // namespace
}  // namespace aiospec
