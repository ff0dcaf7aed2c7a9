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

struct aiospec_notify_record {
  int kind; /* enum aiospec_notify_kind */
  int signo; /* 0 for thread notifications */
  int code;  /* si_code; 0 for thread notifications */
  int value; /* si_value.sival_int */
  int has_status;
  int status; /* aio_error() read in the handler, when has_status */
};

/* The signal SIGEV_SIGNAL requests use: SIGRTMIN+1. */
int aiospec_notify_signo(void);

/* Installs the SA_SIGINFO handler for aiospec_notify_signo() and ignores
 * SIGPIPE; clears the record log and the value table. Returns 0, or -1 with
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
/* Records that arrived so far (read or not), and records lost to a full log. */
unsigned aiospec_notify_arrived(void);
unsigned aiospec_notify_dropped(void);

/* Empties the value table and waits until no handler is using it, so the
 * aiocbs it pointed to may be freed. The handler stays installed. */
void aiospec_notify_end(void);

#ifdef __cplusplus
}
#endif

#endif /* AIOSPEC_HARNESS_AGENT_NOTIFY_H_ */
