"""JSON Lines output: the contract's events on a stream, and the append-only audit log file."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from .. import __version__
from ..core.durations import format_time
from ..core.events import Evaluated, Event, to_line


class JsonLinesSink:
    """Writes each event as one line and flushes it, so a pipeline sees it at once."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def emit(self, event: Event) -> None:
        self.stream.write(to_line(event) + "\n")
        self.stream.flush()


def default_log_dir() -> Path:
    """``$XDG_STATE_HOME/canary-tui`` or ``~/.local/state/canary-tui``."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "canary-tui"


def default_log_path(plan_name: str, mode: str) -> Path:
    return default_log_dir() / f"{plan_name}-{mode}.jsonl"


class AuditLog:
    """Appends every event of a run to a file, each line written and flushed as it happens.

    Each line is a contract event plus ``run`` (this run's id); the first line of a run is a
    ``start`` record naming the mode, plan, actor and version. Decisions, actions, phases and the
    result are also fsynced, so they survive a machine crash, not only a killed process.
    """

    def __init__(self, path: Path, *, mode: str, plan_name: str, actor: str, source: str | None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.run = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the run
        self._write(
            {
                "type": "start",
                "at": format_time(datetime.now(UTC)),
                "mode": mode,
                "plan": plan_name,
                "source": source,
                "actor": actor,
                "version": __version__,
                "pid": os.getpid(),
            },
            sync=True,
        )

    def emit(self, event: Event) -> None:
        line = to_line(event, {"run": self.run})
        self._file.write(line + "\n")
        self._file.flush()
        if not isinstance(event, Evaluated):
            os.fsync(self._file.fileno())

    def _write(self, data: dict[str, Any], sync: bool) -> None:
        import json

        data["run"] = self.run
        self._file.write(json.dumps(data, separators=(",", ":")) + "\n")
        self._file.flush()
        if sync:
            os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()
