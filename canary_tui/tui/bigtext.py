"""Big letters for a wall screen: a 5-pixel-high block font, drawn with half blocks (3 lines) or, on
a wide terminal, with full blocks two cells wide (5 lines). Pure: text in, lines of text out."""

from __future__ import annotations

HEIGHT = 5
_FONT_SOURCE = """
A .##. #..# #### #..# #..#
B ###. #..# ###. #..# ###.
C .### #... #... #... .###
D ###. #..# #..# #..# ###.
E #### #... ###. #... ####
F #### #... ###. #... #...
G .### #... #.## #..# .###
H #..# #..# #### #..# #..#
I ### .#. .#. .#. ###
J ..## ...# ...# #..# .##.
K #..# #.#. ##.. #.#. #..#
L #... #... #... #... ####
M #...# ##.## #.#.# #...# #...#
N #..# ##.# #.## #..# #..#
O .##. #..# #..# #..# .##.
P ###. #..# ###. #... #...
Q .##. #..# #..# #.## .###
R ###. #..# ###. #.#. #..#
S .### #... .##. ...# ###.
T ##### ..#.. ..#.. ..#.. ..#..
U #..# #..# #..# #..# .##.
V #..# #..# #..# .##. .##.
W #...# #...# #.#.# ##.## #...#
X #..# #..# .##. #..# #..#
Y #...# .#.#. ..#.. ..#.. ..#..
Z #### ...# .##. #... ####
0 .##. #..# #..# #..# .##.
1 .#. ##. .#. .#. ###
2 ###. ...# .##. #... ####
3 ###. ...# .##. ...# ###.
4 #..# #..# #### ...# ...#
5 #### #... ###. ...# ###.
6 .##. #... ###. #..# .##.
7 #### ...# ..#. .#.. .#..
8 .##. #..# .##. #..# .##.
9 .##. #..# .### ...# .##.
% #..# ...# ..#. .#.. #..#
- .... .... #### .... ....
_ .... .... .... .... ####
. . . . . #
: . # . # .
/ ...# ..#. .#.. #... #...
? ###. ...# .##. .... .#..
"""
FONT: dict[str, tuple[str, ...]] = {
    line[0]: tuple(line[2:].split()) for line in _FONT_SOURCE.strip().splitlines() if len(line) > 2
}
FONT[" "] = ("..",) * HEIGHT


def glyphs(text: str) -> list[tuple[str, ...]]:
    return [FONT.get(ch, FONT["?"]) for ch in text.upper()]


def width(text: str, scale: int = 1) -> int:
    """Cells ``render(text, scale)`` takes: each glyph and a one-pixel gap between glyphs."""
    gs = glyphs(text)
    if not gs:
        return 0
    return (sum(len(g[0]) for g in gs) + len(gs) - 1) * scale


def _pixels(text: str) -> list[str]:
    rows = ["" for _ in range(HEIGHT)]
    for i, g in enumerate(glyphs(text)):
        for y in range(HEIGHT):
            rows[y] += ("." if i else "") + g[y]
    return rows


def render(text: str, scale: int = 1) -> list[str]:
    """``text`` in big letters: scale 1 packs two pixel rows into one line with half blocks (3 lines),
    scale 2 draws each pixel as two full blocks side by side (5 lines)."""
    rows = _pixels(text)
    if scale >= 2:
        return ["".join("██" if p == "#" else "  " for p in row) for row in rows]
    rows.append("." * len(rows[0]))
    out = []
    for top, bottom in zip(rows[0::2], rows[1::2], strict=True):
        out.append("".join(_HALF[(a == "#", b == "#")] for a, b in zip(top, bottom, strict=True)))
    return out


_HALF = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def lines(scale: int) -> int:
    """Lines ``render`` gives at ``scale``."""
    return HEIGHT if scale >= 2 else (HEIGHT + 1) // 2
