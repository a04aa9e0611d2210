"""A small fake Kubernetes API server for the tests: HTTP on 127.0.0.1, the paths canary-tui uses.

It behaves like a real API server where canary-tui depends on it: resourceVersion on every object,
409 on a stale update, custom resources need a resourceVersion to be updated and refuse strategic
merge patch (415), the scale subresource of Deployments, pods that follow the Deployments' replicas
(a one-line "controller manager"), PodMetrics, access reviews and Status bodies. On demand it
answers 403/404/429 (with Retry-After)/500, hangs past the client's timeout, or calls a hook just
before or just after a request takes effect (to kill the client at a write boundary, or to edit an
object between someone's read and write). It records every request.
"""

from __future__ import annotations

import copy
import json
import re
import ssl
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from fakeparts import GROUPS, KINDS, Record, Rule, now_text
from fakepods import STATES
from fakeserve import FakeStore
from fakestrict import managed, validate


class FakeKube(FakeStore):
    """The fake server. ``start()`` it, point a kubeconfig at it (``kubeconfig(path)``), ``stop()`` it."""

    def __init__(self, *, user: str = "alice", token: str = "fake-token-s3cr3t-9f8e7d", metrics: bool = True) -> None:
        self.user = user
        self.token = token
        self.metrics = metrics
        self.groups = {g: list(v) for g, v in GROUPS.items()}  # served versions, preferred first
        self.manager = "unknown"  # the field manager of the request being served
        self.compacted = 0  # continue tokens of lists at or before this resourceVersion answer 410 Gone
        self.latency = 0.0
        self.warnings: list[str] = []
        self.objects: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        self.requests: list[Record] = []
        self.rules: list[Rule] = []
        self.forbidden: list[tuple[str, str, str, str | None]] = []  # (verb, group, resource[/sub], name)
        self.lock = threading.RLock()
        self._rv = 1000
        self._pods = 0
        self._server: ThreadingHTTPServer | None = None
        self._tls = False
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self, tls: tuple[Path, Path] | None = None) -> FakeKube:
        """Serve on a free port of 127.0.0.1: HTTP, or HTTPS with ``tls`` (certificate, key) as a real
        API server (and the in-cluster configuration, which always says https) wants."""
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._tls = tls is not None
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fakekube", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    def kubeconfig(self, path: Path, namespace: str = "shop") -> Path:
        path.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
                    "users": [{"name": "alice-kubeconfig", "user": {"token": self.token}}],
                    "contexts": [
                        {
                            "name": "fake",
                            "context": {"cluster": "fake", "user": "alice-kubeconfig", "namespace": namespace},
                        },
                        {
                            "name": "elsewhere",
                            "context": {"cluster": "fake", "user": "alice-kubeconfig", "namespace": "other"},
                        },
                    ],
                    "current-context": "fake",
                }
            ),
            encoding="utf-8",
        )
        return path

    # ------------------------------------------------------------------ what tests use

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Store an object as an admin would (kubectl apply): new resourceVersion, pods synced."""
        with self.lock:
            group, plural = _group_plural(obj)
            meta = obj.setdefault("metadata", {})
            meta.setdefault("namespace", "shop")
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", now_text())
            meta["resourceVersion"] = self.next_rv()
            validate(KINDS[(group, plural)][0], obj.get("apiVersion", "v1"), obj, meta["namespace"])
            self.objects[(group, plural, meta["namespace"], meta["name"])] = copy.deepcopy(obj)
            if plural == "deployments":
                self._sync_pods(meta["namespace"], meta["name"])
            return obj

    def compact(self) -> None:
        """etcd compacts its history: every continue token handed out so far has expired."""
        with self.lock:
            self.compacted = int(self.next_rv())  # lists before it are gone

    def get(self, group: str, plural: str, name: str, namespace: str = "shop") -> dict[str, Any] | None:
        with self.lock:
            obj = self.objects.get((group, plural, namespace, name))
            return copy.deepcopy(obj) if obj is not None else None

    def edit(
        self,
        group: str,
        plural: str,
        name: str,
        change: Callable[[dict[str, Any]], None],
        namespace: str = "shop",
        manager: str = "kubectl-edit",
    ) -> None:
        """Someone else edits an object (as ``kubectl edit`` would, or a GitOps tool naming itself
        ``manager``): new resourceVersion, and the manager recorded in managedFields."""
        with self.lock:
            obj = self.objects[(group, plural, namespace, name)]
            change(obj)
            obj["metadata"]["resourceVersion"] = self.next_rv()
            managed(obj, manager, "Update")
            if plural == "deployments":
                self._sync_pods(namespace, name)

    def pods_of(self, deployment: str, namespace: str = "shop") -> list[str]:
        """The names of a Deployment's pods now, sorted."""
        with self.lock:
            return sorted(
                k[3]
                for k, p in self.objects.items()
                if k[1] == "pods" and k[2] == namespace and p["metadata"]["labels"].get("fake/owner") == deployment
            )

    def pod_state(self, name: str, state: str, namespace: str = "shop", **kw: Any) -> dict[str, Any]:
        """The kubelet reports pod ``name`` in ``state`` (a key of ``fakepods.STATES``): new status."""
        with self.lock:
            pod = self.objects[("", "pods", namespace, name)]
            STATES[state](pod, **kw)
            pod["metadata"]["resourceVersion"] = self.next_rv()
            return copy.deepcopy(pod)

    def delete(self, group: str, plural: str, name: str, namespace: str = "shop") -> None:
        with self.lock:
            self.objects.pop((group, plural, namespace, name), None)

    def forbid(self, verb: str, group: str, resource: str, name: str | None = None) -> None:
        """RBAC says no to ``verb`` on ``resource`` (``deployments/scale`` for a subresource)."""
        with self.lock:
            self.forbidden.append((verb, group, resource, name))

    def allow_all(self) -> None:
        with self.lock:
            self.forbidden.clear()

    def add_rule(self, rule: Rule) -> Rule:
        with self.lock:
            self.rules.append(rule)
        return rule

    def fail(
        self,
        method: str,
        pattern: str,
        status: int,
        *,
        times: int | None = 1,
        retry_after: str | None = None,
        message: str = "",
    ) -> Rule:
        return self.add_rule(
            Rule(method, pattern, times=times, status=status, retry_after=retry_after, message=message)
        )

    def hang(self, method: str, pattern: str, seconds: float, *, times: int | None = 1, apply: bool = False) -> Rule:
        """Answer nothing for ``seconds`` (past the client's timeout), then drop (or apply, late)."""
        return self.add_rule(Rule(method, pattern, times=times, hang=seconds, apply=apply))

    def hook(
        self,
        method: str,
        pattern: str,
        *,
        match: Callable[[Any, Any], bool] | None = None,
        before: Callable[[], Any] | None = None,
        after: Callable[[], Any] | None = None,
        times: int | None = 1,
    ) -> Rule:
        """Call ``before`` just before the request takes effect, ``after`` just after (before the answer
        is sent). A callback returning "drop" closes the connection there: nothing applied (before) or
        nothing answered (after)."""
        return self.add_rule(Rule(method, pattern, match=match, before=before, after=after, times=times))

    def writes(self, pattern: str = "", ok: bool = True) -> list[Record]:
        """Requests that change something (landed ones only, unless ``ok`` is False)."""
        with self.lock:
            return [
                r
                for r in self.requests
                if r.method in ("POST", "PUT", "PATCH", "DELETE")
                and "/selfsubject" not in r.path  # reviews ask, they store nothing
                and re.search(pattern, r.path)
                and (not ok or 200 <= r.status < 300)
            ]


def _group_plural(obj: dict[str, Any]) -> tuple[str, str]:
    api = obj.get("apiVersion", "v1")
    group = api.split("/")[0] if "/" in api else ""
    for (g, p), (kind, _) in KINDS.items():
        if g == group and kind == obj.get("kind"):
            return g, p
    raise KeyError(f"fake: unknown kind {obj.get('kind')} in {api}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    server_fake: FakeKube

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        code, hdrs, out = self.server_fake.handle(self.command, self.path, headers, data)
        if code < 0:
            self.close_connection = True
            return
        payload = (
            json.dumps(out).encode()
            if not (isinstance(out, dict) and out.get("message") == "404 page not found")
            else b"404 page not found"
        )
        self.send_response(code)
        self.send_header("Content-Type", "application/json" if not payload.startswith(b"404 page") else "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any
