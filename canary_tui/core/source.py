"""Parse YAML or JSON text into plain data, remembering the line of every key, refusing duplicates."""

from __future__ import annotations

import json
import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from ..errors import InputError, Problem
from .samples import Extracted, TooMany, extract
from .yamlbuild import build_yaml

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


@dataclass(frozen=True)
class Limits:
    """What one kind of file may hold; each limit is checked before its cost is paid."""

    what: str  # "plan", "fixture", "state file": named in the messages
    max_bytes: int  # the file (checked with stat before reading, and while reading)
    max_structure: int  # the file without its long sample lists (those are read into arrays)
    max_depth: int = 64  # nesting of mappings and lists
    max_alias_nodes: int = 10_000  # values YAML aliases may add, all aliases together
    sample_lists: bool = False  # read long number lists straight into arrays (fixtures)
    max_samples: int = 1_000_000  # per sample list (11.5 days at 1 s)
    max_total_samples: int = 16_000_000  # all sample lists together (8 bytes each in memory: 128 MB)
    hint: str = ""  # what to do when the file is too big


MB = 1 << 20
PLAN = Limits("plan", 1 * MB, 1 * MB, hint="a plan is a few KB: is this the right file?")
FIXTURE = Limits(
    "fixture",
    256 * MB,
    4 * MB,
    sample_lists=True,
    hint="record with a longer --step, or split the window into several fixtures",
)
FIXTURE_JSON_STRUCTURE = 16 * MB
"""JSON parses several times faster than YAML: the part outside sample lists may be bigger."""
STATE = Limits("state file", 16 * MB, 16 * MB, hint="a state document is a few hundred KB: is this the right file?")
LOG_LINE = 4 * MB
"""The longest line of an audit log a report reads (a start line carries the plan, at most 1 MB of
YAML); a longer line is left out as unreadable, and the report says how many were."""


def _size(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB else f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} bytes"


def read_bytes(path: str | FsPath, limits: Limits = PLAN) -> bytes:
    """The file's bytes; its size is checked (stat first) before a byte is read. A FIFO or a
    device is read up to the limit and refused past it."""
    file = str(path)
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError
            if stat.S_ISREG(st.st_mode) and st.st_size > limits.max_bytes:
                raise too_big(file, limits, st.st_size)
            data = f.read(limits.max_bytes + 1)
    except FileNotFoundError:
        raise InputError([Problem(file, None, None, "no such file")]) from None
    except IsADirectoryError:
        raise InputError([Problem(file, None, None, "is a directory, not a file")]) from None
    except OSError as e:
        raise InputError([Problem(file, None, None, e.strerror or str(e))]) from None
    if len(data) > limits.max_bytes:
        raise too_big(file, limits, None)
    return data


def too_big(file: str, limits: Limits, size: int | None) -> InputError:
    most = _size(limits.max_bytes)
    is_ = f"is {_size(size)}" if size is not None else f"is over {most}"
    if size is not None and _size(size) == most:  # just over: "is 1.0 MB: at most 1.0 MB" would say nothing
        is_, most = f"is {size:,} bytes", f"{most} ({limits.max_bytes:,} bytes)"
    message = f"{is_}: a {limits.what} may be at most {most}"
    return InputError([Problem(file, None, None, f"{message} ({limits.hint})" if limits.hint else message)])


def load_document(path: str | FsPath, limits: Limits = PLAN) -> Document:
    """The one way canary-tui reads a YAML or JSON file: stat, read, cut sample lists out, parse."""
    return parse_bytes(read_bytes(path, limits), str(path), limits)


def parse_bytes(data: bytes, file: str, limits: Limits = PLAN) -> Document:
    """Parse JSON when the file name or the text says JSON, YAML otherwise, within ``limits``."""
    json_form = file.endswith(".json") or data.lstrip()[:1] in (b"{", b"[")
    if limits.sample_lists:
        try:
            cut = extract(data, json_form, limits.max_samples, limits.max_total_samples)
        except TooMany as e:
            each = e.count <= limits.max_total_samples
            what = (
                f"a sample list holds over {limits.max_samples}"
                if each
                else f"the sample lists hold over {limits.max_total_samples}"
            )
            raise InputError([Problem(file, None, None, f"{what} samples ({limits.hint})")]) from None
        if cut.arrays:
            try:
                return _with_samples(_parse(cut.text, file, limits, json_form), cut)
            except _PlaceholderInString:
                pass  # a list inside a quoted string or a block scalar: read the file the ordinary way
    return _parse(data, file, limits, json_form)


def _parse(data: bytes, file: str, limits: Limits, json_form: bool) -> Document:
    most = (
        max(limits.max_structure, FIXTURE_JSON_STRUCTURE) if json_form and limits.sample_lists else limits.max_structure
    )
    if len(data) > most:
        outside = " outside its sample lists" if limits.sample_lists else ""
        hint = " (write samples as one-line lists, as `record` does" + (", or use JSON)" if not json_form else ")")
        raise InputError(
            [
                Problem(
                    file,
                    None,
                    None,
                    f"holds {_size(len(data))}{outside}: a {limits.what} may hold at most {_size(most)}{outside}"
                    + (hint if limits.sample_lists else f" ({limits.hint})"),
                )
            ]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise InputError([Problem(file, None, line, f"not UTF-8 text ({e.reason})")]) from None
    if json_form:
        return parse_json(text, file, limits)
    return parse_yaml(text, file, limits)


def parse_text(text: str, file: str, limits: Limits = PLAN) -> Document:
    """Parse JSON when the file name or the text says JSON, YAML otherwise."""
    if limits.sample_lists:
        return parse_bytes(text.encode("utf-8"), file, limits)
    stripped = text.lstrip()
    if file.endswith(".json") or stripped.startswith(("{", "[")):
        return parse_json(text, file, limits)
    return parse_yaml(text, file, limits)


# --------------------------------------------------------------------------- JSON


def parse_json(text: str, file: str, limits: Limits = PLAN, *, duplicates: bool = False) -> Document:
    """Parse JSON; duplicate keys are refused unless ``duplicates`` (a document canary-tui wrote
    itself, read again and again: the check costs time); lines are not tracked (JSON is for big
    recordings). Nesting deeper than ``limits.max_depth`` is refused, a RecursionError never escapes."""
    if len(text) > limits.max_bytes:
        raise too_big(file, limits, len(text.encode("utf-8", "surrogatepass")))
    try:
        data = json.loads(text) if duplicates else _loads_unique(text)
    except _DuplicateKey as e:
        raise InputError([Problem(file, None, None, f"duplicate key {e.key!r}")]) from None
    except json.JSONDecodeError as e:
        raise InputError([Problem(file, None, e.lineno, f"not valid JSON: {e.msg} (column {e.colno})")]) from None
    except RecursionError:
        raise _too_deep(file, limits, None) from None
    if too_deep(text, data, limits.max_depth):
        raise _too_deep(file, limits, None)
    return Document(file, data)


def loads_bounded(text: str, max_depth: int = 64) -> Any:
    """``json.loads`` for outside JSON read again and again (a log line, a ConfigMap key): ValueError
    when it is not JSON or is nested deeper than ``max_depth``; never a RecursionError."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError(f"nested deeper than {max_depth} levels") from None
    if too_deep(text, data, max_depth):
        raise ValueError(f"nested deeper than {max_depth} levels")
    return data


def too_deep(text: str, data: Any, max_depth: int) -> bool:
    """Whether ``data`` (parsed from ``text``) nests deeper than ``max_depth``; counting the
    brackets (in C) first spares walking the data of the common small document."""
    if text.count("[") + text.count("{") <= max_depth:
        return False
    return _depth_over(data, max_depth)


def _loads_unique(text: str) -> Any:
    """``json.loads`` refusing a key given twice (``_DuplicateKey``)."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                raise _DuplicateKey(k)
            out[k] = v
        return out

    return json.loads(text, object_pairs_hook=pairs)


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _too_deep(file: str, limits: Limits, line: int | None) -> InputError:
    what = "flatten it" if limits is not STATE else "a state document is a few levels deep: is this the right file?"
    return InputError([Problem(file, None, line, f"nested deeper than {limits.max_depth} levels: {what}")])


def _depth_over(data: Any, max_depth: int) -> bool:
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth >= max_depth:
            return True
        stack.extend((v, depth + 1) for v in value if isinstance(v, (dict, list)))
    return False


# --------------------------------------------------------------------------- YAML

# YAML 1.1 allows these raw (tab, line breaks, printable Unicode); anything else stops the parser
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def parse_yaml(text: str, file: str, limits: Limits = PLAN) -> Document:
    """Parse one YAML document keeping key lines; refuse duplicate keys and multiple documents."""
    bad = _NOT_PRINTABLE.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        code = f"U+{ord(bad.group()):04X}"
        raise InputError(
            [
                Problem(
                    file,
                    None,
                    line,
                    f"control character {code} at column {column}: YAML does not allow it in a file; "
                    f"inside double quotes write it as \\u{ord(bad.group()):04x}",
                )
            ]
        )
    data, lines = build_yaml(text, file, max_depth=limits.max_depth, max_alias_nodes=limits.max_alias_nodes)
    return Document(file, data, lines)


# --------------------------------------------------------------------------- sample lists


class _PlaceholderInString(Exception):
    pass


def _with_samples(doc: Document, cut: Extracted) -> Document:
    """Put each extracted list back where its placeholder stands: a SampleArray for a series side
    (``series.<gate>.canary|stable``, and a counts gate's ``series.<gate>.<side>.errors|requests``),
    a plain list of numbers anywhere else."""
    prefix = cut.prefix
    n = len(prefix)
    stack: list[tuple[Any, Path]] = [(doc.data, ())]
    while stack:
        value, path = stack.pop()
        keys: Any
        if isinstance(value, dict):
            keys = list(value)
        elif isinstance(value, list):
            keys = range(len(value))
        else:
            continue
        for k in keys:
            v = value[k]
            if isinstance(v, str):
                if v.startswith(prefix) and v[n:].isdigit() and int(v[n:]) < len(cut.arrays):
                    samples = cut.arrays[int(v[n:])]
                    side = (len(path) == 2 and path[0] == "series" and k in ("canary", "stable")) or (
                        len(path) == 3
                        and path[0] == "series"
                        and path[2] in ("canary", "stable")
                        and k in ("errors", "requests")
                    )
                    value[k] = samples if side else list(samples)
                elif prefix in v:
                    raise _PlaceholderInString
            elif isinstance(v, (dict, list)):
                stack.append((v, (*path, k)))
    return doc


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
