"""Pre-flight results shared by ``check``, ``run`` and ``run --dry-run``, and the live-run rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .core.model import Plan


@dataclass(frozen=True)
class CheckResult:
    """``ok`` False is a problem that makes ``check`` exit 2; ``subject`` names what was checked."""

    subject: str
    ok: bool
    detail: str


def simulated_metrics_problem(plan: Plan) -> str | None:
    """Why a plan that moves real traffic may not use simulated metrics (None when it may).

    Simulated numbers are fine for ``demo`` (simulated traffic too), never as the evidence that moves
    real users: with a real router the plan must name a Prometheus."""
    from .core.model import Provider, Router

    if plan.traffic.router is Router.SIMULATED or plan.metrics.provider is not Provider.SIMULATED:
        return None
    return (
        f"spec.metrics.provider: the metrics are simulated (written or by default) and spec.traffic.router is "
        f"{plan.traffic.router.value}: a live release would move real traffic on made-up numbers. "
        "Set spec.metrics to {provider: prometheus, address: http://prometheus:9090} (your Prometheus), "
        f"or rehearse with `canary-tui demo --plan {plan.source}`"
    )


def refuse_simulated_metrics(plan: Plan) -> None:
    """InputError (exit 2) when ``plan`` would drive real traffic on simulated metrics."""
    from .errors import InputError, Problem

    text = simulated_metrics_problem(plan)
    if text is not None:
        path, _, message = text.partition(": ")
        raise InputError([Problem(plan.source, path, None, message)])
