#include "model/rules.h"

#include <cerrno>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/completion.h"
#include "model/state.h"
#include "model/test_util.h"

namespace aiospec {
namespace {

using ::aiospec::testing::TraceOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

StepObservation Obs(int op, int64_t ret, int err = 0,
                    std::optional<std::string> data = std::nullopt) {
  return StepObservation{op, ret, err, std::move(data)};
}

RuleContext Ctx(const Trace& t, int op, Profile p = Profile::kQoi) {
  RuleContext ctx;
  ctx.trace = &t;
  ctx.op_index = op;
  ctx.profile = p;
  ctx.step = StepContext{&t, p == Profile::kQoi};
  return ctx;
}

// Applies ops [0, n) with ret=0 (or the given observations) and returns the
// first accepted world.
State WorldAfter(const Trace& t, int n, const std::vector<StepObservation>& obs = {}) {
  State s = InitialState(t);
  for (int i = 0; i < n; ++i) {
    StepObservation o = i < static_cast<int>(obs.size()) ? obs[i] : Obs(i, 0);
    RuleOutcome out = ApplyRule(s, t.ops[i], o, Ctx(t, i));
    EXPECT_FALSE(out.unresolved.has_value()) << *out.unresolved;
    EXPECT_FALSE(out.accepted.empty()) << "op " << i << " rejected";
    if (out.accepted.empty()) return s;
    s = out.accepted.front().state;
  }
  return s;
}

TEST(RulesTest, ReadOnEmptyPipeIsBlockedUntilBytesArrive) {
  Trace t = TraceOf({"pipe r w", "aio_read a fd=r offset=0 nbytes=4",
                     "write w data=\"ab\""});
  State s = WorldAfter(t, 2);
  StepContext ctx{&t, true};
  EXPECT_THAT(StepRequest(s, 0, ctx), IsEmpty());
  EXPECT_FALSE(EnabledForSure(s, 0));
  s = WorldAfter(t, 3, {Obs(0, 0), Obs(1, 0), Obs(2, 2)});
  EXPECT_TRUE(EnabledForSure(s, 0));
  std::vector<State> next = StepRequest(s, 0, ctx);
  ASSERT_THAT(next, SizeIs(1));
  const Request& r = *next[0].requests[0];
  EXPECT_EQ(r.status, RequestStatus::kDone);
  EXPECT_EQ(r.ret, 2);  // a partial read, as read(2) on a pipe
  EXPECT_EQ(BytesOf(r.read_data), "ab");
  EXPECT_EQ(BytesOf(next[0].streams[0].queue), "");
}

TEST(RulesTest, FullPipeHoldsSmallWritesAndSplitsLargeOnes) {
  Trace t = TraceOf({"pipe r w", "fill w", "drain r max=4",
                     "aio_write a fd=w offset=0 nbytes=8",
                     "aio_write b fd=w offset=0 nbytes=5000"});
  State s = WorldAfter(t, 5, {Obs(0, 0), Obs(1, 10), Obs(2, 4, 0, "FFFF"), Obs(3, 0),
                       Obs(4, 0)});
  EXPECT_EQ(s.streams[0].capacity, 10);
  StepContext relaxed{&t, false};
  EXPECT_THAT(StepRequest(s, 0, relaxed), IsEmpty());  // 8 <= PIPE_BUF: atomic
  std::vector<State> next = StepRequest(s, 1, relaxed);
  ASSERT_THAT(next, SizeIs(1));
  EXPECT_EQ(next[0].requests[1]->status, RequestStatus::kQueued);
  EXPECT_EQ(next[0].requests[1]->transferred, 4);
  EXPECT_EQ(BytesOf(next[0].streams[0].queue).size(), 10u);
  // qoi keeps stream writes in submission order: b waits for a.
  EXPECT_THAT(StepRequest(s, 1, StepContext{&t, true}), IsEmpty());
}

TEST(RulesTest, ConflictFollowsOverlapAndObjects) {
  Trace t = TraceOf({"file f", "file g", "open d f flags=rdwr",
                     "open e g flags=rdwr", "pipe r w",
                     "aio_write a fd=d offset=0 nbytes=4",
                     "aio_write b fd=d offset=2 nbytes=4",
                     "aio_write c fd=d offset=8 nbytes=4",
                     "aio_read x fd=d offset=20 nbytes=4",
                     "aio_write y fd=e offset=0 nbytes=4",
                     "aio_read p fd=r offset=0 nbytes=1",
                     "aio_read q fd=r offset=0 nbytes=1"});
  State s = WorldAfter(t, 12);
  auto cb = [&](const std::string& name) {
    for (CbId i = 0; i < static_cast<int>(t.cb_names.size()); ++i) {
      if (t.cb_names[i] == name) return i;
    }
    return -1;
  };
  EXPECT_TRUE(Conflict(s, cb("a"), cb("b")));   // overlapping writes
  EXPECT_FALSE(Conflict(s, cb("a"), cb("c")));  // disjoint writes commute
  EXPECT_FALSE(Conflict(s, cb("a"), cb("x")));  // write ends before the read
  EXPECT_FALSE(Conflict(s, cb("a"), cb("y")));  // another file
  // Reads on an empty pipe that nothing can fill commute (each blocks or
  // sees EOF); with a pending write into the pipe, who reads what depends
  // on their order.
  EXPECT_FALSE(Conflict(s, cb("p"), cb("q")));
  EXPECT_FALSE(Conflict(s, cb("p"), cb("a")));
  Trace t2 = TraceOf({"pipe r w", "aio_read p fd=r offset=0 nbytes=1",
                "aio_read q fd=r offset=0 nbytes=1",
                "aio_write v fd=w offset=0 nbytes=1"});
  State s2 = WorldAfter(t2, 4);
  EXPECT_TRUE(Conflict(s2, 0, 1));  // same pipe, a write pending
}

TEST(RulesTest, ExploreDefersRequestsTheObservationDoesNotNeed) {
  std::vector<std::string> lines = {"file f", "open d f flags=rdwr"};
  for (int i = 0; i < 16; ++i) {
    lines.push_back(absl::StrCat("aio_write w", i, " fd=d offset=", 10 * i,
                                 " nbytes=4"));
  }
  Trace t = TraceOf(lines);
  State s = WorldAfter(t, static_cast<int>(lines.size()));
  StepContext ctx{&t, true};
  bool overflow = false;
  ExploreSpec one;
  one.either = {3};
  std::vector<State> worlds = Explore(s, one, ctx, 4096, &overflow);
  EXPECT_FALSE(overflow);
  EXPECT_THAT(worlds, SizeIs(2));  // w3 pending or done; the rest deferred
  for (const State& w : worlds) EXPECT_TRUE(w.IsPending(4));

  ExploreSpec all;
  for (CbId cb = 0; cb < 16; ++cb) all.must_complete.push_back(cb);
  worlds = Explore(s, all, ctx, 4096, &overflow);
  EXPECT_FALSE(overflow);
  ASSERT_THAT(worlds, SizeIs(1));  // disjoint writes: one outcome, not 16!
  EXPECT_THAT(worlds[0].PendingRequests(), IsEmpty());

  ExploreSpec any;
  any.must_complete = {1, 2, 3};
  any.any_of = true;
  worlds = Explore(s, any, ctx, 4096, &overflow);
  EXPECT_THAT(worlds, SizeIs(4));  // unchanged, or one of the three done
}

TEST(RulesTest, ExploreStopsAtTheLimit) {
  Trace t = TraceOf({"file f", "open d f flags=rdwr",
                     "aio_write a fd=d offset=0 nbytes=4",
                     "aio_write b fd=d offset=1 nbytes=4",
                     "aio_write c fd=d offset=2 nbytes=4"});
  State s = WorldAfter(t, 5);
  ExploreSpec spec;
  spec.either = {0, 1, 2};
  bool overflow = false;
  Explore(s, spec, StepContext{&t, false}, 3, &overflow);
  EXPECT_TRUE(overflow);
}

TEST(RulesTest, QoiOrdersOverlappingWritesAndReadsAfterThem) {
  Trace t = TraceOf({"file f", "open d f flags=rdwr",
                     "aio_write a fd=d offset=0 nbytes=4",
                     "aio_write b fd=d offset=2 nbytes=4",
                     "aio_read r fd=d offset=3 nbytes=1"});
  State s = WorldAfter(t, 5);
  StepContext qoi{&t, true};
  StepContext posix{&t, false};
  EXPECT_THAT(StepRequest(s, 1, qoi), IsEmpty());
  EXPECT_THAT(StepRequest(s, 2, qoi), IsEmpty());
  EXPECT_THAT(StepRequest(s, 1, posix), SizeIs(1));
  EXPECT_THAT(StepRequest(s, 2, posix), SizeIs(1));
  EXPECT_THAT(StepRequest(s, 0, qoi), SizeIs(1));
}

TEST(RulesTest, AioErrorRejectionSaysWhatWasAllowed) {
  Trace t = TraceOf({"pipe r w", "aio_read a fd=r offset=0 nbytes=1",
                     "aio_error a"});
  State s = WorldAfter(t, 2);
  RuleOutcome out = ApplyRule(s, t.ops[2], Obs(2, 0), Ctx(t, 2));
  EXPECT_THAT(out.accepted, IsEmpty());
  ASSERT_THAT(out.rejections, SizeIs(1));
  EXPECT_EQ(out.rejections[0].allowed, "aio_error ret=EINPROGRESS");
  EXPECT_THAT(out.rejections[0].assertion_ids, Contains("AIO-ERROR-02"));
  EXPECT_THAT(ApplyRule(s, t.ops[2], Obs(2, EINPROGRESS), Ctx(t, 2)).accepted,
              SizeIs(1));
}

TEST(RulesTest, PositiveReqprioMayBeRejectedAndIsRecorded) {
  Trace t = TraceOf({"file f", "open d f flags=rdonly",
                     "aio_read a fd=d offset=0 nbytes=1 reqprio=5"});
  State s = WorldAfter(t, 2);
  RuleOutcome sync = ApplyRule(s, t.ops[2], Obs(2, -1, EINVAL), Ctx(t, 2));
  ASSERT_THAT(sync.accepted, SizeIs(1));
  EXPECT_THAT(sync.accepted[0].choices,
              ElementsAre("AIO-READ-17: EINVAL reported synchronously"));
  // Queued: it goes through, or it completes with EINVAL (sync or async is
  // the implementation's choice, as for every EITHER error).
  RuleOutcome queued = ApplyRule(s, t.ops[2], Obs(2, 0), Ctx(t, 2));
  ASSERT_THAT(queued.accepted, SizeIs(2));
  EXPECT_TRUE(queued.accepted[0].state.IsPending(0));
  EXPECT_EQ(queued.accepted[0].state.requests[0]->pending_error, 0);
  EXPECT_THAT(queued.accepted[0].choices, IsEmpty());
  EXPECT_EQ(queued.accepted[1].state.requests[0]->pending_error, EINVAL);
  EXPECT_THAT(queued.accepted[1].choices,
              ElementsAre("AIO-READ-17: EINVAL reported asynchronously"));
}

TEST(RulesTest, NegativeReqprioIsQueuedWithTheErrorOrRejected) {
  Trace t = TraceOf({"file f", "open d f flags=rdonly",
                     "aio_read a fd=d offset=0 nbytes=1 reqprio=-1"});
  State s = WorldAfter(t, 2);
  RuleOutcome queued = ApplyRule(s, t.ops[2], Obs(2, 0), Ctx(t, 2));
  ASSERT_THAT(queued.accepted, SizeIs(1));
  EXPECT_EQ(queued.accepted[0].state.requests[0]->pending_error, EINVAL);
  std::vector<State> done =
      StepRequest(queued.accepted[0].state, 0, StepContext{&t, true});
  ASSERT_THAT(done, SizeIs(1));
  EXPECT_EQ(done[0].requests[0]->ret, -1);
  EXPECT_EQ(done[0].requests[0]->err, EINVAL);
}

TEST(RulesTest, ResubmittingAPendingAiocbIsUnresolved) {
  Trace t = TraceOf({"pipe r w", "aio_read a fd=r offset=0 nbytes=1",
                     "aio_read a fd=r offset=0 nbytes=1"});
  State s = WorldAfter(t, 2);
  RuleOutcome out = ApplyRule(s, t.ops[2], Obs(2, 0), Ctx(t, 2));
  ASSERT_TRUE(out.unresolved.has_value());
  EXPECT_THAT(*out.unresolved, HasSubstr("AIO-READ-11"));
}

TEST(RulesTest, DrainInterleavesAPendingLargeWrite) {
  Trace t = TraceOf({"pipe r w", "fill w",
                     "aio_write a fd=w offset=0 nbytes=6000 data=\"x\"",
                     "drain r"});
  State s = WorldAfter(t, 3, {Obs(0, 0), Obs(1, 4), Obs(2, 0)});
  // The write moves in pieces as the drain makes room.
  RuleOutcome out = ApplyRule(
      s, t.ops[3], Obs(3, 6004, 0, "FFFF" + std::string(6000, 'x')), Ctx(t, 3));
  EXPECT_THAT(out.accepted, Not(IsEmpty()));
  RuleOutcome partial = ApplyRule(
      s, t.ops[3], Obs(3, 8, 0, "FFFFxxxx"), Ctx(t, 3));
  EXPECT_THAT(partial.accepted, Not(IsEmpty()));  // then the drain caught up
  RuleOutcome wrong = ApplyRule(s, t.ops[3], Obs(3, 3, 0, "FFF"), Ctx(t, 3));
  EXPECT_THAT(wrong.accepted, IsEmpty());
  EXPECT_THAT(wrong.rejections[0].assertion_ids, Contains("AIO-WRITE-18"));
}

TEST(RulesTest, FormatObservationUsesSymbolicNames) {
  Trace t = TraceOf({"pipe r w", "aio_read a fd=r offset=0 nbytes=1",
                     "aio_error a", "drain r"});
  EXPECT_EQ(FormatObservation(t.ops[2], Obs(2, EINPROGRESS)),
            "aio_error ret=EINPROGRESS");
  EXPECT_EQ(FormatObservation(t.ops[1], Obs(1, -1, EAGAIN)),
            "aio_read ret=-1 errno=EAGAIN");
  EXPECT_EQ(FormatObservation(t.ops[3], Obs(3, 2, 0, "ab")),
            "drain ret=2 data=\"ab\"");
}

}  // namespace
}  // namespace aiospec
