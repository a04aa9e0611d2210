"""Traffic routers: how a canary weight is read from and written to the cluster's objects.

``istio`` sets the two subset destinations' weights in a VirtualService route, ``gateway-api`` the two
backendRefs' weights in an HTTPRoute rule, ``replicas`` scales the two Deployments so the canary's
share of a fixed total approximates the weight. Each router only computes: it reads whole objects
and returns the whole objects to write back (with their resourceVersion); ``cluster`` sends them.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

from ..core.model import Plan, Router
from ..sanitize import clean
from .client import ReadClient
from .resources import DEPLOYMENTS, HTTP_ROUTES, SCALE, VIRTUAL_SERVICES, Discovery, Kind


class RouteProblem(Exception):
    """The route object does not fit the plan (no such route, subset or backendRef): not retried."""


@dataclass(frozen=True)
class Write:
    """One object to PUT back, whole, carrying the resourceVersion it was read at."""

    kind: Kind
    name: str
    body: dict[str, Any]

    @property
    def resource_version(self) -> str | None:
        return (self.body.get("metadata") or {}).get("resourceVersion")


class TrafficRouter:
    """The common shape. ``objects`` are what ``read`` returned, in the router's order."""

    kind: Kind
    name: str

    def __init__(self, plan: Plan, namespace: str) -> None:
        self.plan = plan
        self.namespace = namespace

    @property
    def label(self) -> str:
        return f"{self.kind.kind} {self.namespace}/{self.name}"

    def read(self, client: ReadClient) -> list[dict[str, Any]]:
        return [client.get(self.kind.path(self.namespace, self.name))]

    def weight(self, objects: list[dict[str, Any]]) -> int | None:
        """The canary weight the objects give now, None when it is not one of ours (e.g. 30/30)."""
        raise NotImplementedError

    def writes(self, objects: list[dict[str, Any]], canary: int) -> list[Write]:
        """The objects to write so the canary gets ``canary`` percent; [] when already so."""
        raise NotImplementedError

    def check(self, objects: list[dict[str, Any]]) -> list[str]:
        """What does not fit the plan, in words ([] when all is well)."""
        try:
            self.writes(objects, self.plan.phases[0].weight)
        except RouteProblem as e:
            return [str(e)]
        return []

    def verbs(self) -> list[tuple[str, Kind, str | None]]:
        """(verb, kind, name) this router needs: for the Role, the access review and the messages."""
        return [("get", self.kind, self.name), ("update", self.kind, self.name)]


def _weight(entry: dict[str, Any], default: int) -> int:
    w = entry.get("weight")
    return int(w) if isinstance(w, int | float) else default


class IstioRouter(TrafficRouter):
    def __init__(self, plan: Plan, namespace: str, kind: Kind = VIRTUAL_SERVICES) -> None:
        super().__init__(plan, namespace)
        self.kind = kind
        assert plan.traffic.virtual_service is not None
        self.name = plan.traffic.virtual_service

    def _route(self, vs: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        routes = (vs.get("spec") or {}).get("http") or []
        want = self.plan.traffic.route
        for i, r in enumerate(routes):
            if (want is None and i == 0) or (want is not None and r.get("name") == want):
                return (f"route {want!r}" if want else "the first http route"), r.setdefault("route", [])
        if want is not None:
            names = ", ".join(repr(clean(r.get("name"), 40)) for r in routes if r.get("name")) or "none named"
            raise RouteProblem(f"{self.label} has no http route named {want!r} (routes: {names})")
        raise RouteProblem(f"{self.label} has no http routes")

    def _pair(self, vs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], int]:
        where, dests = self._route(vs)
        found: dict[str, list[dict[str, Any]]] = {self.plan.stable.subset: [], self.plan.canary.subset: []}
        for d in dests:
            subset = (d.get("destination") or {}).get("subset")
            if subset in found:
                found[subset].append(d)
            elif _weight(d, 0) > 0:
                raise RouteProblem(
                    f"{self.label} {where} also sends traffic to subset {clean(subset, 40)!r}; "
                    f"only {self.plan.stable.subset} and {self.plan.canary.subset} may carry weight"
                )
        for side in (self.plan.stable.subset, self.plan.canary.subset):
            if not found[side]:
                have = ", ".join(repr(clean((d.get("destination") or {}).get("subset"), 40)) for d in dests) or "none"
                raise RouteProblem(f"{self.label} {where} has no destination with subset {side} (subsets: {have})")
            if len(found[side]) > 1:
                raise RouteProblem(f"{self.label} {where} has subset {side} twice")
        return found[self.plan.stable.subset][0], found[self.plan.canary.subset][0], len(dests)

    def weight(self, objects: list[dict[str, Any]]) -> int | None:
        stable, canary, n = self._pair(copy.deepcopy(objects[0]))
        default = 100 if n == 1 else 0
        s, c = _weight(stable, default), _weight(canary, default)
        return c if s + c == 100 else None

    def writes(self, objects: list[dict[str, Any]], canary: int) -> list[Write]:
        vs = copy.deepcopy(objects[0])
        stable_d, canary_d, _ = self._pair(vs)
        if self.weight(objects) == canary and "weight" in stable_d and "weight" in canary_d:
            return []
        stable_d["weight"] = 100 - canary
        canary_d["weight"] = canary
        return [Write(self.kind, self.name, vs)]


class GatewayRouter(TrafficRouter):
    """backendRefs name the per-version Services: by the Deployment's name, or else the subset's."""

    def __init__(self, plan: Plan, namespace: str, kind: Kind = HTTP_ROUTES) -> None:
        super().__init__(plan, namespace)
        self.kind = kind
        assert plan.traffic.http_route is not None
        self.name = plan.traffic.http_route

    def _match(self, ref: dict[str, Any], side: str) -> bool:
        v = self.plan.stable if side == "stable" else self.plan.canary
        kind_ok = ref.get("kind", "Service") == "Service" and ref.get("group", "") in ("", "core")
        return kind_ok and ref.get("name") in (v.deployment, v.subset)

    def _pair(self, route: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        rules = (route.get("spec") or {}).get("rules") or []
        for rule in rules:
            refs = rule.get("backendRefs") or []
            stable = [r for r in refs if self._match(r, "stable")]
            canary = [r for r in refs if self._match(r, "canary")]
            if not stable and not canary:
                continue
            p = self.plan
            for side, got, v in (("stable", stable, p.stable), ("canary", canary, p.canary)):
                if len(got) != 1:
                    count = "no" if not got else "two"
                    raise RouteProblem(
                        f"{self.label}: the rule has {count} backendRef for {side} "
                        f"(a Service named {v.deployment} or {v.subset})"
                    )
            others = [r for r in refs if r is not stable[0] and r is not canary[0] and _weight(r, 1) > 0]
            if others:
                names = ", ".join(repr(clean(r.get("name"), 40)) for r in others)
                raise RouteProblem(f"{self.label}: the rule also sends traffic to {names}")
            return stable[0], canary[0]
        p = self.plan
        raise RouteProblem(
            f"{self.label} has no rule with backendRefs to {p.stable.deployment} / {p.canary.deployment} "
            f"(or {p.stable.subset} / {p.canary.subset})"
        )

    def weight(self, objects: list[dict[str, Any]]) -> int | None:
        stable, canary = self._pair(copy.deepcopy(objects[0]))
        s, c = _weight(stable, 1), _weight(canary, 1)
        if s + c == 0 or (100 * c) % (s + c):
            return None
        return 100 * c // (s + c)

    def writes(self, objects: list[dict[str, Any]], canary: int) -> list[Write]:
        route = copy.deepcopy(objects[0])
        stable_ref, canary_ref = self._pair(route)
        if _weight(stable_ref, 1) == 100 - canary and _weight(canary_ref, 1) == canary:
            return []
        stable_ref["weight"] = 100 - canary
        canary_ref["weight"] = canary
        return [Write(self.kind, self.name, route)]


class ReplicasRouter(TrafficRouter):
    """No mesh: the canary gets ``ceil(total * weight / 100)`` replicas and stable the rest, as Argo
    Rollouts does. Capacity never drops mid-change: the side that grows is scaled first."""

    kind = DEPLOYMENTS

    def __init__(self, plan: Plan, namespace: str, total: int | None = None) -> None:
        super().__init__(plan, namespace)
        self.name = plan.canary.deployment
        self.total = total if total is not None else plan.traffic.replicas

    @property
    def label(self) -> str:
        p = self.plan
        return f"Deployments {self.namespace}/{p.stable.deployment} and {p.canary.deployment}"

    def read(self, client: ReadClient) -> list[dict[str, Any]]:
        """The two Scale subresources: canary first, then stable."""
        return [
            client.get(SCALE.path(self.namespace, d))
            for d in (self.plan.canary.deployment, self.plan.stable.deployment)
        ]

    @staticmethod
    def replicas(scale: dict[str, Any]) -> int:
        return int((scale.get("spec") or {}).get("replicas") or 0)

    def split(self, canary: int) -> tuple[int, int]:
        """(canary, stable) replicas for a weight."""
        if self.total is None:
            raise RouteProblem(
                "the replicas router needs a total: spec.traffic.replicas, or replicas on the Deployments"
            )
        c = min(self.total, math.ceil(self.total * canary / 100))
        return c, self.total - c

    def weight(self, objects: list[dict[str, Any]]) -> int | None:
        c, s = self.replicas(objects[0]), self.replicas(objects[1])
        return round(100 * c / (c + s)) if c + s else None

    def writes(self, objects: list[dict[str, Any]], canary: int) -> list[Write]:
        want_c, want_s = self.split(canary)
        out: list[Write] = []
        for scale, want, name in (
            (objects[0], want_c, self.plan.canary.deployment),
            (objects[1], want_s, self.plan.stable.deployment),
        ):
            if self.replicas(scale) != want:
                body = copy.deepcopy(scale)
                body.setdefault("spec", {})["replicas"] = want
                out.append(Write(SCALE, name, body))
        growing_stable = len(out) == 2 and want_s > self.replicas(objects[1])
        return out[::-1] if growing_stable else out

    def verbs(self) -> list[tuple[str, Kind, str | None]]:
        out: list[tuple[str, Kind, str | None]] = []
        for d in (self.plan.stable.deployment, self.plan.canary.deployment):
            out += [("get", SCALE, d), ("update", SCALE, d)]
        return out


def make_router(plan: Plan, namespace: str, apis: Discovery, total: int | None = None) -> TrafficRouter:
    """The plan's router, at the versions the cluster serves."""
    if plan.traffic.router is Router.ISTIO:
        return IstioRouter(plan, namespace, apis.kind(VIRTUAL_SERVICES))
    if plan.traffic.router is Router.GATEWAY_API:
        return GatewayRouter(plan, namespace, apis.kind(HTTP_ROUTES))
    if plan.traffic.router is Router.REPLICAS:
        return ReplicasRouter(plan, namespace, total)
    raise ValueError(f"router {plan.traffic.router.value} has no cluster")
