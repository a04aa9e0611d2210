"""Make outside text safe to show: no terminal control sequences, no invisible direction tricks.

Everything that comes from outside (pod names, label values, error bodies, Prometheus warnings)
passes through ``clean`` before it is shown or logged. Markup safety is the screen's own job:
the TUI renders such strings as plain ``Text``, never as markup.
"""

from __future__ import annotations

import re

# CSI/OSC/other escape sequences first (so their parameters go too), then single control chars.
_ESCAPES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]          # CSI ... final byte
    | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?  # OSC ... BEL or ST
    | \x1b[PX^_][^\x1b]*(?:\x1b\\)?   # DCS, SOS, PM, APC ... ST
    | \x1b.?                          # any other escape
    | \x9b[0-?]*[ -/]*[@-~]           # 8-bit CSI
    """,
    re.VERBOSE,
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"[\t\n\r]+")


def clean(text: object, limit: int | None = None) -> str:
    """``text`` as one safe line: escapes and control characters removed, whitespace runs turned
    into one space, and cut to ``limit`` characters with an ellipsis."""
    s = str(text)
    s = _ESCAPES.sub("", s)
    s = _SPACES.sub(" ", s)
    s = _CONTROLS.sub("", s)
    s = s.strip()
    if limit is not None and len(s) > limit:
        s = s[: max(0, limit - 1)].rstrip() + "…"
    return s
