"""A non-editable install (the wheel) carries its styles and fixtures and runs the demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this tree and unpacked with pip into a private directory."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheels = list((tmp / "dist").glob("canary_tui-*.whl"))
    assert len(wheels) == 1
    site = tmp / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheels[0])],
        check=True,
        capture_output=True,
    )
    return site


def run_installed(site: Path, code_or_args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_STATE_HOME": str(tmp)}
    return subprocess.run([sys.executable, *code_or_args], capture_output=True, text=True, env=env, cwd=tmp)


def test_the_wheel_ships_styles_and_fixtures(installed: Path, tmp_path: Path) -> None:
    r = run_installed(
        installed,
        [
            "-c",
            "import canary_tui, canary_tui.resources as r;"
            "print(canary_tui.__file__); print(r.styles_dir()); print(r.demo_plan_path())",
        ],
        tmp_path,
    )
    assert r.returncode == 0, r.stderr
    module, styles, plan = r.stdout.splitlines()
    assert module.startswith(str(installed)), "the test must exercise the installed copy, not the checkout"
    assert styles.startswith(str(installed)) and list(Path(styles).glob("*.tcss"))
    assert plan.startswith(str(installed)) and Path(plan).is_file()
    assert (installed / "canary_tui" / "fixtures" / "error-spike-at-25.yaml").is_file()


def test_the_installed_demo_runs(installed: Path, tmp_path: Path) -> None:
    r = run_installed(installed, ["-m", "canary_tui", "demo", "--headless", "--json"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert '"outcome":"Promoted"' in r.stdout.splitlines()[-1]


def test_every_floor_in_pyproject_is_the_pin_in_constraints_min() -> None:
    """constraints-min.txt installs the lowest versions pyproject.toml declares (scripts/test-min runs the
    Kubernetes and Prometheus tests with them): each ``>=`` floor there is the ``==`` pin here, and every
    declared dependency, the test extras included, has a pin."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [Requirement(r) for r in [*project["dependencies"], *project["optional-dependencies"]["test"]]]
    pins = {}
    for line in (ROOT / "constraints-min.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints-min.txt: {line!r} is not a pin (name==version)"
            pins[canonicalize_name(name)] = Version(version)
    missing = [str(r) for r in declared if canonicalize_name(r.name) not in pins]
    assert missing == [], "declared in pyproject.toml, not pinned in constraints-min.txt"
    wrong = [
        f"{r.name}: floor {s.version}, pinned {pins[canonicalize_name(r.name)]}"
        for r in declared
        for s in r.specifier
        if s.operator == ">=" and Version(s.version) != pins[canonicalize_name(r.name)]
    ]
    assert wrong == []
    # and each pin is allowed by what pyproject.toml declares (a pin above a cap would test nothing real)
    assert [r.name for r in declared if not r.specifier.contains(pins[canonicalize_name(r.name)])] == []
