/* Run under LD_PRELOAD=libaiospec_aio.so: checks that the standard AIO
 * names resolve to the bundled library and work, including the close rule
 * (a pending write survives close of its descriptor and never touches a
 * file that reuses the number) and that every way of releasing a number
 * (close, fclose, close_range) makes later requests on the reused number
 * go to its new file. Exit 0 on success, 1 with a message. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <aio.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failf(const char *what) {
  fprintf(stderr, "preload probe: %s (errno %d)\n", what, errno);
  return 1;
}

static void wait_done(struct aiocb *cb) {
  const struct aiocb *list[1] = {cb};
  while (aio_error(cb) == EINPROGRESS) aio_suspend(list, 1, NULL);
}

/* One byte written with aio_write at offset 0; 0 on success. */
static int aio_put(int fd, char c) {
  static char byte;
  byte = c;
  struct aiocb cb;
  memset(&cb, 0, sizeof cb);
  cb.aio_fildes = fd;
  cb.aio_buf = &byte;
  cb.aio_nbytes = 1;
  if (aio_write(&cb) != 0) return -1;
  wait_done(&cb);
  return aio_return(&cb) == 1 ? 0 : -1;
}

static int file_is(const char *path, const char *want) {
  char got[16] = {0};
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, got, sizeof got - 1);
  close(fd);
  return n == (ssize_t)strlen(want) && memcmp(got, want, (size_t)n) == 0;
}

/* A request caches fd's duplicate; `release` gives the number back through
 * some C library function; the number is reused for another file, and a
 * request on it must land there. */
static int check_release(const char *name, int (*release)(int fd, FILE *f)) {
  char p1[] = "/tmp/aiospec-preload-rel-XXXXXX";
  char p2[] = "/tmp/aiospec-preload-rel-XXXXXX";
  int fd = mkstemp(p1);
  FILE *f = fd >= 0 ? fdopen(fd, "r+") : NULL;
  if (!f) return failf("mkstemp/fdopen");
  if (aio_put(fd, 'A') != 0) return failf("aio_write before release");
  if (release(fd, f) != 0) return failf(name);
  int again = mkstemp(p2);
  if (again != fd) return failf("number not reused after release");
  if (aio_put(again, 'B') != 0) return failf("aio_write after release");
  close(again);
  int ok = file_is(p1, "A") && file_is(p2, "B");
  unlink(p1);
  unlink(p2);
  if (!ok) {
    fprintf(stderr, "preload probe: after %s, a request on the reused "
            "number went to the old file\n", name);
    return 1;
  }
  return 0;
}

static int release_fclose(int fd, FILE *f) {
  (void)fd;
  return fclose(f);
}

static int release_close_range(int fd, FILE *f) {
  (void)f; /* the stream is leaked with its number closed: fine here */
  return close_range((unsigned)fd, (unsigned)fd, 0);
}

int main(void) {
  Dl_info info;
  if (!dladdr((void *)aio_read, &info) || !info.dli_fname ||
      !strstr(info.dli_fname, "libaiospec_aio"))
    return failf("aio_read does not come from libaiospec_aio.so");
  if (!dlsym(RTLD_DEFAULT, "aiospec_aio_read"))
    return failf("aiospec_aio_read not exported");
  /* The limits a program sees are the ones the library enforces. */
  long (*bundled_sysconf)(int) =
      (long (*)(int))dlsym(RTLD_DEFAULT, "aiospec_sysconf");
  if (!bundled_sysconf) return failf("aiospec_sysconf not exported");
  if (sysconf(_SC_AIO_MAX) != bundled_sysconf(_SC_AIO_MAX) ||
      sysconf(_SC_AIO_LISTIO_MAX) != bundled_sysconf(_SC_AIO_LISTIO_MAX))
    return failf("sysconf does not report the bundled AIO limits");
  if (sysconf(_SC_PAGESIZE) <= 0) return failf("sysconf(_SC_PAGESIZE) broken");

  char path[] = "/tmp/aiospec-preload-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return failf("mkstemp");
  unlink(path);
  struct aiocb w;
  memset(&w, 0, sizeof w);
  w.aio_fildes = fd;
  w.aio_buf = (void *)"hello";
  w.aio_nbytes = 5;
  w.aio_offset = 3;
  if (aio_write(&w) != 0) return failf("aio_write");
  wait_done(&w);
  if (aio_error(&w) != 0 || aio_return(&w) != 5) return failf("write result");
  char got[8] = {0};
  struct aiocb r;
  memset(&r, 0, sizeof r);
  r.aio_fildes = fd;
  r.aio_buf = got;
  r.aio_nbytes = 8;
  r.aio_offset = 0;
  if (aio_read(&r) != 0) return failf("aio_read");
  wait_done(&r);
  if (aio_return(&r) != 8 || memcmp(got, "\0\0\0hello", 8) != 0)
    return failf("read result");
  close(fd);

  /* A write pending on a full pipe, its descriptor closed, the number
   * reused by a file: draining the pipe delivers to the pipe only. */
  int p[2];
  if (pipe(p) != 0) return failf("pipe");
  fcntl(p[1], F_SETFL, O_NONBLOCK);
  char fill[4096];
  memset(fill, 'F', sizeof fill);
  while (write(p[1], fill, sizeof fill) > 0) {
  }
  fcntl(p[1], F_SETFL, 0);
  struct aiocb pw;
  memset(&pw, 0, sizeof pw);
  pw.aio_fildes = p[1];
  pw.aio_buf = (void *)"TAIL";
  pw.aio_nbytes = 4;
  if (aio_write(&pw) != 0) return failf("aio_write pipe");
  int old = p[1];
  close(p[1]);
  char path2[] = "/tmp/aiospec-preload-XXXXXX";
  int nf = mkstemp(path2);
  if (nf != old) return failf("number not reused");
  char sink[65536];
  while (aio_error(&pw) == EINPROGRESS) {
    if (read(p[0], sink, sizeof sink) < 0) return failf("drain");
  }
  if (aio_return(&pw) != 4) return failf("pipe write result");
  struct stat st;
  fstat(nf, &st);
  unlink(path2);
  if (st.st_size != 0) return failf("reused descriptor was written");

  if (check_release("fclose", release_fclose) != 0) return 1;
  if (check_release("close_range", release_close_range) != 0) return 1;
  puts("preload probe: ok");
  return 0;
}
