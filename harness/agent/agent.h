/* The agent: executes one trace against the AIO functions of a C library and
 * writes the observation log (harness/observation/observation.h, text
 * format) as it goes.
 *
 * It is plain C99 plus POSIX, so the same source builds with gcc against
 * glibc, with musl-gcc (static) against musl, and with a cross compiler for
 * a libc port run under qemu-user. It never uses the C++ runtime.
 *
 * The host sends the trace in the wire format (harness/agent/wire.h says
 * how, harness/agent/wire_encode.h makes it); the agent answers with log
 * lines. The AIO entry points come through struct aiospec_aio_ops, so the
 * same executor drives the system libc or the bundled implementation.
 *
 * Usage (in-process):
 *   struct aiospec_aio_ops ops;
 *   aiospec_libc_aio_ops(&ops);
 *   aiospec_agent_run(&ops, wire, wire_len, "/tmp/aiospec.XXXX", emit, ctx);
 */
#ifndef AIOSPEC_HARNESS_AGENT_AGENT_H_
#define AIOSPEC_HARNESS_AGENT_AGENT_H_

#include <aio.h>
#include <stddef.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

struct aiospec_aio_ops {
  const char *name; /* "glibc", "musl", "bundled": the `target` log line */
  int (*aio_read)(struct aiocb *);
  int (*aio_write)(struct aiocb *);
  int (*aio_fsync)(int, struct aiocb *);
  int (*aio_error)(const struct aiocb *);
  ssize_t (*aio_return)(struct aiocb *);
  int (*aio_cancel)(int, struct aiocb *);
  int (*aio_suspend)(const struct aiocb *const[], int, const struct timespec *);
  int (*lio_listio)(int, struct aiocb *const[], int, struct sigevent *);
  /* Descriptor calls the implementation may need to intercept. */
  int (*close)(int);
  int (*dup2)(int, int);
};

/* Fills *ops with the linked C library's functions. */
void aiospec_libc_aio_ops(struct aiospec_aio_ops *ops);

/* Receives each log line (without the newline). */
typedef void (*aiospec_emit_fn)(void *ctx, const char *line, size_t len);

/* Runs the wire-format trace. Files are created under work_dir, which must
 * exist. Returns 0 after `end completed`, or -1 if the wire text is
 * malformed (after emitting a `# error:` comment line). */
int aiospec_agent_run(const struct aiospec_aio_ops *ops, const char *wire,
                      size_t wire_len, const char *work_dir,
                      aiospec_emit_fn emit, void *ctx);

/* The probe a `proc exec` child execs (the standalone agent run as
 *   AGENT --exec-probe GO_FD REPORT_FD BUF_ADDR BUF_LEN SIGNO
 * by op_proc_exec, never by hand). Returns the exit status. */
int aiospec_exec_probe(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif /* AIOSPEC_HARNESS_AGENT_AGENT_H_ */
