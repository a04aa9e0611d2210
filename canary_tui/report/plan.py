"""The plan a report shows: recorded in the log, else loaded from its source file, else an outline."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from .model import LEVELS, GatePlan, PhasePlan, PlanInfo


def from_start(start: dict[str, Any]) -> tuple[PlanInfo | None, str | None]:
    """The plan of a run from its ``start`` line, and a note when it is not the one recorded."""
    doc = start.get("planDocument")
    if isinstance(doc, dict):
        info = from_document(doc, "recorded in the audit log when the run started")
        if info is not None:
            return info, None
        return None, "the plan recorded in the log could not be read"
    source = start.get("source")
    if isinstance(source, str) and source:
        info, problem = from_source(source)
        if info is not None:
            return info, (
                f"the log does not record the plan; it was loaded from {source} as that file is now, "
                "which may differ from the plan the run used"
            )
        return None, f"the log does not record the plan, and {problem}"
    return None, "the log does not record the plan"


def from_source(source: str) -> tuple[PlanInfo | None, str]:
    """Load a plan file, or the plan of a fixture file, as the run's ``source`` names it."""
    from ..core.codec import plan_to_dict
    from ..core.fixture import parse_fixture
    from ..core.planfile import parse_plan, read_text
    from ..core.source import parse_text
    from ..errors import InputError

    path = Path(source)
    if not path.is_file():
        return None, f"its source file {source} is not there any more"
    try:
        doc = parse_text(read_text(path), source)
        kind = doc.data.get("kind") if isinstance(doc.data, dict) else None
        plan = parse_fixture(doc).plan if kind == "MetricFixture" else parse_plan(doc)
    except InputError as e:
        return None, f"its source file {source} does not load: {e.problems[0].message if e.problems else e}"
    except Exception as e:  # a source file that changed into anything at all
        return None, f"its source file {source} does not load: {type(e).__name__}"
    info = from_document(plan_to_dict(plan), f"loaded from {source}")
    return info, ""


def from_document(doc: dict[str, Any], origin: str) -> PlanInfo | None:
    """A CanaryPlan document (as ``core.codec.plan_to_dict`` writes it) read leniently: the log is
    outside input, so anything malformed gives None instead of an exception."""
    try:
        return _read(doc, origin)
    except (TypeError, ValueError, KeyError, AttributeError):
        return None


def _read(doc: dict[str, Any], origin: str) -> PlanInfo:
    meta = doc.get("metadata") or {}
    spec = doc.get("spec") or {}
    phases = [
        PhasePlan(str(p["name"]), int(p.get("weight", 0)), str(p.get("duration", ""))) for p in spec.get("phases") or []
    ]
    gates = []
    for g in spec.get("gates") or []:
        levels = _levels(g)
        gate = GatePlan(
            name=str(g["name"]),
            unit=str(g.get("unit") or ""),
            weight=float(g.get("weight", 1.0)),
            source=str(g.get("source") or "prometheus"),
            levels=levels,
        )
        for p in spec.get("phases") or []:
            table = dict(levels)
            override = (p.get("gates") or {}).get(gate.name) or {}
            for key, value in override.items():
                if key in LEVELS or (key == "maxRatio" and "maxRatio" in levels):
                    if value is None:
                        table.pop(key, None)
                    else:
                        table[key] = float(value)
            gate.by_phase.append(table)
        gates.append(gate)
    return PlanInfo(
        name=str(meta.get("name") or ""),
        origin=origin,
        document=doc,
        namespace=str(meta.get("namespace") or "default"),
        service=str(spec.get("service") or ""),
        stable=str((spec.get("stable") or {}).get("version") or ""),
        canary=str((spec.get("canary") or {}).get("version") or ""),
        interval=str(spec.get("interval") or ""),
        failure_limit=_int(spec.get("failureLimit")),
        no_data_limit=_int(spec.get("noDataLimit")),
        min_health_score=_float(spec.get("minHealthScore")),
        promotion=str(spec.get("promotion") or ""),
        phases=phases,
        gates=gates,
    )


def from_outline(outline: dict[str, Any]) -> PlanInfo | None:
    """The plan outline a state document carries (no gates, no thresholds)."""
    try:
        return PlanInfo(
            name=str(outline.get("name") or ""),
            origin="outline kept in the state file (gates and thresholds are not in it)",
            document=outline,
            namespace=str(outline.get("namespace") or ""),
            service=str(outline.get("service") or ""),
            stable=str((outline.get("stable") or {}).get("version") or ""),
            canary=str((outline.get("canary") or {}).get("version") or ""),
            interval=str(outline.get("interval") or ""),
            phases=[
                PhasePlan(str(p["name"]), int(p.get("weight", 0)), str(p.get("duration", "")))
                for p in outline.get("phases") or []
            ],
        )
    except (TypeError, ValueError, KeyError, AttributeError):
        return None


def _levels(g: dict[str, Any]) -> dict[str, float]:
    out = {"maxRatio": float(g.get("maxRatio", 1.0))} if g.get("judge") == "counts" else {}
    for key in LEVELS:
        value = g.get(key)
        if value is not None:
            out[key] = float(value)
    return out


def _int(x: Any) -> int | None:
    return int(x) if isinstance(x, int | float) and not isinstance(x, bool) else None


def _float(x: Any) -> float | None:
    if isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x):
        return float(x)
    return None
