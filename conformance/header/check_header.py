#!/usr/bin/env python3
"""The header and option checks of the catalogue (AIO-HDR-*, AIO-OPT-*,
AIO-SIG-01), run against one C library through its compiler.

Each check is a small C program. A `compile` check must compile (its
_Static_asserts and #errors state the requirement); a `run` check must also
link, run and exit 0 (a message on stdout says what differed; exit 77 means
the requirement does not apply here). Results are compared with the
target's known findings (findings/TARGET.txt, lines `CHECK FAIL`): a new
failure, or a known one that now passes, fails the run, as the conformance
baselines do.

Usage: check_header.py --target NAME --cc COMPILER [--static] [--launcher CMD]
       [--findings FILE] [--write_findings FILE]
"""
import argparse
import os
import pathlib
import shlex
import subprocess
import sys
import tempfile

FEATURES = "#define _XOPEN_SOURCE 700\n"

# (check name, catalogue ID, kind, C source). Names are stable: findings
# files refer to them.
CHECKS = []


def check(name, ident, kind, source):
    CHECKS.append((name, ident, kind, FEATURES + source))


def member(name, ident, include, decl, expr, types):
    check(name, ident, "compile", f"""{include}
{decl}
_Static_assert(_Generic(({expr}), {types}: 1, default: 0), "{name}: wrong type");
""")


for field, typ in [("aio_fildes", "int"), ("aio_offset", "off_t"),
                   ("aio_buf", "volatile void *"), ("aio_nbytes", "size_t"),
                   ("aio_reqprio", "int"),
                   ("aio_sigevent", "struct sigevent"),
                   ("aio_lio_opcode", "int")]:
    # The address keeps the member's own type through _Generic's conversion.
    member(f"aiocb.{field}", "AIO-HDR-01", "#include <aio.h>", "struct aiocb cb;",
           f"&cb.{field}", f"{typ} *")

for decl in ["off_t v", "pthread_attr_t v", "size_t v", "ssize_t v",
             "struct timespec v", "struct sigevent v", "union sigval v"]:
    name = "defines." + decl.rsplit(" ", 1)[0].replace("struct ", "").replace("union ", "")
    # Only <aio.h>: it must make each of these complete types visible.
    check(name, "AIO-HDR-02", "compile", f"#include <aio.h>\n{decl};\n")

for const in ["AIO_ALLDONE", "AIO_CANCELED", "AIO_NOTCANCELED", "LIO_NOP",
              "LIO_NOWAIT", "LIO_READ", "LIO_WAIT", "LIO_WRITE"]:
    check(f"constant.{const}", "AIO-HDR-03", "compile",
          f"#include <aio.h>\nenum {{ probe = {const} }};\n")

check("constants.distinct", "AIO-HDR-04", "compile", """#include <aio.h>
_Static_assert(AIO_CANCELED != AIO_NOTCANCELED && AIO_CANCELED != AIO_ALLDONE &&
               AIO_NOTCANCELED != AIO_ALLDONE, "aio_cancel results distinct");
_Static_assert(AIO_CANCELED != -1 && AIO_NOTCANCELED != -1 && AIO_ALLDONE != -1,
               "aio_cancel results distinct from -1");
_Static_assert(LIO_READ != LIO_WRITE && LIO_READ != LIO_NOP && LIO_WRITE != LIO_NOP,
               "lio opcodes distinct");
_Static_assert(LIO_WAIT != LIO_NOWAIT, "lio modes distinct");
""")

for fn, types in [
        ("aio_cancel", "int (*)(int, struct aiocb *)"),
        ("aio_error", "int (*)(const struct aiocb *)"),
        ("aio_fsync", "int (*)(int, struct aiocb *)"),
        ("aio_read", "int (*)(struct aiocb *)"),
        ("aio_return", "ssize_t (*)(struct aiocb *)"),
        ("aio_suspend",
         "int (*)(const struct aiocb *const *, int, const struct timespec *)"),
        ("aio_write", "int (*)(struct aiocb *)"),
        # POSIX's list is `struct aiocb *restrict const[restrict]`; a list
        # element type without the `restrict` is accepted too (glibc).
        ("lio_listio",
         "int (*)(int, struct aiocb *restrict const *, int, struct sigevent *): 1, "
         "int (*)(int, struct aiocb *const *, int, struct sigevent *)")]:
    # #undef: a function may also be a macro; the function must exist.
    member(f"prototype.{fn}", "AIO-HDR-05", "#include <aio.h>", f"#undef {fn}",
           f"&{fn}", types)

check("fsync_ops", "AIO-HDR-07", "compile", """#include <aio.h>
#include <fcntl.h>
enum { dsync = O_DSYNC, sync_ = O_SYNC };
""")

for field, ptr in [("sigev_notify", "int *"), ("sigev_signo", "int *"),
                   ("sigev_value", "union sigval *"),
                   ("sigev_notify_function", "void (**)(union sigval)"),
                   ("sigev_notify_attributes", "pthread_attr_t **")]:
    member(f"sigevent.{field}", "AIO-SIG-01", "#include <signal.h>",
           "struct sigevent se;", f"&se.{field}", ptr)
for field, typ in [("sival_int", "int *"), ("sival_ptr", "void **")]:
    member(f"sigval.{field}", "AIO-SIG-01", "#include <signal.h>", "union sigval sv;",
           f"&sv.{field}", typ)

check("posix_asynchronous_io", "AIO-OPT-01", "run", """#include <unistd.h>
#include <stdio.h>
#if !defined(_POSIX_ASYNCHRONOUS_IO)
#error _POSIX_ASYNCHRONOUS_IO is not defined
#elif _POSIX_ASYNCHRONOUS_IO != 200809L && _POSIX_ASYNCHRONOUS_IO != 202405L
#error _POSIX_ASYNCHRONOUS_IO is neither 200809L nor 202405L
#endif
int main(void) {
  long v = sysconf(_SC_ASYNCHRONOUS_IO);
  if (v == _POSIX_ASYNCHRONOUS_IO) return 0;
  printf("sysconf(_SC_ASYNCHRONOUS_IO) = %ld, _POSIX_ASYNCHRONOUS_IO = %ld\\n", v,
         (long)_POSIX_ASYNCHRONOUS_IO);
  return 1;
}
""")

check("posix_aio_minima", "AIO-OPT-04", "compile", """#include <limits.h>
_Static_assert(_POSIX_AIO_LISTIO_MAX == 2, "_POSIX_AIO_LISTIO_MAX is 2");
_Static_assert(_POSIX_AIO_MAX == 1, "_POSIX_AIO_MAX is 1");
""")

check("aio_limits", "AIO-OPT-05", "run", """#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#if defined(AIO_LISTIO_MAX) && AIO_LISTIO_MAX < 2
#error AIO_LISTIO_MAX below 2
#endif
#if defined(AIO_MAX) && AIO_MAX < 1
#error AIO_MAX below 1
#endif
#if defined(AIO_PRIO_DELTA_MAX) && AIO_PRIO_DELTA_MAX < 0
#error AIO_PRIO_DELTA_MAX below 0
#endif
/* Each value is at least its minimum, or -1 with errno untouched. */
static int bad(const char *name, int sc, long min) {
  errno = 1234;
  long v = sysconf(sc);
  if (v >= min || (v == -1 && errno == 1234)) return 0;
  printf("sysconf(%s) = %ld (errno %d), minimum %ld\\n", name, v, errno, min);
  return 1;
}
int main(void) {
  return bad("_SC_AIO_LISTIO_MAX", _SC_AIO_LISTIO_MAX, 2) |
         bad("_SC_AIO_MAX", _SC_AIO_MAX, 1) |
         bad("_SC_AIO_PRIO_DELTA_MAX", _SC_AIO_PRIO_DELTA_MAX, 0);
}
""")

# Shared by the aio_reqprio checks: {AIO_PRIO_DELTA_MAX} (-1: none), an
# unlinked temporary file, and one 1-byte write run to completion.
AIO_HELPERS = """#include <aio.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static long prio_delta_max(void) {
  long max = sysconf(_SC_AIO_PRIO_DELTA_MAX);
#ifdef AIO_PRIO_DELTA_MAX
  if (max == -1) max = AIO_PRIO_DELTA_MAX;
#endif
  return max < 0 || max >= INT_MAX ? -1 : max;
}
static int temp_file(void) {
  char path[] = "/tmp/aiospec-hdr-XXXXXX";
  int fd = mkstemp(path);
  if (fd >= 0) unlink(path);
  return fd;
}
/* 0 if the write was accepted and completed, else the error (sync or async). */
static int write_one(int fd, long reqprio) {
  static char buf[1] = {'x'};
  struct aiocb cb;
  memset(&cb, 0, sizeof cb);
  cb.aio_fildes = fd;
  cb.aio_buf = buf;
  cb.aio_nbytes = 1;
  cb.aio_reqprio = (int)reqprio;
  cb.aio_sigevent.sigev_notify = SIGEV_NONE;
  if (aio_write(&cb) != 0) return errno;
  const struct aiocb *list[1] = {&cb};
  while (aio_error(&cb) == EINPROGRESS) aio_suspend(list, 1, NULL);
  int err = aio_error(&cb);
  aio_return(&cb);
  return err;
}
"""

check("reqprio_bound", "AIO-OPT-06", "run", AIO_HELPERS + """
int main(void) {
  long max = prio_delta_max();
  if (max < 0) {
    puts("no determinate {AIO_PRIO_DELTA_MAX}");
    return 77;
  }
  int fd = temp_file();
  if (fd < 0) return 2;
  int at = write_one(fd, max), above = write_one(fd, max + 1);
  if (at == 0 && above == EINVAL) return 0;
  printf("{AIO_PRIO_DELTA_MAX} = %ld: aio_reqprio = %ld gave %s, %ld gave %s "
         "(expected success, then EINVAL)\\n", max, max, at ? strerror(at) : "success",
         max + 1, above ? strerror(above) : "success");
  return 1;
}
""")

check("reqprio_keeps_priority", "AIO-GEN-14", "run", AIO_HELPERS + """#include <sched.h>
#include <sys/resource.h>
int main(void) {
  if (prio_delta_max() < 1) {
    puts("{AIO_PRIO_DELTA_MAX} is 0 or none: no aio_reqprio lowers a priority");
    return 77;
  }
  int fd = temp_file();
  if (fd < 0) return 2;
  struct sched_param before, after;
  errno = 0;
  int nice_before = getpriority(PRIO_PROCESS, 0);
  if (sched_getparam(0, &before) != 0 || errno != 0) return 2;
  if (write_one(fd, 1) != 0) return 2;
  int nice_after = getpriority(PRIO_PROCESS, 0);
  if (sched_getparam(0, &after) != 0) return 2;
  if (before.sched_priority == after.sched_priority && nice_before == nice_after) return 0;
  printf("priority %d, nice %d before an aio_reqprio = 1 write; %d, %d after\\n",
         before.sched_priority, nice_before, after.sched_priority, nice_after);
  return 1;
}
""")

check("pathconf_options", "AIO-OPT-07", "run", """#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
/* A constant of -1: no file supports the option; another defined value: all
   applicable files do; undefined: fpathconf answers per file (a value, or -1
   with errno untouched). */
static int bad(int fd, const char *name, int pc, int defined, long value) {
  errno = 1234;
  long v = fpathconf(fd, pc);
  int ok = !defined ? v != -1 || errno == 1234
           : value == -1 ? v == -1
                         : v != -1;
  if (!ok) printf("fpathconf(%s) = %ld (errno %d) with the constant %s %ld\\n",
                  name, v, errno, defined ? "=" : "undefined", value);
  return !ok;
}
#define CASE(fd, pc, opt) bad(fd, #pc, pc, DEFINED_##opt, VALUE_##opt)
#ifdef _POSIX_ASYNC_IO
#define DEFINED_ASYNC 1
#define VALUE_ASYNC ((long)_POSIX_ASYNC_IO)
#else
#define DEFINED_ASYNC 0
#define VALUE_ASYNC 0L
#endif
#ifdef _POSIX_PRIO_IO
#define DEFINED_PRIO 1
#define VALUE_PRIO ((long)_POSIX_PRIO_IO)
#else
#define DEFINED_PRIO 0
#define VALUE_PRIO 0L
#endif
#ifdef _POSIX_SYNC_IO
#define DEFINED_SYNC 1
#define VALUE_SYNC ((long)_POSIX_SYNC_IO)
#else
#define DEFINED_SYNC 0
#define VALUE_SYNC 0L
#endif
int main(void) {
  char path[] = "/tmp/aiospec-hdr-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return 2;
  unlink(path);
  return CASE(fd, _PC_ASYNC_IO, ASYNC) | CASE(fd, _PC_PRIO_IO, PRIO) |
         CASE(fd, _PC_SYNC_IO, SYNC);
}
""")


def first_error(text):
    for line in text.splitlines():
        if "error" in line:
            return line.split("error:", 1)[-1].strip()
    return text.strip().splitlines()[-1] if text.strip() else "failed"


def run_check(kind, source, args, tmp):
    src = pathlib.Path(tmp) / "check.c"
    exe = pathlib.Path(tmp) / "check"
    src.write_text(source)
    cc = shlex.split(args.cc)
    if kind == "compile":
        r = subprocess.run(cc + ["-std=c11", "-fsyntax-only", str(src)],
                           capture_output=True, text=True)
        return ("PASS", "") if r.returncode == 0 else ("FAIL", first_error(r.stderr))
    link = ["-static"] if args.static else []
    r = subprocess.run(cc + ["-std=c11", "-o", str(exe), str(src)] + link + ["-lpthread"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return "FAIL", first_error(r.stderr)
    if args.launcher == "none":
        return "SKIP", "built, not run: no launcher for this target"
    launcher = shlex.split(args.launcher) if args.launcher else []
    r = subprocess.run(launcher + [str(exe)], capture_output=True, text=True, timeout=60)
    if r.returncode == 77:
        return "SKIP", "does not apply: " + r.stdout.strip()
    if r.returncode == 0:
        return "PASS", ""
    return "FAIL", r.stdout.strip() or f"exit {r.returncode}"


def read_findings(path):
    known = {}
    if path and pathlib.Path(path).exists():
        for line in pathlib.Path(path).read_text().splitlines():
            words = line.split("#", 1)[0].split()
            if words:
                known[words[0]] = words[1]
    return known


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", required=True)
    parser.add_argument("--cc", required=True)
    parser.add_argument("--static", action="store_true")
    parser.add_argument("--launcher", default="",
                        help="runs the run checks (qemu-user); 'none': do not run them")
    parser.add_argument("--findings")
    parser.add_argument("--write_findings")
    args = parser.parse_args()

    known = read_findings(args.findings)
    results = []
    with tempfile.TemporaryDirectory(prefix="aiospec-hdr-") as tmp:
        for name, ident, kind, source in CHECKS:
            verdict, why = run_check(kind, source, args, tmp)
            results.append((name, ident, verdict, why))

    changed = 0
    for name, ident, verdict, why in results:
        expected = known.get(name, "PASS")
        note = ""
        if verdict != "SKIP" and verdict != expected:
            changed += 1
            note = f"  CHANGED (expected {expected})"
        print(f"{ident:12} {name:32} {verdict}{': ' + why if why else ''}{note}")
    if args.write_findings:
        with open(args.write_findings, "w") as out:
            out.write(f"# known header/option findings of {args.target} "
                      "(conformance/header/check_header.py)\n")
            for name, ident, verdict, why in results:
                if verdict == "FAIL":
                    out.write(f"{name} FAIL  # {ident}: {why}\n")
    fails = sum(1 for r in results if r[2] == "FAIL")
    print(f"{args.target}: {len(results)} checks, {fails} FAIL, "
          f"{sum(1 for r in results if r[2] == 'SKIP')} SKIP, {changed} changed "
          "from the known findings")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
