"""How things look: the current Textual theme's colours as Rich styles, and outside text made safe.

Every string from outside (pod names, reasons, actors, error bodies) reaches the screen through
``safe``: control sequences stripped by ``sanitize.clean`` and wrapped in a Rich ``Text``, which
is never parsed as markup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from ..sanitize import clean
from .model import Tone

SPARKS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Look:
    """Rich styles for each tone in the current theme."""

    good: Style
    warn: Style
    bad: Style
    info: Style
    accent: Style
    muted: Style
    text: Style
    stable: Style
    track: Style
    variant: Style  # the what-if variant's track (replay --whatif): a violet no tone uses
    dark: bool = True

    def tone(self, tone: Tone) -> Style:
        return getattr(self, tone.value)  # type: ignore[no-any-return]


def look_for(variables: dict[str, str], dark: bool) -> Look:
    """The look for a theme, from ``App.theme_variables``. Tones are darkened on light themes so
    green and amber stay readable on a light background."""
    from textual.color import Color

    def color(name: str, fallback: str) -> Color:
        try:
            return Color.parse(variables.get(name, fallback))
        except Exception:
            return Color.parse(fallback)

    fg = color("foreground", "#e0e0e0" if dark else "#1f1f1f")
    bg = color("background", "#121212" if dark else "#e0e0e0")

    def tone(name: str, fallback: str) -> Style:
        c = color(name, fallback)
        if not dark:
            c = c.blend(fg, 0.35)
        return Style(color=c.rich_color)

    primary = color("primary", "#0178d4")
    # the canary is the theme's primary colour (brightened on dark themes), stable a neutral grey:
    # green, amber and red stay free for pass, warn and fail
    canary = primary.blend(fg, 0.25) if dark else primary
    return Look(
        good=tone("success", "#4ebf71"),
        warn=tone("warning", "#fea62b"),
        bad=tone("error", "#b93c5b"),
        info=Style(color=fg.rich_color),
        accent=Style(color=canary.rich_color),
        muted=Style(color=bg.blend(fg, 0.55).rich_color),
        text=Style(color=fg.rich_color),
        stable=Style(color=bg.blend(fg, 0.7).rich_color),
        track=Style(color=bg.blend(fg, 0.2).rich_color),
        dark=dark,
        variant=tone("canary-tui-variant", "#c678dd"),
    )


def safe(text: object, limit: int | None = None, style: Style | str = "", wrap: bool = False) -> Text:
    """Outside text as plain Text: no control sequences, never markup."""
    if wrap:
        return Text(clean(text, limit), style=style, overflow="fold")
    return Text(clean(text, limit), style=style, no_wrap=True, overflow="ellipsis")


def clock(at: datetime | None, full: bool = False) -> str:
    """The controller's time, UTC: ``05:33:00``, or ``2026-02-19 05:33:00Z`` when ``full``."""
    if at is None:
        return "--:--:--"
    return at.strftime("%Y-%m-%d %H:%M:%SZ" if full else "%H:%M:%S")


def bar(fraction: float, width: int, done: Style, track: Style) -> list[Segment]:
    """A progress bar of ``width`` cells with eighths, drawn with block characters."""
    width = max(1, width)
    fraction = min(1.0, max(0.0, fraction))
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    out = [Segment("█" * full, done)] if full else []
    if full < width:
        if part:
            out.append(Segment(" ▏▎▍▌▋▊▉"[part], done))
            full += 1
        out.append(Segment("─" * (width - full), track))
    return out


def spark(values: list[float | None], lo: float, hi: float) -> str:
    """Sparkline characters for ``values`` on the scale lo..hi; a missing value is a middle dot."""
    span = hi - lo
    top = len(SPARKS) - 1
    out = []
    for v in values:
        if v is None or math.isnan(v):
            out.append("·")
        elif math.isinf(v):
            out.append(SPARKS[top] if v > 0 else SPARKS[0])
        elif span <= 0:
            out.append(SPARKS[top // 2])
        else:
            out.append(SPARKS[round((min(max(v, lo), hi) - lo) / span * top)])
    return "".join(out)


def scale(*series: list[float | None]) -> tuple[float, float]:
    """The shared low and high of the finite values of several series (0..1 when there are none)."""
    finite = [v for s in series for v in s if v is not None and math.isfinite(v)]
    if not finite:
        return 0.0, 1.0
    return min(finite), max(finite)
