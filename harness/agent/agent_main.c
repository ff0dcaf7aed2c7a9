/* The standalone agent: a trace in the wire format on stdin, the
 * observation log on stdout, one line at a time as each op finishes (a host
 * that kills a hung agent keeps every line written before the hang).
 *
 *   aiospec-agent-glibc [--work-dir DIR] < trace.wire > trace.log
 *
 * Exit status: 0 after `end completed`, 2 for malformed input or a usage
 * error, 1 when the work directory cannot be made. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/agent/agent.h"

/* The implementation this binary drives: libc_agent_ops.c for the linked C
 * library, bundled/bundled_agent_ops.c for the bundled implementation. */
void aiospec_agent_ops(struct aiospec_aio_ops *ops);

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return; /* the host went away: nothing left to tell it */
    p += w;
    n -= (size_t)w;
  }
}

/* One write per line, newline included, so lines never interleave. */
static void emit_stdout(void *ctx, const char *line, size_t len) {
  (void)ctx;
  char small[4096];
  if (len < sizeof small) {
    memcpy(small, line, len);
    small[len] = '\n';
    write_all(STDOUT_FILENO, small, len + 1);
    return;
  }
  write_all(STDOUT_FILENO, line, len);
  write_all(STDOUT_FILENO, "\n", 1);
}

static char *read_stdin(size_t *len) {
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (n == cap) {
      char *grown = realloc(buf, cap * 2);
      if (!grown) break;
      buf = grown;
      cap *= 2;
    }
    ssize_t got = read(STDIN_FILENO, buf + n, cap - n);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) break;
    if (got == 0) {
      *len = n;
      return buf;
    }
    n += (size_t)got;
  }
  free(buf);
  return NULL;
}

/* Removes the files the run may have left in its private directory. */
static void remove_work_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      char path[4096 + 256];
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      unlink(path);
    }
    closedir(d);
  }
  rmdir(dir);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--exec-probe") == 0) {
    _exit(aiospec_exec_probe(argc, argv));
  }
  const char *work_dir = NULL;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--work-dir") == 0 && i + 1 < argc) {
      work_dir = argv[++i];
    } else {
      fprintf(stderr, "usage: %s [--work-dir DIR] < wire > log\n", argv[0]);
      _exit(2);
    }
  }
  size_t len = 0;
  char *wire = read_stdin(&len);
  if (!wire) {
    fprintf(stderr, "aiospec agent: cannot read stdin\n");
    _exit(2);
  }
  char made[4096];
  int own_dir = 0;
  if (!work_dir) {
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) tmp = "/tmp";
    snprintf(made, sizeof made, "%s/aiospec-agent.XXXXXX", tmp);
    if (!mkdtemp(made)) {
      fprintf(stderr, "aiospec agent: mkdtemp %s: %s\n", made, strerror(errno));
      _exit(1);
    }
    work_dir = made;
    own_dir = 1;
  }
  struct aiospec_aio_ops ops;
  aiospec_agent_ops(&ops);
  int rc = aiospec_agent_run(&ops, wire, len, work_dir, emit_stdout, NULL);
  if (own_dir) remove_work_dir(work_dir);
  /* _exit: requests leaked by a misbehaving library must not run exit-time
   * code (stdio flush, atexit) against memory they may still use. */
  _exit(rc == 0 ? 0 : 2);
}
