"""What a report is made of: one release read back from its audit log (or state file), as plain data."""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# per-evaluation status codes, kept in a bytearray per gate (a day at 1 s is 86,400 of them)
PASS, WARN, FAIL, NODATA, SKIP, ABSENT = 0, 1, 2, 3, 4, 5
STATUS_CODE = {"pass": PASS, "warn": WARN, "fail": FAIL, "nodata": NODATA, "skip": SKIP}
STATUS_NAME = {v: k for k, v in STATUS_CODE.items()} | {ABSENT: "absent"}
# which status a downsampled bucket shows: the worst one in it
SEVERITY = {PASS: 0, SKIP: 0, ABSENT: 0, WARN: 1, NODATA: 2, FAIL: 3}
LEVELS = ("failAbove", "failBelow", "warnAbove", "warnBelow", "maxRatioToStable")
NAN = math.nan


def status_code(x: object) -> int:
    """A status from a log or state file as its code; anything unknown counts as no data."""
    return STATUS_CODE.get(x, NODATA) if isinstance(x, str) else NODATA


@dataclass
class GatePlan:
    """A gate as the plan defines it: its thresholds in each phase (overrides applied)."""

    name: str
    unit: str = ""
    weight: float = 1.0
    source: str = "prometheus"
    levels: dict[str, float] = field(default_factory=dict)
    by_phase: list[dict[str, float]] = field(default_factory=list)

    def levels_in(self, phase_index: int) -> dict[str, float]:
        if 0 <= phase_index < len(self.by_phase):
            return self.by_phase[phase_index]
        return self.levels


@dataclass
class PhasePlan:
    name: str
    weight: int
    duration: str


@dataclass
class PlanInfo:
    """The plan used, as far as the report can know it. ``origin`` says where it came from."""

    name: str
    origin: str
    document: dict[str, Any] | None = None
    namespace: str = ""
    service: str = ""
    stable: str = ""
    canary: str = ""
    interval: str = ""
    failure_limit: int | None = None
    no_data_limit: int | None = None
    min_health_score: float | None = None
    promotion: str = ""
    phases: list[PhasePlan] = field(default_factory=list)
    gates: list[GatePlan] = field(default_factory=list)

    def gate(self, name: str) -> GatePlan | None:
        for g in self.gates:
            if g.name == name:
                return g
        return None


@dataclass
class GateSeries:
    """One gate over every evaluation of the run, column-wise: NaN where there was no value."""

    name: str
    status: bytearray = field(default_factory=bytearray)
    canary: array[float] = field(default_factory=lambda: array("d"))
    stable: array[float] = field(default_factory=lambda: array("d"))
    judged: list[tuple[int, float, float, float]] = field(default_factory=list)  # counts: (index, ratio, low, high)

    def pad(self, n: int) -> None:
        """Fill up to ``n`` evaluations with 'absent' (a gate that appeared later, or vanished)."""
        missing = n - len(self.status)
        if missing > 0:
            self.status.extend(bytes([ABSENT]) * missing)
            self.canary.extend([NAN] * missing)
            self.stable.extend([NAN] * missing)


@dataclass
class LogEvent:
    """A contract event other than an evaluation: phase, action, decision, error, result."""

    kind: str
    at: datetime | None
    data: dict[str, Any]


@dataclass
class Release:
    """One run of one plan, read back: everything a report shows."""

    path: str
    kind: str  # "log" or "state"
    run: str | None
    plan: PlanInfo | None
    start: dict[str, Any] = field(default_factory=dict)
    runs: list[str] = field(default_factory=list)
    times: array[float] = field(default_factory=lambda: array("d"))  # evaluation times, epoch seconds
    phase_of: array[int] = field(default_factory=lambda: array("h"))  # phase index per evaluation, -1 unknown
    health: array[float] = field(default_factory=lambda: array("d"))
    gates: dict[str, GateSeries] = field(default_factory=dict)
    checks: dict[str, bytearray] = field(default_factory=dict)
    check_last: dict[str, dict[str, Any]] = field(default_factory=dict)  # each check's last result that ran
    events: list[LogEvent] = field(default_factory=list)
    result: dict[str, Any] | None = None
    last: dict[str, Any] | None = None  # the last evaluation as the log (or state) has it
    pods: list[dict[str, Any]] | None = None
    notes: list[str] = field(default_factory=list)  # what the report could not know, in words
    skipped_lines: int = 0
    history: bool = True  # False: a state file, no evaluation history

    @property
    def evaluations(self) -> int:
        return len(self.times)

    def of_kind(self, *kinds: str) -> list[LogEvent]:
        return [e for e in self.events if e.kind in kinds]

    def span(self) -> tuple[float, float] | None:
        """The release's time span (epoch seconds): first phase or evaluation to the result or last event."""
        stamps = [e.at.timestamp() for e in self.events if e.at is not None]
        if self.times:
            stamps += [self.times[0], self.times[-1]]
        if not stamps:
            return None
        return min(stamps), max(stamps)
