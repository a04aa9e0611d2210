"""``check PLAN`` against its Prometheus, and ``run``'s start check before its first write: Prometheus
answers ``vector(1)``, and every gate's query parses and gives exactly one value for stable (and for
the canary, once the canary serves traffic). A gate whose stable query is empty is misconfigured."""

from __future__ import annotations

from concurrent.futures import wait as wait_all
from dataclasses import replace
from typing import TYPE_CHECKING

from ..core.gates import Reading, Status, fmt, judge
from ..core.model import CountsJudge, Gate, Plan
from ..errors import InputError, Problem
from ..preflight import CheckResult
from .answers import EMPTY, NAN, QueryError, one_value
from .deadline import Workers, exceeded
from .source import SLACK, counts_queries, effective_timeout, query_gates

if TYPE_CHECKING:
    from .client import Connection
    from .source import PrometheusMetrics

NOT_SERVING = (EMPTY, NAN)  # a canary with no traffic yet has no rate: fine before the release


def check_prometheus(plan: Plan) -> list[CheckResult]:
    """One row for Prometheus itself, then one per query gate: what was found, and what is wrong."""
    from .client import connect

    try:
        connection = connect(plan.metrics, timeout=effective_timeout(plan), pool=16, source=plan.source)
    except InputError as e:
        return [
            CheckResult(
                "prometheus",
                False,
                "; ".join(p.message if p.path is None else f"{p.path}: {p.message}" for p in e.problems),
            )
        ]
    try:
        return check_connection(plan, connection)
    finally:
        connection.close()


def failures(results: list[CheckResult]) -> list[str]:
    """The failed rows as ``check`` prints them."""
    return [f"FAIL {r.subject}: {r.detail}" for r in results if not r.ok]


def start_check(plan: Plan, metrics: PrometheusMetrics, what: str = "run") -> list[CheckResult]:
    """``check``'s Prometheus rows on the source the release will use; InputError (exit 2) naming
    every failed row, before anything is written, when one fails."""
    results = check_connection(plan, metrics.connection)
    failed = failures(results)
    if failed:
        head = f"{plan.source}: the start check failed: {what} writes nothing until it passes"
        raise InputError([Problem(None, None, None, text) for text in (head, *failed)])
    return results


def check_connection(plan: Plan, connection: Connection) -> list[CheckResult]:
    try:
        answer = connection.instant("vector(1)")
        if one_value(answer.data) != 1.0:
            raise QueryError("vector(1) did not answer 1")
    except QueryError as e:
        return [CheckResult("prometheus", False, f"{connection.shown} did not answer vector(1): {e.reason}")]
    results = [
        CheckResult("prometheus", True, f"{connection.shown} answers vector(1) in {answer.seconds * 1000:.0f} ms")
    ]
    gates = [plan.gate(name) for name in query_gates(plan)]
    if not gates:
        return results
    pool = Workers("check")  # every query on the deadline; one stuck anyway is left behind, not waited for
    jobs = {}
    for g in gates:
        if isinstance(g.judge, CountsJudge):  # its errors and requests queries, per side
            for key, promql in counts_queries(plan, g).items():
                jobs[g.name, key] = pool.submit(_value, connection, promql)
            continue
        for side, version in (("stable", plan.stable.version), ("canary", plan.canary.version)):
            jobs[g.name, side] = pool.submit(_value, connection, plan.render_query(g, version))
    wait_all(jobs.values(), timeout=connection.timeout + SLACK)
    pool.close()
    late = (None, exceeded(connection.timeout), ())
    found = {key: job.result() if job.done() else late for key, job in jobs.items()}
    for g in gates:
        if isinstance(g.judge, CountsJudge):
            for side in ("stable", "canary"):
                found[g.name, side] = _both(found[g.name, f"{side}-requests"], found[g.name, f"{side}-errors"])
    for g in gates:
        results.append(_row(plan, g, found[g.name, "stable"], found[g.name, "canary"]))
    return results


def _value(connection: Connection, promql: str) -> tuple[float | None, str | None, tuple[str, ...]]:
    try:
        answer = connection.instant(promql)
    except QueryError as e:
        return None, e.reason, ()
    try:
        return one_value(answer.data), None, answer.warnings
    except QueryError as e:
        return None, e.reason, answer.warnings


def _both(
    requests: tuple[float | None, str | None, tuple[str, ...]], errors: tuple[float | None, str | None, tuple[str, ...]]
) -> tuple[float | None, str | None, tuple[str, ...]]:
    """A counts gate's side as one finding: its requests, or the first of its two queries that failed."""
    for what, (_, error, warned) in (("requests", requests), ("errors", errors)):
        if error is not None:
            return None, error if what == "requests" or error in NOT_SERVING else f"{what}: {error}", warned
    return requests[0], None, (*requests[2], *errors[2])


def _row(
    plan: Plan,
    gate: Gate,
    stable: tuple[float | None, str | None, tuple[str, ...]],
    canary: tuple[float | None, str | None, tuple[str, ...]],
) -> CheckResult:
    s_value, s_error, s_warn = stable
    c_value, c_error, c_warn = canary
    problems: list[str] = []
    parts: list[str] = []
    sv, cv = plan.stable.version, plan.canary.version
    if s_error is not None and s_error == c_error and c_error not in NOT_SERVING:
        return CheckResult(f"gate {gate.name}", False, f"stable {sv} and canary {cv}: {s_error}")
    if s_error is None:
        parts.append(f"stable {sv} = {fmt(s_value, gate.unit)}")
    else:
        hint = (
            " (the query must give exactly one value: check metric names and labels)" if s_error in NOT_SERVING else ""
        )
        problems.append(f"stable {sv}: {s_error}{hint}")
    if c_error is None:
        parts.append(f"canary {cv} = {fmt(c_value, gate.unit)}")
    elif c_error in NOT_SERVING:
        parts.append(f"canary {cv}: no value yet ({c_error}; fine while it serves no traffic)")
    else:
        problems.append(f"canary {cv}: {c_error}")
    note = _stable_note(plan, gate, s_value)
    if note:
        parts.append(note)
    for w in dict.fromkeys((*s_warn, *c_warn)):
        parts.append(f"warning: {w}")
    if problems:
        return CheckResult(f"gate {gate.name}", False, "; ".join(problems + parts))
    return CheckResult(f"gate {gate.name}", True, "; ".join(parts))


def _stable_note(plan: Plan, gate: Gate, value: float | None) -> str:
    """Say so when stable itself would already fail or warn with the first phase's levels."""
    if value is None:
        return ""
    levels = replace(plan.thresholds(0)[gate.name], max_ratio_to_stable=None)
    if not levels.has_fail_level and levels.warn_above is None and levels.warn_below is None:
        return ""
    status, reason = judge(gate.name, levels, Reading(canary=value), gate.unit)
    if status in (Status.FAIL, Status.WARN):
        return f"note: stable itself would {status.value} ({reason.removeprefix(gate.name + ' ')})"
    return ""
