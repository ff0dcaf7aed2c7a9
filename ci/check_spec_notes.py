#!/usr/bin/env python3
"""Checks that SPEC_NOTES.md and the conformance traces agree.

- every assertion ID a trace `covers` has a row in SPEC_NOTES.md;
- every row whose status is `modelled` or `tested` names at least one test,
  and each named trace exists and covers that ID;
- no ID has two rows.
Usage: check_spec_notes.py SPEC_NOTES.md TRACE_DIR
"""
import pathlib
import re
import sys

ID = re.compile(r"AIO-[A-Z]+-[0-9]+")


def main(notes_path, trace_dir):
    covers = {}  # trace name -> set of IDs
    for path in sorted(pathlib.Path(trace_dir).glob("*.trace")):
        ids = set()
        for line in path.read_text().splitlines():
            line = line.split("#", 1)[0].split()
            if line and line[0] == "covers":
                ids.update(line[1:])
        covers[path.stem] = ids

    rows = {}
    problems = []
    for n, line in enumerate(pathlib.Path(notes_path).read_text().splitlines(), 1):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 6 or not ID.fullmatch(cells[0]):
            continue
        ident, _level, _check, _rule, tests, status = cells[:6]
        if ident in rows:
            problems.append(f"{notes_path}:{n}: {ident} has two rows")
        rows[ident] = n
        named = re.findall(r"`([a-z0-9_]+)`", tests)
        if status.startswith(("modelled", "tested")) and not named:
            problems.append(f"{notes_path}:{n}: {ident} is '{status}' but names no test")
        for t in named:
            if t not in covers:
                problems.append(f"{notes_path}:{n}: {ident}: no trace named {t}")
            elif ident not in covers[t]:
                problems.append(f"{notes_path}:{n}: {ident}: trace {t} does not cover it")

    for trace, ids in covers.items():
        for ident in sorted(ids - rows.keys()):
            problems.append(f"{trace}.trace covers {ident}, which has no row in {notes_path}")

    for p in problems:
        print(p)
    print(f"{len(rows)} assertion rows, {len(covers)} traces, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
