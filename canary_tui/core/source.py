"""Parse YAML or JSON text into plain data, remembering the line of every key, refusing duplicates."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import InputError, Problem

Path = tuple[str | int, ...]


def render_path(path: Path) -> str:
    """``("spec", "phases", 1, "weight")`` -> ``spec.phases[1].weight``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(document)"


@dataclass
class Document:
    """Parsed data plus the line (1-based) of each key path, where the format tells it."""

    file: str
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while True:
            if p in self.lines:
                return self.lines[p]
            if not p:
                return None
            p = p[:-1]


def parse_text(text: str, file: str) -> Document:
    """Parse JSON when the file name or the text says JSON, YAML otherwise."""
    stripped = text.lstrip()
    if file.endswith(".json") or stripped.startswith(("{", "[")):
        return parse_json(text, file)
    return parse_yaml(text, file)


# --------------------------------------------------------------------------- JSON


def parse_json(text: str, file: str) -> Document:
    """Parse JSON; duplicate keys are refused (lines are not tracked: JSON is for big recordings)."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                raise _DuplicateKey(k)
            out[k] = v
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except _DuplicateKey as e:
        raise InputError([Problem(file, None, None, f"duplicate key {e.key!r}")]) from None
    except json.JSONDecodeError as e:
        raise InputError([Problem(file, None, e.lineno, f"not valid JSON: {e.msg} (column {e.colno})")]) from None
    return Document(file, data)


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


# --------------------------------------------------------------------------- YAML

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.SafeLoader


def parse_yaml(text: str, file: str) -> Document:
    """Parse one YAML document keeping key lines; refuse duplicate keys and multiple documents."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        what = e.problem or e.context or "syntax error"
        raise InputError([Problem(file, None, line, f"not valid YAML: {what}")]) from None
    except yaml.YAMLError as e:
        raise InputError([Problem(file, None, None, f"not valid YAML: {e}")]) from None
    finally:
        loader.dispose()
    doc = Document(file, None)
    if node is None:
        return doc
    builder = _Builder(file, doc.lines)
    doc.data = builder.build(node, ())
    if builder.problems:
        raise InputError(builder.problems)
    return doc


class _Builder:
    """Walks composed YAML nodes into plain data (SafeLoader semantics) with line tracking."""

    def __init__(self, file: str, lines: dict[Path, int]) -> None:
        self.file = file
        self.lines = lines
        self.problems: list[Problem] = []
        self._scalar = yaml.SafeLoader("").construct_object

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return self._build_scalar(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self._build_mapping(node, path)
        raise InputError([Problem(self.file, render_path(path), node.start_mark.line + 1, "unsupported YAML node")])

    def _build_scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        try:
            value = self._scalar(node, deep=True)
        except yaml.YAMLError as e:
            self.problems.append(Problem(self.file, render_path(path), node.start_mark.line + 1, str(e)))
            return None
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value  # keep timestamps as the text the user wrote
        return value

    def _build_mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in self._pairs(node):
            key = self._scalar(key_node, deep=True) if isinstance(key_node, yaml.ScalarNode) else None
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                if isinstance(key, (int, float, bool)) or key is None:
                    key = str(key_node.value)
                else:
                    self.problems.append(Problem(self.file, render_path(path), line, "keys must be plain strings"))
                    continue
            if key in out:
                first = self.lines.get((*path, key))
                where = f" (first at line {first})" if first else ""
                self.problems.append(Problem(self.file, render_path((*path, key)), line, f"duplicate key{where}"))
                continue
            self.lines[(*path, key)] = line
            out[key] = self.build(value_node, (*path, key))
        return out

    def _pairs(self, node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
        """Resolve ``<<`` merge keys the way SafeLoader does (explicit keys win)."""
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        own: list[tuple[yaml.Node, yaml.Node]] = []
        for k, v in node.value:
            if k.tag == "tag:yaml.org,2002:merge":
                sources = v.value if isinstance(v, yaml.SequenceNode) else [v]
                for src in sources:
                    if isinstance(src, yaml.MappingNode):
                        merged.extend(self._pairs(src))
            else:
                own.append((k, v))
        own_keys = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
        return [(k, v) for k, v in merged if k.value not in own_keys] + own


def is_number(value: Any) -> bool:
    """True for int and float but not bool (YAML's ``yes`` is not a threshold)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def as_sample(value: Any) -> float | None:
    """A metric sample: number, null, NaN -> None; ``"+Inf"``/``"-Inf"``/``"NaN"`` strings accepted."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("want a number or null, got a boolean")
    if isinstance(value, (int, float)):
        f = float(value)
        return None if math.isnan(f) else f
    if isinstance(value, str) and value.strip().lower() in _SPECIAL:
        return _SPECIAL[value.strip().lower()]
    raise ValueError(f"want a number or null, got {value!r}")


_SPECIAL: dict[str, float | None] = {
    "nan": None,
    "+inf": math.inf,
    "inf": math.inf,
    "-inf": -math.inf,
    "null": None,
}
