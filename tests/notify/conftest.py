"""Fixtures of the notification tests: webhook receivers, each stopped at the end of its test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hookserver import HookServer


@pytest.fixture
def hook() -> Iterator[Callable[..., HookServer]]:
    """Start receivers: ``hook(mode="ok", failures=0)``; every one is stopped at the end of the test."""
    started: list[HookServer] = []

    def start(mode: str = "ok", failures: int = 0) -> HookServer:
        server = HookServer(mode=mode, failures=failures)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
