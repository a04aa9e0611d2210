"""The core stays pure and the CLI stays light: checked in fresh interpreters."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("textual", "rich", "kubernetes", "prometheus_api_client", "requests", "plotext")

PROBE = """
import sys, importlib
for name in {modules!r}:
    importlib.import_module(name)
{extra}
loaded = sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))
print(",".join(loaded))
"""


def loaded_after(modules: list[str], extra: str = "") -> list[str]:
    code = PROBE.format(modules=modules, heavy=HEAVY, extra=extra)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    return [m for m in out.split(",") if m]


CORE = [
    "canary_tui.core.model",
    "canary_tui.core.planfile",
    "canary_tui.core.fixture",
    "canary_tui.core.rule",
    "canary_tui.core.gates",
    "canary_tui.core.events",
    "canary_tui.core.codec",
    "canary_tui.core.pods",
    "canary_tui.core.durations",
]


def test_the_core_imports_no_ui_cluster_or_prometheus_library() -> None:
    assert loaded_after(CORE) == []


def test_the_controller_and_headless_modes_import_none_either() -> None:
    mods = [
        "canary_tui.controller",
        "canary_tui.replay",
        "canary_tui.sim.demo",
        "canary_tui.output.timeline",
        "canary_tui.output.jsonl",
        "canary_tui.commands.demo",
        "canary_tui.commands.replay",
    ]
    assert loaded_after(mods) == []


def test_building_the_cli_for_help_loads_nothing_heavy() -> None:
    assert loaded_after(["canary_tui.cli"], "sys.modules['canary_tui.cli'].build_parser()") == []


def test_the_core_does_not_import_the_rest_of_the_package() -> None:
    import ast
    from pathlib import Path

    core = Path(__file__).resolve().parent.parent / "canary_tui" / "core"
    allowed = {"errors"}
    for path in core.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 2:
                assert (node.module or "").split(".")[0] in allowed, f"{path.name} imports ..{node.module}"
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                assert not name.startswith(HEAVY), f"{path.name} imports {name}"
