"""A day at 1-second resolution (86,400 evaluations, 8 gates): the report stays under 2 MB, its charts
are downsampled for drawing only, and one-second spikes, the counts and the decisions all survive."""

from __future__ import annotations

import re
import statistics
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reporthelp import CANARY_RGB, colours, near, page_errors, run_cli, screenshot

from canary_tui.core.codec import plan_to_dict
from canary_tui.core.events import Decided, Evaluated, Finished, PhaseEntered, to_line
from canary_tui.core.gates import GateResult, Status
from canary_tui.core.planfile import parse_plan
from canary_tui.core.source import Document

GATES = [
    "error_rate",
    "latency_p99",
    "latency_p95",
    "latency_p50",
    "cpu_usage",
    "memory_usage",
    "cache_hit_ratio",
    "db",
]
START = datetime(2026, 1, 1, tzinfo=UTC)
SPIKE, FAIL, GAP = 7 * 3600 + 17, 15 * 3600 + 3, 20 * 3600 + 41  # seconds from the start


def day_plan() -> dict:
    gates = []
    for g in GATES:
        gate: dict = {"name": g, "query": f"{g}{{version='{{{{version}}}}'}}"}
        gate.update(failBelow=0.8, warnBelow=0.9) if g == "cache_hit_ratio" else gate.update(
            failAbove=2.0, warnAbove=1.5
        )
        gates.append(gate)
    doc = {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "CanaryPlan",
        "metadata": {"name": "day"},
        "spec": {
            "service": "day",
            "stable": {"version": "v1"},
            "canary": {"version": "v2"},
            "interval": "1s",
            "phases": [
                {"name": "canary", "weight": 5, "duration": "12h"},
                {"name": "expansion", "weight": 25, "duration": "6h"},
                {"name": "majority", "weight": 50, "duration": "6h"},
                {"name": "full", "weight": 100, "duration": "0s"},
            ],
            "gates": gates,
        },
    }
    return plan_to_dict(parse_plan(Document("day.yaml", doc)))


def write_day_log(path: Path) -> int:
    """The log a day-long run at 1 s writes, built with the core's own events and encoder: a 1.9
    latency spike for one second (warn), one failing error rate (fail, no rollback), one gap."""
    import json

    run = {"run": "day-run"}
    start = {"type": "start", "at": "2026-01-02T00:00:00Z", "mode": "replay", "plan": "day", "source": None}
    start.update(actor="bench@host", version="0", pid=1, planDocument=day_plan(), **run)
    lines = [json.dumps(start, separators=(",", ":"))]
    phases = [("canary", 5, 0), ("expansion", 25, 12 * 3600), ("majority", 50, 18 * 3600), ("full", 100, 24 * 3600)]
    index, n = 0, 0
    for k in range(24 * 3600 + 1):
        at = START + timedelta(seconds=k)
        if index < len(phases) and k == phases[index][2]:
            name, weight, _ = phases[index]
            if index:
                before = phases[index - 1][0]
                lines.append(to_line(Decided(at, "promote", before, f"{before} soaked; gates pass"), run))
            lines.append(to_line(PhaseEntered(at, name, index, weight), run))
            index += 1
        results = []
        for i, g in enumerate(GATES):
            base = 0.94 if g == "cache_hit_ratio" else 0.5
            canary, stable = base + ((k * 7 + i) % 13) / 1300, base + ((k * 5 + i) % 11) / 1100
            status, reason = Status.PASS, ""
            if g == "latency_p99" and k == SPIKE:
                canary, status, reason = 1.9, Status.WARN, "latency_p99 1.9 > 1.5 (warn)"
            if g == "error_rate" and k == FAIL:
                canary, status, reason = 2.5, Status.FAIL, "error_rate 2.5 > 2.0"
            if g == "cache_hit_ratio" and k == GAP:
                canary, status, reason = None, Status.NODATA, "empty result"
            results.append(GateResult(g, status, canary, stable, reason))
        score = 100.0 if all(r.status is Status.PASS for r in results) else 93.75
        lines.append(to_line(Evaluated(at, phases[index - 1][0], score, tuple(results), index - 1), run))
        n += 1
    end = START + timedelta(hours=24)
    lines.append(to_line(Decided(end, "promote", "full", "full soaked 0s"), run))
    lines.append(to_line(Finished("Promoted", "full", end, end - START, "full soaked 0s"), run))
    path.write_text("\n".join(lines) + "\n")
    return n


def figure(page: str, gate: str) -> str:
    return page.split(f'id="gate-{gate}"', 1)[1].split("</figure>", 1)[0]


def ys(path_d: str) -> list[float]:
    return [float(y) for y in re.findall(r"[ML]\d+(?:\.\d+)? (\d+(?:\.\d+)?)", path_d)]


def test_a_day_at_one_second_is_under_2_mb_and_keeps_its_spikes(tmp_path: Path) -> None:
    log = tmp_path / "day.jsonl"
    assert write_day_log(log) == 86_401
    out = tmp_path / "day.html"
    r = run_cli("report", log, "-o", out)
    assert r.returncode == 0, r.stderr
    size = out.stat().st_size
    assert size < 2_000_000, f"{size:,} bytes"
    page = out.read_text()

    # the counts are of every evaluation, not of the drawing
    rows = {m.group(1): m.group(2) for m in re.finditer(r"<tr><td><b>(\w+)</b></td>(.*?)</tr>", page)}
    nums = {g: re.findall(r"<td class=num>([^<]*)</td>", rows[g]) for g in GATES}
    assert nums["error_rate"][:4] == ["86,400", "0", "1", "0"]  # pass, warn, fail, nodata
    assert nums["latency_p99"][:4] == ["86,400", "1", "0", "0"] and nums["latency_p99"][5] == "1.9"
    assert nums["cache_hit_ratio"][:4] == ["86,400", "0", "0", "1"]
    # every decision, with its reason
    assert page.count('<span class="k promote">promote</span>') == 4 and "entered majority" in page

    # the one-second spike is drawn: the canary line of latency_p99 reaches far above its median
    d = re.search(r'<path class="lc" d="([^"]+)"', figure(page, "latency_p99")).group(1)
    heights = ys(d)
    assert len(heights) < 2 * 900 + 10  # downsampled for drawing: about two points per pixel column
    assert min(heights) < statistics.median(heights) - 60
    # and the strips mark the single warn, fail and gap
    assert 'class="sw"' in figure(page, "latency_p99")
    assert 'class="sf"' in figure(page, "error_rate")
    assert 'class="sn"' in figure(page, "cache_hit_ratio")

    png = tmp_path / "day.png"
    shot = screenshot(out, png, tmp_path / "profile")
    assert shot.returncode == 0 and page_errors(shot.stderr) == []
    distinct, table = colours(png)
    assert distinct > 500 and near(table, CANARY_RGB) > 300


def test_the_markdown_of_a_day_is_small_and_still_marks_the_spikes(tmp_path: Path) -> None:
    log = tmp_path / "day.jsonl"
    write_day_log(log)
    r = run_cli("report", log, "-o", "-", "--format", "md")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.encode()) < 100_000
    block = r.stdout.split("```text", 1)[1].split("```", 1)[0].splitlines()
    rows = {}
    current = ""
    for line in block:
        name = line.split()[0] if line and not line.startswith(" ") else ""
        current = name or current
        rows.setdefault(current, []).append(line)
    statuses = {g: next(x for x in rows[g] if "status" in x) for g in ("error_rate", "latency_p99", "cache_hit_ratio")}
    assert statuses["error_rate"].count("F") == 1
    assert statuses["latency_p99"].count("w") == 1
    assert statuses["cache_hit_ratio"].count("n") == 1
    spark = next(x for x in rows["latency_p99"] if "canary" in x).split("canary", 1)[1].strip()
    assert "█" in spark  # the spike is the top of its row
