"""The HTTP session under PrometheusConnect: urllib3, explicit timeouts and retries, short reasons.

prometheus-api-client talks to a ``requests.Session``-like object; this is one, on urllib3 directly:
requests costs about a millisecond more CPU per query, and an evaluation sends 16 queries at once
under one GIL. It keeps each thread's last answer so ``client`` can judge the raw response, and
turns urllib3's long failure texts (which hold URLs) into short reasons.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import threading
import urllib.request
from typing import Any
from urllib.parse import quote_plus, urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    ResponseError,
    SSLError,
)
from urllib3.util.retry import Retry

from .deadline import current, exceeded

MAX_REDIRECTS = 3


class _TrackedHTTPConnection(HTTPConnection):
    """A connection that shows itself to the request's deadline slot once it is connected."""

    def connect(self) -> None:
        super().connect()
        slot = current()
        if slot is not None:
            slot.connected(self)


class _TrackedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()  # TCP, then the TLS handshake (bounded by the connect timeout as a whole)
        slot = current()
        if slot is not None:
            slot.connected(self)


class _Tracked:
    """A connection pool that hands each request's connection to its deadline slot while the request
    uses it, so the deadline watcher can shut the socket down under a reader that a dripping server
    keeps busy, and never shuts one that is back in the pool (another query's by then)."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)  # type: ignore[misc]
        slot = current()
        if slot is not None:
            slot.attach(conn)
        return conn

    def _put_conn(self, conn: Any) -> None:
        slot = current()
        if slot is not None:
            slot.release(conn)  # before it is in the pool: from then on another query may take it
        super()._put_conn(conn)  # type: ignore[misc]


class _HTTPPool(_Tracked, HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _HTTPSPool(_Tracked, HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


class Response:
    """What the library reads of an answer (``status_code``, ``content``, ``json()``), and what we judge."""

    def __init__(self, status: int, reason: str, headers: Any, content: bytes) -> None:
        self.status_code = status
        self.reason = reason
        self.headers = headers
        self.content = content
        self._text: str | None = None
        self._json: Any = _UNREAD

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.content.decode("utf-8", errors="replace")
        return self._text

    def json(self) -> Any:
        """The body parsed (once: the library reads it, then ``client`` judges it); ValueError if not JSON."""
        if self._json is _UNREAD:
            self._json = json.loads(self.text)
        return self._json


_UNREAD = object()


class Transport:
    """The session PrometheusConnect sends through (it only calls ``request``, ``mount``, ``close``
    and reads ``verify``/``cert``/``proxies``). Keeps the last answer of each thread for judging."""

    def __init__(self, address: str, *, verify: bool | str, pool: int, retry: Retry) -> None:
        self.verify = verify
        self.cert = None
        self.proxies: dict[str, str] = {}
        self.retry = retry
        self.local = threading.local()
        options: dict[str, Any] = {"maxsize": max(pool, 1), "block": False}
        if verify is False:
            options.update(cert_reqs="CERT_NONE", assert_hostname=False)
        elif isinstance(verify, str):
            options.update(cert_reqs="CERT_REQUIRED", ca_certs=verify)
        proxy = _proxy_for(address)
        self.pool: urllib3.PoolManager = (
            urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)
        )
        self.pool.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
        parts = urlsplit(address)
        # without a proxy, requests to Prometheus itself go straight to its connection pool (the
        # PoolManager's URL parsing and pool lookup cost a tenth of a query's CPU); redirects, and
        # any other host, take the PoolManager's way, which follows them
        self._origin = None if proxy else f"{parts.scheme}://{parts.netloc}".lower()
        self._origin_pool: HTTPConnectionPool | None = None

    def mount(self, prefix: str, adapter: object) -> None:
        """The library mounts a requests adapter with its retry policy; ours is ``self.retry``."""

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: tuple[float, float] | float | None = None,
        **_: Any,
    ) -> Response:
        self.local.response = None
        sent = dict(headers or {})
        body = None
        if params and method == "POST":  # a form body: no URL length limit, and urllib3 never re-parses it
            body = _form(params)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif params:
            url += ("&" if "?" in url else "?") + _form(params)
        if auth is not None:
            sent["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        limits = urllib3.Timeout(connect=connect, read=read)
        r = self._direct(method, url, sent, body, limits)
        if r is not None and r.status in REDIRECTS:  # Prometheus is behind a redirect: the PoolManager follows
            self._origin, r = None, None  # it, from now on
        if r is None:
            r = self.pool.request(
                method, url, headers=sent, body=body, timeout=limits, retries=self.retry, redirect=True
            )
        response = Response(r.status, r.reason or "", r.headers, r.data)
        self.local.response = response
        return response

    def _direct(
        self, method: str, url: str, headers: dict[str, str], body: str | None, limits: urllib3.Timeout
    ) -> urllib3.BaseHTTPResponse | None:
        """The request on Prometheus' own connection pool, redirects not followed; None for another host."""
        if self._origin is None or not url.lower().startswith(self._origin + "/"):
            return None
        if self._origin_pool is None:
            self._origin_pool = self.pool.connection_from_url(url)
        return self._origin_pool.urlopen(
            method,
            url[len(self._origin) :],
            body=body,
            headers=headers,
            timeout=limits,
            retries=self.retry,
            redirect=False,
            assert_same_host=False,
            preload_content=True,
        )

    def get(self, url: str, **kwargs: Any) -> Response:
        return self.request("GET", url, **kwargs)

    def close(self) -> None:
        self.pool.clear()


REDIRECTS = frozenset({301, 302, 303, 307, 308})


@functools.lru_cache(maxsize=512)
def _quoted(value: str) -> str:
    """A form value, quoted once: the 16 queries of an evaluation are the same at every evaluation,
    and quoting a long PromQL costs more than the rest of building its request."""
    return quote_plus(value)


def _form(params: dict[str, Any]) -> str:
    """``urlencode(params)``, with each value quoted once (``_quoted``)."""
    return "&".join(f"{_quoted(str(k))}={_quoted(str(v))}" for k, v in params.items())


def _proxy_for(address: str) -> str | None:
    """The proxy from HTTP_PROXY/HTTPS_PROXY for this address, unless NO_PROXY excludes it."""
    parts = urlsplit(address)
    host = parts.hostname or ""
    if urllib.request.proxy_bypass(host):
        return None
    return urllib.request.getproxies().get(parts.scheme)


def pair(timeout: float) -> tuple[float, float]:
    """(connect, read) timeouts: connecting gets half, so a refused first try leaves time for the retry."""
    return (max(0.05, timeout / 2), timeout)


_CAUSES = (
    (re.compile(r"refused", re.I), "connection refused"),
    (
        re.compile(r"name or service not known|nodename nor servname|name resolution|getaddrinfo", re.I),
        "cannot resolve the host name",
    ),
    (re.compile(r"IncompleteRead|Connection broken|InvalidChunkLength", re.I), "answer cut off (truncated)"),
    (
        re.compile(r"RemoteDisconnected|closed connection without response|Connection aborted", re.I),
        "connection closed by the server without an answer",
    ),
    (re.compile(r"reset by peer", re.I), "connection reset"),
    (re.compile(r"No route to host|Network is unreachable", re.I), "network unreachable"),
)


def transport_reason(e: BaseException, timeout: float) -> str:
    """A short reason for a request that got no HTTP answer (urllib3's texts are long and hold URLs)."""
    if isinstance(e, MaxRetryError) and e.reason is not None:
        e = e.reason
    if isinstance(e, NameResolutionError):
        return "cannot resolve the host name"
    if isinstance(e, NewConnectionError):  # a subclass of ConnectTimeoutError in urllib3 2, but mostly a refusal
        return _first_cause(e) if "timed out" not in str(e) else f"connect timed out after {pair(timeout)[0]:g}s"
    if isinstance(e, ConnectTimeoutError):
        return f"connect timed out after {pair(timeout)[0]:g}s"
    if isinstance(e, (ReadTimeoutError, TimeoutError)):
        return exceeded(timeout)
    if isinstance(e, SSLError):
        text = str(e)
        m = re.search(r"(certificate verify failed[^()'\"]*)", text) or re.search(r"\[SSL[^\]]*\] ([^()'\"]+)", text)
        return "TLS error: " + (m.group(1).strip() if m else "handshake failed")
    if isinstance(e, ProxyError):
        return "the proxy refused or failed: " + _first_cause(e)
    if isinstance(e, ResponseError) and "redirect" in str(e):
        return f"more than {MAX_REDIRECTS} redirects"
    reason = _first_cause(e)
    if reason.startswith("request failed") and isinstance(e, ProtocolError):
        return "connection broken"
    return reason


def _first_cause(e: BaseException) -> str:
    text = str(e)
    for pattern, reason in _CAUSES:
        if pattern.search(text):
            return reason
    return f"request failed: {type(e).__name__}"
