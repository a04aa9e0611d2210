"""YAML events to plain data without recursion: key lines kept, depth and alias expansion bounded."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import InputError, Problem

Path = tuple[str | int, ...]

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.SafeLoader

_MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_CONSTRUCTORS = yaml.SafeLoader.yaml_constructors
_NO_KEY = object()


@dataclass
class _Frame:
    """A collection being built: its data, its path, and for a mapping the key waiting for a value."""

    data: Any
    path: Path
    anchor: str | None
    first_line: int  # index into the builder's line list where this collection's lines start
    nodes: int  # the builder's node count when this collection started
    key: Any = _NO_KEY
    key_line: int = 0
    key_ok: bool = True
    merges: list[tuple[Any, int]] = field(default_factory=list)
    merging: bool = False


class YamlBuilder:
    """Builds one YAML document from the parser's events (SafeLoader semantics), refusing duplicate
    keys, nesting deeper than ``max_depth`` and aliases that would expand to more than
    ``max_alias_nodes`` nodes, each before the cost is paid."""

    def __init__(self, file: str, *, max_depth: int, max_alias_nodes: int) -> None:
        self.file = file
        self.max_depth = max_depth
        self.max_alias_nodes = max_alias_nodes
        self.lines: dict[Path, int] = {}
        self._order: list[Path] = []
        self.problems: list[Problem] = []
        self._ctor = yaml.SafeLoader("")
        self._anchors: dict[str, tuple[Any, list[tuple[Path, int]], int]] = {}
        self._nodes = 0
        self._expanded = 0
        self._root: Any = None

    def build(self, text: str) -> Any:
        loader = _Loader(text)
        try:
            return self._run(loader)
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line = mark.line + 1 if mark is not None else None
            what = e.problem or e.context or "syntax error"
            column = f" (column {mark.column + 1})" if mark is not None else ""
            raise InputError([Problem(self.file, None, line, f"not valid YAML: {what}{column}")]) from None
        except yaml.YAMLError as e:
            raise InputError([Problem(self.file, None, None, f"not valid YAML: {e}")]) from None
        finally:
            loader.dispose()

    # ------------------------------------------------------------------ the event loop

    def _run(self, loader: Any) -> Any:
        stack: list[_Frame] = []
        documents = 0
        while True:
            event: Any = loader.get_event()
            if isinstance(event, yaml.ScalarEvent):
                self._add(stack, self._scalar(event, stack), event)
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                line = _line(event)
                if len(stack) >= self.max_depth:
                    raise InputError(
                        [Problem(self.file, None, line, f"nested deeper than {self.max_depth} levels: flatten it")]
                    )
                path = self._child_path(stack)
                self._note(path, line)
                self._nodes += 1
                data: Any = [] if isinstance(event, yaml.SequenceStartEvent) else {}
                stack.append(_Frame(data, path, event.anchor, len(self._order), self._nodes))
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                frame = stack.pop()
                value = self._finish_mapping(frame) if isinstance(frame.data, dict) else frame.data
                if frame.anchor is not None:
                    self._remember(frame.anchor, value, frame)
                if not stack:
                    self._root = value
                else:
                    self._attach(stack, value, _line(event))
            elif isinstance(event, yaml.AliasEvent):
                self._alias(stack, event)
            elif isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    line = _line(event)
                    raise InputError(
                        [Problem(self.file, None, line, "not valid YAML: more than one document (one --- at most)")]
                    )
            elif isinstance(event, yaml.StreamEndEvent):
                return self._root

    def _child_path(self, stack: list[_Frame]) -> Path:
        if not stack:
            return ()
        top = stack[-1]
        if isinstance(top.data, list):
            return (*top.path, len(top.data))
        if top.key is _NO_KEY or top.merging or not top.key_ok:
            return top.path  # a key that is a collection, or a merge: no path of its own
        return (*top.path, top.key)

    def _note(self, path: Path, line: int) -> None:
        if path not in self.lines:
            self.lines[path] = line
            self._order.append(path)

    def _scalar(self, event: Any, stack: list[_Frame]) -> Any:
        self._nodes += 1
        tag = event.tag
        if tag is None or tag == "!":
            tag = self._ctor.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        line = _line(event)
        if tag == _TIMESTAMP:
            value: Any = event.value  # keep timestamps as the text the user wrote
        elif tag == _MERGE:
            value = _MERGE_KEY
        else:
            construct = _CONSTRUCTORS.get(tag)
            if construct is None:
                where = _render(self._child_path(stack))
                self.problems.append(Problem(self.file, where, line, f"unsupported YAML tag {tag!r}"))
                value = None
            else:
                try:
                    value = construct(self._ctor, node)
                except (yaml.YAMLError, ValueError, TypeError) as e:
                    self.problems.append(Problem(self.file, _render(self._child_path(stack)), line, str(e)))
                    value = None
        if event.anchor is not None:
            self._anchors[event.anchor] = (value, [], 1)
        return value

    def _add(self, stack: list[_Frame], value: Any, event: Any) -> None:
        line = _line(event)
        if not stack:  # a document that is one scalar
            self._note((), line)
            self._root = value
            return
        top = stack[-1]
        if isinstance(top.data, dict) and top.key is _NO_KEY:
            self._take_key(top, value, event, line)
            return
        path = self._child_path(stack)
        self._note(path, line)
        self._attach(stack, value, line)

    def _take_key(self, top: _Frame, value: Any, event: Any, line: int) -> None:
        top.key_line = line
        top.key_ok = True
        top.merging = value is _MERGE_KEY
        if top.merging:
            top.key = _MERGE
            return
        key = value
        if not isinstance(key, str):
            if isinstance(key, (int, float, bool)) or key is None:
                key = str(getattr(event, "value", key))
            else:
                self.problems.append(Problem(self.file, _render(top.path), line, "keys must be plain strings"))
                top.key_ok = False
        top.key = key
        if top.key_ok and key in top.data:
            first = self.lines.get((*top.path, key))
            where = f" (first at line {first})" if first else ""
            self.problems.append(Problem(self.file, _render((*top.path, key)), line, f"duplicate key{where}"))
            top.key_ok = False
        if top.key_ok:
            path = (*top.path, key)
            if path not in self.lines:
                self._order.append(path)
            self.lines[path] = line

    def _attach(self, stack: list[_Frame], value: Any, line: int) -> None:
        top = stack[-1]
        if isinstance(top.data, list):
            top.data.append(value)
            return
        if top.key is _NO_KEY:  # a collection used as a key
            self.problems.append(Problem(self.file, _render(top.path), line, "keys must be plain strings"))
            top.key, top.key_ok = "", False
            return
        if top.merging:
            top.merges.append((value, top.key_line))
        elif top.key_ok:
            top.data[top.key] = value
        top.key, top.merging = _NO_KEY, False

    def _finish_mapping(self, frame: _Frame) -> dict[str, Any]:
        """Apply ``<<`` merge keys the way SafeLoader does: explicit keys win, then earlier sources."""
        if not frame.merges:
            return dict(frame.data)
        out: dict[str, Any] = {}
        for value, line in frame.merges:
            sources = value if isinstance(value, list) else [value]
            for src in sources:
                if not isinstance(src, dict):
                    self.problems.append(
                        Problem(
                            self.file, _render(frame.path), line, "a merge key (<<) takes a mapping or a list of them"
                        )
                    )
                    continue
                for k, v in src.items():
                    if k not in out:
                        out[k] = v
                        self._note((*frame.path, k), line)
        for k in frame.data:
            out.pop(k, None)
        out.update(frame.data)
        return out

    # ------------------------------------------------------------------ anchors and aliases

    def _remember(self, anchor: str, value: Any, frame: _Frame) -> None:
        n = len(frame.path)
        rel = [(p[n:], self.lines[p]) for p in self._order[frame.first_line :]]
        self._anchors[anchor] = (value, rel, self._nodes - frame.nodes + 1)

    def _alias(self, stack: list[_Frame], event: Any) -> None:
        line = _line(event)
        known = self._anchors.get(event.anchor)
        if known is None:
            raise InputError([Problem(self.file, None, line, f"not valid YAML: unknown alias {event.anchor!r}")])
        value, rel, size = known
        if isinstance(value, (list, dict)):
            self._expanded += size
            if self._expanded > self.max_alias_nodes:
                raise InputError(
                    [
                        Problem(
                            self.file,
                            None,
                            line,
                            f"YAML aliases expand to more than {self.max_alias_nodes} values "
                            "(an alias bomb?): write the values out, or use fewer aliases",
                        )
                    ]
                )
            value = copy.deepcopy(value)
        self._nodes += size
        if not stack:
            self._root = value
            return
        top = stack[-1]
        if isinstance(top.data, dict) and top.key is _NO_KEY:
            self._take_key(top, value, event, line)
            return
        path = self._child_path(stack)
        self._note(path, line)
        if not (isinstance(top.data, dict) and top.merging):
            for sub, sub_line in rel:
                self._note((*path, *sub), sub_line)
        self._attach(stack, value, line)


class _MergeKey:
    def __repr__(self) -> str:
        return "<<"


_MERGE_KEY = _MergeKey()


def _line(event: Any) -> int:
    return int(event.start_mark.line) + 1


def _render(path: Path) -> str:
    from .source import render_path

    return render_path(path)


def build_yaml(text: str, file: str, *, max_depth: int, max_alias_nodes: int) -> tuple[Any, dict[Path, int]]:
    """The data of the one document in ``text`` and the line of each key path; InputError on the
    first limit passed or syntax error, or with every value problem found."""
    b = YamlBuilder(file, max_depth=max_depth, max_alias_nodes=max_alias_nodes)
    data = b.build(text)
    if b.problems:
        raise InputError(b.problems)
    return data, b.lines
