"""``run PLAN --dry-run``: the real clock and the plan's real Prometheus, and a cluster that is neither
read nor written. Decisions are what a live run would do; nothing is applied.

Pod gates need the cluster's pods, so a dry run leaves them out (a pure transform of the plan,
said in the output) instead of letting them go ``nodata`` and roll back. The dry run starts only
after the live run's start check (Prometheus answers, every gate gives a value for stable; exit 2
otherwise); later outages are ``nodata`` and the rule applies. ``--state-file`` keeps the state
document for ``watch``, marked ``"dryRun": true``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from types import MappingProxyType
from typing import IO, TYPE_CHECKING

from ..core.model import GateSource, Plan

if TYPE_CHECKING:
    from ..controller import Controller, StateStore
    from ..core.events import Event
    from ..core.pods import Pod
    from ..ports import MetricsSource, Sink


class DryRunCluster:
    """Reads nothing (``pods`` is None) and writes nothing: weights are only remembered."""

    def __init__(self) -> None:
        self.weights: list[int] = []

    def pods(self, at: object) -> list[Pod] | None:
        return None

    def set_weight(self, canary_weight: int) -> None:
        self.weights.append(canary_weight)


def without_pod_gates(plan: Plan) -> tuple[Plan, list[str]]:
    """The plan minus its pod gates (and their phase overrides), and the names left out."""
    from ..errors import InputError

    dropped = [g.name for g in plan.gates if g.source is GateSource.PODS]
    if not dropped:
        return plan, []
    kept = tuple(g for g in plan.gates if g.source is not GateSource.PODS)
    if not kept or sum(g.weight for g in kept) <= 0:
        raise InputError(
            f"{plan.source}: spec.gates: a dry run evaluates only Prometheus gates, and this plan has none "
            f"with a weight above 0 (pod gates need the cluster: {', '.join(dropped)})"
        )
    phases = tuple(
        replace(p, overrides=MappingProxyType({k: v for k, v in p.overrides.items() if k not in dropped}))
        for p in plan.phases
    )
    by_phase = tuple(
        MappingProxyType({k: v for k, v in t.items() if k not in dropped}) for t in plan.thresholds_by_phase
    )
    return replace(plan, gates=kept, phases=phases, thresholds_by_phase=by_phase), dropped


class DryRunJsonSink:
    """The contract's JSON Lines, with ``"dryRun": true`` on decisions and the result: not applied."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def emit(self, event: Event) -> None:
        from ..core.events import Decided, Finished, to_line
        from ..sanitize import json_line_safe

        extra = {"dryRun": True} if isinstance(event, (Decided, Finished)) else None
        self.stream.write(json_line_safe(to_line(event, extra)) + "\n")
        self.stream.flush()


def load(args: argparse.Namespace) -> tuple[Plan, list[str]]:
    """The plan as the dry run uses it, and the pod gates it leaves out; InputError when unusable."""
    from ..core.model import Provider
    from ..core.planfile import load_plan
    from ..errors import InputError

    plan = load_plan(args.plan)
    if args.namespace:
        plan = replace(plan, namespace=args.namespace)
    if plan.metrics.provider is not Provider.PROMETHEUS:
        raise InputError(
            f"{plan.source}: spec.metrics.provider: a dry run reads real metrics and this plan's are "
            f"{plan.metrics.provider.value} (try: canary-tui demo --plan {args.plan})"
        )
    return without_pod_gates(plan)


def _asks_namespace(plan: Plan) -> bool:
    """Whether a gate's PromQL has ``{{namespace}}`` in it."""
    texts = [g.query or "" for g in plan.gates]
    texts += [t for g in plan.gates for t in (getattr(g.judge, "errors", ""), getattr(g.judge, "requests", ""))]
    return any("{{namespace}}" in t for t in texts)


def start_metrics(plan: Plan):  # type: ignore[no-untyped-def]
    """The Prometheus source, after the start check passed on it (the one a live run makes: Prometheus
    answers, every gate gives a value for stable); InputError (exit 2) naming what failed otherwise."""
    from ..prometheus.preflight import start_check
    from ..prometheus.source import PrometheusMetrics

    metrics = PrometheusMetrics.from_plan(plan)
    try:
        start_check(plan, metrics, what="the dry run")
    except BaseException:
        metrics.close()
        raise
    return metrics


def build(
    plan: Plan, metrics: MetricsSource, sinks: list[Sink], store: StateStore | None = None
) -> tuple[Controller, DryRunCluster]:
    """The dry run's controller: the real clock, ``metrics``, a cluster that reads and writes nothing."""
    from ..clock import RealClock
    from ..controller import Controller
    from ..probes import ProbeRunner

    cluster = DryRunCluster()
    controller = Controller(
        plan,
        clock=RealClock(),
        metrics=metrics,
        cluster=cluster,
        checks=ProbeRunner(),  # phase checks are part of what a live run would decide on
        sinks=sinks,
        mode="dry-run",
        store=store,
    )
    return controller, cluster


def run_dry(args: argparse.Namespace) -> int:
    from .common import Outputs, actor, exit_code, run_headless

    plan, dropped = load(args)
    notes = sys.stderr if (args.json or not args.headless) else sys.stdout
    if not plan.namespace_given and not args.namespace and _asks_namespace(plan):  # said before the start check
        print(
            f'the plan names no namespace: the queries ask for {{{{namespace}}}} = "{plan.namespace}" (a dry run '
            "does not read the kube context, whose namespace a live run would use: give --namespace)",
            file=notes,
            flush=True,
        )
    metrics = start_metrics(plan)

    def say(text: str) -> None:
        print(text, file=notes, flush=True)

    def warn(text: str) -> None:
        print(f"warning: Prometheus: {text}", file=sys.stderr, flush=True)

    if args.headless:  # the control room owns the terminal: its readings carry the warnings instead
        metrics.on_warning = warn
    say(
        f"dry run of {plan.name!r} against Prometheus at {metrics.address}: nothing is read from or written "
        f"to the cluster; promotions and rollbacks below are what a live run would do"
    )
    if dropped:
        say(f"pod gates left out (a dry run does not read pods): {', '.join(dropped)}")
    if getattr(args, "context", None):
        say("--context is not used: a dry run does not talk to the cluster")
    store = None
    if getattr(args, "state_file", None) is not None:
        from ..statefile import DocumentBuilder, StateFileStore

        store = StateFileStore(args.state_file, DocumentBuilder(plan, mode="dry-run", extra={"dryRun": True}))
    try:
        out = Outputs(args, plan, "dry-run", headless=args.headless)
        if args.headless:
            if args.json:  # decisions and the result say they were not applied
                from ..output.jsonl import JsonLinesSink

                out.sinks = [DryRunJsonSink(sys.stdout) if isinstance(s, JsonLinesSink) else s for s in out.sinks]
            controller, _ = build(plan, metrics, out.sinks, store)
            outcome = run_headless(controller, on_done=out.finish)
            say(f"dry run over: a live run would have ended {outcome.value}; nothing was written")
            return exit_code(outcome)
        from .interactive import run_tui

        controller, _ = build(plan, metrics, out.sinks, store)
        return run_tui(controller, mode="dry-run", actor=actor(), on_exit=out.finish)
    finally:
        metrics.close()
        if store is not None and store.error:
            print(f"canary-tui: warning: {store.error}", file=sys.stderr)
