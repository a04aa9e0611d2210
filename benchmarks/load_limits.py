#!/usr/bin/env python3
"""What the fixture limits allow (docs/fixtures.md "Limits"): a day at 1-second resolution, as
`record` writes it (its own JSON writer, full-precision numbers), of plans with 8 and 32 gates,
threshold gates (two lists) or counts gates (four lists). Prints the file size and, for a whole
`canary-tui replay --headless` process, its wall time and its own peak memory (wait4's ru_maxrss,
measured from a small spawning process). Run by hand (the 32-gate files take a minute to write):
    .venv/bin/python benchmarks/load_limits.py [--gates 8 32]
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
N = 24 * 3600 + 1
SPAWN = """
import os, sys
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def write_fixture(path: Path, value_gates: int, counts_gates: int) -> None:
    from canary_tui.prometheus.recorder import write

    rnd = random.Random(1)
    v = "{{version}}"
    gates: list[dict] = [{"name": f"g{i}", "query": f"m{i}{{v={v}}}", "failAbove": 10.0} for i in range(value_gates)]
    gates += [
        {"name": f"c{i}", "judge": "counts", "errors": f"e{i}{{v={v}}}", "requests": f"r{i}{{v={v}}}"}
        for i in range(counts_gates)
    ]
    plan = {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "CanaryPlan",
        "metadata": {"name": "day"},
        "spec": {
            "service": "day",
            "stable": {"version": "v1"},
            "canary": {"version": "v2"},
            "interval": "5m",
            "phases": [
                {"name": "canary", "weight": 5, "duration": "12h"},
                {"name": "full", "weight": 100, "duration": "0s"},
            ],
            "gates": gates,
        },
    }

    def cumulative(rate: float) -> list[float]:
        t, out = 0.0, []
        for _ in range(N):
            t += rate * (0.5 + rnd.random())
            out.append(t)
        return out

    series: dict = {
        f"g{i}": {s: [rnd.random() * 0.01 for _ in range(N)] for s in ("canary", "stable")} for i in range(value_gates)
    }
    for i in range(counts_gates):
        series[f"c{i}"] = {
            s: {"errors": cumulative(0.37), "requests": cumulative(1234.567)} for s in ("canary", "stable")
        }
    doc = {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "MetricFixture",
        "metadata": {"name": "day"},
        "plan": plan,
        "start": "2026-01-01T00:00:00Z",
        "step": "1s",
        "series": series,
    }
    write(doc, path)


def replay(path: Path) -> tuple[float, float, int]:
    """Wall seconds, peak MB and exit code of one whole replay process."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "XDG_STATE_HOME": tmp}
        exe = str(ROOT / ".venv" / "bin" / "canary-tui")
        t = time.perf_counter()
        r = subprocess.run(
            [sys.executable, "-c", SPAWN, exe, "replay", str(path), "--headless", "--log", os.devnull],
            capture_output=True,
            text=True,
            env=env,
        )
        wall = time.perf_counter() - t
    rss, code = r.stdout.split()[-2:]
    return wall, int(rss) / 1024, int(code)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gates", type=int, nargs="+", default=[8, 32], help="gate counts to try (default 8 32)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    for gates in args.gates:
        for kind, value, counts in (("threshold", gates, 0), ("counts", 0, gates)):
            path = OUT / f"day-1s-{gates}-{kind}.json"
            if not path.exists():
                write_fixture(path, value, counts)
            wall, peak, code = replay(path)
            lists = 2 * value + 4 * counts
            print(
                f"24 h @ 1 s, {gates} {kind} gates ({lists * N:,} samples, {path.stat().st_size / 1e6:.0f} MB JSON): "
                f"replay exit {code} in {wall:.2f} s, peak {peak:.0f} MB"
            )


if __name__ == "__main__":
    main()
