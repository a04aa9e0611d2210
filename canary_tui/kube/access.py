"""What ``run`` and ``watch`` may do in the cluster: one list, used for the Roles ``manifests`` prints,
the SelfSubjectAccessReviews of ``check`` and ``run``, and the messages when something is denied."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..core.model import Plan, Router
from .client import ApiError, Client
from .leaseinfo import lease_name
from .resources import (
    CONFIGMAPS,
    DEPLOYMENTS,
    DESTINATION_RULES,
    EVENTS,
    HTTP_ROUTES,
    LEASES,
    POD_METRICS,
    PODS,
    SCALE,
    VIRTUAL_SERVICES,
    Kind,
    describe,
)
from .state import configmap_name


@dataclass(frozen=True)
class Need:
    """One permission: ``verb`` on ``kind`` (named object, or any when ``name`` is None)."""

    verb: str
    kind: Kind
    name: str | None
    why: str
    required: bool = True

    def text(self, namespace: str) -> str:
        return f"{self.verb} {describe(self.kind, self.name, namespace)}"


def route_kind(plan: Plan) -> tuple[Kind, str]:
    """The object whose weights are set (and that Events are recorded on)."""
    t = plan.traffic
    if t.router is Router.ISTIO and t.virtual_service:
        return VIRTUAL_SERVICES, t.virtual_service
    if t.router is Router.GATEWAY_API and t.http_route:
        return HTTP_ROUTES, t.http_route
    return DEPLOYMENTS, plan.canary.deployment


def run_needs(plan: Plan) -> list[Need]:
    """Everything ``run`` (and promote/hold/resume/rollback) does, and nothing more."""
    kind, name = route_kind(plan)
    out: list[Need] = []
    if plan.traffic.router is Router.REPLICAS:
        for d in (plan.stable.deployment, plan.canary.deployment):
            out += [Need("get", SCALE, d, "read the replicas"), Need("update", SCALE, d, "scale the Deployment")]
    else:
        out += [Need("get", kind, name, "read the weights"), Need("update", kind, name, "set the weights")]
    for d in (plan.stable.deployment, plan.canary.deployment):
        out.append(Need("get", DEPLOYMENTS, d, "read the pod selector"))
    cm, lease = configmap_name(plan.name), lease_name(plan.name)
    out += [
        Need("list", PODS, None, "show the pods and feed pod gates"),
        Need("list", POD_METRICS, None, "CPU and memory of the pods (when metrics-server runs)", required=False),
        Need("get", CONFIGMAPS, cm, "resume from the stored state"),
        Need("create", CONFIGMAPS, None, "store the state the first time"),
        Need("update", CONFIGMAPS, cm, "store the state"),
        Need("get", LEASES, lease, "see who drives"),
        Need("create", LEASES, None, "take the lock the first time"),
        Need("update", LEASES, lease, "take and renew the lock"),
        Need("create", EVENTS, None, "record phase changes and decisions"),
    ]
    return out


def check_needs(plan: Plan) -> list[Need]:
    """What ``check`` reads on top of ``run``'s reads: the DestinationRules (Istio), to find the one
    that defines the subsets. The run Role grants these too, so whoever runs a release can check it."""
    out = run_needs(plan)
    if plan.traffic.router is Router.ISTIO:
        out.append(Need("list", DESTINATION_RULES, None, "check the subsets (`check`)", required=False))
    return out


def watch_needs(plan: Plan) -> list[Need]:
    """Read-only, and only what ``watch`` reads at each refresh: the state, the Lease, the two
    Deployments' selectors, the pods and their CPU and memory. Every one a GET; no write, no watch."""
    out = [
        Need("get", CONFIGMAPS, configmap_name(plan.name), "read the driver's state"),
        Need("get", LEASES, lease_name(plan.name), "see who drives, and whether it is alive"),
    ]
    for d in (plan.stable.deployment, plan.canary.deployment):
        out.append(Need("get", DEPLOYMENTS, d, "read the pod selector"))
    out.append(Need("list", PODS, None, "show the pods"))
    out.append(Need("list", POD_METRICS, None, "pod CPU and memory (when metrics-server runs)", required=False))
    return out


@dataclass(frozen=True)
class Verdict:
    need: Need
    allowed: bool
    reason: str


def review(client: Client, namespace: str, needs: Iterable[Need]) -> list[Verdict]:
    """Ask the API server, one SelfSubjectAccessReview per need, all at once. ApiError when it cannot."""
    needs = list(needs)
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="review") as pool:
        return list(pool.map(lambda n: _review(client, namespace, n), needs))


def _review(client: Client, namespace: str, need: Need) -> Verdict:
    attrs = {"namespace": namespace, "verb": need.verb, "group": need.kind.group, "resource": need.kind.plural}
    if need.kind.sub:
        attrs["subresource"] = need.kind.sub
    if need.name:
        attrs["name"] = need.name
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": attrs},
    }
    answer = client.review("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body)
    status = answer.get("status") or {}
    allowed = bool(status.get("allowed")) and not status.get("denied")
    return Verdict(need, allowed, str(status.get("reason") or status.get("evaluationError") or ""))


def denied_text(verdicts: Iterable[Verdict], namespace: str, user: str) -> list[str]:
    """One sentence per required permission the user lacks."""
    return [
        f"forbidden: {user} may not {v.need.text(namespace)} (needed to {v.need.why})"
        for v in verdicts
        if not v.allowed and v.need.required
    ]


def try_review(client: Client, namespace: str, needs: Iterable[Need]) -> tuple[list[Verdict], str | None]:
    """``review``, or ([], the reason) when the server cannot answer access reviews."""
    try:
        return review(client, namespace, needs), None
    except ApiError as e:
        return [], f"cannot ask for access reviews: {e}"
