"""Property-based hostile input (issue 15): random YAML/JSON documents, mutations of valid plans and
fixtures, and strings holding every control character, given to ``check`` and ``replay``. Whatever
they are, the command ends with an exit code of 0-3, never an exception (a traceback for a user), and
prints nothing raw. Run in this process (each example takes milliseconds); the examples are
derandomized, so CI sees the same ones every time."""

from __future__ import annotations

import atexit
import copy
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .hostile_help import CONTROLS, EVIL, check_args, fixture, plan, raw_in, replay_args, run_in_process

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
WORK = Path(tempfile.mkdtemp(prefix="canary-tui-props-"))  # one folder for all examples (tmp_path is per test)
atexit.register(shutil.rmtree, WORK, True)

# text with every control character class among ordinary characters
hostile_text = st.text(
    alphabet=st.sampled_from(list(CONTROLS) + list("ab_-:. 5m0s{}[]\"'\\&*!|>#") + ["ü", "✓"]), max_size=40
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | hostile_text
    | st.sampled_from(["99999999999999999999h", "2562047h", "0s", "1ns", "-1m", "5m", "null", "+Inf", "NaN", EVIL])
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=6)
        | st.dictionaries(hostile_text | st.sampled_from(list(plan()["spec"])), inner, max_size=6)
    ),
    max_leaves=40,
)


def outcome(args: tuple[str, ...]) -> None:
    rc, out = run_in_process(*args)
    assert rc in (0, 1, 2, 3), (rc, out[-500:])
    assert "Traceback" not in out, out[-2000:]
    assert not raw_in(out), (raw_in(out), out[-800:])


def write(doc: Any, form: str, name: str) -> Path:
    path = WORK / f"{name}.{form}"
    if form == "json":
        try:
            path.write_text(json.dumps(doc, allow_nan=True))
        except (ValueError, RecursionError):
            path.write_text("{}")
    else:
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    return path


# --------------------------------------------------------------------------- random documents


@SETTINGS
@given(
    doc=documents, form=st.sampled_from(["json", "yaml"]), kind=st.sampled_from(["CanaryPlan", "MetricFixture", None])
)
def test_any_document_gets_a_clean_answer(doc: Any, form: str, kind: str | None) -> None:
    if kind is not None and isinstance(doc, dict):
        doc = {"apiVersion": "canary-tui/v1alpha1", "kind": kind, **doc}
    path = write(doc, form, "random")
    outcome(check_args(path))
    outcome(replay_args(path))


# --------------------------------------------------------------------------- mutations of valid documents


def paths_of(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths_of(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += paths_of(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in paths_of(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        op = draw(st.sampled_from(["replace", "delete", "add"]))
        if op == "delete":
            del parent[path[-1]]
        elif op == "replace":
            parent[path[-1]] = draw(documents)
        elif isinstance(parent, dict):
            parent[draw(hostile_text)] = draw(scalars)
        else:
            parent.insert(path[-1], draw(documents))
    return doc


@SETTINGS
@given(doc=mutated(plan()), form=st.sampled_from(["json", "yaml"]))
def test_a_mutated_plan_gets_a_clean_answer(doc: dict[str, Any], form: str) -> None:
    outcome(check_args(write(doc, form, "plan")))


@SETTINGS
@given(doc=mutated(fixture(n=6)), form=st.sampled_from(["json", "yaml"]))
def test_a_mutated_fixture_gets_a_clean_answer(doc: dict[str, Any], form: str) -> None:
    outcome(replay_args(write(doc, form, "fixture")))


# --------------------------------------------------------------------------- control characters in every string


STRING_PATHS = [
    ("metadata", "name"),
    ("spec", "service"),
    ("spec", "interval"),
    ("spec", "stable", "version"),
    ("spec", "canary", "version"),
    ("spec", "phases", 0, "name"),
    ("spec", "phases", 0, "duration"),
    ("spec", "gates", 0, "name"),
    ("spec", "gates", 0, "query"),
    ("spec", "gates", 1, "unit"),
]


@SETTINGS
@given(where=st.sampled_from(STRING_PATHS), text=hostile_text, form=st.sampled_from(["json", "yaml"]))
def test_control_characters_in_any_plan_string_never_reach_the_terminal(
    where: tuple[Any, ...], text: str, form: str
) -> None:
    doc = plan()
    parent: Any = doc
    for part in where[:-1]:
        parent = parent[part]
    parent[where[-1]] = f"{parent[where[-1]]}{text}"
    outcome(check_args(write(doc, form, "ctl-plan")))
    outcome(replay_args(write(fixture(doc, n=6), form, "ctl-fixture")))


@SETTINGS
@given(key=hostile_text, actor=hostile_text)
def test_control_characters_in_fixture_keys_and_actors_never_reach_the_terminal(key: str, actor: str) -> None:
    doc = fixture(n=6)
    doc["series"][key or "x"] = {"canary": [0.1] * 6}
    doc["actions"] = [{"at": "1m", "action": "hold", "actor": actor}]
    outcome(replay_args(write(doc, "json", "ctl-keys")))
    doc["series"].pop(key or "x")
    outcome(("replay", "--headless", "--verbose", "--log", "/dev/null", str(write(doc, "yaml", "ctl-actor"))))
