"""``canary-tui run PLAN``: drive (or, with --dry-run, shadow) a real release."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import add_output_arguments
from .report import add_report_option

HELP = "drive a release on a cluster (--dry-run: shadow it, no cluster reads or writes)"
DESCRIPTION = (
    "Run a CanaryPlan against the real world: Prometheus for the gates and the Kubernetes API for "
    "traffic and pods, on the real clock. --dry-run evaluates the gates against the real metrics and "
    "reports what it would do, without reading or writing the cluster."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("plan", type=Path, metavar="PLAN", help="a CanaryPlan YAML file")
    p.add_argument("--context", metavar="C", help="kubeconfig context (default: the current one)")
    p.add_argument("--namespace", "-n", metavar="NS", help="override the plan's metadata.namespace")
    p.add_argument("--dry-run", action="store_true", help="real metrics, no cluster reads or writes")
    p.add_argument("--state-file", type=Path, metavar="PATH", help="also keep the state in this file (for watch)")
    add_output_arguments(p, speed=False)
    add_report_option(p)


def run(args: argparse.Namespace) -> int:
    if args.dry_run:
        from .run_dry import run_dry

        return run_dry(args)
    from .run_live import run_live

    return run_live(args)
