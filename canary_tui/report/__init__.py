"""Release reports: one self-contained HTML file (or Markdown) from an audit log or a state file.

``write_report(source, out)`` is what the ``report`` command, ``--report PATH`` and the TUI call.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

FORMATS = ("html", "md")


def format_for(out: str | Path, fmt: str | None = None) -> str:
    """The format asked for, else the one the output's name says (``.md``: Markdown), else HTML."""
    if fmt:
        return fmt
    return "md" if str(out).lower().endswith((".md", ".markdown")) else "html"


def render_report(source: str | Path, fmt: str = "html", run: str | None = None) -> str:
    """The report of ``source`` (an audit log: run ``run``, default the last; or a state file) as text.
    Raises InputError naming the file when it is not one."""
    from .load import load

    release = load(source, run)
    if fmt == "md":
        from .markdown import render_markdown

        return render_markdown(release)
    from .html import render_html

    return render_html(release)


def write_report(source: str | Path, out: str | Path, fmt: str | None = None, run: str | None = None) -> Path:
    """Write the report of ``source`` to ``out`` (replaced atomically: a reader never sees half of it)."""
    from ..errors import InputError, Problem

    out = Path(out)
    body = render_report(source, format_for(out, fmt), run)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(body)
            os.chmod(tmp, 0o644)
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as e:
        raise InputError([Problem(str(out), None, None, f"cannot write the report: {e.strerror or e}")]) from None
    return out
