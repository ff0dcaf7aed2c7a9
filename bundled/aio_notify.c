/* Completion notification: SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD.
 *
 * Invariants:
 *  - Called only after the request's final status is published, so a
 *    handler or notification thread always sees aio_error() !=
 *    EINPROGRESS (AIO-SIG-13). Called without any lock held.
 *  - SIGEV_SIGNAL is queued to the process, not to a thread, like
 *    sigqueue() but with si_code SI_ASYNCIO (the kernel lets a process
 *    queue a negative si_code to itself): any thread with the signal
 *    unblocked may take it (AIO-SIG-06), and each completion queues its own
 *    instance.
 *  - SIGEV_THREAD starts a new thread per notification with the caller's
 *    attributes, detached whatever they say (joinable attributes are
 *    undefined behaviour, AIO-SIG-09; detaching avoids a leak). It inherits
 *    the notifying thread's mask: every signal blocked except the private
 *    wake signal, which the trampoline blocks too.
 *  - aiospec_i_g.notifying counts the SIGEV_THREAD threads from before
 *    pthread_create to after the function returns, so "no request
 *    outstanding and nobody notifying" means the library is at rest (an
 *    in-process runner waits for that between runs).
 *  - Notification never fails the request: if the signal cannot be queued
 *    (EAGAIN past {SIGQUEUE_MAX}) or no thread can be created, it is lost.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bundled/aio_fault.h"
#include "bundled/aio_internal.h"
#include "bundled/aiospec_aio.h"

struct notify_thread_arg {
  void (*fn)(union sigval);
  union sigval value;
};

static void *notify_trampoline(void *p) {
  struct notify_thread_arg arg = *(struct notify_thread_arg *)p;
  free(p);
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, NULL);
  arg.fn(arg.value);
  __atomic_sub_fetch(&aiospec_i_g.notifying, 1, __ATOMIC_RELEASE);
  return NULL;
}

static void notify_signal(const struct sigevent *sev) {
  if (sev->sigev_signo == 0) return; /* a zeroed sigevent: nothing to send */
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_signo = sev->sigev_signo;
  si.si_code = AIOSPEC_FAULT_IS(si_code_si_queue) ? SI_QUEUE : SI_ASYNCIO;
  si.si_pid = getpid();
  si.si_uid = getuid();
  if (!AIOSPEC_FAULT_IS(si_value_lost)) si.si_value = sev->sigev_value;
  long rc = syscall(SYS_rt_sigqueueinfo, getpid(), sev->sigev_signo, &si);
  if (AIOSPEC_FAULT_IS(signal_sent_twice) && rc == 0)
    syscall(SYS_rt_sigqueueinfo, getpid(), sev->sigev_signo, &si);
}

static void notify_thread(const struct sigevent *sev) {
  struct notify_thread_arg *arg = malloc(sizeof *arg);
  if (!arg) return;
  arg->fn = sev->sigev_notify_function;
  arg->value = sev->sigev_value;
  pthread_attr_t own;
  pthread_attr_t *attr = sev->sigev_notify_attributes;
  int detach_after = 0;
  if (!attr) {
    pthread_attr_init(&own);
    pthread_attr_setdetachstate(&own, PTHREAD_CREATE_DETACHED);
    attr = &own;
  } else {
    int state = PTHREAD_CREATE_DETACHED;
    pthread_attr_getdetachstate(attr, &state);
    detach_after = state == PTHREAD_CREATE_JOINABLE;
  }
  pthread_t t;
  __atomic_add_fetch(&aiospec_i_g.notifying, 1, __ATOMIC_RELAXED);
  int rc = pthread_create(&t, attr, notify_trampoline, arg);
  if (attr == &own) pthread_attr_destroy(&own);
  if (rc != 0) {
    __atomic_sub_fetch(&aiospec_i_g.notifying, 1, __ATOMIC_RELAXED);
    free(arg);
    return;
  }
  if (detach_after) pthread_detach(t);
}

void aiospec_i_notify(const struct sigevent *sev) {
  switch (sev->sigev_notify) {
    case SIGEV_SIGNAL:
      notify_signal(sev);
      break;
    case SIGEV_THREAD:
      notify_thread(sev);
      break;
    default:
      break;
  }
}
