"""One sanitizing rule per output channel (issue 15), each tried with a string holding every class of
control character (``CONTROLS``: C0, DEL, C1, bidi, zero-width, separators) and an escape sequence
(``EVIL``), in every outside string the channel shows:

- terminal text (error messages, the headless timeline, ``check``'s summary): shown escaped (``\\x1b``,
  ``\\u202e``), nothing removed, nothing raw;
- JSON Lines on stdout and the audit log: ``\\u`` escapes, valid JSON giving back the original;
- Markdown and HTML reports: nothing raw, and markup escaped.

The TUI is tried in tests/tui/test_hostile_screen.py."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from canary_tui.sanitize import clean, json_line_safe, visible

from .hostile_help import CONTROLS, EVIL, assert_clean_exit, fixture, plan, raw_in, run_cli, write_json

HOSTILE = f"{EVIL}{CONTROLS}<b>*x*</b>|`y`[z](javascript:alert(1))"
NAME_SAFE = CONTROLS.replace("\x00", "")  # a file name cannot hold NUL


def hostile_plan() -> dict:
    doc = plan(service=f"checkout{HOSTILE}")
    spec = doc["spec"]
    spec["stable"] = {"version": "v1", "subset": f"v1{HOSTILE}"}
    spec["canary"] = {"version": "v2", "subset": f"v2{HOSTILE}"}
    spec["traffic"] = {"router": "istio", "virtualService": f"vs{HOSTILE}"}
    spec["metrics"] = {"provider": "prometheus", "address": f"http://prometheus:9090/{HOSTILE}"}
    spec["gates"][1]["unit"] = f"s{HOSTILE}"
    return doc


def hostile_fixture() -> dict:
    doc = fixture(hostile_plan(), n=6)
    doc["plan"]["spec"]["traffic"] = {"router": "simulated"}  # replay needs no cluster
    doc["plan"]["spec"]["metrics"] = {"provider": "simulated"}
    doc["actions"] = [{"at": "1m", "action": "hold", "actor": f"mallory{HOSTILE}"}, {"at": "2m", "action": "resume"}]
    doc["series"]["latency"]["canary"] = [0.1, None, None, None, None, 0.1]  # nodata: a reason in the timeline
    return doc


def assert_shown_escaped(text: str) -> None:
    assert not raw_in(text), raw_in(text)
    for shown in ("\\x1b]0;pwned\\x07", "\\x00", "\\x7f", "\\x9b", "\\u202e", "\\u200b", "\\u2028", "\\ufeff"):
        assert shown in text, shown


# --------------------------------------------------------------------------- the rules themselves


def test_visible_escapes_every_class_and_keeps_the_rest() -> None:
    shown = visible(f"a{CONTROLS}b\tc")
    assert not raw_in(shown)
    assert shown.startswith("a\\x00\\x07\\x08\\x0b\\x0c\\x0d\\x0e\\x1b\\x1f\\x7f\\x80\\x85\\x9b\\x9f\\u061c")
    assert shown.endswith("\\u2028\\u2029\\ufff9b\tc")
    assert visible("line\nbreak") == "line\\nbreak" and visible("line\nbreak", lines=True) == "line\nbreak"
    assert visible("plain ünïcödé ✓") == "plain ünïcödé ✓"


def test_clean_is_one_line_cut_to_its_width_never_inside_an_escape() -> None:
    assert clean(f"a\t\nb{EVIL}") == "a b\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m\\u202e\\x9b2J"
    for width in range(1, 40):
        cut = clean("ab" + "\u202e" * 10, width)
        assert len(cut) <= width and not raw_in(cut)
        assert cut.endswith("…") and "\\u202e" * ((width - 3) // 6) in cut
        assert not cut.rstrip("…").endswith(("\\", "\\u", "\\u2", "\\u20", "\\u202"))


def test_json_line_safe_escapes_and_round_trips() -> None:
    doc = {"actor": HOSTILE, HOSTILE: [HOSTILE]}
    line = json_line_safe(json.dumps(doc, ensure_ascii=False))
    assert not raw_in(line)
    assert json.loads(line) == doc


# --------------------------------------------------------------------------- terminal text


def test_error_messages_show_every_control_character_escaped(tmp_path: Path) -> None:
    r = run_cli("check", "--offline", tmp_path / f"plan{NAME_SAFE}.yaml")
    assert r.rc == 2 and len(r.err_lines) == 1, r.describe()
    assert not raw_in(r.err) and "\\x1b\\x1f\\x7f\\x80\\x85\\x9b\\x9f\\u061c" in r.err, r.describe()
    doc = plan()
    doc["spec"][f"x{HOSTILE}"] = 1  # an unknown key: the message shows it whole
    r = run_cli("check", "--offline", write_json(tmp_path / "plan.json", doc))
    assert r.rc == 2 and len(r.err_lines) == 1, r.describe()
    assert_shown_escaped(r.err)


def test_checks_summary_shows_plan_values_escaped(tmp_path: Path) -> None:
    r = run_cli("check", "--offline", write_json(tmp_path / "plan.json", hostile_plan()))
    assert_clean_exit(r, (0,))
    assert_shown_escaped(r.out)
    for where in ("release  checkout\\x1b", "subset v1\\x1b", "subset v2\\x1b", "VirtualService vs\\x1b", "9090/\\x1b"):
        assert where in r.out, where
    assert "warn > 0.01" in r.out and "fail > 2 s\\x1b]0;pwned" in r.out


def test_a_line_break_in_a_plan_value_cannot_fake_a_line_of_checks_summary(tmp_path: Path) -> None:
    doc = plan(service="checkout\n  ok  prometheus: all good")
    r = run_cli("check", "--offline", write_json(tmp_path / "plan.json", doc))
    assert_clean_exit(r, (0,))
    assert "release  checkout\\n  ok  prometheus: all good" in r.out
    assert not any(line.startswith("  ok  prometheus") for line in r.out.splitlines())


def test_the_timeline_shows_outside_text_escaped(tmp_path: Path) -> None:
    fix = write_json(tmp_path / "fix.json", hostile_fixture())
    r = run_cli("replay", "--headless", "--verbose", "--log", os.devnull, fix)
    assert_clean_exit(r, (0, 1, 3))
    assert_shown_escaped(r.out)
    assert "hold by mallory\\x1b]0;pwned" in r.out


def test_the_timeline_keeps_its_own_colours_and_escapes_the_rest(tmp_path: Path) -> None:
    """On a terminal the evaluation line is coloured by canary-tui; a reason from outside is not."""
    import io

    from canary_tui.core.events import Evaluated
    from canary_tui.core.gates import GateResult, Status
    from canary_tui.core.planfile import load_plan
    from canary_tui.output.timeline import TimelineSink

    doc = plan()
    file = write_json(tmp_path / "plan.json", doc)
    p = load_plan(file)
    out = io.StringIO()
    sink = TimelineSink(out, p, verbose=True, color=True)
    from datetime import UTC, datetime

    result = GateResult("latency", Status.NODATA, None, None, f"Prometheus said {EVIL}")
    sink.emit(Evaluated(datetime(2026, 1, 1, tzinfo=UTC), "canary", 50.0, (result,), 0, ()))
    line = out.getvalue()
    assert "\x1b[35mNODATA\x1b[0m" in line  # ours
    assert "(Prometheus said \\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m\\u202e\\x9b2J)" in line  # theirs
    assert line.count("\x1b") == line.count("\x1b[") == 2  # the status colour (on and off), nothing else


# --------------------------------------------------------------------------- JSON Lines and the audit log


def test_json_lines_and_the_audit_log_escape_and_round_trip(tmp_path: Path) -> None:
    fix = write_json(tmp_path / "fix.json", hostile_fixture())
    log = tmp_path / "audit.jsonl"
    r = run_cli("replay", "--json", "--log", log, fix)
    assert_clean_exit(r, (0, 1, 3))
    for name, text in (("stdout", r.out), ("audit log", log.read_text(encoding="utf-8"))):
        assert not raw_in(text), (name, raw_in(text))
        lines = [json.loads(line) for line in text.splitlines()]  # every line is valid JSON
        actions = [e for e in lines if e["type"] == "action" and e["action"] == "hold"]
        assert actions and actions[0]["actor"] == f"mallory{HOSTILE}", name  # the original, escapes undone
    start = json.loads(log.read_text().splitlines()[0])
    spec = start["planDocument"]["spec"]
    assert spec["service"] == f"checkout{HOSTILE}" and spec["gates"][1]["unit"] == f"s{HOSTILE}"


# --------------------------------------------------------------------------- reports


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_reports_escape_control_characters_and_markup(tmp_path: Path, fmt: str) -> None:
    fix = write_json(tmp_path / "fix.json", hostile_fixture())
    log = tmp_path / "audit.jsonl"
    assert_clean_exit(run_cli("replay", "--headless", "--log", log, fix), (0, 1, 3))
    r = run_cli("report", log, "-o", "-", "--format", fmt)
    assert_clean_exit(r, (0,))
    assert not raw_in(r.out), raw_in(r.out)
    shown = r.out.replace("\\\\", "\\")  # Markdown doubles a backslash
    assert "\\x1b" in shown and "\\u202e" in shown and "\\x9b" in shown and "pwned" in shown
    if fmt == "md":
        outside = re.sub(r"(?ms)^(`{3,})\w*\n.*?^\1$", "", r.out)  # code blocks show text as it is
        assert "<b>" not in outside and "](javascript" not in outside
        assert "&lt;b&gt;\\*x\\*&lt;/b&gt;" in outside and "\\[z\\]\\(javascript:alert\\(1\\)\\)" in outside
    else:
        assert "<b>*x*</b>" not in r.out and "&lt;b&gt;*x*&lt;/b&gt;" in r.out
    assert "fail &gt; 2 s\\x1b" in shown  # the gate's unit, once raw in both formats


def test_list_runs_shows_outside_text_escaped(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_text(
        json.dumps({"type": "start", "run": f"r1{EVIL}", "at": "x", "mode": "replay", "plan": HOSTILE}) + "\n"
    )
    r = run_cli("report", log, "--list-runs")
    assert_clean_exit(r, (0,))
    assert "r1\\x1b]0;pwned" in r.out
