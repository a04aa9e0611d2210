"""Decision quality of the statistical judges on a corpus of simulated releases with known truth.

    .venv/bin/python benchmarks/judges.py [--releases N] [--interval 10s,1m,5m] [--scenario NAME ...]
                                          [--markdown] [--no-seed]

Each release is drawn by canary_tui/sim/releases.py (Poisson counts, a daily load cycle, an error
multiplier both versions share per interval with occasional hiccups, pod-to-pod spread, p99s with
shared and own noise), written as a MetricFixture document and replayed through the real replay
path (fixture parser, FixtureMetrics, Controller, rule). The same corpus is replayed with the
seed's fixed thresholds beside the judges. Seeded: the same command prints the same table.

Each interval (10 s, 1 m, and the plan's default 5 m) runs the same schedule in evaluations: 60
intervals at each of 5%, 25% and 50% (10 minutes a phase at 10 s, 1 hour at 1 m, 5 hours at 5 m),
so what changes between them is the number of requests and errors in each interval.

Per scenario: false rollbacks (healthy truth, rolled back), detections (bad truth, rolled back),
detections before the first promotion, the median time to rollback, the earliest a rollback can
happen (failureLimit intervals; mann-whitney first waits for minSamples values), and for counts
the ratio of the median to the floor: the expected time of Wald's SPRT that knows both true rates,
ln(1/alpha) / KL(canary || stable) per canary request, over the canary's request rate. Then the
goals of issue 16, each measured, met or not.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from canary_tui.core.durations import format_duration, parse_duration  # noqa: E402
from canary_tui.sim.releases import release  # noqa: E402
from canary_tui.sim.traffic import Traffic  # noqa: E402

SEL = 'destination_service_name="{{service}}",destination_version="{{version}}"'
ERRORS = f'sum(increase(istio_requests_total{{{SEL},response_code=~"5.."}}[{{{{interval}}}}])) or vector(0)'
REQUESTS = f"sum(increase(istio_requests_total{{{SEL}}}[{{{{interval}}}}]))"
RATIO = f"{ERRORS} / {REQUESTS}"
P99 = f"histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_seconds_bucket{{{SEL}}}[{{{{interval}}}}])))"
INTERVALS = ("10s", "1m", "5m")
PER_PHASE = 60  # evaluations in each of the 5%, 25% and 50% phases
SAMPLES = 3 * PER_PHASE + 1  # t0 and the three phases: the run ends as the 100% phase (no stable traffic) begins
WEIGHTS = (5, 25, 50)
ALPHA = 0.01
FAILURE_LIMIT = 2
MW_WINDOW = 30  # intervals in the mann-whitney window (5m at 10s, 30m at 1m, 2h30m at 5m)
MIN_SAMPLES = 10


def gates(kind: str, interval: str) -> list[dict[str, Any]]:
    window = format_duration(parse_duration(interval) * MW_WINDOW)
    return {
        "counts": [{"name": "errors", "judge": "counts", "errors": ERRORS, "requests": REQUESTS, "alpha": ALPHA}],
        # the seed's CanaryHighErrorRate and phase-1 target
        "seed-errors": [{"name": "error_rate", "query": RATIO, "warnAbove": 0.01, "failAbove": 0.05}],
        "mann-whitney": [
            {
                "name": "latency",
                "judge": "mann-whitney",
                "query": P99,
                "window": window,
                "allowedChange": 0.10,
                "confidence": 0.98,
                "minSamples": MIN_SAMPLES,
            }
        ],
        # the seed's CanaryHighLatency, and the demo plan's relative p99 gate
        "seed-latency": [
            {"name": "latency_p99", "query": P99, "warnAbove": 0.5, "failAbove": 2.0, "maxRatioToStable": 1.5}
        ],
    }[kind]


def plan(kind: str, interval: str) -> dict[str, Any]:
    """Evaluations every ``interval``, PER_PHASE of them at each of 5%, 25% and 50%."""
    phase = format_duration(parse_duration(interval) * PER_PHASE)
    return {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "CanaryPlan",
        "metadata": {"name": "bench", "namespace": "shop"},
        "spec": {
            "service": "checkout",
            "stable": {"version": "v1"},
            "canary": {"version": "v2"},
            "interval": interval,
            "failureLimit": FAILURE_LIMIT,
            "noDataLimit": 4,
            "minHealthScore": 0,  # promotion on time: the corpus is about rollbacks
            "phases": [
                {"name": "canary", "weight": WEIGHTS[0], "duration": phase},
                {"name": "expansion", "weight": WEIGHTS[1], "duration": phase},
                {"name": "majority", "weight": WEIGHTS[2], "duration": phase},
                {"name": "full", "weight": 100, "duration": "0s"},
            ],
            "gates": gates(kind, interval),
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
NOISY = 0.3  # a larger pod-to-pod spread than the simulator's 0.15
SCENARIOS = [
    Scenario("healthy 0.1%", replace(BASE, error_rate=0.001), False, "counts", "seed-errors"),
    Scenario("healthy 1%", BASE, False, "counts", "seed-errors"),
    Scenario("healthy 5%", replace(BASE, error_rate=0.05), False, "counts", "seed-errors"),
    Scenario("healthy 1%, 20 rps", replace(BASE, rps=20), False, "counts", "seed-errors"),
    Scenario("healthy 1%, spread 0.3", replace(BASE, pod_spread=NOISY), False, "counts", "seed-errors"),
    Scenario(
        "healthy 5%, spread 0.3", replace(BASE, error_rate=0.05, pod_spread=NOISY), False, "counts", "seed-errors"
    ),
    Scenario("1.5x at 1%", replace(BASE, ratio=1.5), True, "counts", "seed-errors"),
    Scenario("2x at 1%", replace(BASE, ratio=2.0), True, "counts", "seed-errors"),
    Scenario("5x at 1%", replace(BASE, ratio=5.0), True, "counts", "seed-errors"),
    Scenario("2x at 0.1%", replace(BASE, error_rate=0.001, ratio=2.0), True, "counts", "seed-errors"),
    Scenario("2x at 1%, 20 rps", replace(BASE, rps=20, ratio=2.0), True, "counts", "seed-errors"),
    Scenario("2x at 1%, spread 0.3", replace(BASE, ratio=2.0, pod_spread=NOISY), True, "counts", "seed-errors"),
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


def sprt_floor(t: Traffic, interval: str) -> float:
    """Seconds Wald's SPRT that knows both rates needs on average: ln(1/alpha) / KL per canary
    request, over the canary's request rate (which grows at each phase of the schedule)."""
    p, q = t.error_rate * t.ratio, t.error_rate
    kl = p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))
    need = math.log(1 / ALPHA) / kl  # canary requests
    seconds = parse_duration(interval).total_seconds() * PER_PHASE
    elapsed = 0.0
    for weight in WEIGHTS:
        rate = t.rps * weight / 100
        if need <= rate * seconds:
            return elapsed + need / rate
        need -= rate * seconds
        elapsed += seconds
    return math.inf


@dataclass
class Row:
    scenario: Scenario
    gates: str
    interval: str
    releases: int
    rolled_back: int
    before_promotion: int
    median_s: float | None
    floor_s: float | None

    @property
    def share(self) -> float:
        return self.rolled_back / self.releases


def run(s: Scenario, kind: str, interval: str, n: int) -> Row:
    rolled = early = 0
    times = []
    doc_plan = plan(kind, interval)
    for k in range(n):
        doc = release(doc_plan, s.truth, f"{s.name}:{k}", samples=SAMPLES)
        outcome, phase, at = replay(doc)
        if outcome == "RolledBack":
            rolled += 1
            times.append(at)
            early += phase == "canary"
    median = statistics.median_low(times) if times else None
    floor = sprt_floor(s.truth, interval) if s.bad and kind == "counts" else None
    return Row(s, kind, interval, n, rolled, early, median, floor)


def seconds(x: float | None) -> str:
    if x is None:
        return "-"
    return format_duration(timedelta(seconds=round(x)))


def table(rows: list[Row], markdown: bool) -> str:
    head = [
        "interval",
        "scenario",
        "gates",
        "false rollbacks",
        "detected",
        "before 1st promotion",
        "median",
        "earliest",
        "SPRT floor",
        "ratio",
    ]
    lines = []
    for r in rows:
        pct = f"{100 * r.share:.1f}%"
        earliest = parse_duration(r.interval).total_seconds() * (
            FAILURE_LIMIT + (MIN_SAMPLES - 1) * (r.gates == "mann-whitney")
        )
        lines.append(
            [
                r.interval,
                r.scenario.name,
                r.gates,
                pct if not r.scenario.bad else "",
                pct if r.scenario.bad else "",
                f"{100 * r.before_promotion / r.releases:.1f}%" if r.scenario.bad else "",
                seconds(r.median_s),
                seconds(earliest) if r.scenario.bad else "",
                seconds(r.floor_s) if r.floor_s is not None else "",
                f"{r.median_s / r.floor_s:.2f}" if r.floor_s and r.median_s else "",
            ]
        )
    return _render(head, lines, markdown)


def _render(head: list[str], lines: list[list[str]], markdown: bool) -> str:
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        out += ["| " + " | ".join(c) + " |" for c in lines]
        return "\n".join(out)
    widths = [max(len(h), *(len(c[i]) for c in lines)) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*head)] + [fmt.format(*c) for c in lines])


def wilson(k: int, n: int) -> tuple[float, float]:
    """The 95% Wilson interval of a proportion k / n."""
    z = 1.959964
    p = k / n
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, mid - half), min(1.0, mid + half)


def _share(r: Row) -> str:
    lo, hi = wilson(r.rolled_back, r.releases)
    return f"{100 * r.share:.1f}% (95% CI {100 * lo:.1f}-{100 * hi:.1f}%)"


def goals(rows: list[Row], markdown: bool) -> str:
    """Issue 16's goals, per interval: measured, met or not (on the point estimates)."""
    head = ["interval", "goal", "measured", "met"]
    lines = []

    def find(name: str, kind: str, interval: str) -> Row | None:
        return next((r for r in rows if r.scenario.name == name and r.gates == kind and r.interval == interval), None)

    for interval in dict.fromkeys(r.interval for r in rows):
        healthy = [
            r
            for r in rows
            if r.interval == interval and r.gates == "counts" and not r.scenario.bad and "spread" not in r.scenario.name
        ]
        if healthy:
            worst = max(healthy, key=lambda r: r.share)
            text = "; ".join(f"{r.scenario.name.removeprefix('healthy ')} {100 * r.share:.1f}%" for r in healthy)
            lines.append(
                [
                    interval,
                    f"healthy: false rollbacks <= {ALPHA:.0%} at every baseline",
                    f"{text}; worst {_share(worst)}",
                    "yes" if all(r.share <= ALPHA for r in healthy) else "no",
                ]
            )
        two = find("2x at 1%", "counts", interval)
        if two is not None:
            ratio = two.median_s / two.floor_s if two.median_s and two.floor_s else math.inf
            lines.append(
                [
                    interval,
                    "2x at 1%, 1000 rps, 5%: >= 99% detected, median <= 2x SPRT floor",
                    f"{100 * two.share:.1f}%, median {seconds(two.median_s)} = {ratio:.2f}x the floor "
                    f"{seconds(two.floor_s)}",
                    "yes" if two.share >= 0.99 and ratio <= 2 else "no",
                ]
            )
        five = find("5x at 1%", "counts", interval)
        if five is not None:
            early = five.before_promotion / five.releases
            lines.append(
                [
                    interval,
                    "5x: detected before the first promotion in >= 99%",
                    f"{100 * early:.1f}%",
                    "yes" if early >= 0.99 else "no",
                ]
            )
        plus = find("latency +30%", "mann-whitney", interval)
        zero = find("latency +0%", "mann-whitney", interval)
        if plus is not None and zero is not None:
            lines.append(
                [
                    interval,
                    "latency +30%: >= 95% detected by mann-whitney, <= 5% false at +0%",
                    f"{100 * plus.share:.1f}% detected, {_share(zero)} false",
                    "yes" if plus.share >= 0.95 and zero.share <= 0.05 else "no",
                ]
            )
    return _render(head, lines, markdown)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--releases", type=int, default=200, help="releases per row (default 200)")
    ap.add_argument("--interval", default=",".join(INTERVALS), help="comma-separated (default 10s,1m,5m)")
    ap.add_argument("--scenario", action="append", help="only scenarios whose name contains this")
    ap.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    ap.add_argument("--no-seed", action="store_true", help="skip the seed's thresholds")
    args = ap.parse_args()
    intervals = [i.strip() for i in args.interval.split(",") if i.strip()]
    chosen = [s for s in SCENARIOS if not args.scenario or any(w in s.name for w in args.scenario)]
    rows: list[Row] = []
    started = time.perf_counter()
    for interval in intervals:
        for s in chosen:
            rows.append(run(s, s.judge, interval, args.releases))
            if not args.no_seed:
                rows.append(run(s, s.seed_gates, interval, args.releases))
            print(f"  {interval} {s.name}: done ({time.perf_counter() - started:.0f}s)", file=sys.stderr, flush=True)
    print(table(rows, args.markdown))
    print()
    print(goals(rows, args.markdown))
    print(
        f"\n{args.releases} releases per row, intervals {', '.join(intervals)}, {PER_PHASE} evaluations a phase, "
        f"alpha {ALPHA}; {time.perf_counter() - started:.0f}s in all",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
