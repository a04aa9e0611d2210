"""A small fake Prometheus HTTP API, only for answers a real one will not give on demand.

The PromQL text chooses the answer: a gate whose query is ``html502`` gets an HTML 502 page,
``hang`` gets no answer, and so on (see ANSWERS). Any other query is a healthy single value
(``value:0.01`` sets it). Every request's headers are kept, so tests can check what was sent.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HTML_502 = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>"
    b"<hr><center>nginx</center></body></html>"
)


def _vector(*values: str) -> dict:  # type: ignore[type-arg]
    return {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [{"metric": {"pod": f"p{i}"}, "value": [time.time(), v]} for i, v in enumerate(values)],
        },
    }


class FakePrometheus:
    """``with FakePrometheus() as fake: fake.url``; ``fake.requests`` holds (path, query, headers)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, list[str]], dict[str, str]]] = []
        self.release = threading.Event()
        self.secret_echo = False
        self.require_auth: str | None = None  # the exact Authorization header wanted, else 401
        self.aliases: dict[str, str] = {}  # exact PromQL -> the answer to give (e.g. "empty v1" -> "empty")
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    query.update(parse_qs(self.rfile.read(length).decode()))
                fake.requests.append((parts.path, query, dict(self.headers.items())))
                if fake.require_auth is not None and self.headers.get("Authorization") != fake.require_auth:
                    echo = f" got {self.headers.get('Authorization')}" if fake.secret_echo else ""
                    self._send(401, "text/plain", f"Unauthorized{echo}".encode())
                    return
                promql = (query.get("query") or [""])[0].strip()
                promql = fake.aliases.get(promql, promql)
                fake.answer(self, promql)

            def _send(self, code: int, ctype: str, body: bytes, length: int | None = None) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body) if length is None else length))
                self.end_headers()
                with contextlib.suppress(OSError):  # the client gave up (a test's timeout): expected
                    self.wfile.write(body)

            def json(self, data: object, code: int = 200) -> None:
                self._send(code, "application/json", json.dumps(data).encode())

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # clients that hang up early are part of the tests

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def answer(self, h: BaseHTTPRequestHandler, promql: str) -> None:
        send = h._send  # type: ignore[attr-defined]
        as_json = h.json  # type: ignore[attr-defined]
        secret = ""
        if self.secret_echo:
            secret = f"you sent Authorization={h.headers.get('Authorization')} "
        if promql == "vector(1)":
            as_json(_vector("1"))
        elif promql.startswith("html502"):
            send(502, "text/html", secret.encode() + HTML_502)
        elif promql.startswith("html200"):
            send(200, "text/html", b"<html><body><h1>Sign in</h1><p>Login required</p></body></html>")
        elif promql.startswith("hang"):
            self.release.wait(60)
            as_json(_vector("0.001"))
        elif promql.startswith("truncated_json"):
            send(200, "application/json", b'{"status":"success","data":{"resultType":"vector","result":[{"metr')
        elif promql.startswith("cut_off"):
            body = json.dumps(_vector("0.001")).encode()
            send(200, "application/json", body[:20], length=len(body))
            h.close_connection = True
        elif promql.startswith("error200"):
            as_json(
                {
                    "status": "error",
                    "errorType": "execution",
                    "error": secret + "query processing would load too many samples",
                }
            )
        elif promql.startswith("error422"):
            as_json({"status": "error", "errorType": "execution", "error": "many-to-many matching not allowed"}, 422)
        elif promql.startswith("several"):
            as_json(_vector("0.01", "0.02", "0.03"))
        elif promql.startswith("empty"):
            as_json(_vector())
        elif promql.startswith("nan"):
            as_json(_vector("NaN"))
        elif promql.startswith("inf"):
            as_json(_vector("+Inf"))
        elif promql.startswith("matrix"):
            as_json(
                {
                    "status": "success",
                    "data": {"resultType": "matrix", "result": [{"metric": {}, "values": [[1, "1"]]}]},
                }
            )
        elif promql.startswith("warned"):
            data = _vector("0.001")
            data["warnings"] = ["remote read \x1b[31mfailed\x1b[0m for store-2: partial data"]
            as_json(data)
        elif promql.startswith("control"):
            as_json(
                {
                    "status": "error",
                    "errorType": "bad_data",
                    "error": "parse error near \x1b]0;pwned\x07\x1b[2J[bold red]x[/]",
                }
            )
        elif promql.startswith("scalar"):
            as_json({"status": "success", "data": {"resultType": "scalar", "result": [time.time(), "0.5"]}})
        elif promql.startswith("value:"):
            head = promql.split()[0]
            as_json(_vector(head.split(":", 1)[1]))
        else:
            as_json(_vector("0.001"))

    def __enter__(self) -> FakePrometheus:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
