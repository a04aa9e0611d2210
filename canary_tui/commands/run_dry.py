"""The dry run (Prometheus): not built yet."""

from __future__ import annotations

import argparse


def run_dry(args: argparse.Namespace) -> int:
    from ..errors import InputError

    raise InputError("the dry run (Prometheus) is not available in this build yet")
