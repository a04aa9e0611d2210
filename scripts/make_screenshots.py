"""Make the README's and docs' screenshots and example output from the real program (``scripts/screenshots``).

Screenshots: the control room (demo and watch) run in Textual's test harness on a paused virtual
clock stepped to a fixed evaluation, saved by the app itself (``App.save_screenshot``, SVG) and
converted to PNG with ``rsvg-convert``. Example output: ``canary-tui demo --headless --scenario
error-spike`` run as a subprocess, its stdout written into README.md's example block.
``tests/tui/test_docs.py`` fails when that block no longer matches what the program prints.

    scripts/screenshots [--only NAME ...] [--no-png] [--readme-only]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
README = ROOT / "README.md"
EXAMPLE = ["demo", "--headless", "--scenario", "error-spike"]
EXAMPLE_PROMPT = "$ canary-tui " + " ".join(EXAMPLE)
START = "2026-01-01T00:00:00Z"  # the demo's virtual clock (the headless default): the same pictures every time
MID, DONE = 16, 17  # error-spike, evaluations every 5 s: 75 s in, error_rate has failed once; rolled back

sys.path.insert(0, str(ROOT / "tests" / "watch"))  # the watch tests' pinned state files (watch_helpers)


def example_output() -> str:
    """What ``canary-tui demo --headless --scenario error-spike`` prints (exit 1: RolledBack)."""
    with tempfile.TemporaryDirectory() as state:
        env = {**os.environ, "XDG_STATE_HOME": state}
        out = subprocess.run(
            [sys.executable, "-m", "canary_tui", *EXAMPLE],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
    if out.returncode != 1 or out.stderr:
        raise SystemExit(f"the example run ended {out.returncode}: {out.stderr}")
    return out.stdout


def readme_block(text: str) -> tuple[int, int]:
    """Where the example output sits in README.md's text: (start, end) of the lines after the prompt."""
    prompt = text.index(EXAMPLE_PROMPT + "\n")
    start = prompt + len(EXAMPLE_PROMPT) + 1
    end = text.index("```", start)
    return start, end


def write_readme_example() -> bool:
    text = README.read_text()
    start, end = readme_block(text)
    new = text[:start] + example_output() + text[end:]
    if new != text:
        README.write_text(new)
    return new != text


# ---------------------------------------------------------------------------- the screenshots


def demo_app(scenario: str = "error-spike") -> Any:
    from canary_tui.commands import demo as demo_command
    from canary_tui.tui.app import make_app

    args = argparse.Namespace(scenario=scenario, seed=0, start=START, plan=None)
    plan, start = demo_command.load(args)
    controller, _ = demo_command.build(args, plan, start, 1.0, [])
    controller.clock.set_paused(True)
    return make_app(controller, mode="demo", actor="alice@laptop", tick=None)


async def until(pilot: Any, condition: Callable[[], bool], timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise SystemExit(f"timed out waiting for {condition}")
        await pilot.pause(0.02)


async def step_to(app: Any, pilot: Any, evaluations: int) -> None:
    """Step the paused clock one evaluation at a time (what tests/tui's ``Room.step_to`` does)."""

    def done() -> int:
        state = app.model.state
        return state.evaluations if state is not None else 0

    await until(pilot, lambda: done() >= 1)
    while done() < evaluations:
        before = done()
        app.controller.clock.step()
        app.controller.poke()
        await until(pilot, lambda before=before: done() > before)
    await pilot.pause(0.2)


Scene = Callable[[Any, Any], Awaitable[None]]


async def shoot(app: Any, size: tuple[int, int], name: str, scene: Scene) -> Path:
    async with app.run_test(size=size, notifications=True) as pilot:
        await scene(app, pilot)
        await pilot.pause(0.2)
        path = Path(app.save_screenshot(f"{name}.svg", str(IMAGES)))
        app.controller.stop("screenshot taken")
    return path


def mid(theme: str | None = None, charts: bool = False, evaluations: int = MID) -> Scene:
    async def scene(app: Any, pilot: Any) -> None:
        await step_to(app, pilot, evaluations)
        if theme:
            app.theme = theme
        if charts:
            app.clear_notifications()
            await pilot.press("g")
        await pilot.pause(0.2)

    return scene


def watch_app(here: Path, scenario: str, evaluations: int | None, wall_after: float, theme: str | None = None) -> Any:
    from watch_helpers import WRITTEN, Wall, demo_state, follower, pin
    from watch_helpers import watch_app as make_watch_app

    state = pin(demo_state(here / "state.json", scenario, evaluations=evaluations))
    return make_watch_app(follower(state, Wall(WRITTEN + wall_after)), theme=theme)


async def watch_scene(app: Any, pilot: Any) -> None:
    await until(pilot, lambda: app.model.state is not None)
    await pilot.pause(0.3)


def shots() -> dict[str, Callable[[], Awaitable[Path]]]:
    """Each image: how it is made."""

    def in_dir(make: Callable[[Path], Awaitable[Path]]) -> Callable[[], Awaitable[Path]]:
        async def run() -> Path:
            with tempfile.TemporaryDirectory() as d:
                cwd = os.getcwd()
                os.chdir(d)  # the watch screen names the state file as given: state.json
                try:
                    return await make(Path("."))
                finally:
                    os.chdir(cwd)

        return run

    return {
        "control-room": lambda: shoot(demo_app(), (120, 40), "control-room", mid()),
        "control-room-80x24": lambda: shoot(demo_app(), (80, 24), "control-room-80x24", mid()),
        "control-room-200x60": lambda: shoot(demo_app(), (200, 60), "control-room-200x60", mid(evaluations=DONE)),
        "control-room-light": lambda: shoot(demo_app(), (120, 40), "control-room-light", mid("textual-light")),
        "charts": lambda: shoot(demo_app(), (120, 40), "charts", mid(charts=True, evaluations=DONE)),
        "watch-wall": in_dir(
            lambda d: shoot(watch_app(d, "smoke-failure", 23, 2), (200, 60), "watch-wall", watch_scene)
        ),
        "watch-stale": in_dir(lambda d: shoot(watch_app(d, "healthy", 30, 47), (120, 40), "watch-stale", watch_scene)),
    }


def to_png(svg: Path) -> Path:
    """``rsvg-convert``, after telling it to keep the spaces (Textual's SVG relies on them)."""
    text = svg.read_text()
    if 'xml:space="preserve"' not in text:
        text = text.replace("<svg ", '<svg xml:space="preserve" ', 1)
        svg.write_text(text)
    png = svg.with_suffix(".png")
    subprocess.run(["rsvg-convert", "-o", str(png), str(svg)], check=True)
    return png


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="*", metavar="NAME", help="only these images (default: all)")
    p.add_argument("--no-png", action="store_true", help="SVG only (no rsvg-convert)")
    p.add_argument("--readme-only", action="store_true", help="only the README's example output")
    a = p.parse_args()
    changed = write_readme_example()
    print(f"README.md: example output {'rewritten' if changed else 'unchanged'}")
    if a.readme_only:
        return 0
    if not a.no_png and shutil.which("rsvg-convert") is None:
        raise SystemExit("rsvg-convert is missing: apt-get install librsvg2-bin (or --no-png)")
    table = shots()
    for name in a.only or list(table):
        if name not in table:
            raise SystemExit(f"no image {name!r}; choose from {', '.join(table)}")
        svg = asyncio.run(table[name]())
        made = [svg] if a.no_png else [svg, to_png(svg)]
        print("  ".join(str(m.relative_to(ROOT)) for m in made))
    return 0


if __name__ == "__main__":
    sys.exit(main())
