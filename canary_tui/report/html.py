"""The report as one self-contained HTML file: no script, no external fonts, images or stylesheets."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from .. import __version__
from ..core.durations import format_time
from . import svg
from .charts import GateChart, charts_for
from .gates import check_rows
from .model import Release
from .page import CSS
from .summary import Summary, summarize
from .text import clean_block, stamp, text

MAX_ERROR_ROWS = 300  # operational errors (retried writes) can repeat for hours; decisions never are cut


def e(x: Any) -> str:
    return escape(str(x), quote=True)


def render_html(r: Release) -> str:
    s = summarize(r)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{e(s.title)}: {e(s.outcome)} · canary-tui report</title>",
        f"<style>{CSS}</style></head><body><main>",
        f"<h1>Release report: {e(s.title)}</h1>",
        '<p class="sub">' + "".join(f"<span>{e(k)} <b>{e(v)}</b></span>" for k, v in s.subtitle) + "</p>",
    ]
    out += _banner(s)
    out += ['<section class="cards">']
    for c in s.cards:
        out.append(
            f'<div class="card {e(c.tone)}"><div class="l">{e(c.label)}</div><div class="v">{e(c.value)}</div>'
            f'<div class="n">{e(c.note)}</div></div>'
        )
    out.append("</section>")
    if s.notes:
        out.append('<ul class="notes">' + "".join(f"<li>{e(n)}</li>" for n in s.notes) + "</ul>")
    charts = charts_for(r, s)
    out += _phases(s, charts.bar)
    out += _timeline(s)
    out += _gates(r, s, charts.gates, charts.health, charts.checks)
    out += _last(s)
    out += _actions(s)
    out += _errors(s)
    out += _plan(r)
    made = format_time(datetime.now(UTC).replace(microsecond=0))
    out.append(f"<footer>Made by canary-tui {e(__version__)} at {e(made)} from {e(text(r.path, 300))}.</footer>")
    out.append("</main></body></html>\n")
    return "\n".join(out)


def _banner(s: Summary) -> list[str]:
    tone = {"Promoted": "ok", "RolledBack": "bad"}.get(s.outcome, "warn")
    when = stamp(s.t1) if s.outcome != "Unfinished" else ""
    reason = f": {e(s.reason)}" if s.reason else ""
    at = f" <span class='sub'>({e(when)})</span>" if when else ""
    return [f'<div class="banner {tone}"><b>{e(s.outcome)}</b>{reason}{at}</div>']


def _phases(s: Summary, bar: str) -> list[str]:
    out = ['<h2 id="phases">Phases</h2>']
    if bar:
        out.append(
            f"<figure>{bar}<figcaption>Each segment is a phase, as long as the release spent in it, with its "
            "canary weight; amber: held by an operator; a red line: rollback, green: promoted.</figcaption></figure>"
        )
    if not s.phases:
        return [*out, "<p>No phase was entered.</p>"]
    out.append(
        "<table><tr><th>#</th><th>phase</th><th class=num>weight</th><th>entered</th><th class=num>time in it</th>"
        "<th class=num>evaluations</th><th>worst status</th><th>ended</th></tr>"
    )
    for p in s.phases:
        weight = f"{p.weight}%" if p.weight is not None else "-"
        out.append(
            f"<tr><td class=num>{p.index + 1}</td><td>{e(p.name)}</td><td class=num>{e(weight)}</td>"
            f"<td class=t>{e(s.offset(p.start))} · {e(stamp(p.start))}</td>"
            f"<td class=num>{e(svg._offset(p.end - p.start))}</td><td class=num>{p.evaluations}</td>"
            f'<td><span class="k {e(p.worst)}">{e(p.worst)}</span></td><td>{e(p.ended)}</td></tr>'
        )
    out.append("</table>")
    return out


def _timeline(s: Summary) -> list[str]:
    out = [
        '<h2 id="timeline">Timeline</h2>',
        "<p class=sub>Every phase change, operator action and decision, with its reason.</p>",
        "<table><tr><th>when</th><th>what</th><th>why</th></tr>",
    ]
    errors = 0
    for row in s.timeline:
        if row.kind == "error":
            errors += 1
            if errors > MAX_ERROR_ROWS:
                continue
        out.append(
            f"<tr><td class=t>{e(s.offset(row.at))}<br>{e(stamp(row.at))}</td>"
            f'<td><span class="k {e(row.kind)}">{e(row.kind)}</span> {e(row.what)}</td>'
            f"<td class=why>{e(row.detail)}</td></tr>"
        )
    out.append("</table>")
    if errors > MAX_ERROR_ROWS:
        out.append(f"<p class=sub>{errors - MAX_ERROR_ROWS:,} more operational errors not listed here.</p>")
    return out


def _gates(r: Release, s: Summary, charts: list[GateChart], health: str, checks: str) -> list[str]:
    out = ['<h2 id="gates">Gates</h2>']
    out.append(
        "<table><tr><th>gate</th><th>thresholds</th><th class=num>pass</th><th class=num>warn</th>"
        "<th class=num>fail</th><th class=num>nodata</th><th class=num>most fails in a row</th>"
        "<th class=num>worst canary</th><th>last</th></tr>"
    )
    for g in s.gates:
        c = g.counts
        out.append(
            f"<tr><td><b>{e(g.name)}</b></td><td>{e(g.thresholds)}</td><td class=num>{c['pass']}</td>"
            f"<td class=num>{c['warn']}</td><td class=num>{c['fail']}</td><td class=num>{c['nodata']}</td>"
            f"<td class=num>{g.max_fails}</td><td class=num>{e(g.worst)}</td>"
            f'<td class=nw><span class="k {e(g.last_status)}">{e(g.last_status)}</span> {e(g.last_canary)}</td></tr>'
        )
    out.append("</table>")
    checks_table = check_rows(r)
    if checks_table:
        out.append(
            "<h3>Phase checks</h3><table><tr><th>check</th><th class=num>pass</th><th class=num>fail</th>"
            "<th class=num>no result</th><th class=num>not due</th><th class=num>most fails in a row</th>"
            "<th>last result</th></tr>"
        )
        for row in checks_table:
            n = row.counts
            out.append(
                f"<tr><td><b>{e(row.name)}</b></td><td class=num>{n['pass']}</td><td class=num>{n['fail']}</td>"
                f"<td class=num>{n['nodata']}</td><td class=num>{n['skip']}</td><td class=num>{row.max_fails}</td>"
                f"<td class=why>{e(row.last)}</td></tr>"
            )
        out.append("</table>")
    if not r.history:
        out.append("<p>No charts: a state file keeps no evaluation history.</p>")
        return out
    canary = text(r.plan.canary, 40) if r.plan and r.plan.canary else "canary"
    stable = text(r.plan.stable, 40) if r.plan and r.plan.stable else "stable"
    for ch in charts:
        legend = f"<span class='lg c'></span>canary {e(canary)}"
        if ch.has_stable:
            legend += f"<span class='lg s'></span>stable {e(stable)}"
        if ch.has_fail:
            legend += "<span class='lg f'></span>fail level"
        if ch.has_warn:
            legend += "<span class='lg w'></span>warn level"
        if ch.has_ratio:
            legend += "<span class='lg r'></span>stable × maxRatioToStable"
        if ch.legend:
            legend = ch.legend
        off = f" Off the chart: {e(', '.join(ch.off))}." if ch.off else ""
        unit = f" ({e(ch.unit)})" if ch.unit else ""
        out.append(
            f'<figure id="gate-{e(ch.name)}"><h3>{e(ch.name)}{unit}</h3>{ch.svg}<figcaption>{legend}. '
            f"The strip under the chart marks evaluations that failed (red), had no data (purple) or "
            f"warned (amber).{off}</figcaption></figure>"
        )
    if health:
        out.append(
            f'<figure id="health"><h3>health score</h3>{health}<figcaption><span class="lg h"></span>health score'
            "<span class='lg f'></span>minHealthScore (promotion needs at least this)</figcaption></figure>"
        )
    if checks:
        out.append(
            f'<figure id="checks"><h3>phase checks</h3>{checks}<figcaption>Red: the check failed; '
            "purple: it gave no result; empty: not due.</figcaption></figure>"
        )
    return out


def _last(s: Summary) -> list[str]:
    if not s.last_caption:
        return []
    counts = any(row.counts for row in s.last)
    out = [
        '<h2 id="last">Last evaluation</h2>',
        f"<p class=sub>{e(s.last_caption)}</p>",
        "<table><tr><th>gate</th><th>status</th><th class=num>canary</th><th class=num>stable</th><th>reason</th>"
        + ("<th>counts</th>" if counts else "")
        + "</tr>",
    ]
    for row in s.last:
        out.append(
            f'<tr><td>{e(row.name)}</td><td><span class="k {e(row.status)}">{e(row.status)}</span></td>'
            f"<td class=num>{e(row.canary)}</td><td class=num>{e(row.stable)}</td><td class=why>{e(row.reason)}</td>"
            + (f"<td>{e(row.counts)}</td>" if counts else "")
            + "</tr>"
        )
    out.append("</table>")
    return out


def _actions(s: Summary) -> list[str]:
    out = ['<h2 id="actions">Operator actions</h2>']
    if not s.actions:
        return [*out, "<p>No operator acted during this release.</p>"]
    out.append("<table><tr><th>when</th><th>action</th><th>actor</th><th>accepted</th><th>reason</th></tr>")
    for row in s.actions:
        action, _, actor = row.what.partition(" by ")
        actor = actor.removesuffix(" (refused)")
        ok = "no" if row.kind == "refused" else "yes"
        out.append(
            f"<tr><td class=t>{e(s.offset(row.at))} · {e(stamp(row.at))}</td><td>{e(action)}</td>"
            f"<td>{e(actor)}</td><td>{ok}</td><td class=why>{e(row.detail)}</td></tr>"
        )
    out.append("</table>")
    return out


def _errors(s: Summary) -> list[str]:
    if not s.errors:
        return []
    out = [
        '<h2 id="errors">Operational errors</h2>',
        "<table><tr><th>when</th><th>message</th></tr>",
    ]
    for row in s.errors[:MAX_ERROR_ROWS]:
        out.append(
            f"<tr><td class=t>{e(s.offset(row.at))} · {e(stamp(row.at))}</td><td class=why>{e(row.detail)}</td></tr>"
        )
    out.append("</table>")
    if len(s.errors) > MAX_ERROR_ROWS:
        out.append(f"<p class=sub>and {len(s.errors) - MAX_ERROR_ROWS:,} more.</p>")
    return out


def _plan(r: Release) -> list[str]:
    out = ['<h2 id="plan">The plan used</h2>']
    plan = r.plan
    if plan is None or plan.document is None:
        origin = plan.origin if plan else "not available"
        return [*out, f"<p>{e(text(origin))}.</p>"]
    out.append(f"<p class=sub>{e(text(plan.origin))}.</p>")
    out.append(f"<pre>{e(plan_text(plan.document))}</pre>")
    return out


def plan_text(doc: dict[str, Any]) -> str:
    """The plan as YAML (control characters removed; escaping is the caller's)."""
    import yaml

    try:
        body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110)
    except yaml.YAMLError:
        import json

        body = json.dumps(doc, indent=2, default=str, ensure_ascii=False)
    return clean_block(body)
