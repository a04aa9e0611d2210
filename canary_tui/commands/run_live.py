"""A live run: drive the release on Kubernetes with the real clock, resuming where a killed run was.

Order matters: the plan and the metrics source first (bad input exits 2 before the cluster is
touched; simulated metrics are refused); then the cluster session, which resolves the namespace
(--namespace, the plan, the kube context, the service account, "default"), then the start check
asks Prometheus every gate's stable value with that namespace (``prometheus.preflight``, the rows
``check`` prints): a new release that fails it exits 2 with nothing written; a release already
under way (a state stored in the cluster) is taken up anyway, blind, and the metrics-unavailable
alert and ``noDataLimit`` take it from there (never promoted blind). Then access reviews (a missing
permission exits 2, naming verb and resource), the route object, the Lease (a second driver exits
2, naming the holder), the stored state (resume). Everything taken is given back on the way out,
whatever happens, within ``END_GRACE`` after the result line: a hung webhook or API server is
abandoned, never waited for.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..controller import Controller
    from ..core.events import Event
    from ..core.model import Plan
    from ..core.rule import State
    from ..kube.lease import Lease
    from ..kube.routers import TrafficRouter
    from ..kube.session import Session
    from ..prometheus.source import PrometheusMetrics


END_GRACE = 0.5  # seconds the run's end gives webhooks, Events and the Lease release after the result line


def start_check(plan: Plan, metrics: PrometheusMetrics, resuming: bool) -> list[str]:
    """The start check on the source the release will use (``plan`` with its namespace resolved).
    A new release that fails it: InputError (exit 2), nothing written. A release under way that fails
    it: the failed rows (said on stderr, with what happens next), and the run goes on."""
    from ..prometheus import preflight

    if not resuming:
        results = preflight.start_check(plan, metrics)
        print(
            f"canary-tui: start check passed: {results[0].detail}; {len(results) - 1} gate(s) give a value for stable",
            file=sys.stderr,
        )
        return []
    failed = preflight.failures(preflight.check_connection(plan, metrics.connection))
    for line in failed:
        print(f"canary-tui: warning: start check: {line}", file=sys.stderr)
    if failed:
        print(
            f"canary-tui: warning: resuming {plan.name} although the start check failed: the release moved traffic "
            "already and is not left without a driver. It never promotes without data, and rolls back after "
            f"{plan.no_data_limit} evaluations without unless the metrics come back; "
            f"`canary-tui rollback {plan.source}` rolls it back now",
            file=sys.stderr,
        )
    return failed


def under_way(s: Session) -> bool:
    """The cluster holds the state of this release (a run was stopped, or crashed, mid-way): resuming."""
    from ..errors import InputError
    from ..kube.client import ApiError
    from ..kube.state import configmap_name, read_configmap, stored_document

    name = configmap_name(s.plan.name)
    try:
        doc = stored_document(read_configmap(s.client, s.namespace, name))
        state, _ = resume_point(doc, s.plan, f"ConfigMap {s.namespace}/{name}")
    except (ApiError, InputError):  # read again, and said, once the lease is ours
        return False
    return state is not None


def resume_point(doc: dict[str, Any] | None, plan: Plan, where: str) -> tuple[State | None, str | None]:
    """The state to resume from (None: a new release) and a line saying what was found."""
    from ..core.rule import Outcome
    from ..errors import InputError
    from ..statefile import document_state

    if doc is None:
        return None, None
    stored = doc.get("plan") or {}
    versions = ((stored.get("stable") or {}).get("version"), (stored.get("canary") or {}).get("version"))
    if versions != (plan.stable.version, plan.canary.version):
        return None, f"starting a new release: the state in {where} was of {versions[0]} -> {versions[1]}"
    try:
        state = document_state(doc, plan)
    except ValueError as e:
        raise InputError(
            f"the state stored in {where} does not fit this plan ({e}): was the plan changed mid-release? "
            "Restore it, or delete the ConfigMap to start over"
        ) from None
    if state.outcome is Outcome.INCOMPLETE:  # stopped before an outcome: carry on
        state = replace(state, outcome=None, decided_at=None, reason="")
    return state, None


def describe_resume(state: State, plan: Plan, now: datetime) -> str:
    from ..core.durations import format_duration, format_time

    if state.outcome is not None:
        at = format_time(state.decided_at or now)
        return f"the release already ended {state.outcome.value} at {at}: {state.reason}"
    phase = plan.phases[state.phase_index]
    served = format_duration(max(now - state.phase_start, now - now))
    return (
        f"resuming in phase {phase.name} ({state.phase_index + 1}/{len(plan.phases)}, canary {phase.weight}%), "
        f"entered {format_time(state.phase_start)}: {served} of {format_duration(phase.duration)} served"
    )


class _Ends:
    """A sink that remembers whether the run's result line was emitted."""

    def __init__(self) -> None:
        self.finished = False

    def emit(self, event: Event) -> None:
        from ..core.events import Finished

        if isinstance(event, Finished):
            self.finished = True


@dataclass
class LiveRun:
    """A live run ready to go: the controller, who acts at its keys, and how to end it."""

    controller: Controller
    actor: str
    lease: Lease
    finish: Callable[[], None]

    def close(self) -> None:
        """Write the last lines and give the lease back (``finish``: idempotent, within ``END_GRACE``)."""
        self.finish()


def in_background(fn: Callable[[], None], name: str) -> threading.Thread:
    """``fn`` on a daemon thread: waited for as long as the caller wants, never at exit."""
    thread = threading.Thread(target=fn, name=name, daemon=True)
    thread.start()
    return thread


def release_lease(lease: Lease, timeout: float) -> bool:
    """Give the lease back (a real write), waiting at most ``timeout`` seconds. False when the API
    server did not answer in time: abandoned, the lease then expires by itself after its duration."""
    thread = in_background(lease.release, "lease-release")
    thread.join(timeout)
    return not thread.is_alive()


def run_live(args: argparse.Namespace) -> int:
    from .common import exit_code, run_headless

    live = prepare(args)
    try:
        if args.headless:
            return exit_code(run_headless(live.controller, on_done=live.finish))
        from .interactive import run_tui

        return run_tui(live.controller, mode="run", actor=live.actor, on_exit=live.finish)
    finally:
        live.close()
        freeze_for_exit()


def freeze_for_exit() -> None:
    """The process ends now: what is alive is frozen, so the interpreter's last garbage collection
    skips it (the Kubernetes client's thousands of classes cost about 0.2 s there), and the exit
    comes well within a second of the result line."""
    import gc

    gc.freeze()


def prepare(args: argparse.Namespace) -> LiveRun:
    """Everything up to a controller ready to run, the lease taken. InputError (exit 2) otherwise."""
    from ..core.model import Router
    from ..core.planfile import load_plan
    from ..errors import InputError, Problem
    from ..kube.access import denied_text, run_needs, try_review
    from ..kube.session import open_route, open_session, take_lease
    from ..preflight import refuse_simulated_metrics

    plan = load_plan(args.plan)
    if args.namespace:  # the whole release moves, {{namespace}} in the gates' queries included
        plan = replace(plan, namespace=args.namespace)
    if plan.traffic.router is Router.SIMULATED:
        raise InputError(
            f"{args.plan}: spec.traffic.router is simulated: there is nothing to drive on a cluster "
            "(use `canary-tui demo --plan`, or set router to istio, gateway-api or replicas)"
        )
    refuse_simulated_metrics(plan)
    from ..prometheus.source import PrometheusMetrics

    metrics = PrometheusMetrics.from_plan(plan)  # a missing secret or CA file: exit 2 before the cluster
    try:
        s = open_session(plan, args.context, args.namespace)  # s.plan: the namespace resolved
        failed = start_check(s.plan, metrics, resuming=under_way(s))
        verdicts, unknown = try_review(s.client, s.namespace, run_needs(s.plan))
        denied = denied_text(verdicts, s.namespace, s.user)
        if denied:
            hint = f"`canary-tui manifests {args.plan}` prints a Role with exactly what run needs"
            raise InputError([Problem(None, None, None, text) for text in (*denied, hint)])
        router, objects = open_route(s)
        lease = take_lease(s, lambda e: f"{plan.name} is already being driven: the lease {e}")
    except BaseException:
        metrics.close()
        raise
    try:
        live = _build(args, s, router, objects, lease, metrics, failed)
    except BaseException:
        metrics.close()
        release_lease(lease, END_GRACE)
        raise
    if unknown:
        print(f"canary-tui: warning: {unknown}", file=sys.stderr)
    return live


def _build(
    args: argparse.Namespace,
    s: Session,
    router: TrafficRouter,
    objects: Any,
    lease: Lease,
    metrics: Any,
    start_failed: list[str],
) -> LiveRun:
    from ..clock import RealClock
    from ..controller import Controller
    from ..core.events import Finished
    from ..errors import InputError
    from ..kube.client import ApiError
    from ..kube.cluster import KubeCluster
    from ..kube.pods import PodReader
    from ..kube.routers import ReplicasRouter
    from ..kube.session import involved_object
    from ..kube.state import ClusterStore, configmap_name, queue_of
    from ..kube.trail import EventSink, object_ref
    from ..probes import ProbeRunner
    from ..statefile import DocumentBuilder, StateFileStore
    from .common import Outputs

    plan = s.plan
    clock = RealClock()
    where = f"ConfigMap {s.namespace}/{configmap_name(plan.name)}"
    store = ClusterStore(s.client, s.namespace, plan.name, lease, DocumentBuilder(plan, mode="run"))
    try:
        doc = store.load()
    except ApiError as e:
        raise InputError(f"cannot read {where}: {e}") from None
    state, note = resume_point(doc, plan, where)
    if state is None and start_failed:  # the stored release was gone by the time the lease was ours
        from ..errors import Problem

        head = f"{plan.source}: the start check failed: run writes nothing until it passes"
        raise InputError([Problem(None, None, None, text) for text in (head, *start_failed)])
    kept: dict[str, Any] = doc if state is not None and doc is not None else {}
    extra: dict[str, Any] = {"actor": s.actor}
    if isinstance(router, ReplicasRouter):
        if router.total is None:
            total = kept.get("replicasTotal")
            router.total = int(total) if isinstance(total, int) else sum(router.replicas(o) for o in objects)
        if router.total < 1:
            raise InputError(f"{router.label} have 0 replicas in all: set spec.traffic.replicas to the total to share")
        extra["replicasTotal"] = router.total
    store.builder = DocumentBuilder(plan, mode="run", driver=s.identity, history=kept.get("history") or [], extra=extra)
    store.applied = list(kept.get("appliedActions") or [])
    if state is None:  # a new release: actions left queued for an earlier one are dropped, never applied
        store.applied += [q["id"] for q in queue_of(store.cm)]
    state_file = StateFileStore(args.state_file, store.builder) if args.state_file else None
    store.file = state_file

    holder: list[Controller] = []

    def on_lost(reason: str) -> None:
        if holder:
            holder[0].stop(reason)

    pods = PodReader(s.client, plan, s.namespace, metrics=s.metrics_served)
    cluster = KubeCluster(
        s.client, router, pods, lease, stored_weight=lambda: store.stored_weight(plan), on_lost=on_lost
    )
    involved = object_ref(involved_object(s, router, objects))
    events = EventSink(s.client, s.namespace, plan, involved, driver=s.actor, instance=s.identity)
    ends = _Ends()
    out = Outputs(args, plan, "run", headless=args.headless)
    controller = Controller(
        plan,
        clock=clock,
        metrics=metrics,
        cluster=cluster,
        sinks=[*out.sinks, ends, events],
        mode="run",
        state=state,
        store=store,
        inbox=store.inbox,
        checks=ProbeRunner(),
        stop_on_refusal=args.headless,  # a write refused for good (403, 422): headless exits, the TUI holds
    )
    holder.append(controller)
    lease.start(on_lost)
    err = sys.stderr
    for line in (lease.took_over, note, describe_resume(state, plan, clock.now()) if state is not None else None):
        if line:
            print(f"canary-tui: {line}", file=err)
    done: list[bool] = []

    def finish() -> None:
        """The result line (also when resuming a release that had already ended), then close the log;
        webhooks, Events and the Lease release get ``END_GRACE`` together, then are abandoned."""
        if done:
            return
        done.append(True)
        end = time.monotonic() + END_GRACE
        releasing = in_background(lease.release, "lease-release")  # meanwhile: a real write, bounded too
        final = controller.state
        if not ends.finished and final is not None and final.outcome is not None:
            at = final.decided_at or clock.now()
            phase = plan.phases[final.phase_index].name
            line = Finished(final.outcome.value, phase, at, at - final.started_at, final.reason)
            for sink in out.sinks:
                sink.emit(line)
        out.finish()  # the audit log, then the webhooks (notify.CLOSE_TIMEOUT, the same grace)
        unposted = events.close(max(0.0, end - time.monotonic()))
        if events.failures or unposted:
            why = events.last_error if not unposted else f"the API server did not take them within {END_GRACE:g}s"
            print(
                f"canary-tui: warning: {events.failures + unposted} Kubernetes Event(s) not recorded: {why}",
                file=err,
            )
        releasing.join(max(0.0, end - time.monotonic()))
        if releasing.is_alive():
            print(
                f"canary-tui: warning: the lease {lease.name} was not given back (the API server did not answer "
                f"within {END_GRACE:g}s): it lapses by itself {lease.timing.duration:g}s after its last renewal",
                file=err,
            )
        if controller.pending_write is not None:
            print(
                f"canary-tui: warning: stopped with a write pending ({controller.pending_write}); "
                "the next `canary-tui run` of this plan finishes it",
                file=err,
            )
        if state_file is not None and state_file.error:
            print(f"canary-tui: warning: {state_file.error}", file=err)

    return LiveRun(controller, s.actor, lease, finish)
