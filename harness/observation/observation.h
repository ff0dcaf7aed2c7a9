// The observation log: what one target did when it ran one Trace.
//
// Executors (the agent, in or out of process) produce it; the model judges
// it. It is also a readable, editable text file, so a person can look at a
// run, and a test can feed the checker an edited log.
//
// Text format, version 1 (one record a line; `#` starts a comment):
//
//   aiospec-log 1
//   target glibc
//   0 file fd=-1                       # every op of the trace, in order
//   1 open ret=3
//   2 aio_read ret=0
//   3 aio_error ret=EINPROGRESS
//   4 write ret=5
//   5 wait ret=0
//   6 aio_return ret=5 data="hello"
//   notify after=6 kind=signal signo=SIGRTMIN+1 code=SI_ASYNCIO value=7 status=0
//   7 drain ret=65536 data="F"*65536
//   end completed                      # or: end crashed signal=SIGSEGV
//                                      #     end hung at=7
//
// Fields of an op record: `ret=` the call's return value, a number or a
// symbolic constant (EINPROGRESS for aio_error, AIO_CANCELED for aio_cancel);
// `errno=NAME` when the call failed; `data=` the bytes the op observed
// (aio_return of a read: the first `ret` bytes of the buffer; drain and
// readback: the bytes read); `fd=` is not used by the model. Symbolic names
// keep logs portable between architectures whose errno numbers differ; the
// parser maps them to this host's values.
//
// Byte strings use C escapes inside quotes, and `"x"*N` repeats a piece N
// times; pieces join with `+`: data="F"*65536+"hello".
//
// What each op records (errno= appears only when the call returned -1 and
// errno was set; the agent zeroes errno before each call):
//   file, pipe, socketpair   ret=0 (or -1 errno=); fd= the numbers, e.g. fd=3,4
//   open, dup, dup2          ret=the descriptor number, or -1 errno=
//   close                    ret=0 or -1 errno=
//   aio_read, aio_write,
//   aio_fsync, lio_listio    ret=0 or -1 errno=   (submission result)
//   aio_error                ret=0, ret=ENAME (the error status), or -1 errno=
//   aio_return               ret=N; data=buffer[0,N) for a read with N > 0
//   aio_suspend              ret=0 or -1 errno=EAGAIN|EINTR|...
//   aio_cancel               ret=AIO_CANCELED|AIO_NOTCANCELED|AIO_ALLDONE or -1
//   fill                     ret=bytes written until the pipe/socket was full
//   drain                    ret=bytes read; data=the bytes
//   write                    ret=bytes written, or -1 errno=EAGAIN (never blocks)
//   readback                 ret=file size; data=the whole file
//   wait                     ret=0 when every listed request left EINPROGRESS
//                            within the bound, else -1 errno=ETIMEDOUT
// Read buffers start filled with kUnwrittenByte, so bytes a read did not
// produce are visible.
//
// A storm record (`storm off`, see docs/TRACE_FORMAT.md) says what the
// storm's signal handlers saw, positionally over the storm's watched aiocbs:
//   12 storm ret=4180 seen=EINPROGRESS>0,EINPROGRESS suspend=0:12,EAGAIN:30,EINTR:0 returned=5,-
// ret= the handler invocations; seen= per aiocb the aio_error values in the
// order seen, consecutive repeats collapsed (`-` none seen; `>...` ends a
// list cut short); suspend= counts of aio_suspend(0) results by outcome (0,
// or the errno name of a -1; `other` for a return that is neither);
// returned= per aiocb the value of the handler's aio_return, `-` when it did
// not call it. seen= and suspend= are present iff the storm made those
// calls, returned= iff some handler called aio_return. `storm on` records
// ret=0, or -1 errno= when the timer could not be armed.
//
// A `proc join` record says what the forked child saw (AIO-PROC-14):
//   9 proc ret=0 filled=0 notified=0
// filled= how many watched read buffers changed in the child's copy after
// the fork; notified= the notifications the child received; after
// `proc fork cancel=D`, cancel= what the child's aio_cancel(D, NULL)
// returned (AIO_ALLDONE, ..., or the errno name of a -1). ret=-1
// (errno=ECHILD) and no fields when the child did not report. `proc fork`
// records ret=0 or -1 errno=; `proc exit` and `proc exec` the child's
// submission result. After `proc exec` the join speaks for the exec'd probe
// (AIO-PROC-13): filled= 1 when its pattern at the old buffer address
// changed, notified= the signals it received; ret=-1 errno=ENOEXEC when no
// probe could be exec'd, errno=EADDRINUSE when the new image held the old
// address.
//
// A `hold` record (docs/TRACE_FORMAT.md) lists the syscalls stopped on the
// descriptor (`hold wait`, ret= how many) or answered (`hold release`):
//   7 hold ret=2 calls=write@0:8,fsync
// A call is read@OFFSET:LEN, write@OFFSET:LEN (OFFSET `-` for the file
// position), fsync or fdatasync. calls= is absent when ret= is 0 or -1.
//
// An aio_error or aio_cancel record lists the public aiocb members the call
// changed (AIO-ERROR-10; AIO-CANCEL-07: a request it did not cancel), as
// the executor saw comparing them before and after the call; absent when
// none changed (aio_cancel with a null aiocb compares nothing):
//   4 aio_error ret=EINPROGRESS changed=aio_nbytes,aio_sigevent
//
// Threads (docs/TRACE_FORMAT.md, "Threads"): `on T OP` records OP's own
// record; `start T OP` records `start ret=0` and the `await T` after it
// OP's result, named `await` (its ret= symbolic as OP's would be); `thread`
// and `exit` record ret=0; `cancel` records ret=0 (the thread ended inside
// its aio_suspend), or -1 with errno=ETIMEDOUT (still in it) or EALREADY
// (the call returned first).
//
// An aio_suspend record that timed out (-1/EAGAIN) sooner than its timeout,
// measured by the executor on CLOCK_MONOTONIC around the call, says by how
// many nanoseconds (AIO-SUSP-06); absent when the wait was long enough:
//   5 aio_suspend early=1830211 ret=-1 errno=EAGAIN
//
// After `aio_return CB scribble` the executor overwrote the aiocb and its
// buffer with '~' bytes and, a millisecond later, counted those that had
// changed (AIO-GEN-21); absent when none had:
//   7 aio_return ret=4 data="abcd" touched=4
//
// A notify record says a notification arrived while op `after` ran (or
// before it, after the previous op): kind, signal number, si_code, si_value,
// `thread=` the thread whose handler ran (signals, in traces with threads
// or signal masks: a trace thread's name, main, or other), and `status=` the aio_error() value of the request with
// that value, read inside the handler (omitted when no single request has
// that value). Records are in the order the handlers ran.
//
// A `sigmask` record lists the signals it names that were pending just
// before it changed the mask: `6 sigmask ret=0 pending=SIGRTMIN+3,SIGRTMIN+5`.
#ifndef AIOSPEC_HARNESS_OBSERVATION_OBSERVATION_H_
#define AIOSPEC_HARNESS_OBSERVATION_OBSERVATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/trace/trace.h"

namespace aiospec {

inline constexpr char kUnwrittenByte = '?';

// What the handlers of one signal storm saw (the `storm off` record).
inline constexpr int kSeenTruncated = INT32_MIN;  // `>...`
struct StormObservation {
  bool has_seen = false;
  std::vector<std::vector<int>> seen;  // per watched aiocb
  bool has_suspend = false;
  std::vector<std::pair<int, uint64_t>> suspend;  // (0 | errno | -1, count)
  std::vector<std::optional<int64_t>> returned;   // empty: no returned=
  friend bool operator==(const StormObservation&,
                         const StormObservation&) = default;
};

// What a forked child saw (the `proc join` record).
struct ChildObservation {
  int64_t filled = 0;
  int64_t notified = 0;
  // `proc fork cancel=D`: the child's aio_cancel(D, NULL), an AIO_* result
  // or -1 with cancel_err.
  bool has_cancel = false;
  int64_t cancel_ret = 0;
  int cancel_err = 0;
  friend bool operator==(const ChildObservation&,
                         const ChildObservation&) = default;
};

// One syscall a `hold` op saw stopped or answered.
enum class HeldCallKind { kRead, kWrite, kFsync, kFdatasync };
struct HeldCall {
  HeldCallKind kind = HeldCallKind::kRead;
  int64_t offset = -1;  // -1: the file position (read, write)
  int64_t len = 0;      // read, write
  friend bool operator==(const HeldCall&, const HeldCall&) = default;
};

// The public members of an aiocb (<aio.h>), as `changed=` names them.
enum AiocbMember : uint32_t {
  kAiocbFildes = 1u << 0,
  kAiocbOffset = 1u << 1,
  kAiocbBuf = 1u << 2,
  kAiocbNbytes = 1u << 3,
  kAiocbReqprio = 1u << 4,
  kAiocbSigevent = 1u << 5,
  kAiocbLioOpcode = 1u << 6,
};

// "aio_nbytes,aio_sigevent": the members of a mask, in <aio.h> order.
std::string AiocbMembersText(uint32_t members);

// What one op returned. Numbers are in this host's terms.
struct StepObservation {
  int op_index = 0;
  int64_t ret = 0;
  int err = 0;  // errno when the call reported failure, else 0
  std::optional<std::string> data;
  std::optional<StormObservation> storm;  // `storm off` only
  std::optional<ChildObservation> child;  // `proc join` only
  std::vector<HeldCall> calls;            // `hold` only
  uint32_t aiocb_changed = 0;  // AiocbMember bits; aio_error, aio_cancel
  std::vector<int> pending;    // sigmask: its signals pending before it
  // aio_suspend that timed out: how many ns before its relative timeout had
  // elapsed on CLOCK_MONOTONIC it returned (`early=`); 0 when it did not.
  int64_t suspend_early_ns = 0;
  // `aio_return CB scribble`: the bytes of the aiocb and its buffer that no
  // longer held the scribble a moment later (`touched=`); 0 when none.
  int64_t scribble_touched = 0;
  friend bool operator==(const StepObservation&,
                         const StepObservation&) = default;
};

struct NotificationObservation {
  int after_op = 0;  // arrived no later than the end of this op
  NotifyKind kind = NotifyKind::kSignal;
  int signo = 0;
  int code = 0;  // si_code; 0 for thread notifications
  int32_t value = 0;
  std::optional<int> status_in_handler;  // aio_error() seen in the handler
  // kSignal: the thread the handler ran on, by the trace's name, `main`
  // (the trace's own) or `other` (one the C library made); empty: not said.
  std::string thread;
  friend bool operator==(const NotificationObservation&,
                         const NotificationObservation&) = default;
};

// How the run ended. Anything but kCompleted means the log is a prefix.
enum class RunEnd { kCompleted, kCrashed, kHung };

struct ObservationLog {
  std::string target;
  std::vector<StepObservation> steps;  // steps[i].op_index == i
  std::vector<NotificationObservation> notifications;
  RunEnd end = RunEnd::kCompleted;
  int crash_signal = 0;  // kCrashed: the signal that killed the agent
  int hung_at = -1;      // kHung: the op the watchdog found it in, if known
  friend bool operator==(const ObservationLog&,
                         const ObservationLog&) = default;
};

// The `cancel=` value of a `proc join` record: "AIO_ALLDONE", ..., or the
// errno name of a -1.
std::string ChildCancelText(const ChildObservation& child);

// A `proc join` record's child fields as the log writes them:
// "filled=0 notified=0" and, with `cancel=`, " cancel=AIO_ALLDONE".
std::string ChildFieldsText(const ChildObservation& child);

// Parses the text format; errors are "file:line:col: message".
absl::StatusOr<ObservationLog> ParseLog(std::string_view text,
                                        std::string_view source_name);

// Prints the text format. `trace` supplies op names; ParseLog(PrintLog(l)) == l.
std::string PrintLog(const ObservationLog& log, const Trace& trace);

// Symbolic names <-> this host's numbers, shared with the report.
std::string ErrnoName(int err);           // "EINPROGRESS", or "E#123"
std::optional<int> ErrnoFromName(std::string_view name);
std::string SignalName(int signo);        // "SIGSEGV", "SIGRTMIN+1"
std::optional<int> SignalFromName(std::string_view name);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_OBSERVATION_OBSERVATION_H_
