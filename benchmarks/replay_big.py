#!/usr/bin/env python3
"""Headless replay of a 24-hour, 1-second-resolution JSON fixture with 8 gates (~1.4 M samples).

Prints the wall and CPU time of whole `canary-tui replay --headless` processes (start-up included;
the readable timeline, and `--json` with every evaluation on stdout), for
a plan evaluating every 5 minutes and for one evaluating every second (86,400 evaluations, each
written to the audit log), and the time of `canary-tui --help`. Run by hand:
    .venv/bin/python benchmarks/replay_big.py [--exe OTHER/canary-tui] [--runs N]
(``--exe``: time another tree's canary-tui on the same fixtures, e.g. a copy from before a change.)
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from compiled import compile_package

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
N = 24 * 3600 + 1
RUNS = 3
GATES = [
    "error_rate",
    "latency_p99",
    "latency_p95",
    "latency_p50",
    "cpu_usage",
    "memory_usage",
    "cache_hit_ratio",
    "db_connection_usage",
]


def plan(interval: str) -> dict:
    gates = []
    for g in GATES:
        gate = {"name": g, "query": f'{g}{{version="{{{{version}}}}"}}'}
        if g == "cache_hit_ratio":
            gate.update(failBelow=0.8, warnBelow=0.9)
        else:
            gate.update(failAbove=2.0, warnAbove=1.5)
        if g.startswith("latency"):
            gate["maxRatioToStable"] = 1.5
        gates.append(gate)
    return {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "CanaryPlan",
        "metadata": {"name": "bench"},
        "spec": {
            "service": "bench",
            "stable": {"version": "v1"},
            "canary": {"version": "v2"},
            "interval": interval,
            "phases": [
                {"name": "canary", "weight": 5, "duration": "12h"},
                {"name": "expansion", "weight": 25, "duration": "6h"},
                {"name": "majority", "weight": 50, "duration": "5h"},
                {"name": "full", "weight": 100, "duration": "0s"},
            ],
            "gates": gates,
        },
    }


def make_fixture(interval: str) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"day-1s-{interval}.json"
    if path.exists():
        return path
    rng = random.Random(1)
    series = {}
    for g in GATES:
        base = 0.94 if g == "cache_hit_ratio" else 0.5
        series[g] = {
            "canary": [round(base + rng.uniform(-0.01, 0.01), 5) for _ in range(N)],
            "stable": [round(base + rng.uniform(-0.01, 0.01), 5) for _ in range(N)],
        }
    doc = {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "MetricFixture",
        "metadata": {"name": "day"},
        "plan": plan(interval),
        "start": "2026-01-01T00:00:00Z",
        "step": "1s",
        "series": series,
        "expect": {"outcome": "Promoted"},
    }
    path.write_text(json.dumps(doc, separators=(",", ":")))
    return path


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    dt = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode not in (0, 1, 3):
        raise SystemExit(f"{argv} failed: {r.stderr}")
    return dt, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def figures(runs: list[tuple[float, float]]) -> str:
    wall = [w for w, _ in runs]
    cpu = [c for _, c in runs]
    return (
        f"median {statistics.median(wall):.2f} s, best {min(wall):.2f} s, "
        f"CPU median {statistics.median(cpu):.2f} s (whole process)"
    )


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--exe", default=str(ROOT / ".venv" / "bin" / "canary-tui"), help="the canary-tui to time")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs of each case (default {RUNS})")
    args = parser.parse_args()
    compile_package()
    exe = args.exe
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "XDG_STATE_HOME": tmp}
        for interval in ("5m", "1s"):
            path = make_fixture(interval)
            samples = 2 * len(GATES) * N
            size = path.stat().st_size / 1e6
            for how, extra in (("timeline", ["--check"]), ("--json", ["--json"])):
                runs = [timed([exe, "replay", str(path), "--headless", *extra], env) for _ in range(args.runs)]
                print(
                    f"replay 24h@1s, 8 gates ({samples:,} samples, {size:.0f} MB JSON), interval {interval}, {how}: "
                    + figures(runs)
                )
        helps = [timed([exe, "--help"], env)[0] for _ in range(7)]
        print(f"canary-tui --help: median {statistics.median(helps) * 1000:.0f} ms, best {min(helps) * 1000:.0f} ms")
    print(f"{exe}; python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
