"""The command palette: its provider (the same actions as the keys, offered only where the mode allows
them), the palette screen itself, made steady under fast keys, and the app's palette hooks (a mixin
of ``ControlRoom``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.await_complete import AwaitComplete
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.css.query import NoMatches

if TYPE_CHECKING:
    from textual.screen import Screen

    from .app import ControlRoom

    _Base = App[int]
else:
    _Base = object

# (action, title, help); the app's check_action decides which are offered right now
ENTRIES: tuple[tuple[str, str, str], ...] = (
    ("promote", "Promote", "enter the next phase now (asks first)"),
    ("hold", "Hold", "stop promotions until resumed"),
    ("resume", "Resume", "let promotions go on"),
    ("rollback", "Roll back", "send all traffic to stable now (asks first)"),
    ("pause", "Pause the replay", "stop the virtual clock"),
    ("play", "Play the replay", "start the virtual clock again"),
    ("faster", "Replay faster", "double the replay speed"),
    ("slower", "Replay slower", "halve the replay speed"),
    ("step", "Step one evaluation", "jump to the next evaluation now"),
    ("charts", "Charts", "every gate over the whole run"),
    ("filter", "Filter pods", "show only pods matching a text"),
    ("sort", "Sort pods", "sort the pod table by the next column"),
    ("report", "Write the report", "this run's HTML report, from its audit log (the path is shown)"),
    ("help", "Help: keys", "every key and what this mode allows"),
    ("quit", "Quit", "leave the control room (never rolls back)"),
)


class RoomCommands(Provider):
    """Yields only commands whose action ``check_action`` enables: in watch and dry-run the
    steering commands do not exist, after the outcome they are gone."""

    def _entries(self) -> list[tuple[str, str, str]]:
        app: ControlRoom = self.app  # type: ignore[assignment]
        return [e for e in ENTRIES if app.check_action(e[0], ()) is True]

    async def discover(self) -> Hits:
        for action, title, help_text in self._entries():
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action, title, help_text in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, action), help=help_text)


class RoomPalette(CommandPalette):
    """Textual's command palette, steady when keys come faster than it draws.

    In Textual 8.2 a key that reaches the palette before its list is drawn, or just after it closed,
    raises inside Textual (KeyError in the list's paging, NoMatches from its search worker, a second
    dismiss that pops the screen below it) and ends the app. Found by the 1,000-random-keys test of
    watch mode; a screen on a wall must not die of a key. Each of those is dropped here, nothing else.
    """

    def _action_command_list(self, action: str) -> None:
        with contextlib.suppress(KeyError, IndexError, NoMatches):
            super()._action_command_list(action)

    @work(exclusive=True, group=CommandPalette._GATHER_COMMANDS_GROUP)
    async def _gather_commands(self, search_value: str) -> None:
        gather: Any = CommandPalette._gather_commands.__wrapped__  # type: ignore[attr-defined]
        with contextlib.suppress(NoMatches):  # the palette closed while its search ran
            await gather(self, search_value)

    def dismiss(self, result: Any = None) -> AwaitComplete:
        if self.app.screen is not self:  # already dismissed: popping again would pop the screen below
            return AwaitComplete()
        return super().dismiss(result)


class PaletteRoom(_Base):
    """The palette parts of ``ControlRoom``: it opens ``RoomPalette``, and watch mode offers no
    screenshot; ``watching`` is the app's."""

    watching: bool

    def action_command_palette(self) -> None:
        """Textual's palette, in the variant that survives keys faster than it draws (``RoomPalette``)."""
        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]
            self.push_screen(RoomPalette())  # no fixed id: one closing may still be in the DOM

    def search_themes(self) -> None:
        """Textual's theme picker, in the steady palette too."""
        from textual.theme import ThemeProvider

        self.push_screen(RoomPalette(providers=[ThemeProvider], placeholder="Search for themes…"))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's palette commands, less the screenshot in watch mode: watch writes no file."""
        for command in super().get_system_commands(screen):
            if not (self.watching and command.title == "Screenshot"):
                yield command
