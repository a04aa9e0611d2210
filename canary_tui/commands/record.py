"""``canary-tui record PLAN --from T --to T [--step D] -o FIXTURE``: a plan's metrics from Prometheus
over a past window, written as a MetricFixture that ``replay`` reads."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime
from pathlib import Path

HELP = "record a plan's metrics from Prometheus as a fixture"
DESCRIPTION = (
    "Query the plan's Prometheus over a window (one range query per gate and version) and write a "
    "MetricFixture with the plan inline: JSON for a .json file name, YAML for .yaml/.yml. Sample i is "
    "the value at FROM + i*STEP; no data is null. With --step equal to the plan's interval (the default) "
    "and --from the start of a run, a replay sees what that run read. Pod gates are left out: "
    "Prometheus has no pod snapshots."
)
EPILOG = "Times are RFC 3339 (2026-02-19T05:33:00Z), now, or now-DURATION (now-2h)."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = EPILOG
    p.add_argument("plan", type=Path, metavar="PLAN", help="a CanaryPlan YAML file (spec.metrics.provider: prometheus)")
    p.add_argument("--from", dest="start", required=True, metavar="T", help="first sample time")
    p.add_argument("--to", dest="end", required=True, metavar="T", help="last sample time (included)")
    p.add_argument("--step", metavar="D", help="time between samples (default: the plan's interval)")
    p.add_argument(
        "-o", "--output", type=Path, required=True, metavar="FIXTURE", help="the fixture to write (.json, .yaml, .yml)"
    )
    p.add_argument("--name", metavar="NAME", help="metadata.name of the fixture (default: PLAN-NAME-recorded)")


def parse_when(text: str, now: datetime, flag: str) -> datetime:
    """RFC 3339, ``now`` or ``now-DURATION``; InputError naming the flag otherwise."""
    from ..core.durations import parse_duration, parse_time
    from ..errors import InputError

    s = text.strip()
    m = re.fullmatch(r"now(?:\s*-\s*(\S+))?", s)
    try:
        if m:
            return now - parse_duration(m.group(1)) if m.group(1) else now
        return parse_time(s)
    except ValueError as e:
        raise InputError(f"{flag}: {e}") from None


def run(args: argparse.Namespace) -> int:
    from ..clock import RealClock
    from ..core.durations import format_duration, format_time, parse_duration
    from ..core.model import Provider
    from ..core.planfile import load_plan
    from ..errors import InputError
    from ..prometheus.answers import QueryError, one_value
    from ..prometheus.client import connect
    from ..prometheus.recorder import record, sample_count, write

    plan = load_plan(args.plan)
    if plan.metrics.provider is not Provider.PROMETHEUS:
        raise InputError(
            f"{plan.source}: spec.metrics.provider: record reads Prometheus; "
            f"this plan's metrics are {plan.metrics.provider.value}"
        )
    if args.output.suffix.lower() not in (".json", ".yaml", ".yml"):
        raise InputError(f"{args.output}: -o wants a .json, .yaml or .yml file name")
    now = RealClock().now()
    start = parse_when(args.start, now, "--from")
    end = parse_when(args.end, now, "--to")
    try:
        step = parse_duration(args.step) if args.step else plan.interval
    except ValueError as e:
        raise InputError(f"--step: {e}") from None
    sample_count(start, end, step)
    timeout = plan.metrics.timeout.total_seconds() if plan.metrics.timeout else 30.0
    connection = connect(plan.metrics, timeout=timeout, source=plan.source)
    try:
        try:
            one_value(connection.instant("vector(1)").data)
        except QueryError as e:
            raise InputError(
                f"{plan.source}: spec.metrics.address: Prometheus at {connection.shown} "
                f"did not answer vector(1): {e.reason}"
            ) from None
        try:
            rec = record(plan, connection, start, end, step, args.name or f"{plan.name}-recorded")
        except QueryError as e:
            raise InputError(f"{plan.source}: {e.reason}") from None
    finally:
        connection.close()
    write(rec.document, args.output)
    for note in rec.notes:
        print(f"note: {note}", file=sys.stderr)
    gates = len(rec.document["series"])
    print(
        f"recorded {gates} gate(s), canary and stable, {rec.samples} samples each from {format_time(start)} to "
        f"{format_time(start + (rec.samples - 1) * step)} every {format_duration(step)} ({rec.nulls} null) "
        f"to {args.output}"
    )
    print(f"replay it with: canary-tui replay {args.output} (add an expect: block to use --check)")
    return 0
