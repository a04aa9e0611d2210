"""A Prometheus stand-in on real sockets that can go slow or away: answers every query with a recorded
healthy value, drips the answers of chosen queries one byte every 0.3 s (as a sick server or proxy
does), or goes down (closes its port and every open connection)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from urllib.parse import parse_qs

DRIP_EVERY = 0.3  # seconds between two bytes of a dripped answer


def answer(promql: str) -> bytes:
    """The recorded answer: ``vector(1)`` is 1, any other query 0.001 (a healthy error rate)."""
    value = "1" if promql == "vector(1)" else "0.001"
    sample = {"metric": {}, "value": [time.time(), value]}
    body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": [sample]}}).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


class DripServer:
    """``drip``: queries containing one of these strings are dripped (empty: none). ``cut``: how many
    dripped answers the client hung up on before their last byte."""

    def __init__(self) -> None:
        self.drip: tuple[str, ...] = ()
        self.cut = 0
        self.queries: list[str] = []
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._stopped = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, name="drip-accept", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), name="drip-conn", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            while not self._stopped.is_set():
                line = reader.readline()
                if not line:
                    return
                length = 0
                while (header := reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = header.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                form = parse_qs(reader.read(length).decode()) if length else {}
                promql = (form.get("query") or [""])[0]
                with self._lock:
                    self.queries.append(promql)
                data = answer(promql)
                if any(marker in promql for marker in self.drip):
                    for i in range(len(data)):
                        if self._stopped.wait(DRIP_EVERY):
                            return
                        try:
                            conn.sendall(data[i : i + 1])
                        except OSError:
                            gone = True
                        else:
                            gone = _closed_by_peer(conn)
                        if gone:
                            with self._lock:
                                self.cut += 1
                            return
                else:
                    conn.sendall(data)
        except OSError:
            return
        finally:
            reader.close()
            with contextlib.suppress(OSError):
                conn.close()

    def go_down(self) -> None:
        """Prometheus is gone: the port refuses connections, open ones are closed."""
        with contextlib.suppress(OSError):  # wakes the accepting thread (a close alone would not)
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()

    def stop(self) -> None:
        self._stopped.set()
        self.go_down()


def _closed_by_peer(conn: socket.socket) -> bool:
    """True once the client shut its side (a dripped answer it gave up on)."""
    try:
        conn.setblocking(False)
        try:
            return conn.recv(1, socket.MSG_PEEK) == b""
        finally:
            conn.setblocking(True)
    except BlockingIOError:
        return False
    except OSError:
        return True
