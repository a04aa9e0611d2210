"""``canary-tui manifests``: not built yet."""

from __future__ import annotations

import argparse

HELP = "print Istio, PrometheusRule and RBAC YAML for a plan"
DESCRIPTION = HELP[0].upper() + HELP[1:] + "."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("args", nargs="*", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from ..errors import InputError

    raise InputError(f"{args.command} is not available in this build yet")
