// The timeline of requests the HTML report draws for a finding, from a
// trace and a hand-written observation log.
#include "harness/cli/timeline.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/trace/trace_parser.h"

namespace aiospec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kTrace[] = R"(aiospec-trace 1
covers AIO-CANCEL-04
pipe rd wr
aio_read r fd=rd offset=0 nbytes=4 notify=signal(601)
aio_read q fd=rd offset=0 nbytes=4
wait r timeout=150ms
aio_cancel rd null
write wr data="data"
close rd
aio_error r
aio_return r
)";

constexpr char kLog[] = R"(aiospec-log 1
target glibc
0 pipe ret=0
1 aio_read ret=0
2 aio_read ret=-1 errno=EAGAIN
3 wait ret=-1 errno=ETIMEDOUT
4 aio_cancel ret=AIO_NOTCANCELED
5 write ret=4
notify after=5 kind=signal signo=SIGRTMIN+1 code=SI_ASYNCIO value=601 status=0
6 close ret=0
7 aio_error ret=EINPROGRESS
8 aio_return ret=4 data="data"
end completed
)";

Judgement Judged(const char* trace, const char* log) {
  Judgement j;
  j.trace = *ParseTrace(trace, "t.trace");
  j.log = *ParseLog(log, "t.log");
  j.result.verdict = Verdict::kFail;
  j.result.failure = Explanation{};
  j.result.failure->op_index = 7;
  return j;
}

std::vector<std::string> Texts(const TimelineRow& row, int step) {
  std::vector<std::string> out;
  for (const TimelineEvent& e : row.at.at(step)) out.push_back(e.text);
  return out;
}

TEST(TimelineTest, OneRowPerAiocbWithWhatEachStepSawOfIt) {
  const Timeline t = BuildTimeline(Judged(kTrace, kLog));
  ASSERT_EQ(t.rows.size(), 2u);
  const TimelineRow& r = t.rows[0];
  EXPECT_EQ(r.aiocb, "r");
  EXPECT_EQ(r.submitted, 1);
  EXPECT_EQ(r.returned, 8);
  EXPECT_THAT(Texts(r, 1), ElementsAre("aio_read submitted"));
  EXPECT_THAT(Texts(r, 3), ElementsAre("wait: still in flight"));
  // aio_cancel(fd, NULL) and close reach every request in flight on the descriptor.
  EXPECT_THAT(Texts(r, 4), ElementsAre("aio_cancel(NULL) AIO_NOTCANCELED"));
  EXPECT_THAT(Texts(r, 5), ElementsAre("notified (signal)"));  // matched by its value
  EXPECT_EQ(r.at.at(5)[0].title, "5: notify after=5 kind=signal signo=SIGRTMIN+1 "
                                 "code=SI_ASYNCIO value=601 status=0");
  EXPECT_THAT(Texts(r, 6), ElementsAre("close"));
  EXPECT_THAT(Texts(r, 7), ElementsAre("aio_error EINPROGRESS"));
  EXPECT_EQ(r.at.at(7)[0].kind, "status");
  EXPECT_EQ(r.at.at(8)[0].kind, "return");
  // A refused submission is an error event, and the request was never in flight.
  const TimelineRow& q = t.rows[1];
  EXPECT_EQ(q.aiocb, "q");
  EXPECT_EQ(q.submitted, -1);
  EXPECT_EQ(q.at.at(2)[0].kind, "error");
  EXPECT_FALSE(q.at.count(4));
  EXPECT_EQ(t.failed_step, 7);
  std::vector<int> steps;
  for (const TimelineColumn& c : t.columns) steps.push_back(c.step);
  EXPECT_THAT(steps, ElementsAre(1, 2, 3, 4, 5, 6, 7, 8));
  EXPECT_EQ(t.columns[0].op, "aio_read r fd=rd offset=0 nbytes=4 notify=signal(601)");
}

TEST(TimelineTest, HtmlShadesTheRequestInFlightAndMarksTheRejectedStep) {
  const std::string h = RenderTimelineHtml(BuildTimeline(Judged(kTrace, kLog)));
  EXPECT_THAT(h, HasSubstr("<table class=\"tl\">"));
  EXPECT_THAT(h, HasSubstr("<th class=\"bad\" title=\"aio_error r\">7<br><span>aio_error"));
  EXPECT_THAT(h, HasSubstr("<td class=\"live bad\"><span class=\"ev status\""));
  EXPECT_THAT(h, HasSubstr("<span class=\"ev notify\""));
  EXPECT_THAT(h, Not(HasSubstr("<script")));
}

TEST(TimelineTest, AStopsShortLogShowsOnlyTheStepsReached) {
  // A hung run: the log is a prefix; nothing after it is drawn.
  const std::string log = "aiospec-log 1\ntarget glibc\n0 pipe ret=0\n1 aio_read ret=0\nend hung at=2\n";
  Judgement j = Judged(kTrace, log.c_str());
  j.result.verdict = Verdict::kHang;
  j.result.failure->op_index = 2;
  const Timeline t = BuildTimeline(j);
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.columns.back().step, 2);  // the step it hung in, though nothing was recorded
  EXPECT_EQ(t.rows[0].at.size(), 1u);
}

TEST(TimelineTest, AFinalStatusIsDoneCancelledOrAnError) {
  const char* trace = "aiospec-trace 1\npipe rd wr\naio_read r fd=rd offset=0 nbytes=1\n"
                      "aio_error r\naio_error r\naio_error r\naio_suspend r timeout=0\n";
  const char* log = "aiospec-log 1\ntarget glibc\n0 pipe ret=0\n1 aio_read ret=0\n"
                    "2 aio_error ret=0\n3 aio_error ret=ECANCELED\n4 aio_error ret=EBADF\n"
                    "5 aio_suspend ret=0\nend completed\n";
  const Timeline t = BuildTimeline(Judged(trace, log));
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0].at.at(2)[0].kind, "done");
  EXPECT_EQ(t.rows[0].at.at(3)[0].kind, "cancel");
  EXPECT_EQ(t.rows[0].at.at(4)[0].kind, "error");
  EXPECT_EQ(t.rows[0].at.at(5)[0].kind, "status");  // aio_suspend's 0: some request is done
}

TEST(TimelineTest, NoAiocbNoTable) {
  const char* trace = "aiospec-trace 1\npipe rd wr\nwrite wr data=\"x\"\n";
  const char* log = "aiospec-log 1\ntarget glibc\n0 pipe ret=0\n1 write ret=1\nend completed\n";
  Judgement j = Judged(trace, log);
  j.result.verdict = Verdict::kPass;
  j.result.failure.reset();
  EXPECT_EQ(RenderTimelineHtml(BuildTimeline(j)), "");
}

}  // namespace
}  // namespace aiospec
