"""What a report is made from: the runs of a log, the plan it records (or not), a state file, bad input."""

from __future__ import annotations

import json
from pathlib import Path

from reporthelp import FIXTURES, ROOT, read_log, replay_log, run_cli

from canary_tui.core.codec import plan_to_dict
from canary_tui.core.fixture import load_fixture


def test_the_last_run_by_default_and_any_run_by_id(tmp_path: Path) -> None:
    log = tmp_path / "two.jsonl"
    replay_log(FIXTURES / "healthy-promotion.yaml", log, tmp_path)
    replay_log(FIXTURES / "operator-rollback.yaml", log, tmp_path)
    runs = [e["run"] for e in read_log(log) if e["type"] == "start"]
    assert len(runs) == 2

    last = run_cli("report", log, "-o", "-", "--format", "md")
    assert last.returncode == 0 and "**RolledBack**" in last.stdout and "Promoted" not in last.stdout.split("##")[0]
    first = run_cli("report", log, "-o", "-", "--format", "md", "--run", runs[0])
    assert first.returncode == 0 and "**Promoted**" in first.stdout and "rolled back by" not in first.stdout

    listed = run_cli("report", log, "--list-runs")
    assert listed.returncode == 0 and [line.split()[0] for line in listed.stdout.splitlines()] == runs

    unknown = run_cli("report", log, "-o", "-", "--run", "nope")
    assert unknown.returncode == 2 and "no run 'nope'" in unknown.stderr and runs[-1] in unknown.stderr
    assert "Traceback" not in unknown.stderr


def with_start(log: Path, out: Path, **changes: object) -> Path:
    lines = []
    for line in log.read_text().splitlines():
        e = json.loads(line)
        if e["type"] == "start":
            e.update(changes)
        lines.append(json.dumps(e, separators=(",", ":")))
    out.write_text("\n".join(lines) + "\n")
    return out


def test_the_plan_recorded_in_the_log_is_the_one_shown(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    replay_log(FIXTURES / "error-spike-at-25.yaml", log, tmp_path)
    plan = plan_to_dict(load_fixture(FIXTURES / "error-spike-at-25.yaml").plan)
    recorded = with_start(log, tmp_path / "b.jsonl", planDocument=plan, source="/nowhere/gone.yaml")
    text = run_cli("report", recorded, "-o", "-", "--format", "md").stdout
    assert "recorded in the audit log" in text
    assert "expansion: fail &gt; 0.1" in text  # the phase override, from the recorded plan
    assert "```yaml" in text and "maxRatioToStable" not in text.split("```yaml")[1].split("canary_restarts")[0]


def test_without_the_plan_the_source_file_is_read_and_said_so(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    replay_log(FIXTURES / "hold-resume.yaml", log, tmp_path)
    older = with_start(log, tmp_path / "b.jsonl", planDocument=None)  # as logs written before planDocument
    r = run_cli("report", older, "-o", "-", "--format", "md")
    assert f"loaded from {FIXTURES / 'hold-resume.yaml'} as that file is now" in r.stdout
    assert "fail &gt; 1.5 x stable" in r.stdout


def test_with_neither_the_events_still_tell_phases_and_gates(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    replay_log(FIXTURES / "error-spike-at-25.yaml", log, tmp_path)
    bare = with_start(log, tmp_path / "b.jsonl", source="/nowhere/gone.yaml", planDocument=None)
    out = tmp_path / "r.html"
    r = run_cli("report", bare, "-o", out)
    assert r.returncode == 0, r.stderr
    page = out.read_text()
    assert "its source file /nowhere/gone.yaml is not there any more" in page
    assert "not known (the plan is not available)" in page
    assert "entered expansion" in page and 'id="gate-error_rate"' in page and "<b>RolledBack</b>" in page


def test_a_killed_run_cut_mid_line_still_gives_a_report(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    replay_log(FIXTURES / "healthy-promotion.yaml", log, tmp_path)
    lines = log.read_text().splitlines()
    cut = [line for line in lines if '"type":"result"' not in line]
    log.write_text("\n".join(cut[:-1]) + "\n" + cut[-1][: len(cut[-1]) // 2])
    r = run_cli("report", log, "-o", "-", "--format", "md")
    assert r.returncode == 0, r.stderr
    assert "**Unfinished**" in r.stdout
    assert "1 line of the log could not be read and was left out" in r.stdout
    assert "no result line" in r.stdout


def test_a_state_file_gives_the_summary_without_charts(tmp_path: Path) -> None:
    from canary_tui.commands.replay import build
    from canary_tui.statefile import DocumentBuilder, StateFileStore

    fixture = load_fixture(FIXTURES / "hold-resume.yaml")
    controller = build(fixture, None, [])
    state = tmp_path / "state.json"
    controller.store = StateFileStore(state, DocumentBuilder(fixture.plan, mode="replay"))
    controller.run()

    out = tmp_path / "r.html"
    r = run_cli("report", state, "-o", out)
    assert r.returncode == 0, r.stderr
    page = out.read_text()
    assert "<b>Promoted</b>" in page and "no evaluation history" in page
    assert "hold by alice@laptop" in page and "resume by alice@laptop" in page
    assert "entered full" in page and 'id="last"' in page and "0 fails, 0 nodata in a row" in page
    assert 'id="gate-' not in page  # no charts: nothing to draw them from
    md = run_cli("report", state, "-o", "-", "--format", "md").stdout
    assert "No charts: a state file keeps no evaluation history." in md
    wrong = run_cli("report", state, "-o", "-", "--run", "x")
    assert wrong.returncode == 2 and "--run applies to an audit log" in wrong.stderr


def test_bad_input_is_one_clear_message(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("hello\nworld\n")
    for source, want in (
        (tmp_path / "missing.jsonl", "no such file"),
        (tmp_path, "is a directory"),
        (garbage, "not an audit log of canary-tui"),
        (ROOT / "pyproject.toml", "not an audit log of canary-tui"),
    ):
        r = run_cli("report", source, "-o", tmp_path / "out.html")
        assert r.returncode == 2, (source, r.stderr)
        assert want in r.stderr and "Traceback" not in r.stderr
    missing_o = run_cli("report", garbage)
    assert missing_o.returncode == 2 and "-o PATH is required" in missing_o.stderr
    log = tmp_path / "a.jsonl"
    replay_log(FIXTURES / "incomplete.yaml", log, tmp_path)
    unwritable = run_cli("report", log, "-o", tmp_path / "garbage.txt" / "r.html")
    assert unwritable.returncode == 2 and "cannot write the report" in unwritable.stderr
