"""A live run (Kubernetes): not built yet."""

from __future__ import annotations

import argparse


def run_live(args: argparse.Namespace) -> int:
    from ..errors import InputError

    raise InputError("a live run (Kubernetes) is not available in this build yet")
