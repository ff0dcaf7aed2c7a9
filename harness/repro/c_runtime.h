// The fixed C text of a reproducer: the helper functions the generated
// program calls, each emitted only when the trace needs it.
//
// The helpers re-implement, plainly and with libc only, what the agent
// (harness/agent/agent.c, notify.c, hold.c) does for each op, so the program
// observes what the agent observes: fill/drain/write never block (a private
// O_NONBLOCK open of a pipe, MSG_DONTWAIT on a socket), read buffers start
// as '?', `wait` polls aio_error with a bound, a storm is a SIGEV_THREAD_ID
// timer whose handler records what aio_error/aio_suspend/aio_return said,
// proc children report through pipes with async-signal-safe calls only
// (exec re-runs the program as a probe), and holds are a seccomp
// user-notification filter on descriptors 900..999. Observations are printed in the model's text
// format (model/rules.h FormatObservation: byte strings as EncodeBytes
// writes them, cut at 80 characters like the model's explanations).
//
// Usage (emitter):
//   std::string c;
//   for (CHelper h : {CHelper::kMakeBytes, CHelper::kFill}) c += CHelperText(h);
#ifndef AIOSPEC_HARNESS_REPRO_C_RUNTIME_H_
#define AIOSPEC_HARNESS_REPRO_C_RUNTIME_H_

#include <string_view>

namespace aiospec {

// In the order they are written into the program (a helper may call one
// listed before it).
enum class CHelper {
  kJudge,          // errno names, byte strings, observe(), the verdict
  kAiocbWatch,     // aiocb_snapshot/aiocb_changed: aio_error, aio_cancel
  kMakeBytes,      // a payload from run-length pieces
  kFiles,          // the work directory, make_file
  kReadback,       // read_file
  kNonBlocking,    // nb_open/nb_close: I/O that never blocks
  kNbWrite,        // nb_write (fill, write)
  kFill,           // fill
  kDrain,          // drain
  kWriteNow,       // write
  kWait,           // wait: poll aio_error with a bound
  kTimedSuspend,   // timed_suspend: notes an aio_suspend that timed out too soon
  kNotify,         // notification records: the signal handler, printing, judging
  kNotifyRequest,  // set_notify, the SIGEV_THREAD function, track
  kScribble,       // aio_return CB scribble
  kWaitNotified,   // wait until=notified
  kStorm,          // storm on/off: the timer, its handler, the storm judge
  kProc,           // proc: child reports, pipes, fork_child, reap
  kProcJoin,       // the child until proc join, proc_join
  kProcFork,       // proc fork
  kChildSubmit,    // child_submit: the request of proc exit/exec
  kProcExit,       // proc exit
  kExec,           // proc exec and its probe (main --exec-probe)
  kHold,           // open +hold, hold wait/release: the seccomp listener
  kWatchdog,       // main(): child process, progress pipe, hang/crash bound
};

std::string_view CHelperText(CHelper helper);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_REPRO_C_RUNTIME_H_
