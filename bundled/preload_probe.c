/* Run under LD_PRELOAD=libaiospec_aio.so: checks that the standard AIO
 * names resolve to the bundled library and work, including the close rule
 * (a pending write survives close of its descriptor and never touches a
 * file that reuses the number). Exit 0 on success, 1 with a message. */
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

int main(void) {
  Dl_info info;
  if (!dladdr((void *)aio_read, &info) || !info.dli_fname ||
      !strstr(info.dli_fname, "libaiospec_aio"))
    return failf("aio_read does not come from libaiospec_aio.so");
  if (!dlsym(RTLD_DEFAULT, "aiospec_aio_read"))
    return failf("aiospec_aio_read not exported");

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
  puts("preload probe: ok");
  return 0;
}
