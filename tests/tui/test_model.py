"""The control room's pure parts: the mode table, the mailbox, the bounded history, the view model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from tui_helpers import DATA

from canary_tui.controller import Snapshot
from canary_tui.core import rule
from canary_tui.core.events import Evaluated, Notice
from canary_tui.core.fixture import load_fixture
from canary_tui.core.gates import GateResult, Reading, Status
from canary_tui.core.model import Thresholds
from canary_tui.core.pods import Pod
from canary_tui.core.rule import Action, ActionKind
from canary_tui.tui.history import GateHistory, Point, Thinned
from canary_tui.tui.mailbox import Mailbox
from canary_tui.tui.model import PhaseState, RoomModel, Tone, levels, select_pods, short_duration
from canary_tui.tui.modes import KEYS, MODES, STEERING, TIME, Control, get_mode

T0 = datetime(2026, 2, 19, 5, 33, tzinfo=UTC)
PLAN = load_fixture(DATA / "spike.yaml").plan


def snapshot(state, events=(), pods=None, now=None):
    return Snapshot(
        plan=PLAN, mode="replay", now=now or T0, state=state, pods=pods, events=tuple(events), applied_weight=5
    )


def readings(error=0.001):
    return {
        "error_rate": Reading(error, 0.001),
        "latency_p99": Reading(0.2, 0.2),
        "cache_hit_ratio": Reading(0.95, 0.95),
        "canary_restarts": Reading(0.0),
    }


# ---------------------------------------------------------------------------- modes


def test_read_only_modes_allow_no_steering_and_say_why():
    for name in ("dry-run", "watch"):
        mode = get_mode(name)
        assert not any(mode.allows(c) for c in STEERING)
        assert all(mode.why_not(c) for c in STEERING)


def test_only_replay_has_time_controls_and_only_run_asks_before_quitting():
    assert [m for m in MODES if all(MODES[m].allows(c) for c in TIME)] == ["replay"]
    assert [m for m in MODES if MODES[m].confirm_quit] == ["run"]
    assert MODES["run"].badge == "LIVE"


def test_every_control_has_a_documented_key():
    assert {k.control for k in KEYS} == set(Control)


# ---------------------------------------------------------------------------- mailbox


def test_a_flood_of_snapshots_wakes_the_ui_once_and_keeps_every_event():
    box = Mailbox()
    state = rule.start(PLAN, T0).state
    wakes = [box.put(snapshot(state, [Notice(T0, f"n{i}")])) for i in range(1000)]
    assert wakes.count(True) == 1
    _, events, dropped = box.take()
    assert [e.message for e in events] == [f"n{i}" for i in range(1000)] and dropped == 0
    assert box.take() is None
    assert box.put(snapshot(state)) is True  # after a take, the next put wakes the UI again


def test_the_mailbox_is_bounded_and_counts_what_it_dropped():
    box = Mailbox(max_events=10)
    state = rule.start(PLAN, T0).state
    for i in range(25):
        box.put(snapshot(state, [Notice(T0, str(i))]))
    _, events, dropped = box.take()
    assert len(events) == 10 and dropped == 15 and events[-1].message == "24"


# ---------------------------------------------------------------------------- history


def point(i):
    return Point(T0 + timedelta(seconds=i), float(i), float(i), Status.PASS, 0)


def test_recent_history_is_a_ring_buffer():
    h = GateHistory(recent=5, whole=100)
    for i in range(50):
        h.append(point(i))
    assert [p.canary for p in h.recent] == [45.0, 46.0, 47.0, 48.0, 49.0]


def test_the_whole_run_stays_under_its_limit_and_spans_the_run():
    t = Thinned(limit=64)
    for i in range(86_400):  # a day at one evaluation per second
        t.append(point(i))
    kept = list(t)
    assert len(t) <= 64
    assert kept[0].canary == 0.0 and kept[-1].canary == 86_399.0
    gaps = {b.canary - a.canary for a, b in pairwise(kept[:-1])}
    assert len(gaps) == 1  # evenly spaced


def test_a_day_of_evaluations_keeps_the_model_small():
    model = RoomModel(PLAN, event_limit=50)
    state = rule.start(PLAN, T0).state
    for k in range(20_000):
        at = T0 + k * PLAN.interval
        step = rule.advance(
            state, PLAN, at, [Action(at, ActionKind.HOLD, "a")] if k == 0 else [], readings(0.02 if k % 2 else 0.001)
        )
        state = step.state
        model.apply(snapshot(state, step.events, now=at), step.events)
    assert all(len(h.recent) <= 120 and len(h.whole) <= 2048 for h in model.history.values())
    assert len(model.rows) == 50


# ---------------------------------------------------------------------------- the view model


def test_event_rows_name_the_actor_of_an_operator_decision():
    model = RoomModel(PLAN)
    start = rule.start(PLAN, T0)
    model.apply(snapshot(start.state, start.events), start.events)
    at = T0 + timedelta(minutes=1)
    step = rule.advance(start.state, PLAN, at, [Action(at, ActionKind.ROLLBACK, "bob@desk")])
    changes = model.apply(snapshot(step.state, step.events, now=at), step.events)
    assert [(r.kind, r.actor) for r in changes.rows] == [
        ("rollback", "bob@desk"),
        ("rollback", "bob@desk"),
        ("result", "bob@desk"),
    ]
    assert changes.decided
    assert model.waiting(at) == ("RolledBack: rolled back by bob@desk", Tone.BAD)
    rows = model.phase_rows(at)
    assert rows[0].state is PhaseState.ROLLED_BACK and rows[1].state is PhaseState.PENDING


def test_gate_status_changes_are_logged_and_steady_evaluations_are_not():
    model = RoomModel(PLAN)
    step = rule.start(PLAN, T0)
    model.apply(snapshot(step.state, step.events), step.events)
    logged = []
    for k, error in enumerate([0.001, 0.001, 0.03, 0.03, 0.001]):
        at = T0 + k * PLAN.interval
        step = rule.advance(step.state, PLAN, at, (), readings(error))
        logged.append([r.text for r in model.apply(snapshot(step.state, step.events, now=at), step.events).rows])
    assert logged[0] == ["first evaluation: health 100; every gate passes"]
    assert logged[1] == []
    assert logged[2][0].startswith("error_rate pass→warn")
    assert logged[3] == []
    assert logged[4] == ["error_rate warn→pass"]


def test_waiting_counts_down_in_whole_seconds_and_notices_a_slow_evaluation():
    model = RoomModel(PLAN)
    step = rule.start(PLAN, T0)
    step = rule.advance(step.state, PLAN, T0, (), readings())
    model.apply(snapshot(step.state, step.events), step.events)
    text, tone = model.waiting(T0 + timedelta(seconds=50, microseconds=779306))
    assert text == "promotes in 4m10s" and tone is Tone.GOOD
    text, tone = model.waiting(T0 + PLAN.interval + timedelta(seconds=12))
    assert text.startswith("evaluating for 12s") and tone is Tone.WARN


def test_progress_and_phase_rows_follow_the_clock():
    model = RoomModel(PLAN)
    step = rule.start(PLAN, T0)
    model.apply(snapshot(step.state, step.events), step.events)
    rows = model.phase_rows(T0 + timedelta(minutes=2))
    assert rows[0].state is PhaseState.CURRENT and rows[0].remaining == timedelta(minutes=3)
    assert abs(model.progress(T0 + timedelta(minutes=2)) - 2 / 15) < 1e-9


def test_pods_filter_on_name_version_or_phase_and_sort_with_missing_values_last():
    pods = [
        Pod("b-1", "v1", cpu=0.2),
        Pod("a-2", "v2", phase="CrashLoopBackOff", restarts=3),
        Pod("c-3", "v2", cpu=0.1),
    ]
    assert [p.name for p in select_pods(pods)] == ["a-2", "b-1", "c-3"]
    assert [p.name for p in select_pods(pods, "V2")] == ["a-2", "c-3"]
    assert [p.name for p in select_pods(pods, "crash")] == ["a-2"]
    assert [p.name for p in select_pods(pods, sort="cpu")] == ["c-3", "b-1", "a-2"]
    assert select_pods(pods, sort="restarts", reverse=True)[0].name == "a-2"
    assert select_pods(None) == []


def test_levels_and_durations_read_compactly():
    assert levels(Thresholds(fail_above=2.0, warn_above=0.5, max_ratio_to_stable=1.5), "s") == (">0.5s", ">2s >1.5×st")
    assert levels(Thresholds(fail_below=0.8)) == ("-", "<0.8")
    assert [short_duration(timedelta(seconds=s)) for s in (5, 250, 3900, 90_000)] == ["5s", "4m10s", "1h05m", "1d1h"]


def test_evaluated_results_feed_the_history_with_status():
    model = RoomModel(PLAN)
    result = GateResult("error_rate", Status.FAIL, 0.2, 0.001, "error_rate 0.2 > 0.05", 1, 0)
    event = Evaluated(T0, "canary", 50.0, (result,))
    step = rule.start(PLAN, T0)
    model.apply(snapshot(step.state, (event,)), (event,))
    assert list(model.history["error_rate"].recent) == [Point(T0, 0.2, 0.001, Status.FAIL, 0)]
