// The checker: keeps the set of model worlds consistent with the log so far.
//
// Invariants of the loop in CheckLog:
//  - `worlds` holds distinct worlds (by State's equality), each with the
//    implementation-defined choices some accepted run took to reach it;
//  - before op i, every world has consumed exactly the observations of ops
//    0..i-1; completions not yet needed by an observation are still pending
//    in it (deferred), never dropped;
//  - an undecided cancellation (cancel_choice.h) is decided, splitting the
//    world, before the op or notify record that depends on it is judged;
//  - the verdict is kPass or kFail only when the set stayed within
//    max_states at every step.
#include "model/checker.h"

#include <algorithm>
#include <iterator>
#include <cerrno>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/match.h"
#include "harness/trace/trace_printer.h"
#include "model/cancel_choice.h"
#include "model/completion.h"
#include "model/notifications.h"
#include "model/rules.h"
#include "model/state.h"
#include "model/state_set.h"
#include "model/threads.h"

namespace aiospec {

const char* ProfileName(Profile p) {
  return p == Profile::kPosix ? "posix" : "qoi";
}

std::optional<Profile> ProfileFromName(std::string_view name) {
  if (name == "posix") return Profile::kPosix;
  if (name == "qoi") return Profile::kQoi;
  return std::nullopt;
}

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kPass: return "PASS";
    case Verdict::kFail: return "FAIL";
    case Verdict::kUnresolved: return "UNRESOLVED";
    case Verdict::kUnsupported: return "UNSUPPORTED";
    case Verdict::kUntested: return "UNTESTED";
    case Verdict::kHang: return "HANG";
    case Verdict::kCrash: return "CRASH";
  }
  return "?";
}

namespace {

constexpr size_t kMaxAllowedShown = 6;

struct World {
  State state;
  std::vector<std::string> choices;  // sorted, unique
};

const State& StateOfWorld(const World& w) { return w.state; }

// Worlds deduped by State's equality; choices of merged worlds are united.
class WorldSet {
 public:
  void Add(State s, const std::vector<std::string>& a,
           const std::vector<std::string>& b) {
    auto [i, inserted] = worlds_.Insert(World{std::move(s), {}});
    std::vector<std::string>& c = worlds_.Mutable(i).choices;
    if (inserted && b.empty()) {
      c = a;  // already sorted and unique
      return;
    }
    if (a.empty() && b.empty()) return;
    c.insert(c.end(), a.begin(), a.end());
    c.insert(c.end(), b.begin(), b.end());
    std::sort(c.begin(), c.end());
    c.erase(std::unique(c.begin(), c.end()), c.end());
  }
  size_t size() const { return worlds_.size(); }
  std::vector<World> Take() && { return std::move(worlds_).Take(); }

 private:
  BasicStateSet<World, StateOfWorld> worlds_;
};

Explanation At(const Trace& trace, int op_index);

// `wait ... until=notified`, after its notify records: ret=0 keeps the
// worlds where every listed request is complete and notified; a timeout,
// the worlds where one is pending, or (posix) owes its notification. Under
// qoi a bound of kMinProgressBoundNanos or more is long enough for any
// notification of a complete request. An explanation when none is left.
std::optional<Explanation> JudgeNotifiedWait(const Trace& trace, int op,
                                             const Wait& wait,
                                             const StepObservation& obs,
                                             bool qoi, std::vector<World>& worlds) {
  const bool timed_out = obs.ret == -1 && obs.err == ETIMEDOUT;
  const bool judge_bound = qoi && (wait.timeout.infinite ||
                                   wait.timeout.nanos >= kMinProgressBoundNanos);
  std::vector<World> kept;
  std::optional<std::pair<size_t, CbId>> missing;  // a world and its request
  for (size_t k = 0; k < worlds.size(); ++k) {
    const State& w = worlds[k].state;
    bool pending = false;
    for (CbId cb : wait.cbs) pending = pending || w.IsPending(cb);
    const std::optional<CbId> owed = OwedByNotifiedWait(w, wait);
    bool keep = !pending && !owed.has_value();
    if (timed_out) {
      keep = pending || (owed.has_value() && !judge_bound);
      if (!pending && owed.has_value() && !missing) missing = {{k, *owed}};
    }
    if (keep) kept.push_back(std::move(worlds[k]));
  }
  if (!kept.empty()) {
    worlds = std::move(kept);
    return std::nullopt;
  }
  Explanation e = At(trace, op);
  e.observed = FormatObservation(trace.ops[op], obs);
  if (missing.has_value()) {
    NotificationFailure f = NotificationNeverArrived(
        trace, wait, worlds[missing->first].state, missing->second);
    e.allowed = std::move(f.allowed);
    e.assertion_ids = std::move(f.assertion_ids);
    e.message = std::move(f.message);
  } else {
    // ret=0, yet the log's notify records leave a listed request pending
    // or unnotified: the records and the model disagree on which
    // submission a notification was for.
    e.message = "wait until=notified returned, but the notify records do not "
                "account for every listed request";
  }
  return e;
}

Explanation At(const Trace& trace, int op_index) {
  Explanation e;
  e.op_index = op_index;
  if (op_index >= 0 && op_index < static_cast<int>(trace.ops.size())) {
    e.loc = trace.ops[op_index].loc;
    e.op_text = PrintOp(trace, trace.ops[op_index]);
  }
  return e;
}

void AddUnique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

std::vector<std::string> United(std::vector<std::string> a,
                                const std::vector<std::string>& b) {
  if (b.empty()) return a;
  a.insert(a.end(), b.begin(), b.end());
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  return a;
}

// Splits each world on the undecided cancellations `needed(state)` names
// (cancel_choice.h). False when that passes `limit` worlds.
template <typename Needed>
bool DecideWhereNeeded(std::vector<World>& worlds, const StepContext& ctx,
                       size_t limit, Needed needed) {
  if (std::none_of(worlds.begin(), worlds.end(),
                   [](const World& w) { return HasUndecided(w.state); })) {
    return true;
  }
  std::vector<World> out;
  for (World& w : worlds) {
    const std::vector<CbId> cbs = needed(w.state);
    if (cbs.empty()) {
      out.push_back(std::move(w));
      continue;
    }
    bool overflow = false;
    for (Decided& d : DecideAll(w.state, cbs, ctx, limit, &overflow)) {
      out.push_back({std::move(d.state), United(w.choices, d.choices)});
    }
    if (overflow || out.size() > limit) return false;
  }
  worlds = std::move(out);
  return true;
}

// One op over every world. Fills `next`, or `rejections`; returns an
// unresolved reason when the model cannot judge.
struct StepResult {
  std::optional<std::string> unresolved;
  std::vector<Rejection> rejections;
  // Per rejection: how many implementation-defined choices its world took.
  std::vector<size_t> rejection_choices;
};

StepResult RunStep(const Trace& trace, int i, const StepObservation& obs,
                   std::vector<World>& worlds,  // consumed
                   const CheckOptions& options,
                   bool strict_order, WorldSet& next) {
  StepResult result;
  const Op& op = trace.ops[i];
  RuleContext ctx;
  ctx.trace = &trace;
  ctx.op_index = i;
  ctx.profile = options.profile;
  ctx.step = StepContext{&trace, strict_order};
  ctx.limit = options.max_states;
  std::vector<State> reach;
  for (World& w : worlds) {
    const ExploreSpec spec = SpecFor(w.state, op, obs);
    // Most ops need no hidden step: judge the world itself, uncopied.
    const bool explore = AnySeedPending(w.state, spec);
    reach.clear();
    if (explore) {
      bool overflow = false;
      reach = Explore(w.state, spec, ctx.step, options.max_states, &overflow);
      if (overflow) {
        result.unresolved = absl::StrCat(
            "more than ", options.max_states,
            " model states while completing pending requests");
        return result;
      }
    }
    const size_t count = explore ? reach.size() : 1;
    for (size_t k = 0; k < count; ++k) {
      // The old worlds are dropped after this step, so an accepted world
      // that is the rule's input moves into `next` instead of being copied.
      State& r = explore ? reach[k] : w.state;
      RuleOutcome out = ApplyRuleKeepingInput(r, op, obs, ctx);
      if (out.unresolved) {
        result.unresolved = out.unresolved;
        return result;
      }
      for (Accepted& a : out.accepted) {
        next.Add(a.same ? std::move(r) : std::move(a.state), w.choices, a.choices);
      }
      for (Rejection& rj : out.rejections) {
        result.rejections.push_back(std::move(rj));
        result.rejection_choices.push_back(w.choices.size());
      }
      if (next.size() > options.max_states) {
        result.unresolved = absl::StrCat("more than ", options.max_states,
                                         " model states are consistent with "
                                         "the log");
        return result;
      }
    }
  }
  return result;
}

// The explanation of a rejection judged at op `op` outside the rules.
Explanation Rejected(const Trace& trace, int op, Rejection r) {
  Explanation e = At(trace, op);
  e.allowed = {std::move(r.allowed)};
  e.assertion_ids = std::move(r.assertion_ids);
  e.message = std::move(r.message);
  return e;
}

// Op `i` with observation `obs` over every world: `worlds` becomes the
// accepted successors, or the verdict and explanation of the failure.
std::optional<std::pair<Verdict, Explanation>> StepAll(
    const Trace& trace, int op, const StepObservation& obs,
    std::vector<World>& worlds, const CheckOptions& options, bool qoi) {
  const Op& at = trace.ops[op];
  if (!DecideWhereNeeded(worlds, StepContext{&trace, qoi}, options.max_states,
                         [&](const State& w) {
        return MustDecide(w, at, SpecFor(w, at, obs));
      })) {
    Explanation e = At(trace, op);
    e.observed = FormatObservation(at, obs);
    e.message = absl::StrCat("more than ", options.max_states,
                             " model states while deciding which requests "
                             "an aio_cancel or close cancelled");
    return std::pair{Verdict::kUnresolved, std::move(e)};
  }
  WorldSet next;
  StepResult step = RunStep(trace, op, obs, worlds, options, qoi, next);
  if (step.unresolved) {
    Explanation e = At(trace, op);
    e.observed = FormatObservation(at, obs);
    e.message = *step.unresolved;
    return std::pair{Verdict::kUnresolved, std::move(e)};
  }
  if (next.size() == 0) {
    Explanation e = At(trace, op);
    e.observed = FormatObservation(at, obs);
    std::vector<std::string> messages;
    // What every world allowed; but the IDs and the message of the worlds
    // that took the fewest implementation-defined choices: a branch the
    // log plainly did not take (an optional error reported, a request
    // cancelled) would only add the IDs of its own clauses.
    const size_t fewest =
        step.rejection_choices.empty()
            ? 0
            : *std::min_element(step.rejection_choices.begin(),
                                step.rejection_choices.end());
    for (size_t k = 0; k < step.rejections.size(); ++k) {
      const Rejection& r = step.rejections[k];
      if (e.allowed.size() < kMaxAllowedShown) AddUnique(e.allowed, r.allowed);
      if (step.rejection_choices[k] != fewest) continue;
      for (const std::string& id : r.assertion_ids) AddUnique(e.assertion_ids, id);
      if (!r.message.empty()) AddUnique(messages, r.message);
    }
    e.message = messages.empty()
                    ? "the model allows no world with this observation"
                    : messages.front();
    return std::pair{Verdict::kFail, std::move(e)};
  }
  worlds = std::move(next).Take();
  return std::nullopt;
}

// The ops of a batch of started ops (threads.h), at its close: each awaited
// op with its await's observation, in every order; the worlds of all the
// orders that pass survive. A failure is explained by the order the ops
// were started in. Then each `cancel` record (AIO-SUSP-17).
std::optional<std::pair<Verdict, Explanation>> CloseBatch(
    const Trace& trace, const ObservationLog& log, const ThreadBatch& batch,
    std::vector<World>& worlds, const CheckOptions& options, bool qoi) {
  std::vector<ThreadBatch::Member> order;
  for (const ThreadBatch::Member& m : batch.members) {
    if (!m.cancelled) order.push_back(m);
  }
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.start < b.start; });
  WorldSet all;
  std::optional<std::pair<Verdict, Explanation>> first_failure;
  do {
    std::vector<World> w = worlds;
    std::optional<std::pair<Verdict, Explanation>> failure;
    for (const ThreadBatch::Member& m : order) {
      failure = StepAll(trace, m.start, log.steps[m.end], w, options, qoi);
      if (failure) break;
    }
    if (failure) {
      if (failure->first == Verdict::kUnresolved) return failure;
      if (!first_failure) first_failure = std::move(failure);
      continue;
    }
    for (World& x : w) all.Add(std::move(x.state), x.choices, {});
    if (all.size() > options.max_states) {
      Explanation e = At(trace, batch.close);
      e.message = absl::StrCat("more than ", options.max_states,
                               " model states over the orders of the "
                               "threads' ops");
      return std::pair{Verdict::kUnresolved, std::move(e)};
    }
  } while (std::next_permutation(
      order.begin(), order.end(),
      [](const auto& a, const auto& b) { return a.start < b.start; }));
  if (all.size() == 0) {
    first_failure->second.message = absl::StrCat(
        first_failure->second.message,
        " (in every order of the ops the threads ran at once)");
    return first_failure;
  }
  worlds = std::move(all).Take();
  for (const ThreadBatch::Member& m : batch.members) {
    if (!m.cancelled) continue;
    std::vector<const State*> states;
    for (const World& w : worlds) states.push_back(&w.state);
    bool signaled = false;  // a signal may have interrupted the call
    for (const NotificationObservation& note : log.notifications) {
      signaled = signaled || (note.kind == NotifyKind::kSignal &&
                              note.after_op >= batch.first &&
                              note.after_op <= batch.close);
    }
    const auto& suspend = std::get<AioSuspend>(trace.ops[m.start].body);
    if (std::optional<Rejection> r =
            JudgeCancel(suspend, log.steps[m.end], states, signaled)) {
      Explanation e = Rejected(trace, m.end, *std::move(r));
      e.observed = FormatObservation(trace.ops[m.end], log.steps[m.end]);
      return std::pair{Verdict::kFail, std::move(e)};
    }
  }
  return std::nullopt;
}

// One pass over the log. `qoi` orders completions per file and stream.
CheckResult Run(const Trace& trace, const ObservationLog& log,
                const CheckOptions& options, bool qoi) {
  CheckResult result;
  result.profile = options.profile;
  std::vector<World> worlds = {{InitialState(trace), {}}};

  auto stop = [&](Verdict v, Explanation e) {
    result.verdict = v;
    result.failure = std::move(e);
    return result;
  };

  const size_t n = std::min(trace.ops.size(), log.steps.size());
  // Notify records sorted by the op they arrived during (log order kept
  // among one op's), walked with a cursor: memory by records, not by ops.
  std::vector<const NotificationObservation*> notes;
  for (const NotificationObservation& note : log.notifications) notes.push_back(&note);
  std::stable_sort(notes.begin(), notes.end(),
                   [](const NotificationObservation* a,
                      const NotificationObservation* b) {
                     return a->after_op < b->after_op;
                   });
  size_t next_note = 0;
  const ThreadBatches batches = FindBatches(trace);
  for (size_t i = 0; i < n; ++i) {
    const StepObservation& obs = log.steps[i];
    const int op = static_cast<int>(i);
    if (obs.op_index != op) {
      Explanation e = At(trace, op);
      e.message = absl::StrCat("the log's record ", i, " is for op ", obs.op_index);
      return stop(Verdict::kUnresolved, std::move(e));
    }
    const ThreadBatch* batch =
        batches.batch_of[i] >= 0 ? &batches.batches[batches.batch_of[i]] : nullptr;
    if (batch != nullptr && batch->close != op) {
      // A `start` (its record says only that the thread took the op) or an
      // await before the batch's close: judged at the close.
      if (trace.ops[i].run == RunOn::kStart && obs.ret != 0) {
        Explanation e = At(trace, op);
        e.message = "the executor could not hand the op to its thread";
        return stop(Verdict::kUnresolved, std::move(e));
      }
      result.steps_checked = i + 1;
      continue;
    }
    if (batch == nullptr) {
      std::optional<std::pair<Verdict, Explanation>> failure =
          StepAll(trace, op, obs, worlds, options, qoi);
      if (failure) return stop(failure->first, std::move(failure->second));
    } else {
      std::optional<std::pair<Verdict, Explanation>> failure =
          CloseBatch(trace, log, *batch, worlds, options, qoi);
      if (failure) return stop(failure->first, std::move(failure->second));
    }
    result.peak_states = std::max(result.peak_states, worlds.size());
    result.steps_checked = i + 1;

    // Notifications that arrived during this op (AIO-SIG-04/13/14).
    // Inside a batch the notify records wait for its close.
    const int first = batch != nullptr ? batch->first : op;
    while (next_note < notes.size() && notes[next_note]->after_op < first) ++next_note;
    std::vector<const NotificationObservation*> during;  // this op's records
    for (; next_note < notes.size() && notes[next_note]->after_op <= op; ++next_note) {
      const NotificationObservation& note = *notes[next_note];
      if (note.after_op == op) during.push_back(&note);
      if (std::optional<Rejection> r = JudgeDeliveryThread(trace, note)) {
        return stop(Verdict::kFail, Rejected(trace, op, std::move(*r)));
      }
      if (!DecideWhereNeeded(worlds, StepContext{&trace, qoi}, options.max_states,
                             [&](const State& w) {
            return MustDecideForNotification(w, note);
          })) {
        Explanation e = At(trace, op);
        e.message = absl::StrCat("more than ", options.max_states,
                                 " model states while deciding which requests "
                                 "an aio_cancel or close cancelled");
        return stop(Verdict::kUnresolved, std::move(e));
      }
      std::vector<State> states;
      for (const World& w : worlds) states.push_back(w.state);
      NotificationOutcome nout = CheckNotification(
          trace, note, states, StepContext{&trace, qoi}, options.max_states);
      if (nout.failure) {
        Explanation e = At(trace, op);
        e.observed = nout.failure->observed;
        e.allowed = nout.failure->allowed;
        e.assertion_ids = nout.failure->assertion_ids;
        e.message = nout.failure->message;
        const Verdict v =
            e.assertion_ids.empty() ? Verdict::kUnresolved : Verdict::kFail;
        return stop(v, std::move(e));
      }
      WorldSet notified;
      for (auto& [from, st] : nout.worlds) {
        notified.Add(std::move(st), worlds[from].choices, {});
      }
      worlds = std::move(notified).Take();
    }
    if (std::optional<Rejection> r = JudgeRtOrder(trace, op, obs, during)) {
      return stop(Verdict::kFail, Rejected(trace, op, std::move(*r)));
    }
    if (const auto* wait = std::get_if<Wait>(&trace.ops[i].body);
        wait != nullptr && wait->notified) {
      std::optional<Explanation> failure =
          JudgeNotifiedWait(trace, op, *wait, obs, qoi, worlds);
      if (failure.has_value() && !failure->assertion_ids.empty()) {
        // A request of a thread that ended since (AIO-PROC-17); a signal
        // the submitting thread blocks though another would take it
        // (AIO-SIG-06).
        for (const std::string& id : ThreadIdsAt(trace, op)) {
          AddUnique(failure->assertion_ids, id);
        }
        for (const std::string& id : SignalIdsAt(trace, op)) {
          AddUnique(failure->assertion_ids, id);
        }
      }
      if (failure.has_value()) {
        const Verdict v =
            failure->assertion_ids.empty() ? Verdict::kUnresolved : Verdict::kFail;
        return stop(v, *std::move(failure));
      }
    }
  }

  // The choices every surviving world took: what the log demonstrates the
  // target chose (a choice only some worlds took is not shown by the log).
  if (!worlds.empty()) {
    result.choices = worlds.front().choices;
    for (const World& w : worlds) {
      std::vector<std::string> both;
      std::set_intersection(result.choices.begin(), result.choices.end(),
                            w.choices.begin(), w.choices.end(),
                            std::back_inserter(both));
      result.choices = std::move(both);
    }
  }

  if (log.end == RunEnd::kHung) {
    const int at = log.hung_at >= 0 ? log.hung_at : static_cast<int>(n);
    Explanation e = At(trace, at);
    e.message = absl::StrCat("the target hung in op ", at,
                             e.op_text.empty() ? "" : absl::StrCat(" (", e.op_text, ")"));
    // Inside a signal storm the likeliest cause is a handler's call into a
    // lock the interrupted call held: name it.
    bool storm_on = false;
    for (int i = 0; i < at && i < static_cast<int>(trace.ops.size()); ++i) {
      if (const auto* st = std::get_if<Storm>(&trace.ops[i].body)) {
        storm_on = st->on;
      }
    }
    if (storm_on) {
      absl::StrAppend(&e.message,
                      " with the signal storm on: hung in ",
                      at < static_cast<int>(trace.ops.size())
                          ? OpName(trace.ops[at].body)
                          : "the end of the run",
                      " while handlers called aio_error/aio_suspend/"
                      "aio_return (AIO-ASS-01)");
      e.assertion_ids = {"AIO-ASS-01"};
    }
    return stop(Verdict::kHang, std::move(e));
  }
  if (log.end == RunEnd::kCrashed) {
    Explanation e = At(trace, static_cast<int>(n));
    e.message = absl::StrCat("the target crashed",
                             log.crash_signal != 0
                                 ? absl::StrCat(" with ", SignalName(log.crash_signal))
                                 : "",
                             " after ", n, " of ", trace.ops.size(), " ops");
    return stop(Verdict::kCrash, std::move(e));
  }
  if (log.steps.size() != trace.ops.size()) {
    Explanation e = At(trace, static_cast<int>(n));
    e.message = absl::StrCat("the log has ", log.steps.size(),
                             " op records for a trace of ", trace.ops.size(),
                             " ops and says the run completed");
    return stop(Verdict::kUnresolved, std::move(e));
  }
  result.verdict = Verdict::kPass;
  return result;
}

}  // namespace

CheckResult CheckLog(const Trace& trace, const ObservationLog& log,
                     const CheckOptions& options) {
  const bool qoi = options.profile == Profile::kQoi;
  CheckResult result = Run(trace, log, options, qoi);
  if (qoi && result.verdict == Verdict::kFail) {
    // Did only the qoi completion order rule the log out? Then say so: the
    // same log with posix's any-order completions gets past this op.
    CheckResult relaxed = Run(trace, log, options, false);
    const bool relaxed_fails_here =
        relaxed.verdict == Verdict::kFail &&
        relaxed.failure->op_index <= result.failure->op_index;
    // A qoi rule of its own (progress, notification bounds) says so already.
    const bool own_qoi_rule = absl::StartsWith(result.failure->message, "qoi:");
    if (!relaxed_fails_here && !own_qoi_rule &&
        relaxed.verdict != Verdict::kUnresolved) {
      AddUnique(result.failure->assertion_ids, "AIO-GEN-05");
      result.failure->message =
          "qoi: requests on one file or stream complete in submission order "
          "(overlapping writes, O_APPEND and stream writes, reads after "
          "earlier overlapping writes); posix allows the order observed";
    }
  }
  return result;
}

std::string FormatResult(const CheckResult& result, const Trace& trace) {
  std::string out = absl::StrCat(VerdictName(result.verdict), " (profile ",
                                 ProfileName(result.profile), ")");
  if (result.failure) {
    const Explanation& e = *result.failure;
    if (e.op_index >= 0) {
      absl::StrAppend(&out, "\n  at op ", e.op_index);
      if (e.loc.line > 0) {
        absl::StrAppend(&out, " (", trace.source.empty() ? "trace" : trace.source,
                        ":", e.loc.line, ":", e.loc.col, ")");
      }
      if (!e.op_text.empty()) absl::StrAppend(&out, ": ", e.op_text);
    }
    if (!e.observed.empty()) absl::StrAppend(&out, "\n  observed: ", e.observed);
    if (!e.allowed.empty()) {
      absl::StrAppend(&out, "\n  allowed:  ", absl::StrJoin(e.allowed, " | "));
    }
    if (!e.assertion_ids.empty()) {
      absl::StrAppend(&out, "\n  assertions: ", absl::StrJoin(e.assertion_ids, ", "));
    }
    if (!e.message.empty()) absl::StrAppend(&out, "\n  ", e.message);
  }
  if (!result.choices.empty()) {
    absl::StrAppend(&out, "\n  implementation-defined choices:");
    for (const std::string& c : result.choices) absl::StrAppend(&out, "\n    ", c);
  }
  absl::StrAppend(&out, "\n");
  return out;
}

}  // namespace aiospec
