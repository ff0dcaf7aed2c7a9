/* Text pieces of the observation log, in C, for the agent (internal).
 *
 * A growable line buffer, the byte-literal encoder (the same output as
 * harness/common/byte_literal.h's EncodeBytes), and the symbolic names the
 * log uses for errno values, signals, si_code and aio_cancel results.
 *
 * Usage:
 *   struct aiospec_line line = {0};
 *   aiospec_line_printf(&line, "%d aio_return ret=%lld", k, ret);
 *   aiospec_line_puts(&line, " data=");
 *   aiospec_line_bytes(&line, buf, n);       // "F"*65536+"tail"
 *   emit(ctx, line.text, line.len);
 *   aiospec_line_clear(&line);
 *
 * None of this is async-signal-safe: it runs on the agent's main thread.
 */
#ifndef AIOSPEC_HARNESS_AGENT_LOG_TEXT_H_
#define AIOSPEC_HARNESS_AGENT_LOG_TEXT_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct aiospec_line {
  char *text; /* NUL-terminated once anything was appended */
  size_t len;
  size_t cap;
  int oom; /* set when an allocation failed; the line is then truncated */
};

void aiospec_line_clear(struct aiospec_line *line);
void aiospec_line_free(struct aiospec_line *line);
void aiospec_line_append(struct aiospec_line *line, const char *s, size_t n);
void aiospec_line_puts(struct aiospec_line *line, const char *s);
void aiospec_line_printf(struct aiospec_line *line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Appends bytes as a byte literal: "..." pieces, runs of >= 16 as "x"*N. */
void aiospec_line_bytes(struct aiospec_line *line, const unsigned char *bytes,
                        size_t n);

/* Names write into a caller buffer of at least AIOSPEC_NAME_MAX bytes and
 * return it. Unknown values come out as numbers (errno: "E#<n>"). */
#define AIOSPEC_NAME_MAX 32
const char *aiospec_errno_name(int err, char *out);
const char *aiospec_signal_name(int signo, char *out);
const char *aiospec_si_code_name(int code, char *out);
const char *aiospec_cancel_result_name(int result, char *out);

#ifdef __cplusplus
}
#endif

#endif /* AIOSPEC_HARNESS_AGENT_LOG_TEXT_H_ */
