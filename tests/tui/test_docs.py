"""docs/keys.md says what the mode table says: every key, and which modes allow it."""

from __future__ import annotations

from pathlib import Path

from canary_tui.tui.modes import KEYS, MODES

DOC = Path(__file__).resolve().parents[2] / "docs" / "keys.md"
ORDER = ["demo", "replay", "run", "dry-run", "watch"]


def test_keys_md_matches_the_mode_table():
    rows = [line for line in DOC.read_text().splitlines() if line.startswith("| `")]
    table = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        table[cells[0]] = cells[2:]
    want = {}
    for k in KEYS:
        keys = " or ".join(f"`{x.strip()}`" for x in k.keys.split(" or "))
        want[keys] = ["yes" if MODES[m].allows(k.control) else "no" for m in ORDER]
    assert table == want
