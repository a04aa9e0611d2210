"""``--set PATH=VALUE`` edits on a plan's plain data, validated by the plan loader (contract section 6)."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path as FsPath
from typing import Any

import yaml

from ..errors import InputError, Problem
from .durations import format_duration, parse_duration
from .model import GateSource, Plan
from .planfile import parse_plan
from .source import PLAN, Document, Path, load_document, render_path

_US = timedelta(microseconds=1)
MAX_VALUES = 10_000  # values one RANGE may give: a typo in a step should not build a billion plans

_TOKEN = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_-]*)|\[([^\[\]]+)\]")
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


@dataclass(frozen=True)
class Select:
    """``[error_rate]`` or ``[1]``: a list item by its name, or by its index."""

    key: str

    def __str__(self) -> str:
        return f"[{self.key}]"


Step = str | Select


@dataclass(frozen=True)
class Edit:
    """One ``--set``: the text as given, the parsed path, and the value (None removes the key)."""

    text: str
    path: tuple[Step, ...]
    value: Any

    @property
    def path_text(self) -> str:
        return path_text(self.path)


def path_text(path: tuple[Step, ...]) -> str:
    out = ""
    for step in path:
        out += str(step) if isinstance(step, Select) else (f".{step}" if out else step)
    return out


def parse_path(text: str, what: str) -> tuple[Step, ...]:
    """``spec.gates[error_rate].failAbove`` -> ("spec", "gates", Select("error_rate"), "failAbove")."""
    steps: list[Step] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or (m.group(1) is not None and text[pos] != "." and pos > 0):
            raise InputError(
                f"{what}: bad key path {text!r} at {text[pos:]!r}: want e.g. spec.gates[error_rate].failAbove"
            )
        steps.append(m.group(1) if m.group(1) is not None else Select(m.group(2).strip()))
        pos = m.end()
    if not steps or isinstance(steps[0], Select):
        raise InputError(f"{what}: bad key path {text!r}: want e.g. spec.failureLimit")
    return tuple(steps)


def _split(text: str, flag: str) -> tuple[str, str]:
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise InputError(f"{flag} {text}: want PATH=VALUE, e.g. spec.failureLimit=3")
    return path.strip(), value


class _ValueLoader(yaml.SafeLoader):
    """YAML with the numbers of YAML 1.2's core schema: ``1:30`` is the text "1:30", not YAML 1.1's
    base-60 number 90 (a range typed with two parts must not quietly become another number), and
    ``010`` is ten, not eight. Everything else reads as in a plan file."""


_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_INT_TAG, _FLOAT_TAG = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_ValueLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT_TAG, _FLOAT_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "-+0123456789":
    _ValueLoader.add_implicit_resolver(_INT_TAG, _INT, [_first])  # int before float: "3" is 3
for _first in "-+.0123456789":
    _ValueLoader.add_implicit_resolver(_FLOAT_TAG, _FLOAT, [_first])


def _int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text)


def _float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).lower().lstrip("+")
    return float(text.replace(".inf", "inf").replace(".nan", "nan"))


_ValueLoader.add_constructor(_INT_TAG, _int)
_ValueLoader.add_constructor(_FLOAT_TAG, _float)


def parse_value(text: str, what: str) -> Any:
    """VALUE is YAML: ``0.02``, ``6h``, ``null``, ``[a, b]`` (numbers as YAML 1.2 reads them)."""
    if not text.strip():
        return None
    try:
        return yaml.load(text, Loader=_ValueLoader)  # a SafeLoader with YAML 1.2's numbers
    except yaml.YAMLError as e:
        why = " ".join(str(getattr(e, "problem", None) or e).split())
        raise InputError(f"{what}: the value is not valid YAML: {why}") from None


def parse_edit(text: str) -> Edit:
    """``--set PATH=VALUE``."""
    what = f"--set {text}"
    path, value = _split(text, "--set")
    return Edit(text, parse_path(path, what), parse_value(value, what))


def parse_range(text: str) -> list[Edit]:
    """``--set PATH=RANGE`` (tune): ``a,b,c`` or ``start:stop:step`` (numbers or durations, stop included)."""
    what = f"--set {text}"
    path_s, rng = _split(text, "--set")
    path = parse_path(path_s, what)
    values = _range_values(rng.strip(), what)
    return [Edit(f"{path_s}={_show(v)}", path, v) for v in values]


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _range_values(rng: str, what: str) -> list[Any]:
    parts = rng.split(":")
    if len(parts) != 3 and len(parts) > 1 and "," not in rng:
        why = f"no step (e.g. {rng}:1)" if len(parts) == 2 else f"{len(parts)} parts"
        raise InputError(f"{what}: RANGE is a,b,c or start:stop:step (stop included); {rng!r} has {why}")
    if len(parts) == 3 and "," not in rng:
        a, b, s = (p.strip() for p in parts)
        if all(_NUMBER.fullmatch(p) for p in (a, b, s)):
            try:
                start, stop, step = Decimal(a), Decimal(b), Decimal(s)
            except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
                raise InputError(f"{what}: bad range {rng!r}") from None
            ints = all(_NUMBER.fullmatch(p) and "." not in p and "e" not in p.lower() for p in (a, b, s))
            return [int(x) if ints else float(x) for x in _steps(start, stop, step, what)]
        try:
            da, db, ds = (parse_duration(p) for p in (a, b, s))
        except ValueError as e:
            raise InputError(f"{what}: want start:stop:step of numbers or durations: {e}") from None
        us = [Decimal(d // _US) for d in (da, db, ds)]
        return [format_duration(timedelta(microseconds=int(x))) for x in _steps(us[0], us[1], us[2], what)]
    items = [p.strip() for p in rng.split(",")]
    if any(not p for p in items):
        raise InputError(f"{what}: empty value in {rng!r}: want a,b,c or start:stop:step")
    return [parse_value(p, what) for p in items]


def _steps(start: Decimal, stop: Decimal, step: Decimal, what: str) -> list[Decimal]:
    if step <= 0:
        raise InputError(f"{what}: the step must be greater than 0")
    if stop < start:
        raise InputError(f"{what}: stop is below start")
    count = int((stop - start) / step) + 1
    if count > MAX_VALUES:
        raise InputError(f"{what}: {count:,} values; at most {MAX_VALUES:,}")
    return [start + i * step for i in range(count)]


# --------------------------------------------------------------------------- applying


@dataclass(frozen=True)
class PlanSource:
    """A plan's plain data and where it came from, so edits can be validated with its lines."""

    doc: Document
    prefix: Path
    data: Any

    @property
    def label(self) -> str:
        return self.doc.file


def plan_source_of_fixture(doc: Document) -> PlanSource:
    """The plan a parsed fixture document names: inline (``plan:``) or its ``planRef`` file."""
    data = doc.data if isinstance(doc.data, dict) else {}
    if "plan" in data:
        return PlanSource(doc, ("plan",), data["plan"])
    ref = data.get("planRef")
    if not isinstance(ref, str):
        raise InputError([Problem(doc.file, "planRef", None, "want plan or planRef")])
    path = FsPath(doc.file).parent / ref
    return plan_source_of_file(path)


def plan_source_of_file(path: str | FsPath) -> PlanSource:
    doc = load_document(path, PLAN)  # a plan's limits, as ``load_plan`` reads it
    return PlanSource(doc, (), doc.data)


def apply(data: Any, edits: list[Edit]) -> tuple[Any, list[Path]]:
    """A deep copy of ``data`` with the edits applied in order, and each edit's resolved path
    (names turned into indices). A list item that does not exist is an error naming the edit."""
    out = copy.deepcopy(data)
    resolved = []
    for edit in edits:
        out, where = _apply_one(out, edit)
        resolved.append(where)
    return out, resolved


def _apply_one(root: Any, edit: Edit) -> tuple[Any, Path]:
    what = f"--set {edit.text}"
    node = root
    where: list[str | int] = []
    steps = edit.path
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        if isinstance(step, Select):
            if not isinstance(node, list):
                raise InputError(f"{what}: {render_path(tuple(where))} is not a list")
            index = _select(node, step, what, tuple(where))
            where.append(index)
            if last:
                if edit.value is None:
                    raise InputError(f"{what}: --set does not remove list items (use --plan)")
                node[index] = copy.deepcopy(edit.value)
            else:
                node = node[index]
            continue
        if not isinstance(node, dict):
            raise InputError(f"{what}: {render_path(tuple(where)) or 'the plan'} is not a mapping")
        where.append(step)
        if last:
            if edit.value is None:
                node.pop(step, None)
            else:
                node[step] = copy.deepcopy(edit.value)
        else:
            if node.get(step) is None:
                if isinstance(steps[i + 1], Select):
                    raise InputError(f"{what}: {render_path(tuple(where))} has no list to select from")
                node[step] = {}
            node = node[step]
    return root, tuple(where)


def lookup(data: Any, path: tuple[Step, ...]) -> Any:
    """The value at ``path`` in plain plan data, or None when any step is missing."""
    node = data
    for step in path:
        if isinstance(step, Select):
            if not isinstance(node, list):
                return None
            if step.key.isdigit():
                i = int(step.key)
                node = node[i] if i < len(node) else None
            else:
                node = next((x for x in node if isinstance(x, dict) and x.get("name") == step.key), None)
        else:
            node = node.get(step) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def _select(items: list[Any], step: Select, what: str, where: Path) -> int:
    if step.key.isdigit():
        index = int(step.key)
        if index >= len(items):
            raise InputError(f"{what}: {render_path(where)} has {len(items)} items, no [{index}]")
        return index
    names = [item.get("name") for item in items if isinstance(item, dict)]
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == step.key:
            return index
    have = ", ".join(str(n) for n in names if n is not None) or "none"
    raise InputError(
        f"{what}: no item named {step.key!r} in {render_path(where)} (have: {have}); --set does not add items"
    )


def edited_plan(source: PlanSource, edits: list[Edit]) -> Plan:
    """The plan with the edits applied, validated like any plan; every problem names the edit."""
    if not edits:
        return parse_plan(source.doc, source.prefix, source.data)
    data, resolved = apply(source.data, edits)
    doc = Document(source.doc.file, data, source.doc.lines)
    try:
        return parse_plan(doc, source.prefix, data)
    except InputError as e:
        raise InputError([_blame(p, edits, resolved, source.prefix) for p in e.problems]) from None


def _blame(p: Problem, edits: list[Edit], resolved: list[Path], prefix: Path) -> Problem:
    """The problem restated as one of the edits': the edit whose path it is under, else all of them."""
    prefix_text = render_path(prefix) + "." if prefix else ""
    path = p.path or ""
    if prefix_text and path.startswith(prefix_text):
        path = path[len(prefix_text) :]
    guilty = [e for e, r in zip(edits, resolved, strict=True) if _under(path, render_path(r))]
    named = guilty[-1:] if guilty else edits
    flags = ", ".join(f"--set {e.text}" for e in named)
    where = f"{path}: " if path else ""
    return Problem(None, None, None, f"{flags}: makes the plan invalid: {where}{p.message}")


def _under(path: str, edited: str) -> bool:
    return path == edited or path.startswith(edited + ".") or path.startswith(edited + "[") or edited.startswith(path)


def series_problems(plan: Plan, series: dict[str, Any] | Any, label: str) -> list[Problem]:
    """What a replay of this plan would miss in a fixture's series: a query gate without a series,
    a relative gate without a stable series (the loader's rule, for a plan the fixture was not made with)."""
    problems = []
    for gate in plan.gates:
        if gate.source is not GateSource.PROMETHEUS:
            continue
        s = series.get(gate.name)
        if s is None:
            problems.append(Problem(None, None, None, f"{label}: the fixture has no series for gate {gate.name!r}"))
        elif s.stable is None and any(t[gate.name].relative for t in plan.thresholds_by_phase):
            problems.append(
                Problem(
                    None,
                    None,
                    None,
                    f"{label}: gate {gate.name!r} is relative but the fixture has no stable series for it",
                )
            )
    return problems
