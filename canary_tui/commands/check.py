"""``canary-tui check PLAN``: pre-flight validation of a plan; says what it found. No writes."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.durations import format_duration
from ..core.gates import fmt
from ..core.model import GateSource, Plan, Thresholds

if TYPE_CHECKING:
    from ..kube.session import Session

HELP = "validate a plan before a release (no writes)"
DESCRIPTION = "Validate a CanaryPlan and say what it found. Exit 0 when valid, 2 with the problems named."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("plan", type=Path, metavar="PLAN", help="a CanaryPlan YAML file")
    p.add_argument("--offline", action="store_true", help="only validate the file: no Prometheus or cluster checks")
    p.add_argument("--context", metavar="C", help="kubeconfig context for the cluster checks")
    p.add_argument("--namespace", "-n", metavar="NS", help="override the plan's metadata.namespace")


def run(args: argparse.Namespace) -> int:
    from ..core.model import Provider, Router
    from ..core.planfile import load_plan
    from ..preflight import CheckResult, refuse_simulated_metrics
    from ..sanitize import visible

    plan = load_plan(args.plan)
    if args.namespace:  # as run does: {{namespace}} in the gates' queries included
        plan = replace(plan, namespace=args.namespace)
    refuse_simulated_metrics(plan)  # a plan rule for live runs: refused offline too
    session = None
    if not args.offline and plan.traffic.router is not Router.SIMULATED:
        session = _session(plan, args)  # first: the namespace it resolves is the one the queries ask for
        plan = session.plan if session is not None else plan
    # plan values (service, subsets, unit...) as written, escaped: a line break inside one shows as \n,
    # so a value can never fake a line of the summary
    print("\n".join(visible(line) for line in describe(plan)))
    if args.offline:
        return 0
    results: list[CheckResult] = []
    if plan.metrics.provider is Provider.PROMETHEUS:
        from ..prometheus.preflight import check_prometheus

        results += check_prometheus(plan)
    if plan.traffic.router is not Router.SIMULATED:
        from ..kube.preflight import check_cluster

        results += check_cluster(plan, args.context, args.namespace, session)
    for r in results:
        print(visible(f"  {'ok  ' if r.ok else 'FAIL'} {r.subject}: {r.detail}"))
    failed = [r for r in results if not r.ok]
    if failed:
        print(f"{len(failed)} problem(s): the release would not start cleanly")
        return 2
    return 0


def _session(plan: Plan, args: argparse.Namespace) -> Session | None:
    """The cluster session (the namespace resolved: --namespace, the plan, the kube context, the service
    account, "default"); None when it cannot be opened: the cluster row says why."""
    from ..errors import InputError
    from ..kube.session import open_session

    try:
        return open_session(plan, args.context, args.namespace)
    except InputError:
        return None


def thresholds_text(t: Thresholds, unit: str = "") -> str:
    parts = []
    if t.warn_above is not None:
        parts.append(f"warn > {fmt(t.warn_above, unit)}")
    if t.warn_below is not None:
        parts.append(f"warn < {fmt(t.warn_below, unit)}")
    if t.fail_above is not None:
        parts.append(f"fail > {fmt(t.fail_above, unit)}")
    if t.fail_below is not None:
        parts.append(f"fail < {fmt(t.fail_below, unit)}")
    if t.max_ratio_to_stable is not None:
        parts.append(f"fail > {fmt(t.max_ratio_to_stable)} x stable")
    return ", ".join(parts)


def describe(plan: Plan) -> list[str]:
    """A person's summary of what the plan will do, line by line (not yet escaped for a terminal)."""
    lines = [f"{plan.source}: valid CanaryPlan {plan.name!r} in namespace {plan.namespace!r}"]
    s, c = plan.stable, plan.canary
    lines.append(
        f"  release  {plan.service}: {s.version} ({s.deployment}, subset {s.subset}) -> "
        f"{c.version} ({c.deployment}, subset {c.subset})"
    )
    t = plan.traffic
    target = {
        "istio": f"VirtualService {t.virtual_service}" + (f" route {t.route}" if t.route else ""),
        "gateway-api": f"HTTPRoute {t.http_route}",
        "replicas": "Deployment replicas" + (f" (total {t.replicas})" if t.replicas else ""),
        "simulated": "simulated (demo only)",
    }[t.router.value]
    lines.append(f"  traffic  {t.router.value}: {target}")
    m = plan.metrics
    lines.append(f"  metrics  {m.provider.value}" + (f" at {m.address}" if m.address else ""))
    soak = sum((p.duration for p in plan.phases), start=plan.interval * 0)
    lines.append(
        f"  rule     every {format_duration(plan.interval)}; rollback after {plan.failure_limit} consecutive fails "
        f"or {plan.no_data_limit} consecutive nodata of one gate; promotion {plan.promotion.value}, "
        f"health score >= {fmt(plan.min_health_score)}"
    )
    lines.append(f"  phases   {len(plan.phases)}, {format_duration(soak)} of soak in all:")
    for i, p in enumerate(plan.phases):
        over = ", ".join(f"{g}: {thresholds_text(plan.thresholds(i)[g], plan.gate(g).unit)}" for g in p.overrides)
        row = f"    {i + 1}. {p.name:<12} {p.weight:>3}%  soak {format_duration(p.duration):<9}"
        lines.append((row + (f" overrides {over}" if over else "")).rstrip())
    lines.append(f"  gates    {len(plan.gates)} (health-score weight in brackets):")
    for g in plan.gates:
        src = f"pods: {g.signal.value if g.signal else ''}" if g.source is GateSource.PODS else "prometheus"
        if g.judge is not None:
            from ..core.judgefile import judge_text

            lines.append(f"    {g.name:<20} [{fmt(g.weight)}] {judge_text(g.judge)}  ({src})")
            continue
        lines.append(f"    {g.name:<20} [{fmt(g.weight)}] {thresholds_text(g.thresholds, g.unit)}  ({src})")
    full = [p.name for p in plan.phases if p.weight == 100 and p.duration.total_seconds() > 0]
    if full and any(g.judge is not None for g in plan.gates):
        lines.append(
            f"  note     in {', '.join(full)} (100%) stable has no traffic: counts judges carry their evidence "
            "unchanged, mann-whitney windows empty out (nodata)"
        )
    return lines
