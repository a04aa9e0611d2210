"""Helpers of the report tests: real audit logs from real runs, headless Chromium, reading its PNGs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
FIXTURE_FILES = sorted([*FIXTURES.glob("*.yaml"), *FIXTURES.glob("*.json")])
CANARY_RGB = (0xD9, 0x48, 0x0F)  # --can in the report's stylesheet
STABLE_RGB = (0x1C, 0x7E, 0xD6)  # --sta

# anything that would make the page load something: a src/href/action to a URL, CSS url(...) or
# @import, and the elements that fetch or run things
EXTERNAL = re.compile(
    r"""(?:\b(?:src|href|action|poster|data|srcset|xlink:href)\s*=\s*["']?\s*(?:https?:|//|file:|data:|ftp:))"""
    r"""|url\s*\(|@import|<script|<link|<img|<iframe|<object|<embed|<base|<meta\s+http-equiv""",
    re.IGNORECASE,
)


def run_cli(*args: object, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    full = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "canary_tui", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full,
        cwd=ROOT,
    )


def replay_log(fixture: Path, log: Path, state_home: Path, *extra: object) -> subprocess.CompletedProcess:
    """Replay a fixture headless, its audit log at ``log``; the exit code is the outcome's."""
    r = run_cli("replay", fixture, "--headless", "--log", log, *extra, env={"XDG_STATE_HOME": str(state_home)})
    assert r.returncode in (0, 1, 3), r.stderr
    return r


def read_log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def chromium() -> str:
    path = shutil.which("chromium")
    assert path, "headless Chromium is needed: run scripts/system-deps (Debian package chromium)"
    return path


def screenshot(html: Path, png: Path, profile: Path, height: int = 2400) -> subprocess.CompletedProcess:
    """Render ``html`` in headless Chromium, no network, into ``png`` (1280 wide)."""
    argv = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-extensions",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={profile}",
        f"--screenshot={png}",
        f"--window-size=1280,{height}",
        html.resolve().as_uri(),
    ]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def page_errors(stderr: str) -> list[str]:
    """What Chromium said about the page itself (not about the machine's missing D-Bus and such)."""
    pats = ("Failed to load resource", "net::ERR", "Uncaught", "CONSOLE", "Refused to", "Blocked")
    return [line for line in stderr.splitlines() if any(p in line for p in pats)]


def colours(png: Path) -> tuple[int, dict[tuple[int, int, int], int]]:
    """(how many distinct colours, pixel count per colour) of a screenshot."""
    from PIL import Image

    with Image.open(png) as im:
        rgb = im.convert("RGB")
        counts = rgb.getcolors(maxcolors=1 << 24) or []
    table = {c: n for n, c in counts}
    return len(table), table


def near(table: dict[tuple[int, int, int], int], rgb: tuple[int, int, int], tolerance: int = 40) -> int:
    """Pixels close to ``rgb`` (anti-aliased lines are blends of it)."""
    r0, g0, b0 = rgb
    return sum(n for (r, g, b), n in table.items() if abs(r - r0) + abs(g - g0) + abs(b - b0) <= tolerance)
