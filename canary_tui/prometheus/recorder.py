"""``record``: a plan's metrics over a past window as a MetricFixture (contract section 3).

Sample ``i`` of every series is the query evaluated at ``start + i*step``: a range query is the
same evaluation an instant query at that time would be, so with ``step`` = the plan's interval a
replay from ``start`` sees, at each evaluation, the value a live run starting at ``start`` read.
Times with no value, NaN, or several series (where a live read says ``nodata``) are ``null``.
Pod gates are left out of the recorded plan: Prometheus has no pod snapshots to put in ``pods:``.
"""

from __future__ import annotations

import json
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.durations import format_duration, format_time
from ..core.model import CountsJudge, GateSource, Plan
from ..core.planfile import API_VERSION, read_text
from ..core.source import parse_text
from ..errors import InputError
from .answers import QueryError, range_samples
from .source import query_gates

if TYPE_CHECKING:
    from .client import Connection

MAX_POINTS = 10_000  # per range query; Prometheus refuses more than 11,000
MAX_SAMPLES = 200_000  # per series: a bigger recording is almost surely a wrong --step

Samples = list[float | None]


@dataclass
class Recording:
    """What ``record`` found: the fixture document, and notes for the person who asked."""

    document: dict[str, Any]
    samples: int
    nulls: int
    notes: list[str] = field(default_factory=list)


def sample_count(start: datetime, end: datetime, step: timedelta) -> int:
    """Samples at start, start+step, ... up to and including end."""
    if step <= timedelta(0):
        raise InputError("--step must be greater than 0s")
    if end <= start:
        raise InputError(f"--to ({format_time(end)}) must be after --from ({format_time(start)})")
    n = (end - start) // step + 1
    if n > MAX_SAMPLES:
        raise InputError(
            f"{n} samples per series is too many (at most {MAX_SAMPLES}): use a longer --step or a shorter window"
        )
    return int(n)


def record(plan: Plan, connection: Connection, start: datetime, end: datetime, step: timedelta, name: str) -> Recording:
    """Range-query every query gate for the canary and stable version; QueryError names the one that failed."""
    n = sample_count(start, end, step)
    gates = [plan.gate(g) for g in query_gates(plan)]
    counted = [g for g in gates if isinstance(g.judge, CountsJudge)]
    gates = [g for g in gates if g not in counted]
    sides = (("canary", plan.canary.version), ("stable", plan.stable.version))
    # counts gates: the increments of each step ({{interval}} = --step), summed into cumulative counts
    per_step = replace(plan, interval=step)
    with ThreadPoolExecutor(max_workers=max(1, min(16, 2 * len(gates) + 4 * len(counted)))) as pool:
        jobs = {
            (g.name, side): pool.submit(_series, connection, plan.render_query(g, version), start, step, n)
            for g in gates
            for side, version in sides
        }
        for g in counted:
            assert isinstance(g.judge, CountsJudge)
            for side, version in sides:
                for what in ("errors", "requests"):
                    promql = per_step.render(getattr(g.judge, what), version)
                    jobs[g.name, f"{side} {what}"] = pool.submit(_series, connection, promql, start, step, n)
        results: dict[tuple[str, str], tuple[Samples, int]] = {}
        for (gate, side), job in jobs.items():
            try:
                results[gate, side] = job.result()
            except QueryError as e:
                raise QueryError(f"gate {gate}, {side} version: {e.reason}") from None
    notes = _notes(plan, step, results)
    series: dict[str, Any] = {
        g.name: {"canary": results[g.name, "canary"][0], "stable": results[g.name, "stable"][0]} for g in gates
    }
    for g in counted:
        series[g.name] = {side: _cumulative(results, g.name, side) for side, _ in sides}
    dropped = [g.name for g in plan.gates if g.source is GateSource.PODS]
    if dropped:
        notes.insert(
            0, f"pod gates left out of the recorded plan (Prometheus has no pod snapshots): {', '.join(dropped)}"
        )
    description = (
        f"recorded from {connection.shown}, {format_time(start)} to {format_time(end)}, every {format_duration(step)}"
    )
    if dropped:
        description += f"; pod gates left out: {', '.join(dropped)}"
    document = {
        "apiVersion": API_VERSION,
        "kind": "MetricFixture",
        "metadata": {"name": name, "description": description},
        "plan": plan_document(plan, dropped),
        "start": format_time(start),
        "step": format_duration(step),
        "series": series,
    }
    nulls = sum(v is None for values, _ in results.values() for v in values)
    return Recording(document, n, nulls, notes)


def _cumulative(results: dict[tuple[str, str], tuple[Samples, int]], gate: str, side: str) -> dict[str, Samples]:
    """Cumulative errors and requests since the start from the increments of each step. A step
    where either is missing is null in both and adds nothing, as a live evaluation adds nothing."""
    errors, requests = results[gate, f"{side} errors"][0], results[gate, f"{side} requests"][0]
    out_e: Samples = []
    out_r: Samples = []
    total_e = total_r = 0.0
    for e, r in zip(errors, requests, strict=True):
        if e is None or r is None or not (math.isfinite(e) and math.isfinite(r)):
            out_e.append(None)
            out_r.append(None)
            continue
        total_e, total_r = total_e + max(0.0, e), total_r + max(0.0, r)
        out_e.append(round(total_e, 6))
        out_r.append(round(total_r, 6))
    return {"errors": out_e, "requests": out_r}


def _series(connection: Connection, promql: str, start: datetime, step: timedelta, n: int) -> tuple[Samples, int]:
    """All ``n`` samples of one query, in range queries of at most MAX_POINTS points."""
    values: Samples = []
    crowded = 0
    seconds = step.total_seconds()
    for first in range(0, n, MAX_POINTS):
        count = min(MAX_POINTS, n - first)
        chunk_start = start + first * step
        chunk_end = chunk_start + (count - 1) * step
        answer = connection.range(promql, chunk_start, chunk_end, seconds)
        part, several = range_samples(answer.data, chunk_start.timestamp(), seconds, count)
        values += part
        crowded += several
    return values, crowded


def _notes(plan: Plan, step: timedelta, results: dict[tuple[str, str], tuple[Samples, int]]) -> list[str]:
    notes = []
    interval = plan.interval
    if step > interval:
        notes.append(
            f"--step {format_duration(step)} is longer than the plan's interval {format_duration(interval)}: a replay "
            "holds each sample for several evaluations where a live run would have read fresh values"
        )
    elif interval % step:
        notes.append(
            f"the plan's interval {format_duration(interval)} is not a multiple of --step {format_duration(step)}: a "
            "replay reads the sample at or before each evaluation, not at it"
        )
    for (gate, side), (values, crowded) in results.items():
        if crowded:
            notes.append(
                f"gate {gate}, {side}: {crowded} samples had several series (recorded as null): aggregate the query"
            )
        if values and all(v is None for v in values):
            notes.append(f"gate {gate}, {side}: no data in the whole window")
    return notes


def plan_document(plan: Plan, dropped: list[str]) -> Any:
    """The plan as its author wrote it (re-read from its file), minus the pod gates left out."""
    if plan.source is None:
        raise InputError("record needs the plan's file (plan.source is unknown)")
    data = parse_text(read_text(plan.source), plan.source).data
    if not dropped:
        return data
    spec = data["spec"]
    spec["gates"] = [g for g in spec["gates"] if not (isinstance(g, dict) and g.get("name") in dropped)]
    for phase in spec.get("phases", []):
        overrides = phase.get("gates") if isinstance(phase, dict) else None
        if isinstance(overrides, dict):
            for gate in dropped:
                overrides.pop(gate, None)
            if not overrides:
                del phase["gates"]
    return data


def _json_value(v: float | None) -> float | str | None:
    if v is not None and math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return v


def write(document: dict[str, Any], path: Path) -> None:
    """JSON or YAML by the file's extension; each series on one line either way."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        text = _json(document)
    elif suffix in (".yaml", ".yml"):
        text = _yaml(document)
    else:
        raise InputError(f"{path}: -o wants a .json, .yaml or .yml file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as e:
        raise InputError(f"{path}: cannot write: {e.strerror or e}") from None


def _json_values(values: Any) -> Any:
    if isinstance(values, dict):  # a counts gate's side: {errors: [...], requests: [...]}
        return {k: _json_values(v) for k, v in values.items()}
    return [_json_value(v) for v in values]


def _json(document: dict[str, Any]) -> str:
    head = {k: v for k, v in document.items() if k != "series"}
    text = json.dumps(head, indent=2, ensure_ascii=False)
    rows = []
    for gate, sides in document["series"].items():
        inner = ", ".join(
            f"{json.dumps(side)}: {json.dumps(_json_values(values), allow_nan=False)}" for side, values in sides.items()
        )
        rows.append(f"    {json.dumps(gate)}: {{{inner}}}")
    series = '  "series": {\n' + ",\n".join(rows) + "\n  }"
    return text[: text.rindex("}")].rstrip() + ",\n" + series + "\n}\n"


def _yaml(document: dict[str, Any]) -> str:
    import yaml

    head = {k: v for k, v in document.items() if k != "series"}
    text = yaml.safe_dump(head, sort_keys=False, allow_unicode=True, width=120)
    lines = ["series:"]
    for gate, sides in document["series"].items():
        lines.append(f"  {gate}:")
        for side, values in sides.items():
            if isinstance(values, dict):  # a counts gate's side
                lines.append(f"    {side}:")
                for what, counts in values.items():
                    items = ", ".join("null" if v is None else _yaml_number(v) for v in counts)
                    lines.append(f"      {what}: [{items}]")
                continue
            items = ", ".join("null" if v is None else _yaml_number(v) for v in values)
            lines.append(f"    {side}: [{items}]")
    return text + "\n".join(lines) + "\n"


def _yaml_number(v: float) -> str:
    """A float YAML 1.1 reads back as a float: ``1e-05`` would be a string, ``1.0e-05`` is not."""
    if math.isinf(v):
        return ".inf" if v > 0 else "-.inf"
    text = repr(v)
    if "e" in text and "." not in text:
        text = text.replace("e", ".0e")
    return text
