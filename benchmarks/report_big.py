#!/usr/bin/env python3
"""Reports of a day-long release at 1-second resolution: time and size, HTML and Markdown.

The audit log comes from a real run: `canary-tui replay` of benchmarks/replay_big.py's 24-hour
fixture (8 gates, canary and stable, one evaluation per second; the plan promotes after 23 h, so
82,802 evaluations). Prints the whole `canary-tui report` process time (start-up included), the
in-process split (reading the log; rendering), and the sizes. Run by hand:
    .venv/bin/python benchmarks/report_big.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))


def day_log() -> Path:
    """The audit log of one replay of the day fixture (made once, kept in benchmarks/out/)."""
    from replay_big import make_fixture

    log = OUT / "day-1s-1s.jsonl"
    if not log.exists():
        fixture = make_fixture("1s")
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "XDG_STATE_HOME": tmp}
            exe = str(ROOT / ".venv" / "bin" / "canary-tui")
            subprocess.run(
                [exe, "replay", str(fixture), "--headless", "--log", str(log)],
                env=env,
                check=False,
                capture_output=True,
            )
    return log


def timed(argv: list[str]) -> float:
    t = time.perf_counter()
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{argv} failed: {r.stderr}")
    return time.perf_counter() - t


def main() -> None:
    from canary_tui.report.html import render_html
    from canary_tui.report.load import load
    from canary_tui.report.markdown import render_markdown

    log = day_log()
    exe = str(ROOT / ".venv" / "bin" / "canary-tui")
    lines = sum(1 for _ in log.open())
    print(f"audit log: {log.stat().st_size / 1e6:.0f} MB, {lines:,} lines")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("html", "md"):
            out = Path(tmp) / f"day.{fmt}"
            runs = [timed([exe, "report", str(log), "-o", str(out)]) for _ in range(3)]
            print(
                f"canary-tui report -> {fmt}: median {statistics.median(runs):.2f} s, best {min(runs):.2f} s "
                f"(whole process); {out.stat().st_size / 1e3:,.0f} kB"
            )
    t = time.perf_counter()
    release = load(log)
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    page = render_html(release)
    t_html = time.perf_counter() - t
    t = time.perf_counter()
    render_markdown(release)
    t_md = time.perf_counter() - t
    print(
        f"in process: read the log {t_load:.2f} s ({release.evaluations:,} evaluations x {len(release.gates)} gates), "
        f"render HTML {t_html:.2f} s ({len(page.encode()) / 1e3:,.0f} kB), render Markdown {t_md:.2f} s"
    )
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
