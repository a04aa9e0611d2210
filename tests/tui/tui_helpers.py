"""Helpers of the control room's tests (a module of its own: other test folders have a conftest too)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from canary_tui.controller import Controller
from canary_tui.output.jsonl import AuditLog
from canary_tui.tui.app import ControlRoom

DATA = Path(__file__).resolve().parent / "data"
ACTOR = "alice@laptop"
MODES = ("demo", "replay", "run", "dry-run", "watch")
STEERING_MODES = ("demo", "replay", "run")
READ_ONLY_MODES = ("dry-run", "watch")


@dataclass
class Room:
    """An app, its controller and its audit log, for one test."""

    app: ControlRoom
    controller: Controller
    audit: AuditLog
    log: Path

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The audit log's lines (the real file), optionally only one ``type``."""
        lines = [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]
        return [e for e in lines if kind is None or e["type"] == kind]

    @property
    def evaluations(self) -> int:
        state = self.app.model.state
        return state.evaluations if state is not None else 0

    async def until(self, pilot: Any, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Let the app run until ``condition`` holds (the controller works on its own thread)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {condition}")
            await pilot.pause(0.01)

    async def step_to(self, pilot: Any, evaluations: int) -> None:
        """With the clock paused, step evaluation by evaluation until ``evaluations`` were applied."""
        # the evaluation at t0 comes without a step; a step asked for before it would be kept
        # by the clock and spent on the next one
        await self.until(pilot, lambda: self.evaluations >= 1)
        while self.evaluations < evaluations:
            before = self.evaluations
            self.controller.clock.step()  # type: ignore[attr-defined]
            self.controller.poke()
            await self.until(pilot, lambda before=before: self.evaluations > before)
        await pilot.pause()


def run(coro: Any) -> Any:
    """Run a Pilot scenario (no pytest-asyncio needed)."""
    return asyncio.run(coro)


def screen_text(app: ControlRoom) -> str:
    """What the terminal shows right now, as plain text (one line per row)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())
