/* aio_bench: 4 KiB reads and writes through one POSIX AIO implementation,
 * plus a plain pread/pwrite loop as the floor.
 *
 * The implementation comes from an ops table (harness/agent/agent.h),
 * filled by aiospec_bench_ops(): the C library's functions (bench-glibc,
 * bench-musl) or the bundled ones (bench-bundled). Plain C99 + POSIX, so
 * the same source builds with musl-gcc.
 *
 * Usage:
 *   bench-glibc [-w read|write] [-q QD] [-s SECONDS] [-n OPS] [-r REPS]
 *               [-d DIR] [--floor]
 *   bench-bundled -w read -q 32 -s 0.5 -r 5
 *
 * Each run keeps QD requests in flight on a 64 MiB file in DIR
 * ($AIOSPEC_BENCH_DIR, else /dev/shm) at random 4 KiB-aligned offsets,
 * waits with aio_suspend on the whole list and resubmits each finished
 * slot. Latency is submit to observed completion. Without -n, a warm-up
 * sizes each run to SECONDS. Prints one line per (workload, qd), the
 * median run of REPS:
 *   impl=glibc workload=read qd=32 ops=... ops_per_s=... p50_us=... p99_us=...
 * --floor measures the synchronous pread/pwrite loop instead (impl=pread).
 * Exit status 1 on any I/O error or short transfer.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/agent/agent.h"

/* bench_libc_ops.c or bench_bundled_ops.c. */
void aiospec_bench_ops(struct aiospec_aio_ops *ops);

#define BLOCK 4096
#define FILE_SIZE (64L << 20)
#define NBLOCKS (FILE_SIZE / BLOCK)
#define MAX_QD 1024
#define MAX_REPS 64

struct config {
  int write;
  int qd;
  double seconds;
  long fixed_ops; /* 0: sized by a warm-up */
  int reps;
  int floor;
  const char *dir;
};

struct result {
  long ops;
  double ops_per_s;
  double p50_us, p99_us;
};

static const struct aiospec_aio_ops *g_ops;
static int g_fd = -1;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static off_t random_offset(void) {
  /* xorshift64: cheap and the same for every implementation. */
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  rng_state = x;
  return (off_t)(x % NBLOCKS) * BLOCK;
}

static void die(const char *what) {
  fprintf(stderr, "aio_bench: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static void summarize(int64_t *lat, long n, int64_t elapsed,
                      struct result *out) {
  qsort(lat, (size_t)n, sizeof *lat, cmp_i64);
  out->ops = n;
  out->ops_per_s = (double)n * 1e9 / (double)elapsed;
  out->p50_us = (double)lat[n / 2] / 1e3;
  out->p99_us = (double)lat[(n * 99) / 100] / 1e3;
}

/* The synchronous loop: one pread or pwrite per op. */
static void run_floor(const struct config *c, long n, int64_t *lat,
                      struct result *out) {
  static char buf[BLOCK] __attribute__((aligned(BLOCK)));
  memset(buf, 'w', sizeof buf);
  int64_t start = now_ns();
  for (long i = 0; i < n; ++i) {
    off_t off = random_offset();
    int64_t t0 = now_ns();
    ssize_t got = c->write ? pwrite(g_fd, buf, BLOCK, off)
                           : pread(g_fd, buf, BLOCK, off);
    lat[i] = now_ns() - t0;
    if (got != BLOCK) die("pread/pwrite");
  }
  summarize(lat, n, now_ns() - start, out);
}

/* QD requests in flight until n have completed. */
static void run_aio(const struct config *c, long n, int64_t *lat,
                    struct result *out) {
  static struct aiocb cbs[MAX_QD];
  static const struct aiocb *list[MAX_QD];
  static int64_t started[MAX_QD];
  static char *bufs[MAX_QD];
  int qd = c->qd;
  if (qd > n) qd = (int)n;
  long submitted = 0, done = 0;
  int64_t start = now_ns();
  for (int i = 0; i < qd; ++i) {
    if (!bufs[i] && posix_memalign((void **)&bufs[i], BLOCK, BLOCK) != 0)
      die("posix_memalign");
    memset(bufs[i], 'w', BLOCK);
  }
  for (int i = 0; i < qd; ++i) {
    struct aiocb *cb = &cbs[i];
    memset(cb, 0, sizeof *cb);
    cb->aio_fildes = g_fd;
    cb->aio_buf = bufs[i];
    cb->aio_nbytes = BLOCK;
    cb->aio_offset = random_offset();
    cb->aio_sigevent.sigev_notify = SIGEV_NONE;
    started[i] = now_ns();
    if ((c->write ? g_ops->aio_write(cb) : g_ops->aio_read(cb)) != 0)
      die("submit");
    list[i] = cb;
    submitted++;
  }
  while (done < n) {
    if (g_ops->aio_suspend(list, qd, NULL) != 0 && errno != EINTR)
      die("aio_suspend");
    for (int i = 0; i < qd; ++i) {
      struct aiocb *cb = &cbs[i];
      if (!list[i] || g_ops->aio_error(cb) == EINPROGRESS) continue;
      int64_t t = now_ns();
      lat[done++] = t - started[i];
      if (g_ops->aio_return(cb) != BLOCK) {
        errno = g_ops->aio_error(cb);
        die("aio completion");
      }
      if (submitted >= n) {
        list[i] = NULL;
        continue;
      }
      cb->aio_offset = random_offset();
      started[i] = now_ns();
      if ((c->write ? g_ops->aio_write(cb) : g_ops->aio_read(cb)) != 0)
        die("submit");
      submitted++;
    }
  }
  summarize(lat, n, now_ns() - start, out);
}

static void run(const struct config *c, long n, int64_t *lat,
                struct result *out) {
  if (c->floor)
    run_floor(c, n, lat, out);
  else
    run_aio(c, n, lat, out);
}

static void setup_file(const char *dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/aiospec-bench-%ld", dir, (long)getpid());
  g_fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (g_fd < 0) die(path);
  unlink(path);
  /* Real pages, not holes, so reads copy data. */
  static char chunk[1 << 20];
  memset(chunk, 'a', sizeof chunk);
  for (long off = 0; off < FILE_SIZE; off += (long)sizeof chunk)
    if (pwrite(g_fd, chunk, sizeof chunk, off) != (ssize_t)sizeof chunk)
      die("filling the file");
}

static int cmp_result(const void *a, const void *b) {
  double x = ((const struct result *)a)->ops_per_s;
  double y = ((const struct result *)b)->ops_per_s;
  return x < y ? -1 : x > y;
}

static void usage(void) {
  fprintf(stderr,
          "usage: aio_bench [-w read|write] [-q QD] [-s SECONDS] [-n OPS] "
          "[-r REPS] [-d DIR] [--floor]\n");
  exit(2);
}

int main(int argc, char **argv) {
  struct config c = {0, 1, 0.5, 0, 5, 0, NULL};
  c.dir = getenv("AIOSPEC_BENCH_DIR");
  if (!c.dir || !*c.dir) c.dir = "/dev/shm";
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--floor") == 0) {
      c.floor = 1;
      continue;
    }
    if (!v) usage();
    ++i;
    if (strcmp(a, "-w") == 0) {
      if (strcmp(v, "read") == 0)
        c.write = 0;
      else if (strcmp(v, "write") == 0)
        c.write = 1;
      else
        usage();
    } else if (strcmp(a, "-q") == 0) {
      c.qd = atoi(v);
    } else if (strcmp(a, "-s") == 0) {
      c.seconds = atof(v);
    } else if (strcmp(a, "-n") == 0) {
      c.fixed_ops = atol(v);
    } else if (strcmp(a, "-r") == 0) {
      c.reps = atoi(v);
    } else if (strcmp(a, "-d") == 0) {
      c.dir = v;
    } else {
      usage();
    }
  }
  if (c.qd < 1 || c.qd > MAX_QD || c.reps < 1 || c.reps > MAX_REPS ||
      c.seconds <= 0 || c.fixed_ops < 0)
    usage();
  if (c.floor) c.qd = 1;

  static struct aiospec_aio_ops ops;
  aiospec_bench_ops(&ops);
  g_ops = &ops;
  setup_file(c.dir);

  /* Warm-up: starts the implementation's threads, faults in the buffers,
   * and measures the rate that sizes the runs. */
  long warm = c.fixed_ops ? c.fixed_ops : 2000;
  int64_t *lat = malloc(sizeof *lat * (size_t)warm);
  if (!lat) die("malloc");
  struct result r;
  int64_t t0 = now_ns();
  run(&c, warm, lat, &r);
  double warm_s = (double)(now_ns() - t0) / 1e9;
  long n = c.fixed_ops;
  if (!n) {
    n = (long)((double)warm / warm_s * c.seconds);
    if (n < 1000) n = 1000;
    if (n > 20000000) n = 20000000;
    free(lat);
    lat = malloc(sizeof *lat * (size_t)n);
    if (!lat) die("malloc");
  }

  struct result results[MAX_REPS];
  for (int i = 0; i < c.reps; ++i) run(&c, n, lat, &results[i]);
  qsort(results, (size_t)c.reps, sizeof results[0], cmp_result);
  struct result *med = &results[c.reps / 2];
  printf("impl=%s workload=%s qd=%d ops=%ld ops_per_s=%.0f p50_us=%.2f "
         "p99_us=%.2f\n",
         c.floor ? "pread" : ops.name, c.write ? "write" : "read", c.qd,
         med->ops, med->ops_per_s, med->p50_us, med->p99_us);
  free(lat);
  ops.close(g_fd);
  return 0;
}
