"""A report of every fixture's run renders in headless Chromium, shows its charts, and holds
every gate, phase and decision of the run, with nothing loaded from outside."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from reporthelp import (
    CANARY_RGB,
    EXTERNAL,
    FIXTURE_FILES,
    STABLE_RGB,
    colours,
    near,
    page_errors,
    read_log,
    run_cli,
    screenshot,
)

NAMES = [f.stem for f in FIXTURE_FILES] + ["demo-error-spike", "demo-smoke-failure"]


@pytest.mark.parametrize("name", NAMES)
def test_report_of_each_run_renders_with_its_charts(name: str, logs: dict[str, Path], tmp_path: Path) -> None:
    log = logs[name]
    out = tmp_path / f"{name}.html"
    r = run_cli("report", log, "-o", out)
    assert r.returncode == 0, r.stderr
    page = out.read_text()
    events = read_log(log)

    # nothing from outside, and nothing that runs
    assert EXTERNAL.search(page) is None, EXTERNAL.search(page)

    # every gate, every phase entered, every decision with its reason, and the outcome
    evaluations = [e for e in events if e["type"] == "evaluation"]
    gates = {g for e in evaluations for g in e["gates"]}
    assert gates, "the run evaluated no gate"
    for gate in gates:
        assert f"<b>{gate}</b>" in page and f'id="gate-{gate}"' in page
    for e in events:
        if e["type"] == "phase":
            assert f"entered {html.escape(e['phase'])}" in page
        if e["type"] == "decision":
            assert f"{e['decision']} in {html.escape(e['phase'])}" in page
            assert html.escape(e["reason"]) in page
        if e["type"] == "action":
            assert html.escape(e["actor"]) in page
    result = next(e for e in events if e["type"] == "result")
    assert f"<b>{result['outcome']}</b>" in page
    assert page.count("<svg") >= len(gates) + 2  # a chart per gate, the health score, the phase bar

    # Chromium draws it: no complaint about the page, and the PNG shows the canary and stable lines
    png = tmp_path / f"{name}.png"
    shot = screenshot(out, png, tmp_path / "profile")
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert page_errors(shot.stderr) == []
    distinct, table = colours(png)
    assert distinct > 500, f"{distinct} colours: a blank or unstyled page"
    assert near(table, CANARY_RGB) > 300, "no canary line drawn"
    if any(e["gates"][g]["stable"] is not None for e in evaluations for g in e["gates"]):
        assert near(table, STABLE_RGB) > 300, "no stable line drawn"


def test_markdown_report_has_the_same_sections(logs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    r = run_cli("report", logs["error-spike-at-25"], "-o", out)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    for heading in ("# Release report:", "## Summary", "## Phases", "## Timeline", "## Gates", "## Operator actions"):
        assert heading in text
    assert "## The plan used" in text and "```yaml" in text and "failAbove: 0.1" in text
    assert "**RolledBack**" in text
    # the decision and its reason, Markdown-escaped
    assert "error\\_rate 0.1246 &gt; 0.1000 for 2 consecutive evaluations" in text
    # sparklines, with the failing evaluations marked in the status row
    block = text.split("```text", 1)[1].split("```", 1)[0]
    assert "error_rate" in block and any(c in block for c in "▁▂▃▄▅▆▇█")
    status = next(line for line in block.splitlines() if "status" in line and "F" in line)
    assert status.rstrip().endswith("F")


def test_format_option_and_standard_output(logs: dict[str, Path]) -> None:
    r = run_cli("report", logs["hold-resume"], "-o", "-", "--format", "md")
    assert r.returncode == 0 and r.stdout.startswith("# Release report: checkout")
    r = run_cli("report", logs["hold-resume"], "-o", "-")
    assert r.returncode == 0 and r.stdout.startswith("<!DOCTYPE html>")


def test_the_report_says_who_acted_and_when(logs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert run_cli("report", logs["hold-resume"], "-o", out).returncode == 0
    page = out.read_text()
    actions = page.split('id="actions"', 1)[1].split("</table>", 1)[0]
    assert actions.count("alice@laptop") == 2 and "hold" in actions and "resume" in actions
    assert 'class="held"' in page  # the hold drawn on the phase bar
    refused = tmp_path / "p.html"
    assert run_cli("report", logs["promote-refused"], "-o", refused).returncode == 0
    table = refused.read_text().split('id="actions"', 1)[1].split("</table>", 1)[0]
    assert "<td>no</td>" in table and "failing gate" in table
