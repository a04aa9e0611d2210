"""Fixtures of the watch tests: the Kubernetes tests' fake API server (and a mirror of it that records
only the watcher's requests), state files made by real drivers, a fixed wall clock."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kube"))

from fakeapi import FakeKube
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
def mirror(fake: FakeKube) -> Iterator[FakeKube]:
    """A second API server over the same objects: what the watcher talks to. Its request log holds
    the watcher's requests only (the driver talks to ``fake``)."""
    server = FakeKube()
    server.objects = fake.objects
    server.lock = fake.lock
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kenv(fake: FakeKube, tmp_path: Path, state_home: Path) -> dict[str, str]:
    """Environment for canary-tui processes that drive: KUBECONFIG pointing at the fake."""
    config = fake.kubeconfig(tmp_path / "kubeconfig")
    return {
        **os.environ,
        "KUBECONFIG": str(config),
        "XDG_STATE_HOME": str(state_home),
        "NO_COLOR": "1",
        "CANARY_TUI_KUBE_TIMEOUT": "3",
    }


@pytest.fixture
def write_plan(tmp_path: Path):
    def write(router: str = "istio", **kw: Any) -> Path:
        path = tmp_path / f"plan-{router}-{len(list(tmp_path.glob('plan-*')))}.yaml"
        path.write_text(plan_text(router, **kw), encoding="utf-8")
        return path

    return write
