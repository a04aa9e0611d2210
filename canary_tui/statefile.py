"""The state document a driver keeps (for resumes, watchers and reports) and its local file.

One JSON document, the same in the cluster's ConfigMap and in ``--state-file PATH``: the plan's
outline, the rule's state (``core.codec``), the weights, the pending write, the pods, and the
recent history (the contract's JSON objects, evaluations left out). For watchers: the whole plan
(``planDocument``), the last evaluations in a compact form (``recent``, so a watcher that starts
late can draw sparklines) and the writing process (``process``, so a watcher on the same machine
sees at once that it is gone). The file is replaced atomically (write a temporary file, fsync,
rename), so a reader never sees half a document.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
from collections import deque
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .core.codec import plan_to_dict, state_from_dict, state_to_dict
from .core.durations import format_duration, format_time
from .core.events import Evaluated, Event, number
from .core.model import Plan
from .core.pods import Pod
from .core.rule import State

if TYPE_CHECKING:
    from .controller import Snapshot

API_VERSION = "canary-tui/v1alpha1"
KIND = "CanaryState"
HISTORY = 200
RECENT = 60  # evaluations kept in ``recent``: about 300 bytes each for 8 gates (docs/performance.md)
BOOT_ID = "/proc/sys/kernel/random/boot_id"


def plan_outline(plan: Plan) -> dict[str, Any]:
    """What a reader needs to know about the plan without the plan file."""
    t = plan.traffic
    target = (
        t.virtual_service
        or t.http_route
        or (f"{plan.stable.deployment},{plan.canary.deployment}" if t.router.value == "replicas" else None)
    )
    return {
        "name": plan.name,
        "namespace": plan.namespace,
        "service": plan.service,
        "stable": {"version": plan.stable.version, "deployment": plan.stable.deployment, "subset": plan.stable.subset},
        "canary": {"version": plan.canary.version, "deployment": plan.canary.deployment, "subset": plan.canary.subset},
        "router": t.router.value,
        "target": target,
        "interval": format_duration(plan.interval),
        "phases": [{"name": p.name, "weight": p.weight, "duration": format_duration(p.duration)} for p in plan.phases],
    }


def pod_to_dict(p: Pod) -> dict[str, Any]:
    return {
        "name": p.name,
        "version": p.version,
        "phase": p.phase,
        "ready": p.ready,
        "restarts": p.restarts,
        "cpu": p.cpu,
        "memoryBytes": p.memory_bytes,
        "ageSeconds": None if p.age is None else int(p.age.total_seconds()),
        "container": p.container,
    }


def _short(x: float | None) -> float | str | None:
    """A value for the ``recent`` sparklines: four significant digits are plenty for drawing."""
    v = number(x)
    return float(f"{v:.4g}") if isinstance(v, float) else v


def compact_evaluation(e: Evaluated) -> dict[str, Any]:
    """One evaluation in ``recent``: gates as ``[status, canary, stable]`` (plus the reason when not
    ``pass``) in the plan's order, checks as ``[status]`` (plus the reason). A counts judge's gate
    also keeps its estimate and confidence sequence, for the watcher's chart of them:
    ``[status, canary, stable, reason or "", [ratio, low, high]]``."""
    gates = []
    for r in e.results:
        gate: list[Any] = [r.status.value, _short(r.canary), _short(r.stable)]
        s = r.stats
        if s is not None and (s.ratio is not None or s.low is not None):
            gate += [r.reason, [_short(s.ratio), _short(s.low), _short(s.high)]]
        elif r.status.value != "pass":
            gate.append(r.reason)
        gates.append(gate)
    out: dict[str, Any] = {
        "at": format_time(e.at),
        "phaseIndex": e.phase_index,
        "healthScore": e.health_score,
        "gates": gates,
    }
    if e.checks:
        out["checks"] = [[c.status.value] + ([c.reason] if c.reason else []) for c in e.checks]
    return out


def process_info() -> dict[str, Any]:
    """The writing process, so that a watcher on the same machine can tell when it is gone."""
    from .identity import actor

    try:
        with open(BOOT_ID, encoding="ascii") as f:
            boot: str | None = f.read().strip() or None
    except OSError:
        boot = None
    return {"pid": os.getpid(), "host": socket.gethostname(), "bootId": boot, "user": actor()}


class DocumentBuilder:
    """Turns snapshots into state documents, keeping the recent history across saves (and resumes:
    give it the stored document's ``history`` and ``recent``)."""

    def __init__(
        self,
        plan: Plan,
        *,
        mode: str,
        driver: str | None = None,
        history: Iterable[Mapping[str, Any]] = (),
        extra: Mapping[str, Any] | None = None,
        recent: Mapping[str, Any] | None = None,
    ) -> None:
        self.plan = plan
        self.mode = mode
        self.driver = driver
        self.history: list[dict[str, Any]] = [dict(h) for h in history][-HISTORY:]
        self.extra = dict(extra or {})
        self._seen: deque[Event] = deque(maxlen=64)
        self._plan_document = plan_to_dict(plan)
        self._gate_names = [g.name for g in plan.gates]
        self._check_names = [c.name for c in plan.checks]
        self._process = process_info()
        self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT)
        if recent and recent.get("gates") == self._gate_names:
            self.recent.extend(e for e in recent.get("evaluations") or [] if isinstance(e, dict))

    def add(self, events: Iterable[Event]) -> None:
        """Record events once each (the same event may come with several snapshots)."""
        for e in events:
            if isinstance(e, Evaluated):
                at = format_time(e.at)
                if not self.recent or self.recent[-1].get("at") != at:
                    self.recent.append(compact_evaluation(e))
                continue
            if any(e is seen for seen in self._seen):
                continue
            self._seen.append(e)
            self.history.append(e.to_json())
        del self.history[:-HISTORY]

    def document(self, snapshot: Snapshot) -> dict[str, Any]:
        self.add(snapshot.events)
        state = snapshot.state
        plan = self.plan
        return {
            "apiVersion": API_VERSION,
            "kind": KIND,
            "plan": plan_outline(plan),
            "mode": self.mode,
            "driver": self.driver,
            "updatedAt": format_time(snapshot.now),
            "state": state_to_dict(state),
            "weights": {"canary": state.canary_weight(plan), "stable": state.stable_weight(plan)},
            "appliedWeight": snapshot.applied_weight,
            "pendingWrite": snapshot.pending_write,
            "pods": None if snapshot.pods is None else [pod_to_dict(p) for p in snapshot.pods],
            "history": list(self.history),
            "planDocument": self._plan_document,
            "recent": {"gates": self._gate_names, "checks": self._check_names, "evaluations": list(self.recent)},
            "process": self._process,
            **self.extra,
        }


def document_state(doc: Mapping[str, Any], plan: Plan) -> State:
    """The rule's state kept in a document; ValueError when it does not fit ``plan``."""
    data = doc.get("state")
    if not isinstance(data, dict):
        raise ValueError("the document has no state")
    return state_from_dict(data, plan)


def encode(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def write_state_file(path: Path, doc: Mapping[str, Any]) -> None:
    """Replace ``path`` with ``doc`` atomically: a reader sees the old document or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(encode(doc) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_state_file(path: Path) -> dict[str, Any]:
    """A state document from a file; InputError naming the file when it is missing or not one. Read
    through the bounded loader: its size is checked (stat first) against ``source.STATE``, its
    nesting is bounded, and nothing in it can raise anything but InputError."""
    from .core.source import STATE, read_bytes
    from .errors import InputError, Problem

    try:
        data = read_bytes(path, STATE)
    except InputError as e:
        if e.problems and e.problems[0].message == "no such file":
            raise InputError([Problem(str(path), None, None, "no such state file")]) from None
        raise
    return parse_document(data.decode("utf-8", errors="replace"), str(path))


def parse_document(text: str, where: str) -> dict[str, Any]:
    """A state document from its JSON text (a state file, or the ConfigMap's ``state.json``), within
    the limits of ``source.STATE`` (size, nesting)."""
    from .core.source import STATE, parse_json
    from .errors import InputError, Problem

    try:
        doc = parse_json(text, where, STATE, duplicates=True).data
    except InputError as e:
        problem = e.problems[0] if e.problems else Problem(where, None, None, "unreadable")
        message = problem.message
        if message.startswith("not valid JSON"):
            message = f"not a state document: {message}"
        raise InputError([Problem(where, None, problem.line, message)]) from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise InputError([Problem(where, "kind", None, f"not a state document: want kind {KIND}")])
    return doc


class StateFileStore:
    """A StateStore writing the state document to a local file at each save.

    Best effort by default: a failing disk never stops a release; ``error`` keeps the last problem.
    """

    def __init__(self, path: Path, builder: DocumentBuilder, *, strict: bool = False) -> None:
        self.path = Path(path)
        self.builder = builder
        self.strict = strict
        self.error: str | None = None

    def save(self, snapshot: Snapshot) -> None:
        self.write(self.builder.document(snapshot))

    def write(self, doc: Mapping[str, Any]) -> None:
        try:
            write_state_file(self.path, doc)
            self.error = None
        except OSError as e:
            self.error = f"cannot write the state file {self.path}: {e.strerror or e}"
            if self.strict:
                raise
