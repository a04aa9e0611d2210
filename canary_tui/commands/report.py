"""``canary-tui report (STATE | LOG) -o report.html``: a release report from an audit log or a state file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass

HELP = "write an HTML (or Markdown) report of a release from its audit log or state file"
DESCRIPTION = (
    "Write a self-contained report of one release: the outcome, the phase timeline with every decision "
    "and its reason, a chart per gate (canary and stable, thresholds, phase boundaries), the operator "
    "actions and the plan used. From an audit log (JSON Lines; the last run in it unless --run says "
    "which) or from a state file (--state-file of run: no evaluation history, so no charts)."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", type=Path, metavar="STATE|LOG", help="an audit log (.jsonl) or a state file (.json)")
    p.add_argument("-o", "--output", metavar="PATH", help="where to write the report (required); - for standard output")
    p.add_argument("--format", choices=("html", "md"), help="html (default) or md (Markdown); default from the -o name")
    p.add_argument("--run", metavar="ID", help="which run of the log (default: the last; --list-runs shows them)")
    p.add_argument("--list-runs", action="store_true", help="list the runs in the log and exit")


def run(args: argparse.Namespace) -> int:
    from ..report import format_for, render_report, write_report

    if args.list_runs:
        return list_runs(args.source)
    if args.output is None:
        from ..errors import InputError

        raise InputError("report: -o PATH is required (where to write the report; - for standard output)")
    if args.output == "-":
        sys.stdout.write(render_report(args.source, args.format or "html", args.run))
        return 0
    out = write_report(args.source, args.output, args.format, args.run)
    print(f"report written to {out} ({format_for(out, args.format)})", file=sys.stderr)
    return 0


def list_runs(source: Path) -> int:
    from ..report.load import list_runs as runs_of
    from ..sanitize import clean

    for run_id, start in runs_of(source):  # streamed, each line bounded (report.load)
        print(
            f"{clean(run_id, 60)}  {clean(start.get('at', ''), 40)}  {clean(start.get('mode', ''), 20)}  "
            f"{clean(start.get('plan', ''), 80)}  {clean(start.get('actor', ''), 80)}"
        )
    return 0


# ---------------------------------------------------------------- --report PATH on run-like commands


def add_report_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--report",
        type=Path,
        metavar="PATH",
        help="when the run ends, write its report here (HTML; Markdown when PATH ends in .md)",
    )


def write_run_report(log: Path, out: Path, run_id: str | None) -> bool:
    """Write the report of one run; a failure is said on stderr and does not change the run's exit code."""
    from ..errors import InputError
    from ..report import write_report

    try:
        write_report(log, out, run=run_id)
    except InputError as e:
        for problem in e.problems:
            print(f"canary-tui: error: report not written: {problem}", file=sys.stderr)
        return False
    print(f"report written to {out}", file=sys.stderr)
    return True
