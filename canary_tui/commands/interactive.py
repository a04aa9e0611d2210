"""Opening the control room on a controller (the Textual app lives in ``canary_tui.tui``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..controller import Controller
    from ..core.fixture import Fixture


def run_tui(
    controller: Controller,
    *,
    mode: str,
    actor: str,
    fixture: Fixture | None = None,
    on_exit: Callable[[], None] | None = None,
) -> int:
    """Run ``controller`` behind the control room until the operator quits; return the exit code
    of the outcome (3 when quit before one). ``mode``: demo, replay, run, dry-run."""
    from ..errors import InputError

    raise InputError("the interactive control room is not built yet: add --headless")
