#!/usr/bin/env python3
"""The aiospec command's contract, one case per ctest entry.

Usage: cli_contract_test.py AIOSPEC SOURCE_DIR CASE
Each case runs the real binary and checks exit codes and output shapes
(JSON parses, JUnit is well-formed XML, help names the command's flags).
Exit 0 pass, 1 fail, 77 skipped (the reason is printed).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

AIOSPEC, SRC, CASE = sys.argv[1], sys.argv[2], sys.argv[3]
TRACES = os.path.join(SRC, "conformance", "traces")
READ = os.path.join(TRACES, "read_at_offset.trace")


def run(*args, env=None, expect=None):
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e.update(env or {})
    p = subprocess.run([AIOSPEC, *args], capture_output=True, text=True, env=e, timeout=600)
    if expect is not None and p.returncode != expect:
        fail(f"aiospec {' '.join(args)}: exit {p.returncode}, expected {expect}\n"
             f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


FLAGS = {
    "run": ["--target", "--profile", "--baseline", "--save_log", "--json", "--watchdog_ms"],
    "check": ["--profile", "--json"],
    "report": ["--targets", "--target", "--baseline_dir", "--out", "--json", "--repeat",
               "--jobs"],
    "targets": ["--json"],
    "explain": [],
    "shrink": ["--target", "--out", "--max_judgements"],
    "fuzz": ["--target", "--time", "--findings"],
    "repro": ["--target", "--out", "--emit_c"],
}


def case_help():
    for cmd, flags in FLAGS.items():
        for form in (["--help"], ["-h"]):
            p = run(cmd, *form, expect=0)
            check(p.stdout.startswith(f"usage: aiospec {cmd}"), f"{cmd} --help: {p.stdout[:80]!r}")
            check("exit codes:" in p.stdout, f"{cmd} --help lacks exit codes")
            for f in flags:
                check(f in p.stdout, f"{cmd} --help does not mention {f}")
            # Only this command's flags: no flag of an unrelated command.
            if cmd != "fuzz":
                check("--findings" not in p.stdout, f"{cmd} --help lists fuzz's flags")
    p = run("help", "run", expect=0)
    check(p.stdout.startswith("usage: aiospec run"), "help run")
    p = run("--help", expect=0)
    for cmd in FLAGS:
        check(f"  {cmd} " in p.stdout, f"general help lacks {cmd}")
    run("frobnicate", expect=2)
    run(expect=2)


def case_explain():
    p = run("explain", "AIO-CANCEL-03", expect=0)
    for want in ["AIO-CANCEL-03", "SHALL", "B,N", "aiocbp == NULL", "ApplyCancel",
                 "cancel_null_after_completion", "aio_cancel()"]:
        check(want in p.stdout, f"explain AIO-CANCEL-03 lacks {want!r}:\n{p.stdout}")
    p = run("explain", "AIO-CANCEL-3", expect=2)
    check("AIO-CANCEL-03" in p.stderr and len(p.stderr.strip().splitlines()) == 1,
          f"unknown ID: want one line naming the nearest IDs, got {p.stderr!r}")
    run("explain", expect=2)


def case_json():
    p = run("run", READ, "--target", "glibc", "--json", expect=0)
    d = json.loads(p.stdout)
    check(d["schema"] == "aiospec-run/1" and d["exit_code"] == 0, str(d)[:200])
    r = d["results"][0]
    check(r["verdict"] == "PASS" and r["trace"] == "read_at_offset" and r["target"] == "glibc",
          str(r))
    check("AIO-READ-07" in r["covers"], str(r))
    wrong = os.path.join(SRC, "conformance", "edited_logs", "read_at_offset.wrong_data.log")
    p = run("check", READ, wrong, "--json", expect=1)
    d = json.loads(p.stdout)
    x = d["results"][0]["explanation"]
    check("AIO-READ-07" in x["assertion_ids"], str(x))
    p = run("targets", "--json", expect=0)
    d = json.loads(p.stdout)
    names = {t["name"]: t for t in d["targets"]}
    check(names["glibc"]["available"] is True, str(names.get("glibc")))
    check(any(t["system"] for t in d["targets"]), "no system target")


def case_report_junit():
    with tempfile.TemporaryDirectory() as out:
        p = run("report", "--target", "system", "--out", out, "--json", READ,
                os.path.join(TRACES, "read_pipe_eof.trace"), expect=0)
        d = json.loads(p.stdout)
        check(d["schema"] == "aiospec-report/1" and d["targets"] == ["glibc"], str(d)[:200])
        with open(os.path.join(out, "report.json")) as f:
            check(json.load(f) == d, "report.json differs from --json output")
        root = ET.parse(os.path.join(out, "report.junit.xml")).getroot()
        check(root.tag == "testsuites", root.tag)
        suites = root.findall("testsuite")
        check([s.get("name") for s in suites] == ["glibc"], str([s.attrib for s in suites]))
        cases = suites[0].findall("testcase")
        check(sorted(c.get("name") for c in cases) == ["read_at_offset", "read_pipe_eof"],
              str([c.attrib for c in cases]))
        check(suites[0].get("tests") == "2", str(suites[0].attrib))
        # A log the model rejects is a failure element carrying the explanation.
    with tempfile.TemporaryDirectory() as out:
        bad = os.path.join(SRC, "conformance", "bad_input", "crashing_agent.sh")
        p = run("report", "--targets", f"agent:{bad}", "--out", out, READ, expect=1)
        root = ET.parse(os.path.join(out, "report.junit.xml")).getroot()
        err = root.find("testsuite/testcase/error")
        check(err is not None and err.get("type") == "CRASH", ET.tostring(root).decode()[:400])
        check("CRASH" in (err.text or ""), "error element lacks the explanation")


def case_report_repro():
    # Every finding of a report comes with its C reproducer, which builds and
    # reproduces on its own; a passing trace is no finding.
    if shutil.which("cc") is None:
        print("SKIP: no cc to build the reproducer with")
        sys.exit(77)
    finding = os.path.join(TRACES, "close_reuse_queued_write.trace")  # a known glibc FAIL
    with tempfile.TemporaryDirectory() as out:
        p = run("report", "--targets", "glibc,bundled", "--out", out, "--json", finding, READ,
                expect=1)
        findings = json.loads(p.stdout)["findings"]
        check([(f["target"], f["trace"], f["verdict"], f["assertion_ids"]) for f in findings]
              == [("glibc", "close_reuse_queued_write", "FAIL", ["AIO-PROC-02"])], str(findings))
        repro = findings[0]["reproducer"]
        check(repro == "repro/glibc/close_reuse_queued_write.c" and findings[0]["message"],
              str(findings[0]))
        src = os.path.join(out, repro)
        check(sorted(os.listdir(os.path.join(out, "repro"))) == ["glibc"],
              str(os.listdir(os.path.join(out, "repro"))))
        with open(os.path.join(out, "report.md")) as f:
            check(f"]({repro})" in f.read(), "report.md lacks the reproducer's link")
        with open(os.path.join(out, "report.html")) as f:
            check(f'href="{repro}"' in f.read(), "report.html lacks the reproducer's link")
        exe = os.path.join(out, "repro.bin")
        b = subprocess.run(["cc", "-std=c99", "-pthread", src, "-o", exe, "-lrt"],
                           capture_output=True, text=True, timeout=120)
        check(b.returncode == 0, f"the reproducer does not build:\n{b.stderr}")
        r = subprocess.run([exe], capture_output=True, text=True, timeout=120)
        check(r.returncode == 1 and "FAIL" in r.stdout,
              f"the reproducer exited {r.returncode}, expected 1 (FAIL):\n{r.stdout}")
    # A finding the emitter cannot write is listed with the reason, no file.
    storm = os.path.join(TRACES, "storm_close_held_reads.trace")
    with tempfile.TemporaryDirectory() as out:
        p = run("report", "--target", "glibc", "--out", out, "--json", storm)
        findings = json.loads(p.stdout)["findings"]
        check(len(findings) == 1, f"the known storm finding is missing: {findings}")
        if "reproducer" in findings[0]:  # once the emitter writes storms
            check(os.path.exists(os.path.join(out, findings[0]["reproducer"])), str(findings))
        else:
            check("storm" in findings[0]["reproducer_unavailable"]
                  and not os.path.exists(os.path.join(out, "repro", "glibc")), str(findings))


def case_report_system():
    # The whole installed/source suite against its baselines: what autopkgtest runs.
    with tempfile.TemporaryDirectory() as out:
        p = run("report", "--target", "system", "--out", out)
        with open(os.path.join(out, "report.json")) as f:
            d = json.load(f)
        check(d["targets"] == ["glibc"] and len(d["results"]) > 50, str(d)[:300])
        # The contract, whatever the suite's state: 0 iff every verdict is
        # as the shipped baseline expects, 1 otherwise.
        differ = [r["trace"] for r in d["results"] if not r["matches_baseline"]]
        want = 1 if differ else 0
        check(p.returncode == want,
              f"exit {p.returncode}, expected {want} (differ: {differ})\n{p.stderr}")
        if differ:
            print("note: verdicts differing from the baseline:", differ)
        check(any(r["baseline_note"].startswith("known finding") for r in d["results"]),
              "the shipped baselines were not applied")
    run("report", "--target", "system", "--profile", "nonsense", expect=2)


def case_report_exit():
    # report answers in the four codes: 0, 1, 2 (bad usage), 77.
    bad = os.path.join(SRC, "conformance", "bad_input")
    with tempfile.TemporaryDirectory() as out:
        run("report", "--target", "vax", "--out", out, READ, expect=2)
        run("report", "--target", "glibc", "--out", out, os.path.join(bad, "bad_op.trace"),
            expect=2)
        run("report", "--target", "glibc", "--out", out, "--repeat", "0", READ, expect=2)
        run("report", "--target", "agent:/nonexistent/agent", "--out", out, READ, expect=77)
        # A target that cannot run next to one that passes: the pass decides.
        p = run("report", "--targets", "glibc,agent:/nonexistent/agent", "--out", out, "--json",
                READ, expect=0)
        check(json.loads(p.stdout)["broken_targets"][0]["target"] == "agent:/nonexistent/agent",
              p.stdout[:300])
        run("report", "--target", f"agent:{bad}/hanging_agent.sh", "--watchdog_ms", "300",
            "--out", out, READ, expect=1)
        run("report", "--target", f"agent:{bad}/crashing_agent.sh", "--out", out, READ, expect=1)
        run("report", "--target", "glibc", "--out", out, READ, expect=0)


FLAKY_AGENT = """#!/bin/sh
# Crashes on every other run: a race as the report sees one.
n=$(cat "{counter}" 2>/dev/null || echo 0)
echo $((n + 1)) > "{counter}"
if [ $((n % 2)) = 1 ]; then cat >/dev/null; echo "aiospec-log 1"; kill -SEGV $$; fi
exec "{agent}" "$@"
"""


def case_report_repeat():
    agent = os.path.join(os.path.dirname(os.path.realpath(AIOSPEC)), "aiospec-agent-glibc")
    if not os.access(agent, os.X_OK):
        print(f"SKIP: no glibc agent at {agent}")
        sys.exit(77)
    with tempfile.TemporaryDirectory() as d:
        flaky = os.path.join(d, "flaky.sh")
        with open(flaky, "w") as f:
            f.write(FLAKY_AGENT.format(counter=os.path.join(d, "count"), agent=agent))
        os.chmod(flaky, 0o755)
        target = f"agent:{flaky}"
        baselines = os.path.join(d, "baselines")
        os.mkdir(baselines)
        baseline = os.path.join(baselines, target.replace(":", "-").replace("/", "-") + ".txt")
        out = os.path.join(d, "out")
        counter = os.path.join(d, "count")

        def report(entry, expect):
            with open(baseline, "w") as f:
                f.write(entry + "\n")
            if os.path.exists(counter):
                os.unlink(counter)  # every report starts with a passing run
            p = run("report", "--target", target, "--repeat", "4", "--baseline_dir", baselines,
                    "--out", out, "--json", READ, expect=expect)
            return json.loads(p.stdout)

        # RACE: PASS or exactly this finding, in every one of the runs.
        d1 = report("read_at_offset RACE CRASH", 0)
        r = d1["results"][0]
        check(d1["repeat"] == 4 and r["runs"] == {"PASS": 2, "CRASH": 2}, str(r)[:300])
        check(r["verdict"] == "CRASH" and r["matches_baseline"], str(r)[:300])
        check("over 4 runs: CRASH 2/4" in r["baseline_note"], r["baseline_note"])
        with open(os.path.join(out, "report.md")) as f:
            check("CRASH 2/4" in f.read(), "report.md lacks the rate")
        with open(os.path.join(out, "report.html")) as f:
            check("CRASH 2/4" in f.read(), "report.html lacks the rate")
        # Not a race: the passing runs differ from the known finding.
        r = report("read_at_offset CRASH", 1)["results"][0]
        check(not r["matches_baseline"] and r["verdict"] == "PASS", str(r)[:300])
        # A race of another finding: the crashing runs differ.
        r = report("read_at_offset RACE FAIL AIO-READ-07", 1)["results"][0]
        check(not r["matches_baseline"] and r["verdict"] == "CRASH", str(r)[:300])
        # --write_baselines records a finding seen in some runs as a RACE.
        os.unlink(counter)
        os.unlink(baseline)
        run("report", "--target", target, "--repeat", "4", "--baseline_dir", baselines,
            "--write_baselines", "--out", out, READ, expect=1)
        with open(baseline) as f:
            written = f.read()
        check(re.search(r"^read_at_offset +RACE CRASH$", written, re.M), written)
        p = run("report", "--target", target, "--repeat", "4", "--out", out, READ, expect=1)
        check("CRASH 2/4" in p.stdout, p.stdout)


# Logs when each run starts and ends, and lingers so that runs can overlap.
TIMED_AGENT = """#!/bin/sh
echo "start $(date +%s.%N)" >> "{log}"
sleep 0.4
"{agent}" "$@"
rc=$?
echo "end $(date +%s.%N)" >> "{log}"
exit $rc
"""


def most_at_once(log):
    events = []
    with open(log) as f:
        for line in f:
            kind, when = line.split()
            events.append((float(when), 1 if kind == "start" else -1))
    at_once = most = 0
    for _, step in sorted(events):  # an end sorts before a start at the same time
        at_once += step
        most = max(most, at_once)
    return most


def case_report_jobs():
    # --jobs N overlaps up to N agent runs; the report is the same, in trace order.
    agent = os.path.join(os.path.dirname(os.path.realpath(AIOSPEC)), "aiospec-agent-glibc")
    if not os.access(agent, os.X_OK):
        print(f"SKIP: no glibc agent at {agent}")
        sys.exit(77)
    traces = [os.path.join(TRACES, t + ".trace") for t in
              ("read_at_offset", "read_short_at_eof", "cancel_null_nothing_outstanding",
               "suspend_already_complete")]
    with tempfile.TemporaryDirectory() as d:
        timed = os.path.join(d, "timed.sh")
        log = os.path.join(d, "runs.log")
        with open(timed, "w") as f:
            f.write(TIMED_AGENT.format(log=log, agent=agent))
        os.chmod(timed, 0o755)
        reports = {}
        for jobs in ("1", "3"):
            if os.path.exists(log):
                os.unlink(log)
            p = run("report", "--target", f"agent:{timed}", "--jobs", jobs, "--json",
                    "--out", os.path.join(d, "out" + jobs), *traces)
            reports[jobs] = json.loads(p.stdout)["results"]
            check(p.returncode in (0, 1), f"--jobs {jobs}: exit {p.returncode}\n{p.stderr}")
            most = most_at_once(log)
            check(most == 1 if jobs == "1" else most > 1,
                  f"--jobs {jobs}: at most {most} runs at once")
        names = [os.path.basename(t)[:-len(".trace")] for t in traces]
        for jobs, results in reports.items():
            check([r["trace"] for r in results] == names,
                  f"--jobs {jobs}: results not in trace order: {[r['trace'] for r in results]}")
        check([r["verdict"] for r in reports["1"]] == [r["verdict"] for r in reports["3"]],
              "verdicts differ between --jobs 1 and --jobs 3")
    run("report", "--target", "glibc", "--jobs", "-1", READ, expect=2)


def case_colour():
    # Not a terminal: no escapes, NO_COLOR or not.
    p = run("run", READ, "--target", "glibc", expect=0)
    check("\033[" not in p.stdout, "colour escapes in a pipe")
    try:
        import pty
    except ImportError:
        print("SKIP colour on a terminal: no pty module")
        return
    for no_color, want in (("", True), ("1", False)):
        env = dict(os.environ)
        env.pop("NO_COLOR", None)
        if no_color:
            env["NO_COLOR"] = no_color
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(AIOSPEC, [AIOSPEC, "run", READ, "--target", "glibc", "--quiet"], env)
        data = b""
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        os.waitpid(pid, 0)
        check((b"\033[32mPASS" in data) == want, f"NO_COLOR={no_color!r}: {data!r}")


def case_shrink():
    wrong = os.path.join(TRACES, "close_reuse_pipe_write.trace")
    run("shrink", READ, "--target", "glibc", expect=1)  # a PASS: nothing to shrink
    run("shrink", expect=2)
    # A crash shrinks to a trace that still crashes the same way.
    bad = os.path.join(SRC, "conformance", "bad_input", "crashing_agent.sh")
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "min.trace")
        p = run("shrink", READ, "--target", f"agent:{bad}", "--out", out,
                "--max_judgements", "40", expect=0)
        check("still CRASH" in p.stderr, p.stderr)
        with open(out) as f:
            text = f.read()
        check(text.startswith("aiospec-trace"), text[:80])
        p = run("run", out, "--target", f"agent:{bad}", expect=7)
        with open(READ) as f:
            check(len(text.splitlines()) < len(f.read().splitlines()),
                  f"not smaller:\n{text}")


def case_fuzz():
    exe_dir = os.path.dirname(os.path.realpath(AIOSPEC))
    run("fuzz", "--target", "vax", expect=2)
    p = run("fuzz", "--target", "glibc-inproc", expect=2)
    check("runs in process" in p.stderr, p.stderr)
    if os.path.exists(os.path.join(exe_dir, "aio_fuzzer_bundled")):
        with tempfile.TemporaryDirectory() as d:
            p = run("fuzz", "--target", "bundled", "--time", "2", "--findings", d, expect=0)
            check("Done" in p.stderr or "stat::" in p.stderr, p.stderr[-400:])
    else:
        for target in ("bundled", "glibc"):  # glibc: any agent target runs on aio_fuzzer_glibc
            p = run("fuzz", "--target", target, "--time", "1", expect=5)
            check("cmake --preset fuzz && cmake --build --preset fuzz" in p.stderr, p.stderr)


CASES = {k[5:]: v for k, v in globals().items() if k.startswith("case_")}
if CASE not in CASES:
    print(f"unknown case {CASE}; one of {sorted(CASES)}")
    sys.exit(2)
CASES[CASE]()
print("ok", CASE)
