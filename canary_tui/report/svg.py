"""Charts as inline SVG, drawn here (no library, no script): one per gate, the health score, checks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from ..core.durations import format_duration
from ..core.gates import fmt
from .downsample import bucket_of, envelope, worst_runs

WIDTH = 960  # the viewBox; the page scales it to its column
LEFT, RIGHT, TOP = 70, 14, 20
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = 150
STRIP_H = 8
HEIGHT = TOP + PLOT_H + 6 + STRIP_H + 20
STATUS_CLASS = {1: "sw", 2: "sf", 3: "sn"}
STATUS_WORD = {1: "warn", 2: "fail", 3: "nodata"}
NICE_STEPS = [
    *(1, 2, 5, 10, 15, 30),
    *(60 * m for m in (1, 2, 5, 10, 15, 30)),
    *(3600 * h for h in (1, 2, 3, 6, 12, 24, 48, 72, 168)),
]


@dataclass(frozen=True)
class Frame:
    """What every chart of a report shares: the time span, phase spans and marks (epoch seconds)."""

    t0: float
    t1: float
    phases: Sequence[tuple[float, float, int, str]]  # (start, end, index, name)
    marks: Sequence[tuple[float, str, str]]  # (time, css class, label): rollbacks, the outcome
    columns: Sequence[int]  # each evaluation's pixel column

    def x(self, t: float) -> float:
        if self.t1 <= self.t0:
            return LEFT
        return LEFT + (t - self.t0) / (self.t1 - self.t0) * (PLOT_W - 1)


def frame(t0: float, t1: float, phases: Sequence[tuple[float, float, int, str]], marks, times) -> Frame:  # type: ignore[no-untyped-def]
    return Frame(t0, t1, phases, marks, bucket_of(times, t0, t1, PLOT_W))


@dataclass(frozen=True)
class Level:
    """A threshold line: a level per phase index (None: not set in that phase)."""

    key: str  # failAbove, warnBelow, ...
    css: str  # tf (fail) or tw (warn)
    by_phase: dict[int, float | None]


def y_range(values: Sequence[Sequence[float]], levels: Sequence[Level]) -> tuple[float, float, list[str]]:
    """The value axis: the data (from 0 when it is all >= 0) and the thresholds that are near it.
    Thresholds far off (more than 4x the data's top) are named instead of squashing the data."""
    lo, hi = math.inf, -math.inf
    for series in values:
        for v in series:
            if v == v and v not in (math.inf, -math.inf):
                if v < lo:
                    lo = v
                if v > hi:
                    hi = v
    if lo == math.inf:
        lo, hi = 0.0, 1.0
    if lo >= 0:
        lo = 0.0
    span = hi - lo if hi > lo else (abs(hi) or 1.0)
    if not math.isfinite(span * 8):  # values near the float limits (garbage in a log): no extras
        return lo, (hi if hi > lo else lo + 1.0), []
    reach_hi, reach_lo = hi + 3 * span, lo - 3 * span
    off: list[str] = []
    for level in levels:
        if level.key == "maxRatioToStable":
            continue
        for value in {v for v in level.by_phase.values() if v is not None}:
            if reach_lo <= value <= reach_hi:
                lo, hi = min(lo, value), max(hi, value)
            else:
                off.append(f"{level.key} {fmt(value)}")
    if hi <= lo:
        hi = lo + 1.0
    pad = (hi - lo) * 0.06
    return (lo if lo == 0 else lo - pad), hi + pad, sorted(set(off))


def chart(
    fr: Frame,
    title: str,
    series: Sequence[tuple[str, Sequence[float]]],
    levels: Sequence[Level],
    statuses: bytes | bytearray | None,
    *,
    ratio: tuple[Sequence[float], dict[int, float | None], Sequence[int]] | None = None,
    fixed: tuple[float, float] | None = None,
    unit: str = "",
) -> tuple[str, list[str]]:
    """One chart: series as (css class, values per evaluation), threshold steps per phase, phase
    boundaries, rollback and outcome marks, and a strip of the worst status per pixel column.
    Returns the SVG and the thresholds that are off the chart."""
    limit: list[float] = []
    if ratio is not None:
        stable, by_phase, phase_of = ratio
        limit = [
            s * r if (r := by_phase.get(p)) is not None and s == s else math.nan
            for s, p in zip(stable, phase_of, strict=True)
        ]
    lo, hi, off = (*fixed, []) if fixed else y_range([v for _, v in series] + [limit], levels)

    def y(v: float) -> float:
        return TOP + PLOT_H - (v - lo) / (hi - lo) * PLOT_H

    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
    ]
    out += _phase_bands(fr)
    out += _axis(fr, lo, hi, unit, y)
    for level in levels:
        out.append(_level_path(fr, level, lo, hi, y))
    if limit:
        out += _lines(fr, limit, "lr", y)
    for css, values in series:
        out += _lines(fr, values, css, y)
    if statuses is not None:
        out += _strip(fr, statuses, TOP + PLOT_H + 6)
    out += _marks(fr)
    out.append("</svg>")
    return "".join(o for o in out if o), off


def strips(fr: Frame, title: str, rows: Sequence[tuple[str, bytes | bytearray]]) -> str:
    """Status strips, one row per check: where each failed, gave no result or warned."""
    row_h = 18
    height = TOP + row_h * len(rows) + 20
    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
    ]
    for i, (name, codes) in enumerate(rows):
        top = TOP + i * row_h
        out.append(f'<text class="ax" x="{LEFT - 6}" y="{top + 11}" text-anchor="end">{escape(name[:12])}</text>')
        out.append(f'<rect class="sp" x="{LEFT}" y="{top + 3}" width="{PLOT_W}" height="{STRIP_H}"/>')
        out += _strip(fr, codes, top + 3)
    out += _time_ticks(fr, TOP + row_h * len(rows) + 14)
    out.append("</svg>")
    return "".join(out)


def phase_bar(fr: Frame, weights: dict[int, int], holds: Sequence[tuple[float, float, str]] = ()) -> str:
    """The release as a bar: one segment per phase entered, its width its time, labelled with its weight;
    the times it was held drawn over it."""
    h = 34
    out = [f'<svg class="chart bar" viewBox="0 0 {WIDTH} {h + 20}" role="img" aria-label="phases over time">']
    for k, (start, end, index, name) in enumerate(fr.phases):
        x0, x1 = fr.x(start), fr.x(end)
        w = max(x1 - x0, 1.5)
        label = f"{name} {weights.get(index, '')}%".strip()
        out.append(
            f'<rect class="p{k % 4}" x="{x0:.1f}" y="4" width="{w:.1f}" height="{h - 8}"><title>{escape(label)} '
            f"from +{escape(_offset(start - fr.t0))} for {escape(_offset(end - start))}</title></rect>"
        )
        if w > 7 * len(label):
            out.append(f'<text class="bl" x="{x0 + 5:.1f}" y="{h / 2 + 4:.1f}">{escape(label)}</text>')
    for start, end, who in holds:
        x0, x1 = fr.x(start), fr.x(end)
        out.append(
            f'<rect class="held" x="{x0:.1f}" y="{h - 12}" width="{max(x1 - x0, 2):.1f}" height="8">'
            f"<title>held by {escape(who)} for {escape(_offset(end - start))}</title></rect>"
        )
    out += _marks(fr, top=2, bottom=h - 2)
    out += _time_ticks(fr, h + 14)
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------- pieces


def _phase_bands(fr: Frame) -> list[str]:
    out = []
    for k, (start, end, _index, name) in enumerate(fr.phases):
        x0, x1 = fr.x(start), fr.x(end)
        if k % 2:
            out.append(f'<rect class="band" x="{x0:.1f}" y="{TOP}" width="{max(x1 - x0, 0.5):.1f}" height="{PLOT_H}"/>')
        if k:
            out.append(f'<line class="pb" x1="{x0:.1f}" y1="{TOP - 4}" x2="{x0:.1f}" y2="{TOP + PLOT_H}"/>')
        if x1 - x0 > 6 * len(name) + 6:
            out.append(f'<text class="pl" x="{x0 + 4:.1f}" y="{TOP - 6}">{escape(name)}</text>')
    return out


def _axis(fr: Frame, lo: float, hi: float, unit: str, y) -> list[str]:  # type: ignore[no-untyped-def]
    out = [f'<rect class="frame" x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}"/>']
    for v in _ticks(lo, hi):
        yy = y(v)
        out.append(f'<line class="grid" x1="{LEFT}" y1="{yy:.1f}" x2="{LEFT + PLOT_W}" y2="{yy:.1f}"/>')
        out.append(f'<text class="ax" x="{LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end">{escape(fmt(v, unit))}</text>')
    out += _time_ticks(fr, TOP + PLOT_H + 6 + STRIP_H + 14)
    return out


def _time_ticks(fr: Frame, baseline: float) -> list[str]:
    """Wall-clock (UTC) labels at round times: every 1, 2, 5, 10, 15, 30 s or min, 1, 2, 3, 6, 12 h...,
    at whole multiples of the step (05:35, 05:40, not the first evaluation plus a step)."""
    span = fr.t1 - fr.t0
    if span <= 0:
        return [f'<text class="ax" x="{LEFT}" y="{baseline}">{escape(_clock(fr.t0, 60))} UTC</text>']
    step = next((s for s in NICE_STEPS if span / s <= 9), NICE_STEPS[-1])
    out = []
    t = math.ceil(fr.t0 / step - 1e-9) * step
    first = True
    while t <= fr.t1 + 1e-6:
        x = fr.x(t)
        label = _clock(t, step) + (" UTC" if first else "")
        anchor = "start" if first and x - LEFT < 40 else "end" if fr.t1 - t < step / 3 else "middle"
        out.append(f'<text class="ax" x="{x:.1f}" y="{baseline}" text-anchor="{anchor}">{escape(label)}</text>')
        t += step
        first = False
    return out


def _clock(t: float, step: float) -> str:
    """A time tick: ``05:35`` (``05:35:30`` when ticks are seconds apart, ``02-19`` at midnight)."""
    from datetime import UTC, datetime

    at = datetime.fromtimestamp(t, UTC)
    if step >= 86400 or (step >= 3600 and at.hour == at.minute == 0):
        return f"{at:%m-%d}"
    return f"{at:%H:%M:%S}" if step % 60 else f"{at:%H:%M}"


def _ticks(lo: float, hi: float) -> list[float]:
    span = hi - lo
    raw = span / 4
    if not (math.isfinite(raw) and raw > 0):
        return []
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step) * step
    out: list[float] = []
    v = start
    while v <= hi + step * 1e-9 and len(out) < 12:
        out.append(0.0 if abs(v) < step * 1e-9 else v)
        v += step
    return out


def _level_path(fr: Frame, level: Level, lo: float, hi: float, y) -> str:  # type: ignore[no-untyped-def]
    parts = []
    for start, end, index, _name in fr.phases:
        value = level.by_phase.get(index)
        if value is None or not lo <= value <= hi:
            continue
        yy = y(value)
        parts.append(f"M{fr.x(start):.1f} {yy:.1f}H{fr.x(end):.1f}")
    if not parts:
        return ""
    return f'<path class="{level.css}" d="{"".join(parts)}"><title>{escape(level.key)}</title></path>'


def _lines(fr: Frame, values: Sequence[float], css: str, y) -> list[str]:  # type: ignore[no-untyped-def]
    segments, up, down = envelope(fr.columns, values)
    out = []
    d = []
    for seg in segments:
        if len(seg) == 1:
            c, v = seg[0]
            d.append(f"M{LEFT + c - 1.5} {y(v):.1f}h3")
            continue
        pts = [f"{LEFT + c} {y(v):.1f}" for c, v in seg]
        d.append("M" + "L".join(pts))
    if d:
        out.append(f'<path class="{css}" d="{"".join(d)}"/>')
    for c in up:
        out.append(f'<path class="{css} inf" d="M{LEFT + c - 3} {TOP + 6}l3 -6l3 6z"><title>+Inf</title></path>')
    for c in down:
        out.append(
            f'<path class="{css} inf" d="M{LEFT + c - 3} {TOP + PLOT_H - 6}l3 6l3 -6z"><title>-Inf</title></path>'
        )
    return out


def _strip(fr: Frame, codes: bytes | bytearray, top: float) -> list[str]:
    out = []
    for c0, c1, code in worst_runs(fr.columns, codes):
        css = STATUS_CLASS.get(code)
        if css is None:
            continue
        out.append(
            f'<rect class="{css}" x="{LEFT + c0 - 0.5:.1f}" y="{top}" width="{c1 - c0 + 1}" height="{STRIP_H}">'
            f"<title>{STATUS_WORD[code]}</title></rect>"
        )
    return out


def _marks(fr: Frame, top: float = TOP, bottom: float = TOP + PLOT_H) -> list[str]:
    out = []
    for t, css, label in fr.marks:
        x = fr.x(t)
        line = f'<line class="{css}" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}">'
        out.append(f"{line}<title>{escape(label)}</title></line>")
    return out


def _short(seconds: float) -> str:
    """A tick label: ``6h``, ``1h30m``, ``45s``, ``0s`` (zero parts left out)."""
    total = round(seconds)
    d, rest = divmod(total, 86400)
    h, rest = divmod(rest, 3600)
    m, sec = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((d, "d"), (h, "h"), (m, "m"), (sec, "s")) if v]
    return "".join(parts) or "0s"


def _offset(seconds: float) -> str:
    from datetime import timedelta

    return format_duration(timedelta(seconds=round(seconds)))
