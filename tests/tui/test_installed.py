"""The control room from a non-editable install: styles found inside the wheel, the screen drawn."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import argparse, asyncio, canary_tui
    from canary_tui.commands import demo
    from canary_tui.tui.app import ControlRoom, make_app

    async def main():
        args = argparse.Namespace(scenario="healthy", seed=0, start=None, plan=None)
        plan, start = demo.load(args)
        controller, _ = demo.build(args, plan, start, None, [])
        app = make_app(controller, mode="demo", actor="a@b")
        async with app.run_test(size=(120, 40)) as pilot:
            while not app.ended.is_set():
                await pilot.pause(0.05)
            await pilot.pause(0.2)
            text = "\\n".join(s.text for s in app.screen._compositor.render_strips())
        print(canary_tui.__file__)
        print(ControlRoom.CSS_PATH[0])
        print("Phases" in text, "Promoted" in text)

    asyncio.run(main())
    """
)


@pytest.mark.slow
def test_the_installed_control_room_finds_its_styles_and_draws(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("canary_tui-*.whl")
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_STATE_HOME": str(tmp_path / "state")}
    r = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    module, css, drawn = r.stdout.splitlines()
    assert module.startswith(str(site)) and css.startswith(str(site / "canary_tui" / "styles"))
    assert drawn == "True True"
