"""The report as Markdown, for a pull request or a ticket: the same sections, charts as sparklines."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from ..core.gates import fmt
from .downsample import bucket_of, spark_values, worst_runs
from .gates import check_rows, high_is_bad
from .html import plan_text
from .model import Release
from .summary import Summary, summarize
from .text import stamp, text

SPARK_W = 60
BARS = "▁▂▃▄▅▆▇█"
STATUS_CHAR = {1: "w", 2: "F", 3: "n"}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}()#+!|~])")
MAX_ERROR_ROWS = 300


def md(x: object) -> str:
    """Outside text made inert in Markdown (and in the HTML a Markdown renderer lets through)."""
    s = str(x).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


def render_markdown(r: Release) -> str:
    s = summarize(r)
    out = [f"# Release report: {md(s.title)}", ""]
    reason = f": {md(s.reason)}" if s.reason else ""
    out += [f"**{md(s.outcome)}**{reason}", ""]
    out += _table(["", ""], [[md(k), md(v)] for k, v in s.subtitle])
    out += ["", "## Summary", ""]
    out += _table([md(c.label) for c in s.cards], [[f"**{md(c.value)}** {md(c.note)}".strip() for c in s.cards]])
    if s.notes:
        out += ["", *(f"> {md(n)}" for n in s.notes)]
    out += ["", "## Phases", ""]
    if s.phases:
        rows = [
            [
                str(p.index + 1),
                md(p.name),
                f"{p.weight}%" if p.weight is not None else "-",
                f"{s.offset(p.start)} ({stamp(p.start)})",
                md(_span(p.end - p.start)),
                f"{p.evaluations}",
                md(p.worst),
                md(p.ended),
            ]
            for p in s.phases
        ]
        out += _table(["#", "phase", "weight", "entered", "time in it", "evaluations", "worst status", "ended"], rows)
    else:
        out.append("No phase was entered.")
    out += ["", "## Timeline", ""]
    rows, errors = [], 0
    for row in s.timeline:
        errors += row.kind == "error"
        if row.kind != "error" or errors <= MAX_ERROR_ROWS:
            rows.append([f"{s.offset(row.at)} ({stamp(row.at)})", f"**{md(row.kind)}** {md(row.what)}", md(row.detail)])
    out += _table(["when", "what", "why"], rows)
    if errors > MAX_ERROR_ROWS:
        out.append(f"\n{errors - MAX_ERROR_ROWS:,} more operational errors not listed.")
    out += ["", "## Gates", ""]
    out += _table(
        ["gate", "thresholds", "pass", "warn", "fail", "nodata", "most fails in a row", "worst canary", "last"],
        [
            [
                f"**{md(g.name)}**",
                md(g.thresholds),
                *(g.counts[k] for k in ("pass", "warn", "fail", "nodata")),
                g.max_fails,
                md(g.worst),
                f"{md(g.last_status)} {md(g.last_canary)}",
            ]
            for g in s.gates
        ],
    )
    checks = check_rows(r)
    if checks:
        out += ["", "### Phase checks", ""]
        out += _table(
            ["check", "pass", "fail", "no result", "not due", "most fails in a row", "last result"],
            [
                [
                    f"**{md(c.name)}**",
                    *(c.counts[k] for k in ("pass", "fail", "nodata", "skip")),
                    c.max_fails,
                    md(c.last),
                ]
                for c in checks
            ],
        )
    if r.history and r.times:
        out += ["", "### Over the release", "", *_sparklines(r, s)]
    elif not r.history:
        out += ["", "No charts: a state file keeps no evaluation history."]
    if s.last_caption:
        counts = any(row.counts for row in s.last)
        out += ["", "## Last evaluation", "", md(s.last_caption), ""]
        head = ["gate", "status", "canary", "stable", "reason"] + (["counts"] if counts else [])
        rows = [
            [md(x.name), md(x.status), md(x.canary), md(x.stable), md(x.reason)] + ([md(x.counts)] if counts else [])
            for x in s.last
        ]
        out += _table(head, rows)
    out += ["", "## Operator actions", ""]
    if s.actions:
        rows = []
        for row in s.actions:
            action, _, actor = row.what.partition(" by ")
            ok = "no" if row.kind == "refused" else "yes"
            rows.append(
                [
                    f"{s.offset(row.at)} ({stamp(row.at)})",
                    md(action),
                    md(actor.removesuffix(" (refused)")),
                    ok,
                    md(row.detail),
                ]
            )
        out += _table(["when", "action", "actor", "accepted", "reason"], rows)
    else:
        out.append("No operator acted during this release.")
    out += ["", "## The plan used", ""]
    plan = r.plan
    if plan is None or plan.document is None:
        out.append(md(plan.origin if plan else "not available") + ".")
    else:
        out += [md(text(plan.origin)) + ".", "", *fenced(plan_text(plan.document).splitlines(), "yaml")]
    return "\n".join(out) + "\n"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return out


def _sparklines(r: Release, s: Summary) -> list[str]:
    """One text block: a row of phase numbers, then per gate canary, stable and its status row."""
    assert s.t0 is not None and s.t1 is not None
    cols = bucket_of(r.times, s.t0, s.t1, SPARK_W)
    label_w = max([len(text(n, 24)) for n in r.gates] + [7]) + 1
    phases = [" "] * SPARK_W
    for c, i in zip(cols, r.phase_of, strict=True):
        phases[c] = str(i + 1)[-1] if i >= 0 else "?"
    first = f"+0s ({stamp(s.t0)})"
    last = f"{s.offset(s.t1)}"
    lines = [
        "`F` fail, `n` no data, `w` warn; phases numbered as in the table above; each row runs from "
        f"{first} to {last}, one character per {_span((s.t1 - s.t0) / SPARK_W)}; each gate's canary and "
        "stable rows share one scale, from the low to the high value shown at the right.",
        "",
    ]
    block = [f"{'phase':<{label_w}}        {''.join(phases)}"]
    for name, series in r.gates.items():
        g = r.plan.gate(name) if r.plan else None
        bad_high = high_is_bad(g)
        unit = text(g.unit, 10) if g else ""
        can = spark_values(cols, series.canary, SPARK_W, bad_high)
        sta = spark_values(cols, series.stable, SPARK_W, bad_high)
        lo, hi = _range([can, sta])
        label = text(name, 24)
        block.append(f"{label:<{label_w}}canary  {_spark(can, lo, hi)}  {fmt(lo, unit)} – {fmt(hi, unit)}")
        if any(v == v for v in sta):
            block.append(f"{'':<{label_w}}stable  {_spark(sta, lo, hi)}")
        status = ["·"] * SPARK_W
        for c0, c1, code in worst_runs(cols, series.status):
            for c in range(c0, c1 + 1):
                status[c] = STATUS_CHAR.get(code, "·")
        block.append(f"{'':<{label_w}}status  {''.join(status)}")
    if r.health:
        hs = spark_values(cols, r.health, SPARK_W, False)
        block.append(f"{'health':<{label_w}}score   {_spark(hs, 0.0, 100.0)}  0 – 100")
    return [*lines, *fenced(block, "text")]


def fenced(lines: Sequence[str], lang: str) -> list[str]:
    """A code block whose fence is longer than any run of backticks inside it."""
    longest = max((len(m) for line in lines for m in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + lang, *lines, fence]


def _range(rows: Sequence[Sequence[float]]) -> tuple[float, float]:
    """The rows' own range: a sparkline shows the shape (the table above has the thresholds)."""
    finite = [v for row in rows for v in row if v == v and not math.isinf(v)]
    if not finite:
        return 0.0, 1.0
    return min(finite), max(finite)


def _spark(values: Sequence[float], lo: float, hi: float) -> str:
    out = []
    span = hi - lo
    for v in values:
        if v != v:
            out.append(" ")
        elif v == math.inf:
            out.append("↑")
        elif v == -math.inf:
            out.append("↓")
        elif not (math.isfinite(span) and span > 0):
            out.append(BARS[0])
        else:
            ratio = (v - lo) / span
            k = int(ratio * (len(BARS) - 1) + 0.5) if math.isfinite(ratio) else 0
            out.append(BARS[max(0, min(len(BARS) - 1, k))])
    return "".join(out)


def _span(seconds: float) -> str:
    from .svg import _offset

    return _offset(seconds)
