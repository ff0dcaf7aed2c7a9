// Threads (trace.h, ThreadOp; AIO-PROC-17, AIO-PROC-18, AIO-SUSP-17).
//
// An op run with `on T` is judged where it stands, like any op: the trace
// waits for it. Ops begun with `start T` run at once with each other: the
// parser lets nothing but `start`, `await` and `cancel` come until every
// one is awaited, so such a run of ops is a *batch*, closed by the await or
// cancel after which none is in flight. The checker judges a batch at its
// close, in every order of its awaited ops (each with its `await` record's
// observation; hidden completions between them as usual), since threads
// calling at once may take effect in any order (AIO-PROC-18). A cancelled
// op (an aio_suspend that pthread_cancel ended) has no effect to judge;
// its `cancel` record is judged by JudgeCancel (AIO-SUSP-17).
//
// Usage (checker):
//   const ThreadBatches b = FindBatches(trace);
//   if (b.batch_of[i] >= 0 && b.batches[b.batch_of[i]].close == i) ...
#ifndef AIOSPEC_MODEL_THREADS_H_
#define AIOSPEC_MODEL_THREADS_H_

#include <optional>
#include <string>
#include <vector>

#include "harness/observation/observation.h"
#include "harness/trace/trace.h"
#include "model/rules.h"
#include "model/state.h"

namespace aiospec {

struct ThreadBatch {
  struct Member {
    int start = 0;  // the `start T OP`
    int end = 0;    // its `await T` or `cancel T`
    bool cancelled = false;
  };
  int first = 0;  // the first `start`
  int close = 0;  // the last await or cancel
  std::vector<Member> members;
};

struct ThreadBatches {
  std::vector<ThreadBatch> batches;
  std::vector<int> batch_of;  // per op: its batch, or -1
};

ThreadBatches FindBatches(const Trace& trace);

// `thread T`, `exit T`: nothing happens to any request (AIO-PROC-17: a
// thread's end cancels none); ret=-1 (no thread) leaves nothing to judge.
// `await T`, `cancel T`: judged with their batch, so accepted here.
RuleOutcome ApplyThreadOp(const ThreadOp& op, const StepObservation& obs);

// The `cancel T` record of a started aio_suspend (timeout=none), over the
// worlds after its batch: ret=0 (pthread_cancel ended the thread in it) is
// what AIO-SUSP-17 asks for; errno=ETIMEDOUT (still blocked a second
// later) breaks it; errno=EALREADY (the call returned first) needs a
// listed request complete in some world, or a signal that may have
// interrupted it (`signaled`). nullopt: accepted.
std::optional<Rejection> JudgeCancel(const AioSuspend& suspend,
                                     const StepObservation& obs,
                                     const std::vector<const State*>& worlds,
                                     bool signaled);

// The IDs a FAIL at op `index` also cites: AIO-PROC-18 when the op ran on
// a thread, AIO-PROC-17 when it names an aiocb last submitted by a thread
// that has ended since.
std::vector<std::string> ThreadIdsAt(const Trace& trace, int index);

// `sigmask` changes no request: ret=0 is accepted, ret=-1 unresolved.
RuleOutcome ApplySigmask(const StepObservation& obs);

// The notification signals (bit N for SIGRTMIN+N) each thread blocks
// before op `index`: the trace's own thread starts with none, `thread T`
// copies its mask, `sigmask` blocks or unblocks. `alive` per trace thread.
struct SignalMasks {
  uint32_t main = 0;
  std::vector<uint32_t> thread;
  std::vector<bool> alive;
};
SignalMasks MasksBefore(const Trace& trace, int index);

// AIO-SIG-06: a signal notification runs its handler on a thread that does
// not block it (`thread=` of the record, judged before and after its op).
std::optional<Rejection> JudgeDeliveryThread(const Trace& trace,
                                             const NotificationObservation& n);

// AIO-SIG-15: at a `sigmask unblock` whose record lists several pending
// signals, the records of those signals delivered during it (in log
// order) come lowest-numbered first.
std::optional<Rejection> JudgeRtOrder(
    const Trace& trace, int index, const StepObservation& obs,
    const std::vector<const NotificationObservation*>& during);

// The IDs a `wait ... until=notified` that timed out also cites: AIO-SIG-06
// when a listed request's signal is blocked by the thread that submitted it
// while another live thread leaves it unblocked (the signal is the
// process's: it had a thread to go to).
std::vector<std::string> SignalIdsAt(const Trace& trace, int index);

}  // namespace aiospec

#endif  // AIOSPEC_MODEL_THREADS_H_
