#!/usr/bin/env python3
"""Measures the seeded faults (faults/README.md); run by ci/faults.

For each fault of faults.def: the conformance suite on agent:AGENT, judged
by the model (killed = some trace gives FAIL, HANG or CRASH; a fault that
survives a pass gets up to PASSES passes, since some are caught by races
only on some runs), then, unless --no-fuzz, SEEDS bounded fuzz runs from an
empty corpus, each stopped at its first finding or at BOUND seconds:
aio_fuzzer_fault_<name> in FUZZ_DIR (the bundled fuzzer linked with the
variant, in process: a model FAIL, a libFuzzer timeout or a crash is a
finding), or with --agent_fuzz aio_fuzzer_bundled pointed at the fault's
agent ($AIOSPEC_FUZZ_AGENT, a child process per input: slower, but its
traces also get the signal storms and process events that in-process runs
refuse). Every
finding is re-run on the correct bundled agent; one that fails there too is
not the fault's and counts as a miss. Writes results.json and RESULTS.md.

Usage: measure.py --aiospec BIN --agents DIR [--fuzz_dir DIR] [--agent_fuzz]
                  [--seeds 5] [--bound 120] [--jobs 2] [--passes 3]
                  [--skip_suite] [--out faults] [FAULT...]
Named FAULTs are measured and merged into the existing results.json; with
--skip_suite their suite results are kept and only the fuzzer runs.
"""
import argparse
import concurrent.futures
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRACES = os.path.join(ROOT, "conformance", "traces")
KILLING = ("FAIL", "HANG", "CRASH")
ROW = re.compile(r'^AIOSPEC_FAULT_ROW\((\w+), (always|race), "([^"]*)", "([^"]*)"\)')


def fault_rows():
    with open(os.path.join(ROOT, "faults", "faults.def")) as f:
        return [m.groups() for m in map(ROW.match, f) if m]


def run_traces(aiospec, agent, traces):
    """The results, or None when aiospec itself died (no JSON)."""
    proc = subprocess.run([aiospec, "run", "--json", "--quiet", "--target",
                           f"agent:{agent}", *traces],
                          capture_output=True, text=True)
    try:
        return json.loads(proc.stdout)["results"]
    except (ValueError, KeyError):
        return None


# Traces aiospec itself died on (a harness bug, not a verdict), shared by
# the threads: later faults leave them out of their batch.
HARNESS_ERRORS = set()


def run_suite(aiospec, agent):
    traces = sorted(os.path.join(TRACES, t) for t in os.listdir(TRACES)
                    if t.endswith(".trace"))
    t0 = time.monotonic()
    batch = [t for t in traces if os.path.basename(t) not in HARNESS_ERRORS]
    results = run_traces(aiospec, agent, batch)
    if results is None:
        # aiospec died on some trace: one at a time, and say which.
        results = []
        for t in batch:
            one = run_traces(aiospec, agent, [t])
            if one is None:
                HARNESS_ERRORS.add(os.path.basename(t))
            else:
                results += one
    harness_errors = sorted(os.path.basename(t) for t in traces
                            if os.path.basename(t) in HARNESS_ERRORS)
    kills = []
    for r in results:
        if r["verdict"] in KILLING:
            kills.append({"trace": r["trace"], "verdict": r["verdict"],
                          "assertion_ids": r.get("explanation", {})
                          .get("assertion_ids", [])})
    return {"traces_run": len(results), "kills": kills,
            "harness_errors": harness_errors,
            "seconds": round(time.monotonic() - t0, 1)}


CONTROL = {}  # trace -> verdicts of the correct bundled agent (3 runs)


def confirm(args, agent, trace):
    """A kill counts when it is the fault's doing: the trace kills the fault
    again in one of 3 more runs, and PASSes 3 times on the correct bundled
    agent (a trace that fails under load on any implementation is not
    evidence)."""
    path = [os.path.join(TRACES, trace + ".trace")]
    if trace not in CONTROL:
        ok = os.path.join(args.agents, "aiospec-agent-bundled")
        CONTROL[trace] = [r["verdict"] for _ in range(3)
                          for r in run_traces(args.aiospec, ok, path) or
                          [{"verdict": "ERROR"}]]
    if any(v != "PASS" for v in CONTROL[trace]):
        return False
    return any(r["verdict"] in KILLING for _ in range(3)
               for r in run_traces(args.aiospec, agent, path) or [])


def trace_ops(name):
    with open(os.path.join(TRACES, name + ".trace")) as f:
        return sum(1 for line in f if line.strip() and not line.startswith(
            ("aiospec-trace", "about", "covers", "#")))


FIRST = re.compile(r"first finding after ([0-9.]+) s \((\d+) inputs\)")
WRITTEN = re.compile(r"FINDING on \S+: (.*) -> (\S+)\.\{trace,log,txt\}")
# libFuzzer's own findings in process: a hang past -timeout, a crash, or a
# sanitizer's report (the fuzzers are built with ASan and UBSan).
LIBFUZZER_FINDING = re.compile(
    r"ERROR: (libFuzzer: timeout|libFuzzer: deadly signal|\w+Sanitizer: [\w-]+)")
ARTIFACT = re.compile(r"Test unit written to (\S+)")
INPROC_TIMEOUT = 10  # seconds: a hang in process is a finding after this


def fuzz_once(args, fuzzer, agent, seed, workdir):
    """One seed. In process (agent=None) or on the fault's agent."""
    bound = args.bound
    corpus = os.path.join(workdir, f"corpus-{seed}")
    findings = os.path.join(workdir, f"findings-{seed}")
    os.makedirs(corpus, exist_ok=True)
    control = os.path.join(args.agents, "aiospec-agent-bundled")
    env = dict(os.environ, AIOSPEC_FUZZ_CONTROL_AGENT=control,
               AIOSPEC_FUZZ_FINDINGS=findings)
    # A HANG on an agent costs its 10 s watchdog three times with the two
    # reproductions: past libFuzzer's own timeout.
    timeout = INPROC_TIMEOUT if agent is None else 100
    if agent is not None:
        env["AIOSPEC_FUZZ_AGENT"] = agent
    t0 = time.monotonic()
    try:
        proc = subprocess.run(
            [fuzzer, f"-seed={seed}", f"-max_total_time={bound}",
             f"-timeout={timeout}", "-rss_limit_mb=4096",
             f"-artifact_prefix={workdir}/artifact-{seed}-",
             f"-dict={os.path.join(ROOT, 'fuzz', 'aio.dict')}", corpus],
            env=env, capture_output=True, text=True, timeout=bound + 120)
        err = proc.stderr
    except subprocess.TimeoutExpired as e:
        err = (e.stderr or b"").decode(errors="replace")
    wall = time.monotonic() - t0
    out = {"seed": seed, "seconds": None, "wall": round(wall, 1),
           "mode": "agent" if agent else "in-process"}
    rate = re.findall(r"exec/s: (\d+)", err)
    if rate:
        out["execs_per_s"] = int(rate[-1])
    m, w = FIRST.search(err), WRITTEN.search(err)
    if m:
        out["seconds"] = float(m.group(1))
    if w:
        out["signature"] = w.group(1)
        out["trace"] = w.group(2) + ".trace"
        return out
    lf, art = LIBFUZZER_FINDING.search(err), ARTIFACT.search(err)
    if lf and art and not m:
        # libFuzzer stopped on the input itself: a hang (found when the
        # timeout began) or a crash. The artifact is the unshrunk input.
        kind = lf.group(1)
        hang = kind == "libFuzzer: timeout"
        out["signature"] = f"{'HANG' if hang else 'CRASH'} ({kind})"
        out["seconds"] = round(max(0.0, wall - (timeout if hang else 0)), 1)
        out["trace"] = art.group(1)
    return out


def fails_on_control(args, path):
    """The finding also fails (FAIL, HANG, CRASH) on the correct bundled
    agent: the fuzzer stopped on a bug that is not the fault's (or on a
    model bug). An UNRESOLVED there says nothing: a libFuzzer artifact is
    an unshrunk input, which may wait on an aiocb whose submission failed."""
    ok = os.path.join(args.agents, "aiospec-agent-bundled")
    return any(r["verdict"] in KILLING for _ in range(2)
               for r in run_traces(args.aiospec, ok, [path]) or [])


def shown_by_fault(args, agent, path, signature):
    """A finding counts when it is the fault's doing: the trace kills the
    fault's agent in one of 3 runs (a libFuzzer timeout under load, or a
    FAIL of an undefined call, need not). A sanitizer report has no agent to
    show it (the agents are not sanitized) and counts as it is."""
    if "Sanitizer" in (signature or ""):
        return True
    return any(r["verdict"] in KILLING for _ in range(3)
               for r in run_traces(args.aiospec, agent, [path]) or [])


def fuzz_fault(args, name, agent):
    """Seeds one after another; stops once the median is known to be >= bound."""
    seeds, bound = args.seeds, args.bound
    agent_mode = args.agent_fuzz
    if agent_mode:
        fuzzer, target = os.path.join(args.fuzz_dir, "aio_fuzzer_bundled"), agent
    else:
        fuzzer, target = os.path.join(args.fuzz_dir, f"aio_fuzzer_fault_{name}"), None
    runs, misses = [], 0
    with tempfile.TemporaryDirectory(prefix="aiospec-faults-") as work:
        for seed in range(1, seeds + 1):
            r = fuzz_once(args, fuzzer, target, seed, work)
            path = r.pop("trace", None)  # in the temporary directory
            if path and os.path.exists(path):
                with open(path, errors="replace") as f:
                    text = f.read()
                if fails_on_control(args, path):
                    # Kept for triage: a bug of the bundled implementation
                    # or of the model, found by the way.
                    r["not_the_fault"] = r.pop("signature", "")
                    r["not_the_fault_trace"] = text
                    r["seconds"] = None
                elif not shown_by_fault(args, agent, path, r.get("signature")):
                    r["not_reproduced"] = r.pop("signature", "")
                    r["not_reproduced_trace"] = text
                    r["seconds"] = None
                else:
                    r["trace_text"] = text
            elif r["seconds"] is not None:
                r["seconds"] = None  # a finding with no trace to check
            runs.append(r)
            misses += r["seconds"] is None
            if misses > seeds // 2:
                break
    times = [r["seconds"] if r["seconds"] is not None else float(bound)
             for r in runs]
    times += [float(bound)] * (seeds - len(times))
    median = statistics.median(times)
    return {"runs": runs, "median_seconds": median,
            "found": median < bound, "bound": bound, "seeds": seeds,
            "mode": "agent" if agent_mode else "in-process"}


def measure(args, row, old):
    name, _, area, desc = row
    agent = os.path.join(args.agents, f"aiospec-agent-fault-{name}")
    entry = dict(old.get(name, {}), area=area, description=desc)
    entry.pop("agent", None)
    # A pass kills the fault when one of its shortest killing traces (at
    # most 6 tried) is confirmed; ctest runs the (at most 2) confirmed ones.
    for n in range(1, 0 if args.skip_suite else args.passes + 1):
        suite = run_suite(args.aiospec, agent)
        suite["passes"] = n
        by_size = sorted({k["trace"] for k in suite["kills"]},
                         key=lambda t: (trace_ops(t), t))
        suite["confirmed"], suite["rejected"] = [], []
        for t in by_size[:6]:
            if len(suite["confirmed"]) == 2:
                break
            suite["confirmed" if confirm(args, agent, t) else "rejected"].append(t)
        suite["kills"] = [k for k in suite["kills"] if suite["confirmed"]
                          and k["trace"] not in suite["rejected"]]
        entry["suite"] = suite
        entry["ctest_traces"] = [t + ".trace" for t in suite["confirmed"]]
        if suite["confirmed"]:
            break
    kills, by_size = entry["suite"]["kills"], entry["suite"]["confirmed"]
    entry["minimal_trace"] = (f"conformance/traces/{by_size[0]}.trace"
                              if by_size else None)
    if args.fuzz_dir:
        entry["fuzz"] = fuzz_fault(args, name, agent)
        shrunk = [r.pop("trace_text") for r in entry["fuzz"]["runs"]
                  if "trace_text" in r]
        entry.pop("fuzz_minimal_trace", None)
        if shrunk:
            # The fuzzer's shrunk finding of the first seed that found one.
            rel = f"faults/minimal/{name}.trace"
            os.makedirs(os.path.join(ROOT, "faults", "minimal"), exist_ok=True)
            with open(os.path.join(ROOT, rel), "w") as f:
                f.write(shrunk[0])
            entry["fuzz_minimal_trace"] = rel
    print(f"{name}: {len(kills)} killing trace(s)"
          + (f", fuzz median {entry['fuzz']['median_seconds']:.1f} s"
             if "fuzz" in entry else ""), flush=True)
    return name, entry


def write_outputs(args, faults):
    killed_suite = [n for n, e in faults.items() if e["suite"]["kills"]]
    fuzz_medians = [e["fuzz"]["median_seconds"] for e in faults.values()
                    if "fuzz" in e]
    fuzz_found = [n for n, e in faults.items() if e.get("fuzz", {}).get("found")]
    killed_any = set(killed_suite) | set(fuzz_found)
    summary = {
        "faults": len(faults),
        "killed": len(killed_any),
        "killed_by_conformance": len(killed_suite),
        "conformance_percent": round(100.0 * len(killed_suite) / len(faults), 1),
        # From the stored runs: a --no-fuzz pass keeps the last fuzz results.
        "fuzz": None if not fuzz_medians else {
            "seeds": max(e["fuzz"].get("seeds", len(e["fuzz"]["runs"]))
                         for e in faults.values() if "fuzz" in e),
            "bound_seconds": max(e["fuzz"]["bound"] for e in faults.values()
                                 if "fuzz" in e),
            "corpus": "empty",
            "mode": ", ".join(sorted({
                "aio_fuzzer_fault_<name> in process" if
                e["fuzz"].get("mode", "agent") == "in-process" else
                "aio_fuzzer_bundled on the fault's agent"
                for e in faults.values() if "fuzz" in e})),
            "found": len(fuzz_found),
            "median_of_medians_seconds": statistics.median(fuzz_medians)},
        "survivors": sorted(set(faults) - killed_any),
    }
    doc = {"schema": "aiospec-faults/1", "summary": summary, "faults": faults}
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")

    summary_lines = [
        f"{summary['faults']} faults; {summary['killed']} killed; "
        f"{summary['killed_by_conformance']} ({summary['conformance_percent']}%) "
        "by the conformance suite alone."]
    if summary["fuzz"]:
        fz = summary["fuzz"]
        summary_lines.append(
            f"Fuzzer ({fz['mode']}, empty corpus, "
            f"{fz['seeds']} seeds, bound {fz['bound_seconds']} s): found "
            f"{fz['found']}/{summary['faults']}; median over faults of the "
            f"median time to first finding: {fz['median_of_medians_seconds']:.1f} s.")
    if summary["survivors"]:
        summary_lines.append("Survivors (gaps): " + ", ".join(summary["survivors"]) + ".")
    lines = [
        "# Seeded faults: what the suite and the fuzzer catch",
        "",
        "Written by `ci/faults` (faults/README.md explains the method). Each row is",
        "one variant of the bundled implementation with one bug from",
        "[faults.def](faults.def), judged by the model (qoi profile) on every",
        "conformance trace; killed = some trace gives FAIL, HANG or CRASH.",
        "",
        f"**{summary_lines[0]}**",
    ] + summary_lines[1:]
    lines += ["", "Suite passes: a fault that survives a pass of the suite gets up "
              f"to {args.passes}; the killing pass is shown after the verdicts.",
              "", "| fault | area | killed by (trace: verdict, assertion IDs) | "
              "fuzzer: median first finding | minimal trace (shortest killing trace; fuzzer's shrunk finding) |",
              "|---|---|---|---|---|"]
    for name, e in faults.items():
        shown = "<br>".join(kill_lines(e, "`"))
        if e["suite"]["kills"] and e["suite"]["passes"] > 1:
            shown += f"<br>(pass {e['suite']['passes']})"
        fuzz_cell = fuzz_text(e)
        minimal = "<br>".join(f"`{p}`" for p in (e["minimal_trace"],
                              e.get("fuzz_minimal_trace")) if p) or "—"
        lines.append(f"| `{name}` | {e['area']} | {shown or '**survives**'} | "
                     f"{fuzz_cell} | {minimal} |")
    write_table(args, summary_lines, faults)
    with open(os.path.join(ROOT, "faults", "gaps.md")) as f:
        lines += ["", f.read().rstrip()]
    with open(os.path.join(args.out, "RESULTS.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def kill_lines(e, quote=""):
    """The first three killing traces, "TRACE: VERDICT IDS", and how many more."""
    kills = e["suite"]["kills"]
    lines = [f"{quote}{k['trace']}{quote}: {k['verdict']} {' '.join(k['assertion_ids'])}".rstrip()
             for k in kills[:3]]
    if len(kills) > 3:
        lines.append(f"(+{len(kills) - 3} more)")
    return lines


def fuzz_text(e):
    """"3.5 s (5/5 seeds)", "> 30 s (1/4 seeds)" or "not run"."""
    fz = e.get("fuzz")
    if fz is None:
        return "not run"
    got = sum(r["seconds"] is not None for r in fz["runs"])
    seeds = f"({got}/{len(fz['runs'])} seeds{', on its agent' if fz.get('mode') == 'agent' else ''})"
    return (f"{fz['median_seconds']:.1f} s {seeds}" if fz["found"]
            else f"> {fz['bound']} s {seeds}")


def tsv_field(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def write_table(args, summary_lines, faults):
    """faults/table.tsv: the table `aiospec report --faults` shows
    (harness/cli/fault_table.h documents the format)."""
    def text_of(path):
        if not path:
            return ""
        with open(os.path.join(ROOT, path)) as f:
            return f.read()
    rows = ["# aiospec-faults-table/1: written by ci/faults (faults/measure.py); "
            "read by `aiospec report --faults` (harness/cli/fault_table.h)"]
    rows += ["# summary\t" + tsv_field(l) for l in summary_lines]
    rows.append("\t".join(["fault", "area", "description", "killed_by", "fuzzer",
                           "minimal_trace", "minimal_trace_text", "fuzz_trace",
                           "fuzz_trace_text"]))
    for name, e in faults.items():
        fuzz_trace = e.get("fuzz_minimal_trace") or ""
        fields = [name, e["area"], e.get("description", ""), "\n".join(kill_lines(e)),
                  fuzz_text(e),
                  e["minimal_trace"] or "", text_of(e["minimal_trace"]), fuzz_trace,
                  text_of(fuzz_trace)]
        rows.append("\t".join(tsv_field(x) for x in fields))
    with open(os.path.join(args.out, "table.tsv"), "w") as f:
        f.write("\n".join(rows) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--aiospec", required=True)
    p.add_argument("--agents", required=True)
    p.add_argument("--fuzz_dir", help="the fuzz preset's bin directory")
    p.add_argument("--agent_fuzz", action="store_true",
                   help="fuzz the fault's agent out of process")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--bound", type=int, default=120)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--passes", type=int, default=3)
    p.add_argument("--skip_suite", action="store_true")
    p.add_argument("--out", default=os.path.join(ROOT, "faults"))
    p.add_argument("--rewrite", action="store_true",
                   help="measure nothing: rewrite RESULTS.md and table.tsv from results.json")
    p.add_argument("only", nargs="*")
    args = p.parse_args()
    old = {}
    path = os.path.join(args.out, "results.json")
    if os.path.exists(path):
        with open(path) as f:
            old = json.load(f).get("faults", {})
    if args.rewrite:
        write_outputs(args, {r[0]: old[r[0]] for r in fault_rows() if r[0] in old})
        return
    rows = [r for r in fault_rows() if not args.only or r[0] in args.only]
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        done = dict(pool.map(lambda r: measure(args, r, old), rows))
    # Faults not measured now keep their last results.
    faults = {r[0]: done.get(r[0], old.get(r[0])) for r in fault_rows()
              if r[0] in done or r[0] in old}
    write_outputs(args, faults)


if __name__ == "__main__":
    main()
