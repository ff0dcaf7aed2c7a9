#!/usr/bin/env python3
"""C reproducers (`aiospec repro --emit-c`) built and run (label `repro`).

Usage: repro_compile_test.py AIOSPEC SOURCE_DIR findings|traces

findings: every finding in conformance/baselines/{glibc,musl}.txt. aiospec
  reruns the trace on its target and writes the program; gcc (glibc) or
  musl-gcc -static (musl) builds it, and it must give aiospec's verdict:
  exit 1 (FAIL: reproduced, hung or crashed). A program that says
  INCONCLUSIVE (exit 2: the run took another path, e.g. a storm stopped
  before its handler saw a status) is run again, up to RUNS times. A RACE
  entry (timing-dependent) may PASS or FAIL, and aiospec itself may see
  nothing to reproduce: each outcome is printed. A glibc finding that musl
  passes is also built with musl-gcc and must not FAIL there (exit 0, or 2
  where glibc's allowed list need not apply).
traces: every conformance trace, run on a stand-in target that crashes at
  once (so aiospec judges every trace a CRASH finding and the emitter must
  write all of its ops), is written and compiled with gcc and musl-gcc.

In both, an emitter refusal (exit 77 "cannot write a reproducer") fails the
test, unless the trace is in ALLOWED_REFUSALS, whose reason is printed.
Exit 0 pass, 1 fail.
"""
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile

AIOSPEC, SRC, MODE = sys.argv[1], sys.argv[2], sys.argv[3]
TRACES = os.path.join(SRC, "conformance", "traces")
COMPILERS = {"glibc": ["gcc", "-std=c99", "-Wall", "-Werror", "-pthread", "-O1"],
             "musl": ["musl-gcc", "-std=c99", "-Wall", "-Werror", "-static", "-O1"]}
RUNS = 3
# trace -> why the emitter may refuse it.
_THREADS = "threads and signal masks (version 2 traces) are not replayed in C"
ALLOWED_REFUSALS = {
    "suspend_cancel_point": _THREADS,
    "thread_exit_keeps_requests": _THREADS,
    "threads_concurrent_calls": _THREADS,
    "signal_to_unblocked_thread": _THREADS,
    "signal_rt_lowest_first": _THREADS,
}


def baseline(target):
    found = {}
    with open(os.path.join(SRC, "conformance", "baselines", f"{target}.txt")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            words = line.split()
            found[words[0]] = words[1:]
    return found


def emit(trace, target, out):
    """(None, None) when written, else ('error'|'ok', message)."""
    p = subprocess.run([AIOSPEC, "repro", os.path.join(TRACES, trace + ".trace"),
                        "--target", target, "--emit-c", "--out", out],
                       capture_output=True, text=True, timeout=120)
    why = p.stderr.strip()
    if p.returncode == 0:
        return None, None
    if p.returncode == 77 and "nothing to reproduce" not in why:
        if trace in ALLOWED_REFUSALS:
            return "ok", f"refused, allowed: {ALLOWED_REFUSALS[trace]} ({why})"
        return "error", f"refused: {why}"
    if p.returncode == 77:
        return "nothing", why
    return "error", f"aiospec repro exit {p.returncode}: {why}"


def build(c_file, libc, out, extra=()):
    b = subprocess.run(COMPILERS[libc] + list(extra) + [c_file, "-o", out, "-lrt"],
                       capture_output=True, text=True, timeout=120)
    return None if b.returncode == 0 else f"build with {COMPILERS[libc][0]} failed:\n{b.stderr}"


def run(binary, runs):
    """Runs until a verdict other than INCONCLUSIVE, at most `runs` times:
    [(exit code, verdict line, output)]."""
    tries = []
    for _ in range(runs):
        r = subprocess.run([binary], capture_output=True, text=True, timeout=120)
        verdicts = [line for line in r.stdout.splitlines()
                    if line.split(":")[0] in ("PASS", "FAIL", "INCONCLUSIVE")]
        tries.append((r.returncode, verdicts[-1] if verdicts else "(no verdict)", r.stdout))
        if r.returncode != 2:
            break
    return tries


def finding(work, trace, found_on, run_on, race):
    """Emits from a run on found_on, builds for run_on, runs: (status, message)."""
    base = os.path.join(work, f"{trace}.{found_on}.{run_on}")
    status, msg = emit(trace, found_on, base + ".c")
    if status == "nothing":
        # A RACE the rerun did not hit; anything else is a stale baseline.
        return ("ok" if race else "error"), f"aiospec saw no finding this run: {msg}"
    if status:
        return status, msg
    err = build(base + ".c", run_on, base)
    if err:
        return "error", err
    # Only a FAIL that must reproduce is worth another run.
    tries = run(base, RUNS if found_on == run_on and not race else 1)
    code, last, out = tries[-1]
    note = "" if len(tries) == 1 else f" (INCONCLUSIVE {len(tries) - 1}x before)"
    if found_on != run_on:
        ok = code in (0, 2)  # the other libc passes: not a FAIL
    elif race:
        ok = code in (0, 1, 2)
        note += " (a RACE: PASS, FAIL or INCONCLUSIVE all agree with the baseline)"
    else:
        ok = code == 1
    return ("ok" if ok else "error"), f"exit {code}{note}: {last}" + ("" if ok else f"\n{out}")


def findings_jobs(have_musl):
    glibc, musl = baseline("glibc"), baseline("musl")
    jobs = []
    for target, found in (("glibc", glibc), ("musl", musl)):
        if target == "musl" and not have_musl:
            continue
        for trace, words in sorted(found.items()):
            jobs.append((finding, trace, target, target, words[0] == "RACE"))
    if have_musl:  # glibc findings that musl passes: not a FAIL there
        for trace in sorted(set(glibc) - set(musl)):
            if glibc[trace][0] != "RACE":
                jobs.append((finding, trace, "glibc", "musl", False))
    return jobs


def every_trace(work, trace, crash_agent, have_musl):
    """Written as a CRASH finding and compiled: (status, message)."""
    base = os.path.join(work, trace)
    status, msg = emit(trace, f"agent:{crash_agent}", base + ".c")
    if status == "nothing":
        return "error", f"the stand-in target did not crash: {msg}"
    if status:
        return status, msg
    for libc in ("glibc", "musl") if have_musl else ("glibc",):
        err = build(base + ".c", libc, os.devnull, ["-c"])
        if err:
            return "error", err
    return "ok", "written, compiled" + (" with gcc and musl-gcc" if have_musl else " with gcc")


def main():
    have_musl = shutil.which("musl-gcc") is not None
    if not have_musl:
        print("note: musl-gcc is not installed: no musl builds")
    failed = 0
    with tempfile.TemporaryDirectory() as work, \
            concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        if MODE == "findings":
            jobs = findings_jobs(have_musl)
            label = lambda j: f"{j[1]} (found on {j[2]}, run on {j[3]}{', RACE' if j[4] else ''})"
            futures = {pool.submit(j[0], work, *j[1:]): j for j in jobs}
        else:
            crash_agent = os.path.join(work, "crash-agent")
            with open(crash_agent, "w") as f:
                f.write("#!/bin/sh\nkill -SEGV $$\n")
            os.chmod(crash_agent, 0o755)
            jobs = sorted(t[:-6] for t in os.listdir(TRACES) if t.endswith(".trace"))
            label = lambda j: j
            futures = {pool.submit(every_trace, work, j, crash_agent, have_musl): j
                       for j in jobs}
        for fut in concurrent.futures.as_completed(futures):
            status, msg = fut.result()
            print(f"{label(futures[fut])}: {status}: {msg}")
            failed += status == "error"
    what = "reproducers agree with aiospec" if MODE == "findings" else "traces emit and compile"
    print(f"{len(jobs) - failed}/{len(jobs)} {what}")
    sys.exit(1 if failed else 0)


main()
