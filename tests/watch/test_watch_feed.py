"""The state document as the watcher reads it: the state, every event once and in order, the plan it
carries, and outside text made safe."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from watch_helpers import demo_state

from canary_tui.core.events import ActionTaken, Decided, Evaluated, Finished, Notice, PhaseEntered
from canary_tui.errors import InputError
from canary_tui.statefile import RECENT, document_state, read_state_file
from canary_tui.watch.feed import DocumentFeed, plan_from_document
from canary_tui.watch.info import WatchInfo, freshness


@pytest.fixture(scope="module")
def ended(tmp_path_factory) -> Path:
    return demo_state(tmp_path_factory.mktemp("feed") / "state.json", "smoke-failure")


def test_the_document_carries_its_plan_and_the_recent_evaluations(ended):
    doc = read_state_file(ended)
    plan = plan_from_document(doc, str(ended))
    assert plan is not None and plan.name == "checkout" and [c.name for c in plan.checks] == ["smoke"]
    assert doc["recent"]["gates"] == [g.name for g in plan.gates]
    assert len(doc["recent"]["evaluations"]) == doc["state"]["evaluations"] == 24 <= RECENT
    assert doc["process"]["pid"] > 0 and doc["process"]["host"]
    # small enough for a ConfigMap written at every evaluation (docs/performance.md)
    assert len(json.dumps(doc)) < 40_000


def test_every_event_comes_once_in_the_controllers_order(ended):
    doc = read_state_file(ended)
    plan = plan_from_document(doc, str(ended))
    feed = DocumentFeed(plan)
    first = feed.take(doc, document_state(doc, plan))
    kinds = [type(e) for e in first.events]
    assert kinds[0] is PhaseEntered and kinds[1] is Evaluated and kinds[-1] is Finished
    assert kinds.count(Evaluated) == 24 and kinds.count(PhaseEntered) == 2
    # at the promotion: the evaluation, then the decision, then the phase it entered
    at_promotion = [type(e) for e in first.events if e.at == first.events[kinds.index(Decided)].at]
    assert at_promotion == [Evaluated, Decided, PhaseEntered]
    assert first.events[-1].outcome == "RolledBack" and first.state.outcome.value == "RolledBack"
    last = [e for e in first.events if isinstance(e, Evaluated)][-1]
    assert last is first.state.last and last.checks[0].fails == 2  # the last one whole, with its counts
    again = feed.take(doc, document_state(doc, plan))
    assert again.events == () and again.new_release is False


def test_only_what_is_new_since_the_last_document(tmp_path):
    path = demo_state(tmp_path / "mid.json", "healthy", evaluations=10)
    doc = read_state_file(path)
    plan = plan_from_document(doc, str(path))
    feed = DocumentFeed(plan)
    feed.take(doc, document_state(doc, plan))
    later = read_state_file(demo_state(tmp_path / "later.json", "healthy", evaluations=14))
    taken = feed.take(later, document_state(later, plan))
    evaluations = [e for e in taken.events if isinstance(e, Evaluated)]
    assert [e.at - evaluations[0].at for e in evaluations] == [timedelta(seconds=5 * i) for i in range(4)]
    assert [type(e) for e in taken.events].count(PhaseEntered) == 1  # canary -> expansion at 60s


def test_the_history_is_matched_on_its_overlap_when_its_start_is_cut():
    from canary_tui.watch.feed import _after_overlap

    assert _after_overlap([], ["a", "b"]) == ["a", "b"]
    assert _after_overlap(["a", "b", "c"], ["b", "c", "d"]) == ["d"]
    assert _after_overlap(["a", "b"], ["a", "b"]) == []
    assert _after_overlap(["a", "a"], ["a", "a", "a"]) == ["a"]
    assert _after_overlap(["x", "y"], ["p", "q"]) == ["p", "q"]  # more than the whole history in between


def test_outside_text_is_cleaned_and_phase_names_are_the_plans(ended):
    doc = read_state_file(ended)
    plan = plan_from_document(doc, str(ended))
    feed = DocumentFeed(plan)
    evil = "\x1b]0;pwned\x07\x1b[2J[@click=app.quit]"
    assert feed.event_from_json({"type": "action", "at": "2026-01-01T00:00:00Z", "action": "hold", "actor": evil,
                                 "accepted": True}).actor == "\\x1b]0;pwned\\x07\\x1b[2J[@click=app.quit]"  # fmt: skip
    phase = feed.event_from_json({"type": "phase", "at": "2026-01-01T00:00:00Z", "phase": evil, "index": 1})
    assert phase == PhaseEntered(phase.at, "expansion", 1, 25)
    assert feed.event_from_json({"type": "phase", "at": "2026-01-01T00:00:00Z", "index": 9}) is None
    assert feed.event_from_json({"type": "action", "at": "2026-01-01T00:00:00Z", "action": "delete"}) is None
    assert feed.event_from_json({"type": "decision", "at": "nope", "decision": "promote"}) is None
    notice = feed.event_from_json({"type": "error", "at": "2026-01-01T00:00:00Z", "message": "a\x1b[31mb"})
    assert notice == Notice(notice.at, "a\\x1b[31mb")  # shown, not obeyed
    assert isinstance(feed.event_from_json({"type": "action", "at": "2026-01-01T00:00:00Z", "action": "rollback",
                                            "actor": "bob"}), ActionTaken)  # fmt: skip


def test_a_plan_in_the_document_is_validated_like_a_plan_file(ended):
    doc = read_state_file(ended)
    doc["planDocument"]["spec"]["phases"][1]["weight"] = 3
    with pytest.raises(InputError) as e:
        plan_from_document(doc, "state.json")
    assert "spec.phases[1].weight" in str(e.value.problems[0])
    del doc["planDocument"]
    assert plan_from_document(doc, "state.json") is None


@pytest.mark.parametrize(
    ("info", "now", "stale"),
    [
        (dict(written_wall=100.0), 114.0, None),
        (dict(written_wall=100.0), 115.0, "the driver has not written for 15s (more than 3 intervals of 5s)"),
        (dict(written_wall=100.0, done=True), 1000.0, None),  # decided: nothing more to write
        (dict(written_wall=100.0, lease="the driver's lease expired"), 101.0, "the driver's lease expired"),
        (dict(written_wall=100.0, gone="the driver's process is gone"), 101.0, "the driver's process is gone"),
        (dict(waiting="no state yet"), 1000.0, None),
    ],
)
def test_the_state_is_stale_after_three_intervals_or_when_the_driver_is_gone(info, now, stale):
    fresh = freshness(WatchInfo("file s.json", 1.0, 5.0, **info), now)
    assert fresh.stale == stale and fresh.limit == 15.0
