"""``--report PATH`` on demo and replay writes the report of the run that just ended; and the drawing's
downsampling keeps what a reader must see."""

from __future__ import annotations

import math
from pathlib import Path

from reporthelp import FIXTURES, read_log, replay_log, run_cli

from canary_tui.report.downsample import bucket_of, envelope, worst_runs


def test_replay_writes_the_report_of_this_run_not_an_earlier_one(tmp_path: Path) -> None:
    log = tmp_path / "shared.jsonl"
    replay_log(FIXTURES / "healthy-promotion.yaml", log, tmp_path)  # an earlier run in the same log
    out = tmp_path / "reports" / "r.html"
    r = replay_log(FIXTURES / "error-spike-at-25.yaml", log, tmp_path, "--report", out, "--check")
    assert r.returncode == 0, r.stdout + r.stderr  # --check still decides the exit code
    assert f"report written to {out}" in r.stderr
    page = out.read_text()
    this_run = [e["run"] for e in read_log(log) if e["type"] == "start"][-1]
    assert this_run in page and "<b>RolledBack</b>" in page and "Promoted in full" not in page


def test_demo_writes_markdown_when_the_path_says_md(tmp_path: Path) -> None:
    out = tmp_path / "demo.md"
    r = run_cli(
        "demo", "--headless", "--scenario", "error-spike", "--report", out, env={"XDG_STATE_HOME": str(tmp_path)}
    )
    assert r.returncode == 1, r.stderr
    text = out.read_text()
    assert text.startswith("# Release report: checkout") and "**RolledBack**" in text


def test_a_report_that_cannot_be_written_does_not_change_the_outcome(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    r = replay_log(FIXTURES / "healthy-promotion.yaml", tmp_path / "a.jsonl", tmp_path, "--report", blocker / "r.html")
    assert r.returncode == 0
    assert "report not written" in r.stderr and "Traceback" not in r.stderr


def test_envelope_keeps_each_columns_min_and_max_in_order_and_breaks_at_gaps() -> None:
    times = list(range(10))
    values = [1.0, 9.0, 2.0, 3.0, math.nan, math.nan, 5.0, math.inf, 0.5, 4.0]
    cols = bucket_of(times, 0, 9, 4)  # 10 points into 4 columns
    assert cols == [0, 0, 1, 1, 1, 2, 2, 2, 3, 3]
    segments, up, down = envelope(cols, values)
    assert segments == [[(0, 1.0), (0, 9.0), (1, 2.0), (1, 3.0), (2, 5.0), (3, 0.5), (3, 4.0)]]
    assert up == [2] and down == []
    gap = envelope([0, 1, 2], [1.0, math.nan, 2.0])[0]
    assert gap == [[(0, 1.0)], [(2, 2.0)]]


def test_a_single_spike_among_thousands_survives_downsampling() -> None:
    n = 86_400
    values = [0.5] * n
    values[40_000] = 9.0
    cols = bucket_of(range(n), 0, n - 1, 900)
    segments, _, _ = envelope(cols, values)
    points = [p for seg in segments for p in seg]
    assert len(points) <= 2 * 900 and max(v for _, v in points) == 9.0


def test_status_runs_mark_the_worst_per_column_and_cover_an_evaluations_width() -> None:
    # 3 evaluations over 9 columns: each covers 3; a fail beats a warn in the same column
    assert worst_runs([0, 3, 6], bytes([0, 2, 0])) == [(3, 5, 2)]
    assert worst_runs([0, 0, 1], bytes([1, 2, 3])) == [(0, 0, 2), (1, 1, 3)]


def test_reports_and_notifications_load_no_ui_cluster_or_prometheus_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import canary_tui.report.html, canary_tui.report.markdown, canary_tui.report.load\n"
        "import canary_tui.notify, canary_tui.notify.webhook, canary_tui.commands.report\n"
        "heavy = ('textual', 'rich', 'kubernetes', 'prometheus_api_client', 'requests', 'plotext', 'urllib3')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
