"""Fixtures of the live-run safety tests: the Kubernetes tests' fake API server and plans, the
Prometheus tests' process runner, a Prometheus stand-in that can drip or go down, and the
notification tests' webhook receiver."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / d) for d in ("kube", "prometheus", "notify", "tui")]

from dripserver import DripServer  # noqa: E402
from hookserver import HookServer  # noqa: E402
from kubefixtures import fake, kenv, write_plan  # noqa: E402, F401 - pytest fixtures
from promhelp import spawn  # noqa: E402, F401 - a fixture: canary-tui processes with timed lines


@pytest.fixture
def drip() -> Iterator[DripServer]:
    server = DripServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def hook() -> Iterator[HookServer]:
    """A webhook receiver that answers 200 (set ``mode`` to "hang" for one that never answers)."""
    server = HookServer()
    try:
        yield server
    finally:
        server.stop()
