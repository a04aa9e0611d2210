"""Opening a plan's cluster for ``run``, the operator commands and ``check``: client, identity, the
served API versions, the route object; each failure one plain sentence (InputError, exit 2)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ..core.model import Plan, Router
from ..errors import InputError
from ..identity import actor as local_actor
from .client import ApiError, Client, ConfigError, connect, whoami
from .lease import Lease
from .leaseinfo import LeaseHeld, lease_name, timing
from .resources import DEPLOYMENTS, GATEWAY, ISTIO, LEASES, METRICS, Discovery, api_error_text, discover
from .routers import ReplicasRouter, TrafficRouter, make_router

GROUP_OF = {Router.ISTIO: (ISTIO, "Istio"), Router.GATEWAY_API: (GATEWAY, "the Gateway API CRDs")}


@dataclass
class Session:
    plan: Plan
    namespace: str
    client: Client
    user: str  # the authenticated Kubernetes user (or the kubeconfig user when the server cannot say)
    apis: Discovery

    @property
    def actor(self) -> str:
        """Who acts, in the audit log, the Events and the state: ``alice@laptop (kube: alice)``."""
        return f"{local_actor()} (kube: {self.user})"

    @property
    def identity(self) -> str:
        """This process, as the Lease's holderIdentity: ``alice@laptop (pid 4242)``."""
        return f"{local_actor()} (pid {os.getpid()})"

    @property
    def metrics_served(self) -> bool:
        return self.apis.served(METRICS)


def open_session(plan: Plan, context: str | None, namespace: str | None) -> Session:
    """Connect, learn who we are and what the server serves. InputError when it cannot."""
    try:
        client = connect(context)
    except ConfigError as e:
        raise InputError(str(e)) from None
    assert isinstance(client, Client)
    try:
        apis = discover(client)
    except ApiError as e:
        raise InputError(f"cannot reach the Kubernetes API server at {client.identity.server}: {e}") from None
    user = whoami(client) or client.identity.user
    client.identity = replace(client.identity, user=user)  # messages name who the server says we are
    ns = resolve_namespace(namespace, plan, client.identity.namespace)
    return Session(replace(plan, namespace=ns), ns, client, user, apis)


def resolve_namespace(flag: str | None, plan: Plan, context_namespace: str | None) -> str:
    """kubectl's order: --namespace, then the plan's metadata.namespace, then the kube context's namespace
    (or, in a cluster, the service account's), then ``default``."""
    if flag:
        return flag
    if plan.namespace_given:
        return plan.namespace
    return context_namespace or "default"


def take_lease(s: Session, held: Callable[[LeaseHeld], str]) -> Lease:
    """The plan's Lease, acquired for this process. InputError when another holder has it (the text
    ``held`` makes of who holds it) or when the server refuses."""
    name = lease_name(s.plan.name)
    try:
        timed = timing(sum(s.client.timeout))
    except ConfigError as e:
        raise InputError(str(e)) from None
    lease = Lease(s.client, s.namespace, name, identity=s.identity, user=s.user, timing=timed)
    try:
        lease.acquire(say=lambda text: print(f"canary-tui: {text}", file=sys.stderr))
    except LeaseHeld as e:
        raise InputError(held(e)) from None
    except ApiError as e:
        raise InputError(api_error_text(e, "update", LEASES, name, s.namespace, s.user)) from None
    return lease


def open_route(s: Session, total: int | None = None) -> tuple[TrafficRouter, list[dict[str, Any]]]:
    """The plan's router and its objects as they are now; InputError naming what is wrong."""
    plan = s.plan
    group = GROUP_OF.get(plan.traffic.router)
    if group is not None and not s.apis.served(group[0]):
        raise InputError(f"the cluster does not serve {group[0]}: install {group[1]} (see docs/kubernetes.md)")
    router = make_router(plan, s.namespace, s.apis, total)
    try:
        objects = router.read(s.client)
    except ApiError as e:
        name = router.name
        if plan.traffic.router is Router.REPLICAS:
            name = _failing_deployment(s, e)
        raise InputError(api_error_text(e, "get", router.kind, name, s.namespace, s.user)) from None
    no_total = isinstance(router, ReplicasRouter) and router.total is None  # the caller works it out
    problems = [] if no_total else router.check(objects)
    if problems:
        raise InputError(problems[0])
    return router, objects


def _failing_deployment(s: Session, e: ApiError) -> str:
    for v in (s.plan.canary, s.plan.stable):
        if v.deployment in e.path:
            return v.deployment
    return s.plan.canary.deployment


def involved_object(s: Session, router: TrafficRouter, objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The object Events are recorded on: the route object, or the canary Deployment."""
    if s.plan.traffic.router is not Router.REPLICAS:
        return objects[0]
    try:
        return s.client.get(DEPLOYMENTS.path(s.namespace, s.plan.canary.deployment))
    except ApiError:
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": s.plan.canary.deployment, "namespace": s.namespace},
        }
