"""The fast JSON Lines path writes exactly what the JSON encoder would, and a pipeline still sees it soon."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from canary_tui.core.events import Evaluated, Finished, _encoder, to_line
from canary_tui.core.gates import GateResult, Status

from .conftest import ROOT

values = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**6), max_value=10**6),
)
times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
) | st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone(timedelta(hours=2)))
)


@settings(max_examples=300, deadline=None)
@given(
    at=times,
    canary=values,
    stable=values,
    status=st.sampled_from([Status.PASS, Status.WARN, Status.FAIL, Status.NODATA]),
    score=st.floats(min_value=0, max_value=100),
)
def test_an_evaluation_line_is_the_encoders_text(at, canary, stable, status, score) -> None:
    reason = "" if status is Status.PASS else 'error_rate "0.12" > 0.10 \u202e'
    results = (
        GateResult("error_rate", status, canary, stable, reason, 1, 0),
        GateResult("p99", Status.PASS, 0.5, 0.25, ""),
    )
    e = Evaluated(at, "canary", score, results)
    want = e.to_json()
    assert to_line(e) == _encoder.encode(want)
    with_run = json.loads(to_line(e, {"run": "r1"}))
    assert with_run["run"] == "r1" and list(with_run)[-1] == "run"
    assert to_line(e) == _encoder.encode(want)  # the remembered line is not changed by an extra


def test_the_remembered_line_belongs_to_its_event() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    a = Finished("Promoted", "full", at, timedelta(hours=1), "a")
    b = Finished("Promoted", "full", at, timedelta(hours=1), "b")
    assert json.loads(to_line(a))["reason"] == "a"
    assert json.loads(to_line(b))["reason"] == "b"
    assert json.loads(to_line(a))["reason"] == "a"


def test_a_pipeline_sees_evaluation_lines_while_the_run_waits(tmp_path, state_home) -> None:
    # a paced demo: the controller sleeps between evaluations; each line must still arrive promptly
    env = {**os.environ, "XDG_STATE_HOME": str(state_home)}
    argv = [sys.executable, "-m", "canary_tui", "demo", "--headless", "--json", "--speed", "20"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        assert proc.stdout is not None
        arrivals = []
        for line in proc.stdout:
            event = json.loads(line)
            if event["type"] == "evaluation":
                arrivals.append((time.monotonic(), datetime.fromisoformat(event["at"])))
            if len(arrivals) == 4:
                break
    finally:
        proc.kill()
        proc.wait()
    # 20x: evaluations of the demo's interval arrive spread out, not in one burst at the end
    (r0, v0), (r3, v3) = arrivals[0], arrivals[3]
    expected = (v3 - v0).total_seconds() / 20
    assert abs((r3 - r0) - expected) < 0.25 + 0.1 * expected
