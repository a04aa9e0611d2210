"""Decision quality of the statistical judges on a corpus of simulated releases with known truth.

    .venv/bin/python benchmarks/judges.py [--releases N] [--scenario NAME ...] [--markdown]

Each release is drawn by canary_tui/sim/releases.py (Poisson counts, a daily load cycle, an error
multiplier both versions share per interval with occasional hiccups, pod-to-pod spread, p99s with
shared and own noise), written as a MetricFixture document and replayed through the real replay
path (fixture parser, FixtureMetrics, Controller, rule). The same corpus is replayed with the
seed's fixed thresholds beside the judges. Seeded: the same command prints the same table.

Per scenario: false rollbacks (healthy truth, rolled back), detections (bad truth, rolled back),
detections before the first promotion, the median time to rollback, and for counts the ratio of
that median to the floor: the expected time of Wald's SPRT that knows both true rates,
ln(1/alpha) / KL(canary || stable) per canary request, over the canary's request rate.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from canary_tui.sim.releases import release  # noqa: E402
from canary_tui.sim.traffic import Traffic  # noqa: E402

SEL = 'destination_service_name="{{service}}",destination_version="{{version}}"'
ERRORS = f'sum(increase(istio_requests_total{{{SEL},response_code=~"5.."}}[{{{{interval}}}}])) or vector(0)'
REQUESTS = f"sum(increase(istio_requests_total{{{SEL}}}[{{{{interval}}}}]))"
RATIO = f"{ERRORS} / {REQUESTS}"
P99 = f"histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_seconds_bucket{{{SEL}}}[{{{{interval}}}}])))"
INTERVAL = "10s"
ALPHA = 0.01

GATES = {
    "counts": [{"name": "errors", "judge": "counts", "errors": ERRORS, "requests": REQUESTS, "alpha": ALPHA}],
    # the seed's CanaryHighErrorRate and phase-1 target
    "seed-errors": [{"name": "error_rate", "query": RATIO, "warnAbove": 0.01, "failAbove": 0.05}],
    "mann-whitney": [
        {
            "name": "latency",
            "judge": "mann-whitney",
            "query": P99,
            "window": "5m",
            "allowedChange": 0.10,
            "confidence": 0.98,
            "minSamples": 10,
        }
    ],
    # the seed's CanaryHighLatency, and the demo plan's relative p99 gate
    "seed-latency": [
        {"name": "latency_p99", "query": P99, "warnAbove": 0.5, "failAbove": 2.0, "maxRatioToStable": 1.5}
    ],
}


def plan(gates: list[dict[str, Any]]) -> dict[str, Any]:
    """10-second evaluations, 10 minutes at each of 5%, 25% and 50%."""
    return {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "CanaryPlan",
        "metadata": {"name": "bench", "namespace": "shop"},
        "spec": {
            "service": "checkout",
            "stable": {"version": "v1"},
            "canary": {"version": "v2"},
            "interval": INTERVAL,
            "failureLimit": 2,
            "noDataLimit": 4,
            "minHealthScore": 0,  # promotion on time: the corpus is about rollbacks
            "phases": [
                {"name": "canary", "weight": 5, "duration": "10m"},
                {"name": "expansion", "weight": 25, "duration": "10m"},
                {"name": "majority", "weight": 50, "duration": "10m"},
                {"name": "full", "weight": 100, "duration": "0s"},
            ],
            "gates": gates,
        },
    }


@dataclass(frozen=True)
class Scenario:
    name: str
    truth: Traffic
    bad: bool
    judge: str  # counts | mann-whitney
    seed_gates: str


BASE = Traffic(rps=1000, error_rate=0.01)
SCENARIOS = [
    Scenario("healthy 0.1%", replace(BASE, error_rate=0.001), False, "counts", "seed-errors"),
    Scenario("healthy 1%", BASE, False, "counts", "seed-errors"),
    Scenario("healthy 5%", replace(BASE, error_rate=0.05), False, "counts", "seed-errors"),
    Scenario("healthy 1%, 20 rps", replace(BASE, rps=20), False, "counts", "seed-errors"),
    Scenario("1.5x at 1%", replace(BASE, ratio=1.5), True, "counts", "seed-errors"),
    Scenario("2x at 1%", replace(BASE, ratio=2.0), True, "counts", "seed-errors"),
    Scenario("5x at 1%", replace(BASE, ratio=5.0), True, "counts", "seed-errors"),
    Scenario("2x at 0.1%", replace(BASE, error_rate=0.001, ratio=2.0), True, "counts", "seed-errors"),
    Scenario("2x at 1%, 20 rps", replace(BASE, rps=20, ratio=2.0), True, "counts", "seed-errors"),
    Scenario("latency +0%", BASE, False, "mann-whitney", "seed-latency"),
    Scenario("latency +10%", replace(BASE, latency_shift=0.10), True, "mann-whitney", "seed-latency"),
    Scenario("latency +30%", replace(BASE, latency_shift=0.30), True, "mann-whitney", "seed-latency"),
    Scenario("latency +100%", replace(BASE, latency_shift=1.00), True, "mann-whitney", "seed-latency"),
]


def replay(doc: dict[str, Any]) -> tuple[str, str, float]:
    """(outcome, phase, seconds from t0 to the decision) through the replay command's controller."""
    from canary_tui.commands.replay import build
    from canary_tui.core.events import Finished
    from canary_tui.core.fixture import parse_fixture
    from canary_tui.core.source import parse_text

    class Last:
        result: Finished | None = None

        def emit(self, event: Any) -> None:
            if isinstance(event, Finished):
                self.result = event

    fixture = parse_fixture(parse_text(json.dumps(doc), "bench.json"))
    sink = Last()
    build(fixture, None, [sink]).run()
    assert sink.result is not None
    return sink.result.outcome, sink.result.phase, sink.result.elapsed.total_seconds()


SCHEDULE = [(600.0, 0.05), (600.0, 0.25), (600.0, 0.50)]  # the plan's phases: seconds, canary share
SAMPLES = 181  # t0 and 30 minutes of 10 s: the run ends as the last phase (no stable traffic) begins


def sprt_floor(t: Traffic) -> float:
    """Seconds Wald's SPRT that knows both rates needs on average: ln(1/alpha) / KL per canary
    request, over the canary's request rate (which grows at each phase of the schedule)."""
    p, q = t.error_rate * t.ratio, t.error_rate
    kl = p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))
    need = math.log(1 / ALPHA) / kl  # canary requests
    elapsed = 0.0
    for seconds, share in SCHEDULE:
        rate = t.rps * share
        if need <= rate * seconds:
            return elapsed + need / rate
        need -= rate * seconds
        elapsed += seconds
    return math.inf


@dataclass
class Row:
    scenario: str
    gates: str
    releases: int
    rolled_back: int
    before_promotion: int
    median_s: float | None
    floor_s: float | None


def run(s: Scenario, gates: str, n: int) -> Row:
    rolled = early = 0
    times = []
    for k in range(n):
        doc = release(plan(GATES[gates]), s.truth, f"{s.name}:{k}", samples=SAMPLES)
        outcome, phase, at = replay(doc)
        if outcome == "RolledBack":
            rolled += 1
            times.append(at)
            early += phase == "canary"
    median = statistics.median_low(times) if times else None
    floor = sprt_floor(s.truth) if s.bad and s.judge == "counts" and gates == "counts" else None
    return Row(s.name, gates, n, rolled, early, median, floor)


def table(rows: list[tuple[Scenario, Row]], markdown: bool) -> str:
    head = [
        "scenario",
        "gates",
        "releases",
        "false rollbacks",
        "detected",
        "before 1st promotion",
        "median",
        "SPRT floor",
        "ratio",
    ]
    lines = []
    for s, r in rows:
        pct = f"{100 * r.rolled_back / r.releases:.1f}%"
        cells = [
            r.scenario,
            r.gates,
            str(r.releases),
            pct if not s.bad else "",
            pct if s.bad else "",
            f"{100 * r.before_promotion / r.releases:.1f}%" if s.bad else "",
            f"{r.median_s:.0f}s" if r.median_s is not None else "-",
            f"{r.floor_s:.0f}s" if r.floor_s is not None else "",
            f"{r.median_s / r.floor_s:.2f}" if r.floor_s and r.median_s else "",
        ]
        lines.append(cells)
    widths = [max(len(h), *(len(c[i]) for c in lines)) for i, h in enumerate(head)]
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        out += ["| " + " | ".join(c) + " |" for c in lines]
        return "\n".join(out)
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*head)] + [fmt.format(*c) for c in lines])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--releases", type=int, default=200, help="releases per scenario (default 200)")
    ap.add_argument("--scenario", action="append", help="only scenarios whose name contains this")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--no-seed", action="store_true", help="skip the seed's thresholds")
    args = ap.parse_args()
    chosen = [s for s in SCENARIOS if not args.scenario or any(w in s.name for w in args.scenario)]
    rows = []
    started = time.perf_counter()
    for s in chosen:
        rows.append((s, run(s, s.judge, args.releases)))
        if not args.no_seed:
            rows.append((s, run(s, s.seed_gates, args.releases)))
        print(f"  {s.name}: done ({time.perf_counter() - started:.0f}s)", file=sys.stderr)
    print(table(rows, args.markdown))
    print(
        f"\n{args.releases} releases per row, interval {INTERVAL}, alpha {ALPHA}; "
        f"{time.perf_counter() - started:.0f}s in all",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
