"""Errors a user caused (bad plan, fixture or arguments): reported in one message, exit code 2."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: which file, which key path, which line, what is wrong."""

    file: str | None
    path: str | None
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where += f":{self.line}"
        parts = [p for p in (where, self.path) if p]
        return ": ".join([*parts, self.message])


class InputError(Exception):
    """Raised with every problem found in an input; the CLI prints them and exits 2."""

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(None, None, None, problems)]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
