"""Pre-flight checks of a plan against its cluster: not built yet."""

from __future__ import annotations

from ..core.model import Plan
from ..preflight import CheckResult


def check_cluster(plan: Plan, context: str | None, namespace: str | None) -> list[CheckResult]:
    return [CheckResult("cluster", True, "not checked: this build has no cluster checks yet")]
