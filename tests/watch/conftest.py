"""Fixtures of the watch tests: the Kubernetes tests' fake API server (and a mirror of it that records
only the watcher's requests), state files made by real drivers, a fixed wall clock."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kube"))  # fakeapi, kubefixtures
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tui"))  # tmuxhelp

from fakeapi import FakeKube
from kubefixtures import fake, kenv, write_plan  # noqa: F401 - pytest fixtures
from tmuxhelp import tmux  # noqa: F401 - a fixture: a command in a tmux session


@pytest.fixture
def mirror(fake: FakeKube) -> Iterator[FakeKube]:  # noqa: F811 - the imported fixture
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
