"""Everything in a log is outside input: a report shows it as text, never as markup or a link."""

from __future__ import annotations

import json
from pathlib import Path

from reporthelp import EXTERNAL, FIXTURES, replay_log, run_cli

from canary_tui.core.codec import plan_to_dict
from canary_tui.core.fixture import load_fixture

EVIL = '<script>alert(1)</script>"><img src=x onerror=alert(2)>[x](https://evil.example/)\x1b[31m|`'


def poisoned_log(tmp_path: Path) -> Path:
    """A real run's log with hostile text in every place a person or a system can put some: the
    actor, reasons, error messages, gate and phase names, the plan document."""
    log = tmp_path / "real.jsonl"
    replay_log(FIXTURES / "hold-resume.yaml", log, tmp_path / "state")
    plan = plan_to_dict(load_fixture(FIXTURES / "hold-resume.yaml").plan)
    plan["metadata"]["name"] = "shop" + EVIL
    plan["spec"]["gates"][0]["query"] = "sum(x)" + EVIL
    out = []
    for line in log.read_text().splitlines():
        e = json.loads(line)
        if e["type"] == "start":
            e["planDocument"] = plan
            e["actor"] = "mallory" + EVIL
        if e["type"] == "action":
            e["actor"] = "mallory" + EVIL
        if e["type"] in ("decision", "result"):
            e["reason"] = "because" + EVIL
        if e["type"] in ("phase", "evaluation", "decision", "result") and e.get("phase") == "expansion":
            e["phase"] = "expansion" + EVIL
        if e["type"] == "evaluation":
            e["gates"] = {("error_rate" + EVIL if k == "error_rate" else k): v for k, v in e["gates"].items()}
            for g in e["gates"].values():
                g["reason"] = "why" + EVIL
        out.append(json.dumps(e))
        if e["type"] == "phase":
            out.append(json.dumps({"type": "error", "at": e["at"], "message": "oops" + EVIL, "run": e["run"]}))
    poisoned = tmp_path / "poisoned.jsonl"
    poisoned.write_text("\n".join(out) + "\n")
    return poisoned


def test_html_report_escapes_every_outside_text(tmp_path: Path) -> None:
    log = poisoned_log(tmp_path)
    out = tmp_path / "r.html"
    r = run_cli("report", log, "-o", out)
    assert r.returncode == 0, r.stderr
    page = out.read_text()
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert EXTERNAL.search(page) is None
    assert "\x1b" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("mallory&lt;script&gt;") >= 3  # the start line's actor, and both actions
    assert "because&lt;script&gt;" in page and "oops&lt;script&gt;" in page and "why&lt;script&gt;" in page
    assert "expansion&lt;script&gt;" in page and "error_rate&lt;script&gt;" in page
    assert "sum(x)&lt;script&gt;" in page  # the plan document


def test_markdown_report_makes_outside_text_inert(tmp_path: Path) -> None:
    log = poisoned_log(tmp_path)
    r = run_cli("report", log, "-o", "-", "--format", "md")
    assert r.returncode == 0, r.stderr
    text = r.stdout
    outside_code = "".join(part for i, part in enumerate(text.split("```")) if i % 2 == 0)
    assert "<script" not in outside_code and "<img" not in outside_code
    assert "](https://evil" not in outside_code  # no link: the brackets are escaped
    assert "\x1b" not in text
    assert "mallory&lt;script&gt;" in text
    # a table cell cannot be split by a | in the text
    for line in outside_code.splitlines():
        if line.startswith("| ") and "mallory" in line:
            assert "\\|" in line


WEIRD = [None, True, 0, -1, 1e308, -1e308, "x", "", [], {}, [1, 2], {"a": None}, "+Inf", "NaN", 3.5, {"status": []}]


def mutated(value: object, rng) -> object:  # type: ignore[no-untyped-def]
    """``value`` with about one field in twelve, at any depth, replaced by something of another type."""
    if isinstance(value, dict):
        return {k: rng.choice(WEIRD) if rng.random() < 0.08 else mutated(v, rng) for k, v in value.items()}
    if isinstance(value, list):
        return [mutated(v, rng) for v in value]
    return value


def test_a_log_or_state_file_with_garbage_in_any_field_never_crashes_the_report(tmp_path: Path) -> None:
    import contextlib
    import random

    from canary_tui.commands.replay import build
    from canary_tui.errors import InputError
    from canary_tui.report import render_report
    from canary_tui.statefile import DocumentBuilder, StateFileStore

    fixture = FIXTURES / "hold-resume.yaml"
    log = tmp_path / "real.jsonl"
    replay_log(fixture, log, tmp_path / "state")
    plan = plan_to_dict(load_fixture(fixture).plan)
    events = [json.loads(line) for line in log.read_text().splitlines()]
    events[0]["planDocument"] = plan
    controller = build(load_fixture(fixture), None, [])
    state = tmp_path / "state.json"
    controller.store = StateFileStore(state, DocumentBuilder(load_fixture(fixture).plan, mode="replay"))
    controller.run()
    doc = json.loads(state.read_text())

    rng = random.Random(7)
    bad = tmp_path / "bad.jsonl"
    bad_state = tmp_path / "bad.json"
    for _ in range(40):
        bad.write_text("\n".join(json.dumps(mutated(e, rng)) for e in events) + "\n")
        bad_state.write_text(json.dumps(mutated(doc, rng)))
        for source in (bad, bad_state):
            for fmt in ("html", "md"):
                with contextlib.suppress(InputError):  # a clear message naming the file is fine
                    render_report(source, fmt)
