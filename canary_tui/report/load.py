"""Read one release back from an audit log (JSON Lines, several runs appended) or a state file."""

from __future__ import annotations

import math
import stat
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..core.source import LOG_LINE, STATE, Limits, loads_bounded, parse_json, too_big
from ..errors import InputError, Problem
from . import plan as plans
from .judges import judged
from .model import NAN, STATUS_CODE, GateSeries, LogEvent, Release

EVENT_KINDS = ("phase", "action", "decision", "error", "result")
_STATUS_DEFAULT = STATUS_CODE["nodata"]
PIPE_MAX = 512 << 20  # a log given as a pipe or a device (a file has no limit: it is read line by line)


def load(path: str | Path, run: str | None = None) -> Release:
    """The release in ``path``: a state file, or one run of an audit log (default the last one).

    Read through the bounded loader: a state file within ``source.STATE`` (size by stat, nesting);
    a log streamed line by line, each line at most ``source.LOG_LINE`` long and nested at most 64
    levels (a longer or deeper line is left out as unreadable, and the report says how many were)."""
    path = Path(path)
    with _LogFile(path) as log:
        head = log.head()
        if b'"CanaryState"' in head:
            state = _as_state(log)
            if state is not None:
                if run is not None:
                    raise InputError(
                        [Problem(str(path), None, None, "--run applies to an audit log, not a state file")]
                    )
                from .state import from_state

                return from_state(state, str(path))
        try:
            return from_log(log, str(path), run)
        except _NotALog as e:
            # a state document that does not say its kind in its first bytes (keys sorted by a tool)
            state = _as_state(log) if b'"kind"' in head and log.size <= STATE.max_bytes else None
            if state is None or run is not None:
                raise InputError([Problem(str(path), None, None, str(e))]) from None
            from .state import from_state

            return from_state(state, str(path))


class _NotALog(Exception):
    pass


def _as_state(log: _LogFile) -> dict[str, Any] | None:
    """The state document in ``log``; None when it is not one (then it may be a log). A state file
    over the size limit, or nested too deep, is refused (InputError)."""
    text = log.whole(STATE).decode("utf-8", errors="replace")
    try:
        doc = parse_json(text, str(log.path), STATE, duplicates=True).data
    except InputError as e:
        if e.problems and e.problems[0].message.startswith("not valid JSON"):
            return None  # several lines of JSON: a log
        raise
    return doc if isinstance(doc, dict) and doc.get("kind") == "CanaryState" else None


class _LogFile:
    """An audit log read line by line, as often as needed (a pipe is first copied to a temporary file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = 0
        self._spool: Any = None
        self._name = str(path)
        try:
            st = path.stat()
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError
            if not stat.S_ISREG(st.st_mode):
                self._spool_copy()
            else:
                self.size = st.st_size
            with open(self._name, "rb"):
                pass
        except FileNotFoundError:
            raise InputError([Problem(str(path), None, None, "no such file")]) from None
        except IsADirectoryError:
            raise InputError([Problem(str(path), None, None, "is a directory, not a log or state file")]) from None
        except OSError as e:
            raise InputError([Problem(str(path), None, None, e.strerror or str(e))]) from None

    def _spool_copy(self) -> None:
        """A pipe or a device is read once into a temporary file, at most ``PIPE_MAX`` bytes of it."""
        import tempfile

        self._spool = tempfile.NamedTemporaryFile(prefix="canary-tui-log-", suffix=".jsonl")  # noqa: SIM115
        copied = 0
        with open(self.path, "rb") as f:
            while chunk := f.read(1 << 20):
                copied += len(chunk)
                if copied > PIPE_MAX:
                    self._spool.close()
                    message = f"holds over {PIPE_MAX >> 20} MB read from a pipe or device: give the log file itself"
                    raise InputError([Problem(str(self.path), None, None, message)])
                self._spool.write(chunk)
        self._spool.flush()
        self.size = self._spool.tell()
        self._name = self._spool.name

    def __enter__(self) -> _LogFile:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._spool is not None:
            self._spool.close()

    def head(self, n: int = 2000) -> bytes:
        try:
            with open(self._name, "rb") as f:
                return f.read(n).lstrip()
        except OSError as e:
            raise InputError([Problem(str(self.path), None, None, e.strerror or str(e))]) from None

    def whole(self, limits: Limits) -> bytes:
        """The whole file, its size checked against ``limits`` first."""
        if self.size > limits.max_bytes:
            raise too_big(str(self.path), limits, self.size)
        try:
            with open(self._name, "rb") as f:
                data = f.read(limits.max_bytes + 1)
        except OSError as e:
            raise InputError([Problem(str(self.path), None, None, e.strerror or str(e))]) from None
        if len(data) > limits.max_bytes:  # it grew since
            raise too_big(str(self.path), limits, None)
        return data

    def lines(self) -> Iterator[str | None]:
        """Each line (decoded, bad UTF-8 replaced); None for a line over ``LOG_LINE`` (skipped unread)."""
        try:
            with open(self._name, "rb") as f:
                while True:
                    b = f.readline(LOG_LINE + 1)
                    if not b:
                        return
                    if len(b) > LOG_LINE:
                        while b and not b.endswith(b"\n"):  # the rest of the long line, unread
                            b = f.readline(1 << 20)
                        yield None
                        continue
                    yield b.decode("utf-8", errors="replace").rstrip("\r\n")
        except OSError as e:
            raise InputError([Problem(str(self.path), None, None, e.strerror or str(e))]) from None


def list_runs(path: str | Path) -> list[tuple[str, dict[str, Any]]]:
    """The runs of the log in ``path`` (``report --list-runs``), read line by line."""
    with _LogFile(Path(path)) as log:
        return runs_in(log.lines())


def runs_in(lines: Iterable[str | None]) -> list[tuple[str, dict[str, Any]]]:
    """The runs of a log, in order: (run id, its start line)."""
    out = []
    for line in lines:
        # the audit log writes compact JSON, starting with the type; anything else that may be a
        # start line is parsed to make sure
        if line is None:
            continue
        if line.startswith('{"type":"start"') or ('"start"' in line and not line.startswith('{"type":"evaluation"')):
            try:
                start = loads_bounded(line)
            except ValueError:
                continue
            if isinstance(start, dict) and start.get("type") == "start" and isinstance(start.get("run"), str):
                out.append((start["run"], start))
    return out


def from_log(log: _LogFile, where: str, run: str | None) -> Release:
    runs = runs_in(log.lines())
    ids = [r for r, _ in runs]
    start: dict[str, Any] = {}
    if run is not None:
        matches = [s for r, s in runs if r == run]
        if not matches:
            known = ", ".join(ids[-5:]) or "none"
            raise InputError([Problem(where, None, None, f"no run {run!r} in this log (latest runs: {known})")])
        start = matches[-1]
    elif runs:
        run, start = runs[-1]
    release = Release(path=where, kind="log", run=run, plan=None, start=start, runs=ids)
    reader = _LogReader(release, run)
    for line in log.lines():
        if line is None:
            release.skipped_lines += 1  # too long to read, whichever run it was
        elif run is not None and run not in line:
            # a cheap first cut (the reader checks the field); a line cut short (a killed writer)
            # may have lost its run id: it is counted as unreadable, whichever run it was
            if line.strip() and not line.rstrip().endswith("}"):
                release.skipped_lines += 1
        elif line.strip():
            reader.line(line)
    reader.finish()
    if not release.events and not release.times:
        n = release.skipped_lines
        unread = (
            f" ({n:,} line{'s' if n > 1 else ''} could not be read: not JSON, too long or nested too deep)" if n else ""
        )
        raise _NotALog(f"not an audit log of canary-tui: no phase, evaluation or result{unread}")
    release.plan, note = plans.from_start(start) if start else (None, "the log has no start line naming the plan")
    if note:
        release.notes.append(note)
    if release.plan is None:
        release.plan = _plan_from_events(release)
    reader.index_phases()
    if release.skipped_lines:
        n = release.skipped_lines
        release.notes.append(
            f"{n} line{'s' if n > 1 else ''} of the log could not be read and {'were' if n > 1 else 'was'} left out"
        )
    if release.result is None:
        release.notes.append("the log has no result line: the run was still going, or was killed")
    return release


class _LogReader:
    """Builds a Release line by line; evaluations go into columns."""

    def __init__(self, release: Release, run: str | None) -> None:
        self.r = release
        self.run = run
        self.series: list[GateSeries] = []
        self.phase_names: list[str] = []

    def line(self, line: str) -> None:
        try:
            d = loads_bounded(line)
        except ValueError:
            self.r.skipped_lines += 1
            return
        if not isinstance(d, dict):
            self.r.skipped_lines += 1
            return
        if self.run is not None and d.get("run") != self.run:
            return
        kind = d.get("type")
        try:
            if kind == "evaluation":
                self.evaluation(d)
            elif kind in EVENT_KINDS:
                event = LogEvent(str(kind), parse_at(d.get("at")), d)
                self.r.events.append(event)
                if kind == "result":
                    self.r.result = d
        except (TypeError, ValueError, AttributeError):
            self.r.skipped_lines += 1

    def evaluation(self, d: dict[str, Any]) -> None:
        r = self.r
        at = parse_at(d.get("at"))
        if at is None:
            raise ValueError("evaluation without a time")
        gates = d.get("gates")
        if not isinstance(gates, dict):
            raise ValueError("evaluation without gates")
        n = len(r.times)
        r.times.append(at.timestamp())
        self.phase_names.append(str(d.get("phase", "")))
        r.health.append(num(d.get("healthScore")))
        for name in gates:
            if name not in r.gates:
                s = GateSeries(str(name))
                s.pad(n)
                r.gates[name] = s
                self.series.append(s)
        codes, fl = STATUS_CODE, float
        for s in self.series:
            g = gates.get(s.name)
            if g is None:
                s.pad(n + 1)
                continue
            s.status.append(codes.get(g.get("status"), _STATUS_DEFAULT))
            c, st = g.get("canary"), g.get("stable")
            # the common case inline: a plain number (a day at 1 s is 1.4 million of these)
            s.canary.append(c if type(c) is fl else num(c))
            s.stable.append(st if type(st) is fl else num(st))
            if "interval" in g and (j := judged(g)) is not None:  # a counts gate (contract section 5)
                s.judged.append((n, *j))
        checks = d.get("checks")
        if isinstance(checks, dict):
            for name, c in checks.items():
                col = r.checks.setdefault(str(name), bytearray([STATUS_CODE["skip"]]) * n)
                col.extend(bytes([STATUS_CODE["skip"]]) * (n - len(col)))
                said = c.get("status") if isinstance(c, dict) else None
                col.append(STATUS_CODE.get(said, _STATUS_DEFAULT) if isinstance(said, str) else _STATUS_DEFAULT)
                if isinstance(c, dict) and c.get("status") != "skip":
                    r.check_last[str(name)] = {**c, "at": d.get("at")}
        r.last = d

    def finish(self) -> None:
        n = len(self.r.times)
        for s in self.series:
            s.pad(n)
        for col in self.r.checks.values():
            col.extend(bytes([STATUS_CODE["skip"]]) * (n - len(col)))

    def index_phases(self) -> None:
        """Each evaluation's phase index, from the plan or from the phase lines."""
        index: dict[str, int] = {}
        plan = self.r.plan
        if plan is not None:
            index = {p.name: i for i, p in enumerate(plan.phases)}
        for e in self.r.of_kind("phase"):
            name, i = e.data.get("phase"), e.data.get("index")
            if isinstance(name, str) and isinstance(i, int):
                index.setdefault(name, i)
        cache: dict[str, int] = {}
        for name in self.phase_names:
            i = cache.get(name)
            if i is None:
                i = cache[name] = index.get(name, -1)
            self.r.phase_of.append(max(-1, min(i, 32000)))


def _plan_from_events(r: Release) -> Any:
    """Without the plan: phases from the phase lines, gates from the evaluations (no thresholds)."""
    from .model import GatePlan, PhasePlan, PlanInfo

    phases: dict[int, PhasePlan] = {}
    for e in r.of_kind("phase"):
        i, name = e.data.get("index"), e.data.get("phase")
        if isinstance(i, int) and isinstance(name, str) and i not in phases:
            weight = e.data.get("weight")
            phases[i] = PhasePlan(name, weight if isinstance(weight, int) else 0, "")
    name = r.start.get("plan") if isinstance(r.start.get("plan"), str) else ""
    return PlanInfo(
        name=name or "",
        origin="not available: phases and gates below are what the events tell",
        phases=[phases[i] for i in sorted(phases)],
        gates=[GatePlan(g) for g in r.gates],
    )


def parse_at(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def num(x: Any) -> float:
    """A JSON value as a float: null (and anything not a number) is NaN, "+Inf"/"-Inf" infinities."""
    if isinstance(x, float):
        return x
    if isinstance(x, int) and not isinstance(x, bool):
        return float(x)
    if x == "+Inf":
        return math.inf
    if x == "-Inf":
        return -math.inf
    return NAN
