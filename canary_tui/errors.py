"""Errors a user caused (bad plan, fixture or arguments): reported in one message, exit code 2."""

from __future__ import annotations

from dataclasses import dataclass

from .sanitize import visible


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
        # a file name, a key path or a value quoted in the message can hold ESC, BEL, U+202E...
        return visible(": ".join([*parts, self.message]))


class InputError(Exception):
    """Raised with every problem found in an input; the CLI prints them and exits 2."""

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(None, None, None, problems)]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class WrongKind(InputError):
    """The file is another kind of canary-tui document: one message saying what it is and what was
    wanted; the CLI fills in the command (``for_command``)."""

    def __init__(self, file: str, found: str, want: str, hint: str, command: str | None = None) -> None:
        self.file, self.found, self.want, self.hint, self.command = file, found, want, hint, command
        who = f"`{command}` takes" if command else "want"
        super().__init__([Problem(file, None, None, f"is {found}; {who} a {want} ({hint})")])

    def for_command(self, command: str | None) -> WrongKind:
        return WrongKind(self.file, self.found, self.want, self.hint, command)
