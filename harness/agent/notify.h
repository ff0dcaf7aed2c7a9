/* Completion notifications, recorded where they arrive (internal to the
 * agent).
 *
 * The SIGRTMIN+1 handler and the SIGEV_THREAD function append one record
 * each to a fixed-size log; the agent's main thread reads new records after
 * every op and prints them as `notify` lines. Each record carries the
 * aio_error() value of the request the notification belongs to, read inside
 * the handler, found through a table of (sival_int -> aiocb) that the main
 * thread fills before each submission.
 *
 * Usage (main thread):
 *   aiospec_notify_begin(ops);                 // once per run, nothing pending
 *   int slot = aiospec_notify_track(7, cb);    // before aio_read(cb)
 *   if (aio_read(cb) != 0) aiospec_notify_untrack(slot);
 *   struct aiospec_notify_record r;
 *   while (aiospec_notify_next(&r)) print(r);  // after each op
 *   aiospec_notify_end();                      // before freeing aiocbs
 *
 * One run at a time per process: the state is global because a signal
 * handler cannot be given a context pointer.
 */
#ifndef AIOSPEC_HARNESS_AGENT_NOTIFY_H_
#define AIOSPEC_HARNESS_AGENT_NOTIFY_H_

#include <aio.h>
#include <signal.h>

#include "harness/agent/agent.h"

#ifdef __cplusplus
extern "C" {
#endif

enum aiospec_notify_kind {
  AIOSPEC_NOTIFY_SIGNAL = 1,
  AIOSPEC_NOTIFY_THREAD = 2
};

/* aiospec_notify_record.thread of a signal that interrupted a thread the
 * trace did not name (a C library's own thread). */
enum { AIOSPEC_NOTIFY_MAIN = -1, AIOSPEC_NOTIFY_OTHER = -2 };

struct aiospec_notify_record {
  int kind; /* enum aiospec_notify_kind */
  int signo; /* 0 for thread notifications */
  int thread; /* signals: the trace thread the handler ran on (K), MAIN or
                 OTHER */
  int code;  /* si_code; 0 for thread notifications */
  int value; /* si_value.sival_int */
  int has_status;
  int status; /* aio_error() read in the handler, when has_status */
};

/* The signal SIGEV_SIGNAL requests use by default: SIGRTMIN+1. */
int aiospec_notify_signo(void);
/* Whether SIGRTMIN+rt is a notification signal (1, or 3 to
 * AIOSPEC_WIRE_NOTIFY_RT_MAX: 2 is the storm's). */
int aiospec_notify_rt_valid(int rt);

/* Records that the calling thread is trace thread k (< 16): the handler
 * names it in its records. */
void aiospec_notify_name_thread(int k);

/* Installs the SA_SIGINFO handler for every notification signal, unblocked
 * in the calling thread (the main thread), and ignores SIGPIPE; clears the
 * record log, the value table and the thread names. Returns 0, or -1 with
 * errno if sigaction failed. */
int aiospec_notify_begin(const struct aiospec_aio_ops *ops);

/* The SIGEV_THREAD notify function requests use. */
void aiospec_notify_thread_fn(union sigval value);

/* Registers that `cb` (NULL for a lio_listio list notification) may notify
 * with `value`. Returns a slot for aiospec_notify_untrack, or -1 when the
 * table is full (handlers then stop reporting status). */
int aiospec_notify_track(int value, const struct aiocb *cb);
void aiospec_notify_untrack(int slot);
/* Untracks every slot of `cb`, before its memory is reused. */
void aiospec_notify_untrack_cb(const struct aiocb *cb);

/* Copies the next unread record into *out: 1, or 0 if there is none yet. */
int aiospec_notify_next(struct aiospec_notify_record *out);
/* Where the record log stands now: records with a later position arrived
 * after this call. */
unsigned aiospec_notify_mark(void);
/* Records of `kind` with si_value/sigev_value `value` that arrived after
 * `mark` (a position from aiospec_notify_mark). */
int aiospec_notify_count_since(unsigned mark, int kind, int value);
/* Records that arrived so far (read or not), and records lost to a full log. */
unsigned aiospec_notify_arrived(void);
unsigned aiospec_notify_dropped(void);

/* Empties the value table and waits until no handler is using it, so the
 * aiocbs it pointed to may be freed. The handler stays installed. */
void aiospec_notify_end(void);

/* ---- Signal storms (trace op `storm`, AIO-ASS-01) ------------------------
 *
 * A POSIX timer sends aiospec_storm_signo() (SIGRTMIN+2) to the calling
 * thread RATE times a second; its handler calls aio_error on each watched
 * aiocb, aio_suspend on them with a zero timeout, and aio_return (once) on
 * the ones marked may_return that it has just seen complete. It lives here
 * with the notification handler because both are "what a signal handler
 * saw", recorded without locks for the main thread to print.
 *
 * Usage (main thread, between notify_begin and notify_end):
 *   const struct aiocb *cbs[2] = {a, b};
 *   int may_return[2] = {1, 0};
 *   if (aiospec_storm_start(cbs, may_return, 2, 20000, calls) != 0) ...;
 *   aiospec_storm_set_op(k);                  // before each op
 *   struct aiospec_storm_result r;
 *   aiospec_storm_stop(&r);                   // no handler runs after this
 */
enum { AIOSPEC_STORM_MAX_CBS = 64, AIOSPEC_STORM_MAX_SEEN = 8 };

struct aiospec_storm_cb_result {
  int nseen;        /* distinct consecutive aio_error values seen */
  int seen[AIOSPEC_STORM_MAX_SEEN];
  int seen_overflow; /* more changes than fit */
  int returned;     /* the handler called aio_return */
  long long ret;    /* its value */
};

struct aiospec_storm_result {
  unsigned long long interrupts; /* handler invocations */
  int ncbs;
  struct aiospec_storm_cb_result cbs[AIOSPEC_STORM_MAX_CBS];
  /* aio_suspend outcomes: 0, -1/EAGAIN, -1/EINTR, anything else. */
  unsigned long long suspend_ok, suspend_eagain, suspend_eintr, suspend_other;
  int other_errno; /* errno of the first "anything else" (-1: ret not 0/-1) */
};

int aiospec_storm_signo(void);
/* CALLS: AIOSPEC_WIRE_STORM_* bits. Returns 0, or -1 with errno. */
int aiospec_storm_start(const struct aiocb *const *cbs, const int *may_return,
                        int ncbs, int rate_hz, unsigned calls);
int aiospec_storm_active(void);
/* `storm on ... close=D`: the next handler run, before its calls, closes fd
 * through the library's close (once). Set after aiospec_storm_start. */
void aiospec_storm_close_fd(int fd);
/* 1 once the handler has closed the descriptor (its result in *ret and
 * *err), else 0. */
int aiospec_storm_closed(long long *ret, int *err);
/* Takes back a close the handler has not started: returns its fd, or -1
 * when the handler has it (then wait for aiospec_storm_closed). */
int aiospec_storm_take_close(void);
/* Stops the timer, discards pending storm signals, restores the previous
 * disposition and mask; fills *out (if not NULL). */
void aiospec_storm_stop(struct aiospec_storm_result *out);

#ifdef __cplusplus
}
#endif

#endif /* AIOSPEC_HARNESS_AGENT_NOTIFY_H_ */
