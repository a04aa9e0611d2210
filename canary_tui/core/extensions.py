"""Plan extensions beyond the contract: phase checks (``spec.checks``) and notifications (``spec.notify``)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType


class CheckWhen(StrEnum):
    ENTER = "enter"  # once per phase, from its first evaluation until it passes
    PROMOTE = "promote"  # at every evaluation once the phase's soak is served, until promoted


@dataclass(frozen=True, slots=True)
class HttpProbe:
    """An HTTP request whose answer must have ``expect_status`` (and contain ``body_contains``)."""

    url: str
    method: str = "GET"
    expect_status: int = 200
    body_contains: str | None = None
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class CommandProbe:
    """A command run without a shell; exit status 0 passes."""

    argv: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Check:
    """A functional check, like the seed's ``run_feature_tests``: it blocks promotion while it
    fails and, failing ``failureLimit`` times in a row, rolls back, like a gate."""

    name: str
    when: CheckWhen
    timeout: timedelta
    phases: tuple[str, ...] | None = None  # None: every phase
    http: HttpProbe | None = None
    command: CommandProbe | None = None

    def applies(self, phase: str) -> bool:
        return self.phases is None or phase in self.phases


class NotifyFormat(StrEnum):
    SLACK = "slack"
    JSON = "json"


NOTIFY_EVENTS = ("phase", "hold", "resume", "promote", "rollback", "result", "error")


@dataclass(frozen=True, slots=True)
class Notify:
    """A webhook. The URL, or its secret part, comes from the environment: ``url`` holds
    ``${VAR}`` references, or ``url_env`` names a variable holding the whole URL."""

    name: str
    format: NotifyFormat
    events: frozenset[str]
    url: str | None = None
    url_env: str | None = None

    def resolve_url(self, environ: Mapping[str, str] | None = None) -> str:
        """The URL with its variables filled in; KeyError names a missing variable."""
        env = os.environ if environ is None else environ
        if self.url_env is not None:
            return env[self.url_env]
        assert self.url is not None
        return ENV_REF.sub(lambda m: env[m.group(1)], self.url)


ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_env(text: str, environ: Mapping[str, str] | None = None) -> str:
    """``${VAR}`` references filled from the environment; KeyError names a missing variable."""
    env = os.environ if environ is None else environ
    return ENV_REF.sub(lambda m: env[m.group(1)], text)
