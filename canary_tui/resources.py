"""Where the shipped data lives: ``styles/`` and ``fixtures/`` inside the wheel, or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"canary-tui's {name}/ directory is missing from the installation")


def styles_dir() -> Path:
    return _find("styles")


def fixtures_dir() -> Path:
    return _find("fixtures")


def demo_plan_path() -> Path:
    return fixtures_dir() / "plans" / "demo.yaml"
