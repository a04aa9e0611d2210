"""What a live run costs the API server and how soon a decision reaches the traffic.

Runs ``canary-tui run PLAN --headless --json`` (a real process, the real kubernetes client) against the
fake API server of the tests (tests/kube/fakeapi.py) on 127.0.0.1, with each answer delayed by 0, 25
and 50 ms (as a network round trip of that length would), and prints: process start to the first weight written, the
requests made at start, per evaluation and per phase change, and the delay from a decision (the
phase event's time) to the weight landing in the VirtualService. Run: .venv/bin/python benchmarks/kube_run.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "kube"))

from fakeapi import FakeKube  # noqa: E402
from kubehelpers import plan_text, seed  # noqa: E402


def kind(path: str) -> str:
    tail = path.split("/namespaces/shop/")[-1] if "/namespaces/" in path else path
    return tail.split("/")[0] if "/namespaces/" in path else tail


def one(latency: float, evaluations: int = 12) -> dict[str, object]:
    fake = FakeKube().start()
    seed(fake)
    fake.latency = latency
    tmp = Path(tempfile.mkdtemp())
    config = fake.kubeconfig(tmp / "kubeconfig")
    plan = tmp / "plan.yaml"
    plan.write_text(plan_text("istio", durations=(f"{evaluations}s", "1s", "1s"), pod_gate=True))
    env = {**os.environ, "KUBECONFIG": str(config), "XDG_STATE_HOME": str(tmp / "state")}
    t0 = time.time()
    proc = subprocess.run(
        [sys.executable, "-m", "canary_tui", "run", str(plan), "--headless", "--json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    fake.stop()
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    vs_puts = [r for r in fake.requests if r.method == "PUT" and r.path.endswith("/virtualservices/checkout")]
    first_write = vs_puts[0].at
    start = [r for r in fake.requests if r.at < first_write]
    # steady state: between the 3rd and the last evaluation of phase 0 (no phase change in between)
    evals = [
        datetime.fromisoformat(e["at"].replace("Z", "+00:00")).timestamp()
        for e in events
        if e["type"] == "evaluation" and e["phase"] == "canary"
    ]
    window = [r for r in fake.requests if evals[2] <= r.at < evals[-1]]
    per_eval = Counter(f"{r.method} {kind(r.path)}" for r in window)
    n = len(evals) - 3
    phases = [
        (e["weight"], datetime.fromisoformat(e["at"].replace("Z", "+00:00")).timestamp())
        for e in events
        if e["type"] == "phase"
    ]
    landed = []
    for weight, at in phases[1:]:
        put = next(r for r in vs_puts if r.body["spec"]["http"][0]["route"][1]["weight"] == weight)
        landed.append((put.at - at) * 1000)
    return {
        "start_to_first_write_s": first_write - t0,
        "requests_at_start": len(start),
        "requests_per_evaluation": {k: round(v / n, 2) for k, v in sorted(per_eval.items())},
        "total_per_evaluation": round(sum(per_eval.values()) / n, 2),
        "decision_to_weight_ms": statistics.median(landed),
        "state_document_bytes": len(
            json.dumps(json.loads(fake.get("", "configmaps", "canary-tui-checkout")["data"]["state.json"]))
        ),
    }


def main() -> None:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import kubernetes.client, kubernetes.config"], check=True)
    took = time.perf_counter() - t
    print(f"import kubernetes.client + config in a fresh process: {took:.2f} s (with interpreter start)")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "canary_tui", "--help"], check=True, capture_output=True)
    print(f"canary-tui --help: {time.perf_counter() - t:.2f} s")
    for rtt_ms in (0, 25, 50):
        r = one(rtt_ms / 1000)
        print(f"\nround trip {rtt_ms} ms:")
        for k, v in r.items():
            print(f"  {k}: {v if not isinstance(v, float) else round(v, 3)}")


if __name__ == "__main__":
    main()
