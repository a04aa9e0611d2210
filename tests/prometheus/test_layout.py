"""The Prometheus library stays inside its one adapter module, and out of everything that does not query."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "canary_tui"
LIBRARIES = ("prometheus_api_client", "requests")


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_client_module_imports_the_prometheus_library() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if imported(path) & set(LIBRARIES) and path != PACKAGE / "prometheus" / "client.py"
    ]
    assert offenders == []
    assert "prometheus_api_client" in imported(PACKAGE / "prometheus" / "client.py")


def test_the_source_and_the_commands_load_it_only_when_they_query() -> None:
    code = (
        "import sys\n"
        "import canary_tui.prometheus.source, canary_tui.prometheus.preflight, canary_tui.prometheus.recorder\n"
        "import canary_tui.commands.run_dry, canary_tui.commands.record\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('prometheus_api_client', 'requests', 'urllib3')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
