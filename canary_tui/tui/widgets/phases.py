"""Phase progress: one bar per phase (weight, soak elapsed / duration, time left), and the release overall."""

from __future__ import annotations

from datetime import timedelta

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.reactive import reactive

from ...sanitize import clean
from ..grid import Cell, Column, LinesWidget, cell, lay_out, width_of
from ..look import Look, bar
from ..model import PHASE_TONE, PhaseRow, PhaseState, short_duration

MARKS = {
    PhaseState.DONE: "✓",
    PhaseState.CURRENT: "▶",
    PhaseState.PENDING: "·",
    PhaseState.ROLLED_BACK: "✗",
    PhaseState.STOPPED: "■",
}
VARIANT_NAME = "what-if"
THIN = str.maketrans({"█": "━", "─": "╌", **dict.fromkeys("▏▎▍", "╸"), **dict.fromkeys("▌▋▊▉", "━")})


class PhaseProgress(LinesWidget):
    """Renders ``rows`` (from ``RoomModel.phase_rows``), ``progress`` (0..1) and ``weight``; with a
    what-if variant (``replay --whatif``), ``variant`` (its rows, ``VariantTimeline.rows``) as a second
    track: a line under each phase when ``stacked``, else a column beside the words (compact)."""

    DEFAULT_CSS = """
    PhaseProgress {
        height: auto;
        border: round $primary 40%;
        border-title-color: $foreground;
        border-title-style: bold;
        padding: 0 1;
    }
    """

    rows: reactive[tuple[PhaseRow, ...]] = reactive(())
    progress: reactive[float] = reactive(0.0)
    weight: reactive[int | None] = reactive(None)
    look: reactive[Look | None] = reactive(None)
    variant: reactive[tuple[PhaseRow, ...]] = reactive(())
    stacked: reactive[bool] = reactive(True)

    def on_mount(self) -> None:
        self.border_title = "Phases"

    def watch_rows(self, old: tuple[PhaseRow, ...], new: tuple[PhaseRow, ...]) -> None:
        if len(old) != len(new):  # a layout costs milliseconds: only when the height changes
            self.refresh(layout=True)

    def watch_variant(self, old: tuple[PhaseRow, ...], new: tuple[PhaseRow, ...]) -> None:
        if len(old) != len(new) and self.stacked:
            self.refresh(layout=True)

    def watch_stacked(self) -> None:
        if self.variant:
            self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """One line per phase (two with a stacked variant), the release and the traffic: known
        without rendering (fast layout)."""
        if not self.rows:
            return 1
        return len(self.rows) + 2 + (len(self.variant) if self.variant and self.stacked else 0)

    def build(self, width: int) -> list[Cell]:
        look = self.look
        if look is None or not self.rows:
            return []
        width = max(20, width)
        variant = self.variant if len(self.variant) == len(self.rows) else ()
        stacked = bool(variant) and self.stacked
        name_w = max([len(r.name) for r in self.rows] + [len("release")] + ([len(VARIANT_NAME) + 2] if stacked else []))
        inline = [_inline(v, look) for v in variant] if variant and not stacked else []
        side = max([width_of(c) for c in inline], default=-1) + 1  # the compact variant column and its gap
        fixed = 1 + name_w + 4 + 4 + side  # mark, name, weight, the gaps between the five columns
        # the words (time left, "rolled back here") before the bars: the bar gives way first
        room = width - fixed - 4  # the words' room next to the shortest bar
        times = [self._times(row, look, room) for row in self.rows]
        lines = [self._times(v, look, room, variant=True) for v in variant] if stacked else []
        words = max([16, *(width_of(t) for t in times + lines)])
        bar_w = max(4, min(48, (width - fixed) * 2 // 5, width - fixed - words))
        times_w = max(10, width - fixed - bar_w)
        rows = []
        for i, (row, t) in enumerate(zip(self.rows, times, strict=True)):
            rows.append(self._row(row, look, bar_w, t))
            if stacked:
                rows.append(self._variant_row(variant[i], row, look, bar_w, lines[i]))
            elif inline:
                rows[-1].append(inline[i])
        rows.append(
            [
                cell(("Σ", look.muted)),
                cell(("release", look.muted)),
                cell((f"{round(self.progress * 100)}%", look.text)),
                bar(self.progress, bar_w, look.accent, look.track),
                cell(("of the soak time", look.muted)),
            ]
        )
        if self.weight is not None:
            split = f"canary; stable {100 - self.weight}%"
            if len(split) > times_w:  # never cut the figure: "stable 9…" would read as 9%
                split = f"stable {100 - self.weight}%"
            rows.append(
                [
                    cell(("⇄", look.muted)),
                    cell(("traffic", look.muted)),
                    cell((f"{self.weight}%", look.accent)),
                    bar(self.weight / 100, bar_w, look.accent, look.stable),
                    cell((split, look.muted)),
                ]
            )
        columns = [Column(width=1), Column(width=name_w), Column(width=4, right=True), Column(width=bar_w)]
        columns.append(Column(width=times_w))
        if inline:
            columns.append(Column(width=side - 1))
        return lay_out(rows, columns, width)

    def _row(self, row: PhaseRow, look: Look, width: int, times: Cell) -> list[Cell]:
        st = row.state
        tone = look.tone(PHASE_TONE[st])
        name_style = look.text + Style(bold=True) if st is PhaseState.CURRENT else tone
        weight_style = look.text if st is not PhaseState.PENDING else look.muted
        track = bar(_fraction(row), width, tone if st is not PhaseState.PENDING else look.track, look.track)
        return [
            cell((MARKS[st], tone)),
            cell((clean(row.name, 24), name_style)),
            cell((f"{row.weight}%", weight_style)),
            track,
            times,
        ]

    def _variant_row(self, v: PhaseRow, base: PhaseRow, look: Look, width: int, times: Cell) -> list[Cell]:
        """The variant's line under a phase: its mark, "≈ what-if", its weight when the edit changed
        it, a thin bar of its soak and its words, in the variant's colour where it is not a tone."""
        tone = look.tone(PHASE_TONE[v.state])
        fill = bar(_fraction(v), width, tone if v.state is not PhaseState.PENDING else look.track, look.track)
        thin = [Segment(s.text.translate(THIN), s.style) for s in fill]
        return [
            cell((MARKS[v.state], tone)),
            cell(("≈ ", look.variant), (VARIANT_NAME, look.variant + Style(italic=True))),
            cell((f"{v.weight}%", look.variant)) if v.weight != base.weight else [],
            thin,
            times,
        ]

    def _times(self, row: PhaseRow, look: Look, room: int, variant: bool = False) -> Cell:
        """The words after a phase's bar: the longest way of saying it that fits ``room`` cells (the
        time left and the time of a rollback survive a narrow panel). A variant's phase it has not
        reached says nothing."""
        d = short_duration(row.duration) if row.duration else "no soak"
        st = row.state
        if st is PhaseState.PENDING:
            if variant:
                return []
            return cell((f"soak {d}" if row.duration else d, look.muted))
        elapsed = short_duration(row.elapsed or timedelta(0))
        if st is PhaseState.DONE:
            return cell((f"done in {elapsed}", look.good))
        if st is PhaseState.ROLLED_BACK:
            return _first_fit(
                room, cell((f"rolled back here, at {elapsed}", look.bad)), cell((f"rolled back at {elapsed}", look.bad))
            )
        if st is PhaseState.STOPPED:
            return _first_fit(
                room, cell((f"stopped at {elapsed} / {d}", look.warn)), cell((f"stopped at {elapsed}", look.warn))
            )
        left = row.remaining
        if left is None or not row.duration:
            return cell((f"{elapsed} / {d}", look.text))
        rest = f"{short_duration(left)} left" if left > timedelta(0) else "soaked"
        return _first_fit(
            room,
            cell((f"{elapsed} / {d}", look.text), (f" · {rest}", look.muted)),
            cell((f"{elapsed}/{d}", look.text), (f" {rest}", look.muted)),
            cell((rest, look.text), (f" of {d}", look.muted)),
        )


def _inline(v: PhaseRow, look: Look) -> Cell:
    """The variant's phase in a few cells, for the compact column: ``≈✓ 4m00s``, ``≈▶ 2m00s``,
    ``≈✗ at 1m00s``, ``≈■ at 2m00s``, ``≈·``."""
    tone = look.tone(PHASE_TONE[v.state])
    elapsed = short_duration(v.elapsed or timedelta(0))
    words = {
        PhaseState.DONE: elapsed,
        PhaseState.CURRENT: elapsed,
        PhaseState.PENDING: "",
        PhaseState.ROLLED_BACK: f"at {elapsed}",
        PhaseState.STOPPED: f"at {elapsed}",
    }[v.state]
    return cell(("≈", look.variant), (MARKS[v.state], tone), (f" {words}" if words else "", tone))


def _first_fit(room: int, *ways: Cell) -> Cell:
    """The first of ``ways`` that fits in ``room`` cells (else the last, the shortest)."""
    return next((w for w in ways if width_of(w) <= room), ways[-1])


def _fraction(row: PhaseRow) -> float:
    if row.state is PhaseState.DONE:
        return 1.0
    if row.elapsed is None:
        return 0.0
    if not row.duration:
        return 1.0 if row.state is not PhaseState.CURRENT else 0.0
    return min(1.0, row.elapsed / row.duration)
