"""Helpers of the hostile-input tests (issue 15): documents made by the tests, the CLI run in a
subprocess with its wall time and its own peak memory, and what "nothing raw" means on a channel."""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# One of each class of character a terminal acts on or hides: C0 (NUL, BEL, BS, VT, FF, CR, SO, ESC,
# US), DEL, C1 (PAD, NEL, 8-bit CSI, APC), bidi controls (ALM, LRM, RLM, LRE, RLE, PDF, LRO, RLO, LRI,
# RLI, FSI, PDI), zero-width and invisible (ZWSP, ZWNJ, ZWJ, WJ, invisible times, BOM), the line and
# paragraph separators, and an interlinear annotation character.
CONTROLS = (
    "\x00\x07\x08\x0b\x0c\r\x0e\x1b\x1f"
    "\x7f"
    "\x80\x85\x9b\x9f"
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u200b\u200c\u200d\u2060\u2062\ufeff"
    "\u2028\u2029\ufff9"
)
# what an escape sequence looks like in outside text: a title change, a screen clear, a colour
EVIL = "\x1b]0;pwned\x07\x1b[2J\x1b[31m\u202e\x9b2J"
# raw on a channel: any of the above (tab and line feed are the only C0 characters allowed)
RAW = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)


def raw_in(text: str) -> list[str]:
    """The raw control characters in ``text`` (as ``U+XXXX``), for an assertion message."""
    return sorted({f"U+{ord(c):04X}" for c in RAW.findall(text)})


MINI_PLAN: dict[str, Any] = {
    "apiVersion": "canary-tui/v1alpha1",
    "kind": "CanaryPlan",
    "metadata": {"name": "checkout", "namespace": "shop"},
    "spec": {
        "service": "checkout",
        "stable": {"version": "v1"},
        "canary": {"version": "v2"},
        "interval": "1m",
        "failureLimit": 2,
        "noDataLimit": 3,
        "phases": [
            {"name": "canary", "weight": 5, "duration": "3m"},
            {"name": "full", "weight": 100, "duration": "0s"},
        ],
        "gates": [
            {"name": "error_rate", "query": 'errors{version="{{version}}"}', "warnAbove": 0.01, "failAbove": 0.05},
            {"name": "latency", "query": 'lat{version="{{version}}"}', "unit": "s", "failAbove": 2.0},
        ],
    },
}


def plan(**spec: Any) -> dict[str, Any]:
    """The small plan with some ``spec`` keys replaced."""
    doc = copy.deepcopy(MINI_PLAN)
    doc["spec"].update(spec)
    return doc


def fixture(plan_doc: dict[str, Any] | None = None, n: int = 8, **top: Any) -> dict[str, Any]:
    """A MetricFixture over ``plan_doc`` (default the small plan) with ``n`` healthy samples a list."""
    p = plan_doc or plan()
    series = {g["name"]: {"canary": [0.001] * n, "stable": [0.001] * n} for g in p["spec"]["gates"] if "query" in g}
    doc = {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "MetricFixture",
        "metadata": {"name": "hostile"},
        "plan": p,
        "start": "2026-02-19T05:33:00Z",
        "step": "1m",
        "series": series,
    }
    doc.update(top)
    return doc


def write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc))
    return path


@dataclass
class Run:
    rc: int
    out: str
    err: str
    seconds: float
    peak_mb: float  # the process's own peak resident memory (wait4's ru_maxrss)

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()

    def describe(self) -> str:
        head = f"rc={self.rc} in {self.seconds:.2f}s, peak {self.peak_mb:.0f} MB"
        return f"{head}\nstdout: {self.out[-600:]!r}\nstderr: {self.err[-1200:]!r}"


# Spawned from this small process, canary-tui's peak memory is its own: a child made by fork or vfork
# from the (big) pytest process would start its count from pytest's size.
_MEASURE = """
import os, sys
pid = os.posix_spawn(sys.executable, [sys.executable, "-m", "canary_tui", *sys.argv[2:]], os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def run_cli(
    *args: str | os.PathLike[str],
    timeout: float = 60.0,
    env: dict[str, str] | None = None,
    state_home: Path | None = None,
    stdin: int | None = subprocess.DEVNULL,
) -> Run:
    """``canary-tui ARGS`` in a subprocess, with its wall time and its own peak memory (wait4 in a
    small wrapper); killed, and the test failed, past ``timeout``."""
    home = state_home or Path(tempfile.mkdtemp(prefix="canary-tui-state-"))
    full_env = {**os.environ, "XDG_STATE_HOME": str(home), "NO_COLOR": "1", "TERM": "dumb", **(env or {})}
    with tempfile.TemporaryDirectory(prefix="canary-tui-run-") as tmp:
        rss = Path(tmp) / "maxrss"
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-c", _MEASURE, str(rss), *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=stdin,
            env=full_env,
            cwd=ROOT,
            start_new_session=True,  # its own process group: on a timeout, the wrapper and canary-tui go together
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this call started
            proc.communicate()
            raise AssertionError(f"canary-tui {' '.join(map(str, args))} ran past {timeout}s") from None
        seconds = time.monotonic() - start
        peak = int(rss.read_text()) / 1024 if rss.exists() else float("nan")
    return Run(proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), seconds, peak)


# generous bounds for a loaded 2-core CI machine; the figures themselves are printed (pytest -s)
FEW_SECONDS = 15.0
FEW_HUNDRED_MB = 400.0


def assert_refused(run: Run, *fragments: str, seconds: float = FEW_SECONDS, mb: float = FEW_HUNDRED_MB) -> None:
    """Exit 2 with one message line holding ``fragments``, no traceback, nothing raw, in bounds."""
    print(f"  {run.seconds:.2f}s, {run.peak_mb:.0f} MB: {run.err.strip()[:300]}")
    assert run.rc == 2, run.describe()
    assert "Traceback" not in run.err and "Traceback" not in run.out, run.describe()
    assert len(run.err_lines) == 1, run.describe()
    assert run.err_lines[0].startswith("canary-tui: error: "), run.describe()
    for f in fragments:
        assert f in run.err, f"{f!r} not in the message\n{run.describe()}"
    assert not raw_in(run.out + run.err), run.describe()
    assert run.seconds < seconds, run.describe()
    assert run.peak_mb < mb, run.describe()


def assert_clean_exit(run: Run, codes: tuple[int, ...] = (0, 1, 2, 3)) -> None:
    assert run.rc in codes, run.describe()
    assert "Traceback" not in run.err and "Traceback" not in run.out, run.describe()
    assert not raw_in(run.out + run.err), f"raw {raw_in(run.out + run.err)}\n{run.describe()}"


def run_in_process(*args: str | os.PathLike[str]) -> tuple[int, str]:
    """``canary-tui ARGS`` in this process (fast: for property and fuzz tests): the exit code and
    what it printed. Any exception but SystemExit escapes: that is a traceback for a user."""
    import contextlib
    import io

    from canary_tui.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            rc = main([str(a) for a in args])
        except SystemExit as e:  # argparse
            rc = e.code if isinstance(e.code, int) else 2
    return rc, out.getvalue()


def check_args(path: Path) -> tuple[str, ...]:
    return ("check", "--offline", str(path))


def replay_args(path: Path) -> tuple[str, ...]:
    return ("replay", "--headless", "--log", os.devnull, str(path))
