"""The CanaryPlan as typed, immutable objects (contract section 1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType

from .extensions import Check, Notify


class Router(StrEnum):
    ISTIO = "istio"
    GATEWAY_API = "gateway-api"
    REPLICAS = "replicas"
    SIMULATED = "simulated"


class Provider(StrEnum):
    PROMETHEUS = "prometheus"
    SIMULATED = "simulated"


class GateSource(StrEnum):
    PROMETHEUS = "prometheus"
    PODS = "pods"


class PodSignal(StrEnum):
    RESTARTS = "restarts"
    NOT_READY = "notReady"


class Promotion(StrEnum):
    AUTO = "auto"
    MANUAL = "manual"


class Direction(StrEnum):
    """Which change of a mann-whitney gate's signal is a regression."""

    INCREASE = "increase"
    DECREASE = "decrease"
    EITHER = "either"


@dataclass(frozen=True, slots=True)
class CountsJudge:
    """``judge: counts``: an anytime-valid test of canary error probability <= stable's x max_ratio."""

    errors: str
    requests: str
    max_ratio: float = 1.0
    alpha: float = 0.01
    grid_ratios: tuple[float, ...] = ()  # every maxRatio of the plan's phases: points of the test's grid


@dataclass(frozen=True, slots=True)
class MannWhitneyJudge:
    """``judge: mann-whitney``: the canary's values in a rolling window against the stable's."""

    window: timedelta = timedelta(minutes=30)
    direction: Direction = Direction.INCREASE
    allowed_change: float = 0.10
    confidence: float = 0.98
    min_samples: int = 10


Judge = CountsJudge | MannWhitneyJudge


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The levels a gate is judged by; None means the level is not set."""

    fail_above: float | None = None
    fail_below: float | None = None
    warn_above: float | None = None
    warn_below: float | None = None
    max_ratio_to_stable: float | None = None

    @property
    def relative(self) -> bool:
        """A relative gate also needs the stable value."""
        return self.max_ratio_to_stable is not None

    @property
    def has_fail_level(self) -> bool:
        return self.fail_above is not None or self.fail_below is not None or self.relative


THRESHOLD_KEYS = {
    "failAbove": "fail_above",
    "failBelow": "fail_below",
    "warnAbove": "warn_above",
    "warnBelow": "warn_below",
    "maxRatioToStable": "max_ratio_to_stable",
}


@dataclass(frozen=True, slots=True)
class Gate:
    """One golden signal with its thresholds. ``query`` is PromQL with ``{{version}}`` etc."""

    name: str
    thresholds: Thresholds
    source: GateSource = GateSource.PROMETHEUS
    query: str | None = None
    signal: PodSignal | None = None
    unit: str = ""
    weight: float = 1.0
    judge: Judge | None = None


@dataclass(frozen=True, slots=True)
class Phase:
    """A traffic step: ``weight`` percent to the canary, soaked for ``duration``."""

    name: str
    weight: int
    duration: timedelta
    overrides: Mapping[str, Mapping[str, float | None]] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Version:
    """One side of the release: its version label, Deployment and mesh subset."""

    version: str
    deployment: str
    subset: str


@dataclass(frozen=True, slots=True)
class Traffic:
    router: Router = Router.SIMULATED
    virtual_service: str | None = None
    route: str | None = None
    http_route: str | None = None
    replicas: int | None = None


@dataclass(frozen=True, slots=True)
class BasicAuth:
    username: str
    password_env: str | None = None
    password_file: str | None = None


@dataclass(frozen=True, slots=True)
class Metrics:
    """Where golden signals come from. Secrets are never in the plan: only where to find them."""

    provider: Provider = Provider.SIMULATED
    address: str | None = None
    timeout: timedelta | None = None
    bearer_token_env: str | None = None
    bearer_token_file: str | None = None
    basic_auth: BasicAuth | None = None
    ca_file: str | None = None
    insecure_skip_verify: bool = False
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


GateRow = tuple[str, Thresholds, str, float]


@dataclass(frozen=True, slots=True)
class Plan:
    """A validated CanaryPlan. Build it with ``canary_tui.core.planfile``; never half-valid."""

    name: str
    namespace: str
    service: str
    stable: Version
    canary: Version
    traffic: Traffic
    metrics: Metrics
    interval: timedelta
    failure_limit: int
    no_data_limit: int
    min_health_score: float
    promotion: Promotion
    phases: tuple[Phase, ...]
    gates: tuple[Gate, ...]
    source: str | None = None
    thresholds_by_phase: tuple[Mapping[str, Thresholds], ...] = ()
    checks: tuple[Check, ...] = ()
    notify: tuple[Notify, ...] = ()
    judges_by_phase: tuple[Mapping[str, Judge], ...] = ()  # the judge gates in each phase, overrides applied
    # metadata.namespace was written; else ``namespace`` is "default" until the cluster's context says
    # otherwise (--namespace, the plan, the context's, the in-cluster service account's, "default")
    namespace_given: bool = True
    _rows: tuple[tuple[GateRow, ...], ...] = field(default=(), init=False, repr=False, compare=False)

    def gate(self, name: str) -> Gate:
        for g in self.gates:
            if g.name == name:
                return g
        raise KeyError(name)

    def thresholds(self, phase_index: int) -> Mapping[str, Thresholds]:
        """Each gate's thresholds in that phase, overrides applied."""
        return self.thresholds_by_phase[phase_index]

    def rows(self, phase_index: int) -> tuple[GateRow, ...]:
        """``(name, thresholds, unit, weight)`` per gate in that phase: what one evaluation loops over."""
        return self.rows_by_phase[phase_index]

    @property
    def rows_by_phase(self) -> tuple[tuple[GateRow, ...], ...]:
        return self._rows

    def __post_init__(self) -> None:
        rows = tuple(
            tuple((g.name, table[g.name], g.unit, g.weight) for g in self.gates) for table in self.thresholds_by_phase
        )
        object.__setattr__(self, "_rows", rows)

    def judges(self, phase_index: int) -> Mapping[str, Judge]:
        """The judge gates in that phase (empty for a plan of threshold gates only)."""
        return self.judges_by_phase[phase_index] if self.judges_by_phase else _NO_JUDGES

    def render_query(self, gate: Gate, version: str) -> str:
        """The gate's PromQL with ``{{version}}``, ``{{namespace}}`` and ``{{service}}`` filled in."""
        assert gate.query is not None
        return self.render(gate.query, version)

    def render(self, promql: str, version: str) -> str:
        """Any of a gate's PromQL texts (query, errors, requests) with the placeholders filled in;
        ``{{interval}}`` is the plan's interval as a PromQL duration."""
        text = promql.replace("{{version}}", version).replace("{{namespace}}", self.namespace)
        text = text.replace("{{service}}", self.service)
        if "{{interval}}" in text:
            text = text.replace("{{interval}}", promql_duration(self.interval))
        return text


_NO_JUDGES: Mapping[str, Judge] = MappingProxyType({})


def promql_duration(d: timedelta) -> str:
    """A PromQL range: ``5m``, ``1h30m``, ``90s`` (whole seconds; at least 1s)."""
    total = max(1, int(d.total_seconds()))
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= size:
            out += f"{total // size}{unit}"
            total %= size
    return out


def apply_overrides(base: Thresholds, override: Mapping[str, float | None]) -> Thresholds:
    """Thresholds of a gate in a phase: the phase's ``gates:`` entry replaces the named levels."""
    values = {attr: getattr(base, attr) for attr in THRESHOLD_KEYS.values()}
    for key, value in override.items():
        values[THRESHOLD_KEYS[key]] = value
    return Thresholds(**values)
