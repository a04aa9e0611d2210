#!/usr/bin/env python3
"""Writes the judges' fixtures in fixtures/ (contract section 5) from simulated releases of known truth.

    .venv/bin/python scripts/gen_judge_fixtures.py

Each release is drawn by canary_tui/sim/releases.py (Poisson counts, drifting load, common-mode
error noise, pod-to-pod spread) on the plan's nominal schedule; the ``expect`` block is the truth
(a doubled error rate must roll back, a healthy canary must be promoted), and this script checks
that the replay agrees before writing. tests/test_fixtures.py replays them all with ``--check``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from gen_fixtures import ISTIO_ERRORS, ISTIO_P99, OUT, Flow, to_yaml  # noqa: E402

from canary_tui.core.durations import format_duration  # noqa: E402
from canary_tui.core.fixture import parse_fixture  # noqa: E402
from canary_tui.core.source import parse_text  # noqa: E402
from canary_tui.sim.releases import release  # noqa: E402
from canary_tui.sim.traffic import Traffic  # noqa: E402

SEL = (
    'reporter="destination",destination_workload_namespace="{{namespace}}",'
    'destination_service_name="{{service}}",destination_version="{{version}}"'
)
ERRORS = f'sum(increase(istio_requests_total{{{SEL},response_code=~"5.."}}[{{{{interval}}}}])) or vector(0)'
REQUESTS = f"sum(increase(istio_requests_total{{{SEL}}}[{{{{interval}}}}]))"
P99 = ISTIO_P99.replace("[1m]", "[{{interval}}]")


def judges_plan() -> dict[str, Any]:
    """1-minute evaluations, 30m at 5%, 20m at 25% and 50%: the seed's error gate beside both judges."""
    return {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "CanaryPlan",
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {
            "service": "checkout",
            "stable": {"version": "v1", "deployment": "checkout-v1", "subset": "v1-stable"},
            "canary": {"version": "v2", "deployment": "checkout-v2", "subset": "v2-canary"},
            "interval": "1m",
            "failureLimit": 2,
            "noDataLimit": 3,
            "minHealthScore": 80,
            "phases": [
                {"name": "canary", "weight": 5, "duration": "30m"},
                {"name": "expansion", "weight": 25, "duration": "20m"},
                {"name": "majority", "weight": 50, "duration": "20m"},
                {"name": "full", "weight": 100, "duration": "0s"},
            ],
            "gates": [
                {"name": "error_rate", "query": ISTIO_ERRORS, "warnAbove": 0.01, "failAbove": 0.05},
                {"name": "errors", "judge": "counts", "errors": ERRORS, "requests": REQUESTS, "alpha": 0.01},
                {"name": "latency", "judge": "mann-whitney", "query": P99, "unit": "s", "window": "15m"},
            ],
        },
    }


def replay(doc: dict[str, Any]) -> dict[str, Any]:
    from canary_tui.commands.replay import build

    class Last:
        result: Any = None

        def emit(self, event: Any) -> None:
            if type(event).__name__ == "Finished":
                self.result = event

    fixture = parse_fixture(parse_text(json.dumps(doc), "generated.json"))
    sink = Last()
    build(fixture, None, [sink]).run()
    r = sink.result
    return {"outcome": r.outcome, "phase": r.phase, "at": format_duration(r.elapsed)}


def write(name: str, comment: str, doc: dict[str, Any]) -> None:
    for entry in doc["series"].values():
        for side in ("canary", "stable"):
            if isinstance(entry[side], dict):
                entry[side] = {k: Flow(v) for k, v in entry[side].items()}
            else:
                entry[side] = Flow(entry[side])
    header = "".join(f"# {line}\n" for line in comment.strip().splitlines())
    header += "# Made by scripts/gen_judge_fixtures.py; edit it there and run it again.\n"
    (OUT / f"{name}.yaml").write_text(header + to_yaml(doc) + "\n")


CASES = [
    (
        "judges-doubled-errors",
        "v2 doubles a 0.5% error rate at 200 rps: error_rate (failAbove 0.05) never fires, the counts judge rolls back",
        Traffic(rps=200, error_rate=0.005, ratio=2.0),
        "RolledBack",
        "s1",
    ),
    (
        "judges-healthy",
        "v2 is as good as v1 under drifting load, error hiccups hitting both and pod spread: promoted",
        Traffic(rps=200, error_rate=0.005, ratio=1.0),
        "Promoted",
        "s2",
    ),
    (
        "judges-latency-shift",
        "v2's p99 is 30% slower than v1's, far under any absolute limit: mann-whitney rolls it back",
        Traffic(rps=200, error_rate=0.005, ratio=1.0, latency_shift=0.3),
        "RolledBack",
        "s3",
    ),
]


def main() -> None:
    for name, description, truth, outcome, seed in CASES:
        doc = release(judges_plan(), truth, seed, name=name, description=description)
        got = replay(doc)
        if got["outcome"] != outcome:
            raise SystemExit(f"{name}: the replay ended {got}, the truth is {outcome}: pick another seed")
        doc["expect"] = got
        write(name, description, doc)
        print(f"{name}: {got}")
    # a counter reset and an interval where stable had no requests: nodata once, then the test goes on
    doc = release(
        judges_plan(),
        Traffic(rps=200, error_rate=0.005),
        "s4",
        name="judges-counter-reset",
        description="the canary's counters reset at sample 12; stable scrapes nothing at sample 20",
    )
    counts = doc["series"]["errors"]
    for key in ("errors", "requests"):
        base = counts["canary"][key][11]
        counts["canary"][key] = counts["canary"][key][:12] + [v - base for v in counts["canary"][key][12:]]
    doc["series"]["errors"]["stable"]["errors"][20] = None
    doc["series"]["errors"]["stable"]["requests"][20] = None
    got = replay(doc)
    assert got["outcome"] == "Promoted", got
    doc["expect"] = got
    write("judges-counter-reset", doc["metadata"]["description"], doc)
    print(f"judges-counter-reset: {got}")


if __name__ == "__main__":
    main()
