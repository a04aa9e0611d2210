"""A webhook receiver for the notification tests: 127.0.0.1, a free port, answers as told (200, 500
for a while or always, or hangs), and keeps every request it got."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HookServer:
    """``mode``: "ok"; "fail" (500 for the first ``failures`` requests, then 200); "busy" (429 with
    ``Retry-After: 1`` for the first ``failures``, then 200); "down" (always 500); "hang" (never
    answers until stopped). ``attempt_times``: when each request came (monotonic)."""

    mode: str = "ok"
    failures: int = 0
    requests: list[Received] = field(default_factory=list)
    attempts: int = 0
    attempt_times: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._release = threading.Event()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with server._lock:
                    server.attempts += 1
                    server.attempt_times.append(time.monotonic())
                    attempt = server.attempts
                if server.mode == "hang":
                    server._release.wait()
                    return
                if server.mode == "busy" and attempt <= server.failures:
                    self.send_response(429, "Too Many Requests")
                    self.send_header("Retry-After", "1")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if server.mode == "down" or (server.mode == "fail" and attempt <= server.failures):
                    self.send_response(500, "Internal Server Error")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with server._lock:
                    server.requests.append(Received(time.monotonic(), self.path, dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="hookserver", daemon=True)
        self._thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def bodies(self) -> list[Any]:
        with self._lock:
            return [r.json() for r in self.requests]

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
