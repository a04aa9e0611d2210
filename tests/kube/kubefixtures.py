"""Fixtures of the Kubernetes tests (and the watch tests, which import them into their conftest): the
fake API server with a release seeded in it, a kubeconfig pointing at it, and plans written for it
(helpers in ``kubehelpers``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakeapi import FakeKube

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "prometheus"))  # fakeprom: a Prometheus stand-in
from fakeprom import FakePrometheus
from kubehelpers import plan_text, seed


@pytest.fixture
def fake() -> Iterator[FakeKube]:
    server = FakeKube().start()
    seed(server)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kenv(fake: FakeKube, tmp_path: Path, state_home: Path) -> dict[str, str]:
    """Environment for canary-tui processes: KUBECONFIG pointing at the fake, a private state dir."""
    config = fake.kubeconfig(tmp_path / "kubeconfig")
    return {
        **os.environ,
        "KUBECONFIG": str(config),
        "XDG_STATE_HOME": str(state_home),
        "NO_COLOR": "1",
        "CANARY_TUI_KUBE_TIMEOUT": "3",
    }


@pytest.fixture
def write_plan(tmp_path: Path) -> Iterator[Any]:
    """Plans whose metrics are a Prometheus stand-in of this test (a live run refuses simulated metrics):
    every query answers 0.001, a healthy canary and stable."""
    with FakePrometheus() as prom:

        def write(router: str = "istio", **kw: Any) -> Path:
            path = tmp_path / f"plan-{router}-{len(list(tmp_path.glob('plan-*')))}.yaml"
            kw.setdefault("metrics", f"{{provider: prometheus, address: '{prom.url}'}}")
            path.write_text(plan_text(router, **kw), encoding="utf-8")
            return path

        yield write
