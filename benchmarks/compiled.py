"""Byte-compile canary_tui before timing a start-up, as ``pip install`` does for an installed copy.

A checkout installed with ``pip install -e`` has no ``.pyc`` files until Python writes them, and
where ``PYTHONDONTWRITEBYTECODE`` is set (it is on these machines) it never does: every start would
compile every module from source (about 40 ms for the core alone), while Textual's modules, compiled
when pip installed them, would not. Timing that would measure the checkout, not the program.
"""

from __future__ import annotations

import compileall
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "canary_tui"


def compile_package() -> None:
    compileall.compile_dir(str(PACKAGE), quiet=1)
    flag = "set" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "not set"
    print(f"(canary_tui byte-compiled as an installed copy is; PYTHONDONTWRITEBYTECODE {flag})")
