"""HTTP to Prometheus: the only module that imports prometheus_api_client (and its HTTP stack).

The library's ``PrometheusConnect`` builds and sends the queries through a session we give it: a
small urllib3 transport (``transport``) with explicit timeouts and at most one immediate retry (never the
library's default of three tries with back-off, which blocks for seconds on a dead server), the
plan's authentication, TLS and proxy settings. urllib3 rather than a ``requests.Session``: requests
spends about a millisecond more CPU per query, and an evaluation sends 16 of them at once, under
one GIL. The transport keeps each raw answer, because the library returns only ``data.result`` and
fails in unhelpful ways on bad answers; ``answers`` judges them strictly (status, warnings, result
type). Secrets are read here, sent only in headers, and scrubbed from every text leaving the module.
"""

from __future__ import annotations

import base64
import os
import threading
import time
import warnings as pywarnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from prometheus_api_client import PrometheusConnect
from urllib3.exceptions import HTTPError, InsecureRequestWarning
from urllib3.util.retry import Retry

from ..core.model import Metrics
from ..errors import InputError, Problem
from .answers import QueryError, excerpt
from .deadline import call_with_deadline, exceeded
from .transport import MAX_REDIRECTS, Response, Transport, pair, transport_reason

RETRIES = 1  # one immediate retry, only for refused/reset connections and 502/503/504
RETRY_STATUS = (502, 503, 504)


@dataclass(frozen=True)
class Answer:
    """A successful Prometheus answer: its ``data``, its warnings (sanitized) and how long it took."""

    data: Any
    warnings: tuple[str, ...]
    seconds: float


class Secret:
    """A credential: never shown by ``repr``/``str``, so it cannot slip into a log by accident."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__


def public_address(address: str) -> str:
    """The address without any ``user:password@`` part, for messages."""
    parts = urlsplit(address)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", "")).rstrip("/")


class Connection:
    """One Prometheus, as the plan's ``spec.metrics`` describes it. Safe to use from many threads."""

    def __init__(self, metrics: Metrics, *, timeout: float, pool: int = 16, source: str | None = None) -> None:
        assert metrics.address is not None
        self.address = metrics.address.rstrip("/")
        self.shown = public_address(self.address)
        self.timeout = timeout
        self._metrics = metrics
        self._source = source
        self._secrets: list[str] = []
        self._token_file: tuple[Path, float] | None = None
        self._token_lock = threading.Lock()
        headers, auth = self._credentials()
        retry = Retry(
            total=None,
            connect=RETRIES,
            read=False,  # a timed-out or cut-off answer is not retried: re-raised as it is
            status=RETRIES,
            other=0,
            redirect=MAX_REDIRECTS,
            backoff_factor=0,
            status_forcelist=RETRY_STATUS,
            allowed_methods=frozenset({"GET", "POST"}),  # queries are read-only: safe to send twice
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        self._transport = Transport(self.address, verify=self._verify(), pool=pool, retry=retry)
        self._client = PrometheusConnect(
            url=self.address,
            headers=headers,
            disable_ssl=metrics.insecure_skip_verify,
            retry=retry,
            auth=auth,
            session=self._transport,
            timeout=timeout,
            method="POST",  # the query API takes a form body, as Grafana sends it
        )
        self._headers = headers

    # ------------------------------------------------------------------ credentials

    def _problem(self, key: str, message: str) -> InputError:
        return InputError([Problem(self._source, f"spec.metrics.{key}", None, message)])

    def _credentials(self) -> tuple[dict[str, str], tuple[str, str] | None]:
        m = self._metrics
        headers = dict(m.headers)
        self._secrets += [v for v in headers.values() if len(v) >= 4]
        auth = None
        has_token = m.bearer_token_env is not None or m.bearer_token_file is not None
        if has_token and m.basic_auth is not None:
            raise self._problem("basicAuth", "give either a bearer token or basicAuth, not both")
        if (has_token or m.basic_auth is not None) and any(k.lower() == "authorization" for k in headers):
            raise self._problem(
                "headers", "Authorization is set by bearerToken*/basicAuth; do not repeat it in headers"
            )
        if m.bearer_token_env is not None or m.bearer_token_file is not None:
            token = self._read_secret("bearerTokenEnv", m.bearer_token_env, "bearerTokenFile", m.bearer_token_file)
            headers["Authorization"] = f"Bearer {token.value}"
            if m.bearer_token_file is not None and m.bearer_token_env is None:
                path = Path(m.bearer_token_file).expanduser()
                self._token_file = (path, path.stat().st_mtime)
        if m.basic_auth is not None:
            b = m.basic_auth
            password = self._read_secret(
                "basicAuth.passwordEnv", b.password_env, "basicAuth.passwordFile", b.password_file
            )
            auth = (b.username, password.value)
            self._secrets.append(base64.b64encode(f"{b.username}:{password.value}".encode()).decode())
        return headers, auth

    def _read_secret(self, env_key: str, env: str | None, file_key: str, file: str | None) -> Secret:
        """The credential from the environment variable (first) or the file; InputError naming the key."""
        if env is not None:
            value = os.environ.get(env, "").strip()
            if not value:
                raise self._problem(env_key, f"environment variable {env} is not set or empty")
        else:
            assert file is not None
            path = Path(file).expanduser()
            try:
                value = path.read_text(encoding="utf-8").strip()
            except OSError as e:
                raise self._problem(file_key, f"cannot read {file}: {e.strerror or type(e).__name__}") from None
            except UnicodeDecodeError:
                raise self._problem(file_key, f"{file} is not UTF-8 text") from None
            if not value:
                raise self._problem(file_key, f"{file} is empty")
        self._secrets.append(value)
        return Secret(value)

    def _refresh_token(self) -> None:
        """Re-read a bearer token file that changed (Kubernetes rotates service-account tokens)."""
        if self._token_file is None:
            return
        path, mtime = self._token_file
        try:
            now = path.stat().st_mtime
            if now == mtime:
                return
            value = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return  # keep the token we have; a bad one shows up as HTTP 401
        with self._token_lock:
            if value:
                self._secrets.append(value)
                self._headers["Authorization"] = f"Bearer {value}"
            self._token_file = (path, now)

    def _verify(self) -> bool | str:
        m = self._metrics
        if m.insecure_skip_verify:
            pywarnings.filterwarnings("ignore", category=InsecureRequestWarning)
            return False
        if m.ca_file is not None:
            path = Path(m.ca_file).expanduser()
            if not path.is_file():
                raise self._problem("caFile", f"no such file {m.ca_file!r}")
            return str(path)
        return True

    def redact(self, text: str) -> str:
        """``text`` with every credential we know replaced by ``***``."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret:
                text = text.replace(secret, "***")
        return text

    # ------------------------------------------------------------------ queries

    def instant(self, promql: str, at: datetime | None = None, timeout: float | None = None) -> Answer:
        """An instant query at ``at`` (default: now)."""
        t = self.timeout if timeout is None else timeout
        params = {"timeout": _seconds(t)}
        if at is not None:
            params["time"] = f"{at.timestamp():.3f}"
        return self._call(lambda: self._client.custom_query(promql, params=params, timeout=pair(t)), t)

    def range(self, promql: str, start: datetime, end: datetime, step: float, timeout: float | None = None) -> Answer:
        """A range query: samples at ``start + i*step`` up to ``end``."""
        t = self.timeout if timeout is None else timeout
        params = {"start": f"{start.timestamp():.3f}", "end": f"{end.timestamp():.3f}", "timeout": _seconds(t)}
        step_text = f"{step:.3f}".rstrip("0").rstrip(".")
        return self._call(
            lambda: self._client.custom_query_range(promql, start, end, step_text, params=params, timeout=pair(t)), t
        )

    def close(self) -> None:
        self._client.close()

    def _call(self, send: Any, timeout: float) -> Answer:
        self._refresh_token()
        local = self._transport.local
        local.response = None
        started = time.monotonic()
        _, error, slot = call_with_deadline(timeout, send)
        seconds = time.monotonic() - started
        response = local.response
        local.response = None
        if slot.expired:  # the watcher shut the socket at the deadline: whatever came of it is cut
            raise QueryError(exceeded(timeout))
        if isinstance(error, HTTPError):
            raise QueryError(self.redact(transport_reason(error, timeout)))
        # any other error is the library choking on a bad answer (KeyError, its own exception): judged below
        if response is None:
            raise QueryError("no answer from Prometheus")
        try:
            data, warnings = self._judge(response)
        except QueryError as e:
            raise QueryError(self.redact(str(e))) from None
        return Answer(data, tuple(self.redact(w) for w in warnings), seconds)

    def _judge(self, response: Response) -> tuple[Any, tuple[str, ...]]:
        """The answer's data and warnings, or QueryError saying what was wrong with it."""
        code = response.status_code
        ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        text = response.text
        body: Any = None
        parse_error: str | None = None
        try:
            body = response.json()
        except ValueError as e:
            parse_error = str(e)
        if isinstance(body, dict) and body.get("status") == "error":
            kind = body.get("errorType") or "error"
            prefix = f"HTTP {code} " if code != 200 else ""
            raise QueryError(f"{prefix}Prometheus {kind}: {body.get('error', '')}")
        if code >= 400:
            what = f"HTTP {code} {response.reason or ''}".strip()
            hint = " (check spec.metrics credentials)" if code in (401, 403) else ""
            detail = excerpt(self.redact(text))
            raise QueryError(f"{what}{hint}" + (f": {detail}" if detail else ""))
        if parse_error is not None:
            if "html" in ctype or text.lstrip().startswith("<"):
                raise QueryError(f"not a Prometheus answer (HTML, HTTP {code}): {excerpt(self.redact(text))}")
            if not text.strip():
                raise QueryError(f"empty answer (HTTP {code})")
            raise QueryError(f"malformed JSON (truncated?): {parse_error}")
        if not isinstance(body, dict) or body.get("status") != "success":
            raise QueryError("not a Prometheus answer: no status")
        if "data" not in body:
            raise QueryError("malformed answer: no data")
        raw = body.get("warnings") or []
        warnings = tuple(excerpt(str(w), 200) for w in raw) if isinstance(raw, list) else (excerpt(str(raw), 200),)
        return body["data"], warnings


def _seconds(timeout: float) -> str:
    return f"{max(timeout, 0.001):.3f}"  # Prometheus reads a plain number as seconds


def connect(metrics: Metrics, *, timeout: float, pool: int = 16, source: str | None = None) -> Connection:
    """A Connection, or InputError naming the ``spec.metrics`` key that is wrong (missing secret, CA file)."""
    if metrics.address is None:
        raise InputError([Problem(source, "spec.metrics.address", None, "a Prometheus address is needed")])
    return Connection(metrics, timeout=timeout, pool=pool, source=source)
