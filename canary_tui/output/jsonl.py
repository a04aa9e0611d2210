"""JSON Lines output: the contract's events on a stream, and the append-only audit log file."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from .. import __version__
from ..core.durations import format_time
from ..core.events import Evaluated, Event, to_line
from ..sanitize import json_line_safe


class JsonLinesSink:
    """Writes each event as one line, so a pipeline sees it at once: phases, actions, decisions and
    the result are flushed as they are written; evaluations within ``LATENCY`` (a replay writes
    thousands a second, and a flush per line was a write(2) per line), by a flusher thread."""

    LATENCY = 0.05  # seconds an evaluation line may wait in the buffer

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._lock = threading.Lock()
        self._dirty = False
        self._flusher: threading.Thread | None = None

    def emit(self, event: Event) -> None:
        line = json_line_safe(to_line(event)) + "\n"
        with self._lock:
            self.stream.write(line)
            if isinstance(event, Evaluated):
                self._dirty = True
                if self._flusher is None:
                    self._flusher = threading.Thread(target=self._flush_soon, name="jsonl-flush", daemon=True)
                    self._flusher.start()
                return
            self._dirty = False
            self.stream.flush()

    def _flush_soon(self) -> None:
        tick = threading.Event()
        while not tick.wait(self.LATENCY):
            with self._lock:
                if not self._dirty:
                    continue
                self._dirty = False
                try:
                    self.stream.flush()
                except (OSError, ValueError):  # the reader went away, or the stream closed: the run says so
                    return


def default_log_dir() -> Path:
    """``$XDG_STATE_HOME/canary-tui`` or ``~/.local/state/canary-tui``."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "canary-tui"


def default_log_path(plan_name: str, mode: str) -> Path:
    return default_log_dir() / f"{plan_name}-{mode}.jsonl"


class AuditLog:
    """Appends every event of a run to a file, each line written and flushed as it happens.

    Each line is a contract event plus ``run`` (this run's id); the first line of a run is a
    ``start`` record naming the mode, plan, actor and version, with the plan itself
    (``planDocument``) so a report made later shows the plan that ran. Decisions, actions, phases and the
    result are also fsynced, so they survive a machine crash, not only a killed process.
    """

    def __init__(
        self,
        path: Path,
        *,
        mode: str,
        plan_name: str,
        actor: str,
        source: str | None,
        plan_document: dict[str, Any] | None = None,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.run = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + os.urandom(3).hex()
        # unbuffered: each line is one write(2) of its own, so a killed process loses nothing
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        # a FIFO, /dev/null or a terminal takes lines but cannot be fsynced (EINVAL): sync files only
        import stat

        self._sync = stat.S_ISREG(os.fstat(self._fd).st_mode)
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
                "planDocument": plan_document,
            },
            sync=True,
        )

    def emit(self, event: Event) -> None:
        # ``to_line(event, extra)``, with the encoded ``run`` kept rather than encoded again for every line
        line = to_line(event)
        os.write(self._fd, (json_line_safe(line[:-1] + self._suffix) + "\n").encode())
        if self._sync and not isinstance(event, Evaluated):
            os.fsync(self._fd)

    def _write(self, data: dict[str, Any], sync: bool) -> None:
        import json

        data["run"] = self.run
        self._extra = {"run": self.run}
        self._suffix = "," + json.dumps(self._extra, ensure_ascii=False, separators=(",", ":"))[1:-1] + "}"
        os.write(self._fd, (json.dumps(data, separators=(",", ":")) + "\n").encode())  # ASCII: \u escapes
        if sync and self._sync:
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
