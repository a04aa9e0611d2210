#!/usr/bin/env python3
"""``canary-tui tune`` over a corpus of 14 recorded releases (24 h at 5 m, 8 gates) x 20 settings.

Half the releases are good (noise, a few blips), half go bad at some hour (one gate drifts up).
Prints the wall and CPU time of whole ``canary-tui tune`` processes (start-up included), with all
cores and with one, and the replays per second. Run by hand:
    .venv/bin/python benchmarks/tune.py [--exe OTHER/canary-tui] [--runs N]
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
from replay_big import GATES, plan

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "tune"
N = 24 * 12 + 1  # a day at 5 minutes
RELEASES = 14
RUNS = 5
SETTINGS = ["--set", "spec.failureLimit=1:4:1", "--set", "spec.gates[error_rate].failAbove=1.6:2.0:0.1"]


def make_corpus() -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(RELEASES):
        path = OUT / f"release-{k:02d}.json"
        paths.append(path)
        if path.exists():
            continue
        rng = random.Random(k)
        bad = k % 2 == 1
        onset = rng.randrange(N // 4, N - 12) if bad else N
        series = {}
        for g in GATES:
            base = 0.94 if g == "cache_hit_ratio" else 0.5
            canary = [round(base + rng.uniform(-0.01, 0.01), 5) for _ in range(N)]
            if g == "error_rate":
                for i in rng.sample(range(N), 3):  # blips every release has
                    canary[i] = round(rng.uniform(1.6, 2.2), 4)
                for i in range(onset, N):
                    canary[i] = round(1.5 + 0.002 * (i - onset) + rng.uniform(0, 0.3), 4)
            series[g] = {"canary": canary, "stable": [round(base + rng.uniform(-0.01, 0.01), 5) for _ in range(N)]}
        doc = {
            "apiVersion": "canary-tui/v1alpha1",
            "kind": "MetricFixture",
            "metadata": {"name": f"release-{k:02d}"},
            "plan": plan("5m"),
            "start": "2026-01-01T00:00:00Z",
            "step": "5m",
            "series": series,
            "expect": {"outcome": "RolledBack" if bad else "Promoted"},
        }
        path.write_text(json.dumps(doc, separators=(",", ":")))
    return paths


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall time, CPU time (user + system, the workers included) and stdout of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(argv, capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"{argv} failed: {r.stderr}")
    return dt, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), r.stdout


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--exe", default=str(ROOT / ".venv" / "bin" / "canary-tui"), help="the canary-tui to time")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs of each case (default {RUNS})")
    args = parser.parse_args()
    compile_package()
    exe = args.exe
    paths = [str(p) for p in make_corpus()]
    replays = RELEASES * 20
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "XDG_STATE_HOME": tmp}
        for jobs in (None, 1):
            extra = ["--jobs", str(jobs)] if jobs else []
            runs = [timed([exe, "tune", *paths, *SETTINGS, "--json", *extra], env) for _ in range(args.runs)]
            times = [t for t, _, _ in runs]
            med = statistics.median(times)
            cpu = statistics.median(c for _, c, _ in runs)
            who = f"{jobs} process" if jobs else "all cores"
            print(
                f"tune {RELEASES} releases x 20 settings ({replays} replays of 24h@5m, 8 gates), {who}: "
                f"median {med:.2f} s, best {min(times):.2f} s, CPU median {cpu:.2f} s (whole process), "
                f"{replays / med:.0f} replays/s"
            )
        print(runs[0][2].splitlines()[0])
    print(f"{exe}; python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
