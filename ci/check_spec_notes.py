#!/usr/bin/env python3
"""Checks SPEC_NOTES.md against the catalogue, the traces and the other tests.

- every catalogue ID (spec/ASSERTIONS.md) has exactly one row, and no row
  names an ID the catalogue lacks; level and check match the catalogue;
- every status is one of the vocabulary at the top of SPEC_NOTES.md;
- `tested` rows name traces that exist and cover the ID; `model only` rows
  name model_test, whose sources cite the ID; `header check` rows name
  header_check, whose check table has the ID; `not testable here` and
  `not judged` rows give a reason;
- an ID whose level is SHALL, SHALL-FAIL, EITHER, DERIVED or MAY-FAIL and
  whose check is not X is never `not judged`: it has a test, or an honest
  reason why it cannot have one here;
- a trace that covers an ID makes that row `tested`.
Usage: check_spec_notes.py REPO_ROOT
"""
import pathlib
import re
import sys

ID = re.compile(r"AIO-[A-Z]+-[0-9]+")
CATALOGUE_ENTRY = re.compile(r"- \*\*(AIO-[A-Z]+-[0-9]+)\*\* \[([^\]|]*)(?:\|([^\]]*))?\]")
REQUIRED_LEVELS = {"SHALL", "SHALL-FAIL", "EITHER", "DERIVED", "MAY-FAIL"}
MIN_REASON_WORDS = 4


def catalogue(path):
    entries = {}
    for line in path.read_text().splitlines():
        m = CATALOGUE_ENTRY.match(line)
        if m:
            entries[m.group(1)] = (" ".join(m.group(2).split()),
                                   " ".join((m.group(3) or "").split()) or "—")
    return entries


def required(level, check):
    levels = set(re.findall(r"[A-Z]+(?:-[A-Z]+)*", level))
    return bool(levels & REQUIRED_LEVELS) and "X" not in check.replace(" ", "").split(",")


def trace_covers(trace_dir):
    covers = {}  # trace name -> set of IDs
    for path in sorted(trace_dir.glob("*.trace")):
        ids = set()
        for line in path.read_text().splitlines():
            words = line.split("#", 1)[0].split()
            if words and words[0] == "covers":
                ids.update(words[1:])
        covers[path.stem] = ids
    return covers


def cited_in(paths):
    text = "\n".join(p.read_text() for p in paths)
    return set(ID.findall(text))


def reason_ok(status, prefix):
    reason = status[len(prefix):].lstrip(" :—-")
    return len(reason.split()) >= MIN_REASON_WORDS


def main(root):
    root = pathlib.Path(root)
    notes_path = root / "SPEC_NOTES.md"
    cat = catalogue(root / "spec" / "ASSERTIONS.md")
    covers = trace_covers(root / "conformance" / "traces")
    model_ids = cited_in(sorted((root / "model").glob("*_test.cc")))
    header_ids = cited_in(sorted((root / "conformance" / "header").glob("*.py")))

    rows = {}
    problems = []
    counts = {}
    for n, line in enumerate(notes_path.read_text().splitlines(), 1):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 6 or not ID.fullmatch(cells[0]):
            continue
        ident, level, check, _rule, tests, status = cells[:6]
        where = f"SPEC_NOTES.md:{n}: {ident}"
        if ident in rows:
            problems.append(f"{where} has two rows")
        rows[ident] = status
        if ident not in cat:
            problems.append(f"{where} is not in spec/ASSERTIONS.md")
            continue
        if (" ".join(level.split()), " ".join(check.split()) or "—") != cat[ident]:
            problems.append(f"{where}: level/check '{level} | {check}' but the "
                            f"catalogue says '{cat[ident][0]} | {cat[ident][1]}'")
        named = re.findall(r"`([a-z0-9_]+)`", tests)
        traces = [t for t in named if t not in ("model_test", "header_check")]
        if status.startswith("tested"):
            kind = "tested by traces"
            if not traces:
                problems.append(f"{where} is '{status}' but names no trace")
            for t in traces:
                if t not in covers:
                    problems.append(f"{where}: no trace named {t}")
                elif ident not in covers[t]:
                    problems.append(f"{where}: trace {t} does not cover it")
        elif status == "model only (model_test)":
            kind = "model only"
            if "model_test" not in tests or ident not in model_ids:
                problems.append(f"{where} is '{status}' but model/*_test.cc never cites it")
        elif status == "header check":
            kind = "header check"
            if "`header_check`" not in tests or ident not in header_ids:
                problems.append(f"{where} is '{status}' but conformance/header has no check for it")
        elif status.startswith("not testable here"):
            kind = "not testable here"
            if not reason_ok(status, "not testable here"):
                problems.append(f"{where}: '{status}' needs a reason")
        elif status.startswith("not judged"):
            kind = "not judged"
            if not reason_ok(status, "not judged"):
                problems.append(f"{where}: '{status}' needs a reason")
            if required(*cat[ident]):
                problems.append(f"{where} is {cat[ident][0]}: it needs a test or a "
                                "'not testable here' reason, not 'not judged'")
        else:
            kind = "?"
            problems.append(f"{where}: status '{status}' is not in the vocabulary")
        if required(*cat[ident]):
            counts[kind] = counts.get(kind, 0) + 1

    for trace, ids in sorted(covers.items()):
        for ident in sorted(ids):
            if ident not in cat:
                problems.append(f"{trace}.trace covers {ident}, which is not in the catalogue")
            elif ident not in rows:
                problems.append(f"{trace}.trace covers {ident}, which has no row")
            elif not rows[ident].startswith("tested"):
                problems.append(f"{trace}.trace covers {ident}, whose row says "
                                f"'{rows[ident]}' instead of 'tested'")

    for ident in sorted(cat.keys() - rows.keys()):
        problems.append(f"{ident} ({cat[ident][0]}) has no row in SPEC_NOTES.md")

    for p in problems:
        print(p)
    n_required = sum(1 for i in cat if required(*cat[i]))
    print(f"{len(rows)} rows for {len(cat)} catalogue IDs; {n_required} required "
          f"(SHALL/SHALL-FAIL/EITHER/DERIVED/MAY-FAIL, check not X): "
          + ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
          + f"; {len(covers)} traces; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
