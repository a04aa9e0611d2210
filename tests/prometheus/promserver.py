"""A real Prometheus (Debian's /usr/bin/prometheus) for the tests: 127.0.0.1, a free port, a temp dir."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
INSTALL = "install it with scripts/system-deps (apt-get install -y --no-install-recommends prometheus)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrometheusServer:
    """Starts and stops one Prometheus process; its data survives a restart (same dir, same port)."""

    def __init__(
        self,
        workdir: Path,
        targets: Sequence[str] = (),
        *,
        scrape_interval: str = "1s",
        data_dir: Path | None = None,
        web_config: Path | None = None,
        scheme: str = "http",
    ) -> None:
        if not Path(PROMETHEUS).exists():
            raise RuntimeError(f"{PROMETHEUS} is missing: {INSTALL}")
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir or workdir / "data"
        self.port = free_port()
        self.scheme = scheme
        self.web_config = web_config
        self.config = workdir / "prometheus.yml"
        jobs = ""
        if targets:
            listed = ", ".join(json.dumps(t) for t in targets)
            jobs = f"  - job_name: istio\n    static_configs:\n      - targets: [{listed}]\n"
        self.config.write_text(
            "global:\n"
            f"  scrape_interval: {scrape_interval}\n"
            f"  scrape_timeout: {scrape_interval}\n"
            f"  evaluation_interval: {scrape_interval}\n"
            "scrape_configs:\n" + (jobs or "  []\n")
        )
        self.log = workdir / "prometheus.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> PrometheusServer:
        args = [
            PROMETHEUS,
            f"--config.file={self.config}",
            f"--storage.tsdb.path={self.data_dir}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--storage.tsdb.retention.time=30d",
        ]
        if self.web_config is not None:
            args.append(f"--web.config.file={self.web_config}")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            if self._ready():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"prometheus did not become ready in {timeout}s: {self.log.read_text()[-2000:]}")

    def _ready(self) -> bool:
        if self.scheme != "http":
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def query(self, promql: str, at: float | None = None) -> list[dict]:  # type: ignore[type-arg]
        params = {"query": promql}
        if at is not None:
            params["time"] = str(at)
        with urllib.request.urlopen(f"{self.url}/api/v1/query?{urllib.parse.urlencode(params)}", timeout=5) as r:
            return list(json.load(r)["data"]["result"])

    def wait_for(self, promql: str, timeout: float = 20.0) -> list[dict]:  # type: ignore[type-arg]
        """Poll until ``promql`` returns at least one series (e.g. until the first scrapes are in)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.query(promql)
            if result:
                return result
            time.sleep(0.2)
        raise AssertionError(f"no result for {promql!r} after {timeout}s")


def backfill(openmetrics: str, data_dir: Path, workdir: Path) -> None:
    """``promtool tsdb create-blocks-from openmetrics``: history written straight into ``data_dir``."""
    if not Path(PROMTOOL).exists():
        raise RuntimeError(f"{PROMTOOL} is missing: {INSTALL}")
    source = workdir / "history.om"
    source.write_text(openmetrics)
    data_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(source), str(data_dir)],
        check=True,
        capture_output=True,
    )
