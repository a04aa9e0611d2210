"""Pieces of the fake API server: the kinds it serves, request records, fault rules, Status bodies,
JSON Patch and merge patch, label selectors."""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# (group, plural) -> (kind, custom resource?)
KINDS: dict[tuple[str, str], tuple[str, bool]] = {
    ("", "configmaps"): ("ConfigMap", False),
    ("", "pods"): ("Pod", False),
    ("", "events"): ("Event", False),
    ("", "services"): ("Service", False),
    ("apps", "deployments"): ("Deployment", False),
    ("coordination.k8s.io", "leases"): ("Lease", False),
    ("networking.istio.io", "virtualservices"): ("VirtualService", True),
    ("networking.istio.io", "destinationrules"): ("DestinationRule", True),
    ("gateway.networking.k8s.io", "httproutes"): ("HTTPRoute", True),
}
GROUPS = {
    "apps": ["v1"],
    "coordination.k8s.io": ["v1"],
    "authorization.k8s.io": ["v1"],
    "authentication.k8s.io": ["v1"],
    "networking.istio.io": ["v1", "v1beta1"],
    "gateway.networking.k8s.io": ["v1"],
    "metrics.k8s.io": ["v1beta1"],
}
MODIFIED = "the object has been modified; please apply your changes to the latest version and try again"
PATCH_TYPES = {"application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"}
_PATH = re.compile(
    r"^/(?:api/(?P<cv>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))(?:/namespaces/(?P<ns>[^/]+))?/(?P<plural>[^/]+)(?:/(?P<name>[^/]+))?(?:/(?P<sub>[^/]+))?$"
)


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Record:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    content_type: str | None
    body: Any
    status: int = 0
    at: float = field(default_factory=time.time)
    dropped: bool = False

    @property
    def verb(self) -> str:
        return _verb(self.method, _PATH.match(self.path), self.query)


@dataclass
class Rule:
    """A fault or hook: which requests (method, path regex, body test) and what to do, ``times`` times."""

    method: str
    pattern: str
    match: Callable[[Any, Any], bool] | None = None
    times: int | None = 1
    status: int | None = None
    retry_after: str | None = None
    message: str = ""
    hang: float = 0.0
    apply: bool = True
    before: Callable[[], Any] | None = None
    after: Callable[[], Any] | None = None
    hits: int = 0

    def matches(self, method: str, path: str, body: Any, current: Any) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method != "*" and self.method != method:
            return False
        if not re.search(self.pattern, path):
            return False
        return self.match is None or bool(self.match(body, current))


def _verb(method: str, m: re.Match[str] | None, query: dict[str, str]) -> str:
    if method == "GET":
        if m is not None and m.group("name") is None:
            return "watch" if query.get("watch") in ("true", "1") else "list"
        return "get"
    return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method, method.lower())


def status_body(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details or {},
        "code": code,
    }


class ApiFailure(Exception):
    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        headers: dict[str, str] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.headers = code, reason, message, headers or {}
        self.meta = meta or {}  # the Status's metadata (a fresh continue token with 410 Expired)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def _pointer(doc: Any, ptr: str) -> tuple[Any, str | int]:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in ptr.split("/")[1:]]
    cur = doc
    for p in parts[:-1]:
        cur = cur[int(p)] if isinstance(cur, list) else cur[p]
    last = parts[-1]
    return cur, (len(cur) if last == "-" else int(last)) if isinstance(cur, list) else last


def json_patch(doc: Any, ops: list[dict[str, Any]]) -> Any:
    """RFC 6902 (add, remove, replace, test, copy, move)."""
    doc = copy.deepcopy(doc)
    for op in ops:
        kind, ptr = op.get("op"), op.get("path", "")
        try:
            if kind == "test":
                parent, key = _pointer(doc, ptr)
                if parent[key] != op.get("value"):
                    raise ApiFailure(
                        422,
                        "Invalid",
                        f"the server rejected our request due to an error in our request: testing value {ptr} failed",
                    )
                continue
            if kind in ("copy", "move"):
                src_parent, src_key = _pointer(doc, op["from"])
                value = copy.deepcopy(src_parent[src_key])
                if kind == "move":
                    del src_parent[src_key]
                kind, op = "add", {"path": ptr, "value": value}
            parent, key = _pointer(doc, ptr)
            if kind == "add":
                if isinstance(parent, list):
                    parent.insert(int(key), copy.deepcopy(op["value"]))
                else:
                    parent[key] = copy.deepcopy(op["value"])
            elif kind == "remove":
                del parent[key]
            elif kind == "replace":
                parent[key]
                parent[key] = copy.deepcopy(op["value"])
            else:
                raise ApiFailure(422, "Invalid", f"unknown JSON Patch op {kind!r}")
        except (KeyError, IndexError, ValueError, TypeError):
            raise ApiFailure(
                422, "Invalid", f"the server rejected our request: JSON Patch {kind} {ptr}: no such path"
            ) from None
    return doc


def match_labels(labels: dict[str, str], selector: str) -> bool:
    """Equality and set-based label selectors (``a=b,c!=d,e in (x,y),f,!g``)."""
    if not selector:
        return True
    for term in re.findall(r"[^,(]+(?:\([^)]*\))?", selector):
        term = term.strip()
        if m := re.fullmatch(r"([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)", term):
            values = {v.strip() for v in m.group(3).split(",")}
            has = labels.get(m.group(1)) in values
            if has != (m.group(2) == "in"):
                return False
        elif m := re.fullmatch(r"([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)", term):
            eq = labels.get(m.group(1)) == m.group(3)
            if eq != (m.group(2) != "!="):
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True
