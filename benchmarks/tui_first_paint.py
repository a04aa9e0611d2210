#!/usr/bin/env python3
"""First paint: from starting `canary-tui demo` to its control room on the terminal, next to a bare
Textual app measured the same way in the same run.

Each program runs in a pseudo-terminal of 120x40 (like the tmux acceptance test); the clock stops
when the word "Phases" (the first panel's title) has been written to the terminal, and the program
is then told to quit. Runs alternate between the two programs; medians are reported. Targets: the
control room under 1 s and within 1.5x of the bare app. Run by hand:
    .venv/bin/python benchmarks/tui_first_paint.py [--runs N]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

from compiled import compile_package

ROOT = Path(__file__).resolve().parent.parent
MARKER = b"Phases"
SIZE = (40, 120)  # rows, columns


def first_paint(argv: list[str], env: dict[str, str], timeout: float = 20.0) -> float:
    """Seconds from fork to ``MARKER`` on the terminal."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the program, on the pty
        os.execve(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[0], SIZE[1], 0, 0))
    seen = b""
    try:
        while True:
            left = timeout - (time.perf_counter() - start)
            if left <= 0:
                raise TimeoutError(f"{argv}: no {MARKER!r} within {timeout}s")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                raise RuntimeError(f"{argv} exited before painting: {seen[-400:]!r}") from None
            seen = seen[-len(MARKER) :] + chunk
            if MARKER in seen:
                return time.perf_counter() - start
    finally:
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + 5
        while time.time() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            with contextlib.suppress(OSError):
                os.read(fd, 65536)  # keep the pty drained so the child can exit
            time.sleep(0.02)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=7)
    a = p.parse_args()
    compile_package()
    with tempfile.TemporaryDirectory() as state:
        env = {**os.environ, "TERM": "xterm-256color", "XDG_STATE_HOME": state, "COLUMNS": "120", "LINES": "40"}
        programs = {
            "bare Textual app": [sys.executable, str(ROOT / "benchmarks" / "tui_bare_app.py")],
            "canary-tui demo": [sys.executable, "-m", "canary_tui", "demo"],
        }
        times: dict[str, list[float]] = {name: [] for name in programs}
        for argv in programs.values():  # one warm-up each (file system caches)
            first_paint(argv, env)
        for _ in range(a.runs):
            for name, argv in programs.items():
                times[name].append(first_paint(argv, env))
    print(f"first paint in a {SIZE[1]}x{SIZE[0]} pseudo-terminal, median of {a.runs} runs")
    for name, ts in times.items():
        print(f"  {name:<18} {statistics.median(ts):.3f} s   (min {min(ts):.3f}, max {max(ts):.3f})")
    bare, ours = (statistics.median(ts) for ts in times.values())
    print(f"  ratio              {ours / bare:.2f}x the bare app")


if __name__ == "__main__":
    main()
