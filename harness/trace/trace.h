// The trace: one test scenario for POSIX AIO, as data.
//
// A Trace is what the text format in docs/TRACE_FORMAT.md parses into, what
// every target executes, and what the model replays. Handles (files,
// descriptors, aiocbs) are named in the text and resolved to dense indices
// here, so executors and the model index plain vectors.
//
// Usage:
//
//   absl::StatusOr<Trace> trace = ParseTrace(text, "read.trace");
//   if (!trace.ok()) {  // "read.trace:3:14: unknown descriptor 'fd9'"
//     std::cerr << trace.status().message() << "\n";
//   }
//   for (const Op& op : trace->ops) { ... std::visit(..., op.body) ... }
//   std::string canonical = PrintTrace(*trace);  // parses back to *trace
//
// Invariants kept by the parser (executors and the model rely on them):
//  - every handle index is < the size of its name table, or kNullHandle where
//    the grammar allows `null`, or kBadFd for a descriptor argument `badfd`;
//  - a descriptor handle is only used while the trace has it open, and is
//    only opened (open, pipe, socketpair, dup) while closed;
//  - a file handle is declared once, before use.
#ifndef AIOSPEC_HARNESS_TRACE_TRACE_H_
#define AIOSPEC_HARNESS_TRACE_TRACE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace aiospec {

// The newest version this code reads and writes; a trace says which one
// it is written in (`aiospec-trace N`), and version 1 traces stay version 1.
inline constexpr int kTraceVersion = 2;
// The oldest version the parser reads.
inline constexpr int kMinTraceVersion = 1;
// The first version with threads (`thread`, `on`, `start`, `await`,
// `cancel`, `exit`).
inline constexpr int kThreadsVersion = 2;
// The first version with `aio_return CB scribble`.
inline constexpr int kScribbleVersion = 2;

// Position of an op in its source text, 1-based. {0,0} for generated ops.
struct SourceLoc {
  int line = 0;
  int col = 0;
  friend bool operator==(const SourceLoc&, const SourceLoc&) = default;
};

using FileId = int;  // index into Trace::file_names
using FdId = int;    // index into Trace::fd_names
using CbId = int;    // index into Trace::cb_names
using ThreadId = int;  // index into Trace::thread_names

inline constexpr int kNullHandle = -1;  // `null` in a list or aio_cancel
inline constexpr FdId kBadFd = -2;      // `badfd`: a number that is never open

// How a request reports completion (aio_sigevent).
enum class NotifyKind { kNone, kSignal, kThread };
// The real-time signals a trace may name, as N of SIGRTMIN+N: the
// notification signal (1, the default), and 3 to 8 (`signal(V,SIGRTMIN+N)`,
// version 2). 2 is the storm's (Storm).
inline constexpr int kDefaultRtSignal = 1;
inline constexpr int kMinRtSignal = 3;
inline constexpr int kMaxRtSignal = 8;
struct Notify {
  NotifyKind kind = NotifyKind::kNone;
  int32_t value = 0;  // sigev_value.sival_int
  int rt = kDefaultRtSignal;  // kSignal: sigev_signo is SIGRTMIN+rt
  friend bool operator==(const Notify&, const Notify&) = default;
};

// open(2) flags, as a small portable set (the agent maps them to its libc).
enum OpenFlag : uint32_t {
  kAccessRead = 1u << 0,
  kAccessWrite = 1u << 1,
  kFlagAppend = 1u << 2,
  kFlagSync = 1u << 3,
  kFlagDsync = 1u << 4,
  // Not an open(2) flag: the executor holds this descriptor's syscalls
  // (see Hold).
  kFlagHold = 1u << 5,
};

// A relative timeout; `infinite` is `timeout=none` (a NULL timespec).
struct Timeout {
  bool infinite = false;
  int64_t nanos = 0;
  friend bool operator==(const Timeout&, const Timeout&) = default;
};

// --- Declarations and descriptor operations -------------------------------

struct DeclareFile {  // file NAME [content="..."]
  FileId file;
  std::string content;
  friend bool operator==(const DeclareFile&, const DeclareFile&) = default;
};
struct DeclarePipe {  // pipe READ_FD WRITE_FD
  FdId read_end;
  FdId write_end;
  friend bool operator==(const DeclarePipe&, const DeclarePipe&) = default;
};
struct DeclareSocketpair {  // socketpair FD FD
  FdId a;
  FdId b;
  friend bool operator==(const DeclareSocketpair&,
                         const DeclareSocketpair&) = default;
};
struct Open {  // open FD FILE flags=rdwr+append
  FdId fd;
  FileId file;
  uint32_t flags;  // OpenFlag bits
  friend bool operator==(const Open&, const Open&) = default;
};
struct Close {  // close FD
  FdId fd;
  friend bool operator==(const Close&, const Close&) = default;
};
struct Dup {  // dup NEW_FD OLD_FD
  FdId new_fd;
  FdId old_fd;
  friend bool operator==(const Dup&, const Dup&) = default;
};
struct Dup2 {  // dup2 OLD_FD TARGET_FD  (TARGET_FD may be open: it is closed)
  FdId old_fd;
  FdId target;
  friend bool operator==(const Dup2&, const Dup2&) = default;
};

// --- AIO calls --------------------------------------------------------------

// The aiocb fields of a read or write request.
struct IoRequest {
  // Initialized so that unused requests (a `null` lio element, a `nop`
  // without fd=) compare equal; the parser always sets cb.
  CbId cb = kNullHandle;
  FdId fd = kNullHandle;  // kNullHandle only for `nop` without fd=
  int64_t offset = 0;
  int64_t nbytes = 0;
  int32_t reqprio = 0;
  Notify notify;
  // Bytes a write sends; absent means the self-identifying default payload
  // (see WritePayload in payload.h). Always absent for reads.
  std::optional<std::string> data;
  friend bool operator==(const IoRequest&, const IoRequest&) = default;
};

enum class LioOpcode { kRead, kWrite, kNop };

// `lio_opcode=` of aio_read, aio_write and aio_fsync: a value for
// aio_lio_opcode, which only lio_listio reads (AIO-GEN-19, AIO-READ-08,
// AIO-WRITE-09, AIO-FSYNC-09), so the call must behave as without it. A
// name is the C library's LIO_* constant; a number is stored as given.
// Absent, the executor sets the opcode that matches the call (LIO_READ,
// LIO_WRITE; 0 for aio_fsync).
struct LioOpcodeValue {
  bool named = true;
  LioOpcode name = LioOpcode::kNop;  // named
  int32_t number = 0;                // !named
  friend bool operator==(const LioOpcodeValue&,
                         const LioOpcodeValue&) = default;
};

struct AioRead {  // aio_read CB fd=FD offset=N nbytes=N [reqprio=N] [notify=..]
  IoRequest req;
  std::optional<LioOpcodeValue> lio_opcode;  // [lio_opcode=LIO_WRITE|N]
  friend bool operator==(const AioRead&, const AioRead&) = default;
};
struct AioWrite {  // aio_write CB fd=FD offset=N nbytes=N [data=".."] ...
  IoRequest req;
  std::optional<LioOpcodeValue> lio_opcode;
  friend bool operator==(const AioWrite&, const AioWrite&) = default;
};

enum class FsyncOp { kSync, kDsync, kInvalid };  // O_SYNC, O_DSYNC, neither
struct AioFsync {  // aio_fsync CB fd=FD op=sync|dsync|invalid [notify=..]
  CbId cb;
  FdId fd;
  FsyncOp op = FsyncOp::kSync;
  Notify notify;
  std::optional<LioOpcodeValue> lio_opcode;  // [lio_opcode=..]: ignored
  friend bool operator==(const AioFsync&, const AioFsync&) = default;
};
struct AioError {  // aio_error CB
  CbId cb;
  friend bool operator==(const AioError&, const AioError&) = default;
};
struct AioReturn {  // aio_return CB [scribble]
  CbId cb;
  // scribble: then overwrite the whole aiocb and its buffer, which are the
  // application's again (AIO-GEN-21), and see whether anything touches them.
  bool scribble = false;
  friend bool operator==(const AioReturn&, const AioReturn&) = default;
};
struct AioSuspend {  // aio_suspend CB|null ... [timeout=DUR|none]
  std::vector<CbId> list;  // kNullHandle for a NULL entry
  Timeout timeout{true, 0};  // default: none (wait without a bound)
  friend bool operator==(const AioSuspend&, const AioSuspend&) = default;
};
struct AioCancel {  // aio_cancel FD CB|null
  FdId fd;
  CbId cb = kNullHandle;
  friend bool operator==(const AioCancel&, const AioCancel&) = default;
};

struct LioElement {  // one entry of the list: `null`, or `read|write|nop CB fields`
  bool is_null = false;
  LioOpcode opcode = LioOpcode::kNop;
  IoRequest req;  // unused when is_null
  friend bool operator==(const LioElement&, const LioElement&) = default;
};
struct LioListio {  // lio_listio wait|nowait [ELEM; ELEM; ...] [notify=..]
  bool wait = true;
  std::vector<LioElement> list;
  Notify notify;  // the list notification (`sig`); ignored for wait
  friend bool operator==(const LioListio&, const LioListio&) = default;
};

// --- Holding and releasing requests, observing effects ---------------------

struct Fill {  // fill FD: write kFillByte until the pipe or socket is full
  FdId fd;
  friend bool operator==(const Fill&, const Fill&) = default;
};
struct Drain {  // drain FD [max=N]: read what is available without blocking
  FdId fd;
  int64_t max = -1;  // -1: everything available
  friend bool operator==(const Drain&, const Drain&) = default;
};
struct Write {  // write FD data="..": one write(2) that must not block
  FdId fd;
  std::string data;
  friend bool operator==(const Write&, const Write&) = default;
};
struct Readback {  // readback FILE: the file's whole content, read by path
  FileId file;
  friend bool operator==(const Readback&, const Readback&) = default;
};
// `wait` without timeout= gives up after this long.
inline constexpr int64_t kDefaultWaitTimeoutNanos = 5'000'000'000;

struct Wait {  // wait CB... [until=notified] [timeout=DUR]
  std::vector<CbId> cbs;
  Timeout timeout{false, kDefaultWaitTimeoutNanos};
  // until=notified: also until each listed submission that notifies
  // (SIGEV_SIGNAL, SIGEV_THREAD) has had its notification (AIO-SIG-14).
  bool notified = false;
  friend bool operator==(const Wait&, const Wait&) = default;
};

inline constexpr char kFillByte = 'F';

// --- Signal storms (async-signal safety, AIO-ASS-01) -------------------------

// What the storm's signal handler calls on the watched aiocbs.
enum StormCall : uint32_t {
  kStormError = 1u << 0,    // aio_error on each watched aiocb
  kStormSuspend = 1u << 1,  // aio_suspend(watched, zero timeout)
};

// `storm on CB... rate=HZ [calls=error+suspend] [returns=CB+CB]` starts a
// timer signal that interrupts the main thread HZ times a second while the
// next ops run; its handler calls `calls` on the watched aiocbs and
// aio_return, once, on each `returns` aiocb it has seen complete.
// `storm off` stops it; its log record says what the handlers saw.
// The parser keeps: storms do not nest and are off at the end; a watched
// aiocb is not resubmitted while the storm is on; the main thread does not
// name a `returns` aiocb while the storm is on (the handler may consume it).
// `close=D` (on only): the handler's first run closes D through the
// library's close, and `storm on` returns once it has (the parser marks D
// closed), so a close from a signal handler has a place in the trace.
inline constexpr int32_t kMaxStormRateHz = 100000;
struct Storm {
  bool on = false;
  int32_t rate_hz = 0;  // on only
  uint32_t calls = 0;   // StormCall bits; on only
  FdId close_fd = kNullHandle;  // on only: closed by the handler, or none
  // For `storm off` the parser copies these from its `storm on` (the
  // printer does not print them), so the off op says what its record lists.
  std::vector<CbId> cbs;
  std::vector<CbId> returns;  // a subset of cbs
  friend bool operator==(const Storm&, const Storm&) = default;
};

// --- Process events with requests in flight (AIO-PROC-07..16) ---------------

// `proc fork [watch=CB+CB]` forks a child. The child closes its copies of
// the trace's open descriptors (AIO-PROC-16: that must not cancel the
// parent's requests), then waits, touching no aiocb (AIO-PROC-15).
// `proc join` lets it finish: it reports how many of the watched read
// buffers its own copy saw change since the fork, and how many notifications
// it received (AIO-PROC-14: both 0), then exits and is reaped.
// `proc exit read|write CB fd=FD offset=N nbytes=N [data=..] [notify=..]`
// forks a child that submits that one request on an inherited descriptor
// and calls _exit; its record is the child's submission result (AIO-PROC-07,
// -08, -09). The parent then observes the request's effect through the
// descriptor (drain, readback).
// `proc exec read|write CB ...` (same fields) forks a child that submits the
// request and execs a probe (the executor itself) which fills the old
// buffer's address range with a pattern and counts notification signals;
// the record is the child's submission result (AIO-PROC-10, -11, -12). Its
// `proc join` reports whether the pattern changed and how many signals the
// probe received (AIO-PROC-13: both 0).
// The parser keeps: at most one forked or exec'd child at a time, joined
// before the end; a `proc exit`/`proc exec` aiocb is the child's and is
// named by no other op.
enum class ProcKind { kFork, kJoin, kExit, kExec };
struct Proc {
  ProcKind kind = ProcKind::kFork;
  std::vector<CbId> watch;  // fork: aiocbs of reads in flight
  // fork: the child calls aio_cancel(cancel_fd, NULL) first (qoi: it has
  // no requests, AIO-PROC-14); kNullHandle: it does not. join: the same, copied
  // by the parser (not printed).
  FdId cancel_fd = kNullHandle;
  bool write = false;       // exit, exec: the child's request is an aio_write
  IoRequest req;            // exit, exec: the child's request
  // join: the child is a `proc exec` probe (set by the parser, not printed).
  bool of_exec = false;
  friend bool operator==(const Proc&, const Proc&) = default;
};

// --- Holding regular-file requests in their syscall (seccomp) ---------------

// A descriptor opened with `flags=...+hold` has the read, write and sync
// syscalls made on it stopped by the executor (a seccomp user-notification
// filter) until the trace releases them, so a request on a regular file can
// be kept in progress, or made to fail with an injected errno.
// `hold wait D [count=N] [timeout=DUR]` waits until N syscalls on D are
// stopped (or the timeout passes); its record lists every stopped one.
// `hold release D [errno=EIO|ENOSPC] [all]` lets the oldest stopped syscall
// on D run (or all of them), or fails it with the injected errno; its record
// lists the released ones.
// The parser keeps: D is open and was opened with the hold flag.
enum class HoldKind { kWait, kRelease };
enum class HoldError { kNone, kEio, kEnospc };  // what a release injects
inline constexpr int64_t kDefaultHoldTimeoutNanos = 1'000'000'000;
inline constexpr int32_t kMaxHoldCount = 64;
struct Hold {
  HoldKind kind = HoldKind::kWait;
  FdId fd = kNullHandle;
  int32_t count = 1;                                   // wait: 1..kMaxHoldCount
  Timeout timeout{false, kDefaultHoldTimeoutNanos};   // wait
  HoldError error = HoldError::kNone;                  // release
  bool all = false;                                    // release
  friend bool operator==(const Hold&, const Hold&) = default;
};

// --- Threads (AIO-PROC-17, AIO-PROC-18, AIO-SUSP-17) -------------------------

// The trace's own thread, which runs every op without `on`/`start`.
inline constexpr ThreadId kMainThread = -1;
inline constexpr int kMaxThreads = 16;

// `thread T` creates thread T (it waits for work); `await T` waits for the
// op `start T` gave it and records that op's result; `cancel T` calls
// pthread_cancel on T while its started aio_suspend blocks and joins it;
// `exit T` makes T return and joins it. After `cancel T` or `exit T` the
// name may be declared again.
// The parser keeps: T is declared (and not ended) before use; a thread runs
// one op at a time; while any thread has a started op, only `start`,
// `await` and `cancel` come, and the trace does not end; an aiocb that a
// started op submits or returns is named by no other op in flight; `cancel`
// is only for a started `aio_suspend ... timeout=none`.
enum class ThreadKind { kCreate, kAwait, kCancel, kExit };
struct ThreadOp {
  ThreadKind kind = ThreadKind::kCreate;
  ThreadId thread = 0;
  // await, cancel: the index of the op `start` gave the thread (set by the
  // parser, not printed).
  int started = -1;
  friend bool operator==(const ThreadOp&, const ThreadOp&) = default;
};

// `sigmask block|unblock SIGRTMIN+N,...` (version 2; `on T sigmask ...`
// on thread T): pthread_sigmask of the thread that runs it, for the
// notification signals (AIO-SIG-06, AIO-SIG-15). Its record lists the
// named signals pending just before the change. A thread starts with the
// mask the trace's own thread had when `thread T` created it.
struct Sigmask {
  bool block = true;
  std::vector<int> rts;  // N of SIGRTMIN+N, each 1 or 3..8, no repeats
  friend bool operator==(const Sigmask&, const Sigmask&) = default;
};

using OpBody =
    std::variant<DeclareFile, DeclarePipe, DeclareSocketpair, Open, Close, Dup,
                 Dup2, AioRead, AioWrite, AioFsync, AioError, AioReturn,
                 AioSuspend, AioCancel, LioListio, Fill, Drain, Write, Readback,
                 Wait, Storm, Proc, Hold, ThreadOp, Sigmask>;

// How an op runs: on the trace's own thread; `on T OP`, on thread T while
// the trace waits; `start T OP`, begun on T, its result recorded by the
// `await T` that follows. Only the AIO calls (aio_read ... lio_listio) run
// on a thread.
enum class RunOn { kMain, kOn, kStart };

struct Op {
  OpBody body;
  SourceLoc loc;  // not part of equality: printing renumbers lines
  RunOn run = RunOn::kMain;
  ThreadId thread = kMainThread;  // kOn, kStart: the thread
  friend bool operator==(const Op& a, const Op& b) {
    return a.body == b.body && a.run == b.run && a.thread == b.thread;
  }
};

struct Trace {
  int version = kMinTraceVersion;  // the header's; threads need 2
  std::string source;                     // file name, for messages
  std::vector<std::string> covers;        // `covers AIO-READ-07 ...`
  std::string about;                      // `about "..."`: what it shows
  std::vector<std::string> file_names;    // FileId -> name
  std::vector<std::string> fd_names;      // FdId -> name
  std::vector<std::string> cb_names;      // CbId -> name
  std::vector<std::string> thread_names;  // ThreadId -> name
  std::vector<Op> ops;
  friend bool operator==(const Trace& a, const Trace& b) {
    return a.version == b.version && a.covers == b.covers &&
           a.about == b.about && a.file_names == b.file_names &&
           a.fd_names == b.fd_names && a.cb_names == b.cb_names &&
           a.thread_names == b.thread_names && a.ops == b.ops;
  }
};

// The op's keyword in the text format ("aio_read", "fill", ...).
const char* OpName(const OpBody& body);

// The name of the op's log record: OpName, or "start" for a started op
// (its result is the `await` record's).
const char* RecordName(const Op& op);

// Whether `on`/`start` may run the body on a thread: the AIO calls, and
// (`on` only) sigmask.
bool RunsOnThreads(const OpBody& body);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_TRACE_TRACE_H_
