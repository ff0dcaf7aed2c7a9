#!/usr/bin/env python3
"""Each known finding's C reproducer, built and run against the libc it was
found in, must give aiospec's verdict (label `repro`).

Usage: repro_compile_test.py AIOSPEC SOURCE_DIR
For every finding in conformance/baselines/{glibc,musl}.txt: `aiospec repro`
writes the program, gcc (glibc) or musl-gcc -static (musl) builds it, and it
must exit 1 (FAIL: reproduced, hung or crashed). A glibc finding that musl
passes is also built with musl-gcc and must not FAIL: exit 0 (PASS), or 2
(INCONCLUSIVE) when musl took another path earlier, where glibc's allowed
list need not apply. RACE findings
(timing-dependent) and traces the emitter cannot write yet are skipped with
the reason printed. Exit 0 pass, 1 fail.
"""
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile

AIOSPEC, SRC = sys.argv[1], sys.argv[2]
TRACES = os.path.join(SRC, "conformance", "traces")
COMPILERS = {"glibc": ["gcc", "-std=c99", "-Wall", "-Werror", "-pthread"],
             "musl": ["musl-gcc", "-std=c99", "-Wall", "-Werror", "-static"]}


def baseline(target):
    found = {}
    with open(os.path.join(SRC, "conformance", "baselines", f"{target}.txt")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            words = line.split()
            found[words[0]] = words[1:]
    return found


def case(work, trace, found_on, run_on, expect):
    """Emits from a run on found_on, builds for run_on, runs; None or an error."""
    base = os.path.join(work, f"{trace}.{found_on}.{run_on}")
    p = subprocess.run([AIOSPEC, "repro", os.path.join(TRACES, trace + ".trace"),
                        "--target", found_on, "--emit-c", "--out", base + ".c"],
                       capture_output=True, text=True, timeout=120)
    if p.returncode == 77:
        return f"skip: {p.stderr.strip()}"
    if p.returncode != 0:
        return f"error: aiospec repro exit {p.returncode}: {p.stderr.strip()}"
    b = subprocess.run(COMPILERS[run_on] + [base + ".c", "-o", base, "-lrt"],
                       capture_output=True, text=True, timeout=120)
    if b.returncode != 0:
        return f"error: build failed:\n{b.stderr}"
    r = subprocess.run([base], capture_output=True, text=True, timeout=120)
    verdict = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "(no output)"
    if r.returncode != expect and not (expect == 0 and r.returncode == 2):
        return f"error: exit {r.returncode}, expected {expect}: {verdict}\n{r.stdout}"
    return f"ok: exit {r.returncode}: {verdict}"


def main():
    jobs = []
    glibc, musl = baseline("glibc"), baseline("musl")
    have_musl = shutil.which("musl-gcc") is not None
    if not have_musl:
        print("skip: musl parts (musl-gcc is not installed)")
    for target, found in (("glibc", glibc), ("musl", musl)):
        if target == "musl" and not have_musl:
            continue
        for trace, words in sorted(found.items()):
            if words[0] == "RACE":
                print(f"skip: {target} {trace}: a RACE finding (timing-dependent)")
                continue
            jobs.append((trace, target, target, 1))
    # glibc findings that musl passes: the same program must PASS there.
    if have_musl:
        for trace in sorted(set(glibc) - set(musl)):
            jobs.append((trace, "glibc", "musl", 0))
    failed = 0
    with tempfile.TemporaryDirectory() as work, \
            concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        futures = {pool.submit(case, work, *j): j for j in jobs}
        for fut in concurrent.futures.as_completed(futures):
            trace, found_on, run_on, expect = futures[fut]
            msg = fut.result()
            print(f"{trace} (found on {found_on}, run on {run_on}): {msg}")
            failed += msg.startswith("error")
    print(f"{len(jobs) - failed}/{len(jobs)} reproducers agree with aiospec")
    sys.exit(1 if failed else 0)


main()
