"""Demo scenarios: what goes wrong with the canary, and when."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    """``kind`` says which fault. It starts in the first phase whose weight is at least
    ``trigger_weight``, ``delay_s`` seconds after that phase starts; a ``gap`` instead starts
    when that phase's soak ends and lasts ``delay_s`` seconds."""

    name: str
    description: str
    kind: str = "none"
    trigger_weight: int = 25
    delay_s: float = 10.0
    expect: str = "Promoted"
    plan: str | None = None  # fixtures/plans/<plan>: a scenario that needs its own plan


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("healthy", "v2 behaves like v1, with the usual noise: promoted to 100%"),
        Scenario(
            "error-spike",
            "v2 starts answering 12% 5xx once it takes 25% of traffic: rolled back",
            kind="errors",
            delay_s=12,
            expect="RolledBack",
        ),
        Scenario(
            "latency-regression",
            "v2's p99 and p95 drift to about 1.8x stable's at 25%, still under the absolute limits: rolled back",
            kind="latency",
            delay_s=8,
            expect="RolledBack",
        ),
        Scenario(
            "metrics-gap",
            "Prometheus misses two scrapes just as the first phase ends: promotion waits, then goes on",
            kind="gap",
            trigger_weight=1,
            delay_s=8,
            expect="Promoted",
        ),
        Scenario(
            "smoke-failure",
            "v2's smoke test fails once it takes 25%: promotion is blocked, and two failures in a row roll back",
            kind="smoke",
            expect="RolledBack",
        ),
        Scenario(
            "doubled-errors",
            "v2 doubles a 0.5% error rate from the start: the seed's failAbove 0.05 never sees it, "
            "the counts judge rolls it back in the first phase",
            kind="double-errors",
            trigger_weight=1,
            delay_s=0,
            expect="RolledBack",
            plan="judges.yaml",
        ),
        Scenario(
            "crashloop",
            "v2's pods start crash-looping after the shift to 25%: restarts roll it back",
            kind="crashloop",
            delay_s=6,
            expect="RolledBack",
        ),
    )
}
