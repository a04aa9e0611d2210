"""Typed, path-aware reads from parsed documents, collecting every problem instead of stopping."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from ..errors import Problem
from .durations import parse_duration
from .source import Document, Path, is_number, render_path

_MISSING = object()


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class Reader:
    """Reads values out of a Document; each bad value adds a Problem naming its path and line."""

    def __init__(self, doc: Document, prefix: Path = ()) -> None:
        self.doc = doc
        self.prefix = prefix
        self.problems: list[Problem] = []

    def problem(self, path: Path, message: str) -> None:
        full = (*self.prefix, *path)
        self.problems.append(Problem(self.doc.file, render_path(full), self.doc.line(full), message))

    def mapping(
        self,
        value: Any,
        path: Path,
        allowed: Iterable[str],
        required: Iterable[str] = (),
    ) -> dict[str, Any] | None:
        """Check ``value`` is a mapping with only ``allowed`` keys and every ``required`` key."""
        if not isinstance(value, dict):
            self.problem(path, f"want a mapping, got {_kind(value)}")
            return None
        allowed = list(allowed)
        for key in value:
            if key not in allowed:
                self.problem((*path, key), f"unknown key{_suggest(key, allowed)}")
        for key in required:
            if key not in value:
                self.problem(path, f"missing required key {key!r}")
        return value

    def get(self, m: dict[str, Any], path: Path, key: str, kind: str, default: Any = None) -> Any:
        """Read ``m[key]`` as ``kind`` (str, int, number, bool, duration, list, mapping)."""
        value = m.get(key, _MISSING)
        if value is _MISSING:
            return default
        p = (*path, key)
        if kind == "str":
            if isinstance(value, str) and value.strip():
                return value
            hint = " (quote it)" if is_number(value) or isinstance(value, bool) else ""
            self.problem(p, f"want a non-empty string, got {_kind(value)}{hint}")
        elif kind == "int":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, float) and value.is_integer():
                return int(value)
            self.problem(p, f"want a whole number, got {_kind(value)}")
        elif kind == "number":
            if is_number(value):
                return float(value)
            self.problem(p, f"want a number, got {_kind(value)}")
        elif kind == "bool":
            if isinstance(value, bool):
                return value
            self.problem(p, f"want true or false, got {_kind(value)}")
        elif kind == "duration":
            if not isinstance(value, str):
                self.problem(p, f"want a duration such as 90s, 5m, 12h or 1h30m, got {_kind(value)}")
                return default
            try:
                return parse_duration(value)
            except ValueError as e:
                self.problem(p, str(e))
        elif kind == "list":
            if isinstance(value, list):
                return value
            self.problem(p, f"want a list, got {_kind(value)}")
        elif kind == "mapping":
            if isinstance(value, dict):
                return value
            self.problem(p, f"want a mapping, got {_kind(value)}")
        else:  # pragma: no cover - programming error
            raise ValueError(kind)
        return default

    def choice(self, m: dict[str, Any], path: Path, key: str, choices: Iterable[str], default: str) -> str:
        choices = list(choices)
        value = self.get(m, path, key, "str", default)
        if value not in choices:
            self.problem((*path, key), f"want one of {', '.join(choices)}, got {value!r}")
            return default
        return str(value)

    def name(self, m: dict[str, Any], path: Path, key: str, pattern: str, what: str) -> str | None:
        value = self.get(m, path, key, "str")
        if value is not None and not re.fullmatch(pattern, value):
            self.problem((*path, key), f"{value!r} is not a valid {what}")
            return None
        return None if value is None else str(value)

    def duration(self, m: dict[str, Any], path: Path, key: str, default: timedelta | None) -> timedelta | None:
        value = self.get(m, path, key, "duration", default)
        return value if isinstance(value, timedelta) else default


def _suggest(key: str, allowed: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f"; allowed: {', '.join(allowed)}"
