"""Pre-flight checks of a plan against its Prometheus: not built yet."""

from __future__ import annotations

from ..core.model import Plan
from ..preflight import CheckResult


def check_prometheus(plan: Plan) -> list[CheckResult]:
    return [CheckResult("prometheus", True, "not checked: this build has no Prometheus checks yet")]
