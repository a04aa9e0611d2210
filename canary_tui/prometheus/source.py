"""Golden signals from a real Prometheus: the MetricsSource of ``run`` and ``run --dry-run``.

Every query gate is read for the canary and for stable (stable decides relative gates and is
shown for all), all queries of one evaluation at once, each an instant query at the evaluation's
time. Each query has a total deadline (connect to last byte, ``deadline``), kept below the interval;
the evaluation waits for its own queries no longer than that, on workers of its own: a query still
stuck from an earlier evaluation is abandoned, never waited for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from concurrent.futures import wait as wait_all
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..core.gates import Reading
from ..core.model import CountsJudge, Gate, GateSource, Plan
from .answers import EMPTY, QueryError, one_value
from .deadline import Workers, exceeded

if TYPE_CHECKING:
    from .client import Answer, Connection

DEFAULT_TIMEOUT = timedelta(seconds=10)
# A query's deadline is at most this share of the interval: an evaluation's line then comes at most
# 0.4 interval late, so two evaluations are never more than 1.4 intervals apart, whatever the server does.
MAX_SHARE_OF_INTERVAL = 0.4
# ...and never more than this, however long the interval: an answer that takes longer is stale by the
# time it comes, and a stuck query holds a worker thread (and ``q``'s last evaluation) that long.
MAX_DEADLINE = 30.0
SLACK = 0.05  # seconds the whole evaluation may run past the query deadline before it is cut


def effective_timeout(plan: Plan) -> float:
    """Seconds one query may take, connect to last byte: ``spec.metrics.timeout`` (default 10s), at most
    40% of the interval and at most 30 s, whichever is less (at least 50 ms)."""
    wanted = (plan.metrics.timeout or DEFAULT_TIMEOUT).total_seconds()
    cap = min(plan.interval.total_seconds() * MAX_SHARE_OF_INTERVAL, MAX_DEADLINE)
    return max(0.05, min(wanted, cap))


def query_gates(plan: Plan) -> list[str]:
    return [g.name for g in plan.gates if g.source is GateSource.PROMETHEUS and (g.query is not None or g.judge)]


def counts_queries(plan: Plan, gate: Gate) -> dict[str, str]:
    """A counts gate's four instant queries: errors and requests over the last interval, per side."""
    assert isinstance(gate.judge, CountsJudge)
    out = {}
    for side, version in (("canary", plan.canary.version), ("stable", plan.stable.version)):
        out[f"{side}-errors"] = plan.render(gate.judge.errors, version)
        out[f"{side}-requests"] = plan.render(gate.judge.requests, version)
    return out


class PrometheusMetrics:
    """Reads every ``source: prometheus`` gate of a plan. ``on_warning`` hears each new warning once."""

    def __init__(self, connection: Connection, *, timeout: float) -> None:
        self.connection = connection
        self.timeout = timeout
        self.on_warning: Callable[[str], None] | None = None
        self._pool = Workers("prometheus")  # as many as the queries in flight; stuck ones are left behind
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    @classmethod
    def from_plan(cls, plan: Plan) -> PrometheusMetrics:
        """The source for ``plan``'s ``spec.metrics``; InputError when a secret or CA file is missing."""
        from .client import connect

        timeout = effective_timeout(plan)
        counted = sum(isinstance(g.judge, CountsJudge) for g in plan.gates)  # counts gates ask 4 queries
        pool = max(2, 2 * len(query_gates(plan)) + 2 * counted)  # connections kept open: one per query
        connection = connect(plan.metrics, timeout=timeout, pool=pool, source=plan.source)
        return cls(connection, timeout=timeout)

    @property
    def address(self) -> str:
        """The address as it may be shown (no credentials)."""
        return self.connection.shown

    def probe(self) -> Answer:
        """Ask for ``vector(1)``; raises QueryError with the reason when Prometheus does not answer it."""
        answer = self.connection.instant("vector(1)")
        if one_value(answer.data) != 1.0:
            raise QueryError("vector(1) did not answer 1")
        return answer

    def read(self, plan: Plan, phase_index: int, at: datetime) -> Mapping[str, Reading]:
        """One Reading per query gate at ``at``; never raises: failures are nodata with their reason."""
        jobs: dict[tuple[str, str], Future[Answer]] = {}
        counted: list[str] = []
        for gate in plan.gates:
            if isinstance(gate.judge, CountsJudge):
                counted.append(gate.name)
                for what, promql in counts_queries(plan, gate).items():
                    jobs[gate.name, what] = self._pool.submit(self.connection.instant, promql, at)
                continue
            if gate.source is not GateSource.PROMETHEUS or gate.query is None:
                continue
            for side, version in (("canary", plan.canary.version), ("stable", plan.stable.version)):
                promql = plan.render_query(gate, version)
                jobs[gate.name, side] = self._pool.submit(self.connection.instant, promql, at)
        wait_all(jobs.values(), timeout=self.timeout + SLACK)
        values: dict[tuple[str, str], tuple[float | None, str | None]] = {}
        warnings: dict[str, list[str]] = {}
        for key, future in jobs.items():
            values[key] = self._outcome(future, key[0], warnings)
        out: dict[str, Reading] = {}
        for name in counted:
            out[name] = _counts_reading(name, values, warnings)
        for name in dict.fromkeys(k[0] for k in jobs):
            if name in out:
                continue
            canary, error = values[name, "canary"]
            stable, stable_error = values[name, "stable"]
            out[name] = Reading(canary, stable, error, stable_error, tuple(dict.fromkeys(warnings.get(name, ()))))
        return out

    def _outcome(
        self, future: Future[Answer], gate: str, warnings: dict[str, list[str]]
    ) -> tuple[float | None, str | None]:
        if not future.done():
            future.cancel()
            return None, exceeded(self.timeout)
        try:
            answer = future.result()
        except QueryError as e:
            return None, e.reason
        except Exception as e:  # a bug must not stop the run: the gate says nodata
            return None, f"internal error: {type(e).__name__}"
        for w in answer.warnings:
            warnings.setdefault(gate, []).append(w)
            self._tell(f"{gate}: {w}")
        try:
            return one_value(answer.data), None
        except QueryError as e:
            return None, e.reason or EMPTY

    def _tell(self, text: str) -> None:
        with self._lock:
            if text in self._seen:
                return
            if len(self._seen) >= 1000:  # warnings that embed times are all different: keep memory bounded
                self._seen.clear()
            self._seen.add(text)
        if self.on_warning is not None:
            self.on_warning(text)

    def close(self) -> None:
        self._pool.close()
        self.connection.close()


def _counts_reading(
    name: str, values: dict[tuple[str, str], tuple[float | None, str | None]], warnings: dict[str, list[str]]
) -> Reading:
    """The four counts of a counts gate, or the first reason one is missing (then nothing is added)."""
    seen = tuple(dict.fromkeys(warnings.get(name, ())))
    got = []
    for key in ("canary-errors", "canary-requests", "stable-errors", "stable-requests"):
        value, error = values[name, key]
        if value is None:
            side, what = key.split("-")
            why = f"{what}: {error or EMPTY}"
            return Reading(None, None, why if side == "canary" else None, why if side == "stable" else None, seen)
        got.append(value)
    return Reading(counts=(got[0], got[1], got[2], got[3]), warnings=seen)
