#!/usr/bin/env python3
"""A bare Textual app (a title, one line of text and a footer): the baseline of tui_first_paint.py."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class Bare(App[None]):
    BINDINGS: ClassVar = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Phases: bare Textual app")
        yield Footer()


if __name__ == "__main__":
    Bare().run()
