"""Starting the control room for a mode (the Textual app lives in ``canary_tui.tui``)."""

from __future__ import annotations

import argparse
from typing import Any


def run_tui(mode: str, *, args: argparse.Namespace, **kwargs: Any) -> int:
    from ..errors import InputError

    raise InputError("the interactive control room is not built yet: add --headless")
