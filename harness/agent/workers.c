/* Worker threads of the agent: see workers.h for the invariants. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "harness/agent/workers.h"

#include <errno.h>
#include <time.h>

static void deadline_in(struct timespec *ts, int millis) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  ts->tv_sec += millis / 1000;
  ts->tv_nsec += (long)(millis % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_nsec -= 1000000000L;
    ++ts->tv_sec;
  }
}

static void set_state(struct aiospec_worker *w, int state) {
  pthread_mutex_lock(&w->mu);
  w->state = state;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

/* Runs when pthread_cancel ends the thread inside a job. */
static void on_cancelled(void *p) {
  set_state((struct aiospec_worker *)p, AIOSPEC_WORKER_CANCELLED);
}

static void *worker_main(void *p) {
  struct aiospec_worker *w = p;
  int old;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
  pthread_mutex_lock(&w->mu);
  for (;;) {
    while (w->state != AIOSPEC_WORKER_RUNNING &&
           w->state != AIOSPEC_WORKER_QUIT) {
      pthread_cond_wait(&w->cv, &w->mu);
    }
    if (w->state == AIOSPEC_WORKER_QUIT) break;
    pthread_mutex_unlock(&w->mu);
    pthread_cleanup_push(on_cancelled, w);
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
    w->fn(w->arg);
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    pthread_cleanup_pop(0);
    pthread_mutex_lock(&w->mu);
    w->state = AIOSPEC_WORKER_DONE;
    pthread_cond_broadcast(&w->cv);
  }
  w->state = AIOSPEC_WORKER_ENDED;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

int aiospec_worker_start(struct aiospec_worker *w) {
  pthread_condattr_t attr;
  w->state = AIOSPEC_WORKER_IDLE;
  w->fn = NULL;
  w->arg = NULL;
  pthread_mutex_init(&w->mu, NULL);
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&w->cv, &attr);
  pthread_condattr_destroy(&attr);
  int err = pthread_create(&w->tid, NULL, worker_main, w);
  if (err != 0) {
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    errno = err;
    return -1;
  }
  return 0;
}

void aiospec_worker_give(struct aiospec_worker *w, void (*fn)(void *),
                         void *arg, int held) {
  pthread_mutex_lock(&w->mu);
  w->fn = fn;
  w->arg = arg;
  w->state = held ? AIOSPEC_WORKER_HELD : AIOSPEC_WORKER_RUNNING;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

void aiospec_worker_go(struct aiospec_worker *w) {
  pthread_mutex_lock(&w->mu);
  if (w->state == AIOSPEC_WORKER_HELD) {
    w->state = AIOSPEC_WORKER_RUNNING;
    pthread_cond_broadcast(&w->cv);
  }
  pthread_mutex_unlock(&w->mu);
}

int aiospec_worker_wait(struct aiospec_worker *w) {
  pthread_mutex_lock(&w->mu);
  while (w->state == AIOSPEC_WORKER_RUNNING) pthread_cond_wait(&w->cv, &w->mu);
  int state = w->state;
  pthread_mutex_unlock(&w->mu);
  return state;
}

/* Waits until the state is not `from`, or the deadline; returns it. */
static int wait_leaves(struct aiospec_worker *w, int from, int millis) {
  struct timespec deadline;
  deadline_in(&deadline, millis);
  pthread_mutex_lock(&w->mu);
  while (w->state == from &&
         pthread_cond_timedwait(&w->cv, &w->mu, &deadline) != ETIMEDOUT) {
  }
  int state = w->state;
  pthread_mutex_unlock(&w->mu);
  return state;
}

int aiospec_worker_cancel(struct aiospec_worker *w, int settle_ms,
                          int millis) {
  /* Give the job time to block in its call: the cancellation is then the
   * one of a thread blocked there. */
  if (wait_leaves(w, AIOSPEC_WORKER_RUNNING, settle_ms) ==
      AIOSPEC_WORKER_RUNNING) {
    pthread_cancel(w->tid);
  }
  int state = wait_leaves(w, AIOSPEC_WORKER_RUNNING, millis);
  if (state == AIOSPEC_WORKER_RUNNING) return ETIMEDOUT;
  if (state == AIOSPEC_WORKER_CANCELLED) {
    pthread_join(w->tid, NULL);
    return 0;
  }
  /* Returned first: a pending cancel is never acted on (cancellation
   * stays disabled), and the worker returns when asked. */
  aiospec_worker_stop(w, millis);
  return EALREADY;
}

int aiospec_worker_stop(struct aiospec_worker *w, int millis) {
  pthread_mutex_lock(&w->mu);
  if (w->state == AIOSPEC_WORKER_RUNNING) {
    pthread_mutex_unlock(&w->mu);
    return -1;
  }
  w->state = AIOSPEC_WORKER_QUIT;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
  if (wait_leaves(w, AIOSPEC_WORKER_QUIT, millis) != AIOSPEC_WORKER_ENDED) {
    return -1;
  }
  pthread_join(w->tid, NULL);
  return 0;
}
