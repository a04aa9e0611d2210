"""The total deadline of a query (prometheus/deadline.py, transport.py) on real sockets: it cuts what is
still running at the deadline, whenever the connection was made, and never a connection that is back
in the pool (another query's by then)."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from urllib3.util.retry import Retry

from canary_tui.core.model import Metrics, Provider
from canary_tui.prometheus.answers import QueryError
from canary_tui.prometheus.client import Connection
from canary_tui.prometheus.deadline import Slot, call_with_deadline, current
from canary_tui.prometheus.transport import Transport

pytestmark = pytest.mark.prometheus

BODY = json.dumps(
    {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [0, "1"]}]}}
).encode()
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)


class Server:
    """HTTP/1.1 with keep-alive on 127.0.0.1. By query: ``held`` waits for ``release``, ``drip`` sends
    its answer one byte every 0.1 s, anything else is answered at once. ``seen``: (query, client port)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []
        self.held = threading.Event()  # a held query arrived
        self.release = threading.Event()
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                conn, peer = self.listener.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn, peer[1]), daemon=True).start()

    def _serve(self, conn: socket.socket, port: int) -> None:
        reader = conn.makefile("rb")
        with contextlib.suppress(OSError, ValueError):
            while reader.readline():
                length = 0
                while (header := reader.readline()) not in (b"\r\n", b""):
                    name, _, value = header.decode().partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                query = parse_qs(reader.read(length).decode()).get("query", [""])[0]
                self.seen.append((query, port))
                if query == "held":
                    self.held.set()
                    self.release.wait(10)
                if query == "drip":
                    for i in range(len(ANSWER)):
                        if self.stopped.wait(0.1):
                            return
                        conn.sendall(ANSWER[i : i + 1])
                else:
                    conn.sendall(ANSWER)

    def stop(self) -> None:
        self.stopped.set()
        self.release.set()
        self.listener.close()
        for c in self.conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.stop()


def transport(url: str) -> Transport:
    return Transport(url, verify=True, pool=4, retry=Retry(total=None, connect=1, read=False, other=0, redirect=0))


def ask(t: Transport, url: str, query: str) -> Any:
    return t.request("POST", f"{url}/api/v1/query", params={"query": query}, timeout=(1.0, 1.0))


def until_passed(slot: Slot) -> None:
    """Wait until the deadline watcher has dealt with ``slot`` (its deadline came)."""
    end = time.monotonic() + 10
    while not (slot.expired or getattr(slot, "passed", False)):
        assert time.monotonic() < end, "the deadline watcher never came"
        time.sleep(0.005)


def test_a_finished_query_whose_deadline_comes_while_it_is_parsed_is_not_cut_nor_is_the_next_one(
    server: Server,
) -> None:
    """The race: an answer is complete and its connection back in the pool, the library still parses it
    (under a busy GIL that takes a while), another query takes the connection, the first one's deadline
    comes. Neither query may be cut."""
    t = transport(server.url)
    later: dict[str, Any] = {}

    def second() -> None:
        later["result"] = call_with_deadline(5.0, lambda: ask(t, server.url, "held"))

    def first() -> int:
        status = ask(t, server.url, "fast").status_code  # the connection is back in the pool now
        other = threading.Thread(target=second)
        other.start()
        assert server.held.wait(5)  # the second query is on that connection, its answer not sent yet
        slot = current()
        assert slot is not None
        until_passed(slot)  # our deadline comes while we "parse"
        server.release.set()
        other.join(5)
        return int(status)

    status, error, slot = call_with_deadline(0.2, first)
    assert error is None and status == 200
    assert not slot.expired  # the answer was whole: no "deadline exceeded"
    answer, error, second_slot = later["result"]
    assert error is None and answer.status_code == 200 and not second_slot.expired  # not cut by the first's deadline
    ports = dict(server.seen)
    assert ports["fast"] == ports["held"]  # the second query did reuse the first one's connection


def test_many_queries_in_a_row_on_pooled_connections_are_never_said_to_overrun(server: Server) -> None:
    metrics = Metrics(provider=Provider.PROMETHEUS, address=server.url)
    connection = Connection(metrics, timeout=2.0, pool=8)
    failures: list[str] = []

    def work() -> None:
        for _ in range(40):
            try:
                connection.instant("fast")
            except QueryError as e:
                failures.append(e.reason)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    connection.close()
    assert failures == []
    assert len(server.seen) == 320
    assert len({port for _, port in server.seen}) <= 8  # the pool's connections, reused


def test_a_deadline_that_passes_before_the_connection_is_made_still_cuts_a_drip(server: Server) -> None:
    """The deadline came before the request had its connection (a slow name lookup, a starved thread):
    the socket made afterwards is shut at once, not left to a server that drips for a minute."""
    t = transport(server.url)
    outcome: list[Any] = []

    def send() -> Any:
        slot = current()
        assert slot is not None
        until_passed(slot)
        return ask(t, server.url, "drip")  # a new connection: the pool is empty

    thread = threading.Thread(target=lambda: outcome.append(call_with_deadline(0.2, send)), daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(5)  # the drip would take 20 s
    assert not thread.is_alive(), "the dripped answer was not cut"
    assert time.monotonic() - started < 3
    _, error, slot = outcome[0]
    assert slot.expired and error is not None


# ------------------------------------------------------------------ the same over TLS


class DripTLS:
    """HTTPS on 127.0.0.1 that drips its answer one byte every 0.1 s (the handshake goes at full speed)."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stopped = threading.Event()
        self.hung_up = threading.Event()  # the client closed the connection before the whole answer
        self.cert = cert
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            conn, _ = self.listener.accept()
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            with self.context.wrap_socket(raw, server_side=True) as conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    data = conn.recv(65536)
                    if not data:
                        raise OSError("hung up")
                    request += data
                for i in range(len(ANSWER)):
                    if self.stopped.wait(0.1):
                        return
                    conn.sendall(ANSWER[i : i + 1])
        except (OSError, ssl.SSLError):
            self.hung_up.set()

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()


@pytest.fixture
def drip_tls(tmp_path: Path) -> Iterator[DripTLS]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server = DripTLS(cert, key)
    yield server
    server.stop()


def test_over_tls_too_a_connection_made_after_the_deadline_is_shut_at_once(drip_tls: DripTLS) -> None:
    """As above with HTTPS: during a TLS handshake the deadline cannot shut the socket (the handshake is
    bounded by the connect timeout instead), so the connection is shut right after it, if the deadline
    passed meanwhile."""
    url = f"https://127.0.0.1:{drip_tls.port}"
    t = Transport(
        url, verify=str(drip_tls.cert), pool=2, retry=Retry(total=None, connect=1, read=False, other=0, redirect=0)
    )
    outcome: list[Any] = []

    def send() -> Any:
        slot = current()
        assert slot is not None
        until_passed(slot)
        return ask(t, url, "drip")

    thread = threading.Thread(target=lambda: outcome.append(call_with_deadline(0.2, send)), daemon=True)
    thread.start()
    thread.join(5)  # the drip would take 20 s
    assert not thread.is_alive(), "the dripped answer was not cut"
    _, error, slot = outcome[0]
    assert slot.expired and error is not None
    assert drip_tls.hung_up.wait(5)


# ------------------------------------------------------------------ how long the deadline is


@pytest.mark.parametrize(
    ("interval", "timeout", "seconds"),
    [
        ("1s", None, 0.4),  # 40% of the interval
        ("10s", "1m", 4.0),  # a written timeout above 40% of the interval: 40% of it
        ("1m", None, 10.0),  # the default
        ("1m", "20s", 20.0),  # a written timeout below both caps
        ("1h", None, 10.0),
        ("1h", "20m", 30.0),  # the hard cap, however long the interval
        ("2m", "1m", 30.0),
        ("1s", "10ms", 0.05),  # never below 50 ms
    ],
)
def test_the_deadline_is_the_timeout_at_most_40_percent_of_the_interval_and_30_seconds(
    interval: str, timeout: str | None, seconds: float
) -> None:
    from promhelp import plan_text

    from canary_tui.core.planfile import parse_plan
    from canary_tui.core.source import parse_text
    from canary_tui.prometheus.source import effective_timeout

    extra = f"    timeout: {timeout}\n" if timeout else ""
    phases = "[{name: canary, weight: 5, duration: 24h}, {name: full, weight: 100, duration: 0s}]"
    text = plan_text("http://127.0.0.1:9", interval=interval, metrics_extra=extra, phases=phases)
    assert effective_timeout(parse_plan(parse_text(text, "plan.yaml"))) == pytest.approx(seconds)
