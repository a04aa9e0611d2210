"""The MetricFixture (contract section 3): recorded samples, pods and actions that replay reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path as FsPath
from types import MappingProxyType
from typing import Any

from ..errors import InputError, Problem, WrongKind
from .countsfixture import CountsSeries, read_counts_series
from .durations import parse_time
from .model import CountsJudge, GateSource, Plan
from .planfile import API_VERSION, load_plan, parse_plan, refuse_other_kind
from .pods import Pod
from .reader import Reader
from .rule import ActionKind, Outcome
from .samples import SampleArray
from .source import FIXTURE, Document, Path, as_sample, load_document

Samples = Sequence[float | None]
"""A series' samples: a SampleArray (8 bytes a sample) when read from a file; None = no data."""


@dataclass(frozen=True)
class Series:
    """One gate's samples; NaN and None both mean "no data at that sample"."""

    canary: Samples
    stable: Samples | None = None


@dataclass(frozen=True)
class PodSnapshot:
    at: timedelta
    items: tuple[Pod, ...]


@dataclass(frozen=True)
class FixtureAction:
    at: timedelta
    action: ActionKind
    actor: str


@dataclass(frozen=True)
class Expect:
    outcome: Outcome
    phase: str | None = None
    at: timedelta | None = None


@dataclass(frozen=True)
class Fixture:
    name: str
    description: str
    plan: Plan
    start: datetime
    step: timedelta
    series: Mapping[str, Series | CountsSeries]  # CountsSeries: a counts gate's cumulative counts
    pods: tuple[PodSnapshot, ...] = ()
    actions: tuple[FixtureAction, ...] = ()
    expect: Expect | None = None
    source: str | None = None
    plan_ref: str | None = field(default=None)
    checks: Mapping[str, list[bool | None]] = field(default_factory=dict)

    @property
    def samples(self) -> int:
        """Length of the longest series (check results included)."""
        lengths = [len(s.canary) for s in self.series.values()]
        lengths += [len(s.stable) for s in self.series.values() if s.stable is not None]
        lengths += [len(c) for c in self.checks.values()]
        return max(lengths, default=0)

    @property
    def end(self) -> datetime:
        """The last sample's time; evaluations run while t_k <= end."""
        n = self.samples
        if n:
            return self.start + (n - 1) * self.step
        last_pods = max((p.at for p in self.pods), default=timedelta(0))
        return self.start + last_pods


def load_fixture(path: str | FsPath) -> Fixture:
    """Read and validate a fixture (YAML or JSON); InputError names file, key path and line."""
    doc = load_document(path, FIXTURE)
    refuse_other_kind(doc, "MetricFixture")
    return parse_fixture(doc)


def parse_fixture(doc: Document) -> Fixture:
    r = Reader(doc)
    fixture = _build(r, doc)
    if r.problems or fixture is None:
        raise InputError(r.problems)
    return fixture


def _build(r: Reader, doc: Document) -> Fixture | None:
    keys = [
        "apiVersion",
        "kind",
        "metadata",
        "plan",
        "planRef",
        "start",
        "step",
        "series",
        "checks",
        "pods",
        "actions",
        "expect",
    ]
    top = r.mapping(doc.data, (), keys, ["apiVersion", "kind", "metadata", "start", "step", "series"])
    if top is None:
        return None
    api = r.get(top, (), "apiVersion", "str")
    if api is not None and api != API_VERSION:
        r.problem(("apiVersion",), f"want {API_VERSION!r}, got {api!r}")
    kind = r.get(top, (), "kind", "str")
    if kind is not None and kind != "MetricFixture":
        r.problem(("kind",), f"want 'MetricFixture', got {kind!r}")
    meta = r.mapping(top.get("metadata", {}), ("metadata",), ["name", "description"], ["name"]) or {}
    name = r.get(meta, ("metadata",), "name", "str") or ""
    description = r.get(meta, ("metadata",), "description", "str", "") or ""

    plan = _plan(r, doc, top)
    start = None
    start_text = top.get("start")
    if start_text is not None:
        if not isinstance(start_text, str):
            r.problem(("start",), 'want an RFC 3339 time in quotes, e.g. "2026-02-19T05:33:00Z"')
        else:
            try:
                start = parse_time(start_text)
            except ValueError as e:
                r.problem(("start",), str(e))
    step = r.duration(top, (), "step", None)
    if step is not None and step <= timedelta(0):
        r.problem(("step",), "must be greater than 0s")
        step = None
    series = _series(r, top.get("series"), plan)
    checks = _checks(r, top.get("checks", {}), plan)
    pods = _pods(r, top.get("pods", []))
    actions = _actions(r, top.get("actions", []))
    expect = _expect(r, top.get("expect"), plan)
    if r.problems or plan is None or start is None or step is None or series is None:
        return None
    _fits_calendar(r, start, step, plan, series, checks, pods, actions)
    if r.problems:
        return None
    return Fixture(
        name=name,
        description=description,
        plan=plan,
        start=start,
        step=step,
        series=MappingProxyType(series),
        pods=pods,
        actions=actions,
        expect=expect,
        source=doc.file,
        plan_ref=top.get("planRef"),
        checks=MappingProxyType(checks),
    )


def _plan(r: Reader, doc: Document, top: dict[str, Any]) -> Plan | None:
    if ("plan" in top) == ("planRef" in top):
        r.problem((), "give exactly one of plan (inline) or planRef (a path)")
        return None
    if "plan" in top:
        try:
            return parse_plan(doc, ("plan",), top["plan"])
        except InputError as e:
            r.problems.extend(e.problems)
            return None
    ref = r.get(top, (), "planRef", "str")
    if ref is None:
        return None
    path = FsPath(doc.file).parent / ref
    if not path.is_file():
        r.problem(("planRef",), f"no such file {str(path)!r}")
        return None
    line = doc.line(("planRef",))
    try:
        same = path.samefile(doc.file)
    except OSError:
        same = False
    if same:
        raise InputError([Problem(doc.file, "planRef", line, f"planRef cycle: {doc.file} -> {path}")])
    try:
        return load_plan(path)
    except WrongKind as e:
        what = f"planRef {doc.file} -> {path}: that file is {e.found}, not a CanaryPlan"
        raise InputError([Problem(doc.file, "planRef", line, what)]) from None
    except InputError as e:
        r.problems.extend(e.problems)
        return None


def _fits_calendar(
    r: Reader,
    start: datetime,
    step: timedelta,
    plan: Plan,
    series: Mapping[str, Any],
    checks: Mapping[str, list[bool | None]],
    pods: tuple[PodSnapshot, ...],
    actions: tuple[FixtureAction, ...],
) -> None:
    """Every time the replay computes (the last sample, snapshot or action, and an evaluation or two
    past them) must be a date: Python's calendar ends with the year 9999."""
    lengths = [len(c) for c in checks.values()]
    for s in series.values():
        lengths += [len(x) for x in vars(s).values() if isinstance(x, Sequence) and not isinstance(x, str)]
    latest = max([(max(lengths, default=1) - 1) * step] + [x.at for x in pods] + [a.at for a in actions])
    try:
        start + latest + 2 * plan.interval
    except OverflowError:
        r.problem(("step",), "the fixture would end after the year 9999: use a shorter step or fewer samples")


def _samples(r: Reader, value: Any, p: Path) -> Samples | None:
    if isinstance(value, SampleArray):
        return value  # read straight from the file's bytes
    if not isinstance(value, list):
        r.problem(p, "want a list of numbers (null for no data)")
        return None
    out: list[float | None] = []
    for i, x in enumerate(value):
        try:
            out.append(as_sample(x))
        except ValueError as e:
            r.problem((*p, i), str(e))
            return None
    return SampleArray.of(out)


def _series(r: Reader, value: Any, plan: Plan | None) -> dict[str, Series | CountsSeries] | None:
    m = r.get({"series": value}, (), "series", "mapping")
    if m is None:
        return None
    out: dict[str, Series | CountsSeries] = {}
    gates = {g.name: g for g in plan.gates} if plan else None
    for gate_name, entry in m.items():
        p: Path = ("series", gate_name)
        if gates is not None:
            gate = gates.get(gate_name)
            if gate is None:
                r.problem(p, f"no gate named {gate_name!r} in the plan")
                continue
            if gate.source is GateSource.PODS:
                r.problem(p, f"{gate_name!r} is a pod gate: it reads the fixture's pods, not a series")
                continue
            if isinstance(gate.judge, CountsJudge):  # cumulative counts (contract section 5)
                counts = read_counts_series(r, entry, p)
                if counts is not None:
                    out[gate_name] = counts
                continue
        s = r.mapping(entry, p, ["canary", "stable"], ["canary"])
        if s is None or "canary" not in s:
            continue
        canary = _samples(r, s["canary"], (*p, "canary"))
        stable = _samples(r, s["stable"], (*p, "stable")) if "stable" in s else None
        if canary is not None:
            out[gate_name] = Series(canary, stable)
    if plan is not None:
        for gate in plan.gates:
            if gate.source is not GateSource.PROMETHEUS:
                continue
            if gate.name not in m:
                r.problem(("series",), f"no series for gate {gate.name!r} (use null samples for no data)")
            elif any(t[gate.name].relative for t in plan.thresholds_by_phase) and "stable" not in (
                m.get(gate.name) or {}
            ):
                r.problem(("series", gate.name), "a relative gate (maxRatioToStable) needs a stable series")
    return out


_CHECK_SAMPLES: dict[Any, bool | None] = {"pass": True, "fail": False, True: True, False: False, None: None}


def _checks(r: Reader, value: Any, plan: Plan | None) -> dict[str, list[bool | None]]:
    """``checks: {smoke: [pass, pass, fail, null]}``: recorded results of the plan's phase checks."""
    m = r.get({"checks": value}, (), "checks", "mapping", {})
    names = {c.name for c in plan.checks} if plan else None
    out: dict[str, list[bool | None]] = {}
    for name, samples in m.items():
        p: Path = ("checks", name)
        if names is not None and name not in names:
            r.problem(p, f"no check named {name!r} in the plan's spec.checks")
            continue
        if not isinstance(samples, list):
            r.problem(p, "want a list of pass, fail or null")
            continue
        row: list[bool | None] = []
        for i, x in enumerate(samples):
            if (isinstance(x, (str, bool)) or x is None) and x in _CHECK_SAMPLES:
                row.append(_CHECK_SAMPLES[x])
                continue
            r.problem((*p, i), f"want pass, fail or null, got {x!r}")
            break
        out[name] = row
    return out


def _pods(r: Reader, value: Any) -> tuple[PodSnapshot, ...]:
    items = r.get({"pods": value}, (), "pods", "list", [])
    snaps = []
    for i, snap in enumerate(items):
        p: Path = ("pods", i)
        m = r.mapping(snap, p, ["at", "items"], ["at", "items"])
        if m is None:
            continue
        at = r.duration(m, p, "at", None)
        pods = []
        for j, item in enumerate(r.get(m, p, "items", "list", [])):
            pod = _pod(r, item, (*p, "items", j))
            if pod is not None:
                pods.append(pod)
        if at is not None:
            snaps.append(PodSnapshot(at, tuple(pods)))
    return tuple(sorted(snaps, key=lambda s: s.at))


def _pod(r: Reader, value: Any, p: Path) -> Pod | None:
    keys = ["name", "version", "phase", "ready", "restarts", "cpu", "memoryBytes", "age"]
    m = r.mapping(value, p, keys, ["name", "version"])
    if m is None:
        return None
    name = r.get(m, p, "name", "str")
    version = r.get(m, p, "version", "str")
    restarts = r.get(m, p, "restarts", "int", 0)
    if restarts is not None and restarts < 0:
        r.problem((*p, "restarts"), "must be 0 or more")
    memory = r.get(m, p, "memoryBytes", "int")
    if name is None or version is None:
        return None
    return Pod(
        name=name,
        version=str(version),
        phase=r.get(m, p, "phase", "str", "Running") or "Running",
        ready=bool(r.get(m, p, "ready", "bool", True)),
        restarts=int(restarts or 0),
        cpu=r.get(m, p, "cpu", "number"),
        memory_bytes=memory,
        age=r.duration(m, p, "age", None),
    )


def _actions(r: Reader, value: Any) -> tuple[FixtureAction, ...]:
    items = r.get({"actions": value}, (), "actions", "list", [])
    out = []
    kinds = [k.value for k in ActionKind]
    for i, item in enumerate(items):
        p: Path = ("actions", i)
        m = r.mapping(item, p, ["at", "action", "actor"], ["at", "action"])
        if m is None:
            continue
        at = r.duration(m, p, "at", None)
        action = r.get(m, p, "action", "str")
        if action is not None and action not in kinds:
            r.problem((*p, "action"), f"want one of {', '.join(kinds)}, got {action!r}")
            continue
        actor = r.get(m, p, "actor", "str", "fixture") or "fixture"
        if at is not None and action is not None:
            out.append(FixtureAction(at, ActionKind(action), actor))
    return tuple(sorted(out, key=lambda a: a.at))


def _expect(r: Reader, value: Any, plan: Plan | None) -> Expect | None:
    if value is None:
        return None
    p: Path = ("expect",)
    m = r.mapping(value, p, ["outcome", "phase", "at"], ["outcome"])
    if m is None:
        return None
    outcomes = [o.value for o in Outcome]
    outcome = r.get(m, p, "outcome", "str")
    if outcome is not None and outcome not in outcomes:
        r.problem((*p, "outcome"), f"want one of {', '.join(outcomes)}, got {outcome!r}")
        return None
    phase = r.get(m, p, "phase", "str")
    if phase is not None and plan is not None and phase not in [ph.name for ph in plan.phases]:
        r.problem((*p, "phase"), f"no phase named {phase!r} in the plan")
    at = r.duration(m, p, "at", None)
    if outcome is None:
        return None
    return Expect(Outcome(outcome), phase, at)
