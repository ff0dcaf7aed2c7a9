#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "harness/agent/log_text.h"

#include <aio.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kMinRun = 16 }; /* the same threshold as EncodeBytes */

static int line_reserve(struct aiospec_line *line, size_t extra) {
  if (line->oom) return -1;
  if (line->len + extra + 1 <= line->cap) return 0;
  size_t cap = line->cap ? line->cap : 256;
  while (cap < line->len + extra + 1) cap *= 2;
  char *text = realloc(line->text, cap);
  if (!text) {
    line->oom = 1;
    return -1;
  }
  line->text = text;
  line->cap = cap;
  return 0;
}

void aiospec_line_clear(struct aiospec_line *line) {
  line->len = 0;
  line->oom = 0;
  if (line->text) line->text[0] = '\0';
}

void aiospec_line_free(struct aiospec_line *line) {
  free(line->text);
  line->text = NULL;
  line->len = line->cap = 0;
  line->oom = 0;
}

void aiospec_line_append(struct aiospec_line *line, const char *s, size_t n) {
  if (line_reserve(line, n) != 0) return;
  memcpy(line->text + line->len, s, n);
  line->len += n;
  line->text[line->len] = '\0';
}

void aiospec_line_puts(struct aiospec_line *line, const char *s) {
  aiospec_line_append(line, s, strlen(s));
}

void aiospec_line_printf(struct aiospec_line *line, const char *fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof small) {
    aiospec_line_append(line, small, (size_t)n);
    return;
  }
  if (line_reserve(line, (size_t)n) != 0) return;
  va_start(ap, fmt);
  vsnprintf(line->text + line->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  line->len += (size_t)n;
}

static void append_escaped(struct aiospec_line *line, unsigned char c) {
  char esc[5];
  switch (c) {
    case '\n': aiospec_line_append(line, "\\n", 2); return;
    case '\t': aiospec_line_append(line, "\\t", 2); return;
    case '\r': aiospec_line_append(line, "\\r", 2); return;
    case '\\': aiospec_line_append(line, "\\\\", 2); return;
    case '"': aiospec_line_append(line, "\\\"", 2); return;
    default: break;
  }
  if (c >= 0x20 && c < 0x7f) {
    esc[0] = (char)c;
    aiospec_line_append(line, esc, 1);
  } else {
    static const char kDigits[] = "0123456789abcdef";
    esc[0] = '\\';
    esc[1] = 'x';
    esc[2] = kDigits[c >> 4];
    esc[3] = kDigits[c & 0xf];
    aiospec_line_append(line, esc, 4);
  }
}

/* Mirrors EncodeBytes in harness/common/byte_literal.cc piece for piece, so
 * a log from the agent and one printed by PrintLog are the same text. */
void aiospec_line_bytes(struct aiospec_line *line, const unsigned char *bytes,
                        size_t n) {
  if (n == 0) {
    aiospec_line_append(line, "\"\"", 2);
    return;
  }
  int in_quote = 0;
  int empty = 1;
  size_t i = 0;
  while (i < n) {
    size_t run = 1;
    while (i + run < n && bytes[i + run] == bytes[i]) ++run;
    if (run >= kMinRun) {
      if (in_quote) aiospec_line_append(line, "\"", 1);
      if (!empty) aiospec_line_append(line, "+", 1);
      aiospec_line_append(line, "\"", 1);
      append_escaped(line, bytes[i]);
      aiospec_line_printf(line, "\"*%zu", run);
      in_quote = 0;
      empty = 0;
      i += run;
      continue;
    }
    if (!in_quote) {
      if (!empty) aiospec_line_append(line, "+", 1);
      aiospec_line_append(line, "\"", 1);
      in_quote = 1;
      empty = 0;
    }
    for (size_t k = 0; k < run; ++k) append_escaped(line, bytes[i]);
    i += run;
  }
  if (in_quote) aiospec_line_append(line, "\"", 1);
}

struct name_entry {
  int value;
  const char *name;
};

#define ENTRY(x) {x, #x},

static const struct name_entry kErrnos[] = {
    ENTRY(EPERM) ENTRY(ENOENT) ENTRY(ESRCH) ENTRY(EINTR) ENTRY(EIO)
    ENTRY(ENXIO) ENTRY(E2BIG) ENTRY(ENOEXEC) ENTRY(EBADF) ENTRY(ECHILD)
    ENTRY(EAGAIN) ENTRY(ENOMEM) ENTRY(EACCES) ENTRY(EFAULT) ENTRY(EBUSY)
    ENTRY(EEXIST) ENTRY(EXDEV) ENTRY(ENODEV) ENTRY(ENOTDIR) ENTRY(EISDIR)
    ENTRY(EINVAL) ENTRY(ENFILE) ENTRY(EMFILE) ENTRY(ENOTTY) ENTRY(EFBIG)
    ENTRY(ENOSPC) ENTRY(ESPIPE) ENTRY(EROFS) ENTRY(EMLINK) ENTRY(EPIPE)
    ENTRY(EDOM) ENTRY(ERANGE) ENTRY(EDEADLK) ENTRY(ENAMETOOLONG)
    ENTRY(ENOLCK) ENTRY(ENOSYS) ENTRY(ENOTEMPTY) ENTRY(ELOOP)
    ENTRY(EOVERFLOW) ENTRY(ENOTSOCK) ENTRY(EMSGSIZE) ENTRY(ENOTSUP)
    ENTRY(ECONNRESET) ENTRY(ENOBUFS) ENTRY(ENOTCONN) ENTRY(ETIMEDOUT)
    ENTRY(EALREADY) ENTRY(EINPROGRESS) ENTRY(ECANCELED) ENTRY(EOWNERDEAD)
#if defined(EOPNOTSUPP) && EOPNOTSUPP != ENOTSUP
    ENTRY(EOPNOTSUPP)
#endif
#if defined(EWOULDBLOCK) && EWOULDBLOCK != EAGAIN
    ENTRY(EWOULDBLOCK)
#endif
    {0, NULL}};

static const struct name_entry kSignals[] = {
    ENTRY(SIGHUP) ENTRY(SIGINT) ENTRY(SIGQUIT) ENTRY(SIGILL) ENTRY(SIGTRAP)
    ENTRY(SIGABRT) ENTRY(SIGBUS) ENTRY(SIGFPE) ENTRY(SIGKILL) ENTRY(SIGUSR1)
    ENTRY(SIGSEGV) ENTRY(SIGUSR2) ENTRY(SIGPIPE) ENTRY(SIGALRM) ENTRY(SIGTERM)
    ENTRY(SIGCHLD) ENTRY(SIGCONT) ENTRY(SIGSTOP) ENTRY(SIGTSTP) ENTRY(SIGTTIN)
    ENTRY(SIGTTOU) ENTRY(SIGURG) ENTRY(SIGXCPU) ENTRY(SIGXFSZ) ENTRY(SIGVTALRM)
    ENTRY(SIGPROF) ENTRY(SIGSYS)
    {0, NULL}};

static const struct name_entry kSiCodes[] = {
    ENTRY(SI_ASYNCIO) ENTRY(SI_QUEUE) ENTRY(SI_USER) ENTRY(SI_TIMER)
    ENTRY(SI_MESGQ)
#ifdef SI_TKILL
    ENTRY(SI_TKILL)
#endif
    {0, NULL}};

static const struct name_entry kCancelResults[] = {
    ENTRY(AIO_CANCELED) ENTRY(AIO_NOTCANCELED) ENTRY(AIO_ALLDONE)
    {0, NULL}};

#undef ENTRY

static const char *find_name(const struct name_entry *table, int value) {
  for (; table->name; ++table) {
    if (table->value == value) return table->name;
  }
  return NULL;
}

const char *aiospec_errno_name(int err, char *out) {
  const char *name = find_name(kErrnos, err);
  if (name) {
    snprintf(out, AIOSPEC_NAME_MAX, "%s", name);
  } else if (err == 0) {
    snprintf(out, AIOSPEC_NAME_MAX, "0");
  } else {
    snprintf(out, AIOSPEC_NAME_MAX, "E#%d", err);
  }
  return out;
}

const char *aiospec_signal_name(int signo, char *out) {
  /* SIGRTMIN is a run-time value in glibc and musl (and they differ). */
  if (signo >= SIGRTMIN && signo <= SIGRTMAX) {
    if (signo == SIGRTMIN) {
      snprintf(out, AIOSPEC_NAME_MAX, "SIGRTMIN");
    } else {
      snprintf(out, AIOSPEC_NAME_MAX, "SIGRTMIN+%d", signo - SIGRTMIN);
    }
    return out;
  }
  const char *name = find_name(kSignals, signo);
  if (name) {
    snprintf(out, AIOSPEC_NAME_MAX, "%s", name);
  } else {
    snprintf(out, AIOSPEC_NAME_MAX, "%d", signo);
  }
  return out;
}

const char *aiospec_si_code_name(int code, char *out) {
  const char *name = find_name(kSiCodes, code);
  if (name) {
    snprintf(out, AIOSPEC_NAME_MAX, "%s", name);
  } else {
    snprintf(out, AIOSPEC_NAME_MAX, "%d", code);
  }
  return out;
}

const char *aiospec_cancel_result_name(int result, char *out) {
  const char *name = find_name(kCancelResults, result);
  if (name) {
    snprintf(out, AIOSPEC_NAME_MAX, "%s", name);
  } else {
    snprintf(out, AIOSPEC_NAME_MAX, "%d", result);
  }
  return out;
}
