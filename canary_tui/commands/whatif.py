"""``canary-tui whatif FIXTURE (--plan PLAN | --set PATH=VALUE ...)``: one plan change on one recording."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..backtest import Divergence, Run
    from ..core.events import Decided, Evaluated

HELP = "replay a recording under a changed plan and compare the decisions"
DESCRIPTION = (
    "Replay a MetricFixture twice through the same decision code: as recorded, and with another plan "
    "(--plan) or the recorded plan changed by --set PATH=VALUE edits (e.g. spec.failureLimit=3, "
    "spec.gates[error_rate].failAbove=0.02). Prints both outcomes, the first evaluation where they "
    "differ and each run's decisions. Exit 0 when the outcomes are equal, 1 when they differ, 2 on bad input."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("fixture", type=Path, metavar="FIXTURE", help="a MetricFixture file (.yaml, .yml or .json)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--plan", type=Path, metavar="PLAN", help="replay the variant under this CanaryPlan")
    which.add_argument(
        "--set",
        dest="edits",
        action="append",
        metavar="PATH=VALUE",
        help="change the recorded plan (repeatable, applied in order); VALUE is YAML, null removes the key",
    )
    p.add_argument("--json", action="store_true", help="one JSON object on stdout instead of the text")


def run(args: argparse.Namespace) -> int:
    from .. import backtest
    from ..core.planedit import parse_edit
    from ..core.planfile import load_plan

    edits = [parse_edit(text) for text in args.edits or []]
    rec = backtest.load(args.fixture)
    if args.plan is not None:
        variant_fixture = backtest.with_plan(rec, load_plan(args.plan), f"--plan {args.plan}")
        label = f"--plan {args.plan}"
    else:
        variant_fixture = backtest.edited(rec, edits)
        label = " ".join(f"--set {e.text}" for e in edits)
    base = backtest.replay(rec.fixture)
    variant = backtest.replay(variant_fixture)
    div = backtest.diverged(base, variant)
    same = backtest.same_result(base, variant)
    if args.json:
        from ..sanitize import json_line_safe

        line = to_json_line(base, variant, div, label, same)
        sys.stdout.write(json_line_safe(line) + "\n")
    else:
        sys.stdout.write(text(args.fixture, label, base, variant, div, same))
    return 0 if same else 1


# --------------------------------------------------------------------------- JSON


def to_json_line(base: Run, variant: Run, div: Divergence | None, label: str, same: bool) -> str:
    import json

    from ..core.durations import format_time
    from ..core.events import to_line

    def events(items: tuple[Any, ...]) -> list[Any]:
        return [json.loads(to_line(e)) for e in items]  # the section-4 objects, as the JSON Lines write them

    doc: dict[str, Any] = {
        "type": "whatif",
        "base": json.loads(to_line(base.result)),
        "variant": json.loads(to_line(variant.result)),
        "divergedAt": format_time(div.at) if div is not None else None,
        "change": label,
        "same": same,
        "divergence": None,
        "decisions": {"base": events(base.decisions), "variant": events(variant.decisions)},
    }
    if div is not None:
        doc["divergence"] = {
            "base": json.loads(to_line(div.base)) if div.base is not None else None,
            "variant": json.loads(to_line(div.variant)) if div.variant is not None else None,
            "baseDecisions": events(div.base_decisions),
            "variantDecisions": events(div.variant_decisions),
        }
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


# --------------------------------------------------------------------------- text


def text(fixture: Path, label: str, base: Run, variant: Run, div: Divergence | None, same: bool) -> str:
    from ..core.durations import format_duration, format_time
    from ..sanitize import clean

    start = base.fixture.start

    def offset(at: Any) -> str:
        return "+" + format_duration(at - start)

    lines = [f"whatif {fixture}: {clean(label)}", ""]
    rows = [("", "base (as recorded)", "variant")]
    for name, get in (
        ("outcome", lambda r: r.result.outcome),
        ("phase", lambda r: r.result.phase),
        ("decided", lambda r: offset(r.result.at)),
        ("evaluations", lambda r: str(len(r.evaluations))),
    ):
        rows.append((name, get(base), get(variant)))
    width = max(len(b) for _, b, _ in rows) + 2
    for name, b, v in rows:
        lines.append(f"  {name:<12} {b:<{width}} {v}")
    lines.append(f"  {'reason':<12} base:    {clean(base.result.reason)}")
    lines.append(f"  {'':<12} variant: {clean(variant.result.reason)}")
    lines.append("")
    if div is None:
        lines.append("no difference: every evaluation has the same phase, gate statuses and decisions")
    else:
        lines.append(f"first difference at {offset(div.at)} ({format_time(div.at)}):")
        lines.extend(_divergence_rows(div))
    lines.append("")
    for who, run in (("base", base), ("variant", variant)):
        lines.append(f"decisions ({who}):")
        lines.extend(f"  {offset(d.at):>10}  {_decision(d)}" for d in run.decisions)
        if not run.decisions:
            lines.append("  (none)")
    lines.append("")
    lines.append("same outcome" if same else "different outcome")
    return "\n".join(lines) + "\n"


def _decision(d: Decided) -> str:
    from ..sanitize import clean

    return f"{d.decision} in {d.phase}: {clean(d.reason)}"


def _divergence_rows(div: Divergence) -> list[str]:
    from ..core.gates import fmt

    def phase(e: Evaluated | None) -> str:
        return e.phase if e is not None else "(no evaluation)"

    names: list[str] = []
    for e in (div.base, div.variant):
        for r in e.results if e is not None else ():
            if r.name not in names:
                names.append(r.name)

    def cell(e: Evaluated | None, name: str) -> str:
        r = e.result(name) if e is not None else None
        if r is None:
            return "-"
        return f"{r.status.value} {fmt(r.canary)} (fails {r.fails}, nodata {r.nodata})"

    rows = [("phase", phase(div.base), phase(div.variant), "")]
    for name in names:
        b, v = cell(div.base, name), cell(div.variant, name)
        rows.append((name, b, v, "  <" if b.split(" ")[0] != v.split(" ")[0] else ""))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    out = [f"  {n:<{w0}}  {b:<{w1}}  {v}{mark}" for n, b, v, mark in rows]
    for who, ds in (("base", div.base_decisions), ("variant", div.variant_decisions)):
        for d in ds:
            out.append(f"  decision ({who}): {_decision(d)}")
    return out
