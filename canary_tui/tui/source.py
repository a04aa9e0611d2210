"""What the control room needs from what it shows: a controller, or watch's follower. Typing only.

The app runs ``run()`` in a thread worker, registers a listener that is called with each ``Snapshot``,
reads ``clock.now()`` on its tick and calls ``stop()`` when it closes. Steering (``submit``) and the
replay clock's controls exist only on a ``Controller``; watch's follower has neither, so in watch mode
there is nothing a key could send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..controller import Snapshot
    from ..core.model import Plan
    from ..ports import Clock


class RoomSource(Protocol):
    @property
    def plan(self) -> Plan: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def listeners(self) -> list[Callable[[Snapshot], None]]: ...

    def run(self) -> object: ...

    def stop(self, reason: str = ...) -> None: ...


@dataclass(frozen=True)
class RunLog:
    """Where this run logs: its audit log and its run id in it (the report key writes from them)."""

    path: Path
    run: str | None

    def report_path(self) -> Path:
        """Where the report key writes: ``reports/<log name>-<run>.html`` next to the audit log."""
        return self.path.parent / "reports" / f"{self.path.stem}-{self.run or 'last'}.html"


def run_log_of(source: object) -> RunLog | None:
    """The audit log among a controller's sinks (``Outputs`` puts it first); None for watch's follower."""
    from ..output.jsonl import AuditLog

    for sink in getattr(source, "sinks", ()):
        if isinstance(sink, AuditLog):
            return RunLog(sink.path, sink.run)
    return None
