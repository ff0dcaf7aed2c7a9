/* Holding syscalls on regular files: the agent side of `open ... +hold`,
 * `hold wait` and `hold release` (docs/TRACE_FORMAT.md, "Holding requests
 * on regular files").
 *
 * A seccomp filter with a user-notification listener stops every read,
 * write and sync syscall (read, write, pread64, pwrite64, readv, writev,
 * preadv, pwritev, preadv2, pwritev2, fsync, fdatasync) on a descriptor
 * number >= AIOSPEC_HOLD_FD_MIN. A descriptor opened with the hold flag is
 * moved into [AIOSPEC_HOLD_FD_MIN, AIOSPEC_HOLD_FD_END), so an AIO worker's
 * syscall on it, or on a duplicate the implementation made of it, waits in
 * the kernel until the agent answers: run it, or fail it with EIO or ENOSPC.
 * A supervisor thread lets every other stopped syscall run at once. Nothing
 * else the agent does touches those numbers with a filtered syscall
 * (readback goes by path).
 *
 * The filter lasts as long as the process, so holds are for the
 * out-of-process agent only (the in-process targets refuse them).
 *
 * Usage:
 *   if (aiospec_hold_install() != 0) ...   // before any thread exists
 *   int held = aiospec_hold_move(fd);      // fd now in the reserved range
 *   struct aiospec_hold_call calls[AIOSPEC_HOLD_MAX_CALLS];
 *   int n = aiospec_hold_wait(held, 1, 1000000000, calls);
 *   n = aiospec_hold_release(held, EIO, 0, calls);
 *   aiospec_hold_release_all();            // at cleanup, every round
 */
#ifndef AIOSPEC_HARNESS_AGENT_HOLD_H_
#define AIOSPEC_HARNESS_AGENT_HOLD_H_

#define AIOSPEC_HOLD_FD_MIN 900
#define AIOSPEC_HOLD_FD_END 1000
#define AIOSPEC_HOLD_MAX_CALLS 64 /* stopped at once (AIOSPEC_WIRE_HOLD_MAX_COUNT) */

enum aiospec_hold_kind {
  AIOSPEC_HOLD_READ,
  AIOSPEC_HOLD_WRITE,
  AIOSPEC_HOLD_FSYNC,
  AIOSPEC_HOLD_FDATASYNC
};

/* One stopped syscall. offset is -1 for read/write/readv/writev (the file
 * position); len is the byte count (the sum of an iovec), 0 for syncs. */
struct aiospec_hold_call {
  int kind; /* enum aiospec_hold_kind */
  long long offset, len;
};

/* Installs the filter for this thread and the threads it creates later,
 * and starts the supervisor thread. Idempotent. 0, or -1 with errno (ENOSYS under qemu-user). */
int aiospec_hold_install(void);

/* Moves fd to the lowest free number of the reserved range (closing fd).
 * The new number, or -1 with errno (EMFILE: the range is full). */
int aiospec_hold_move(int fd);

/* Waits up to nanos until count syscalls on fd are stopped. Fills out[] with
 * every stopped one, oldest first; returns how many, or -1 with errno. */
int aiospec_hold_wait(int fd, int count, long long nanos,
                      struct aiospec_hold_call *out);

/* Answers the oldest stopped syscall on fd (every one with all): runs it
 * (err 0) or fails it with err. Fills out[] with the answered ones; returns
 * how many, or -1 with errno. */
int aiospec_hold_release(int fd, int err, int all,
                         struct aiospec_hold_call *out);

/* Lets every stopped syscall run, and the ones that arrive meanwhile
 * without waiting; for cleanup. No-op without a filter. */
void aiospec_hold_release_all(void);

#endif /* AIOSPEC_HARNESS_AGENT_HOLD_H_ */
