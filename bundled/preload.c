/* libaiospec_aio.so: the bundled implementation under the standard names.
 *
 *   LD_PRELOAD=/path/to/libaiospec_aio.so ./program
 *
 * runs any dynamically linked program's POSIX AIO on aiospec, replacing the
 * C library's aio_* (and, on glibc, the *64 variants, which share the
 * layout on 64-bit systems). close, dup2, dup3, close_range and closefrom
 * are wrapped so the descriptor rules of aio_fd.c hold; the library itself
 * never calls them by name (it uses system calls), so there is no
 * recursion. fclose and freopen close a descriptor inside the C library,
 * out of our reach: their wrappers apply close's rule to the stream's
 * descriptor, then call the C library's own (dlsym(RTLD_NEXT)). Its own
 * fork handlers are registered with pthread_atfork on first use.
 *
 * Only this file's functions and the aiospec_* API are exported
 * (preload.map); the internals are hidden.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <aio.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bundled/aio_internal.h"
#include "bundled/aiospec_aio.h"

int aio_read(struct aiocb *cb) { return aiospec_aio_read(cb); }
int aio_write(struct aiocb *cb) { return aiospec_aio_write(cb); }
int aio_fsync(int op, struct aiocb *cb) { return aiospec_aio_fsync(op, cb); }
int aio_error(const struct aiocb *cb) { return aiospec_aio_error(cb); }
ssize_t aio_return(struct aiocb *cb) { return aiospec_aio_return(cb); }
int aio_cancel(int fd, struct aiocb *cb) { return aiospec_aio_cancel(fd, cb); }
int aio_suspend(const struct aiocb *const list[], int nent,
                const struct timespec *timeout) {
  return aiospec_aio_suspend(list, nent, timeout);
}
#if defined(__GLIBC__)
int lio_listio(int mode, struct aiocb *const list[], int nent,
               struct sigevent *sig) {
#else /* musl's prototype is restrict-qualified */
int lio_listio(int mode, struct aiocb *__restrict const *__restrict list,
               int nent, struct sigevent *__restrict sig) {
#endif
  return aiospec_lio_listio(mode, (struct aiocb *const *)list, nent, sig);
}

/* The limits a program sees are the ones this library enforces. */
long sysconf(int name) {
  switch (name) {
    case _SC_AIO_MAX:
    case _SC_AIO_LISTIO_MAX:
    case _SC_AIO_PRIO_DELTA_MAX:
      return aiospec_sysconf(name);
    default: {
      static long (*next)(int);
      if (!next) next = (long (*)(int))dlsym(RTLD_NEXT, "sysconf");
      return next ? next(name) : -1;
    }
  }
}

int close(int fd) { return aiospec_close(fd); }
int dup2(int old_fd, int new_fd) { return aiospec_dup2(old_fd, new_fd); }
int dup3(int old_fd, int new_fd, int flags) {
  if (old_fd == new_fd) {
    errno = EINVAL;
    return -1;
  }
  if (fcntl(old_fd, F_GETFD) < 0) return -1;
  aiospec_i_fd_detach(new_fd); /* dup2's close rule for the target */
  return (int)syscall(SYS_dup3, old_fd, new_fd, flags);
}

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

int close_range(unsigned first, unsigned last, int flags) {
  /* With CLOSE_RANGE_CLOEXEC nothing is closed now. */
  if (first <= last && !(flags & CLOSE_RANGE_CLOEXEC))
    aiospec_i_fd_detach_range(first, last);
  return (int)syscall(SYS_close_range, first, last, flags);
}

void closefrom(int low) {
  if (low < 0) low = 0;
  aiospec_i_fd_detach_range((unsigned)low, UINT_MAX);
  if (syscall(SYS_close_range, (unsigned)low, UINT_MAX, 0) == 0) return;
  /* No close_range (Linux before 5.9): the numbers one by one. */
  long max = sysconf(_SC_OPEN_MAX);
  for (long fd = low; fd < max; ++fd) syscall(SYS_close, (int)fd);
}

/* The C library's own, looked up once; NULL if it cannot be found. */
static void *next_symbol(void **slot, const char *name) {
  void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
  if (!f) {
    f = dlsym(RTLD_NEXT, name);
    __atomic_store_n(slot, f, __ATOMIC_RELEASE);
  }
  return f;
}

int fclose(FILE *f) {
  static void *real;
  int (*fn)(FILE *) = (int (*)(FILE *))next_symbol(&real, "fclose");
  if (!fn) {
    errno = ENOSYS;
    return EOF;
  }
  aiospec_i_fd_detach(fileno(f));
  return fn(f);
}

FILE *freopen(const char *path, const char *mode, FILE *f) {
  static void *real;
  FILE *(*fn)(const char *, const char *, FILE *) =
      (FILE * (*)(const char *, const char *, FILE *))
          next_symbol(&real, "freopen");
  if (!fn) {
    errno = ENOSYS;
    return NULL;
  }
  aiospec_i_fd_detach(fileno(f));
  return fn(path, mode, f);
}

#if defined(__GLIBC__) && defined(__USE_LARGEFILE64) && (__WORDSIZE == 64)
/* Same layout as struct aiocb on 64-bit glibc. */
_Static_assert(sizeof(struct aiocb64) == sizeof(struct aiocb),
               "aiocb64 layout");
int aio_read64(struct aiocb64 *cb) {
  return aiospec_aio_read((struct aiocb *)cb);
}
int aio_write64(struct aiocb64 *cb) {
  return aiospec_aio_write((struct aiocb *)cb);
}
int aio_fsync64(int op, struct aiocb64 *cb) {
  return aiospec_aio_fsync(op, (struct aiocb *)cb);
}
int aio_error64(const struct aiocb64 *cb) {
  return aiospec_aio_error((const struct aiocb *)cb);
}
ssize_t aio_return64(struct aiocb64 *cb) {
  return aiospec_aio_return((struct aiocb *)cb);
}
int aio_cancel64(int fd, struct aiocb64 *cb) {
  return aiospec_aio_cancel(fd, (struct aiocb *)cb);
}
int aio_suspend64(const struct aiocb64 *const list[], int nent,
                  const struct timespec *timeout) {
  return aiospec_aio_suspend((const struct aiocb *const *)list, nent, timeout);
}
int lio_listio64(int mode, struct aiocb64 *const list[], int nent,
                 struct sigevent *sig) {
  return aiospec_lio_listio(mode, (struct aiocb *const *)list, nent, sig);
}
FILE *freopen64(const char *path, const char *mode, FILE *f) {
  static void *real;
  FILE *(*fn)(const char *, const char *, FILE *) =
      (FILE * (*)(const char *, const char *, FILE *))
          next_symbol(&real, "freopen64");
  if (!fn) {
    errno = ENOSYS;
    return NULL;
  }
  aiospec_i_fd_detach(fileno(f));
  return fn(path, mode, f);
}
#endif
