/* The trace's threads (`thread T`, `on T`, `start T`, `await T`,
 * `cancel T`, `exit T`), internal to the agent.
 *
 * A worker is a thread that runs jobs the agent's main thread gives it:
 * a function and its argument (an AIO call, prepared and reported by the
 * main thread, so that workers touch only the memory of their own call).
 *
 * Invariants:
 *  - a worker runs one job at a time; the main thread gives a job only to
 *    an idle worker and reads what the job wrote only once the worker says
 *    it is done (its mutex orders both hand-overs);
 *  - a held job (start) does not begin before aiospec_worker_go, so the
 *    jobs started together begin together;
 *  - a worker can be cancelled only inside a job's function: it runs with
 *    cancellation disabled and enables it around the call alone, and the
 *    cleanup handler then marks the job cancelled, so a pthread_cancel
 *    acts at the cancellation points of the call under test or not at all;
 *  - a worker that did not end when asked is never joined nor reused: it
 *    may still be inside a C library call (the run's cleanup releases what
 *    it waits for, and the process exits).
 *
 * Usage (main thread):
 *   struct aiospec_worker w;
 *   if (aiospec_worker_start(&w) != 0) ...;        // errno
 *   aiospec_worker_give(&w, fn, arg, held=0);
 *   aiospec_worker_wait(&w);                       // fn(arg) has returned
 *   aiospec_worker_stop(&w, 1000);                 // 0, or -1: not ended
 */
#ifndef AIOSPEC_HARNESS_AGENT_WORKERS_H_
#define AIOSPEC_HARNESS_AGENT_WORKERS_H_

#include <pthread.h>

#ifdef __cplusplus
extern "C" {
#endif

enum aiospec_worker_state {
  AIOSPEC_WORKER_IDLE,
  AIOSPEC_WORKER_HELD,      /* given, waiting for aiospec_worker_go */
  AIOSPEC_WORKER_RUNNING,
  AIOSPEC_WORKER_DONE,      /* the job's function returned */
  AIOSPEC_WORKER_CANCELLED, /* pthread_cancel ended it inside the job */
  AIOSPEC_WORKER_QUIT,      /* asked to return */
  AIOSPEC_WORKER_ENDED      /* returned (or cancelled): may be joined */
};

struct aiospec_worker {
  pthread_t tid;
  pthread_mutex_t mu;
  pthread_cond_t cv; /* CLOCK_MONOTONIC */
  int state;         /* enum aiospec_worker_state, under mu */
  void (*fn)(void *);
  void *arg;
};

/* Creates the thread. Returns 0, or -1 with errno. */
int aiospec_worker_start(struct aiospec_worker *w);
/* Gives an idle worker fn(arg); `held`: it waits for aiospec_worker_go. */
void aiospec_worker_give(struct aiospec_worker *w, void (*fn)(void *),
                         void *arg, int held);
/* Lets a held job begin (nothing when none is held). */
void aiospec_worker_go(struct aiospec_worker *w);
/* Waits until the job is done or cancelled; returns the state. */
int aiospec_worker_wait(struct aiospec_worker *w);
/* pthread_cancel, once the job has run `settle_ms`, then waits up to
 * `millis` for the thread to leave the job. Returns 0 when it was
 * cancelled inside it (and joins it), EALREADY when the job returned first
 * (the worker is stopped), ETIMEDOUT when it is still inside (abandoned). */
int aiospec_worker_cancel(struct aiospec_worker *w, int settle_ms, int millis);
/* Asks an idle or done worker to return and joins it within `millis`.
 * Returns 0, or -1 when it did not end (abandoned). */
int aiospec_worker_stop(struct aiospec_worker *w, int millis);

#ifdef __cplusplus
}
#endif

#endif /* AIOSPEC_HARNESS_AGENT_WORKERS_H_ */
