"""The kubernetes client costs about half a second to import: only ``canary_tui/kube/client.py`` may
import it, and only inside its functions, so ``--help`` and every command that does not talk to a
cluster never pays for it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from kubehelpers import ROOT

PACKAGE = ROOT / "canary_tui"


def kubernetes_imports(path: Path) -> list[tuple[int, bool]]:
    """(line, at module level) of each import of kubernetes in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = set(map(id, tree.body))
    out = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        if any(n == "kubernetes" or n.startswith("kubernetes.") for n in names):
            out.append((node.lineno, id(node) in top))
    return out


def test_only_the_client_module_imports_kubernetes_and_only_lazily():
    found = {p.relative_to(ROOT).as_posix(): kubernetes_imports(p) for p in PACKAGE.rglob("*.py")}
    found = {k: v for k, v in found.items() if v}
    assert set(found) == {"canary_tui/kube/client.py"}
    assert not any(top for _, top in found["canary_tui/kube/client.py"])


def test_help_and_the_kube_modules_do_not_load_kubernetes():
    code = (
        "import sys, importlib, pkgutil\n"
        "import canary_tui.cli as cli\n"
        "cli.build_parser()\n"
        "import canary_tui.kube as k\n"
        "for m in pkgutil.iter_modules(k.__path__): importlib.import_module('canary_tui.kube.' + m.name)\n"
        "import canary_tui.commands.run_live, canary_tui.commands.operator\n"
        "import canary_tui.commands.manifests, canary_tui.statefile\n"
        "print(sorted(n for n in sys.modules if n == 'kubernetes' or n.startswith('kubernetes.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


def test_the_read_only_client_has_no_way_to_write():
    from canary_tui.kube.client import Client, ReadClient

    writes = {"create", "replace", "review"}
    assert writes <= set(dir(Client))
    assert not writes & set(dir(ReadClient))
    assert "patch" not in dir(Client)  # no blind patch: every write is a whole object with its resourceVersion
