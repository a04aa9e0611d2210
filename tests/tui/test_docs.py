"""The docs say what the program does: docs/keys.md's key table, README.md's example output, `demo
--help`'s scenarios, docs/fixtures.md's table of fixtures, `check --offline` in the README."""

from __future__ import annotations

import os
import re
import subprocess
import sys
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


# ---------------------------------------------------------------------------- docs from the program
# README's example output and screenshots are made by scripts/screenshots (make screenshots); these
# fail when the docs drift from what the program does.

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
FIXTURES = ROOT / "fixtures"
EXAMPLE = ["demo", "--headless", "--scenario", "error-spike"]


def canary_tui(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-m", "canary_tui", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )


def test_the_readmes_example_output_is_what_the_program_prints(tmp_path):
    text = README.read_text()
    prompt = "$ canary-tui " + " ".join(EXAMPLE) + "\n"
    assert prompt in text, "the README's example (scripts/screenshots writes its output) is gone"
    start = text.index(prompt) + len(prompt)
    shown = text[start : text.index("```", start)]
    out = canary_tui(*EXAMPLE, tmp_path=tmp_path)
    assert out.returncode == 1 and not out.stderr
    assert shown == out.stdout, "README.md's example output is stale: run scripts/screenshots --readme-only"


def test_demo_help_names_every_scenario(tmp_path):
    listed = canary_tui("demo", "--list-scenarios", tmp_path=tmp_path).stdout.splitlines()
    names = [line.split()[0] for line in listed if line.strip()]
    assert len(names) >= 7 and "smoke-failure" in names and "doubled-errors" in names
    helptext = canary_tui("demo", "--help", tmp_path=tmp_path).stdout
    helptext = re.sub(r"\s+", " ", re.sub(r"-\n\s+", "-", helptext))  # argparse wraps, even at hyphens
    scenario = helptext[helptext.index("--scenario NAME") : helptext.index("--list-scenarios list")]
    for name in names:
        assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", scenario), name


def test_the_fixtures_table_lists_every_fixture():
    doc = (ROOT / "docs" / "fixtures.md").read_text()
    section = doc[doc.index("## The fixtures in `fixtures/`") :]
    section = section[: section.find("\n## ") if "\n## " in section else None]
    table = set(re.findall(r"^\| `([^`]+)` \|", section, re.MULTILINE))
    top = {p.name for p in FIXTURES.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml", ".json")}
    assert top - table == set(), "fixtures missing from docs/fixtures.md's table"
    assert table - top == set(), "the table lists fixtures that are gone"
    for sub in (p for p in FIXTURES.iterdir() if p.is_dir()):
        assert f"`{sub.name}/`" in section, sub.name
        for f in sub.iterdir():
            assert f"`{f.name}`" in section, f"fixtures/{sub.name}/{f.name} is not in docs/fixtures.md"


def test_the_readme_names_check_offline():
    text = README.read_text()
    assert "check --offline" in text or re.search(r"check +PLAN \[--offline\]", text)
    assert "canary-tui check --offline PLAN" in text
