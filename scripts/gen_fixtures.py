#!/usr/bin/env python3
"""Writes the scenario fixtures in fixtures/: each one exercises a clause of the decision rule.

The fixtures are committed; this script documents how each was made and remakes them:
    .venv/bin/python scripts/gen_fixtures.py
Every fixture carries an ``expect`` block worked out by hand from the rule (see the comment
above each one); tests/test_fixtures.py replays them all with ``--check``.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "fixtures"
START = "2026-02-19T05:33:00Z"

ISTIO_ERRORS = (
    '(sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{namespace}}",'
    'destination_service_name="{{service}}",destination_version="{{version}}",response_code=~"5.."}[1m])) or vector(0))'
    ' / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{namespace}}",'
    'destination_service_name="{{service}}",destination_version="{{version}}"}[1m]))'
)
ISTIO_P99 = (
    "histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{"
    'reporter="destination",destination_workload_namespace="{{namespace}}",destination_service_name="{{service}}",'
    'destination_version="{{version}}"}[1m]))) / 1000'
)
CACHE = (
    'sum(rate(cache_hits_total{namespace="{{namespace}}",version="{{version}}"}[5m]))'
    ' / sum(rate(cache_requests_total{namespace="{{namespace}}",version="{{version}}"}[5m]))'
)

Gen = Callable[[int], float | None]


def small_plan(**spec: Any) -> dict[str, Any]:
    """A 1-minute-interval plan: 10m soaks at 5/25/50, then 100; two or three gates."""
    gates = spec.pop("gates", None) or [
        {"name": "error_rate", "query": ISTIO_ERRORS, "warnAbove": 0.01, "failAbove": 0.05},
        {
            "name": "latency_p99",
            "query": ISTIO_P99,
            "unit": "s",
            "warnAbove": 0.5,
            "failAbove": 2.0,
            "maxRatioToStable": 1.5,
        },
    ]
    base = {
        "service": "checkout",
        "stable": {"version": "v1", "deployment": "checkout-v1", "subset": "v1-stable"},
        "canary": {"version": "v2", "deployment": "checkout-v2", "subset": "v2-canary"},
        "interval": "1m",
        "failureLimit": 2,
        "noDataLimit": 3,
        "minHealthScore": 80,
        "promotion": "auto",
        "phases": [
            {"name": "canary", "weight": 5, "duration": "10m"},
            {"name": "expansion", "weight": 25, "duration": "10m", "gates": {"error_rate": {"failAbove": 0.10}}},
            {"name": "majority", "weight": 50, "duration": "10m"},
            {"name": "full", "weight": 100, "duration": "0s"},
        ],
        "gates": gates,
    }
    base.update(spec)
    return {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "CanaryPlan",
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": base,
    }


def noisy(rng: random.Random, value: float, spread: float = 0.08) -> float:
    return round(value * (1 + rng.uniform(-spread, spread)), 6)


def series(
    n: int, seed: str, canary: Gen | float, stable: Gen | float, spread: float = 0.08
) -> dict[str, list[float | None]]:
    rng = random.Random(seed)

    def gen(g: Gen | float) -> list[float | None]:
        out: list[float | None] = []
        for i in range(n):
            v = g(i) if callable(g) else g
            out.append(
                noisy(rng, v, spread)
                if isinstance(v, float) and v not in (0.0,) and v == v and v != float("inf")
                else v
            )
        return out

    return {"canary": gen(canary), "stable": gen(stable)}


def healthy(n: int, seed: str, **overrides: dict[str, list[float | None]]) -> dict[str, Any]:
    out = {
        "error_rate": series(n, seed + "e", 0.0008, 0.0007),
        "latency_p99": series(n, seed + "l", 0.19, 0.185),
    }
    out.update(overrides)
    return out


class Flow(list):  # type: ignore[type-arg]
    """A list written in YAML flow style ([a, b, c])."""


def to_yaml(data: Any, indent: int = 0) -> str:
    pad = "  " * indent
    if isinstance(data, dict):
        lines = []
        for k, v in data.items():
            if isinstance(v, dict) and v:
                lines.append(f"{pad}{k}:\n{to_yaml(v, indent + 1)}")
            elif isinstance(v, list) and v and not isinstance(v, Flow) and isinstance(v[0], dict):
                lines.append(f"{pad}{k}:")
                for item in v:
                    lines.append(f"{pad}  - {inline(item)}")
            else:
                lines.append(f"{pad}{k}: {inline(v)}")
        return "\n".join(lines)
    return pad + inline(data)


def inline(v: Any) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {inline(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(inline(x) for x in v) + "]"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v != v:
            return ".nan"
        if v == float("inf"):
            return ".inf"
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_./@-]*", v) and yaml.safe_load(v) == v:
        return v
    return json.dumps(v)  # a JSON string is a valid YAML double-quoted scalar


def write(name: str, comment: str, doc: dict[str, Any], fmt: str = "yaml") -> None:
    path = OUT / f"{name}.{fmt}"
    if fmt == "json":
        path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
        return
    header = "".join(f"# {line}\n" for line in comment.strip().splitlines())
    header += "# Made by scripts/gen_fixtures.py; edit it there and run it again.\n"
    path.write_text(header + to_yaml(doc) + "\n")


def fixture(
    name: str,
    description: str,
    plan: dict[str, Any] | None,
    data: dict[str, Any],
    expect: dict[str, str],
    *,
    plan_ref: str | None = None,
    step: str = "1m",
    pods: list[Any] | None = None,
    actions: list[Any] | None = None,
    checks: dict[str, list[Any]] | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "MetricFixture",
        "metadata": {"name": name, "description": description},
    }
    if plan_ref:
        doc["planRef"] = plan_ref
    else:
        doc["plan"] = plan
    doc["start"] = START
    doc["step"] = step
    doc["series"] = {k: {"canary": Flow(v["canary"]), "stable": Flow(v["stable"])} for k, v in data.items()}
    if checks is not None:
        doc["checks"] = {k: Flow(v) for k, v in checks.items()}
    if pods is not None:
        doc["pods"] = pods
    if actions is not None:
        doc["actions"] = actions
    doc["expect"] = expect
    return doc


def pod(name: str, version: str, restarts: int = 0, ready: bool = True, phase: str = "Running") -> dict[str, Any]:
    return {
        "name": name,
        "version": version,
        "phase": phase,
        "ready": ready,
        "restarts": restarts,
        "cpu": 0.12,
        "memoryBytes": 131072000,
    }


def seed_series(n: int, seed: str, error: Gen | float = 0.0008) -> dict[str, Any]:
    """All seven query gates of fixtures/plans/seed.yaml at the seed's healthy values."""
    return {
        "error_rate": series(n, seed + "e", error, 0.0007),
        "latency_p99": series(n, seed + "9", 0.185, 0.18),
        "latency_p95": series(n, seed + "5", 0.145, 0.14),
        "cpu_usage": series(n, seed + "c", 0.38, 0.36),
        "memory_usage": series(n, seed + "m", 0.52, 0.5),
        "cache_hit_ratio": series(n, seed + "h", 0.942, 0.945, spread=0.01),
        "db_connection_usage": series(n, seed + "d", 0.08, 0.08),
    }


SEED_PODS = [
    {
        "at": "0s",
        "items": [
            pod("canary-deployment-v2-6f7c9d8b5-x2x4z", "v2"),
            pod("canary-deployment-v1-5d9f8c7b6-a1b2c", "v1"),
            pod("canary-deployment-v1-5d9f8c7b6-d3e4f", "v1"),
        ],
    }
]


def main() -> None:
    # Seed plan, 5-minute steps. Canary error rate jumps to 12% at 13h (an hour into expansion,
    # where the override fails above 10%): fail at 13h0m and 13h5m -> RolledBack at 13h5m.
    n = 13 * 12 + 5
    write(
        "error-spike-at-25",
        """
The contract's example: the seed plan; v2's error rate jumps to 12% an hour into the 25% phase.
expansion fails above 10% (the phase override): fail at 13h0m and 13h5m, failureLimit 2 ->
RolledBack in expansion at 13h5m.""",
        fixture(
            "error-spike-at-25",
            "seed plan; v2 error rate 12% from 13h",
            None,
            seed_series(n, "spike", lambda i: 0.12 if i >= 13 * 12 else 0.0008),
            {"outcome": "RolledBack", "phase": "expansion", "at": "13h5m"},
            plan_ref="plans/seed.yaml",
            step="5m",
            pods=SEED_PODS,
        ),
    )

    # Seed plan, healthy for 24h5m, as JSON (long recordings load fast as JSON).
    n = 24 * 12 + 2
    write(
        "seed-healthy",
        "",
        fixture(
            "seed-healthy",
            "seed plan, healthy for a whole day: promoted after the 100% phase's first evaluation",
            None,
            seed_series(n, "healthy"),
            {"outcome": "Promoted", "phase": "full", "at": "24h5m"},
            plan_ref="plans/seed.yaml",
            step="5m",
            pods=SEED_PODS,
        ),
        fmt="json",
    )

    # Healthy: promotions at 10m, 20m, 30m (entering full); full's first evaluation at 31m finishes.
    write(
        "healthy-promotion",
        """
Promotion: every gate passes; each phase is promoted when its 10m soak is served (10m, 20m, 30m);
the 100% phase (0s) is promoted at its first evaluation, 31m -> Promoted.""",
        fixture(
            "healthy-promotion",
            "all gates pass",
            small_plan(),
            healthy(33, "hp"),
            {"outcome": "Promoted", "phase": "full", "at": "31m"},
        ),
    )

    # noDataLimit: error_rate null from 5m: nodata at 5m, 6m, 7m -> 3 >= noDataLimit 3 at 7m.
    data = healthy(20, "nd")
    data["error_rate"]["canary"][5:] = [None] * 15
    write(
        "rollback-nodata",
        """
noDataLimit: v2's error-rate series goes empty at 5m; nodata at 5m, 6m, 7m reaches noDataLimit 3
-> RolledBack in canary at 7m.""",
        fixture(
            "rollback-nodata",
            "error_rate has no data from 5m",
            small_plan(),
            data,
            {"outcome": "RolledBack", "phase": "canary", "at": "7m"},
        ),
    )

    # Relative gate: from 12m v2 p99 = 1.8 x stable (0.33 s, under warn 0.5): fail 12m, 13m.
    data = healthy(20, "rel")
    data["latency_p99"] = {"canary": [0.333 if i >= 12 else 0.19 for i in range(20)], "stable": [0.185] * 20}
    write(
        "relative-latency",
        """
Relative gate: from 12m v2's p99 is 0.333 s against stable's 0.185 s, 1.8x, over maxRatioToStable
1.5 though far under the absolute 2 s: fail at 12m and 13m -> RolledBack in expansion at 13m.""",
        fixture(
            "relative-latency",
            "v2 p99 1.8x stable from 12m",
            small_plan(),
            data,
            {"outcome": "RolledBack", "phase": "expansion", "at": "13m"},
        ),
    )

    # Per-phase override: 7% errors from 12m; see the fixture's comment.
    gates = [
        {"name": "error_rate", "query": ISTIO_ERRORS, "warnAbove": 0.01, "failAbove": 0.05, "weight": 1},
        {"name": "latency_p99", "query": ISTIO_P99, "unit": "s", "warnAbove": 0.5, "failAbove": 2.0, "weight": 3},
    ]
    data = healthy(30, "ov")
    data["error_rate"]["canary"] = [0.07 if i >= 12 else 0.0008 for i in range(30)]
    write(
        "phase-override",
        """
Per-phase override: v2's error rate is 7% from 12m. In expansion (failAbove 0.10) that is only a
warning, and with gate weights 1 and 3 the health score is 87.5, so expansion is promoted at 20m.
majority uses the plan's failAbove 0.05: fail at 21m and 22m -> RolledBack in majority at 22m.""",
        fixture(
            "phase-override",
            "7% errors: a warning at 25%, a failure at 50%",
            small_plan(gates=gates),
            data,
            {"outcome": "RolledBack", "phase": "majority", "at": "22m"},
        ),
    )

    # hold/resume: held at 5m; canary's soak ends at 10m but promotion waits; resume at 25m ->
    # promoted at 25m; expansion 25m-35m, majority 35m-45m, full promoted at 46m.
    write(
        "hold-resume",
        """
hold and resume: an operator holds at 5m, so the canary phase is not promoted at 10m; resume at
25m lets it promote at 25m; then 35m, 45m, and the 100% phase finishes at 46m -> Promoted.""",
        fixture(
            "hold-resume",
            "held from 5m to 25m",
            small_plan(),
            healthy(48, "hr"),
            {"outcome": "Promoted", "phase": "full", "at": "46m"},
            actions=[
                {"at": "5m", "action": "hold", "actor": "alice@laptop"},
                {"at": "25m", "action": "resume", "actor": "alice@laptop"},
            ],
        ),
    )

    # promote refused: a single failing evaluation at 3m (error 9%); promote at 4m is refused
    # (the previous evaluation had a fail); promote at 6m is accepted -> expansion at 6m.
    # expansion 6m-16m, majority 16m-26m, full promoted at 27m.
    data = healthy(30, "pr")
    data["error_rate"]["canary"][3] = 0.09
    write(
        "promote-refused",
        """
Operator promote refused after a failing evaluation: v2 fails once at 3m (one fail, under
failureLimit 2). A promote at 4m is refused because the previous evaluation had a failing gate;
a promote at 6m is accepted: expansion from 6m, majority from 16m, full from 26m, Promoted at 27m.""",
        fixture(
            "promote-refused",
            "promote refused at 4m, accepted at 6m",
            small_plan(),
            data,
            {"outcome": "Promoted", "phase": "full", "at": "27m"},
            actions=[
                {"at": "4m", "action": "promote", "actor": "bob@desk"},
                {"at": "6m", "action": "promote", "actor": "bob@desk"},
            ],
        ),
    )

    # manual promotion: soaks end but nothing happens until an operator promotes.
    write(
        "manual-promotion",
        """
promotion: manual. Soaks are served but phases end only on an operator promote: 15m -> expansion,
20m -> majority (its soak not served: operators may skip), 22m -> full, 30m promote in the last
phase -> Promoted at 30m.""",
        fixture(
            "manual-promotion",
            "every phase ends on an operator promote",
            small_plan(promotion="manual"),
            healthy(40, "mp"),
            {"outcome": "Promoted", "phase": "full", "at": "30m"},
            actions=[{"at": f"{m}m", "action": "promote", "actor": "carol@ops"} for m in (15, 20, 22, 30)],
        ),
    )

    # health score: error_rate and cache in warn until 14m -> (0.5 + 1 + 0.5) / 3 = 66.67 < 80.
    gates = [
        {"name": "error_rate", "query": ISTIO_ERRORS, "warnAbove": 0.01, "failAbove": 0.05},
        {"name": "latency_p99", "query": ISTIO_P99, "unit": "s", "warnAbove": 0.5, "failAbove": 2.0},
        {"name": "cache_hit_ratio", "query": CACHE, "warnBelow": 0.9, "failBelow": 0.8},
    ]
    data = healthy(40, "hs")
    data["error_rate"]["canary"] = [0.02 if i < 15 else 0.0008 for i in range(40)]
    data["cache_hit_ratio"] = {"canary": [0.85 if i < 15 else 0.94 for i in range(40)], "stable": [0.94] * 40}
    write(
        "health-score-blocks",
        """
Health score blocks promotion: two of three gates warn until 14m, health (0.5 + 1 + 0.5) / 3 =
66.7 < minHealthScore 80, so the canary phase is not promoted at 10m-14m although no gate fails.
At 15m all pass: promoted at 15m, 25m, 35m, and the 100% phase finishes at 36m.""",
        fixture(
            "health-score-blocks",
            "warnings hold the health score under 80 until 15m",
            small_plan(gates=gates),
            data,
            {"outcome": "Promoted", "phase": "full", "at": "36m"},
        ),
    )

    # Incomplete: 16 samples (0m-15m), expansion entered at 10m, nothing decided by 15m.
    write(
        "incomplete",
        """
Incomplete: the recording ends at 15m (16 samples), in the middle of the expansion phase; no
outcome was reached -> Incomplete in expansion at 15m, the last evaluation.""",
        fixture(
            "incomplete",
            "the samples run out mid-release",
            small_plan(),
            healthy(16, "inc"),
            {"outcome": "Incomplete", "phase": "expansion", "at": "15m"},
        ),
    )

    # operator rollback: immediate at the evaluation at 12m.
    write(
        "operator-rollback",
        """
Operator rollback: alice rolls back at 12m while every gate passes -> RolledBack in expansion at
12m, the reason naming her.""",
        fixture(
            "operator-rollback",
            "a person rolls back at 12m",
            small_plan(),
            healthy(30, "or"),
            {"outcome": "RolledBack", "phase": "expansion", "at": "12m"},
            actions=[{"at": "12m", "action": "rollback", "actor": "alice@laptop"}],
        ),
    )

    # pod gate: canary restarts from the 14m snapshot -> fail 14m, 15m.
    gates = [
        {"name": "error_rate", "query": ISTIO_ERRORS, "warnAbove": 0.01, "failAbove": 0.05},
        {"name": "canary_restarts", "source": "pods", "signal": "restarts", "failAbove": 0},
    ]
    data = {"error_rate": series(30, "cl", 0.0008, 0.0007)}
    v1 = [pod("checkout-v1-5d9f8c7b6-a1b2c", "v1"), pod("checkout-v1-5d9f8c7b6-d3e4f", "v1")]
    pods = [
        {"at": "0s", "items": [pod("checkout-v2-6f7c9d8b5-x2x4z", "v2"), *v1]},
        {
            "at": "10m",
            "items": [pod("checkout-v2-6f7c9d8b5-x2x4z", "v2"), pod("checkout-v2-6f7c9d8b5-k8m2p", "v2"), *v1],
        },
        {
            "at": "14m",
            "items": [
                pod("checkout-v2-6f7c9d8b5-x2x4z", "v2", 1, False, "CrashLoopBackOff"),
                pod("checkout-v2-6f7c9d8b5-k8m2p", "v2", 2, False, "CrashLoopBackOff"),
                *v1,
            ],
        },
    ]
    write(
        "crashloop-pods",
        """
Pod gate: v2's pods start crash-looping in the 14m snapshot (3 restarts > 0): fail at 14m and
15m -> RolledBack in expansion at 15m.""",
        fixture(
            "crashloop-pods",
            "v2 pods restart from 14m",
            small_plan(gates=gates),
            data,
            {"outcome": "RolledBack", "phase": "expansion", "at": "15m"},
            pods=pods,
        ),
    )

    # metrics gap: nulls at 9m, 10m (2 < noDataLimit 3): promotion at 10m blocked (a gate is
    # nodata), 11m passes -> promoted at 11m; 21m, 31m, full finishes at 32m.
    data = healthy(35, "gap")
    data["error_rate"]["canary"][9] = None
    data["error_rate"]["canary"][10] = None
    data["latency_p99"]["canary"][10] = None
    write(
        "metrics-gap",
        """
A short metrics gap only delays: no data at 9m and 10m (2, under noDataLimit 3). At 10m the soak
is served but a gate is nodata, so promotion waits; at 11m all pass -> promoted at 11m, 21m, 31m,
and the 100% phase finishes at 32m -> Promoted.""",
        fixture(
            "metrics-gap",
            "two empty scrapes at the end of the first soak",
            small_plan(),
            data,
            {"outcome": "Promoted", "phase": "full", "at": "32m"},
        ),
    )

    # NaN is no data, +Inf is a number: NaN at 2m (nodata 1, reset at 3m); +Inf p99 at 4m, 5m.
    data = healthy(20, "ni")
    data["latency_p99"]["canary"][2] = float("nan")
    data["latency_p99"]["canary"][4] = float("inf")
    data["latency_p99"]["canary"][5] = float("inf")
    write(
        "nan-and-inf",
        """
NaN means no data; +Inf is a number and compares as one. v2's p99 is NaN at 2m (one nodata, reset
at 3m) and +Inf at 4m and 5m (> failAbove 2 s): fail twice -> RolledBack in canary at 5m.""",
        fixture(
            "nan-and-inf",
            "NaN is nodata, +Inf fails",
            small_plan(),
            data,
            {"outcome": "RolledBack", "phase": "canary", "at": "5m"},
        ),
    )


def checks_fixtures() -> None:
    """Phase checks (an extension of the contract, docs/checks.md) replayed from recorded results."""
    smoke = {
        "name": "smoke",
        "when": "promote",
        "http": {"url": "http://{{service}}-{{version}}.{{namespace}}/healthz"},
    }
    feature = {
        "name": "feature-tests",
        "when": "enter",
        "phases": ["majority"],
        "command": {"argv": ["./feature-tests.sh", "--suite", "checkout"]},
    }
    plan = small_plan(checks=[smoke, feature])
    ok: list[Any] = ["pass"] * 40
    smoke_row = list(ok)
    smoke_row[10] = "fail"
    feature_row = list(ok)
    feature_row[22] = "fail"
    write(
        "checks-delay",
        """
Phase checks only delay while they recover: the smoke check (before each promotion) fails at 10m,
when canary's soak is served, so promotion waits; it passes at 11m -> promoted at 11m. The
feature-tests check (on entering majority) fails at majority's first evaluation, 22m, and passes at
23m; majority is promoted at 31m, and the 100% phase finishes at 32m -> Promoted.""",
        fixture(
            "checks-delay",
            "a smoke check and a feature test each fail once",
            plan,
            healthy(40, "cd"),
            {"outcome": "Promoted", "phase": "full", "at": "32m"},
            checks={"smoke": smoke_row, "feature-tests": feature_row},
        ),
    )

    smoke_row = ["pass"] * 20 + ["fail"] * 10
    write(
        "checks-rollback",
        """
A phase check failing failureLimit times in a row rolls back: the smoke check passes at 10m and
canary is promoted; expansion's soak is served at 20m, where smoke fails, and again at 21m ->
RolledBack in expansion at 21m.""",
        fixture(
            "checks-rollback",
            "the smoke check fails twice before expansion's promotion",
            small_plan(checks=[smoke]),
            healthy(30, "cr"),
            {"outcome": "RolledBack", "phase": "expansion", "at": "21m"},
            checks={"smoke": smoke_row},
        ),
    )


if __name__ == "__main__":
    main()
    checks_fixtures()
