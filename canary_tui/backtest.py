"""Backtesting: replays of recorded fixtures under changed plans, compared (whatif) and swept (tune).

Every replay goes through the same ``Controller`` and ``core.rule`` as ``canary-tui replay``; a
sweep spreads its replays over the machine's cores (``multiprocessing``, one replay per task).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .core.events import Decided, Evaluated, Event, Finished
from .core.fixture import Fixture, parse_fixture
from .core.gates import Reading, Status
from .core.model import Plan
from .core.planedit import Edit, PlanSource, edited_plan, plan_source_of_fixture, series_problems
from .core.planfile import refuse_other_kind
from .core.rule import Outcome
from .core.source import FIXTURE, load_document
from .errors import InputError


@dataclass(frozen=True)
class Recording:
    """A loaded fixture and the plain data of its plan, ready for edits."""

    path: Path
    fixture: Fixture
    plan_source: PlanSource


def load(path: Path) -> Recording:
    """Read a fixture as ``replay`` does: within the fixture limits, samples straight into arrays,
    and a file of another kind refused in one line (``x.yaml is a CanaryPlan; `whatif` takes ...``)."""
    doc = load_document(path, FIXTURE)
    refuse_other_kind(doc, "MetricFixture")
    fixture = parse_fixture(doc)
    return Recording(path, fixture, plan_source_of_fixture(doc))


def same_plan(a: Plan, b: Plan) -> bool:
    """The same validated plan, wherever each was read from (fixtures carrying one inline plan each)."""
    return a == b if a.source == b.source else dataclasses.replace(a, source=b.source) == b


def with_plan(rec: Recording, plan: Plan, label: str) -> Fixture:
    """The fixture replayed under another plan; refused when its series cannot feed that plan's gates."""
    problems = series_problems(plan, rec.fixture.series, label)
    if problems:
        raise InputError(problems)
    return dataclasses.replace(rec.fixture, plan=plan)


def edited(rec: Recording, edits: list[Edit]) -> Fixture:
    """The fixture replayed under its own plan changed by ``edits`` (validated; errors name the edit)."""
    if not edits:
        return rec.fixture
    plan = edited_plan(rec.plan_source, edits)
    return with_plan(rec, plan, ", ".join(f"--set {e.text}" for e in edits))


# --------------------------------------------------------------------------- one replay


@dataclass(frozen=True)
class Run:
    """What a replay did: its result, and (when kept) its evaluations and decisions."""

    fixture: Fixture
    result: Finished
    evaluations: tuple[Evaluated, ...] = ()
    decisions: tuple[Decided, ...] = ()

    @property
    def outcome(self) -> Outcome:
        return Outcome(self.result.outcome)

    @property
    def decided_after(self) -> timedelta | None:
        """Time from the fixture's start to the decision; None when Incomplete."""
        if self.outcome is Outcome.INCOMPLETE:
            return None
        return self.result.at - self.fixture.start


class _Collect:
    """A sink keeping what a comparison needs (and only the result when nothing reads the rest)."""

    def __init__(self, keep: bool) -> None:
        self.keep = keep
        self.evaluations: list[Evaluated] = []
        self.decisions: list[Decided] = []
        self.result: Finished | None = None

    def emit(self, event: Event) -> None:
        if isinstance(event, Finished):
            self.result = event
        elif not self.keep:
            return
        elif isinstance(event, Evaluated):
            self.evaluations.append(event)
        elif isinstance(event, Decided):
            self.decisions.append(event)


class _CachedMetrics:
    """The fixture's readings, remembered by sample index: the settings of a sweep replay the same
    samples again and again, and a reading does not depend on the thresholds. Only for plain series
    (a counts gate's reading is an increment since the previous evaluation, so it is read live)."""

    def __init__(self, fixture: Fixture, cache: dict[int, Mapping[str, Reading]]) -> None:
        from .replay import FixtureMetrics

        self.inner = FixtureMetrics(fixture)
        self.cache = cache
        self.start = fixture.start
        self.step = fixture.step

    def read(self, plan: Plan, phase_index: int, at: datetime) -> Mapping[str, Reading]:
        i = (at - self.start) // self.step
        got = self.cache.get(i)
        if got is None:
            got = self.cache[i] = self.inner.read(plan, phase_index, at)
        return got


_READINGS: dict[tuple[int, tuple[str, ...]], dict[int, Mapping[str, Reading]]] = {}
CACHE_SAMPLES = 50_000  # longer recordings are read live: a cache of a day at 1 s would weigh 100s of MB


def _metrics(fixture: Fixture) -> _CachedMetrics | None:
    from .core.countsfixture import CountsSeries

    if fixture.samples > CACHE_SAMPLES or any(isinstance(s, CountsSeries) for s in fixture.series.values()):
        return None
    key = (id(fixture.series), tuple(g.name for g in fixture.plan.gates))
    return _CachedMetrics(fixture, _READINGS.setdefault(key, {}))


def replay(fixture: Fixture, keep: bool = True, cache: bool = False) -> Run:
    """One replay as fast as the machine goes (virtual clock, no pacing, no log). ``cache``: keep the
    fixture's readings for the next replay of the same recording (a sweep)."""
    from .commands.replay import build

    sink = _Collect(keep)
    build(fixture, None, [sink], metrics=_metrics(fixture) if cache else None).run()
    assert sink.result is not None
    return Run(fixture, sink.result, tuple(sink.evaluations), tuple(sink.decisions))


# --------------------------------------------------------------------------- whatif


@dataclass(frozen=True)
class Divergence:
    """The first evaluation at which two replays differ, with each one's view of it."""

    at: datetime
    base: Evaluated | None
    variant: Evaluated | None
    base_decisions: tuple[Decided, ...]
    variant_decisions: tuple[Decided, ...]


def _decisions_at(run: Run) -> dict[datetime, tuple[Decided, ...]]:
    out: dict[datetime, list[Decided]] = {}
    for d in run.decisions:
        out.setdefault(d.at, []).append(d)
    return {k: tuple(v) for k, v in out.items()}


def _statuses(e: Evaluated) -> dict[str, Status]:
    return {r.name: r.status for r in e.results}


def _key(ds: tuple[Decided, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((d.decision, d.phase) for d in ds)


def diverged(base: Run, variant: Run) -> Divergence | None:
    """The first evaluation where the phase, any gate's status or the decision differs (contract 6)."""
    bd, vd = _decisions_at(base), _decisions_at(variant)
    for b, v in itertools.zip_longest(base.evaluations, variant.evaluations):
        if b is None or v is None or b.at != v.at:
            at = min(e.at for e in (b, v) if e is not None)
            b = b if b is not None and b.at == at else None
            v = v if v is not None and v.at == at else None
            return Divergence(at, b, v, bd.get(at, ()), vd.get(at, ()))
        bds, vds = bd.get(b.at, ()), vd.get(v.at, ())
        if b.phase != v.phase or _statuses(b) != _statuses(v) or _key(bds) != _key(vds):
            return Divergence(b.at, b, v, bds, vds)
    # same evaluations: a decision outside them (an operator action between evaluations)
    if _key(base.decisions) != _key(variant.decisions) or base.result.at != variant.result.at:
        at = min(base.result.at, variant.result.at)
        return Divergence(at, None, None, bd.get(at, ()), vd.get(at, ()))
    return None


def same_result(base: Run, variant: Run) -> bool:
    """Outcome, phase and time equal: whatif's exit code 0."""
    a, b = base.result, variant.result
    return (a.outcome, a.phase, a.at) == (b.outcome, b.phase, b.at)


# --------------------------------------------------------------------------- tune


@dataclass(frozen=True)
class Score:
    """One setting of a sweep over the corpus."""

    edits: tuple[Edit, ...]
    correct: int
    false_rollbacks: int
    misses: int
    incomplete: int
    median_decision: timedelta | None
    current: bool = False
    pareto: bool = False


def score(edits: Sequence[Edit], runs: Sequence[tuple[Outcome, Outcome, timedelta | None]]) -> Score:
    """Counts over (expected, got, time to decision) of each release."""
    correct = sum(1 for want, got, _ in runs if got is want)
    false_rb = sum(1 for want, got, _ in runs if want is Outcome.PROMOTED and got is Outcome.ROLLED_BACK)
    misses = sum(1 for want, got, _ in runs if want is Outcome.ROLLED_BACK and got is Outcome.PROMOTED)
    incomplete = sum(1 for _, got, _ in runs if got is Outcome.INCOMPLETE)
    times = sorted(t for _, got, t in runs if got is not Outcome.INCOMPLETE and t is not None)
    median = times[(len(times) - 1) // 2] if times else None  # the lower middle for an even count
    return Score(tuple(edits), correct, false_rb, misses, incomplete, median)


def mark_pareto(scores: list[Score]) -> list[Score]:
    """Settings no other setting beats on both false rollbacks and misses (equal points all stay)."""
    out = []
    for s in scores:
        beaten = any(
            o.false_rollbacks <= s.false_rollbacks
            and o.misses <= s.misses
            and (o.false_rollbacks < s.false_rollbacks or o.misses < s.misses)
            for o in scores
        )
        out.append(dataclasses.replace(s, pareto=not beaten))
    return out


# The corpus of a sweep, set before the workers start: forked workers inherit it, spawned ones get
# it through the initializer. Each task is then two small integers.
_CORPUS: list[list[Fixture]] = []
_US = timedelta(microseconds=1)


def _init(corpus: list[list[Fixture]]) -> None:
    global _CORPUS
    _CORPUS = corpus


def _one(task: tuple[int, int]) -> tuple[int, int, str, int | None]:
    setting, index = task
    run = replay(_CORPUS[setting][index], keep=False, cache=True)
    after = run.decided_after
    return setting, index, run.result.outcome, after // _US if after is not None else None


def sweep(corpus: list[list[Fixture]], jobs: int | None = None) -> list[list[tuple[Outcome, timedelta | None]]]:
    """Replay ``corpus[setting][fixture]``; the outcomes and decision times, in the same shape.
    Spread over ``jobs`` processes (default: the cores this process may use)."""
    # fixture-major: a worker's chunk replays one recording under consecutive settings (cache hits)
    tasks = [(s, i) for i in range(max(map(len, corpus), default=0)) for s in range(len(corpus)) if i < len(corpus[s])]
    jobs = jobs or cpu_count()
    results: list[tuple[int, int, str, int | None]]
    if jobs <= 1 or len(tasks) < 2:
        _init(corpus)
        results = [_one(t) for t in tasks]
    else:
        import multiprocessing

        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        ctx = multiprocessing.get_context(method)
        chunk = max(1, len(tasks) // (jobs * 4))
        with ctx.Pool(min(jobs, len(tasks)), initializer=_init, initargs=(corpus,)) as pool:
            results = pool.map(_one, tasks, chunksize=chunk)
    out: list[list[Any]] = [[None] * len(fixtures) for fixtures in corpus]
    for s, i, outcome, after in results:
        out[s][i] = (Outcome(outcome), timedelta(microseconds=after) if after is not None else None)
    return out


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
