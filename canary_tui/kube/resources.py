"""The Kubernetes kinds canary-tui reads and writes, their REST paths, and which versions are served."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .client import ApiError, ReadClient, path

ISTIO = "networking.istio.io"
GATEWAY = "gateway.networking.k8s.io"
METRICS = "metrics.k8s.io"


@dataclass(frozen=True)
class Kind:
    """One resource type: ``group`` "" is the core API; ``sub`` a subresource such as ``scale``."""

    group: str
    version: str
    plural: str
    kind: str
    sub: str | None = None

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def resource(self) -> str:
        """As RBAC and kubectl name it: ``virtualservices.networking.istio.io``, ``deployments/scale``."""
        name = self.plural + (f"/{self.sub}" if self.sub else "")
        return f"{name}.{self.group}" if self.group else name

    def path(self, namespace: str, name: str | None = None) -> str:
        return path(self.group, self.version, self.plural, namespace, name, self.sub if name else None)

    def at(self, version: str) -> Kind:
        return replace(self, version=version)


CONFIGMAPS = Kind("", "v1", "configmaps", "ConfigMap")
PODS = Kind("", "v1", "pods", "Pod")
EVENTS = Kind("", "v1", "events", "Event")
DEPLOYMENTS = Kind("apps", "v1", "deployments", "Deployment")
SCALE = Kind("apps", "v1", "deployments", "Scale", sub="scale")
LEASES = Kind("coordination.k8s.io", "v1", "leases", "Lease")
VIRTUAL_SERVICES = Kind(ISTIO, "v1", "virtualservices", "VirtualService")
DESTINATION_RULES = Kind(ISTIO, "v1", "destinationrules", "DestinationRule")
HTTP_ROUTES = Kind(GATEWAY, "v1", "httproutes", "HTTPRoute")
POD_METRICS = Kind(METRICS, "v1beta1", "pods", "PodMetrics")


@dataclass(frozen=True)
class Discovery:
    """The preferred version of each API group the server serves (from ``GET /apis``)."""

    groups: dict[str, str]

    def served(self, group: str) -> bool:
        return group in self.groups

    def kind(self, kind: Kind) -> Kind:
        """``kind`` at the server's preferred version of its group (unchanged when not served)."""
        version = self.groups.get(kind.group)
        return kind.at(version) if version else kind


def discover(client: ReadClient) -> Discovery:
    """One ``GET /apis``. Raises ApiError (callers say the API server is unreachable)."""
    data: dict[str, Any] = client.get("/apis")
    groups: dict[str, str] = {}
    for g in data.get("groups") or []:
        name = g.get("name")
        preferred = (g.get("preferredVersion") or {}).get("version")
        if not preferred and g.get("versions"):
            preferred = g["versions"][0].get("version")
        if name and preferred:
            groups[str(name)] = str(preferred)
    return Discovery(groups)


def describe(kind: Kind, name: str | None, namespace: str) -> str:
    """``virtualservices.networking.istio.io/checkout in namespace shop``."""
    return f"{kind.resource}{'/' + name if name else ''} in namespace {namespace}"


def api_error_text(e: ApiError, verb: str, kind: Kind, name: str | None, namespace: str, user: str) -> str:
    """A plain sentence for a failed request: what was tried, on what, and what the server said."""
    what = describe(kind, name, namespace)
    if e.status == 403:
        return f"forbidden: {user} may not {verb} {what} ({e.message})"
    if e.status == 404:
        return f"not found: {what} ({e.message or 'no such object'})"
    if e.status is None:
        return f"{verb} {what}: API server {e.reason}: {e.message}"
    return f"{verb} {what}: {e}"
