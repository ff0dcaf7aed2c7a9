// aio_cancel(fd, NULL) and close with more requests than the rules branch on
// at once (kEagerCancelLimit): each request's cancellation is decided when
// the log looks at it.
#include "model/cancel_choice.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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
using ::testing::IsSupersetOf;
using ::testing::Not;

using Lines = std::vector<std::string>;

// n reads queued on an empty pipe, aio_cancel(r, NULL), aio_error on each,
// then EOF releases the ones left: wait, aio_return.
Lines CancelTrace(int n, const std::string& cancel = "aio_cancel r null") {
  Lines t = {"pipe r w"};
  for (int i = 0; i < n; ++i) {
    t.push_back(absl::StrCat("aio_read a", i, " fd=r offset=0 nbytes=1"));
  }
  t.push_back(cancel);
  for (int i = 0; i < n; ++i) t.push_back(absl::StrCat("aio_error a", i));
  t.push_back("close w");
  std::string wait = "wait";
  for (int i = 0; i < n; ++i) absl::StrAppend(&wait, " a", i);
  t.push_back(wait);
  for (int i = 0; i < n; ++i) t.push_back(absl::StrCat("aio_return a", i));
  return t;
}

// `cancelled` bit i: request i reported ECANCELED, else EINPROGRESS.
Lines CancelLog(int n, const std::string& result, uint32_t cancelled,
                const std::string& close_result = "close ret=0") {
  Lines l = {"pipe ret=0"};
  for (int i = 0; i < n; ++i) l.push_back("aio_read ret=0");
  l.push_back(result);
  for (int i = 0; i < n; ++i) {
    l.push_back((cancelled >> i) & 1 ? "aio_error ret=ECANCELED"
                                     : "aio_error ret=EINPROGRESS");
  }
  l.push_back(close_result);
  l.push_back("wait ret=0");
  for (int i = 0; i < n; ++i) {
    l.push_back((cancelled >> i) & 1 ? "aio_return ret=-1" : "aio_return ret=0");
  }
  return l;
}

CheckResult Check(const Lines& trace, const Lines& log, Profile p) {
  Trace t = TraceOf(trace);
  CheckResult r = CheckLog(t, LogOf(log), CheckOptions{p, 4096});
  return r;
}

std::string Show(const Lines& trace, const CheckResult& r) {
  return FormatResult(r, TraceOf(trace));
}

TEST(CancelChoiceTest, SixteenBlockedReadsCancelledOneByOne) {
  const Lines trace = CancelTrace(16);
  for (Profile p : {Profile::kPosix, Profile::kQoi}) {
    // glibc's answer: the reads are blocked in its threads, none cancelled.
    CheckResult none = Check(trace, CancelLog(16, "aio_cancel ret=AIO_NOTCANCELED", 0), p);
    EXPECT_EQ(none.verdict, Verdict::kPass) << Show(trace, none);
    EXPECT_LE(none.peak_states, 2u);
    EXPECT_THAT(none.choices, Contains(HasSubstr("was not cancelable")));
    EXPECT_THAT(none.choices, Not(Contains(HasSubstr("was cancelable"))));
    // Every other one cancelled.
    CheckResult half =
        Check(trace, CancelLog(16, "aio_cancel ret=AIO_NOTCANCELED", 0x5555), p);
    EXPECT_EQ(half.verdict, Verdict::kPass) << Show(trace, half);
    EXPECT_LE(half.peak_states, 2u);
    EXPECT_THAT(half.choices, Contains(HasSubstr("was cancelable")));
    // All cancelled.
    CheckResult all =
        Check(trace, CancelLog(16, "aio_cancel ret=AIO_CANCELED", 0xffff), p);
    EXPECT_EQ(all.verdict, Verdict::kPass) << Show(trace, all);
  }
}

TEST(CancelChoiceTest, NotCanceledMeansOneWasLeft) {
  const Lines trace = CancelTrace(16);
  for (Profile p : {Profile::kPosix, Profile::kQoi}) {
    // AIO_NOTCANCELED, yet every request says ECANCELED: the last one
    // cannot have been cancelled.
    CheckResult r =
        Check(trace, CancelLog(16, "aio_cancel ret=AIO_NOTCANCELED", 0xffff), p);
    EXPECT_EQ(r.verdict, Verdict::kFail) << Show(trace, r);
    ASSERT_TRUE(r.failure.has_value());
    EXPECT_EQ(r.failure->op_index, 1 + 16 + 1 + 15);  // aio_error a15
    EXPECT_THAT(r.failure->assertion_ids, IsSupersetOf({"AIO-ERROR-02"}));
  }
}

TEST(CancelChoiceTest, CanceledMeansAllWereCancelled) {
  const Lines trace = CancelTrace(16);
  CheckResult r = Check(
      trace, CancelLog(16, "aio_cancel ret=AIO_CANCELED", 0xffff & ~(1u << 9)),
      Profile::kQoi);
  EXPECT_EQ(r.verdict, Verdict::kFail) << Show(trace, r);
  EXPECT_THAT(r.failure->assertion_ids,
              IsSupersetOf({"AIO-ERROR-09", "AIO-CANCEL-06"}));
  CheckResult done =
      Check(trace, CancelLog(16, "aio_cancel ret=AIO_ALLDONE", 0), Profile::kQoi);
  EXPECT_EQ(done.verdict, Verdict::kFail) << Show(trace, done);
  EXPECT_THAT(done.failure->assertion_ids, Contains("AIO-CANCEL-12"));
}

// Past the eager limit, every pattern but "all cancelled" is an
// AIO_NOTCANCELED the model accepts, exactly as the eager subsets did.
TEST(CancelChoiceTest, EveryPatternOfSixReads) {
  const Lines trace = CancelTrace(6);
  for (uint32_t mask = 0; mask < 64; ++mask) {
    CheckResult r =
        Check(trace, CancelLog(6, "aio_cancel ret=AIO_NOTCANCELED", mask),
              Profile::kQoi);
    EXPECT_EQ(r.verdict, mask == 63 ? Verdict::kFail : Verdict::kPass)
        << mask << "\n" << Show(trace, r);
  }
}

TEST(CancelChoiceTest, LateObservationStillDecides) {
  // Nothing looks at the requests before EOF releases them: the wait and
  // aio_return decide each one then.
  Lines trace = {"pipe r w"};
  Lines log = {"pipe ret=0"};
  for (int i = 0; i < 8; ++i) {
    trace.push_back(absl::StrCat("aio_read a", i, " fd=r offset=0 nbytes=1"));
    log.push_back("aio_read ret=0");
  }
  trace.insert(trace.end(), {"aio_cancel r null", "close w", "wait a3", "aio_return a3",
                             "aio_error a5"});
  log.insert(log.end(), {"aio_cancel ret=AIO_NOTCANCELED", "close ret=0", "wait ret=0",
                         "aio_return ret=0", "aio_error ret=ECANCELED"});
  CheckResult r = Check(trace, log, Profile::kQoi);
  EXPECT_EQ(r.verdict, Verdict::kPass) << Show(trace, r);
  EXPECT_LE(r.peak_states, 2u);  // close w does not look at the reads
  log[log.size() - 2] = "aio_return ret=1";  // EOF reads give 0 bytes
  r = Check(trace, log, Profile::kQoi);
  EXPECT_EQ(r.verdict, Verdict::kFail) << Show(trace, r);
  EXPECT_THAT(r.failure->assertion_ids, Contains("AIO-RETURN-01"));
}

TEST(CancelChoiceTest, FillDecidesTheReadsItFeeds) {
  // fill writes into the pipe: the reads left queued take the first bytes.
  Lines trace = {"pipe r w"};
  Lines log = {"pipe ret=0"};
  for (int i = 0; i < 6; ++i) {
    trace.push_back(absl::StrCat("aio_read a", i, " fd=r offset=0 nbytes=1"));
    log.push_back("aio_read ret=0");
  }
  trace.insert(trace.end(), {"aio_cancel r null", "fill w", "aio_error a0",
                             "aio_error a1"});
  log.insert(log.end(), {"aio_cancel ret=AIO_NOTCANCELED", "fill ret=65536",
                         "aio_error ret=ECANCELED", "aio_error ret=0"});
  CheckResult r = Check(trace, log, Profile::kQoi);
  EXPECT_EQ(r.verdict, Verdict::kPass) << Show(trace, r);
  // A read that took fill bytes read kFillByte.
  trace.push_back("aio_return a1");
  log.push_back("aio_return ret=1 data=\"x\"");
  r = Check(trace, log, Profile::kQoi);
  EXPECT_EQ(r.verdict, Verdict::kFail) << Show(trace, r);
  EXPECT_THAT(r.failure->assertion_ids, Contains("AIO-READ-01"));
}

TEST(CancelChoiceTest, CloseWithEightQueuedReads) {
  // close(r) may cancel any of the eight reads submitted on r (AIO-PROC-01).
  Lines trace = CancelTrace(8, "close r");
  for (uint32_t mask : {0u, 0xffu, 0x0fu, 0x81u}) {
    CheckResult r = Check(trace, CancelLog(8, "close ret=0", mask), Profile::kQoi);
    EXPECT_EQ(r.verdict, Verdict::kPass) << mask << "\n" << Show(trace, r);
    EXPECT_LE(r.peak_states, 2u);
    if (mask != 0) {
      EXPECT_THAT(r.choices, Contains(HasSubstr("AIO-PROC-01: close cancelled")));
    } else {
      EXPECT_THAT(r.choices, Not(Contains(HasSubstr("AIO-PROC-01"))));
    }
  }
  // A read on an empty pipe with a writer cannot have completed.
  Lines log = CancelLog(8, "close ret=0", 0);
  log[1 + 8 + 1 + 2] = "aio_error ret=0";
  CheckResult r = Check(trace, log, Profile::kQoi);
  EXPECT_EQ(r.verdict, Verdict::kFail) << Show(trace, r);
  EXPECT_THAT(r.failure->assertion_ids, Contains("AIO-ERROR-02"));
}

}  // namespace
}  // namespace aiospec
