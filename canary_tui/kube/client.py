"""The Kubernetes API client: the only module that imports ``kubernetes`` (lazily, inside functions).

It loads the kubeconfig (or the in-cluster service account), then sends plain JSON requests through
the ``kubernetes`` client's ApiClient (its auth, TLS, exec plugins and token refresh), so custom
resources are read and written whole, unknown fields kept. Errors become ``ApiError``; a read-only
client (for ``watch``) has no method that writes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..retry_after import retry_after_seconds
from ..sanitize import clean

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
TIMEOUT_ENV = "CANARY_TUI_KUBE_TIMEOUT"  # seconds per request (read timeout), for slow API servers
SA_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


class ConfigError(Exception):
    """No usable kubeconfig or in-cluster configuration (bad context, missing file...)."""


class ApiError(Exception):
    """A request that did not succeed. ``status`` is None for timeouts and refused connections."""

    def __init__(
        self,
        status: int | None,
        reason: str,
        message: str,
        *,
        method: str = "",
        path: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.message = message
        self.method = method
        self.path = path
        self.retry_after = retry_after
        head = f"{status} {reason}" if status is not None else reason
        super().__init__(f"{head}: {message}" if message else head)

    @property
    def transient(self) -> bool:
        """Worth trying again later: timeouts, refused connections, 429 and 5xx."""
        return self.status is None or self.status == 429 or self.status >= 500

    @property
    def not_found(self) -> bool:
        return self.status == 404


@dataclass(frozen=True)
class Identity:
    """Who the client is: the kubeconfig user (or service account), its context and namespace."""

    user: str
    context: str | None
    namespace: str | None
    server: str


class ReadClient:
    """GET only. ``watch`` is given one of these, so no bug in a screen can write."""

    def __init__(self, api: Any, identity: Identity, timeout: tuple[float, float]) -> None:
        self._api = api
        self.identity = identity
        self.timeout = timeout

    def get(self, path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
        return self._request("GET", path, query=query)

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: Any = None,
        content_type: str | None = None,
    ) -> dict[str, Any]:
        import urllib3
        from kubernetes.client.exceptions import ApiException

        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type or "application/json"
        try:
            params = self._api.param_serialize(
                method=method,
                resource_path=path,
                query_params=list((query or {}).items()),
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
            )
            response = self._api.call_api(*params, _request_timeout=self.timeout)
            data = response.read()
            status = response.status
            resp_headers = response.headers
        except ApiException as e:  # raised by the client for TLS problems (status 0)
            raise ApiError(None, "connection failed", clean(e.reason or "", 300), method=method, path=path) from None
        except urllib3.exceptions.NewConnectionError as e:  # a TimeoutError subclass: caught first
            raise ApiError(None, "connection refused", _transport_text(e), method=method, path=path) from None
        except urllib3.exceptions.TimeoutError:
            raise ApiError(
                None, "timeout", f"no answer within {self.timeout[1]:g}s", method=method, path=path
            ) from None
        except urllib3.exceptions.HTTPError as e:
            raise ApiError(None, "unreachable", _transport_text(e), method=method, path=path) from None
        except OSError as e:
            raise ApiError(None, "unreachable", clean(e.strerror or e, 300), method=method, path=path) from None
        if not 200 <= status <= 299:
            raise _error(status, getattr(response, "reason", "") or "", data, resp_headers, method, path)
        if not data:
            return {}
        try:
            out = json.loads(data)
        except ValueError:
            raise ApiError(
                status, "bad answer", "the API server's answer is not JSON", method=method, path=path
            ) from None
        return out if isinstance(out, dict) else {"items": out}


# Writes are decoded strictly: a field the server's schema does not know (an older CRD, a typo of ours)
# is a 400 naming it, where the server's default (Warn) would drop it with nothing but a Warning header
STRICT = {"fieldValidation": "Strict"}


class Client(ReadClient):
    """Reads and writes. Writes are plain: create (POST) and replace (PUT of the whole object with its
    resourceVersion), with ``fieldValidation=Strict``. There is no patch: a blind patch could land over
    someone else's edit."""

    def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", path, body=body, query=STRICT)

    def replace(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._request("PUT", path, body=body, query=STRICT)

    def review(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST a review (SelfSubjectAccessReview, SelfSubjectReview): asks, stores nothing."""
        return self._request("POST", path, body=body)


def kubeconfig_paths() -> list[Path]:
    """The kubeconfig files, as kubectl finds them: every path of $KUBECONFIG (``:``-separated, empty
    ones skipped), else ~/.kube/config."""
    env = os.environ.get("KUBECONFIG", "")
    paths = [Path(p).expanduser() for p in env.split(os.pathsep) if p] if env else []
    return paths or [Path.home() / ".kube" / "config"]


def connect(context: str | None = None, *, read_only: bool = False) -> Client | ReadClient:
    """A client for ``context`` (default: the current one) from the kubeconfig files (merged as kubectl
    merges them), or the in-cluster service account when there is none. Raises ConfigError."""
    from kubernetes import client as k8s
    from kubernetes import config as k8s_config

    cfg = k8s.Configuration()
    paths = kubeconfig_paths()
    found = [p for p in paths if p.is_file()]
    in_cluster = bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and not found
    where = ", ".join(str(p) for p in found) or str(paths[0])
    try:
        if in_cluster and context is None:
            # the service account's token (re-read as the kubelet rotates it), CA and namespace
            k8s_config.load_incluster_config(client_configuration=cfg)  # type: ignore[no-untyped-call]
            identity = Identity(_service_account(), None, _sa_namespace(), cfg.host)
        else:
            if not found:
                shown = os.pathsep.join(str(p) for p in paths)
                raise ConfigError(f"no kubeconfig at {shown} (set KUBECONFIG) and not running inside a cluster")
            merged, current = _merged(found)
            contexts = [getattr(c, "value", c) for c in merged.value.get("contexts") or []]
            contexts = [c for c in contexts if isinstance(c, dict)]
            name = context or current
            if not name:
                raise ConfigError(f"no current-context in {where}: pass --context (or `kubectl config use-context`)")
            chosen = next((c for c in contexts if c.get("name") == name), None)
            if chosen is None:
                names = ", ".join(sorted(str(c.get("name")) for c in contexts)) or "none"
                raise ConfigError(f"no context {name!r} in {where} (contexts: {names})")
            from kubernetes.config.kube_config import KubeConfigLoader

            # the library's loader: exec and OIDC auth plugins, client certificates, token refresh
            loader = KubeConfigLoader(config_dict=merged, config_base_path=None, active_context=name)  # type: ignore[no-untyped-call]
            loader.load_and_set(cfg)  # type: ignore[no-untyped-call]
            ctx = (chosen or {}).get("context") or {}
            identity = Identity(
                str(ctx.get("user") or "unknown"), (chosen or {}).get("name"), ctx.get("namespace") or None, cfg.host
            )
    except ConfigError:
        raise
    except Exception as e:
        what = "the in-cluster configuration" if in_cluster else where
        raise ConfigError(f"cannot use {what}: {clean(e, 300)}") from None
    cfg.retries = False  # no hidden retries: our callers decide (409, 429, 5xx) and say so
    api = k8s.ApiClient(cfg)
    api.user_agent = "canary-tui"
    read = _timeout_from_env()
    cls = ReadClient if read_only else Client
    return cls(api, identity, (min(CONNECT_TIMEOUT, read), read))


def _merged(files: list[Path]) -> tuple[Any, str]:
    """The kubeconfig files merged as kubectl merges them, and the current-context. For clusters, users
    and contexts the first file to name one wins (the library's merger does this and keeps each entry's
    file, for its relative paths); the current-context is the first file's that sets one (the library
    would take the last's)."""
    from kubernetes.config.kube_config import KubeConfigMerger

    merger = KubeConfigMerger(os.pathsep.join(str(p) for p in files))  # type: ignore[no-untyped-call]
    if merger.config is None:
        raise ConfigError(f"no configuration in {', '.join(map(str, files))}")
    current = next(
        (
            str(doc["current-context"])
            for p in merger.paths
            if isinstance(doc := merger.config_files.get(p), dict) and doc.get("current-context")
        ),
        "",
    )
    merger.config.value["current-context"] = current
    return merger.config, current


def whoami(client: Client) -> str | None:
    """The authenticated user name (SelfSubjectReview, Kubernetes 1.28+), None when not served."""
    try:
        out = client.review(
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
        )
    except ApiError:
        return None
    name = ((out.get("status") or {}).get("userInfo") or {}).get("username")
    return clean(name, 120) if name else None


def path(
    group: str, version: str, plural: str, namespace: str | None = None, name: str | None = None, sub: str | None = None
) -> str:
    """The REST path of a collection or an object (``group`` "" is the core API)."""
    out = f"/api/{version}" if not group else f"/apis/{group}/{version}"
    if namespace is not None:
        out += f"/namespaces/{quote(namespace, safe='')}"
    out += f"/{plural}"
    if name is not None:
        out += f"/{quote(name, safe='')}"
    if sub is not None:
        out += f"/{sub}"
    return out


def _error(status: int, reason: str, data: bytes | None, headers: Any, method: str, path: str) -> ApiError:
    message = ""
    text = (data or b"").decode("utf-8", "replace")
    try:
        body = json.loads(text)
        if isinstance(body, dict):
            message = str(body.get("message") or "")
            reason = reason or str(body.get("reason") or "")
    except ValueError:
        message = text
    retry_after = retry_after_seconds(headers.get("Retry-After") if headers is not None else None)
    return ApiError(status, clean(reason, 60), clean(message, 400), method=method, path=path, retry_after=retry_after)


def _transport_text(e: Exception) -> str:
    reason = getattr(e, "reason", None)
    return clean(reason if reason is not None else e, 300)


def _timeout_from_env() -> float:
    text = os.environ.get(TIMEOUT_ENV)
    if not text:
        return READ_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{TIMEOUT_ENV}={text!r}: want a number of seconds") from None
    if value <= 0:
        raise ConfigError(f"{TIMEOUT_ENV}={text!r}: must be greater than 0")
    return value


def _sa_namespace() -> str | None:
    try:
        return (SA_DIR / "namespace").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _service_account() -> str:
    ns = _sa_namespace() or "?"
    return f"system:serviceaccount:{ns}:(in-cluster)"
