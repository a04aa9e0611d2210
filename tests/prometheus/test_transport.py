"""The HTTP way to Prometheus (prometheus/transport.py): queries go straight to Prometheus' connection
pool, and still follow redirects (at most 3; credentials never to another host) and HTTP_PROXY."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from canary_tui.core.model import BasicAuth, Metrics, Provider
from canary_tui.prometheus.answers import QueryError, one_value
from canary_tui.prometheus.client import Connection

pytestmark = pytest.mark.prometheus

ANSWER = {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [0, "1"]}]}}


class Server:
    """``routes``: path -> ("answer",) | ("redirect", status, location). ``seen``: (path, query, headers)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple] = {}  # type: ignore[type-arg]
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                server.seen.append((self.path, (form.get("query") or [""])[0], dict(self.headers.items())))
                route = server.routes.get(self.path.split("?")[0], ("answer",))
                if route[0] == "redirect":
                    self.send_response(route[1])
                    self.send_header("Location", route[2])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps(ANSWER).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_port}"

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def servers() -> Iterator[tuple[Server, Server]]:
    a, b = Server(), Server()
    yield a, b
    a.stop()
    b.stop()


def connection(address: str, **kw: object) -> Connection:
    return Connection(Metrics(provider=Provider.PROMETHEUS, address=address, **kw), timeout=2.0, pool=2)  # type: ignore[arg-type]


def test_queries_go_straight_to_prometheus_and_reuse_its_connections(servers):
    a, _ = servers
    c = connection(a.url)
    for _ in range(5):
        assert one_value(c.instant("up").data) == 1.0
    c.close()
    assert [(path, q) for path, q, _ in a.seen] == [("/api/v1/query", "up")] * 5


@pytest.mark.parametrize("status", [307, 308])
def test_a_redirect_on_the_same_server_is_followed_with_the_query(servers, status):
    a, _ = servers
    a.routes["/api/v1/query"] = ("redirect", status, "/prometheus/api/v1/query")
    c = connection(a.url)
    assert one_value(c.instant("up").data) == 1.0
    assert one_value(c.instant("up").data) == 1.0
    c.close()
    # the first query learns of the redirect and is sent again the way that follows it; later ones take it
    followed = [("/api/v1/query", "up"), ("/prometheus/api/v1/query", "up")]
    assert [(path, q) for path, q, _ in a.seen] == [("/api/v1/query", "up"), *followed, *followed]


def test_a_redirect_to_another_host_is_followed_without_the_credentials(servers, monkeypatch):
    a, b = servers
    monkeypatch.setenv("PROM_PASSWORD", "s3cret-pw")
    a.routes["/api/v1/query"] = ("redirect", 307, f"{b.url}/api/v1/query")
    c = connection(a.url, basic_auth=BasicAuth("alice", password_env="PROM_PASSWORD"))
    assert one_value(c.instant("up").data) == 1.0
    c.close()
    assert a.seen[0][2].get("Authorization", "").startswith("Basic ")
    assert b.seen[0][1] == "up" and "Authorization" not in b.seen[0][2]


def test_more_than_three_redirects_are_refused(servers):
    a, _ = servers
    a.routes["/api/v1/query"] = ("redirect", 307, "/again")
    a.routes["/again"] = ("redirect", 307, "/api/v1/query")
    c = connection(a.url)
    with pytest.raises(QueryError) as caught:
        c.instant("up")
    c.close()
    assert caught.value.reason == "more than 3 redirects"


def test_http_proxy_is_honoured(servers, monkeypatch):
    """The proxy (here a plain HTTP server) gets the request with the absolute URL, as proxies do."""
    a, proxy = servers
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("http_proxy", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert urllib.request.getproxies().get("http") == proxy.url
    c = connection(a.url)
    assert one_value(c.instant("up").data) == 1.0
    c.close()
    assert a.seen == []
    assert proxy.seen[0][0] == f"{a.url}/api/v1/query" and proxy.seen[0][1] == "up"
