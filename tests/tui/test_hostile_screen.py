"""The control room's channel (issue 15): outside text holding every class of control character is
drawn with each one shown escaped (``\\x1b``, ``\\u202e``), nothing raw reaches the terminal, and the
layout keeps its widths."""

from __future__ import annotations

import json
from pathlib import Path

from rich.cells import cell_len
from tui_helpers import run, screen_text

HERE = Path(__file__).resolve().parent
CONTROLS = (
    "\x00\x07\x08\x0b\x0c\x0e\x1b\x1f\x7f\x80\x85\x9b\x9f"
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u200b\u200c\u200d\u2060\u2062\ufeff\u2028\u2029\ufff9"
)
RAW = "".join(sorted(set(CONTROLS) | {"\r"}))
WIDTH, HEIGHT = 160, 50


def hostile_fixture(path: Path) -> Path:
    text = f"\x1b]0;pwned\x07{CONTROLS}"
    plan = {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "CanaryPlan",
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {
            "service": f"checkout{text}",
            "stable": {"version": "v1"},
            "canary": {"version": "v2"},
            "interval": "1m",
            "phases": [
                {"name": "canary", "weight": 5, "duration": "5m"},
                {"name": "full", "weight": 100, "duration": "0s"},
            ],
            "gates": [
                {"name": "error_rate", "query": 'e{v="{{version}}"}', "failAbove": 0.05, "unit": f"%{text}"},
                {"name": "latency", "query": 'l{v="{{version}}"}', "failAbove": 2.0},
            ],
        },
    }
    doc = {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "MetricFixture",
        "metadata": {"name": "hostile-screen"},
        "plan": plan,
        "start": "2026-02-19T05:33:00Z",
        "step": "1m",
        "series": {
            "error_rate": {"canary": [0.001] * 6, "stable": [0.001] * 6},
            "latency": {"canary": [None] * 6, "stable": [0.1] * 6},
        },
        "pods": [
            {"at": "0s", "items": [{"name": f"pod{text}", "version": "v2", "phase": f"Run{text}", "ready": True}]}
        ],
        "actions": [{"at": "1m", "action": "hold", "actor": f"mallory{text}"}],
    }
    path.write_text(json.dumps(doc))
    return path


def test_every_control_character_is_shown_escaped_and_widths_hold(room, tmp_path):
    r = room(fixture=hostile_fixture(tmp_path / "hostile.json"), mode="demo")

    async def scenario():
        async with r.app.run_test(size=(WIDTH, HEIGHT)) as pilot:
            await r.step_to(pilot, 2)  # the hold by the hostile actor applies at 1m
            await r.until(pilot, lambda: r.app.model.state.held)
            text = screen_text(r.app)
            raw = sorted({f"U+{ord(c):04X}" for c in text if c in RAW})
            assert not raw, (raw, [line for line in text.splitlines() if "\x1b" in line])
            assert "pod\\x1b]0;pwned\\x07\\x00\\x07" in text  # the pod table, shown escaped
            assert "mallory\\x1b]0;pwn" in text  # the events list, cut to its column
            lines = text.splitlines()
            assert len(lines) == HEIGHT
            assert {cell_len(line) for line in lines} == {WIDTH}, [cell_len(line) for line in lines]
            svg = r.app.export_screenshot()
            assert not any(c in svg for c in RAW)

    run(scenario())
