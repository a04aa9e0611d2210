"""Text of a report: outside strings made safe, values and times formatted for people."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..core.durations import format_time
from ..core.gates import fmt
from ..sanitize import clean
from .model import Release

TEXT_LIMIT = 2000  # any one text from the log (a reason, an actor) is cut to this


def text(x: Any, limit: int = TEXT_LIMIT) -> str:
    """Outside text made one safe line (escaping for HTML or Markdown is the writer's job)."""
    return clean("" if x is None else x, limit)


def clean_block(body: str) -> str:
    """Several lines of outside text: each line made safe, the indentation kept."""
    return "\n".join(_indent(line) + clean(line) for line in body.splitlines())


def _indent(line: str) -> str:
    return " " * (len(line) - len(line.lstrip(" ")))


def stamp(at: float | None) -> str:
    return "" if at is None else format_time(datetime.fromtimestamp(at, UTC))


def unit_of(r: Release, name: str) -> str:
    g = r.plan.gate(name) if r.plan else None
    return text(g.unit, 10) if g else ""


def value(x: Any, unit: str) -> str:
    if isinstance(x, bool) or x is None:
        return "-"
    if isinstance(x, int | float):
        return fmt(float(x), text(unit, 10))
    return text(x, 12)
