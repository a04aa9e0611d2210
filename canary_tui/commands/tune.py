"""``canary-tui tune FIXTURE... --set PATH=RANGE``: sweep plan parameters over recorded releases."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..backtest import Recording, Score
    from ..core.fixture import Fixture
    from ..core.planedit import Edit

HELP = "sweep plan parameters over recorded releases: false rollbacks against misses"
DESCRIPTION = (
    "Replay every FIXTURE under each setting of the grid the --set PATH=RANGE options span (RANGE: a,b,c "
    "or start:stop:step, stop included) and count, against each fixture's expect.outcome: correct, false "
    "rollbacks, misses, incomplete, and the median time to the decision. The Pareto front of false rollbacks "
    "against misses is marked (*), and so is the current plan. Replays run on all the machine's cores."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("fixtures", type=Path, nargs="+", metavar="FIXTURE", help="MetricFixture files with expect:")
    p.add_argument(
        "--set",
        dest="ranges",
        action="append",
        required=True,
        metavar="PATH=RANGE",
        help="a plan key path and its values, e.g. spec.failureLimit=1:4:1, spec.gates[error_rate].failAbove=0.02,0.05",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per setting instead of the table")
    p.add_argument("-o", "--output", type=Path, metavar="PLOT.svg", help="write the trade-off plot as SVG")
    p.add_argument("--plot", action="store_true", help="draw the plot in the terminal (default on a terminal)")
    p.add_argument("--jobs", "-j", type=int, metavar="N", help="worker processes (default: the machine's cores)")


def run(args: argparse.Namespace) -> int:
    import itertools

    from .. import backtest
    from ..core.planedit import parse_range
    from ..errors import InputError

    axes = [parse_range(text) for text in args.ranges]
    grid = [list(edits) for edits in itertools.product(*axes)]
    recs = [backtest.load(path) for path in args.fixtures]
    missing = [str(r.path) for r in recs if r.fixture.expect is None]
    if missing:
        raise InputError(f"{missing[0]}: tune needs an expect block (expect.outcome is the truth)")
    if args.jobs is not None and args.jobs < 1:
        raise InputError("--jobs: must be at least 1")
    corpus = [_edited_corpus(recs, edits) for edits in grid]
    current = [i for i, fixtures in enumerate(corpus) if _unchanged(fixtures, recs)]
    settings = list(grid)
    if not current:  # the plans as they are, as one more row
        corpus.append([r.fixture for r in recs])
        settings.append([])
        current = [len(settings) - 1]
    outcomes = backtest.sweep(corpus, args.jobs)
    truth = [r.fixture.expect.outcome for r in recs if r.fixture.expect is not None]
    scores = []
    for i, (edits, got) in enumerate(zip(settings, outcomes, strict=True)):
        s = backtest.score(edits, [(want, o, t) for want, (o, t) in zip(truth, got, strict=True)])
        if i in current:
            import dataclasses

            s = dataclasses.replace(s, current=True)
        scores.append(s)
    scores = backtest.mark_pareto(scores)
    paths = [axis[0].path_text for axis in axes]
    current_values = _current_values(recs, axes)
    if args.json:
        write_json(scores, paths, current_values)
    else:
        sys.stdout.write(table(scores, paths, current_values, len(recs)))
        if args.plot or sys.stdout.isatty():
            sys.stdout.write(terminal_plot(scores, paths, color=sys.stdout.isatty()) + "\n")
    if args.output is not None:
        args.output.write_text(svg_plot(scores, paths), encoding="utf-8")
    return 0


def _unchanged(fixtures: list[Fixture], recs: list[Recording]) -> bool:
    """Every fixture replays its recorded plan (compared as validated plans, not by the file they came from)."""
    from ..backtest import same_plan

    return all(same_plan(f.plan, r.fixture.plan) for f, r in zip(fixtures, recs, strict=True))


def _edited_corpus(recs: list[Recording], edits: list[Edit]) -> list[Fixture]:
    """Each fixture under its plan with these edits; fixtures with the same plan share one validation."""
    import json

    from .. import backtest
    from ..core.planedit import edited_plan

    plans: dict[str, Any] = {}
    out = []
    for rec in recs:
        # the same plan (a shared planRef file, or the same inline plan) is validated once per setting
        key = json.dumps(rec.plan_source.data, sort_keys=True, default=str)
        if key not in plans:
            plans[key] = edited_plan(rec.plan_source, edits) if edits else rec.fixture.plan
        out.append(backtest.with_plan(rec, plans[key], " ".join(f"--set {e.text}" for e in edits)))
    return out


def _current_values(recs: list[Recording], axes: list[list[Edit]]) -> dict[str, Any]:
    """The current plans' value at each swept path (None where absent or where the plans differ)."""
    from ..core.planedit import lookup

    out: dict[str, Any] = {}
    for axis in axes:
        values = [lookup(rec.plan_source.data, axis[0].path) for rec in recs]
        out[axis[0].path_text] = values[0] if all(v == values[0] for v in values) else None
    return out


def _values(s: Score, paths: list[str], current_values: dict[str, Any]) -> dict[str, Any]:
    if not s.edits:
        return dict(current_values)
    return {e.path_text: e.value for e in s.edits}


def _median(s: Score) -> str | None:
    from ..core.durations import format_duration

    return format_duration(s.median_decision) if s.median_decision is not None else None


def write_json(scores: list[Score], paths: list[str], current_values: dict[str, Any]) -> None:
    import json

    from ..sanitize import json_line_safe

    for s in scores:
        doc = {
            "type": "tune",
            "set": _values(s, paths, current_values),
            "correct": s.correct,
            "falseRollbacks": s.false_rollbacks,
            "misses": s.misses,
            "incomplete": s.incomplete,
            "medianDecision": _median(s),
            "pareto": s.pareto,
        }
        sys.stdout.write(json_line_safe(json.dumps(doc, ensure_ascii=False, separators=(",", ":"))) + "\n")


def _cell(value: Any) -> str:
    from ..sanitize import clean

    if value is None:
        return "-"
    return clean(str(value).lower() if isinstance(value, bool) else value)


def table(scores: list[Score], paths: list[str], current_values: dict[str, Any], n: int) -> str:
    head = [*paths, "correct", "false rb", "misses", "incomplete", "median decision", ""]
    rows = []
    for s in scores:
        values = _values(s, paths, current_values)
        marks = ("*" if s.pareto else "") + (" current plan" if s.current else "")
        rows.append(
            [
                *(_cell(values.get(p)) for p in paths),
                f"{s.correct}/{n}",
                str(s.false_rollbacks),
                str(s.misses),
                str(s.incomplete),
                _median(s) or "-",
                marks.strip(),
            ]
        )
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [head, *rows]]
    lines.append(f"{n} releases; * = Pareto front of false rollbacks against misses")
    return "\n".join(lines) + "\n"


def _label(s: Score, paths: list[str]) -> str:
    if not s.edits:
        return "current plan"
    return ",".join(_cell(e.value) for e in s.edits)


def _point_keys(scores: list[Score]) -> dict[tuple[int, int], tuple[str, list[Score]]]:
    """Each distinct (false rollbacks, misses) point, a letter for it (A, B, ... Z, AA, AB...) and its settings."""
    points: dict[tuple[int, int], list[Score]] = {}
    for s in scores:
        points.setdefault((s.false_rollbacks, s.misses), []).append(s)
    out = {}
    for n, (xy, group) in enumerate(sorted(points.items())):
        key = chr(65 + n % 26) if n < 26 else chr(64 + n // 26) + chr(65 + n % 26)
        out[xy] = (key, group)
    return out


def terminal_plot(scores: list[Score], paths: list[str], color: bool = False) -> str:
    """False rollbacks (x) against misses (y), one marker per point (``*`` on the Pareto front, ``o``
    elsewhere) with a letter beside it; the legend under the plot lists every setting at each point,
    so settings that land on the same point are all named and no label hides a marker."""
    import plotext as plt

    points = _point_keys(scores)
    width = 72
    plt.clear_figure()
    plt.plotsize(width, 20)
    plt.theme("clear")
    xmax = max(s.false_rollbacks for s in scores)
    ymax = max(s.misses for s in scores)
    plt.xticks(list(range(xmax + 1)))
    plt.yticks(list(range(ymax + 1)))
    plt.xlim(-0.5, xmax + 0.5)
    plt.ylim(-0.5, ymax + 0.5)
    char = (xmax + 1) / (width - 8)  # about one character cell, in false rollbacks
    for (x, y), (key, group) in points.items():
        front = any(s.pareto for s in group)
        plt.scatter([x], [y], marker="*" if front else "o")
        plt.text(key, x + 2 * char, y, alignment="left")
    plt.xlabel("false rollbacks")
    plt.ylabel("misses")
    plt.title("tune: " + ", ".join(paths))
    text: str = plt.build()
    plt.clear_figure()
    if not color:
        text = plt.uncolorize(text)
    legend = ["* = Pareto front, o = beaten; settings at each point (" + ", ".join(paths) + "):"]
    for (x, y), (key, group) in points.items():
        mark = "*" if any(s.pareto for s in group) else "o"
        names = " | ".join(_label(s, paths) + (" (current plan)" if s.current and s.edits else "") for s in group)
        legend.append(f"  {key} {mark} {x} false rb, {y} misses: {names}")
    return text.rstrip("\n") + "\n" + "\n".join(legend)


def svg_plot(scores: list[Score], paths: list[str]) -> str:
    """The same plot as a small standalone SVG."""
    from html import escape

    w, h, m = 560, 380, 56
    xmax = max([s.false_rollbacks for s in scores] + [1])
    ymax = max([s.misses for s in scores] + [1])

    def x(v: float) -> float:
        return m + (w - 2 * m) * v / xmax

    def y(v: float) -> float:
        return h - m - (h - 2 * m) * v / ymax

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{w}" height="{h}" fill="white"/>',
        f'<text x="{w / 2}" y="20" text-anchor="middle">{escape("tune: " + ", ".join(paths))}</text>',
        f'<line x1="{m}" y1="{h - m}" x2="{w - m}" y2="{h - m}" stroke="black"/>',
        f'<line x1="{m}" y1="{m}" x2="{m}" y2="{h - m}" stroke="black"/>',
        f'<text x="{w / 2}" y="{h - 16}" text-anchor="middle">false rollbacks</text>',
        f'<text x="16" y="{h / 2}" text-anchor="middle" transform="rotate(-90 16 {h / 2})">misses</text>',
    ]
    for v in range(xmax + 1):
        out.append(f'<text x="{x(v)}" y="{h - m + 16}" text-anchor="middle">{v}</text>')
    for v in range(ymax + 1):
        out.append(f'<text x="{m - 8}" y="{y(v) + 4}" text-anchor="end">{v}</text>')
    for s in scores:
        color = "#d62728" if s.pareto else "#1f77b4"
        r = 6 if s.pareto else 4
        label = escape(_label(s, paths) + (" (current)" if s.current and s.edits else ""))
        out.append(
            f'<circle cx="{x(s.false_rollbacks)}" cy="{y(s.misses)}" r="{r}" fill="{color}">'
            f"<title>{label}: {s.false_rollbacks} false rollbacks, {s.misses} misses</title></circle>"
        )
        if s.pareto:
            out.append(f'<text x="{x(s.false_rollbacks) + 9}" y="{y(s.misses) - 6}">{label}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
