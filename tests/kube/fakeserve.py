"""The fake API server's REST semantics: objects with resourceVersion, create/update/patch/scale,
pods that follow the Deployments, PodMetrics, access reviews (see ``fakeapi`` for the server)."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakelist import list_page
from fakeparts import (
    _PATH,
    KINDS,
    MODIFIED,
    PATCH_TYPES,
    ApiFailure,
    Record,
    Rule,
    _verb,
    json_patch,
    match_labels,
    merge_patch,
    now_text,
    status_body,
)
from fakepods import new_pod
from fakestrict import managed, validate


class FakeStore:
    """The objects and how requests change them; ``FakeKube`` adds the server and the test controls."""

    objects: dict[tuple[str, str, str, str], dict[str, Any]]
    requests: list[Record]
    rules: list[Rule]
    forbidden: list[tuple[str, str, str, str | None]]
    user: str
    token: str
    metrics: bool
    compacted: int
    manager: str
    groups: dict[str, list[str]]
    latency: float
    lock: threading.RLock
    warnings: list[str]  # the Warning headers of the request being served
    _rv: int
    _pods: int

    def next_rv(self) -> str:
        with self.lock:
            self._rv += 1
            return str(self._rv)

    def _allowed(self, verb: str, group: str, resource: str, name: str | None) -> bool:
        for v, g, r, n in self.forbidden:
            if v in (verb, "*") and g == group and r == resource and (n is None or n == name):
                return False
        return True

    def _sync_pods(self, ns: str, deployment: str) -> None:
        """The controller manager, in one line per step: pods follow spec.replicas, and a changed pod
        template replaces them all (a rollout that finished at once), named by pod-template-hash."""
        dep = self.objects.get(("apps", "deployments", ns, deployment))
        template = ((dep or {}).get("spec") or {}).get("template") or {}
        digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
        pod_hash = "".join("bcdfghjklmnpqrstvwxz2456789"[int(c, 16)] for c in digest[:10])
        owned = sorted(
            (
                k
                for k, p in self.objects.items()
                if k[1] == "pods" and k[2] == ns and p["metadata"].get("labels", {}).get("fake/owner") == deployment
            ),
            key=lambda k: k[3],
        )
        for key in [k for k in owned if self.objects[k]["metadata"]["labels"].get("pod-template-hash") != pod_hash]:
            del self.objects[key]
            owned.remove(key)
        want = int((dep or {}).get("spec", {}).get("replicas") or 0) if dep else 0
        if dep is not None:
            dep["status"] = {
                "replicas": want,
                "readyReplicas": want,
                "availableReplicas": want,
                "updatedReplicas": want,
            }
        for key in owned[want:]:
            del self.objects[key]
        labels = {**(template.get("metadata") or {}).get("labels", {}), "fake/owner": deployment}
        labels["pod-template-hash"] = pod_hash
        for _ in range(want - len(owned)):
            self._pods += 1
            name = f"{deployment}-{pod_hash}-{self._pods:05d}"
            self.objects[("", "pods", ns, name)] = new_pod(name, ns, dict(labels), template, self.next_rv())

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body_bytes: bytes
    ) -> tuple[int, dict[str, str], Any]:
        if self.latency:
            time.sleep(self.latency)  # a network between: each answer comes this much later
        split = urlsplit(raw_path)
        path = split.path
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        ctype = (headers.get("content-type") or "").split(";")[0].strip() or None
        try:
            body = json.loads(body_bytes) if body_bytes else None
        except ValueError:
            body = body_bytes.decode("utf-8", "replace")
        record = Record(method, path, query, ctype, body)
        with self.lock:
            self.requests.append(record)
        scheme, _, token = (headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or token != self.token:  # case-insensitive: the in-cluster loader says "bearer"
            record.status = 401
            return 401, {}, status_body(401, "Unauthorized", "Unauthorized")
        m = _PATH.match(path)
        with self.lock:
            current = self._current(m)
            rule = next((r for r in self.rules if r.matches(method, path, body, current)), None)
            if rule is not None:
                rule.hits += 1
        if rule is not None and rule.hang:
            time.sleep(rule.hang)
            if not rule.apply:
                record.status = -1
                return -1, {}, None
        if rule is not None and rule.status is not None:
            hdrs = {"Retry-After": rule.retry_after} if rule.retry_after is not None else {}
            reason = {
                403: "Forbidden",
                404: "NotFound",
                409: "Conflict",
                429: "TooManyRequests",
                500: "InternalError",
                503: "ServiceUnavailable",
            }.get(rule.status, "Failure")
            record.status = rule.status
            return rule.status, hdrs, status_body(rule.status, reason, rule.message or f"fake: injected {rule.status}")
        if rule is not None and rule.before is not None and rule.before() == "drop":
            record.status = -1
            return -1, {}, None
        with self.lock:
            try:
                agent = (headers.get("user-agent") or "unknown").split("/")[0]
                self.manager = query.get("fieldManager") or agent  # as the API server names a manager
                self.warnings = []
                code, out = self._serve(method, path, m, query, ctype, body)
                hdrs = {}
                if self.warnings:  # RFC 7234 warn-code 299, one value per warning, as the API server sends
                    hdrs["Warning"] = ", ".join('299 - "{}"'.format(w.replace('"', '\\"')) for w in self.warnings)
            except ApiFailure as e:
                code, out, hdrs = e.code, status_body(e.code, e.reason, e.message) | {"metadata": e.meta}, e.headers
            record.status = code
            if rule is not None and rule.after is not None and rule.after() == "drop":
                record.dropped = True  # it took effect; the client never heard
                return -1, {}, None
        return code, hdrs, out

    def _current(self, m: re.Match[str] | None) -> Any:
        if m is None or m.group("name") is None:
            return None
        return copy.deepcopy(
            self.objects.get((m.group("group") or "", m.group("plural"), m.group("ns") or "", m.group("name")))
        )

    def _serve(
        self, method: str, path: str, m: re.Match[str] | None, query: dict[str, str], ctype: str | None, body: Any
    ) -> tuple[int, Any]:
        if path == "/apis" and method == "GET":
            groups = [g for g in self.groups if self.metrics or g != "metrics.k8s.io"]
            return 200, {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [
                    {
                        "name": g,
                        "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in self.groups[g]],
                        "preferredVersion": {"groupVersion": f"{g}/{self.groups[g][0]}", "version": self.groups[g][0]},
                    }
                    for g in groups
                ],
            }
        if m is None:
            raise ApiFailure(404, "NotFound", "404 page not found")
        group = m.group("group") or ""
        version = m.group("cv") or m.group("version")
        ns, plural, name, sub = m.group("ns"), m.group("plural"), m.group("name"), m.group("sub")
        if group and version not in self.groups.get(group, []):
            raise ApiFailure(404, "NotFound", "404 page not found")
        if group == "authorization.k8s.io" and plural == "selfsubjectaccessreviews" and method == "POST":
            a = (body or {}).get("spec", {}).get("resourceAttributes", {})
            res = a.get("resource", "") + (f"/{a['subresource']}" if a.get("subresource") else "")
            ok = self._allowed(a.get("verb", ""), a.get("group", ""), res, a.get("name"))
            return 201, {
                **body,
                "status": {"allowed": ok, **({} if ok else {"reason": "fake RBAC: not in the test's Role"})},
            }
        if group == "authentication.k8s.io" and plural == "selfsubjectreviews" and method == "POST":
            return 201, {**body, "status": {"userInfo": {"username": self.user, "groups": ["system:authenticated"]}}}
        verb = _verb(method, m, query)
        resource = plural + (f"/{sub}" if sub else "")
        if not self._allowed(verb, group, resource, name):
            what = (
                f'{plural}{"." + group if group else ""} "{name}"'
                if name
                else f"{plural}{'.' + group if group else ''}"
            )
            api = f'in API group "{group}"' if group else 'in API group ""'
            raise ApiFailure(
                403,
                "Forbidden",
                f'{what} is forbidden: User "{self.user}" cannot {verb} resource "{resource}" {api} '
                f'in the namespace "{ns}"',
            )
        if group == "metrics.k8s.io" and plural == "pods" and method == "GET" and self.metrics:
            return 200, self._pod_metrics(ns or "", query.get("labelSelector", ""))
        if (group, plural) not in KINDS:
            raise ApiFailure(404, "NotFound", "404 page not found")
        kind, custom = KINDS[(group, plural)]
        api_version = f"{group}/{version}" if group else "v1"
        directive = _directive(method, query)
        ns = ns or ""
        key = (group, plural, ns, name or "")
        if name is None:
            if method == "GET":
                here = [
                    (name, _at(o, custom, api_version))
                    for (g, p, n, name), o in sorted(self.objects.items())
                    if g == group and p == plural and n == ns
                ]
                items, meta = list_page(here, plural, query, self._rv, self.compacted)
                return 200, {"kind": kind + "List", "apiVersion": api_version, "metadata": meta, "items": items}
            if method == "POST":
                self.warnings = validate(kind, api_version, body, ns, directive)
                return 201, self._create(group, plural, ns, kind, body)
            raise ApiFailure(405, "MethodNotAllowed", f"{method} not allowed on a collection")
        if sub == "scale" and plural == "deployments":
            return self._scale(method, key, body)
        if sub is not None:
            raise ApiFailure(404, "NotFound", "404 page not found")
        obj = self.objects.get(key)
        if obj is None:
            raise ApiFailure(404, "NotFound", f'{plural}{"." + group if group else ""} "{name}" not found')
        if method == "GET":
            return 200, _at(obj, custom, api_version)
        if method == "PUT":
            self.warnings = validate(kind, api_version, body, ns, directive)
            return 200, self._update(key, custom, body)
        if method == "PATCH":
            return 200, self._patch(key, custom, ctype, body, directive)
        if method == "DELETE":
            del self.objects[key]
            return 200, status_body(200, "", "deleted") | {"status": "Success"}
        raise ApiFailure(405, "MethodNotAllowed", method)

    def _create(self, group: str, plural: str, ns: str, kind: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiFailure(400, "BadRequest", "the body is not an object")
        meta = body.setdefault("metadata", {})
        name = meta.get("name") or (
            meta.get("generateName", "") + uuid.uuid4().hex[:5] if meta.get("generateName") else None
        )
        if not name:
            raise ApiFailure(422, "Invalid", f"{kind} is invalid: metadata.name: Required value")
        if meta.get("resourceVersion"):
            raise ApiFailure(400, "BadRequest", "resourceVersion should not be set on objects to be created")
        key = (group, plural, ns, name)
        if key in self.objects:
            raise ApiFailure(409, "AlreadyExists", f'{plural}{"." + group if group else ""} "{name}" already exists')
        meta.update(
            name=name, namespace=ns, uid=str(uuid.uuid4()), creationTimestamp=now_text(), resourceVersion=self.next_rv()
        )
        managed(body, self.manager, "Update")
        self.objects[key] = copy.deepcopy(body)
        return body

    def _update(self, key: tuple[str, str, str, str], custom: bool, body: Any) -> dict[str, Any]:
        group, plural, ns, name = key
        if not isinstance(body, dict) or (body.get("metadata") or {}).get("name") != name:
            raise ApiFailure(400, "BadRequest", "the name of the object does not match the name on the URL")
        current = self.objects[key]
        rv = body["metadata"].get("resourceVersion")
        if not rv and custom:
            raise ApiFailure(
                422,
                "Invalid",
                f'{KINDS[(group, plural)][0]} "{name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: '
                "must be specified for an update",
            )
        if rv and rv != current["metadata"]["resourceVersion"]:
            raise ApiFailure(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {plural}{"." + group if group else ""} "{name}": {MODIFIED}',
            )
        new = copy.deepcopy(body)
        for k in ("uid", "creationTimestamp", "namespace"):
            new["metadata"][k] = current["metadata"].get(k)
        new["metadata"]["resourceVersion"] = self.next_rv()
        new["metadata"]["managedFields"] = current["metadata"].get("managedFields") or []
        managed(new, self.manager, "Update")
        self.objects[key] = new
        if plural == "deployments":
            self._sync_pods(ns, name)
        return copy.deepcopy(new)

    def _patch(
        self, key: tuple[str, str, str, str], custom: bool, ctype: str | None, body: Any, directive: str
    ) -> dict[str, Any]:
        current = self.objects[key]
        if ctype == "application/strategic-merge-patch+json" and custom:
            raise ApiFailure(
                415,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: "
                "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
            )
        if ctype not in PATCH_TYPES:
            raise ApiFailure(415, "UnsupportedMediaType", f"the fake API server does not implement {ctype} patches")
        if ctype == "application/json-patch+json":
            if not isinstance(body, list):
                raise ApiFailure(400, "BadRequest", "a JSON Patch is a list of operations")
            new = json_patch(current, body)
        else:  # merge patch; strategic merge on built-in kinds treated as a merge patch (enough for these tests)
            rv = ((body or {}).get("metadata") or {}).get("resourceVersion")
            if rv and rv != current["metadata"]["resourceVersion"]:
                raise ApiFailure(409, "Conflict", "Operation cannot be fulfilled: the object has been modified")
            new = merge_patch(current, body)
        self.warnings = validate(KINDS[key[:2]][0], str(new.get("apiVersion") or ""), new, key[2], directive)
        managed(new, self.manager, "Update")
        new["metadata"]["resourceVersion"] = self.next_rv()
        self.objects[key] = new
        if key[1] == "deployments":
            self._sync_pods(key[2], key[3])
        return copy.deepcopy(new)

    def _scale(self, method: str, key: tuple[str, str, str, str], body: Any) -> tuple[int, Any]:
        dep = self.objects.get(key)
        if dep is None:
            raise ApiFailure(404, "NotFound", f'deployments.apps "{key[3]}" not found')
        if method == "PUT":
            rv = ((body or {}).get("metadata") or {}).get("resourceVersion")
            if rv and rv != dep["metadata"]["resourceVersion"]:
                raise ApiFailure(
                    409,
                    "Conflict",
                    f'Operation cannot be fulfilled on deployments.apps "{key[3]}": {MODIFIED}',
                )
            dep["spec"]["replicas"] = int(((body or {}).get("spec") or {}).get("replicas") or 0)
            dep["metadata"]["resourceVersion"] = self.next_rv()
            self._sync_pods(key[2], key[3])
        elif method == "PATCH":  # merge or strategic merge (a built-in kind); JSON Patch on spec.replicas
            scale = {"spec": {"replicas": dep["spec"].get("replicas", 0)}}
            new = json_patch(scale, body) if isinstance(body, list) else merge_patch(scale, body)
            dep["spec"]["replicas"] = int((new.get("spec") or {}).get("replicas") or 0)
            dep["metadata"]["resourceVersion"] = self.next_rv()
            self._sync_pods(key[2], key[3])
        elif method != "GET":
            raise ApiFailure(405, "MethodNotAllowed", method)
        meta = dep["metadata"]
        sel = ",".join(
            f"{k}={v}"
            for k, v in sorted(((dep.get("spec") or {}).get("selector") or {}).get("matchLabels", {}).items())
        )
        return 200, {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                "name": meta["name"],
                "namespace": meta["namespace"],
                "uid": meta["uid"],
                "resourceVersion": meta["resourceVersion"],
            },
            "spec": {"replicas": dep["spec"].get("replicas", 0)},
            "status": {"replicas": dep["spec"].get("replicas", 0), "selector": sel},
        }

    def _pod_metrics(self, ns: str, selector: str) -> dict[str, Any]:
        items = []
        for (g, p, n, name), pod in sorted(self.objects.items()):
            if g == "" and p == "pods" and n == ns and match_labels(pod["metadata"].get("labels") or {}, selector):
                items.append(
                    {
                        "metadata": {"name": name, "namespace": ns},
                        "timestamp": now_text(),
                        "window": "30s",
                        "containers": [{"name": "app", "usage": {"cpu": "12500000n", "memory": "128Mi"}}],
                    }
                )
        return {"kind": "PodMetricsList", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": items}


DIRECTIVES = ("Ignore", "Warn", "Strict")
OPTIONS = {"POST": "CreateOptions", "PUT": "UpdateOptions", "PATCH": "PatchOptions"}


def _directive(method: str, query: dict[str, str]) -> str:
    """The write's ``fieldValidation``: Warn when absent (the API server's default); 422 when unknown."""
    value = query.get("fieldValidation", "")
    if method in OPTIONS and value not in ("", *DIRECTIVES):
        supported = ", ".join(f'"{d}"' for d in ("", *DIRECTIVES))
        raise ApiFailure(
            422,
            "Invalid",
            f'{OPTIONS[method]}.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "{value}": '
            f"supported values: {supported}",
        )
    return value or "Warn"


def _at(obj: dict[str, Any], custom: bool, api_version: str) -> dict[str, Any]:
    """A copy of a stored object as served at ``api_version`` (custom resources are stored once for all
    their versions; the fields canary-tui uses are the same in networking.istio.io v1 and v1beta1)."""
    out = copy.deepcopy(obj)
    if custom:
        out["apiVersion"] = api_version
    return out
