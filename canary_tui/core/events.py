"""The events a run emits (contract section 4, JSON Lines): phase, evaluation, action, decision, result."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .checks import CheckResult
from .durations import format_duration, format_time
from .gates import GateResult, Status


def number(x: float | None) -> float | str | None:
    """JSON has no NaN or infinity: NaN is null (no data), infinities are ``"+Inf"``/``"-Inf"``."""
    if x is None or math.isnan(x):
        return None
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return x


@dataclass(frozen=True, slots=True)
class PhaseEntered:
    at: datetime
    phase: str
    index: int
    weight: int

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "phase",
            "at": format_time(self.at),
            "phase": self.phase,
            "index": self.index,
            "weight": self.weight,
        }


@dataclass(frozen=True, slots=True)
class Evaluated:
    """One evaluation: the gate results and the health score they give. Also kept as State.last."""

    at: datetime
    phase: str
    health_score: float
    results: tuple[GateResult, ...]
    phase_index: int = 0
    checks: tuple[CheckResult, ...] = ()

    def result(self, name: str) -> GateResult | None:
        for r in self.results:
            if r.name == name:
                return r
        return None

    @property
    def any_fail(self) -> bool:
        """A gate or a check in ``fail``: an operator promote after this is refused."""
        return any(r.status is Status.FAIL for r in self.results) or any(c.status is Status.FAIL for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        gates: dict[str, Any] = {}
        for r in self.results:
            g: dict[str, Any] = {"status": r.status.value, "canary": number(r.canary), "stable": number(r.stable)}
            if r.stats is not None:
                g.update(r.stats.to_json())
            if r.status is not Status.PASS:
                g["reason"] = r.reason
            if r.warnings:
                g["warnings"] = list(r.warnings)
            gates[r.name] = g
        out = {
            "type": "evaluation",
            "at": format_time(self.at),
            "phase": self.phase,
            "healthScore": self.health_score,
            "gates": gates,
        }
        if self.checks:
            out["checks"] = {c.name: _check_json(c) for c in self.checks}
        return out


@dataclass(frozen=True, slots=True)
class ActionTaken:
    at: datetime
    action: str
    actor: str
    accepted: bool
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "action",
            "at": format_time(self.at),
            "action": self.action,
            "actor": self.actor,
            "accepted": self.accepted,
        }
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True, slots=True)
class Decided:
    at: datetime
    decision: str
    phase: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "decision",
            "at": format_time(self.at),
            "decision": self.decision,
            "phase": self.phase,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Finished:
    outcome: str
    phase: str
    at: datetime
    elapsed: timedelta
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "result",
            "outcome": self.outcome,
            "phase": self.phase,
            "at": format_time(self.at),
            "elapsed": format_duration(self.elapsed),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Notice:
    """An operational problem (a cluster write refused and being retried, metrics unavailable). An
    extension of the contract's five line types: ``{"type":"error","at":...,"message":...}``.
    ``repeat``: the same problem as at the last evaluation, said again with its new count for the
    screen and the logs; notifications (webhooks, Kubernetes Events) skip it."""

    at: datetime
    message: str
    repeat: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"type": "error", "at": format_time(self.at), "message": self.message}


Event = PhaseEntered | Evaluated | ActionTaken | Decided | Finished | Notice

_encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def to_line(event: Event, extra: dict[str, Any] | None = None) -> str:
    """One JSON Lines line (no newline), compact like the contract's examples. ``extra`` keys come
    last (the audit log's ``run``). The last event's line is remembered: a run writes each event to
    stdout and to the audit log, and encoding an evaluation twice was a third of a long replay."""
    global _last
    last = _last
    if last[0] is event:
        line = last[1]
    else:
        line = _evaluation_line(event) if isinstance(event, Evaluated) else _encoder.encode(event.to_json())
        _last = (event, line)
    if extra:
        return line[:-1] + "," + _encoder.encode(extra)[1:-1] + "}"
    return line


_last: tuple[object, str] = (None, "")  # (event, its line): the event is held, so its id is not reused


_PASS = Status.PASS
_SPECIAL_REPR = {"nan": "null", "inf": '"+Inf"', "-inf": '"-Inf"'}


def _json_number(x: float | None) -> str:
    if x is None:
        return "null"
    text = repr(x)
    return _SPECIAL_REPR.get(text, text)


_MMSS = [f"{m:02d}:{s:02d}Z" for m in range(60) for s in range(60)]
_HOURS: dict[tuple[int, int, int, int], str] = {}
_HEADS: dict[tuple[str, str], str] = {}


def _time_text(at: datetime) -> str:
    """``format_time(at)`` for the common case (UTC, whole seconds) from a table: 4x cheaper."""
    if at.microsecond or at.tzinfo is not UTC:
        return format_time(at)
    key = (at.year, at.month, at.day, at.hour)
    head = _HOURS.get(key)
    if head is None:
        if len(_HOURS) > 4096:
            _HOURS.clear()
        head = _HOURS[key] = format_time(at.replace(minute=0, second=0))[:-6]  # "2026-01-01T05:"
    return head + _MMSS[at.minute * 60 + at.second]


def _evaluation_line(e: Evaluated) -> str:
    """The same text ``_encoder.encode(e.to_json())`` gives, built directly: evaluations are most of
    a long run's lines (a day at 1 s is 86,400 of them). Gate, phase and status names need no
    escaping (the plan restricts them); reasons go through the JSON encoder. A finite float is
    written as ``repr`` writes it, which is what the encoder does."""
    line = _all_pass_line(e)
    if line is not None:
        return line
    gates = []
    heads = _HEADS
    for r in e.results:
        name, status, canary, stable = r[0], r[1], r[2], r[3]
        head = heads.get((name, status))
        if head is None:
            head = heads[(name, status)] = f'"{name}":{{"status":"{status}","canary":'
        if canary.__class__ is float is stable.__class__ and canary - canary == stable - stable == 0.0:  # finite
            text = f'{head}{canary!r},"stable":{stable!r}'
        else:
            text = f'{head}{_json_number(canary)},"stable":{_json_number(stable)}'
        if r[8] is not None:  # a judge gate: ratio, interval, evidence (counts) or effect, p (mann-whitney)
            text += "," + _encoder.encode(r[8].to_json())[1:-1]
        if status is not _PASS:
            text += ',"reason":' + _encoder.encode(r.reason)
        if r[7]:
            text += ',"warnings":' + _encoder.encode(list(r[7]))
        gates.append(text + "}")
    line = (
        f'{{"type":"evaluation","at":"{_time_text(e.at)}","phase":"{e.phase}",'
        f'"healthScore":{_json_number(e.health_score)},"gates":{{{",".join(gates)}}}'
    )
    if e.checks:
        line += ',"checks":' + _encoder.encode({c.name: _check_json(c) for c in e.checks})
    return line + "}"


_ALL_PASS: dict[tuple[str, ...], str] = {}  # gate names -> the line of an evaluation where all of them pass


def _all_pass_line(e: Evaluated) -> str | None:
    """The commonest line (every gate ``pass`` with finite values, no judge, no warnings, no checks)
    from one ``%`` template per set of gates: the text ``_evaluation_line`` builds gate by gate.
    None for any other evaluation."""
    score = e.health_score
    if e.checks or score.__class__ is not float or score - score != 0.0:
        return None
    names = []
    args: list[object] = [_time_text(e.at), e.phase, score]
    append = args.append
    for r in e.results:
        canary, stable = r[2], r[3]
        if r[1] is not _PASS or r[7] or r[8] is not None or canary.__class__ is not float or canary - canary != 0.0:
            return None  # not a pass, warnings, a judge's figures, an int, NaN or infinite
        append(canary)
        if stable is None:
            names.append("\0" + r[0])  # a gate without a stable series ("\0" is in no gate name)
        elif stable.__class__ is float and stable - stable == 0.0:
            names.append(r[0])
            append(stable)
        else:
            return None
    key = tuple(names)
    template = _ALL_PASS.get(key)
    if template is None:
        if len(_ALL_PASS) > 64:
            _ALL_PASS.clear()
        gates = ",".join(
            f'"{n.replace("%", "%%")}":{{"status":"pass","canary":%r,"stable":%r}}'
            if n[0] != "\0"
            else f'"{n[1:].replace("%", "%%")}":{{"status":"pass","canary":%r,"stable":null}}'
            for n in key
        )
        template = _ALL_PASS[key] = (
            '{"type":"evaluation","at":"%s","phase":"%s","healthScore":%r,"gates":{' + gates + "}}"
        )
    return template % tuple(args)


def _check_json(c: CheckResult) -> dict[str, Any]:
    out: dict[str, Any] = {"status": c.status.value}
    if c.reason:
        out["reason"] = c.reason
    return out
