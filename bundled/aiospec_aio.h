/* aiospec's own POSIX asynchronous I/O: the reference implementation.
 *
 * The same functions as <aio.h>, with an `aiospec_` prefix so they run side
 * by side with the C library's in one process, on the system's own
 * struct aiocb. libaiospec_aio.so (preload.c) exports them under the
 * standard names for LD_PRELOAD.
 *
 * It is a libc component: C and pthreads only, no C++ runtime.
 *
 * Usage:
 *   struct aiocb cb = {0};
 *   cb.aio_fildes = fd;
 *   cb.aio_buf = buf;
 *   cb.aio_nbytes = sizeof buf;
 *   cb.aio_offset = 0;
 *   cb.aio_sigevent.sigev_notify = SIGEV_NONE;
 *   if (aiospec_aio_read(&cb) != 0) return -1;
 *   const struct aiocb *list[1] = {&cb};
 *   while (aiospec_aio_error(&cb) == EINPROGRESS)
 *     aiospec_aio_suspend(list, 1, NULL);
 *   ssize_t got = aiospec_aio_return(&cb);
 *
 * Implementation-defined choices (documented here once; the model records
 * them):
 *  - {AIO_MAX} is AIOSPEC_AIO_MAX outstanding requests (submitted, not yet
 *    completed). A slot is freed at completion, not at aio_return (the
 *    "release at completion" accounting of AIO-RETURN-09). Past it, and when
 *    no descriptor can be duplicated, submission fails with EAGAIN.
 *  - {AIO_LISTIO_MAX} is AIOSPEC_AIO_LISTIO_MAX; {AIO_PRIO_DELTA_MAX} is
 *    AIOSPEC_AIO_PRIO_DELTA_MAX. aio_reqprio is validated, then ignored.
 *  - Every request is bound to the open file description, never to the
 *    descriptor number: submission duplicates the descriptor (close-on-exec,
 *    at a high number) and the request works on the duplicate.
 *  - The duplicate of a regular file's descriptor is cached per descriptor
 *    number and trusted without a system call, so with the prefixed API a
 *    descriptor that had requests must be closed or replaced only with
 *    aiospec_close / aiospec_dup2 (libaiospec_aio.so wraps close, dup2,
 *    dup3, fclose, freopen, close_range and closefrom): a number released
 *    otherwise and reused for another file would send later requests to
 *    the old one. A status-flag change (fcntl F_SETFL) on such a
 *    descriptor takes effect for the I/O at once, but for the O_APPEND
 *    ordering rule only once the number is closed or replaced.
 *  - close() cancels nothing (AIO-PROC-01): every outstanding request on the
 *    descriptor completes normally on its duplicate; the descriptor number
 *    is forgotten by the index, so aio_cancel(fd, NULL) after the number is
 *    reused never finds them. close never blocks on I/O. dup2 onto a busy
 *    descriptor does the same to the target.
 *  - Cancelable: every request that has not started, and a started request
 *    on an unseekable file (pipe, socket, terminal) while no byte has been
 *    transferred. A started request on a regular file is not cancelable.
 *  - Order: on a seekable file, a request waits for every earlier request
 *    with an overlapping byte range of which at least one is a write
 *    (O_APPEND writes overlap everything); aio_fsync waits for every earlier
 *    write. On an unseekable file, reads run in submission order and writes
 *    run in submission order, independently of each other.
 *  - SIGEV_THREAD notification threads start with every signal blocked.
 *    SIGEV_SIGNAL queues the signal to the process with si_code SI_ASYNCIO.
 *  - Workers use the private signal AIOSPEC_WAKE_SIGNAL (a real-time
 *    signal, SIGRTMAX - 3) to interrupt a blocked read or write on cancel.
 *    The library installs a handler for it; the application must not.
 *  - lio_listio(LIO_NOWAIT, ..., sig) with nothing started still sends the
 *    list notification (at once).
 *  - In a child of fork() the request table is empty (AIO-PROC-14); the
 *    parent's aiocbs must not be used in the child (AIO-PROC-15).
 *
 * aio_error, aio_return and aio_suspend are async-signal-safe: they take no
 * lock and allocate nothing.
 */
#ifndef AIOSPEC_BUNDLED_AIOSPEC_AIO_H_
#define AIOSPEC_BUNDLED_AIOSPEC_AIO_H_

#include <aio.h>
#include <signal.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AIOSPEC_AIO_MAX 256
#define AIOSPEC_AIO_LISTIO_MAX 64
#define AIOSPEC_AIO_PRIO_DELTA_MAX 20
/* Bound on workers doing bounded-time work (regular files); requests that
 * may block forever (pipes, sockets) get a worker beyond it. */
#define AIOSPEC_POOL_MAX 16
#define AIOSPEC_WAKE_SIGNAL (SIGRTMAX - 3)

int aiospec_aio_read(struct aiocb *cb);
int aiospec_aio_write(struct aiocb *cb);
int aiospec_aio_fsync(int op, struct aiocb *cb);
int aiospec_aio_error(const struct aiocb *cb);
ssize_t aiospec_aio_return(struct aiocb *cb);
int aiospec_aio_cancel(int fd, struct aiocb *cb);
int aiospec_aio_suspend(const struct aiocb *const list[], int nent,
                        const struct timespec *timeout);
int aiospec_lio_listio(int mode, struct aiocb *const list[], int nent,
                       struct sigevent *sig);

/* close() and dup2() with the AIO rules for the descriptor they drop. */
int aiospec_close(int fd);
int aiospec_dup2(int old_fd, int new_fd);

/* sysconf() that reports this implementation's limits for _SC_AIO_MAX,
 * _SC_AIO_LISTIO_MAX and _SC_AIO_PRIO_DELTA_MAX (the drop-in library exports
 * it as sysconf), and the C library's answer for every other name. */
long aiospec_sysconf(int name);

/* Requests submitted and not yet completed; for tests and diagnostics. */
int aiospec_aio_outstanding(void);

/* SIGEV_THREAD notification threads started and not yet returned from the
 * notification function. With aiospec_aio_outstanding() also 0 the library
 * is at rest: nothing of an earlier run can reach a later one. */
int aiospec_aio_notifying(void);

struct aiospec_aio_ops;
/* Fills the agent's function table (harness/agent/agent.h) with the
 * functions above; name "bundled". */
void aiospec_bundled_aio_ops(struct aiospec_aio_ops *ops);

#ifdef __cplusplus
}
#endif

#endif /* AIOSPEC_BUNDLED_AIOSPEC_AIO_H_ */
