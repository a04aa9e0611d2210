"""Watch mode's own parts of the control room: who drives, how fresh its state is, the stale banner
and the wall board, refreshed at each tick (a mixin of ``ControlRoom``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App

from .model import PhaseRow, RoomModel, Tone

if TYPE_CHECKING:
    from .source import RoomSource

    _Base = App[int]
else:
    _Base = object


class WatchRoom(_Base):
    """The watch parts of ``ControlRoom``; these attributes are the app's."""

    controller: RoomSource
    model: RoomModel

    def _show_watch(self, rows: tuple[PhaseRow, ...], waiting: tuple[str, Tone]) -> None:
        """Who drives, how fresh its state is, the stale banner and the wall board (watch mode)."""
        from ..watch.info import freshness
        from .widgets.wall import WallBoard
        from .widgets.watchbar import StaleBanner, WatchBar

        info = getattr(self.controller, "info", None)
        wall_clock = getattr(self.controller, "wall", None)
        if info is None or wall_clock is None:
            return
        now_wall = wall_clock()
        bar = self.query_one(WatchBar)
        bar.info = info
        bar.now_wall = now_wall
        banner = self.query_one(StaleBanner)
        banner.written = info.updated
        banner.text = freshness(info, now_wall).stale or ""
        board = self.query_one(WallBoard)
        state = self.model.state
        board.rows = rows
        board.weight = state.canary_weight(self.model.plan) if state is not None else None
        board.outcome = state.outcome if state is not None else None
        board.waiting = waiting if state is not None else (info.waiting or "", waiting[1])
