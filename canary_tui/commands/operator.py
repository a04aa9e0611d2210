"""``canary-tui promote|hold|resume|rollback PLAN``: act on a release from any terminal.

When a ``run`` holds the plan's Lease, the action is queued in the cluster state and the driver
applies it at its next evaluation, naming the caller as actor (like ``kubectl argo rollouts
promote``). When nothing drives, ``rollback`` is applied here and now (the seed's emergency
``kubectl rollout undo``): 100% of traffic back to stable, recorded in the state and as an Event;
the others say that nothing is driving.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..kube.session import Session

HELP = "promote, hold, resume or roll back a running release"
HELPS = {
    "promote": "promote a running release to its next phase now (queued for the driver)",
    "hold": "hold a running release: no promotion until resume (queued for the driver)",
    "resume": "resume a held release (queued for the driver)",
    "rollback": "roll a release back: 100% to stable (queued for the driver, or at once when none runs)",
}
DESCRIPTION = (
    "Act on a release from any terminal. With a `canary-tui run` driving the plan (it holds the Lease "
    "canary-tui-<plan>), the action is queued in the ConfigMap canary-tui-<plan> and applied at the driver's "
    "next evaluation, with you as the actor. With no driver, rollback sends all traffic to stable at once "
    "and records it; promote, hold and resume need a driver."
)
ATTEMPTS = 5


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("plan", type=Path, metavar="PLAN", help="a CanaryPlan YAML file")
    p.add_argument("--context", metavar="C", help="kubeconfig context (default: the current one)")
    p.add_argument("--namespace", "-n", metavar="NS", help="override the plan's metadata.namespace")


def run(args: argparse.Namespace) -> int:
    from ..clock import RealClock
    from ..core.durations import format_duration
    from ..core.model import Router
    from ..core.planfile import load_plan
    from ..core.rule import ActionKind
    from ..errors import InputError
    from ..kube.client import ApiError
    from ..kube.leaseinfo import lease_name, watch_holder
    from ..kube.resources import CONFIGMAPS, LEASES, api_error_text
    from ..kube.session import open_session
    from ..kube.state import configmap_name, enqueue

    kind = ActionKind(args.command)
    plan = load_plan(args.plan)
    if args.namespace:
        plan = replace(plan, namespace=args.namespace)
    if plan.traffic.router is Router.SIMULATED:
        raise InputError(f"{args.plan}: spec.traffic.router is simulated: there is no cluster release to {kind.value}")
    s = open_session(plan, args.context, args.namespace)
    name = lease_name(plan.name)
    try:  # judged as client-go does: a driver is live when it renews its lease while we watch
        info, held = watch_holder(s.client, s.namespace, name, say=lambda t: print(f"canary-tui: {t}", file=sys.stderr))
    except ApiError as e:
        raise InputError(api_error_text(e, "get", LEASES, name, s.namespace, s.user)) from None
    now = RealClock().now()
    if info is not None and held:
        refused = refusal(s, kind, now)
        if refused is not None:
            raise InputError(f"{kind.value} refused for {plan.name}: {refused} (nothing queued)")
        try:
            enqueue(s.client, s.namespace, plan.name, kind, s.actor, now)
        except ApiError as e:
            raise InputError(
                api_error_text(e, "update", CONFIGMAPS, configmap_name(plan.name), s.namespace, s.user)
            ) from None
        print(
            f"{kind.value} queued for {plan.name} by {s.actor}: the driver {info.holder} applies it at its next "
            f"evaluation (every {format_duration(plan.interval)})"
        )
        return 0
    if kind is not ActionKind.ROLLBACK:
        why = (
            "no canary-tui run holds the lease"
            if info is None or not info.holder
            else f"the lease of {info.holder} has lapsed"
        )
        raise InputError(
            f"nothing is driving {plan.name} in namespace {s.namespace} ({why} {name}): {kind.value} needs a "
            f"running driver; start one with `canary-tui run {args.plan}`"
        )
    return emergency_rollback(s)


def refusal(s: Session, kind: Any, now: Any) -> str | None:
    """Why the rule would refuse this action on the stored state, after the actions still queued
    (None: it would take it). The same ``rule.advance`` the driver runs, on what it will see."""
    from ..core import rule
    from ..core.durations import parse_time
    from ..core.events import ActionTaken
    from ..core.rule import Action, ActionKind
    from ..errors import InputError
    from ..kube.client import ApiError
    from ..kube.state import configmap_name, queue_of, read_configmap, stored_document
    from .run_live import resume_point

    name = configmap_name(s.plan.name)
    try:
        cm = read_configmap(s.client, s.namespace, name)
        state, _ = resume_point(stored_document(cm), s.plan, f"ConfigMap {s.namespace}/{name}")
    except (ApiError, InputError):
        return None  # the driver judges it: nothing to say here
    if state is None:
        return None
    applied = set((stored_document(cm) or {}).get("appliedActions") or [])
    pending = []
    for q in queue_of(cm):
        try:
            if q["id"] not in applied:
                pending.append(Action(parse_time(str(q["at"])), ActionKind(q["action"]), str(q["actor"])))
        except (KeyError, ValueError):
            continue
    step = rule.advance(state, s.plan, now, [*pending, Action(now, kind, s.actor)])
    taken = [e for e in step.events if isinstance(e, ActionTaken)]
    if taken and not taken[-1].accepted:
        return taken[-1].reason
    return None


def _persist(step: Any, attempt_what: str, fn: Any) -> None:
    """Call ``fn`` until it lands: transient failures are retried (Retry-After, or backoff)."""
    from ..errors import InputError
    from ..ports import WriteError

    for i in range(ATTEMPTS):
        try:
            fn()
            return
        except WriteError as e:
            if not e.retryable or i == ATTEMPTS - 1:
                raise InputError(f"{attempt_what} failed: {e}") from None
            delay = e.retry_after if e.retry_after is not None else min(8.0, 0.5 * 2**i)
            print(f"{attempt_what} not written yet: {e}; retrying in {delay:g}s")
            time.sleep(delay)


def emergency_rollback(s: Session) -> int:
    """No driver: take the lease, record the rollback in the state, set 100% to stable, give it back."""
    from ..clock import RealClock
    from ..controller import Snapshot
    from ..core import rule
    from ..core.rule import Action, ActionKind, Outcome
    from ..errors import InputError
    from ..kube.client import ApiError
    from ..kube.cluster import KubeCluster
    from ..kube.pods import PodReader
    from ..kube.routers import ReplicasRouter
    from ..kube.session import involved_object, open_route, take_lease
    from ..kube.state import ClusterStore, configmap_name
    from ..kube.trail import EventSink, object_ref
    from ..statefile import DocumentBuilder
    from .run_live import resume_point

    plan = s.plan
    clock = RealClock()
    lease = take_lease(s, lambda e: f"a driver started meanwhile ({e}): run the command again to queue the rollback")
    try:
        where = f"ConfigMap {s.namespace}/{configmap_name(plan.name)}"
        store = ClusterStore(s.client, s.namespace, plan.name, lease, DocumentBuilder(plan, mode="rollback"))
        try:
            doc = store.load()
        except ApiError as e:
            raise InputError(f"cannot read {where}: {e}") from None
        state, _ = resume_point(doc, plan, where)
        kept = doc if state is not None else None
        now = clock.now()
        recorded = state is not None  # no release of these versions in the state: only set the weights
        if state is None:
            state = rule.start(plan, now).state
        if state.outcome is Outcome.PROMOTED:
            raise InputError(
                f"{plan.name} was Promoted at {state.decided_at}: there is no canary left to roll back "
                "(to go back to the old version, release it as a new canary)"
            )
        router, objects = open_route(s)
        extra: dict[str, Any] = {"actor": s.actor}
        if isinstance(router, ReplicasRouter):
            total = (kept or {}).get("replicasTotal")
            router.total = router.total or (
                int(total) if isinstance(total, int) else sum(router.replicas(o) for o in objects)
            )
            extra["replicasTotal"] = router.total
        store.builder = DocumentBuilder(
            plan, mode="rollback", driver=s.identity, history=(kept or {}).get("history") or [], extra=extra
        )
        store.applied = list((kept or {}).get("appliedActions") or [])
        if state.outcome is Outcome.ROLLED_BACK:
            step = rule.Step(state, ())
            print(f"{plan.name} was already rolled back ({state.reason}); making sure all traffic is on stable")
        else:
            step = rule.advance(state, plan, now, [Action(now, ActionKind.ROLLBACK, s.actor)])
        events = EventSink(
            s.client,
            s.namespace,
            plan,
            object_ref(involved_object(s, router, objects)),
            driver=s.actor,
            instance=s.identity,
        )

        def snap(applied: int | None) -> Snapshot:
            return Snapshot(
                plan=plan,
                mode="rollback",
                now=now,
                state=step.state,
                pods=None,
                events=step.events,
                applied_weight=applied,
            )

        if recorded:
            _persist(step, f"saving the rollback in {where}", lambda: store.save(snap(None)))
        for event in step.events if recorded else ():
            events.emit(event)
        cluster = KubeCluster(s.client, router, PodReader(s.client, plan, s.namespace, metrics=False), lease)
        _persist(step, f"setting 100% to stable on {router.label}", lambda: cluster.set_weight(0))
        if recorded:
            _persist(step, f"saving the rollback in {where}", lambda: store.save(snap(0)))
        else:
            events.post("Warning", "RolledBack", f"emergency rollback by {s.actor}: 100% to {plan.stable.version}", now)
        events.close()
        print(f"rolled back {plan.name} by {s.actor}: {router.label} now sends 100% to {plan.stable.version} (stable)")
        return 0
    finally:
        lease.release()
