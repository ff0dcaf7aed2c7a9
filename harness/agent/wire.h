/* The wire format: how the host hands a trace to the agent.
 *
 * It is the trace with every name resolved to an index and every byte
 * payload spelled out, so the C agent parses it with strtoll and a hex
 * decoder and nothing else. It is text, one record a line, tokens separated
 * by single spaces:
 *
 *   aiospec-wire 1 FILES FDS CBS OPS     header: version and table sizes
 *   OPCODE ARG ARG ...                   one line per op, in trace order
 *   end                                  end of the trace
 *
 * Every ARG is a decimal integer (possibly negative) except the ones marked
 * HEX below: bytes in lowercase hex, two digits a byte, or `-` for none.
 * Handles are indices into the trace's tables: FILE < FILES, FD < FDS,
 * CB < CBS. An FD argument may also be AIOSPEC_WIRE_BADFD (`badfd`, the
 * agent passes -1 to the C library); a CB argument of aio_cancel, or an
 * aio_suspend list entry, may be AIOSPEC_WIRE_NULL.
 *
 * A request (REQ, used by aio_read, aio_write and each lio_listio element)
 * is the seven integers and one HEX
 *   CB FD OFFSET NBYTES REQPRIO NOTIFY_KIND NOTIFY_VALUE DATA
 * where NOTIFY_KIND is an enum aiospec_wire_notify, plus (SIGNAL only) N << 4
 * for a signal SIGRTMIN+N other than SIGRTMIN+1 (N 3..AIOSPEC_WIRE_NOTIFY_RT_MAX;
 * 0 or 1: SIGRTMIN+1), and DATA is the bytes a
 * write sends (exactly min(NBYTES, 16 MiB) of them; `-` for reads).
 * A TIMEOUT is the two integers INFINITE NANOS: `1 0` for none (a NULL
 * timespec), else `0 N` with N in nanoseconds, negative ones included (they
 * test EINVAL).
 *
 *   1  file        FILE CONTENT(HEX)
 *   2  pipe        READ_FD WRITE_FD
 *   3  socketpair  FD FD
 *   4  open        FD FILE FLAGS            FLAGS: OpenFlag bits of trace.h
 *   5  close       FD
 *   6  dup         NEW_FD OLD_FD
 *   7  dup2        OLD_FD TARGET_FD
 *   8  aio_read    REQ [LIO_OPCODE]
 *   9  aio_write   REQ [LIO_OPCODE]
 *   10 aio_fsync   CB FD FSYNC_OP NOTIFY_KIND NOTIFY_VALUE [LIO_OPCODE]
 *                  LIO_OPCODE (`lio_opcode=`, absent without it): the two
 *                  integers NAME VALUE, NAME an aiospec_wire_lio_op READ,
 *                  WRITE or NOP (the libc's LIO_* constant; VALUE 0), or
 *                  AIOSPEC_WIRE_LIO_NUMBER with VALUE (int32) stored as
 *                  given in aio_lio_opcode.
 *   11 aio_error   CB
 *   12 aio_return  CB SCRIBBLE                (SCRIBBLE 1: then overwrite
 *                  the aiocb and its buffer and report what touched them)
 *   13 aio_suspend TIMEOUT COUNT CB...
 *   14 aio_cancel  FD CB
 *   15 lio_listio  WAIT(0|1) NOTIFY_KIND NOTIFY_VALUE COUNT (LIO_OP REQ)...
 *   16 fill        FD
 *   17 drain       FD MAX                   MAX -1: all that is available
 *   18 write       FD DATA(HEX)
 *   19 readback    FILE
 *   20 wait        TIMEOUT COUNT CB...      (TIMEOUT is two integers; its
 *                  first also has bit 1 set for `until=notified`)
 *   21 storm       ON RATE CALLS COUNT CB... RCOUNT CB... CLOSE_FD
 *                  ON 1/0; RATE in Hz; CALLS: AIOSPEC_WIRE_STORM_* bits;
 *                  the watched aiocbs, then the ones the handler returns
 *                  (a subset); CLOSE_FD: the descriptor the handler closes
 *                  (`close=`), or AIOSPEC_WIRE_NULL. `storm off` is
 *                  `21 0 0 0 0 0 -1`.
 *   22 proc        KIND COUNT CB... [CANCEL_FD | WRITE REQ]
 *                  KIND: AIOSPEC_WIRE_PROC_*; the watched aiocbs (fork
 *                  only, else COUNT 0); fork adds the FD its child
 *                  cancels (`cancel=`, AIOSPEC_WIRE_NULL: none); exit and
 *                  exec add WRITE (1 aio_write, 0 aio_read) and the
 *                  child's request.
 *   23 hold        RELEASE FD COUNT NANOS ERR ALL
 *                  RELEASE 0: `hold wait` (COUNT 1..64, a timeout of NANOS
 *                  >= 0); 1: `hold release` (ERR: AIOSPEC_WIRE_HOLD_*, ALL
 *                  1/0). The fields the kind does not use are as the
 *                  Trace has them.
 *   24 thread      KIND T [NAME(HEX)]
 *                  KIND: AIOSPEC_WIRE_THREAD_* (`thread T`, `await T`,
 *                  `cancel T`, `exit T`); T < AIOSPEC_WIRE_MAX_THREADS;
 *                  CREATE adds the thread's name (notify records name it).
 *   25 on          RUN T OP...
 *                  A prefix: the rest of the line is an AIO call (ops 8 to
 *                  15) that thread T runs. RUN: AIOSPEC_WIRE_RUN_ON (`on T`,
 *                  the agent waits for it) or AIOSPEC_WIRE_RUN_START
 *                  (`start T`, its result comes with `await T`); RUN_ON
 *                  also takes a sigmask (26).
 *   26 sigmask     BLOCK COUNT N...
 *                  pthread_sigmask(SIG_BLOCK if BLOCK else SIG_UNBLOCK) of
 *                  the signals SIGRTMIN+N, on the thread that runs it.
 *
 * Example (file f="hello world"; open fd rdonly; read 5 bytes at 6):
 *
 *   aiospec-wire 1 1 1 1 4
 *   1 0 68656c6c6f20776f726c64
 *   4 0 0 1
 *   8 0 0 6 5 0 0 0 -
 *   12 0
 *   end
 *
 * The numbers here are shared by the C agent and the C++ encoder
 * (wire_encode.cc); both include this header.
 */
#ifndef AIOSPEC_HARNESS_AGENT_WIRE_H_
#define AIOSPEC_HARNESS_AGENT_WIRE_H_

#define AIOSPEC_WIRE_MAGIC "aiospec-wire"
#define AIOSPEC_WIRE_VERSION 1

/* Handle values with a meaning of their own (equal to trace.h's). */
#define AIOSPEC_WIRE_NULL (-1)  /* kNullHandle */
#define AIOSPEC_WIRE_BADFD (-2) /* kBadFd */

/* Largest byte payload a write carries (payload.h's kMaxPayloadBytes). */
#define AIOSPEC_WIRE_MAX_PAYLOAD (16 << 20)

enum aiospec_wire_op {
  AIOSPEC_WIRE_FILE = 1,
  AIOSPEC_WIRE_PIPE = 2,
  AIOSPEC_WIRE_SOCKETPAIR = 3,
  AIOSPEC_WIRE_OPEN = 4,
  AIOSPEC_WIRE_CLOSE = 5,
  AIOSPEC_WIRE_DUP = 6,
  AIOSPEC_WIRE_DUP2 = 7,
  AIOSPEC_WIRE_AIO_READ = 8,
  AIOSPEC_WIRE_AIO_WRITE = 9,
  AIOSPEC_WIRE_AIO_FSYNC = 10,
  AIOSPEC_WIRE_AIO_ERROR = 11,
  AIOSPEC_WIRE_AIO_RETURN = 12,
  AIOSPEC_WIRE_AIO_SUSPEND = 13,
  AIOSPEC_WIRE_AIO_CANCEL = 14,
  AIOSPEC_WIRE_LIO_LISTIO = 15,
  AIOSPEC_WIRE_FILL = 16,
  AIOSPEC_WIRE_DRAIN = 17,
  AIOSPEC_WIRE_WRITE = 18,
  AIOSPEC_WIRE_READBACK = 19,
  AIOSPEC_WIRE_WAIT = 20,
  AIOSPEC_WIRE_STORM = 21,
  AIOSPEC_WIRE_PROC = 22,
  AIOSPEC_WIRE_HOLD = 23,
  AIOSPEC_WIRE_THREAD = 24,
  AIOSPEC_WIRE_ON = 25,
  AIOSPEC_WIRE_SIGMASK = 26,
  AIOSPEC_WIRE_OP_LIMIT /* one past the last opcode */
};

/* NOTIFY_KIND: how a request or list reports completion. */
enum aiospec_wire_notify {
  AIOSPEC_WIRE_NOTIFY_NONE = 0,   /* SIGEV_NONE */
  AIOSPEC_WIRE_NOTIFY_SIGNAL = 1, /* SIGEV_SIGNAL, SIGRTMIN+N, sival_int */
  AIOSPEC_WIRE_NOTIFY_THREAD = 2  /* SIGEV_THREAD, attributes NULL */
};
#define AIOSPEC_WIRE_NOTIFY_RT_MAX 8 /* kMaxRtSignal */

/* FSYNC_OP of aio_fsync. */
enum aiospec_wire_fsync {
  AIOSPEC_WIRE_FSYNC_SYNC = 0,   /* O_SYNC */
  AIOSPEC_WIRE_FSYNC_DSYNC = 1,  /* O_DSYNC */
  AIOSPEC_WIRE_FSYNC_INVALID = 2 /* 0: neither */
};

/* LIO_OP of a lio_listio element. */
enum aiospec_wire_lio_op {
  AIOSPEC_WIRE_LIO_READ = 0,
  AIOSPEC_WIRE_LIO_WRITE = 1,
  AIOSPEC_WIRE_LIO_NOP = 2,
  AIOSPEC_WIRE_LIO_NULL = 3, /* a NULL list entry; its REQ is all zeros, `-` */
  AIOSPEC_WIRE_LIO_NUMBER = 4 /* LIO_OPCODE only: VALUE as given */
};

/* CALLS of storm (StormCall of trace.h). */
#define AIOSPEC_WIRE_STORM_ERROR (1u << 0)
#define AIOSPEC_WIRE_STORM_SUSPEND (1u << 1)
#define AIOSPEC_WIRE_STORM_MAX_RATE 100000

/* KIND of proc (ProcKind of trace.h). */
enum aiospec_wire_proc {
  AIOSPEC_WIRE_PROC_FORK = 0,
  AIOSPEC_WIRE_PROC_JOIN = 1,
  AIOSPEC_WIRE_PROC_EXIT = 2,
  AIOSPEC_WIRE_PROC_EXEC = 3
};

/* OpenFlag bits (trace.h), repeated for C. */
#define AIOSPEC_WIRE_OPEN_READ (1u << 0)
#define AIOSPEC_WIRE_OPEN_WRITE (1u << 1)
#define AIOSPEC_WIRE_OPEN_APPEND (1u << 2)
#define AIOSPEC_WIRE_OPEN_SYNC (1u << 3)
#define AIOSPEC_WIRE_OPEN_DSYNC (1u << 4)
#define AIOSPEC_WIRE_OPEN_HOLD (1u << 5) /* not open(2)'s: see hold.h */

/* ERR of hold release (HoldError of trace.h). */
enum aiospec_wire_hold_error {
  AIOSPEC_WIRE_HOLD_RUN = 0, /* let the syscall run */
  AIOSPEC_WIRE_HOLD_EIO = 1,
  AIOSPEC_WIRE_HOLD_ENOSPC = 2
};
#define AIOSPEC_WIRE_HOLD_MAX_COUNT 64 /* kMaxHoldCount */

/* KIND of thread (ThreadKind of trace.h) and RUN of on. */
enum aiospec_wire_thread {
  AIOSPEC_WIRE_THREAD_CREATE = 0,
  AIOSPEC_WIRE_THREAD_AWAIT = 1,
  AIOSPEC_WIRE_THREAD_CANCEL = 2,
  AIOSPEC_WIRE_THREAD_EXIT = 3
};
enum aiospec_wire_run { AIOSPEC_WIRE_RUN_ON = 1, AIOSPEC_WIRE_RUN_START = 2 };
#define AIOSPEC_WIRE_MAX_THREADS 16 /* kMaxThreads */

#endif /* AIOSPEC_HARNESS_AGENT_WIRE_H_ */
