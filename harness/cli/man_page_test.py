#!/usr/bin/env python3
"""Renders docs/aiospec.1 with groff and checks it: no groff warnings, and
every subcommand and exit code appears. Exit 77 (skip) when groff is missing.
Usage: man_page_test.py PATH/aiospec.1"""
import shutil
import subprocess
import sys

page = sys.argv[1]
groff = shutil.which("groff")
if groff is None:
    print("SKIP: groff not installed (apt-get install groff-base)")
    sys.exit(77)
p = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", page], capture_output=True, text=True)
if p.returncode != 0 or p.stderr.strip():
    print("FAIL: groff warnings:\n" + p.stderr)
    sys.exit(1)
text = subprocess.run([groff, "-man", "-Tascii", "-P-c", "-P-b", "-P-u", page],
                      capture_output=True, text=True, check=True).stdout
missing = [w for w in ["run", "check", "report", "targets", "explain", "shrink", "fuzz",
                       "EXIT STATUS", "FILES", "EXAMPLES", "ENVIRONMENT", "NO_COLOR",
                       "AIOSPEC_DATA_DIR", "report.junit.xml", "77"] if w not in text]
if missing:
    print("FAIL: the rendered page lacks", missing)
    sys.exit(1)
print("ok:", len(text.splitlines()), "lines rendered")
