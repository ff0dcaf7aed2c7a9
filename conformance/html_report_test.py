#!/usr/bin/env python3
"""Renders an aiospec HTML report in headless Chromium and checks the screenshot.

The report is made for two targets from a few traces (one of which glibc is
known to fail), then Chromium takes a screenshot, and the PNG is decoded here
(standard library only) to check that the verdict matrix is on screen: cells
in the PASS colour and in the FAIL colour, laid out as a table (several rows). Chromium's rendered DOM must also hold the Findings section
with a "C reproducer" link to the glibc finding's file, which the report
wrote next to report.html, and a matrix cell linking to it; the
implementation-defined choices table; and, in the finding's details, the
timeline of its requests (one row per aiocb); and the seeded-faults table
(report --faults), one row per fault of FAULTS_TSV, on screen in a third
screenshot. A second screenshot, of the
page with every <details> open, must show the timeline: its in-flight shading
and the rejected step's red column.
Exit 77 (skipped, with the reason printed) when Chromium is not installed.

Usage: html_report_test.py AIOSPEC TRACE_DIR FAULTS_TSV
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

PASS_RGB = (0xD7, 0xF5, 0xDD)
FAIL_RGB = (0xF9, 0xD0, 0xD0)
LIVE_RGB = (0xE3, 0xEE, 0xFC)      # a request in flight, in the timeline
RETURN_RGB = (0x2E, 0x7D, 0x32)    # an aio_return event
TRACES = ["read_at_offset", "close_reuse_queued_write", "write_extends_zero_fill",
          "suspend_already_complete", "bad_read_badfd"]


def decode_png(path):
    """Returns (width, height, rows of RGB tuples) for 8-bit RGB/RGBA PNGs."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), f"unsupported PNG {depth}/{colour}"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        rows.append([tuple(line[x * channels:x * channels + 3]) for x in range(width)])
        prev = line
    return width, height, rows


def main(aiospec, trace_dir, faults_tsv):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("SKIP: chromium is not installed (ci/bootstrap installs it)")
        return 77
    work = tempfile.mkdtemp(prefix="aiospec-html-")
    traces = [os.path.join(trace_dir, t + ".trace") for t in TRACES]
    subprocess.run([aiospec, "report", "--targets", "glibc,bundled", "--out", work,
                    "--faults", faults_tsv] + traces,
                   check=False, stdout=subprocess.DEVNULL)
    html = os.path.join(work, "report.html")
    assert os.path.exists(html), "aiospec report wrote no report.html"
    png = os.path.join(work, "shot.png")
    headless = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", f"--user-data-dir={work}/profile"]
    subprocess.run(headless + ["--hide-scrollbars", "--window-size=1000,1400",
                               f"--screenshot={png}", "file://" + html],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    dom = subprocess.run(headless + ["--dump-dom", "file://" + html], check=True,
                         capture_output=True, text=True, timeout=120).stdout
    repro = "repro/glibc/close_reuse_queued_write.c"
    findings_ok = ('id="findings"' in dom and f'class="creproducer" href="{repro}"' in dom
                   and f'class="repro" href="{repro}"' in dom
                   and os.path.exists(os.path.join(work, repro)))
    # The finding's details, opened without script: the timeline of w1 and w2.
    opened = os.path.join(work, "opened.html")
    with open(html) as f:
        page = f.read()
    details = page.index("<h2>Details</h2>")
    with open(opened, "w") as f:  # details first, opened, so they are on screen
        f.write(page[:page.index("<h2>Summary</h2>")]
                + page[details:].replace("<details ", "<details open "))
    shot2 = os.path.join(work, "timeline.png")
    subprocess.run(headless + ["--hide-scrollbars", "--window-size=1000,1400",
                               f"--screenshot={shot2}", "file://" + opened],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    timeline_ok = ('<table class="tl">' in dom and "<tr><th>w2</th>" in dom
                   and "aio_write submitted" in dom and '<th class="bad"' in dom)
    choices_ok = ('id="choices"' in dom
                  and "AIO-READ-16: EBADF reported asynchronously" in dom
                  and ">UNTESTED</th>" in dom)
    # The seeded-faults table: a row per fault, in the HTML and on screen.
    with open(faults_tsv) as f:
        faults = [l.split("\t", 1)[0] for l in f if l.strip() and not l.startswith("#")][1:]
    faults_ok = 'id="faults"' in dom and all(f"<code>{n}</code>" in dom for n in faults)
    only_faults = os.path.join(work, "faults.html")
    with open(only_faults, "w") as f:
        f.write(page[:page.index("<h2>Summary</h2>")]
                + page[page.index('<h2 id="faults">'):page.index("<h2>Details</h2>")])
    shot3 = os.path.join(work, "faults.png")
    subprocess.run(headless + ["--hide-scrollbars", "--window-size=1000,1400",
                               f"--screenshot={shot3}", "file://" + only_faults],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    _, _, rows3 = decode_png(shot3)
    text_rows = sum(1 for row in rows3 if sum(1 for p in row if max(p) < 0x60) > 30)
    print(f"faults screenshot: {len(faults)} faults in the table, {text_rows} pixel rows of text")
    if os.environ.get("AIOSPEC_KEEP_SHOTS"):
        shutil.copy(shot3, os.environ["AIOSPEC_KEEP_SHOTS"])
    _, _, rows2 = decode_png(shot2)
    live_rows = {y for y, row in enumerate(rows2) if row.count(LIVE_RGB) > 40}
    return_rows = {y for y, row in enumerate(rows2) if row.count(RETURN_RGB) > 20}
    bad_rows = {y for y, row in enumerate(rows2) if row.count(FAIL_RGB) > 20}
    print(f"timeline screenshot: {len(live_rows)} pixel rows shaded in flight, "
          f"{len(return_rows)} with aio_return events, {len(bad_rows)} in the FAIL colour")

    width, height, rows = decode_png(png)
    pass_rows = {y for y, row in enumerate(rows) if row.count(PASS_RGB) > 20}
    fail_rows = {y for y, row in enumerate(rows) if row.count(FAIL_RGB) > 20}
    print(f"screenshot {width}x{height}: {len(pass_rows)} pixel rows with PASS cells, "
          f"{len(fail_rows)} with FAIL cells")
    shutil.rmtree(work, ignore_errors=True)
    # A matrix: many table rows of PASS cells (each ~20 px tall), and the
    # known glibc finding in the FAIL colour.
    if len(pass_rows) < 60 or len(fail_rows) < 10:
        print("FAIL: the verdict matrix is not visible in the screenshot")
        return 1
    if not findings_ok:
        print(f"FAIL: no Findings section with a link to {repro} (or the file is missing)")
        return 1
    if not timeline_ok or len(live_rows) < 20 or len(return_rows) < 8 or len(bad_rows) < 10:
        print("FAIL: the finding's details show no timeline of its requests")
        return 1
    if not choices_ok:
        print("FAIL: no implementation-defined choices table (or no UNTESTED column)")
        return 1
    if not faults_ok or text_rows < 200:
        print("FAIL: no seeded-faults table with a row per fault of " + faults_tsv)
        return 1
    print("PASS: the matrix is rendered; the findings link their C reproducers and show "
          "the timeline of their requests; the choices and seeded-faults tables are there")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3]))
