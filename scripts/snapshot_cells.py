#!/usr/bin/env python3
"""Compare SVG snapshots with their committed versions cell by cell, for reviewing a change that
should not change what is on screen (a refactoring of how lines are drawn).

Textual's SVG export writes one <text> per run of segments, so merging segments rewrites the file
and moves glyphs in rsvg's rendering (it collapses runs of blanks), while the terminal would show
the same thing. This compares what a terminal shows: every cell's character, every cell's
background, and for non-blank characters their colour and weight.

    scripts/snapshot_cells.py [--rev REV] SVG...     exit 1 when any cell differs
"""

from __future__ import annotations

import argparse
import html
import re
import subprocess
import sys

CELL_WIDTH = 12.2  # Textual's SVG export: pixels per column and per row
LINE_HEIGHT = 24.4
TEXT = re.compile(r'<text class="([^"]*)" x="([^"]*)" y="([^"]*)" textLength="[^"]*"[^>]*>([^<]*)</text>')
RECT = re.compile(r'<rect fill="([^"]*)" x="([^"]*)" y="([^"]*)" width="([^"]*)"')
CLASS = re.compile(r"\.(terminal-[a-z0-9-]*r\d+) \{([^}]*)\}")

Cells = dict[tuple[int, int], tuple[str, str]]


def cells(svg: str) -> tuple[Cells, dict[tuple[int, int], str]]:
    styles = dict(CLASS.findall(svg))
    text: Cells = {}
    for cls, x, y, chars in TEXT.findall(svg):
        row, col = round(float(y) / LINE_HEIGHT), round(float(x) / CELL_WIDTH)
        for i, ch in enumerate(html.unescape(chars).replace("\xa0", " ")):
            text[(row, col + i)] = (ch, styles.get(cls, cls).strip() if ch != " " else "")
    background = {}
    for fill, x, y, width in RECT.findall(svg):
        row, col = round((float(y) - 1.5) / LINE_HEIGHT), round(float(x) / CELL_WIDTH)
        for c in range(col, col + round(float(width) / CELL_WIDTH)):
            background[(row, c)] = fill
    return text, background


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rev", default="HEAD", help="the committed version to compare with (default HEAD)")
    p.add_argument("svg", nargs="+")
    a = p.parse_args()
    differ = 0
    for path in a.svg:
        old = subprocess.run(["git", "show", f"{a.rev}:{path}"], capture_output=True, text=True, check=True).stdout
        with open(path, encoding="utf-8") as f:
            new = f.read()
        (ot, ob), (nt, nb) = cells(old), cells(new)
        blank = (" ", "")
        text = sorted(k for k in ot.keys() | nt.keys() if ot.get(k, blank) != nt.get(k, blank))
        back = sorted(k for k in ob.keys() | nb.keys() if ob.get(k) != nb.get(k))
        print(f"{len(text):5d} cells {len(back):5d} backgrounds differ  {path}")
        for k in text[:5]:
            print(f"      row {k[0]} column {k[1]}: {ot.get(k)} -> {nt.get(k)}")
        for k in back[:5]:
            print(f"      row {k[0]} column {k[1]} background: {ob.get(k)} -> {nb.get(k)}")
        differ += len(text) + len(back)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
