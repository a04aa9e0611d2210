"""Make outside text safe to show: one rule per output channel, applied where the text leaves.

- Terminal text (error messages, the headless timeline, ``check``'s summary, the TUI): every control
  character is shown, not acted on and not hidden: ESC as ``\\x1b``, U+202E as ``\\u202e``
  (``visible``; ``clean`` also makes it one line and cuts it to a width).
- JSON Lines (stdout and the audit log): the same characters as ``\\uXXXX`` escapes, so the line
  stays valid JSON and decodes to the original text (``json_line_safe``).
- Markdown and HTML reports: ``clean`` first, then the writer escapes its markup.

The characters are C0 (but tab and newline where lines are kept), DEL, C1 (U+0080-U+009F, among them
the 8-bit CSI U+009B), the bidi controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069),
the zero-width and invisible format characters (U+200B-U+200D, U+2060-U+2064, U+FEFF), the line and
paragraph separators (U+2028, U+2029) and the interlinear annotation characters (U+FFF9-U+FFFB).
Nothing is removed: the text is shown as it came, with nothing a terminal would act on or hide.
Markup safety on the screen is the screen's own job: the TUI renders such strings as plain ``Text``,
never as markup.
"""

from __future__ import annotations

import re

# what a terminal would act on or hide (see the module's docstring)
_CONTROL_CLASS = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb"
)
_INVISIBLE = re.compile(f"[{_CONTROL_CLASS}]")
_INVISIBLE_OR_BREAK = re.compile(f"[\n{_CONTROL_CLASS}]")
_SPACES = re.compile(r"[\t\n\r]+")


def _escape_char(c: str) -> str:
    n = ord(c)
    if c == "\n":
        return "\\n"
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def _escape(m: re.Match[str]) -> str:
    return _escape_char(m.group())


def has_controls(text: str) -> bool:
    """True when ``text`` holds a character ``visible`` would escape (tab and newline do not count)."""
    return _INVISIBLE.search(text) is not None


def visible(text: object, *, lines: bool = False) -> str:
    """``text`` for a terminal with every control character shown, not acted on: ESC as ``\\x1b``,
    U+202E as ``\\u202e``. Tabs stay; newlines stay only with ``lines`` (else ``\\n``). Error
    messages, the timeline and ``check``'s summary pass through it: they show file names, key
    paths and plan values as the user wrote them, so nothing is removed, only made visible."""
    s = str(text)
    pattern = _INVISIBLE if lines else _INVISIBLE_OR_BREAK
    return pattern.sub(_escape, s) if pattern.search(s) else s


def clean(text: object, limit: int | None = None) -> str:
    """``text`` as one safe line for a screen or a report: whitespace runs (tabs, line breaks) made
    one space, control characters shown escaped (``visible``), cut to ``limit`` characters with an
    ellipsis (never inside an escape, so the width stays what the caller planned)."""
    s = _SPACES.sub(" ", str(text)).strip()
    if _INVISIBLE.search(s) is not None:
        s = _cut_escaped(s, limit)
    if limit is not None and len(s) > limit:
        s = s[: max(0, limit - 1)].rstrip() + "…"
    return s


def _cut_escaped(s: str, limit: int | None) -> str:
    """``s`` with its control characters escaped; when that is longer than ``limit``, cut before the
    escape that would cross ``limit - 1`` and ended with the ellipsis."""
    whole = _INVISIBLE.sub(_escape, s)
    if limit is None or len(whole) <= limit:
        return whole
    out: list[str] = []
    used = 0
    for c in s:
        piece = _escape_char(c) if _INVISIBLE.match(c) else c
        if used + len(piece) > limit - 1:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out).rstrip() + "…"


# Characters a JSON encoder leaves raw (it escapes only C0, quote and backslash) that a terminal
# showing the line (`tail -f`, `jq`) would still act on: DEL, C1 (8-bit CSI), bidi and zero-width.
_JSON_RAW = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]")


def json_line_safe(line: str) -> str:
    """An encoded JSON line with the characters above written as ``\\uXXXX`` escapes.

    Such characters can only stand inside JSON strings, so the line stays valid JSON and decodes
    to the original text. Every JSON Lines writer (stdout, audit log) passes its lines through this."""
    if (line.isascii() and "\x7f" not in line) or not _JSON_RAW.search(line):  # the first test is 10x faster
        return line
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", line)
