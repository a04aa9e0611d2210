"""A state document read again and again: the rule's state, the pods, and the events not shown yet.

Pure (no I/O). The document keeps the last contract events (``history``, evaluations left out) and
the last evaluations in a compact form (``recent``); each time the document changes, ``DocumentFeed``
turns what is new into the same ``core.events`` objects a controller emits, in the order the
controller emitted them, so the control room's model takes them as it takes a controller's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..core.checks import CheckResult
from ..core.codec import json_number
from ..core.durations import parse_duration, time_or_none
from ..core.events import ActionTaken, Decided, Evaluated, Event, Finished, Notice, PhaseEntered
from ..core.gates import GateResult, JudgeStats, Status
from ..core.model import Plan
from ..core.pods import Pod
from ..core.rule import ActionKind, Outcome, State
from ..sanitize import clean

TEXT_LIMIT = 400


def plan_from_document(doc: Mapping[str, Any], where: str) -> Plan | None:
    """The plan the driver runs (``planDocument``), validated as a plan file is; None when the
    document has none (written by an older canary-tui). InputError when it is not a valid plan."""
    from ..core.planfile import parse_plan
    from ..core.source import PLAN, parse_json

    data = doc.get("planDocument")
    if not isinstance(data, dict):
        return None
    # through the bounded loader, as a plan file: at most 1 MB, 64 levels deep
    try:
        text = json.dumps(data)
    except (RecursionError, ValueError):  # a document not read through the loader (tests, other callers)
        from ..errors import InputError, Problem

        raise InputError([Problem(f"{where} (planDocument)", None, None, "not a plan document")]) from None
    return parse_plan(parse_json(text, f"{where} (planDocument)", PLAN))


@dataclass(frozen=True)
class Taken:
    """What one document says: the state at the driver's time ``now``, and the events new since the
    previous document."""

    state: State
    now: datetime
    events: tuple[Event, ...]
    pods: Sequence[Pod] | None
    applied_weight: int | None
    pending_write: str | None
    new_release: bool


class DocumentFeed:
    """Feed it each document read (``take``); it remembers what it already gave out."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._history: list[str] = []
        self._last_eval: datetime | None = None
        self._started: datetime | None = None
        self._pods_text: str | None = None
        self._pods: Sequence[Pod] | None = None

    def take(self, doc: Mapping[str, Any], state: State) -> Taken:
        """``state`` is ``document_state(doc, plan)`` (the caller reports a ValueError)."""
        new_release = self._started is not None and state.started_at != self._started
        if new_release:  # the driver began another release over the old one: start over
            self._history, self._last_eval = [], None
        self._started = state.started_at
        events = self._new_history(doc) + self._new_evaluations(doc, state)
        events.sort(key=_order)
        now = time_or_none(doc.get("updatedAt")) or (state.last.at if state.last else state.started_at)
        applied = doc.get("appliedWeight")
        pending = doc.get("pendingWrite")
        return Taken(
            state=state,
            now=now,
            events=tuple(events),
            pods=self._pods_of(doc.get("pods")),
            applied_weight=applied if isinstance(applied, int) and not isinstance(applied, bool) else None,
            pending_write=clean(pending, TEXT_LIMIT) if isinstance(pending, str) and pending else None,
            new_release=new_release,
        )

    # ------------------------------------------------------------------ history (phase, action, ...)

    def _new_history(self, doc: Mapping[str, Any]) -> list[Event]:
        raw = doc.get("history")
        entries = [e for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []
        texts = [json.dumps(e, sort_keys=True) for e in entries]
        fresh = _after_overlap(self._history, texts)
        self._history = texts
        out = []
        for text in fresh:
            event = self.event_from_json(json.loads(text))
            if event is not None:
                out.append(event)
        return out

    def event_from_json(self, d: Mapping[str, Any]) -> Event | None:
        """A contract event (one line of ``history``) as the controller's event; None when malformed
        or not of this plan. Phase names are the plan's (a document's own text is never trusted
        where the screen shows a name)."""
        at = time_or_none(d.get("at"))
        if at is None:
            return None
        kind = d.get("type")
        try:
            if kind == "phase":
                index = int(d["index"])
                if not 0 <= index < len(self.plan.phases):
                    return None
                phase = self.plan.phases[index]
                return PhaseEntered(at, phase.name, index, phase.weight)
            if kind == "action":
                action = ActionKind(str(d["action"])).value
                return ActionTaken(at, action, _text(d.get("actor")), bool(d.get("accepted")), _text(d.get("reason")))
            if kind == "decision":
                decision = str(d["decision"])
                if decision not in ("promote", "rollback"):
                    return None
                return Decided(at, decision, self._phase(d.get("phase")), _text(d.get("reason")))
            if kind == "result":
                outcome = Outcome(str(d["outcome"])).value
                elapsed = _duration(d.get("elapsed"))
                return Finished(outcome, self._phase(d.get("phase")), at, elapsed, _text(d.get("reason")))
            if kind == "error":
                return Notice(at, _text(d.get("message")))
        except (KeyError, TypeError, ValueError):
            return None
        return None

    def _phase(self, name: object) -> str:
        names = [p.name for p in self.plan.phases]
        return str(name) if name in names else "?"

    # ------------------------------------------------------------------ evaluations

    def _new_evaluations(self, doc: Mapping[str, Any], state: State) -> list[Event]:
        """The evaluations after the last one given out: the compact ``recent`` ones, the last one
        whole (``state.last``: counts and checks)."""
        out: list[Evaluated] = []
        recent = doc.get("recent")
        if isinstance(recent, dict) and recent.get("gates") == [g.name for g in self.plan.gates]:
            raw = recent.get("checks")
            checks: list[Any] = raw if isinstance(raw, list) else []
            for item in recent.get("evaluations") or []:
                e = self._compact(item, checks)
                if e is not None:
                    out.append(e)
        last = state.last
        if last is not None:
            out = [e for e in out if e.at < last.at] + [last]
        fresh = [e for e in out if self._last_eval is None or e.at > self._last_eval]
        if fresh:
            self._last_eval = fresh[-1].at
        return list(fresh)

    def _compact(self, item: Any, check_names: list[Any]) -> Evaluated | None:
        if not isinstance(item, dict):
            return None
        at = time_or_none(item.get("at"))
        gates = item.get("gates")
        if at is None or not isinstance(gates, list) or len(gates) != len(self.plan.gates):
            return None
        try:
            index = int(item.get("phaseIndex", 0))
            if not 0 <= index < len(self.plan.phases):
                return None
            results = []
            for gate, g in zip(self.plan.gates, gates, strict=True):
                status = Status(g[0])
                reason = _text(g[3]) if len(g) > 3 else ""
                stats = JudgeStats(*(json_number(v) for v in g[4][:3])) if len(g) > 4 else None  # counts judge
                results.append(GateResult(gate.name, status, json_number(g[1]), json_number(g[2]), reason, stats=stats))
            checks = []
            for name, c in zip(check_names, item.get("checks") or [], strict=False):
                if name in {k.name for k in self.plan.checks}:
                    checks.append(CheckResult(str(name), Status(c[0]), _text(c[1]) if len(c) > 1 else ""))
            health = float(item.get("healthScore", 0.0))
        except (IndexError, TypeError, ValueError):
            return None
        phase = self.plan.phases[index].name
        return Evaluated(at, phase, health, tuple(results), index, tuple(checks))

    # ------------------------------------------------------------------ pods

    def _pods_of(self, raw: Any) -> Sequence[Pod] | None:
        """The document's pods (the same object while they do not change: the table redraws less)."""
        if not isinstance(raw, list):
            return None
        text = json.dumps(raw, sort_keys=True)
        if text != self._pods_text:
            self._pods_text = text
            self._pods = [p for p in map(pod_from_dict, raw) if p is not None]
        return self._pods


def pod_from_dict(d: Any) -> Pod | None:
    if not isinstance(d, dict):
        return None
    try:
        age = d.get("ageSeconds")
        memory = d.get("memoryBytes")
        cpu = d.get("cpu")
        return Pod(
            name=clean(d.get("name") or "?", 120),
            version=clean(d.get("version") or "?", 40),
            phase=clean(d.get("phase") or "Unknown", 40),
            ready=bool(d.get("ready")),
            restarts=int(d.get("restarts") or 0),
            cpu=float(cpu) if isinstance(cpu, int | float) else None,
            memory_bytes=int(memory) if isinstance(memory, int | float) else None,
            age=timedelta(seconds=int(age)) if isinstance(age, int | float) else None,
            container=clean(d["container"], 80) if d.get("container") else None,
        )
    except (TypeError, ValueError):
        return None


def _after_overlap(before: list[str], now: list[str]) -> list[str]:
    """The entries of ``now`` that were not in ``before``: the history is appended at its end and cut
    at its start, so the longest tail of ``before`` that starts ``now`` is what was seen."""
    if not before:
        return now
    for k in range(min(len(before), len(now)), 0, -1):
        if before[-k:] == now[:k]:
            return now[k:]
    return now


_RANK = {ActionTaken: 0, Evaluated: 1, Decided: 2, PhaseEntered: 3, Finished: 4, Notice: 5}


def _order(e: Event) -> tuple[datetime, int]:
    """The controller's order at one instant: actions, the evaluation, its decision, the phase it
    entered, the result; phase 0 is entered before the first evaluation."""
    if isinstance(e, PhaseEntered) and e.index == 0:
        return e.at, -1
    return e.at, _RANK[type(e)]


def _duration(text: Any) -> timedelta:
    try:
        return parse_duration(str(text))
    except ValueError:
        return timedelta(0)


def _text(x: Any) -> str:
    return clean(x, TEXT_LIMIT) if x else ""
