"""Themes the control room adds to Textual's: a high-contrast one for wall screens and projectors."""

from __future__ import annotations

from textual.theme import BUILTIN_THEMES, Theme

HIGH_CONTRAST = Theme(
    name="high-contrast",
    primary="#3fb8ff",
    secondary="#ffffff",
    accent="#3fb8ff",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#202020",
    success="#33ff66",
    warning="#ffd21f",
    error="#ff3b3b",
    dark=True,
    variables={
        "border": "#ffffff",
        "footer-key-foreground": "#ffd21f",
        "block-cursor-background": "#ffd21f",
        "block-cursor-foreground": "#000000",
    },
)
"""White on black, saturated green, amber and red, readable from across a room."""

EXTRA_THEMES = (HIGH_CONTRAST,)


def theme_names() -> list[str]:
    """Every theme ``--theme`` accepts: Textual's built-in ones and ours."""
    return sorted({*BUILTIN_THEMES, *(t.name for t in EXTRA_THEMES)})
