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
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
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


# Characters a JSON encoder leaves raw (it escapes only C0, quote and backslash) that a terminal
# showing the line (`tail -f`, `jq`) would still act on: DEL, C1 (8-bit CSI), bidi and zero-width.
_JSON_RAW = re.compile(r"[\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def json_line_safe(line: str) -> str:
    """An encoded JSON line with the characters above written as ``\\uXXXX`` escapes.

    Such characters can only stand inside JSON strings, so the line stays valid JSON and decodes
    to the original text. Every JSON Lines writer (stdout, audit log) passes its lines through this."""
    if (line.isascii() and "\x7f" not in line) or not _JSON_RAW.search(line):  # the first test is 10x faster
        return line
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", line)


# What a terminal would act on or hide: C0 (but tab and newline), DEL, C1, bidi controls,
# zero-width characters, the line and paragraph separators and the BOM.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def visible(text: object, *, lines: bool = False) -> str:
    """``text`` for a terminal with every control character shown, not acted on: ESC as ``\\x1b``,
    U+202E as ``\\u202e``. Tabs stay; newlines stay only with ``lines`` (else ``\\n``). Error
    messages, the timeline and ``check``'s summary pass through it: they show file names, key
    paths and plan values as the user wrote them, so nothing is removed, only made visible."""
    s = str(text)
    if not lines and "\n" in s:
        s = s.replace("\n", "\\n")
    return _INVISIBLE.sub(_escape, s) if _INVISIBLE.search(s) else s
