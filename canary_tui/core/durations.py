"""Go-style durations ("90s", "1h30m") and RFC 3339 UTC timestamps, both ways."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_PART = re.compile(r"(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)")
MAX_NS = (1 << 63) - 1
"""The longest Go ``time.Duration`` (int64 nanoseconds), the range of Argo Rollouts' and Flagger's durations."""
MAX_DURATION_TEXT = "2562047h47m16.854775807s"
MAX_DURATION = timedelta(microseconds=(MAX_NS + 500) // 1000)


def parse_duration(text: str) -> timedelta:
    """Parse a Go duration string such as ``12h``, ``1h30m`` or ``250ms`` (no sign allowed).

    Go's range is the limit: at most 2562047h47m16.854775807s. Raises ValueError with a message
    meant for a person.
    """
    s = text.strip()
    if s == "0":
        return timedelta(0)
    if not s:
        raise ValueError("empty duration")
    if s[0] in "+-":
        raise ValueError(f"bad duration {_shown(text)}: durations cannot be negative or signed")
    pos = 0
    total_ns = 0
    while pos < len(s):
        m = _PART.match(s, pos)
        if m is None or not (m.group(1) or m.group(2)):
            hint = ""
            if re.fullmatch(r"\d+(\.\d+)?", s):
                hint = f" (missing unit: {s}s? {s}m?)"
            elif re.search(r"\d+d", s):
                hint = " (days are not a unit: use h, e.g. 24h)"
            raise ValueError(f"bad duration {_shown(text)}: use h, m, s, ms, e.g. 90s, 5m, 1h30m{hint}")
        whole, frac, unit = m.group(1), m.group(2) or "", m.group(3)
        if len(whole.lstrip("0")) > 20:  # past int64 whatever the unit: refuse before converting the digits
            raise ValueError(_too_long(text))
        unit_ns = _UNITS_NS[unit]
        total_ns += int(whole or "0") * unit_ns
        if frac:
            frac = frac[:20]  # digits past a nanosecond of an hour change nothing
            total_ns += int(frac) * unit_ns // 10 ** len(frac)
        if total_ns > MAX_NS:
            raise ValueError(_too_long(text))
        pos = m.end()
    return timedelta(microseconds=(total_ns + 500) // 1000)


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:39] + "…")


def _too_long(text: str) -> str:
    return (
        f"duration {_shown(text)} is out of range: at most {MAX_DURATION_TEXT} "
        "(Go's time.Duration, as in Argo Rollouts and Flagger)"
    )


def format_duration(d: timedelta) -> str:
    """Format like Go's Duration.String(): ``13h5m0s``, ``5m0s``, ``1.5s``, ``250ms``, ``0s``."""
    us = d // timedelta(microseconds=1)
    if us == 0:
        return "0s"
    sign = "-" if us < 0 else ""
    us = abs(us)
    if us < 1_000_000:
        if us % 1000 == 0:
            return f"{sign}{us // 1000}ms"
        if us < 1000:
            return f"{sign}{us}µs"
        return f"{sign}{_trim(us / 1000)}ms"
    hours, rest = divmod(us, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds = _trim(rest / 1_000_000) if rest % 1_000_000 else str(rest // 1_000_000)
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{sign}{minutes}m{seconds}s"
    return f"{sign}{seconds}s"


def format_short(d: timedelta) -> str:
    """A compact form for screens: ``12h``, ``1h30m``, ``4m10s``, ``45s`` (no trailing zero units)."""
    total = int(d.total_seconds())
    if total <= 0:
        return "0s"
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    out = ""
    if h:
        out += f"{h}h"
    if m:
        out += f"{m}m"
    if s and not h:
        out += f"{s}s"
    return out or "0s"


def _trim(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".")


def format_time(t: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``; sub-second digits only when the time has them."""
    if t.utcoffset():
        t = t.astimezone(UTC)
    us = t.microsecond
    spec = "seconds" if not us else ("milliseconds" if us % 1000 == 0 else "microseconds")
    return t.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 timestamp; a timestamp without an offset is refused (ambiguous)."""
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    try:
        t = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(f"bad time {text!r}: want RFC 3339, e.g. 2026-02-19T05:33:00Z") from None
    if t.tzinfo is None:
        raise ValueError(f"bad time {text!r}: give a UTC offset, e.g. 2026-02-19T05:33:00Z")
    return t.astimezone(UTC)


def time_or_none(text: object) -> datetime | None:
    """An RFC 3339 timestamp from an outside document, or None when it is missing or not one."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return parse_time(text)
    except ValueError:
        return None
