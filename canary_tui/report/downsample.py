"""Downsampling for drawing only: per pixel bucket the min and the max (so spikes survive), the worst status.

The decisions never see this: they were made on every evaluation and are read from the log as made.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .model import SEVERITY

Point = tuple[float, float]  # (bucket, value)


def bucket_of(times: Sequence[float], t0: float, t1: float, width: int) -> list[int]:
    """The pixel column (0..width-1) of each time."""
    scale = (width - 1) / (t1 - t0) if t1 > t0 else 0.0
    top = width - 1
    return [min(top, max(0, int((t - t0) * scale + 0.5))) for t in times]


def envelope(columns: Sequence[int], values: Sequence[float]) -> tuple[list[list[Point]], list[int], list[int]]:
    """Line segments through each column's min and max, in the order they happened; a column with
    no finite value breaks the line. Also the columns holding +Inf and -Inf (drawn as markers)."""
    segments: list[list[Point]] = []
    current: list[Point] = []
    up: list[int] = []
    down: list[int] = []
    col = -1
    lo = hi = math.nan
    lo_i = hi_i = 0
    have = False
    isfinite = math.isfinite

    def flush() -> None:
        nonlocal current
        if have:
            if lo_i == hi_i:
                current.append((col, lo))
            elif lo_i < hi_i:
                current.append((col, lo))
                current.append((col, hi))
            else:
                current.append((col, hi))
                current.append((col, lo))
        elif current:
            segments.append(current)
            current = []

    for i, (c, v) in enumerate(zip(columns, values, strict=True)):
        if c != col:
            if col >= 0:
                flush()
            col, have = c, False
        if isfinite(v):
            if not have:
                lo = hi = v
                lo_i = hi_i = i
                have = True
            elif v < lo:
                lo, lo_i = v, i
            elif v > hi:
                hi, hi_i = v, i
        elif v == math.inf:
            if not up or up[-1] != c:
                up.append(c)
        elif v == -math.inf and (not down or down[-1] != c):
            down.append(c)
    if col >= 0:
        flush()
    if current:
        segments.append(current)
    return segments, up, down


def worst_runs(columns: Sequence[int], codes: bytes | bytearray) -> list[tuple[int, int, int]]:
    """Runs of columns whose worst status is not a pass: (first column, last column, status code).
    An evaluation covers its columns up to the next evaluation's, so a short release has wide marks."""
    worst: dict[int, int] = {}
    sev = SEVERITY
    n = len(columns)
    for i, (c, code) in enumerate(zip(columns, codes, strict=True)):
        s = sev.get(code, 0)
        if not s:
            continue
        until = max(c + 1, columns[i + 1]) if i + 1 < n else c + 1
        for col in range(c, until):
            if s > sev.get(worst.get(col, 0), 0):
                worst[col] = code
    runs: list[tuple[int, int, int]] = []
    for c in sorted(worst):
        code = worst[c]
        if runs and runs[-1][2] == code and runs[-1][1] == c - 1:
            runs[-1] = (runs[-1][0], c, code)
        else:
            runs.append((c, c, code))
    return runs


def spark_values(columns: Sequence[int], values: Sequence[float], width: int, high_is_bad: bool) -> list[float]:
    """One value per column for a text sparkline: the worst one (max, or min when low is bad); NaN
    where the column has none. Infinities count as the extreme of the column."""
    out = [math.nan] * width
    for c, v in zip(columns, values, strict=True):
        if v != v:
            continue
        cur = out[c]
        if cur != cur or (v > cur if high_is_bad else v < cur):
            out[c] = v
    return out
