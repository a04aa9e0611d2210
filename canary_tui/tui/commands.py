"""The command palette's provider: the same actions as the keys, offered only where the mode allows them."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from .app import ControlRoom

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
