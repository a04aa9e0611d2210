"""The result of one pre-flight check, shared by ``check``'s file, Prometheus and cluster checks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    """``ok`` False is a problem that makes ``check`` exit 2; ``subject`` names what was checked."""

    subject: str
    ok: bool
    detail: str
