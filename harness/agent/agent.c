/* The agent's executor: parses the wire format (wire.h), runs each op
 * against struct aiospec_aio_ops, and emits the observation log.
 *
 * Memory handed to the C library (aiocbs, their buffers, lio_listio lists
 * and sigevents) is never freed or reused while a request on it may be in
 * flight: an aiocb handle's memory is reused only when the trace has seen
 * its last request finish; otherwise the handle gets fresh memory and the
 * old one stays until the end, where it is freed only if its request is
 * known done (else it is leaked on purpose).
 *
 * Nothing here blocks on a descriptor an AIO worker may also be using:
 * fill/drain/write use private non-blocking open file descriptions of pipes
 * (/proc/self/fd/N) and MSG_DONTWAIT on sockets.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "harness/agent/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/agent/hold.h"
#include "harness/agent/log_text.h"
#include "harness/agent/notify.h"
#include "harness/agent/wire.h"
#include "harness/agent/workers.h"

#ifndef PIPE_BUF
#define PIPE_BUF 4096
#endif
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

enum {
  kMaxTableSize = 1 << 20,
  kMaxOps = 1 << 24,
  kMaxObservedBytes = 64 << 20, /* drain and readback stop here */
  kCleanupMillis = 2000,
  kStragglerMillis = 200,
  kWaitSliceMillis = 100,
  kChildReportMillis = 5000, /* a forked child answers within this */
  kMaxStragglers = 64        /* proc exit children not yet reaped */
};

/* ------------------------------------------------------------------------ */
/* Wire parsing                                                             */

struct span {
  const char *p;
  size_t n;
};

/* A request: REQ of wire.h, plus the LIO_OP of a lio_listio element and
 * the LIO_OPCODE of aio_read/aio_write/aio_fsync. */
struct wire_req {
  int lio_op;
  int set_opcode;   /* LIO_OPCODE given: store it in aio_lio_opcode */
  int opcode_name;  /* AIOSPEC_WIRE_LIO_READ/WRITE/NOP/NUMBER */
  int opcode_value; /* AIOSPEC_WIRE_LIO_NUMBER: the value */
  int cb, fd;
  long long offset, nbytes;
  int reqprio, notify_kind, notify_value;
  int notify_rt; /* SIGEV_SIGNAL: SIGRTMIN+notify_rt */
  struct span data; /* hex */
};

struct wire_op {
  int code;
  int run;    /* 0, or AIOSPEC_WIRE_RUN_ON/START: a prefix `25 RUN T` */
  int thread; /* run: the thread */
  long long a[5];
  struct span hex;
  struct wire_req req;
  int count;
  int *cbs;               /* aio_suspend, wait */
  struct wire_req *elems; /* lio_listio */
};

struct cursor {
  const char *p, *end;
};

struct tables {
  int files, fds, cbs;
};

static int at_token_end(const struct cursor *c) {
  return c->p >= c->end || *c->p == ' ';
}

/* " <decimal>" */
static int tok_int(struct cursor *c, long long *out) {
  if (c->p >= c->end || *c->p != ' ') return -1;
  ++c->p;
  int neg = 0;
  if (c->p < c->end && *c->p == '-') {
    neg = 1;
    ++c->p;
  }
  unsigned long long v = 0;
  const char *digits = c->p;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
    if (v > (ULLONG_MAX - 9) / 10) return -1;
    v = v * 10 + (unsigned)(*c->p - '0');
    ++c->p;
  }
  if (c->p == digits || !at_token_end(c)) return -1;
  if (v > (unsigned long long)LLONG_MAX + (unsigned)neg) return -1;
  *out = neg ? (long long)(0 - v) : (long long)v;
  return 0;
}

static int tok_int_in(struct cursor *c, int *out, long long lo, long long hi) {
  long long v;
  if (tok_int(c, &v) != 0 || v < lo || v > hi) return -1;
  *out = (int)v;
  return 0;
}

/* 1 for a lowercase hex digit. A table, and eight digits checked per step,
 * because payloads of up to 64 KiB (128 Ki digits) are scanned twice and
 * decoded on every in-process fuzz run. */
static const unsigned char kIsHexDigit[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
    ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1,
    ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1};

/* " -" or " <lowercase hex, even length>" */
static int tok_hex(struct cursor *c, struct span *out) {
  if (c->p >= c->end || *c->p != ' ') return -1;
  ++c->p;
  const char *start = c->p;
  if (c->p < c->end && *c->p == '-') {
    ++c->p;
    out->p = start;
    out->n = 0;
    return at_token_end(c) ? 0 : -1;
  }
  const unsigned char *q = (const unsigned char *)c->p;
  const unsigned char *end = (const unsigned char *)c->end;
  while (end - q >= 8 &&
         (kIsHexDigit[q[0]] & kIsHexDigit[q[1]] & kIsHexDigit[q[2]] &
          kIsHexDigit[q[3]] & kIsHexDigit[q[4]] & kIsHexDigit[q[5]] &
          kIsHexDigit[q[6]] & kIsHexDigit[q[7]])) {
    q += 8;
  }
  while (q < end && kIsHexDigit[*q]) ++q;
  c->p = (const char *)q;
  size_t n = (size_t)(c->p - start);
  if (n == 0 || n % 2 != 0 || !at_token_end(c)) return -1;
  out->p = start;
  out->n = n;
  return 0;
}

static size_t hex_bytes(struct span s) { return s.n / 2; }

/* Of a digit tok_hex accepted: '0'-'9' are 0x30-0x39, 'a'-'f' 0x61-0x66.
 * Arithmetic, not a lookup, so the loop vectorizes. */
static unsigned hex_value(unsigned char c) { return (c & 0xf) + 9 * (c >> 6); }

static void hex_decode(struct span s, unsigned char *out) {
  const unsigned char *p = (const unsigned char *)s.p;
  for (size_t i = 0; i < s.n / 2; ++i) {
    out[i] = (unsigned char)(hex_value(p[2 * i]) << 4 | hex_value(p[2 * i + 1]));
  }
}

static int fd_arg(struct cursor *c, const struct tables *t, int *out,
                  int allow_bad) {
  if (tok_int_in(c, out, AIOSPEC_WIRE_BADFD, t->fds - 1) != 0) return -1;
  if (*out == AIOSPEC_WIRE_BADFD && !allow_bad) return -1;
  if (*out == AIOSPEC_WIRE_NULL) return -1;
  return 0;
}

static int cb_arg(struct cursor *c, const struct tables *t, int *out,
                  int allow_null) {
  if (tok_int_in(c, out, AIOSPEC_WIRE_NULL, t->cbs - 1) != 0) return -1;
  return *out == AIOSPEC_WIRE_NULL && !allow_null ? -1 : 0;
}

/* NOTIFY_KIND: the kind, and for a signal its SIGRTMIN offset above it. */
static int tok_notify(struct cursor *c, struct wire_req *r) {
  int v;
  if (tok_int_in(c, &v, 0, AIOSPEC_WIRE_NOTIFY_RT_MAX << 4 | 15) != 0) {
    return -1;
  }
  r->notify_kind = v & 15;
  r->notify_rt = v >> 4;
  if (r->notify_kind > AIOSPEC_WIRE_NOTIFY_THREAD) return -1;
  if (r->notify_kind != AIOSPEC_WIRE_NOTIFY_SIGNAL) return r->notify_rt ? -1 : 0;
  if (r->notify_rt == 0) r->notify_rt = 1;
  return aiospec_notify_rt_valid(r->notify_rt) ? 0 : -1;
}

static int parse_req(struct cursor *c, const struct tables *t,
                     struct wire_req *r, int is_write) {
  long long v;
  if (cb_arg(c, t, &r->cb, 0) != 0) return -1;
  /* A lio `nop` may leave fd unset (NULL handle): the agent passes -1. */
  if (tok_int(c, &v) != 0 || v < AIOSPEC_WIRE_BADFD || v >= t->fds) return -1;
  r->fd = (int)v;
  if (r->fd == AIOSPEC_WIRE_NULL && r->lio_op != AIOSPEC_WIRE_LIO_NOP) {
    return -1;
  }
  if (tok_int(c, &r->offset) != 0 || tok_int(c, &r->nbytes) != 0) return -1;
  if (tok_int_in(c, &r->reqprio, INT_MIN, INT_MAX) != 0) return -1;
  if (tok_notify(c, r) != 0) return -1;
  if (tok_int_in(c, &r->notify_value, INT32_MIN, INT32_MAX) != 0) return -1;
  if (tok_hex(c, &r->data) != 0) return -1;
  if (!is_write && r->data.n != 0) return -1;
  if (hex_bytes(r->data) > AIOSPEC_WIRE_MAX_PAYLOAD) return -1;
  return 0;
}

/* The optional LIO_OPCODE at the end of aio_read/aio_write/aio_fsync. */
static int parse_lio_opcode(struct cursor *c, struct wire_req *r) {
  if (c->p >= c->end) return 0;
  r->set_opcode = 1;
  if (tok_int_in(c, &r->opcode_name, AIOSPEC_WIRE_LIO_READ,
                 AIOSPEC_WIRE_LIO_NUMBER) != 0 ||
      r->opcode_name == AIOSPEC_WIRE_LIO_NULL) {
    return -1;
  }
  return tok_int_in(c, &r->opcode_value, INT32_MIN, INT32_MAX);
}

static int parse_cb_list(struct cursor *c, const struct tables *t,
                         struct wire_op *op, int allow_null) {
  if (tok_int_in(c, &op->count, 0, kMaxTableSize) != 0) return -1;
  op->cbs = calloc((size_t)op->count + 1, sizeof *op->cbs);
  if (!op->cbs) return -1;
  for (int i = 0; i < op->count; ++i) {
    if (cb_arg(c, t, &op->cbs[i], allow_null) != 0) return -1;
  }
  return 0;
}

static void free_op(struct wire_op *op) {
  free(op->cbs);
  free(op->elems);
  op->cbs = NULL;
  op->elems = NULL;
}

/* The opcode at c (the argument parsers want a leading space, so it is read
 * by hand), or -1. */
static long long read_opcode(struct cursor *c) {
  const char *start = c->p;
  long long code = 0;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && code < 1000) {
    code = code * 10 + (*c->p - '0');
    ++c->p;
  }
  return c->p == start || !at_token_end(c) ? -1 : code;
}

/* Parses one op line [p, end). Returns 0, or -1 with *why set. */
static int parse_op(const char *p, const char *end, const struct tables *t,
                    struct wire_op *op, const char **why) {
  memset(op, 0, sizeof *op);
  struct cursor c = {p, end};
  long long code = read_opcode(&c);
  if (code < 0) {
    *why = "bad opcode";
    return -1;
  }
  *why = "bad arguments";
  int v;
  if (code == AIOSPEC_WIRE_ON) {
    if (tok_int_in(&c, &op->run, AIOSPEC_WIRE_RUN_ON,
                   AIOSPEC_WIRE_RUN_START) != 0 ||
        tok_int_in(&c, &op->thread, 0, AIOSPEC_WIRE_MAX_THREADS - 1) != 0 ||
        c.p == end || *c.p != ' ') {
      return -1;
    }
    ++c.p;
    code = read_opcode(&c);
    if ((code < AIOSPEC_WIRE_AIO_READ || code > AIOSPEC_WIRE_LIO_LISTIO) &&
        !(code == AIOSPEC_WIRE_SIGMASK && op->run == AIOSPEC_WIRE_RUN_ON)) {
      *why = "only an AIO call or sigmask runs on a thread";
      return -1;
    }
  }
  op->code = (int)code;
  switch (code) {
    case AIOSPEC_WIRE_FILE:
      if (tok_int_in(&c, &v, 0, t->files - 1) != 0) return -1;
      op->a[0] = v;
      if (tok_hex(&c, &op->hex) != 0) return -1;
      break;
    case AIOSPEC_WIRE_PIPE:
    case AIOSPEC_WIRE_SOCKETPAIR:
    case AIOSPEC_WIRE_DUP:
    case AIOSPEC_WIRE_DUP2:
      /* Two descriptors; only the source of dup (second) and of dup2
       * (first) may be badfd. */
      if (fd_arg(&c, t, &v, code == AIOSPEC_WIRE_DUP2) != 0) return -1;
      op->a[0] = v;
      if (fd_arg(&c, t, &v, code == AIOSPEC_WIRE_DUP) != 0) return -1;
      op->a[1] = v;
      if (op->a[0] == op->a[1] && code != AIOSPEC_WIRE_DUP2) return -1;
      break;
    case AIOSPEC_WIRE_OPEN:
      if (fd_arg(&c, t, &v, 0) != 0) return -1;
      op->a[0] = v;
      if (tok_int_in(&c, &v, 0, t->files - 1) != 0) return -1;
      op->a[1] = v;
      if (tok_int_in(&c, &v, 0, 63) != 0) return -1;
      op->a[2] = v;
      break;
    case AIOSPEC_WIRE_CLOSE:
    case AIOSPEC_WIRE_FILL:
      if (fd_arg(&c, t, &v, 1) != 0) return -1;
      op->a[0] = v;
      break;
    case AIOSPEC_WIRE_AIO_READ:
    case AIOSPEC_WIRE_AIO_WRITE:
      op->req.lio_op = code == AIOSPEC_WIRE_AIO_READ ? AIOSPEC_WIRE_LIO_READ
                                                     : AIOSPEC_WIRE_LIO_WRITE;
      if (parse_req(&c, t, &op->req, code == AIOSPEC_WIRE_AIO_WRITE) != 0 ||
          parse_lio_opcode(&c, &op->req) != 0) {
        return -1;
      }
      break;
    case AIOSPEC_WIRE_AIO_FSYNC:
      if (cb_arg(&c, t, &v, 0) != 0) return -1;
      op->a[0] = v;
      if (fd_arg(&c, t, &v, 1) != 0) return -1;
      op->a[1] = v;
      if (tok_int_in(&c, &v, AIOSPEC_WIRE_FSYNC_SYNC,
                     AIOSPEC_WIRE_FSYNC_INVALID) != 0) {
        return -1;
      }
      op->a[2] = v;
      if (tok_notify(&c, &op->req) != 0 ||
          tok_int_in(&c, &op->req.notify_value, INT32_MIN, INT32_MAX) != 0 ||
          parse_lio_opcode(&c, &op->req) != 0) {
        return -1;
      }
      break;
    case AIOSPEC_WIRE_AIO_ERROR:
      if (cb_arg(&c, t, &v, 0) != 0) return -1;
      op->a[0] = v;
      break;
    case AIOSPEC_WIRE_AIO_RETURN:
      if (cb_arg(&c, t, &v, 0) != 0) return -1;
      op->a[0] = v;
      if (tok_int_in(&c, &v, 0, 1) != 0) return -1;
      op->a[1] = v;
      break;
    case AIOSPEC_WIRE_AIO_SUSPEND:
    case AIOSPEC_WIRE_WAIT:
      /* TIMEOUT: a[1] bit 0 for none (WAIT: bit 1 for until=notified),
       * a[0] = nanoseconds. */
      if (tok_int(&c, &op->a[1]) != 0 || op->a[1] < 0 ||
          op->a[1] > (code == AIOSPEC_WIRE_WAIT ? 3 : 1) ||
          tok_int(&c, &op->a[0]) != 0) {
        return -1;
      }
      if (parse_cb_list(&c, t, op, code == AIOSPEC_WIRE_AIO_SUSPEND) != 0) {
        return -1;
      }
      break;
    case AIOSPEC_WIRE_AIO_CANCEL:
      if (fd_arg(&c, t, &v, 1) != 0) return -1;
      op->a[0] = v;
      if (cb_arg(&c, t, &v, 1) != 0) return -1;
      op->a[1] = v;
      break;
    case AIOSPEC_WIRE_LIO_LISTIO:
      if (tok_int_in(&c, &v, 0, 1) != 0) return -1;
      op->a[0] = v;
      if (tok_notify(&c, &op->req) != 0 ||
          tok_int_in(&c, &op->req.notify_value, INT32_MIN, INT32_MAX) != 0) {
        return -1;
      }
      if (tok_int_in(&c, &op->count, 0, kMaxTableSize) != 0) return -1;
      op->elems = calloc((size_t)op->count + 1, sizeof *op->elems);
      if (!op->elems) return -1;
      for (int i = 0; i < op->count; ++i) {
        struct wire_req *e = &op->elems[i];
        if (tok_int_in(&c, &e->lio_op, AIOSPEC_WIRE_LIO_READ,
                       AIOSPEC_WIRE_LIO_NULL) != 0) {
          return -1;
        }
        if (e->lio_op == AIOSPEC_WIRE_LIO_NULL) {
          /* Placeholder fields: seven integers and `-`. */
          long long ignored;
          for (int k = 0; k < 7; ++k) {
            if (tok_int(&c, &ignored) != 0) return -1;
          }
          if (tok_hex(&c, &e->data) != 0) return -1;
          continue;
        }
        if (parse_req(&c, t, e, e->lio_op == AIOSPEC_WIRE_LIO_WRITE) != 0) {
          return -1;
        }
      }
      break;
    case AIOSPEC_WIRE_DRAIN:
      if (fd_arg(&c, t, &v, 1) != 0) return -1;
      op->a[0] = v;
      if (tok_int(&c, &op->a[1]) != 0 || op->a[1] < -1) return -1;
      break;
    case AIOSPEC_WIRE_WRITE:
      if (fd_arg(&c, t, &v, 1) != 0) return -1;
      op->a[0] = v;
      if (tok_hex(&c, &op->hex) != 0) return -1;
      if (hex_bytes(op->hex) > AIOSPEC_WIRE_MAX_PAYLOAD) return -1;
      break;
    case AIOSPEC_WIRE_READBACK:
      if (tok_int_in(&c, &v, 0, t->files - 1) != 0) return -1;
      op->a[0] = v;
      break;
    case AIOSPEC_WIRE_STORM: {
      /* a[0] on, a[1] rate, a[2] calls; cbs[0, count) watched, then
       * cbs[count, count + a[3]) the ones the handler returns. */
      if (tok_int_in(&c, &v, 0, 1) != 0) return -1;
      op->a[0] = v;
      if (tok_int_in(&c, &v, 0, AIOSPEC_WIRE_STORM_MAX_RATE) != 0) return -1;
      op->a[1] = v;
      if (tok_int_in(&c, &v, 0, 3) != 0) return -1;
      op->a[2] = v;
      if (tok_int_in(&c, &op->count, 0, AIOSPEC_STORM_MAX_CBS) != 0) return -1;
      op->cbs = calloc(2 * (size_t)op->count + 1, sizeof *op->cbs);
      if (!op->cbs) return -1;
      for (int i = 0; i < op->count; ++i) {
        if (cb_arg(&c, t, &op->cbs[i], 0) != 0) return -1;
      }
      if (tok_int_in(&c, &v, 0, op->count) != 0) return -1;
      op->a[3] = v;
      for (int i = 0; i < v; ++i) {
        if (cb_arg(&c, t, &op->cbs[op->count + i], 0) != 0) return -1;
      }
      /* a[4]: the descriptor handle the handler closes, or NULL. */
      if (tok_int_in(&c, &v, AIOSPEC_WIRE_NULL, t->fds - 1) != 0) return -1;
      op->a[4] = v;
      if (op->a[0] && (op->a[1] < 1 || op->count < 1)) return -1;
      break;
    }
    case AIOSPEC_WIRE_PROC:
      /* a[0] kind; cbs[0, count) watched (fork); exit: a[1] write, req. */
      if (tok_int_in(&c, &v, AIOSPEC_WIRE_PROC_FORK, AIOSPEC_WIRE_PROC_EXEC) !=
          0) {
        return -1;
      }
      op->a[0] = v;
      if (parse_cb_list(&c, t, op, 0) != 0) return -1;
      if (v == AIOSPEC_WIRE_PROC_FORK) {
        /* a[1]: the fd the child cancels (aio_cancel(fd, NULL)), or NULL. */
        if (tok_int_in(&c, &v, AIOSPEC_WIRE_NULL, t->fds - 1) != 0) return -1;
        op->a[1] = v;
        break;
      }
      if (v != AIOSPEC_WIRE_PROC_EXIT && v != AIOSPEC_WIRE_PROC_EXEC) break;
      if (tok_int_in(&c, &v, 0, 1) != 0) return -1;
      op->a[1] = v;
      op->req.lio_op = v ? AIOSPEC_WIRE_LIO_WRITE : AIOSPEC_WIRE_LIO_READ;
      if (parse_req(&c, t, &op->req, v) != 0) return -1;
      if (op->req.fd < 0) return -1;
      break;
    case AIOSPEC_WIRE_HOLD:
      /* a[0] release, a[1] fd, a[2] count, a[3] nanos; req.notify_kind the
       * injected error, count all. */
      if (tok_int_in(&c, &v, 0, 1) != 0) return -1;
      op->a[0] = v;
      if (fd_arg(&c, t, &v, 0) != 0) return -1;
      op->a[1] = v;
      if (tok_int_in(&c, &v, 1, AIOSPEC_WIRE_HOLD_MAX_COUNT) != 0) return -1;
      op->a[2] = v;
      if (tok_int(&c, &op->a[3]) != 0 || op->a[3] < 0) return -1;
      if (tok_int_in(&c, &op->req.notify_kind, AIOSPEC_WIRE_HOLD_RUN,
                     AIOSPEC_WIRE_HOLD_ENOSPC) != 0 ||
          tok_int_in(&c, &op->count, 0, 1) != 0) {
        return -1;
      }
      break;
    case AIOSPEC_WIRE_THREAD:
      /* a[0] the kind, a[1] the thread */
      if (tok_int_in(&c, &v, AIOSPEC_WIRE_THREAD_CREATE,
                     AIOSPEC_WIRE_THREAD_EXIT) != 0) {
        return -1;
      }
      op->a[0] = v;
      if (tok_int_in(&c, &v, 0, AIOSPEC_WIRE_MAX_THREADS - 1) != 0) return -1;
      op->a[1] = v;
      if (op->a[0] == AIOSPEC_WIRE_THREAD_CREATE &&
          tok_hex(&c, &op->hex) != 0) {
        return -1;
      }
      break;
    case AIOSPEC_WIRE_SIGMASK:
      /* a[0] block; count and cbs: the SIGRTMIN offsets */
      if (tok_int_in(&c, &v, 0, 1) != 0) return -1;
      op->a[0] = v;
      if (tok_int_in(&c, &op->count, 1, AIOSPEC_WIRE_NOTIFY_RT_MAX) != 0) {
        return -1;
      }
      op->cbs = calloc((size_t)op->count, sizeof *op->cbs);
      if (!op->cbs) {
        *why = "out of memory";
        return -1;
      }
      for (int i = 0; i < op->count; ++i) {
        if (tok_int_in(&c, &op->cbs[i], 1, AIOSPEC_WIRE_NOTIFY_RT_MAX) != 0 ||
            !aiospec_notify_rt_valid(op->cbs[i])) {
          return -1;
        }
      }
      break;
    default:
      *why = "unknown opcode";
      return -1;
  }
  if (c.p != end) {
    *why = "unexpected text after the arguments";
    return -1;
  }
  return 0;
}

/* Splits the wire text into lines; *line and *line_end are the next one. */
static int next_line(struct cursor *c, const char **line,
                     const char **line_end) {
  if (c->p >= c->end) return 0;
  const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
  *line = c->p;
  *line_end = nl ? nl : c->end;
  c->p = nl ? nl + 1 : c->end;
  return 1;
}

/* ------------------------------------------------------------------------ */
/* Execution state                                                          */

struct request {
  struct aiocb *cb;
  unsigned char *buf;
  size_t buf_len;
  int buf_mapped; /* buf is mmap'd pages (map_request_buf), not malloc'd */
  int done;    /* known not in flight: memory may be reused or freed */
  int is_read; /* aio_return reports data */
  /* What aio_fildes named at submission (inode, access mode): at cleanup a
   * number that now names something else (closed, then reused by dup or
   * open) is not "in use" by this request. */
  ino_t fd_ino;
  int fd_acc;
  unsigned notify_mark; /* the notify log's position at submission */
  int refused; /* its aio_read/aio_write/aio_fsync failed: no notification owed */
};

/* Records what cb->aio_fildes names now; -1/-1 when it names nothing. */
static void note_fd_identity(struct request *r) {
  struct stat st;
  int fd = r->cb->aio_fildes;
  int acc = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
  if (fd < 0 || acc < 0 || fstat(fd, &st) != 0) {
    r->fd_ino = (ino_t)-1;
    r->fd_acc = -1;
    return;
  }
  r->fd_ino = st.st_ino;
  r->fd_acc = acc & O_ACCMODE;
}

/* A trace thread (workers.h): its worker, and the op it was given with
 * the call made of it, owned by the slot until the op's record is
 * written (`on`: at once; `start`: at `await`). */
struct thread_slot {
  struct aiospec_worker w;
  char name[64]; /* the trace's name for it (notify records say it) */
  int index;
  int alive;     /* created, not ended */
  int busy;      /* holds op and call */
  int abandoned; /* did not end when asked: never touched again */
  struct wire_op op;
  struct call *call;
};

struct agent {
  const struct aiospec_aio_ops *ops;
  const char *work_dir;
  aiospec_emit_fn emit;
  void *ctx;
  struct tables t;
  int *fd_num;       /* per descriptor handle: the number, or -1 if closed */
  char *file_made;   /* per file handle: created by the trace */
  int *cb_req;       /* per aiocb handle: index into reqs, or -1 */
  struct request *reqs;
  size_t nreqs, reqs_cap;
  void **deferred; /* lio lists and sigevents: freed at the end if safe */
  size_t ndeferred, deferred_cap;
  struct aiospec_line line;
  unsigned expected_notifications;
  int storm_cbs; /* the storm that is on: its watched aiocb handles */
  int storm_cb[AIOSPEC_STORM_MAX_CBS];
  unsigned storm_calls;
  /* The `proc fork` child until `proc join` (0: none), and its pipes. */
  pid_t child;
  int child_go, child_report;
  int child_ready;    /* 0: a proc exec probe that has not answered yet */
  int child_cancels;  /* the `proc fork` child reports an aio_cancel */
  int child_exec_err; /* proc exec: why the probe cannot report, or 0 */
  pid_t stragglers[kMaxStragglers]; /* proc exit children still exiting */
  int nstragglers;
  int last_op;
  int oom;
  int hold_err; /* why holds are unavailable (errno), 0 if they work */
  struct thread_slot *threads; /* per trace thread (AIOSPEC_WIRE_MAX_THREADS) */
  int name_threads; /* threads or masks in the trace: records say thread= */
};

static void emit_line(struct agent *ag) {
  if (ag->line.oom) {
    static const char kMsg[] = "# error: out of memory formatting a line";
    ag->emit(ag->ctx, kMsg, sizeof kMsg - 1);
    aiospec_line_clear(&ag->line);
    return;
  }
  ag->emit(ag->ctx, ag->line.text ? ag->line.text : "", ag->line.len);
  aiospec_line_clear(&ag->line);
}

static void emit_text(struct agent *ag, const char *text) {
  aiospec_line_clear(&ag->line);
  aiospec_line_puts(&ag->line, text);
  emit_line(ag);
}

static int64_t now_millis(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_nanos(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_millis(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* Polls that usually succeed within microseconds (cleanup, stragglers)
 * sleep 10 us first and double up to 2 ms: a fixed 1-2 ms sleep was most of
 * an in-process fuzz input's time, and a first nap of 50 us mostly idled
 * (in process the timer slack is 1 ns: inproc_target.cc). */
struct backoff {
  long nanos;
};

static void backoff_sleep(struct backoff *b) {
  if (b->nanos == 0) b->nanos = 10000;
  struct timespec ts = {0, b->nanos};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
  if (b->nanos < 2000000) b->nanos *= 2;
}

static int resolve_fd(const struct agent *ag, int handle) {
  if (handle < 0) return -1; /* badfd, or an unset nop fd */
  return ag->fd_num[handle];
}

static void file_path(const struct agent *ag, int file, char *out, size_t n) {
  snprintf(out, n, "%s/f%d", ag->work_dir, file);
}

static int defer_free(struct agent *ag, void *p) {
  if (ag->ndeferred == ag->deferred_cap) {
    size_t cap = ag->deferred_cap ? 2 * ag->deferred_cap : 16;
    void **d = realloc(ag->deferred, cap * sizeof *d);
    if (!d) return -1;
    ag->deferred = d;
    ag->deferred_cap = cap;
  }
  ag->deferred[ag->ndeferred++] = p;
  return 0;
}

static void free_request_buf(struct request *r) {
  if (r->buf_mapped) {
    munmap(r->buf, r->buf_len);
  } else {
    free(r->buf);
  }
  r->buf = NULL;
  r->buf_mapped = 0;
}

/* Moves a request's buffer to pages of its own, outside the allocator's
 * arena: `proc exec` needs an address the new image leaves free, and a
 * sanitizer's allocator reserves its arena at the same place in every image.
 * Returns 0, or -1 when out of memory. */
static int map_request_buf(struct request *r) {
  if (r->buf_mapped) return 0;
  void *pages = mmap(NULL, r->buf_len, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED) return -1;
  memcpy(pages, r->buf, r->buf_len);
  free(r->buf);
  r->buf = pages;
  r->buf_mapped = 1;
  r->cb->aio_buf = pages;
  return 0;
}

/* A request slot for aiocb handle `cb` with a buffer of at least `need`
 * bytes; reuses the handle's memory only if its last request is done.
 * Returns the index into ag->reqs, or -1 when out of memory. */
static int prepare_request(struct agent *ag, int cb, size_t need) {
  if (need == 0) need = 1;
  int cur = ag->cb_req[cb];
  if (cur >= 0 && ag->reqs[cur].done) {
    struct request *r = &ag->reqs[cur];
    aiospec_notify_untrack_cb(r->cb);
    if (r->buf_len < need) {
      unsigned char *buf = malloc(need);
      if (!buf) return -1;
      free_request_buf(r);
      r->buf = buf;
      r->buf_len = need;
    }
    memset(r->cb, 0, sizeof *r->cb);
    r->done = 0;
    r->is_read = 0;
    r->refused = 0;
    r->notify_mark = aiospec_notify_mark();
    return cur;
  }
  if (ag->nreqs == ag->reqs_cap) {
    size_t cap = ag->reqs_cap ? 2 * ag->reqs_cap : 16;
    struct request *reqs = realloc(ag->reqs, cap * sizeof *reqs);
    if (!reqs) return -1;
    ag->reqs = reqs;
    ag->reqs_cap = cap;
  }
  struct request r;
  memset(&r, 0, sizeof r);
  r.notify_mark = aiospec_notify_mark();
  r.cb = calloc(1, sizeof *r.cb);
  r.buf = malloc(need);
  if (!r.cb || !r.buf) {
    free(r.cb);
    free(r.buf);
    return -1;
  }
  r.buf_len = need;
  ag->reqs[ag->nreqs] = r;
  ag->cb_req[cb] = (int)ag->nreqs;
  return (int)ag->nreqs++;
}

/* The aiocb of a handle for a query (aio_error, aio_return, aio_suspend,
 * aio_cancel, wait); a handle never submitted gets a zeroed aiocb. */
static struct aiocb *query_cb(struct agent *ag, int cb) {
  if (ag->cb_req[cb] < 0) {
    int idx = prepare_request(ag, cb, 1);
    if (idx < 0) return NULL;
    ag->reqs[idx].done = 1;
  }
  return ag->reqs[ag->cb_req[cb]].cb;
}

static void set_sigevent(struct sigevent *se, int kind, int rt, int value) {
  memset(se, 0, sizeof *se);
  switch (kind) {
    case AIOSPEC_WIRE_NOTIFY_SIGNAL:
      se->sigev_notify = SIGEV_SIGNAL;
      se->sigev_signo = SIGRTMIN + rt;
      break;
    case AIOSPEC_WIRE_NOTIFY_THREAD:
      se->sigev_notify = SIGEV_THREAD;
      se->sigev_notify_function = aiospec_notify_thread_fn;
      se->sigev_notify_attributes = NULL;
      break;
    default:
      se->sigev_notify = SIGEV_NONE;
      break;
  }
  se->sigev_value.sival_int = value;
}

/* The aio_lio_opcode value of a request: its LIO_OPCODE when the trace set
 * one (aio_read, aio_write and aio_fsync must ignore it: AIO-GEN-19), else
 * `dflt`. */
static int lio_opcode_of(const struct wire_req *w, int dflt) {
  if (!w->set_opcode) return dflt;
  switch (w->opcode_name) {
    case AIOSPEC_WIRE_LIO_READ: return LIO_READ;
    case AIOSPEC_WIRE_LIO_WRITE: return LIO_WRITE;
    case AIOSPEC_WIRE_LIO_NOP: return LIO_NOP;
    default: return w->opcode_value;
  }
}

/* Fills the aiocb of a read/write/nop request. Returns the request index,
 * or -1 when out of memory. *track is the notify table slot (or -1). */
static int setup_io(struct agent *ag, const struct wire_req *w, int *track) {
  *track = -1;
  size_t need = 1;
  if (w->nbytes > 0) {
    need = w->nbytes > AIOSPEC_WIRE_MAX_PAYLOAD ? AIOSPEC_WIRE_MAX_PAYLOAD
                                                : (size_t)w->nbytes;
  }
  int idx = prepare_request(ag, w->cb, need);
  if (idx < 0) return -1;
  struct request *r = &ag->reqs[idx];
  if (w->lio_op == AIOSPEC_WIRE_LIO_WRITE) {
    memset(r->buf, 0, r->buf_len);
    size_t n = hex_bytes(w->data);
    if (n > r->buf_len) n = r->buf_len;
    hex_decode((struct span){w->data.p, 2 * n}, r->buf);
  } else {
    memset(r->buf, '?', r->buf_len); /* kUnwrittenByte */
  }
  r->is_read = w->lio_op == AIOSPEC_WIRE_LIO_READ;
  struct aiocb *cb = r->cb;
  cb->aio_fildes = resolve_fd(ag, w->fd);
  note_fd_identity(r);
  cb->aio_offset = (off_t)w->offset;
  cb->aio_buf = r->buf;
  /* A negative or huge nbytes is passed as given: it tests EINVAL. */
  cb->aio_nbytes = (size_t)w->nbytes;
  cb->aio_reqprio = w->reqprio;
  cb->aio_lio_opcode = lio_opcode_of(
      w, w->lio_op == AIOSPEC_WIRE_LIO_READ    ? LIO_READ
         : w->lio_op == AIOSPEC_WIRE_LIO_WRITE ? LIO_WRITE
                                               : LIO_NOP);
  set_sigevent(&cb->aio_sigevent, w->notify_kind, w->notify_rt,
               w->notify_value);
  if (w->notify_kind != AIOSPEC_WIRE_NOTIFY_NONE &&
      w->lio_op != AIOSPEC_WIRE_LIO_NOP) {
    *track = aiospec_notify_track(w->notify_value, cb);
  }
  return idx;
}

/* ------------------------------------------------------------------------ */
/* Log line pieces                                                          */

static void put_head(struct agent *ag, int k, const char *name) {
  aiospec_line_clear(&ag->line);
  aiospec_line_printf(&ag->line, "%d %s", k, name);
}

static void put_ret(struct agent *ag, long long ret, int err) {
  aiospec_line_printf(&ag->line, " ret=%lld", ret);
  if (ret == -1 && err != 0) {
    char name[AIOSPEC_NAME_MAX];
    aiospec_line_printf(&ag->line, " errno=%s", aiospec_errno_name(err, name));
  }
}

static void put_data(struct agent *ag, const unsigned char *p, size_t n) {
  aiospec_line_puts(&ag->line, " data=");
  aiospec_line_bytes(&ag->line, p, n);
}

static void emit_notifications(struct agent *ag, int after, int as_comment) {
  struct aiospec_notify_record r;
  while (aiospec_notify_next(&r)) {
    char signo[AIOSPEC_NAME_MAX], code[AIOSPEC_NAME_MAX];
    aiospec_line_clear(&ag->line);
    if (as_comment) aiospec_line_puts(&ag->line, "# late ");
    if (r.kind == AIOSPEC_NOTIFY_SIGNAL) {
      aiospec_line_printf(&ag->line,
                          "notify after=%d kind=signal signo=%s code=%s "
                          "value=%d",
                          after, aiospec_signal_name(r.signo, signo),
                          aiospec_si_code_name(r.code, code), r.value);
      if (ag->name_threads) {
        aiospec_line_printf(
            &ag->line, " thread=%s",
            r.thread == AIOSPEC_NOTIFY_MAIN ? "main"
            : r.thread >= 0 && r.thread < AIOSPEC_WIRE_MAX_THREADS
                ? ag->threads[r.thread].name
                : "other");
      }
    } else {
      aiospec_line_printf(&ag->line,
                          "notify after=%d kind=thread signo=0 code=0 value=%d",
                          after, r.value);
    }
    if (r.has_status) {
      char status[AIOSPEC_NAME_MAX];
      if (r.status > 0) {
        aiospec_line_printf(&ag->line, " status=%s",
                            aiospec_errno_name(r.status, status));
      } else {
        aiospec_line_printf(&ag->line, " status=%d", r.status);
      }
    }
    emit_line(ag);
  }
}

/* ------------------------------------------------------------------------ */
/* Non-blocking I/O on pipes and sockets                                    */

struct nbio {
  int fd;        /* what to call read/write/send/recv on */
  int own_fd;    /* fd is a private description: close it after */
  int is_socket; /* use send/recv with MSG_DONTWAIT */
  int poll_first; /* no private description: guard each call with poll */
};

/* Prepares non-blocking I/O on `fd` in one direction. Returns 0, or -1 with
 * errno set (EBADF for a descriptor not open in that direction, EINVAL for
 * a kind of file fill/drain/write do not handle). */
static int nbio_open(struct nbio *io, int fd, int for_write) {
  memset(io, 0, sizeof *io);
  io->fd = fd;
  struct stat st;
  if (fstat(fd, &st) != 0) return -1;
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return -1;
  int acc = fl & O_ACCMODE;
  if ((for_write && acc == O_RDONLY) || (!for_write && acc == O_WRONLY)) {
    errno = EBADF;
    return -1;
  }
  if (S_ISSOCK(st.st_mode)) {
    io->is_socket = 1;
    return 0;
  }
  if (S_ISREG(st.st_mode)) return 0; /* never blocks */
  if (!S_ISFIFO(st.st_mode)) {
    errno = EINVAL;
    return -1;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  int priv = open(path, (for_write ? O_WRONLY : O_RDONLY) | O_NONBLOCK |
                            O_CLOEXEC);
  if (priv >= 0) {
    io->fd = priv;
    io->own_fd = 1;
    return 0;
  }
  /* ENXIO: no reader, so a write fails with EPIPE at once and cannot block. */
  if (errno != ENXIO) io->poll_first = 1;
  return 0;
}

static void nbio_close(struct nbio *io) {
  if (io->own_fd) close(io->fd);
  io->own_fd = 0;
}

static ssize_t nbio_write(struct nbio *io, const void *p, size_t n) {
  if (io->is_socket) return send(io->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (io->poll_first) {
    struct pollfd pfd = {io->fd, POLLOUT, 0};
    if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & (POLLOUT | POLLERR))) {
      errno = EAGAIN;
      return -1;
    }
  }
  return write(io->fd, p, n);
}

static ssize_t nbio_read(struct nbio *io, void *p, size_t n) {
  if (io->is_socket) return recv(io->fd, p, n, MSG_DONTWAIT);
  if (io->poll_first) {
    struct pollfd pfd = {io->fd, POLLIN, 0};
    if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
      errno = EAGAIN;
      return -1;
    }
  }
  return read(io->fd, p, n);
}

struct bytes {
  unsigned char *p;
  size_t n, cap;
};

static int bytes_reserve(struct bytes *b, size_t extra) {
  if (b->n + extra <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->n + extra) cap *= 2;
  unsigned char *p = realloc(b->p, cap);
  if (!p) return -1;
  b->p = p;
  b->cap = cap;
  return 0;
}

/* Reads until EAGAIN or EOF, at most `max` bytes (-1: no limit but the
 * agent's cap). Returns 0, or -1 with errno when nothing could be read. */
static int read_available(struct nbio *io, long long max, struct bytes *out) {
  size_t limit = kMaxObservedBytes;
  if (max >= 0 && (unsigned long long)max < limit) limit = (size_t)max;
  while (out->n < limit) {
    size_t want = limit - out->n;
    if (want > 65536) want = 65536;
    if (bytes_reserve(out, want) != 0) {
      errno = ENOMEM;
      return out->n ? 0 : -1;
    }
    ssize_t got = nbio_read(io, out->p + out->n, want);
    if (got > 0) {
      out->n += (size_t)got;
      continue;
    }
    if (got == 0) return 0;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return out->n ? 0 : -1;
  }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Ops                                                                      */

static void op_file(struct agent *ag, int k, const struct wire_op *op) {
  char path[PATH_MAX];
  file_path(ag, (int)op->a[0], path, sizeof path);
  size_t n = hex_bytes(op->hex);
  unsigned char *content = malloc(n + 1);
  long long ret = -1;
  int err = ENOMEM;
  if (content) {
    hex_decode(op->hex, content);
    errno = 0;
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
    err = errno;
    if (fd >= 0) {
      ag->file_made[op->a[0]] = 1;
      size_t done = 0;
      ret = 0;
      while (done < n) {
        ssize_t w = write(fd, content + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          ret = -1;
          err = errno;
          break;
        }
        done += (size_t)w;
      }
      close(fd);
    }
    free(content);
  }
  put_head(ag, k, "file");
  put_ret(ag, ret, err);
}

static void op_pair(struct agent *ag, int k, const struct wire_op *op) {
  int p[2] = {-1, -1};
  errno = 0;
  int ret = op->code == AIOSPEC_WIRE_PIPE
                ? pipe(p)
                : socketpair(AF_UNIX, SOCK_STREAM, 0, p);
  int err = errno;
  put_head(ag, k, op->code == AIOSPEC_WIRE_PIPE ? "pipe" : "socketpair");
  put_ret(ag, ret, err);
  if (ret == 0) {
    ag->fd_num[op->a[0]] = p[0];
    ag->fd_num[op->a[1]] = p[1];
    aiospec_line_printf(&ag->line, " fd=%d,%d", p[0], p[1]);
  }
}

static void op_open(struct agent *ag, int k, const struct wire_op *op) {
  char path[PATH_MAX];
  file_path(ag, (int)op->a[1], path, sizeof path);
  unsigned flags = (unsigned)op->a[2];
  int oflags = O_RDONLY;
  if ((flags & AIOSPEC_WIRE_OPEN_READ) && (flags & AIOSPEC_WIRE_OPEN_WRITE)) {
    oflags = O_RDWR;
  } else if (flags & AIOSPEC_WIRE_OPEN_WRITE) {
    oflags = O_WRONLY;
  }
  if (flags & AIOSPEC_WIRE_OPEN_APPEND) oflags |= O_APPEND;
  if (flags & AIOSPEC_WIRE_OPEN_SYNC) oflags |= O_SYNC;
  if (flags & AIOSPEC_WIRE_OPEN_DSYNC) oflags |= O_DSYNC;
  errno = 0;
  int fd = open(path, oflags);
  int err = errno;
  if (fd >= 0 && (flags & AIOSPEC_WIRE_OPEN_HOLD)) {
    if (ag->hold_err != 0) {
      close(fd);
      fd = -1;
      err = ag->hold_err;
    } else {
      fd = aiospec_hold_move(fd);
      err = errno;
    }
  }
  if (fd >= 0) ag->fd_num[op->a[0]] = fd;
  put_head(ag, k, "open");
  put_ret(ag, fd, err);
}

static void op_close(struct agent *ag, int k, const struct wire_op *op) {
  int handle = (int)op->a[0];
  errno = 0;
  int ret = ag->ops->close(resolve_fd(ag, handle));
  int err = errno;
  /* Linux frees the number even when close fails. */
  if (handle >= 0) ag->fd_num[handle] = -1;
  put_head(ag, k, "close");
  put_ret(ag, ret, err);
}

static void op_dup(struct agent *ag, int k, const struct wire_op *op) {
  /* dup NEW OLD, dup2 OLD TARGET: the handle that receives the number. */
  const int is_dup2 = op->code == AIOSPEC_WIRE_DUP2;
  int old = resolve_fd(ag, (int)op->a[is_dup2 ? 0 : 1]);
  int target = (int)op->a[is_dup2 ? 1 : 0];
  int ret;
  errno = 0;
  if (is_dup2 && ag->fd_num[target] >= 0) {
    ret = ag->ops->dup2(old, ag->fd_num[target]);
  } else {
    ret = dup(old);
  }
  int err = errno;
  if (ret >= 0) ag->fd_num[target] = ret;
  put_head(ag, k, op->code == AIOSPEC_WIRE_DUP2 ? "dup2" : "dup");
  put_ret(ag, ret, err);
}

/* The public members of an aiocb, copied before an aio_error or aio_cancel
 * and compared after it: the call must not change them (AIO-ERROR-10,
 * AIO-CANCEL-07). The private ones may change, so no memcmp of the whole. */
struct aiocb_public {
  int fildes;
  off_t offset;
  volatile void *buf;
  size_t nbytes;
  int reqprio;
  int lio_opcode;
  struct sigevent sev; /* compared by its public members only */
};

static void aiocb_snapshot(const struct aiocb *cb, struct aiocb_public *s) {
  memset(s, 0, sizeof *s);
  s->fildes = cb->aio_fildes;
  s->offset = cb->aio_offset;
  s->buf = cb->aio_buf;
  s->nbytes = cb->aio_nbytes;
  s->reqprio = cb->aio_reqprio;
  s->lio_opcode = cb->aio_lio_opcode;
  s->sev = cb->aio_sigevent;
}

/* sigev_notify_function and _attributes are macros for union members in
 * glibc and musl, so they are read through a struct sigevent. */
static int sigevent_differs(const struct sigevent *a,
                            const struct sigevent *b) {
  return a->sigev_notify != b->sigev_notify ||
         a->sigev_signo != b->sigev_signo ||
         memcmp(&a->sigev_value, &b->sigev_value, sizeof a->sigev_value) != 0 ||
         a->sigev_notify_function != b->sigev_notify_function ||
         a->sigev_notify_attributes != b->sigev_notify_attributes;
}

/* Appends ` changed=aio_offset,...` (observation.h) when a public member
 * differs from the snapshot. */
static void put_changed(struct agent *ag, const struct aiocb *cb,
                        const struct aiocb_public *before) {
  struct aiocb_public now;
  aiocb_snapshot(cb, &now);
  const int differs[] = {
      now.fildes != before->fildes,
      now.offset != before->offset,
      now.buf != before->buf,
      now.nbytes != before->nbytes,
      now.reqprio != before->reqprio,
      sigevent_differs(&now.sev, &before->sev),
      now.lio_opcode != before->lio_opcode};
  static const char *const kNames[] = {
      "aio_fildes",  "aio_offset",   "aio_buf",       "aio_nbytes",
      "aio_reqprio", "aio_sigevent", "aio_lio_opcode"};
  const char *sep = " changed=";
  for (size_t i = 0; i < sizeof differs / sizeof differs[0]; ++i) {
    if (!differs[i]) continue;
    aiospec_line_printf(&ag->line, "%s%s", sep, kNames[i]);
    sep = ",";
  }
}

/* A negative count gives a negative tv_nsec on purpose: the trace asked
 * for an invalid timeout, and the library must say EINVAL. */
static struct timespec nanos_to_timespec(long long nanos) {
  struct timespec ts;
  ts.tv_sec = (time_t)(nanos / 1000000000);
  ts.tv_nsec = (long)(nanos % 1000000000);
  return ts;
}

/* AIO-GEN-21: once its request has finished, an aiocb and its buffer are
 * the application's. Overwrites both with kScribbleByte, gives a late store
 * or copy a moment to happen, and counts the bytes no longer scribbled. A
 * late notification's handler must not read the aiocb: it is untracked. */
static const unsigned char kScribbleByte = '~';

static size_t count_unscribbled(const unsigned char *p, size_t n) {
  size_t changed = 0;
  for (size_t i = 0; i < n; ++i) changed += p[i] != kScribbleByte;
  return changed;
}

static size_t scribble(struct request *r) {
  aiospec_notify_untrack_cb(r->cb);
  memset(r->cb, kScribbleByte, sizeof *r->cb);
  memset(r->buf, kScribbleByte, r->buf_len);
  sleep_millis(1);
  return count_unscribbled((const unsigned char *)r->cb, sizeof *r->cb) +
         count_unscribbled(r->buf, r->buf_len);
}

/* An AIO call (ops 8 to 15) in three parts, so that another thread can make
 * it: call_prepare (main thread) sets up the aiocbs and the agent's
 * bookkeeping; call_run (any thread) makes the C library call and nothing
 * else, touching only the memory named here; call_report (main thread,
 * after it) updates the bookkeeping and writes the log record. */
struct call {
  const struct aiospec_aio_ops *ops;
  const struct wire_op *op;
  int ok;    /* prepared: the call is made */
  int idx;   /* the request (submissions, aio_error, aio_return) */
  int track; /* notify slot of a submission, or -1 */
  struct aiocb *cb;
  int fd;  /* aio_cancel */
  int how; /* aio_fsync */
  const struct aiocb **list; /* aio_suspend */
  struct timespec ts;
  struct aiocb **lio; /* lio_listio */
  int *lio_idx;
  struct sigevent *sig;
  unsigned tracked;
  struct aiocb_public before;
  int status; /* aio_return: the private aio_error before it */
  long long early; /* aio_suspend: ns it timed out before its timeout */
  long long ret;
  int err;
};

static void prepare_lio(struct agent *ag, struct call *c) {
  const struct wire_op *op = c->op;
  int n = op->count;
  /* The list and the sigevent stay valid until the end of the run: an
   * implementation may read them until the requests complete (LIO-08). */
  c->lio = calloc((size_t)n + 1, sizeof *c->lio);
  c->lio_idx = calloc((size_t)n + 1, sizeof *c->lio_idx);
  c->ok = c->lio && c->lio_idx && defer_free(ag, c->lio) == 0;
  if (!c->ok) {
    free(c->lio);
    c->lio = NULL;
  }
  for (int i = 0; c->lio_idx && i < n; ++i) c->lio_idx[i] = -1;
  for (int i = 0; c->ok && i < n; ++i) {
    const struct wire_req *e = &op->elems[i];
    if (e->lio_op == AIOSPEC_WIRE_LIO_NULL) continue;
    int track;
    c->lio_idx[i] = setup_io(ag, e, &track);
    if (c->lio_idx[i] < 0) {
      c->ok = 0;
      break;
    }
    c->lio[i] = ag->reqs[c->lio_idx[i]].cb;
    if (e->notify_kind != AIOSPEC_WIRE_NOTIFY_NONE &&
        e->lio_op != AIOSPEC_WIRE_LIO_NOP) {
      ++c->tracked;
    }
  }
  if (c->ok && op->req.notify_kind != AIOSPEC_WIRE_NOTIFY_NONE) {
    c->sig = malloc(sizeof *c->sig);
    if (!c->sig || defer_free(ag, c->sig) != 0) {
      free(c->sig);
      c->sig = NULL;
      c->ok = 0;
    } else {
      set_sigevent(c->sig, op->req.notify_kind, op->req.notify_rt,
                   op->req.notify_value);
      aiospec_notify_track(op->req.notify_value, NULL);
    }
  }
}

static void call_prepare(struct agent *ag, const struct wire_op *op,
                         struct call *c) {
  memset(c, 0, sizeof *c);
  c->ops = ag->ops;
  c->op = op;
  c->idx = -1;
  c->track = -1;
  c->ret = -1;
  c->err = ENOMEM;
  switch (op->code) {
    case AIOSPEC_WIRE_AIO_READ:
    case AIOSPEC_WIRE_AIO_WRITE:
      c->idx = setup_io(ag, &op->req, &c->track);
      if (c->idx >= 0) c->cb = ag->reqs[c->idx].cb;
      c->ok = c->idx >= 0;
      break;
    case AIOSPEC_WIRE_AIO_FSYNC:
      c->idx = prepare_request(ag, (int)op->a[0], 1);
      if (c->idx < 0) break;
      c->cb = ag->reqs[c->idx].cb;
      c->cb->aio_fildes = resolve_fd(ag, (int)op->a[1]);
      note_fd_identity(&ag->reqs[c->idx]);
      c->cb->aio_buf = ag->reqs[c->idx].buf;
      c->cb->aio_lio_opcode = lio_opcode_of(&op->req, 0);
      set_sigevent(&c->cb->aio_sigevent, op->req.notify_kind,
                   op->req.notify_rt, op->req.notify_value);
      if (op->req.notify_kind != AIOSPEC_WIRE_NOTIFY_NONE) {
        c->track = aiospec_notify_track(op->req.notify_value, c->cb);
      }
      c->how = op->a[2] == AIOSPEC_WIRE_FSYNC_SYNC    ? O_SYNC
               : op->a[2] == AIOSPEC_WIRE_FSYNC_DSYNC ? O_DSYNC
                                                      : 0;
      c->ok = 1;
      break;
    case AIOSPEC_WIRE_AIO_ERROR:
    case AIOSPEC_WIRE_AIO_RETURN:
      c->cb = query_cb(ag, (int)op->a[0]);
      if (!c->cb) break;
      c->idx = ag->cb_req[op->a[0]];
      aiocb_snapshot(c->cb, &c->before);
      c->ok = 1;
      break;
    case AIOSPEC_WIRE_AIO_SUSPEND:
      c->list = calloc((size_t)op->count + 1, sizeof *c->list);
      c->ok = c->list != NULL;
      for (int i = 0; c->ok && i < op->count; ++i) {
        if (op->cbs[i] == AIOSPEC_WIRE_NULL) continue;
        c->list[i] = query_cb(ag, op->cbs[i]);
        if (!c->list[i]) c->ok = 0;
      }
      c->ts = nanos_to_timespec(op->a[0]);
      break;
    case AIOSPEC_WIRE_AIO_CANCEL:
      c->fd = resolve_fd(ag, (int)op->a[0]);
      if (op->a[1] != AIOSPEC_WIRE_NULL) {
        c->cb = query_cb(ag, (int)op->a[1]);
        if (!c->cb) break;
        aiocb_snapshot(c->cb, &c->before);
      }
      c->ok = 1;
      break;
    case AIOSPEC_WIRE_LIO_LISTIO:
      prepare_lio(ag, c);
      break;
    default:
      break;
  }
}

/* The C library call alone (a worker's job). */
static void call_run(void *p) {
  struct call *c = p;
  const struct aiospec_aio_ops *ops = c->ops;
  const struct wire_op *op = c->op;
  if (!c->ok) return;
  errno = 0;
  switch (op->code) {
    case AIOSPEC_WIRE_AIO_READ: c->ret = ops->aio_read(c->cb); break;
    case AIOSPEC_WIRE_AIO_WRITE: c->ret = ops->aio_write(c->cb); break;
    case AIOSPEC_WIRE_AIO_FSYNC: c->ret = ops->aio_fsync(c->how, c->cb); break;
    case AIOSPEC_WIRE_AIO_ERROR: c->ret = ops->aio_error(c->cb); break;
    case AIOSPEC_WIRE_AIO_RETURN:
      /* A private status check: the memory may be reused only if the
       * request had finished (aio_return on a running request is
       * undefined). */
      c->status = ops->aio_error(c->cb);
      errno = 0;
      c->ret = (long long)ops->aio_return(c->cb);
      break;
    case AIOSPEC_WIRE_AIO_SUSPEND: {
      const int64_t start = now_nanos();
      c->ret = ops->aio_suspend((const struct aiocb *const *)c->list,
                                op->count, op->a[1] ? NULL : &c->ts);
      /* A timeout is a relative interval on CLOCK_MONOTONIC (AIO-SUSP-06):
       * measured around the call, a timed-out wait is never shorter. */
      const int err = errno;
      const int64_t elapsed = now_nanos() - start;
      if (!op->a[1] && c->ret == -1 && err == EAGAIN && elapsed < op->a[0]) {
        c->early = op->a[0] - elapsed;
      }
      errno = err;
      break;
    }
    case AIOSPEC_WIRE_AIO_CANCEL: c->ret = ops->aio_cancel(c->fd, c->cb); break;
    case AIOSPEC_WIRE_LIO_LISTIO:
      c->ret = ops->lio_listio(op->a[0] ? LIO_WAIT : LIO_NOWAIT, c->lio,
                               op->count, c->sig);
      break;
    default:
      break;
  }
  c->err = errno;
}

static const char *call_name(int code) {
  switch (code) {
    case AIOSPEC_WIRE_AIO_READ: return "aio_read";
    case AIOSPEC_WIRE_AIO_WRITE: return "aio_write";
    case AIOSPEC_WIRE_AIO_FSYNC: return "aio_fsync";
    case AIOSPEC_WIRE_AIO_ERROR: return "aio_error";
    case AIOSPEC_WIRE_AIO_RETURN: return "aio_return";
    case AIOSPEC_WIRE_AIO_SUSPEND: return "aio_suspend";
    case AIOSPEC_WIRE_AIO_CANCEL: return "aio_cancel";
    default: return "lio_listio";
  }
}

/* Frees what only the call used; a call still running on an abandoned
 * worker keeps it. */
static void call_free(struct call *c) {
  free(c->list);
  free(c->lio_idx);
  c->list = NULL;
  c->lio_idx = NULL;
}

/* The bookkeeping after the call, and its record as op k's, named `name`
 * (the call's own, or `await`). */
static void call_report(struct agent *ag, int k, const char *name,
                        struct call *c) {
  const struct wire_op *op = c->op;
  struct request *r = c->idx >= 0 ? &ag->reqs[c->idx] : NULL;
  put_head(ag, k, name);
  switch (op->code) {
    case AIOSPEC_WIRE_AIO_READ:
    case AIOSPEC_WIRE_AIO_WRITE:
    case AIOSPEC_WIRE_AIO_FSYNC:
      if (c->ok && c->ret != 0) {
        aiospec_notify_untrack(c->track);
        r->done = 1; /* not queued */
        r->refused = 1;
      } else if (c->ok && op->req.notify_kind != AIOSPEC_WIRE_NOTIFY_NONE) {
        ++ag->expected_notifications;
      }
      put_ret(ag, c->ret, c->err);
      break;
    case AIOSPEC_WIRE_AIO_ERROR:
      if (c->ok && c->ret >= 0 && c->ret != EINPROGRESS) r->done = 1;
      if (c->ret > 0) {
        char ename[AIOSPEC_NAME_MAX];
        aiospec_line_printf(&ag->line, " ret=%s",
                            aiospec_errno_name((int)c->ret, ename));
      } else {
        put_ret(ag, c->ret, c->err);
      }
      if (c->ok) put_changed(ag, c->cb, &c->before);
      break;
    case AIOSPEC_WIRE_AIO_RETURN:
      if (c->ok && c->status >= 0 && c->status != EINPROGRESS) r->done = 1;
      put_ret(ag, c->ret, c->err);
      if (c->ok && r->is_read && c->ret > 0) {
        size_t n = (size_t)c->ret < r->buf_len ? (size_t)c->ret : r->buf_len;
        put_data(ag, r->buf, n);
      }
      if (c->ok && op->a[1] && r->done) {
        size_t touched = scribble(r);
        if (touched) aiospec_line_printf(&ag->line, " touched=%zu", touched);
      }
      break;
    case AIOSPEC_WIRE_AIO_SUSPEND:
      if (c->early > 0) aiospec_line_printf(&ag->line, " early=%lld", c->early);
      put_ret(ag, c->ret, c->err);
      break;
    case AIOSPEC_WIRE_AIO_CANCEL:
      if (c->ret == -1) {
        put_ret(ag, c->ret, c->err);
      } else {
        char cname[AIOSPEC_NAME_MAX];
        aiospec_line_printf(&ag->line, " ret=%s",
                            aiospec_cancel_result_name((int)c->ret, cname));
      }
      if (c->cb) put_changed(ag, c->cb, &c->before);
      break;
    case AIOSPEC_WIRE_LIO_LISTIO:
      if (c->ok && c->ret == 0) {
        ag->expected_notifications += c->tracked;
        if (c->sig && !op->a[0]) ++ag->expected_notifications;
      }
      /* Requests the library never saw, or that LIO_WAIT saw finish. */
      for (int i = 0; c->lio_idx && i < op->count; ++i) {
        if (c->lio_idx[i] < 0) continue;
        const struct wire_req *e = &op->elems[i];
        if (e->lio_op == AIOSPEC_WIRE_LIO_NOP || !c->ok ||
            (c->ret == 0 && op->a[0])) {
          ag->reqs[c->lio_idx[i]].done = 1;
        }
      }
      put_ret(ag, c->ret, c->err);
      break;
    default:
      put_ret(ag, c->ret, c->err);
      break;
  }
  call_free(c);
}

/* An AIO call on the main thread. */
static void op_call(struct agent *ag, int k, const struct wire_op *op) {
  struct call c;
  call_prepare(ag, op, &c);
  call_run(&c);
  call_report(ag, k, call_name(op->code), &c);
}

static void op_fill(struct agent *ag, int k, const struct wire_op *op) {
  char fill_bytes[PIPE_BUF];
  memset(fill_bytes, 'F', sizeof fill_bytes); /* kFillByte */
  struct nbio io;
  long long ret = -1;
  errno = 0;
  int err = 0;
  if (nbio_open(&io, resolve_fd(ag, (int)op->a[0]), 1) != 0) {
    err = errno;
  } else {
    long long total = 0;
    size_t sizes[2] = {PIPE_BUF, 1};
    for (int s = 0; s < 2 && !err; ++s) {
      while (total < kMaxObservedBytes) {
        ssize_t w = nbio_write(&io, fill_bytes, sizes[s]);
        if (w > 0) {
          total += w;
          continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
        break;
      }
    }
    nbio_close(&io);
    ret = total;
    if (total == 0 && err) ret = -1;
  }
  put_head(ag, k, "fill");
  put_ret(ag, ret, err);
}

static void op_drain(struct agent *ag, int k, const struct wire_op *op) {
  struct nbio io;
  struct bytes got = {NULL, 0, 0};
  long long ret = -1;
  errno = 0;
  int err = 0;
  if (nbio_open(&io, resolve_fd(ag, (int)op->a[0]), 0) != 0) {
    err = errno;
  } else {
    if (read_available(&io, op->a[1], &got) == 0) {
      ret = (long long)got.n;
    } else {
      err = errno;
    }
    nbio_close(&io);
  }
  put_head(ag, k, "drain");
  put_ret(ag, ret, err);
  if (ret >= 0) put_data(ag, got.p, got.n);
  free(got.p);
}

static void op_write(struct agent *ag, int k, const struct wire_op *op) {
  size_t n = hex_bytes(op->hex);
  unsigned char *data = malloc(n + 1);
  struct nbio io;
  long long ret = -1;
  int err = ENOMEM;
  if (data) {
    hex_decode(op->hex, data);
    errno = 0;
    if (nbio_open(&io, resolve_fd(ag, (int)op->a[0]), 1) != 0) {
      err = errno;
    } else {
      do {
        errno = 0;
        ret = nbio_write(&io, data, n);
      } while (ret < 0 && errno == EINTR);
      err = errno;
      nbio_close(&io);
    }
    free(data);
  }
  put_head(ag, k, "write");
  put_ret(ag, ret, err);
}

/* The whole file in one pread, so that the readback is one observation of
 * the file at one moment: a loop of reads could see its start before a
 * pending write and its end after. A file that grew past the buffer between
 * fstat and pread is read again, whole, into a bigger one. */
static int read_snapshot(int fd, off_t size_hint, struct bytes *out) {
  size_t cap = (size_t)size_hint + 65536;
  for (;;) {
    if (cap > (size_t)kMaxObservedBytes + 1) cap = (size_t)kMaxObservedBytes + 1;
    if (bytes_reserve(out, cap) != 0) {
      errno = ENOMEM;
      return -1;
    }
    ssize_t got;
    do got = pread(fd, out->p, cap, 0);
    while (got < 0 && errno == EINTR);
    if (got < 0) return -1;
    if ((size_t)got > (size_t)kMaxObservedBytes) {
      errno = EFBIG; /* more than a log should carry */
      return -1;
    }
    if ((size_t)got < cap) {
      out->n = (size_t)got;
      return 0;
    }
    cap *= 2;
  }
}

static void op_readback(struct agent *ag, int k, const struct wire_op *op) {
  char path[PATH_MAX];
  file_path(ag, (int)op->a[0], path, sizeof path);
  struct bytes got = {NULL, 0, 0};
  long long ret = -1;
  errno = 0;
  int err = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    err = errno;
  } else if (st.st_size > kMaxObservedBytes) {
    err = EFBIG; /* more than a log should carry */
  } else if (read_snapshot(fd, st.st_size, &got) == 0) {
    ret = (long long)got.n;
  } else {
    err = errno;
  }
  if (fd >= 0) close(fd);
  put_head(ag, k, "readback");
  put_ret(ag, ret, err);
  if (ret >= 0) put_data(ag, got.p, got.n);
  free(got.p);
}

/* wait until=notified: each listed submission that notifies has had a
 * notification since it was submitted. One the submitting call refused owes
 * none (waiting for it would only cost the whole bound). */
static int all_notified(struct agent *ag, const struct wire_op *op) {
  for (int i = 0; i < op->count; ++i) {
    const struct request *r = &ag->reqs[ag->cb_req[op->cbs[i]]];
    if (r->refused) continue;
    const struct sigevent *se = &r->cb->aio_sigevent;
    const int kind = se->sigev_notify == SIGEV_SIGNAL   ? AIOSPEC_NOTIFY_SIGNAL
                     : se->sigev_notify == SIGEV_THREAD ? AIOSPEC_NOTIFY_THREAD
                                                        : 0;
    if (kind != 0 && aiospec_notify_count_since(r->notify_mark, kind,
                                                se->sigev_value.sival_int) == 0) {
      return 0;
    }
  }
  return 1;
}

static void op_wait(struct agent *ag, int k, const struct wire_op *op) {
  const struct aiocb **pending = calloc((size_t)op->count + 1, sizeof *pending);
  long long ret = -1;
  int err = ENOMEM;
  const int infinite = (op->a[1] & 1) != 0;
  const int until_notified = (op->a[1] & 2) != 0;
  /* Saturate: a trace may ask for INT64_MAX nanoseconds. */
  const int64_t start = now_nanos();
  const int64_t deadline =
      infinite ? 0
               : (op->a[0] > INT64_MAX - start ? INT64_MAX : start + op->a[0]);
  struct backoff nap = {0};
  while (pending) {
    int npending = 0;
    int oom = 0;
    for (int i = 0; i < op->count; ++i) {
      struct aiocb *cb = query_cb(ag, op->cbs[i]);
      if (!cb) {
        oom = 1;
        break;
      }
      int status = ag->ops->aio_error(cb);
      if (status == EINPROGRESS) {
        pending[npending++] = cb;
      } else if (status >= 0) {
        ag->reqs[ag->cb_req[op->cbs[i]]].done = 1;
      }
    }
    if (oom) break;
    if (npending == 0 && (!until_notified || all_notified(ag, op))) {
      ret = 0;
      err = 0;
      break;
    }
    int64_t slice = (int64_t)kWaitSliceMillis * 1000000;
    if (!infinite) {
      int64_t left = deadline - now_nanos();
      if (left <= 0) {
        err = ETIMEDOUT;
        break;
      }
      if (left < slice) slice = left;
    }
    if (npending == 0) { /* until=notified: complete, not yet notified */
      backoff_sleep(&nap);
      continue;
    }
    /* Slices, so a lost wakeup in aio_suspend costs time, not the run. */
    struct timespec ts = nanos_to_timespec(slice);
    if (ag->ops->aio_suspend(pending, npending, &ts) != 0 && errno != EAGAIN &&
        errno != EINTR) {
      sleep_millis(1);
    }
  }
  free(pending);
  put_head(ag, k, "wait");
  put_ret(ag, ret, err);
}

static void put_status(struct agent *ag, int status) {
  char name[AIOSPEC_NAME_MAX];
  if (status > 0) {
    aiospec_line_puts(&ag->line, aiospec_errno_name(status, name));
  } else {
    aiospec_line_printf(&ag->line, "%d", status);
  }
}

/* storm on: arms the timer. storm off: stops it and logs what the handlers
 * saw (observation.h documents the fields). */
static void op_storm(struct agent *ag, int k, const struct wire_op *op) {
  if (op->a[0]) {
    const struct aiocb *cbs[AIOSPEC_STORM_MAX_CBS];
    int may_return[AIOSPEC_STORM_MAX_CBS];
    long long ret = 0;
    int err = 0;
    for (int i = 0; i < op->count; ++i) {
      cbs[i] = query_cb(ag, op->cbs[i]);
      may_return[i] = 0;
      for (int j = 0; j < op->a[3]; ++j) {
        may_return[i] |= op->cbs[op->count + j] == op->cbs[i];
      }
      if (!cbs[i]) {
        ret = -1;
        err = ENOMEM;
      }
    }
    if (ret == 0) {
      errno = 0;
      ret = aiospec_storm_start(cbs, may_return, op->count, (int)op->a[1],
                                (unsigned)op->a[2]);
      err = errno;
    }
    if (ret == 0 && op->a[4] != AIOSPEC_WIRE_NULL) {
      /* `close=D`: the handler closes D; meanwhile this thread keeps
       * calling aio_error on a watched aiocb, so the close interrupts an
       * AIO call. The record is the close's result (ETIMEDOUT: no handler
       * ran within two seconds, and this thread closed D itself). */
      aiospec_storm_close_fd(ag->fd_num[op->a[4]]);
      struct timespec start, now;
      clock_gettime(CLOCK_MONOTONIC, &start);
      int closed = 0;
      while (!(closed = aiospec_storm_closed(&ret, &err))) {
        if (cbs[0]) ag->ops->aio_error(cbs[0]);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= 2) break;
      }
      if (!closed) {
        int fd = aiospec_storm_take_close();
        if (fd >= 0) {
          ag->ops->close(fd);
          ret = -1;
          err = ETIMEDOUT;
        } else {
          while (!aiospec_storm_closed(&ret, &err)) {
          }
        }
      }
      ag->fd_num[op->a[4]] = -1;
    }
    ag->storm_cbs = op->count;
    memcpy(ag->storm_cb, op->cbs, (size_t)op->count * sizeof *op->cbs);
    ag->storm_calls = (unsigned)op->a[2];
    put_head(ag, k, "storm");
    put_ret(ag, ret, err);
    return;
  }
  struct aiospec_storm_result r;
  aiospec_storm_stop(&r);
  put_head(ag, k, "storm");
  put_ret(ag, (long long)r.interrupts, 0);
  if (ag->storm_calls & AIOSPEC_WIRE_STORM_ERROR) {
    aiospec_line_puts(&ag->line, " seen=");
    for (int i = 0; i < r.ncbs; ++i) {
      if (i) aiospec_line_puts(&ag->line, ",");
      if (r.cbs[i].nseen == 0) aiospec_line_puts(&ag->line, "-");
      for (int j = 0; j < r.cbs[i].nseen; ++j) {
        if (j) aiospec_line_puts(&ag->line, ">");
        put_status(ag, r.cbs[i].seen[j]);
      }
      if (r.cbs[i].seen_overflow) aiospec_line_puts(&ag->line, ">...");
    }
  }
  if (ag->storm_calls & AIOSPEC_WIRE_STORM_SUSPEND) {
    aiospec_line_printf(&ag->line, " suspend=0:%llu,EAGAIN:%llu,EINTR:%llu",
                        r.suspend_ok, r.suspend_eagain, r.suspend_eintr);
    if (r.suspend_other) {
      char name[AIOSPEC_NAME_MAX];
      aiospec_line_printf(&ag->line, ",%s:%llu",
                          r.other_errno > 0
                              ? aiospec_errno_name(r.other_errno, name)
                              : "other",
                          r.suspend_other);
    }
  }
  int any_return = 0;
  for (int i = 0; i < r.ncbs; ++i) any_return |= r.cbs[i].returned;
  if (any_return) {
    aiospec_line_puts(&ag->line, " returned=");
    for (int i = 0; i < r.ncbs; ++i) {
      if (i) aiospec_line_puts(&ag->line, ",");
      if (r.cbs[i].returned) {
        aiospec_line_printf(&ag->line, "%lld", r.cbs[i].ret);
        /* Consumed by the handler: its memory may be reused. */
        ag->reqs[ag->cb_req[ag->storm_cb[i]]].done = 1;
      } else {
        aiospec_line_puts(&ag->line, "-");
      }
    }
  }
  ag->storm_cbs = 0;
}

/* ------------------------------------------------------------------------ */
/* Process events (trace op `proc`, AIO-PROC-07..16)                        */

/* Between fork and _exit a child may use only async-signal-safe calls: the
 * parent has AIO worker threads whose locks the child inherits held
 * (AIO-ASS-03). So everything a child needs is allocated before fork, and
 * it reports through a pipe with one write() of a fixed-size message. */
struct child_report {
  long long a, b;
  long long cancel_ret, cancel_err; /* proc fork cancel= */
};

static void write_report4(int fd, long long a, long long b, long long c,
                          long long d) {
  struct child_report m = {a, b, c, d};
  while (write(fd, &m, sizeof m) < 0 && errno == EINTR) {
  }
}

static void write_report(int fd, long long a, long long b) {
  write_report4(fd, a, b, 0, 0);
}

/* Reads the child's report within kChildReportMillis: 0, or -1. */
static int read_report(int fd, struct child_report *m) {
  struct pollfd p = {fd, POLLIN, 0};
  const int64_t deadline = now_millis() + kChildReportMillis;
  for (;;) {
    int64_t left = deadline - now_millis();
    if (left <= 0) return -1;
    int n = poll(&p, 1, (int)left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    ssize_t got = read(fd, m, sizeof *m);
    if (got < 0 && errno == EINTR) continue;
    return got == (ssize_t)sizeof *m ? 0 : -1;
  }
}

/* Reaps pid within `millis`; kills it first when kill_now. 1 if reaped. */
static int reap_child(pid_t pid, int millis, int kill_now) {
  if (kill_now) kill(pid, SIGKILL);
  const int64_t deadline = now_millis() + millis;
  for (;;) {
    pid_t got = waitpid(pid, NULL, WNOHANG);
    if (got == pid || (got < 0 && errno != EINTR)) return 1;
    if (now_millis() >= deadline) return 0;
    sleep_millis(1);
  }
}

/* The child of `proc fork`: snapshots the watched buffers as they were at
 * the fork, with cancel= calls aio_cancel(fd, NULL) (it has no requests to
 * cancel, AIO-PROC-14), closes its copies of the trace's descriptors (which
 * must not cancel the parent's requests, AIO-PROC-16), waits for `proc
 * join`, then reports how many watched buffers changed, how many
 * notifications it received (AIO-PROC-14) and what aio_cancel returned. It
 * never touches an aiocb (AIO-PROC-15). Its notification count starts from
 * what it inherited: a signal the parent took while fork ran is the
 * parent's. */
static void fork_child(struct agent *ag, const struct wire_op *op,
                       unsigned char *snap, int go, int report) {
  const unsigned notified_before = aiospec_notify_arrived();
  size_t at = 0;
  for (int i = 0; i < op->count; ++i) {
    int idx = ag->cb_req[op->cbs[i]];
    if (idx < 0) continue;
    memcpy(snap + at, ag->reqs[idx].buf, ag->reqs[idx].buf_len);
    at += ag->reqs[idx].buf_len;
  }
  long long cancel_ret = 0, cancel_err = 0;
  if (op->a[1] >= 0) {
    errno = 0;
    cancel_ret = ag->ops->aio_cancel(ag->fd_num[op->a[1]], NULL);
    cancel_err = cancel_ret == -1 ? errno : 0;
  }
  for (int h = 0; h < ag->t.fds; ++h) {
    if (ag->fd_num[h] >= 0) ag->ops->close(ag->fd_num[h]);
  }
  char c;
  while (read(go, &c, 1) < 0 && errno == EINTR) {
  }
  long long filled = 0;
  at = 0;
  for (int i = 0; i < op->count; ++i) {
    int idx = ag->cb_req[op->cbs[i]];
    if (idx < 0) continue;
    filled += memcmp(snap + at, ag->reqs[idx].buf, ag->reqs[idx].buf_len) != 0;
    at += ag->reqs[idx].buf_len;
  }
  write_report4(report, filled, aiospec_notify_arrived() - notified_before,
                cancel_ret, cancel_err);
  _exit(0);
}

static void op_proc_fork(struct agent *ag, const struct wire_op *op) {
  size_t total = 1;
  for (int i = 0; i < op->count; ++i) {
    int idx = ag->cb_req[op->cbs[i]];
    if (idx >= 0) total += ag->reqs[idx].buf_len;
  }
  unsigned char *snap = malloc(total);
  int go[2] = {-1, -1}, report[2] = {-1, -1};
  pid_t pid = -1;
  int err = ENOMEM;
  if (snap && pipe(go) == 0 && pipe(report) == 0) {
    pid = fork();
    err = errno;
    if (pid == 0) {
      close(go[1]);
      close(report[0]);
      fork_child(ag, op, snap, go[0], report[1]);
    }
  } else if (snap) {
    err = errno;
  }
  free(snap);
  if (go[0] >= 0) close(go[0]);
  if (report[1] >= 0) close(report[1]);
  if (pid > 0) {
    ag->child = pid;
    ag->child_go = go[1];
    ag->child_report = report[0];
    ag->child_ready = 1;
    ag->child_cancels = op->a[1] >= 0;
  } else {
    if (go[1] >= 0) close(go[1]);
    if (report[0] >= 0) close(report[0]);
  }
  put_ret(ag, pid > 0 ? 0 : -1, err);
}

static void take_probe_ready(struct agent *ag);

static void op_proc_join(struct agent *ag) {
  struct child_report m;
  int ok = 0;
  if (ag->child > 0) {
    while (write(ag->child_go, "g", 1) < 0 && errno == EINTR) {
    }
    if (!ag->child_ready) take_probe_ready(ag);
  }
  if (ag->child > 0) {
    ok = read_report(ag->child_report, &m) == 0;
    reap_child(ag->child, kCleanupMillis, !ok);
    close(ag->child_go);
    close(ag->child_report);
    ag->child = 0;
  }
  const int cancels = ag->child_cancels;
  ag->child_cancels = 0;
  /* A probe that could not start or check says why (op_proc_exec). */
  const int exec_err = ag->child_exec_err;
  ag->child_exec_err = 0;
  if (!ok || exec_err != 0) {
    put_ret(ag, -1, exec_err != 0 ? exec_err : ECHILD);
    return;
  }
  put_ret(ag, 0, 0);
  aiospec_line_printf(&ag->line, " filled=%lld notified=%lld", m.a, m.b);
  if (cancels) {
    char name[AIOSPEC_NAME_MAX];
    aiospec_line_printf(&ag->line, " cancel=%s",
                        m.cancel_ret == -1
                            ? aiospec_errno_name((int)m.cancel_err, name)
                            : aiospec_cancel_result_name((int)m.cancel_ret, name));
  }
}

/* The request of a `proc exit` or `proc exec` child: the parent sets up the
 * aiocb and keeps its memory, but never submits it. -1 when out of memory. */
static int child_request(struct agent *ag, const struct wire_op *op) {
  int track;
  int idx = setup_io(ag, &op->req, &track);
  aiospec_notify_untrack(track);
  if (idx >= 0) ag->reqs[idx].done = 1; /* never in flight in this process */
  return idx;
}

/* In the child: submits that request and reports the result. */
static void child_submit(struct agent *ag, const struct wire_op *op, int idx,
                         int report) {
  struct aiocb *cb = ag->reqs[idx].cb;
  errno = 0;
  int ret = op->a[1] ? ag->ops->aio_write(cb) : ag->ops->aio_read(cb);
  write_report(report, ret, errno);
}

/* `proc exit`: a child submits one request on an inherited descriptor and
 * calls _exit at once (AIO-PROC-07/08/09). The record is the child's
 * submission. */
static void op_proc_exit(struct agent *ag, const struct wire_op *op) {
  int idx = child_request(ag, op);
  int report[2];
  if (idx < 0 || pipe(report) != 0) {
    put_ret(ag, -1, idx < 0 ? ENOMEM : errno);
    return;
  }
  pid_t pid = fork();
  int err = errno;
  if (pid == 0) {
    close(report[0]);
    child_submit(ag, op, idx, report[1]);
    _exit(0);
  }
  close(report[1]);
  struct child_report m;
  if (pid < 0) {
    put_ret(ag, -1, err);
  } else if (read_report(report[0], &m) != 0) {
    /* The submission never returned in the child. */
    reap_child(pid, kCleanupMillis, 1);
    put_ret(ag, -1, ETIMEDOUT);
  } else {
    put_ret(ag, m.a, (int)m.b);
    /* _exit may wait for the request (AIO-PROC-09); a trace that holds it
     * releases it later, so the child is reaped at the end if need be. */
    if (!reap_child(pid, kStragglerMillis, 0)) {
      if (ag->nstragglers < kMaxStragglers) {
        ag->stragglers[ag->nstragglers++] = pid;
      } else {
        reap_child(pid, kCleanupMillis, 1);
      }
    }
  }
  close(report[0]);
}

/* `proc exec` (AIO-PROC-10..13). A child submits one request on an
 * inherited descriptor, as for proc exit, and execs the probe: this
 * executable again (aiospec_exec_probe), its path resolved through
 * /proc/self/exe before the fork and its arguments formatted then too, so
 * the child calls only write, execve and _exit after its submission.
 *
 * Protocol on the report pipe: the child's submission result; then either
 * {-1, errno} from a failed execve, or the probe's {kProbeReady, mapped}
 * once it has laid its pattern at the old buffer's address and installed its
 * signal handler; at `proc join` (the go pipe), the probe's {filled,
 * notified}. exec may wait for the request (AIO-PROC-12): when the probe
 * has not answered within kProbeReadyMillis the op returns anyway and
 * `proc join` waits for it. The record is the child's submission. */
enum {
  kProbeReady = 0x70726f6265, /* "probe": what answered is the probe */
  kProbeReadyMillis = 1000
};

/* Reads the probe's ready message, or learns why there is none: sets
 * child_ready, or reaps the child and sets child_exec_err. */
static void take_probe_ready(struct agent *ag) {
  struct child_report m = {0, 0, 0, 0};
  if (read_report(ag->child_report, &m) == 0 && m.a == kProbeReady) {
    ag->child_ready = 1;
    /* The old address is taken in the new image: nothing was checked. */
    if (!m.b) ag->child_exec_err = EADDRINUSE;
    return;
  }
  /* execve failed, or what ran was not the probe (under an emulator,
   * /proc/self/exe may be the emulator), or it never answered. */
  ag->child_exec_err = m.a == -1 && m.b > 0 ? (int)m.b : ENOEXEC;
  reap_child(ag->child, kCleanupMillis, 1);
  close(ag->child_go);
  close(ag->child_report);
  ag->child = 0;
}

static void op_proc_exec(struct agent *ag, const struct wire_op *op) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = '\0';
  int idx = child_request(ag, op);
  if (idx >= 0 && map_request_buf(&ag->reqs[idx]) != 0) idx = -1;
  int go[2] = {-1, -1}, report[2] = {-1, -1};
  if (idx < 0 || pipe(go) != 0 || pipe(report) != 0) {
    int err = idx < 0 ? ENOMEM : errno;
    if (go[0] >= 0) {
      close(go[0]);
      close(go[1]);
    }
    put_ret(ag, -1, err);
    ag->child_exec_err = err;
    return;
  }
  char arg[5][32];
  snprintf(arg[0], sizeof arg[0], "%d", go[0]);
  snprintf(arg[1], sizeof arg[1], "%d", report[1]);
  snprintf(arg[2], sizeof arg[2], "%llu",
           (unsigned long long)(uintptr_t)ag->reqs[idx].buf);
  snprintf(arg[3], sizeof arg[3], "%llu",
           (unsigned long long)ag->reqs[idx].buf_len);
  snprintf(arg[4], sizeof arg[4], "%d", aiospec_notify_signo());
  char probe_flag[] = "--exec-probe";
  char *argv[] = {exe, probe_flag, arg[0], arg[1], arg[2], arg[3], arg[4],
                  NULL};
  pid_t pid = fork();
  int err = errno;
  if (pid == 0) {
    close(go[1]);
    close(report[0]);
    child_submit(ag, op, idx, report[1]);
    if (n > 0) execve(exe, argv, environ);
    write_report(report[1], -1, n > 0 ? errno : ENOEXEC);
    _exit(127);
  }
  close(go[0]);
  close(report[1]);
  struct child_report m;
  if (pid < 0 || read_report(report[0], &m) != 0) {
    /* No child, or its submission never returned. */
    if (pid > 0) reap_child(pid, kCleanupMillis, 1);
    put_ret(ag, -1, pid < 0 ? err : ETIMEDOUT);
    ag->child_exec_err = pid < 0 ? err : ENOEXEC;
    close(go[1]);
    close(report[0]);
    return;
  }
  put_ret(ag, m.a, (int)m.b);
  ag->child = pid;
  ag->child_go = go[1];
  ag->child_report = report[0];
  ag->child_ready = 0;
  struct pollfd p = {report[0], POLLIN, 0};
  if (poll(&p, 1, kProbeReadyMillis) > 0) take_probe_ready(ag);
}

/* The probe that `proc exec` runs: see op_proc_exec. It maps the old
 * buffer's pages at their old address if the new image left them free,
 * fills the buffer with kProbePattern, counts the notification signal,
 * waits for the go byte, and reports whether the pattern changed (a
 * completion wrote into the new image) and how many signals came
 * (AIO-PROC-13: neither may happen). */
static volatile sig_atomic_t probe_signals;

static void probe_on_signal(int signo) {
  (void)signo;
  probe_signals = probe_signals + 1;
}

int aiospec_exec_probe(int argc, char **argv) {
  enum { kProbePattern = 0xA5 };
  if (argc != 7) return 2;
  const int go = atoi(argv[2]), report = atoi(argv[3]);
  const uintptr_t addr = (uintptr_t)strtoull(argv[4], NULL, 10);
  const size_t len = (size_t)strtoull(argv[5], NULL, 10);
  const int signo = atoi(argv[6]);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = probe_on_signal;
  sigemptyset(&sa.sa_mask);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  if (sigaction(signo, &sa, NULL) != 0 ||
      sigprocmask(SIG_UNBLOCK, &set, NULL) != 0) {
    return 1;
  }
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000 /* Linux 4.17; older kernels ignore it */
#endif
  const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  const uintptr_t start = addr & ~(page - 1);
  const size_t span = (size_t)(((addr + len + page - 1) & ~(page - 1)) - start);
  int mapped = len == 0;
  if (!mapped) {
    void *want = (void *)start;
    void *got = mmap(want, span, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    mapped = got == want;
    if (got != MAP_FAILED && !mapped) munmap(got, span);
  }
  unsigned char *buf = (unsigned char *)addr;
  if (mapped) memset(buf, kProbePattern, len);
  write_report(report, kProbeReady, mapped);
  char c;
  while (read(go, &c, 1) < 0 && errno == EINTR) {
  }
  long long filled = 0;
  for (size_t i = 0; mapped && i < len; ++i) filled |= buf[i] != kProbePattern;
  write_report(report, filled, probe_signals);
  return 0;
}

static void op_proc(struct agent *ag, int k, const struct wire_op *op) {
  put_head(ag, k, "proc");
  switch (op->a[0]) {
    case AIOSPEC_WIRE_PROC_FORK: op_proc_fork(ag, op); break;
    case AIOSPEC_WIRE_PROC_JOIN: op_proc_join(ag); break;
    case AIOSPEC_WIRE_PROC_EXEC: op_proc_exec(ag, op); break;
    default: op_proc_exit(ag, op); break;
  }
}

/* Children a run cut short left behind, and proc exit children still in
 * _exit: none may outlive the run. */
static void reap_children(struct agent *ag) {
  if (ag->child > 0) {
    reap_child(ag->child, kCleanupMillis, 1);
    close(ag->child_go);
    close(ag->child_report);
    ag->child = 0;
  }
  for (int i = 0; i < ag->nstragglers; ++i) {
    if (!reap_child(ag->stragglers[i], kStragglerMillis, 0)) {
      reap_child(ag->stragglers[i], kCleanupMillis, 1);
    }
  }
  ag->nstragglers = 0;
}

/* ------------------------------------------------------------------------ */
/* Holding syscalls on regular files (hold.h)                               */

static const char *hold_kind_name(int kind) {
  switch (kind) {
    case AIOSPEC_HOLD_READ: return "read";
    case AIOSPEC_HOLD_WRITE: return "write";
    case AIOSPEC_HOLD_FSYNC: return "fsync";
    default: return "fdatasync";
  }
}

/* ret= the calls stopped (wait) or answered (release); calls= which. */
static void op_hold(struct agent *ag, int k, const struct wire_op *op) {
  struct aiospec_hold_call calls[AIOSPEC_HOLD_MAX_CALLS];
  const int fd = resolve_fd(ag, (int)op->a[1]);
  const int err = op->req.notify_kind == AIOSPEC_WIRE_HOLD_EIO      ? EIO
                  : op->req.notify_kind == AIOSPEC_WIRE_HOLD_ENOSPC ? ENOSPC
                                                                    : 0;
  errno = 0;
  int n = op->a[0] ? aiospec_hold_release(fd, err, op->count, calls)
                   : aiospec_hold_wait(fd, (int)op->a[2], op->a[3], calls);
  int e = errno;
  put_head(ag, k, "hold");
  put_ret(ag, n, e);
  for (int i = 0; i < n; ++i) {
    aiospec_line_printf(&ag->line, "%s%s", i == 0 ? " calls=" : ",",
                        hold_kind_name(calls[i].kind));
    if (calls[i].kind != AIOSPEC_HOLD_READ &&
        calls[i].kind != AIOSPEC_HOLD_WRITE) {
      continue;
    }
    if (calls[i].offset < 0) {
      aiospec_line_printf(&ag->line, "@-:%lld", calls[i].len);
    } else {
      aiospec_line_printf(&ag->line, "@%lld:%lld", calls[i].offset,
                          calls[i].len);
    }
  }
}

/* ------------------------------------------------------------------------ */
/* Threads (trace ops `thread`, `on`, `start`, `await`, `cancel`, `exit`)   */

enum {
  kCancelSettleMillis = 20, /* a started call blocks in it by then */
  kThreadEndMillis = 1000   /* a cancelled or stopped thread ends by then */
};

/* sigmask: pthread_sigmask of the listed signals on the thread that runs
 * it, and which of them were pending just before (AIO-SIG-15). */
struct sigmask_call {
  const struct wire_op *op;
  int pending[AIOSPEC_WIRE_NOTIFY_RT_MAX + 1];
  int npending;
  int err; /* pthread_sigmask's result */
};

static void sigmask_run(void *p) {
  struct sigmask_call *m = p;
  const struct wire_op *op = m->op;
  sigset_t set, pending;
  sigemptyset(&set);
  for (int i = 0; i < op->count; ++i) sigaddset(&set, SIGRTMIN + op->cbs[i]);
  sigpending(&pending);
  m->npending = 0;
  for (int i = 0; i < op->count; ++i) {
    if (sigismember(&pending, SIGRTMIN + op->cbs[i]) == 1) {
      m->pending[m->npending++] = op->cbs[i];
    }
  }
  m->err = pthread_sigmask(op->a[0] ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* On the main thread, or (`on T sigmask`) on worker w. */
static void op_sigmask(struct agent *ag, int k, const struct wire_op *op,
                       struct aiospec_worker *w) {
  struct sigmask_call m;
  memset(&m, 0, sizeof m);
  m.op = op;
  if (w) {
    aiospec_worker_give(w, sigmask_run, &m, /*held=*/0);
    aiospec_worker_wait(w);
  } else {
    sigmask_run(&m);
  }
  put_head(ag, k, "sigmask");
  put_ret(ag, m.err ? -1 : 0, m.err);
  for (int i = 0; i < m.npending; ++i) {
    aiospec_line_printf(&ag->line, "%sSIGRTMIN+%d", i ? "," : " pending=",
                        m.pending[i]);
  }
}

/* A worker's first job: say which trace thread it is. */
static void name_thread(void *p) {
  aiospec_notify_name_thread(((struct thread_slot *)p)->index);
}

/* `on T OP` / `start T OP`: T makes the call; the slot takes the op over
 * (the caller's copy no longer owns its lists). */
static void op_on(struct agent *ag, int k, struct wire_op *op) {
  struct thread_slot *t = &ag->threads[op->thread];
  if (op->code == AIOSPEC_WIRE_SIGMASK && t->alive && !t->busy) {
    op_sigmask(ag, k, op, &t->w);
    return;
  }
  struct call *c = malloc(sizeof *c);
  if (!t->alive || t->busy || !c) {
    free(c);
    put_head(ag, k, op->run == AIOSPEC_WIRE_RUN_START ? "start"
                                                      : call_name(op->code));
    put_ret(ag, -1, c ? ESRCH : ENOMEM);
    return;
  }
  t->op = *op;
  op->cbs = NULL;
  op->elems = NULL;
  t->call = c;
  t->busy = 1;
  call_prepare(ag, &t->op, c);
  if (op->run == AIOSPEC_WIRE_RUN_START) {
    aiospec_worker_give(&t->w, call_run, c, /*held=*/1);
    put_head(ag, k, "start");
    put_ret(ag, 0, 0);
    return;
  }
  aiospec_worker_give(&t->w, call_run, c, /*held=*/0);
  aiospec_worker_wait(&t->w);
  call_report(ag, k, call_name(op->code), c);
  free_op(&t->op);
  free(c);
  t->busy = 0;
}

/* Lets every started call begin: they begin together, when the first op
 * after a run of `start`s comes. */
static void release_started(struct agent *ag) {
  for (int i = 0; i < AIOSPEC_WIRE_MAX_THREADS; ++i) {
    if (ag->threads[i].busy) aiospec_worker_go(&ag->threads[i].w);
  }
}

static void op_thread(struct agent *ag, int k, const struct wire_op *op) {
  struct thread_slot *t = &ag->threads[op->a[1]];
  int kind = (int)op->a[0];
  long long ret = 0;
  int err = 0;
  if (kind == AIOSPEC_WIRE_THREAD_CREATE) {
    if (t->alive || aiospec_worker_start(&t->w) != 0) {
      ret = -1;
      err = t->alive ? EBUSY : errno;
    } else {
      t->alive = 1;
      t->index = (int)op->a[1];
      size_t n = hex_bytes(op->hex);
      if (n >= sizeof t->name) n = sizeof t->name - 1;
      hex_decode((struct span){op->hex.p, 2 * n}, (unsigned char *)t->name);
      t->name[n] = '\0';
      aiospec_worker_give(&t->w, name_thread, t, /*held=*/0);
      aiospec_worker_wait(&t->w);
    }
    put_head(ag, k, "thread");
  } else if (kind == AIOSPEC_WIRE_THREAD_AWAIT && t->busy) {
    aiospec_worker_wait(&t->w);
    call_report(ag, k, "await", t->call);
    free_op(&t->op);
    free(t->call);
    t->busy = 0;
    return;
  } else if (kind == AIOSPEC_WIRE_THREAD_CANCEL && t->busy) {
    err = aiospec_worker_cancel(&t->w, kCancelSettleMillis, kThreadEndMillis);
    ret = err == 0 ? 0 : -1;
    t->alive = 0;
    t->abandoned = err == ETIMEDOUT;
    if (!t->abandoned) {
      call_free(t->call);
      free_op(&t->op);
      free(t->call);
      t->busy = 0;
    }
    put_head(ag, k, "cancel");
  } else if (kind == AIOSPEC_WIRE_THREAD_EXIT && t->alive && !t->busy) {
    t->alive = 0;
    if (aiospec_worker_stop(&t->w, kThreadEndMillis) != 0) {
      t->abandoned = 1;
      ret = -1;
      err = ETIMEDOUT;
    }
    put_head(ag, k, "exit");
  } else {
    /* The parser never sends these. */
    ret = -1;
    err = EINVAL;
    put_head(ag, k, "thread");
  }
  put_ret(ag, ret, err);
}

/* The threads still alive at the end return; abandoned ones stay. */
static void stop_threads(struct agent *ag) {
  for (int i = 0; ag->threads && i < AIOSPEC_WIRE_MAX_THREADS; ++i) {
    struct thread_slot *t = &ag->threads[i];
    if (!t->alive || t->busy) continue;
    t->alive = 0;
    t->abandoned = aiospec_worker_stop(&t->w, kThreadEndMillis) != 0;
  }
}

static void run_op(struct agent *ag, int k, struct wire_op *op) {
  if (op->run != 0) {
    op_on(ag, k, op);
    emit_line(ag);
    return;
  }
  switch (op->code) {
    case AIOSPEC_WIRE_FILE: op_file(ag, k, op); break;
    case AIOSPEC_WIRE_PIPE:
    case AIOSPEC_WIRE_SOCKETPAIR: op_pair(ag, k, op); break;
    case AIOSPEC_WIRE_OPEN: op_open(ag, k, op); break;
    case AIOSPEC_WIRE_CLOSE: op_close(ag, k, op); break;
    case AIOSPEC_WIRE_DUP:
    case AIOSPEC_WIRE_DUP2: op_dup(ag, k, op); break;
    case AIOSPEC_WIRE_AIO_READ:
    case AIOSPEC_WIRE_AIO_WRITE:
    case AIOSPEC_WIRE_AIO_FSYNC:
    case AIOSPEC_WIRE_AIO_ERROR:
    case AIOSPEC_WIRE_AIO_RETURN:
    case AIOSPEC_WIRE_AIO_SUSPEND:
    case AIOSPEC_WIRE_AIO_CANCEL:
    case AIOSPEC_WIRE_LIO_LISTIO: op_call(ag, k, op); break;
    case AIOSPEC_WIRE_FILL: op_fill(ag, k, op); break;
    case AIOSPEC_WIRE_DRAIN: op_drain(ag, k, op); break;
    case AIOSPEC_WIRE_WRITE: op_write(ag, k, op); break;
    case AIOSPEC_WIRE_READBACK: op_readback(ag, k, op); break;
    case AIOSPEC_WIRE_WAIT: op_wait(ag, k, op); break;
    case AIOSPEC_WIRE_STORM: op_storm(ag, k, op); break;
    case AIOSPEC_WIRE_PROC: op_proc(ag, k, op); break;
    case AIOSPEC_WIRE_HOLD: op_hold(ag, k, op); break;
    case AIOSPEC_WIRE_THREAD: op_thread(ag, k, op); break;
    case AIOSPEC_WIRE_SIGMASK: op_sigmask(ag, k, op, NULL); break;
    default: break; /* parse_op rejects unknown codes */
  }
  emit_line(ag);
}

/* ------------------------------------------------------------------------ */
/* Bringing everything to rest                                              */

/* Requests still running; marks the finished ones done. */
static int count_in_flight(struct agent *ag) {
  int n = 0;
  for (size_t i = 0; i < ag->nreqs; ++i) {
    struct request *r = &ag->reqs[i];
    if (r->done) continue;
    int status = ag->ops->aio_error(r->cb);
    if (status == EINPROGRESS) {
      ++n;
    } else if (status >= 0) {
      r->done = 1;
    }
  }
  return n;
}

static int fd_used_in_flight(const struct agent *ag, int fd) {
  struct stat st;
  int acc = -1;
  for (size_t i = 0; i < ag->nreqs; ++i) {
    const struct request *r = &ag->reqs[i];
    if (r->done || r->cb->aio_fildes != fd) continue;
    /* Looked up once, and only for a number a request still uses: after
     * most runs none does, and each call is a system call. */
    if (acc < 0 && ((acc = fcntl(fd, F_GETFL)) < 0 || fstat(fd, &st) != 0)) {
      return 0;
    }
    if (r->fd_ino == st.st_ino && r->fd_acc == (acc & O_ACCMODE)) return 1;
  }
  return 0;
}

/* One round of releasing held requests: closes pipe write ends nobody has
 * a request on (readers then see EOF), drains pipe read ends and sockets
 * (blocked writers then finish). */
static void release_round(struct agent *ag) {
  aiospec_hold_release_all();
  for (int h = 0; h < ag->t.fds; ++h) {
    int fd = ag->fd_num[h];
    if (fd < 0) continue;
    struct stat st;
    if (fstat(fd, &st) != 0) continue;
    int acc = fcntl(fd, F_GETFL) & O_ACCMODE;
    if (S_ISFIFO(st.st_mode) && acc == O_WRONLY) {
      if (!fd_used_in_flight(ag, fd)) {
        ag->ops->close(fd);
        ag->fd_num[h] = -1;
      }
      continue;
    }
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
      struct nbio io;
      if (nbio_open(&io, fd, 0) != 0) continue;
      struct bytes sink = {NULL, 0, 0};
      read_available(&io, -1, &sink);
      free(sink.p);
      nbio_close(&io);
    }
  }
}

static void come_to_rest(struct agent *ag) {
  /* A run cut short with the storm on: no handler may outlive the run. */
  aiospec_storm_stop(NULL);
  stop_threads(ag);
  reap_children(ag);
  const int64_t deadline = now_millis() + kCleanupMillis;
  int in_flight = count_in_flight(ag);
  if (in_flight > 0) {
    /* Sockets: shutdown wakes blocked readers and writers on both ends,
     * without freeing a descriptor number a worker may still use. */
    for (int h = 0; h < ag->t.fds; ++h) {
      int fd = ag->fd_num[h];
      struct stat st;
      if (fd >= 0 && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) {
        shutdown(fd, SHUT_RDWR);
      }
    }
    for (int h = 0; h < ag->t.fds; ++h) {
      if (ag->fd_num[h] >= 0) ag->ops->aio_cancel(ag->fd_num[h], NULL);
    }
  }
  /* Cancelled requests usually finish within microseconds: look again
   * after a nap before releasing held ones, whose descriptor work (an
   * fstat, fcntl and /proc open per descriptor) cost about 80 us. */
  struct backoff settle = {0};
  while (in_flight > 0 && now_millis() < deadline) {
    backoff_sleep(&settle);
    in_flight = count_in_flight(ag);
    if (in_flight > 0) release_round(ag);
  }
  if (in_flight > 0) {
    aiospec_line_clear(&ag->line);
    aiospec_line_printf(&ag->line,
                        "# cleanup: %d requests still in progress; their "
                        "memory and descriptors are leaked",
                        in_flight);
    emit_line(ag);
  }
  /* Notifications of finished requests may still be on their way. */
  const int64_t straggler_deadline = now_millis() + kStragglerMillis;
  struct backoff straggle = {0};
  while (aiospec_notify_arrived() < ag->expected_notifications &&
         now_millis() < straggler_deadline) {
    backoff_sleep(&straggle);
  }
  emit_notifications(ag, ag->last_op, /*as_comment=*/1);

  for (int h = 0; h < ag->t.fds; ++h) {
    int fd = ag->fd_num[h];
    if (fd < 0 || fd_used_in_flight(ag, fd)) continue;
    /* Another handle may share the number only if a close raced; skip
     * numbers already closed through an earlier handle. */
    int dup_earlier = 0;
    for (int g = 0; g < h; ++g) dup_earlier |= ag->fd_num[g] == fd;
    if (!dup_earlier) ag->ops->close(fd);
  }
  for (int h = 0; h < ag->t.fds; ++h) ag->fd_num[h] = -1;
  for (int f = 0; f < ag->t.files; ++f) {
    if (!ag->file_made[f]) continue;
    char path[PATH_MAX];
    file_path(ag, f, path, sizeof path);
    unlink(path);
  }
}

static void free_agent(struct agent *ag) {
  aiospec_notify_end(); /* no handler may look at an aiocb after this */
  int all_done = 1;
  for (size_t i = 0; i < ag->nreqs; ++i) {
    struct request *r = &ag->reqs[i];
    if (!r->done) {
      all_done = 0;
      continue; /* may still be in flight: leak it */
    }
    free(r->cb);
    free_request_buf(r);
  }
  if (all_done) {
    for (size_t i = 0; i < ag->ndeferred; ++i) free(ag->deferred[i]);
  }
  free(ag->deferred);
  free(ag->reqs);
  free(ag->fd_num);
  free(ag->file_made);
  free(ag->cb_req);
  free(ag->threads);
  aiospec_line_free(&ag->line);
}

/* ------------------------------------------------------------------------ */

static int wire_error(struct agent *ag, int line_no, const char *why) {
  aiospec_line_clear(&ag->line);
  aiospec_line_printf(&ag->line, "# error: wire line %d: %s", line_no, why);
  emit_line(ag);
  aiospec_line_free(&ag->line);
  return -1;
}

/* Parses the header and checks every op line; returns the op count or -1. */
static int validate(struct agent *ag, const char *wire, size_t len,
                    struct cursor *ops_start) {
  struct cursor c = {wire, wire + len};
  const char *line, *end;
  if (!next_line(&c, &line, &end)) return wire_error(ag, 1, "empty input");
  static const char kMagic[] = AIOSPEC_WIRE_MAGIC;
  const size_t magic_len = sizeof kMagic - 1;
  if ((size_t)(end - line) < magic_len || memcmp(line, kMagic, magic_len) != 0) {
    return wire_error(ag, 1, "expected 'aiospec-wire'");
  }
  struct cursor h = {line + magic_len, end};
  int version, nops;
  if (tok_int_in(&h, &version, 0, INT_MAX) != 0 ||
      version != AIOSPEC_WIRE_VERSION) {
    return wire_error(ag, 1, "unsupported wire version");
  }
  if (tok_int_in(&h, &ag->t.files, 0, kMaxTableSize) != 0 ||
      tok_int_in(&h, &ag->t.fds, 0, kMaxTableSize) != 0 ||
      tok_int_in(&h, &ag->t.cbs, 0, kMaxTableSize) != 0 ||
      tok_int_in(&h, &nops, 0, kMaxOps) != 0 || h.p != end) {
    return wire_error(ag, 1, "bad header");
  }
  *ops_start = c;
  for (int k = 0; k < nops; ++k) {
    if (!next_line(&c, &line, &end)) {
      return wire_error(ag, k + 2, "input ends before the last op");
    }
    struct wire_op op;
    const char *why = NULL;
    int bad = parse_op(line, end, &ag->t, &op, &why);
    if (!bad && op.code == AIOSPEC_WIRE_OPEN &&
        (op.a[2] & AIOSPEC_WIRE_OPEN_HOLD)) {
      ag->hold_err = -1; /* holds wanted: installed before any thread */
    }
    if (!bad && (op.code == AIOSPEC_WIRE_THREAD ||
                 op.code == AIOSPEC_WIRE_SIGMASK || op.run != 0)) {
      ag->name_threads = 1;
    }
    free_op(&op);
    if (bad) return wire_error(ag, k + 2, why);
  }
  if (!next_line(&c, &line, &end) || end - line != 3 ||
      memcmp(line, "end", 3) != 0) {
    return wire_error(ag, nops + 2, "expected 'end'");
  }
  while (next_line(&c, &line, &end)) {
    if (end != line) return wire_error(ag, nops + 3, "text after 'end'");
  }
  return nops;
}

int aiospec_agent_run(const struct aiospec_aio_ops *ops, const char *wire,
                      size_t wire_len, const char *work_dir,
                      aiospec_emit_fn emit, void *ctx) {
  struct agent ag;
  memset(&ag, 0, sizeof ag);
  ag.ops = ops;
  ag.work_dir = work_dir;
  ag.emit = emit;
  ag.ctx = ctx;
  ag.last_op = -1;

  struct cursor ops_start;
  int nops = validate(&ag, wire, wire_len, &ops_start);
  if (nops < 0) return -1;

  ag.fd_num = malloc(((size_t)ag.t.fds + 1) * sizeof *ag.fd_num);
  ag.file_made = calloc((size_t)ag.t.files + 1, 1);
  ag.cb_req = malloc(((size_t)ag.t.cbs + 1) * sizeof *ag.cb_req);
  ag.threads = calloc(AIOSPEC_WIRE_MAX_THREADS, sizeof *ag.threads);
  if (!ag.fd_num || !ag.file_made || !ag.cb_req || !ag.threads) {
    free(ag.fd_num);
    free(ag.file_made);
    free(ag.cb_req);
    free(ag.threads);
    return wire_error(&ag, 0, "out of memory");
  }
  for (int i = 0; i < ag.t.fds; ++i) ag.fd_num[i] = -1;
  for (int i = 0; i < ag.t.cbs; ++i) ag.cb_req[i] = -1;

  emit_text(&ag, "aiospec-log 1");
  aiospec_line_printf(&ag.line, "target %s", ops->name ? ops->name : "unknown");
  emit_line(&ag);
  if (ag.hold_err != 0) {
    ag.hold_err = aiospec_hold_install() == 0 ? 0 : errno;
    if (ag.hold_err != 0) {
      aiospec_line_printf(&ag.line, "# holds unavailable: errno %d",
                          ag.hold_err);
      emit_line(&ag);
    }
  }
  if (aiospec_notify_begin(ops) != 0) {
    emit_text(&ag, "# error: cannot install the notification handler");
  }

  struct cursor c = ops_start;
  for (int k = 0; k < nops; ++k) {
    const char *line = c.p, *end = c.p;
    next_line(&c, &line, &end);
    struct wire_op op;
    const char *why = NULL;
    aiospec_line_clear(&ag.line);
    aiospec_line_printf(&ag.line, "# begin %d", k);
    emit_line(&ag);
    if (parse_op(line, end, &ag.t, &op, &why) != 0) {
      /* Validated above; only an allocation can fail here. */
      free_op(&op);
      emit_text(&ag, "# error: out of memory parsing an op");
      break;
    }
    if (op.run != AIOSPEC_WIRE_RUN_START) release_started(&ag);
    run_op(&ag, k, &op);
    free_op(&op);
    ag.last_op = k;
    emit_notifications(&ag, k, /*as_comment=*/0);
  }

  come_to_rest(&ag);
  unsigned dropped = aiospec_notify_dropped();
  if (dropped) {
    aiospec_line_clear(&ag.line);
    aiospec_line_printf(&ag.line, "# notify log full: %u records lost",
                        dropped);
    emit_line(&ag);
  }
  emit_text(&ag, "end completed");
  free_agent(&ag);
  return 0;
}
