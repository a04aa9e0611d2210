"""The what-if variant in the control room (``replay FIXTURE --whatif PATH=VALUE``): a mixin of
``ControlRoom`` that replays the variant in a thread worker (unless it came computed) and hands its
timeline, up to the replay's clock, to the phase panel, the what-if line and the charts."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import TYPE_CHECKING

from textual import work
from textual.app import App
from textual.css.query import NoMatches
from textual.message import Message

from ..sanitize import clean
from .model import RoomModel
from .variant import VariantTimeline, WhatIf, pending_rows
from .widgets.phases import PhaseProgress
from .widgets.whatif import WhatIfBar

if TYPE_CHECKING:
    from .screens.charts import ChartsScreen

    _Base = App[int]
else:
    _Base = object


class VariantReady(Message):
    """The variant's replay finished (``variant``), or failed (``error``)."""

    def __init__(self, variant: VariantTimeline | None, error: str = "") -> None:
        super().__init__()
        self.variant = variant
        self.error = error


class WhatIfRoom(_Base):
    """The what-if parts of ``ControlRoom``; these attributes are the app's."""

    whatif: WhatIf | None
    model: RoomModel
    _charts: ChartsScreen | None

    if TYPE_CHECKING:  # the app's own

        def _post(self, message: Message) -> None: ...

        def _show_time(self) -> None: ...

    def _start_variant(self) -> None:
        """After the first frame: replay the variant beside the base run, unless it came computed."""
        if self.whatif is not None and self.model.variant is None:
            self._replay_variant(self.whatif)

    @work(thread=True, exclusive=True, exit_on_error=False, name="whatif", group="whatif")
    def _replay_variant(self, whatif: WhatIf) -> None:
        try:
            variant = whatif.compute()
        except Exception as e:  # shown on the what-if line: the base replay goes on
            self._post(VariantReady(None, f"{type(e).__name__}: {e}"))
        else:
            self._post(VariantReady(variant))

    def on_variant_ready(self, message: VariantReady) -> None:
        self.model.variant = message.variant
        try:
            self.query_one(WhatIfBar).error = clean(message.error, 300)
        except NoMatches:  # the app is closing
            return
        self._show_time()  # reads the clock and calls ``_show_variant``
        if self._charts is not None and self.screen is self._charts:
            self._charts.redraw()

    def _variant_layout(self) -> None:
        """A line per phase for the variant, or (compact: no room below) a column: set at each resize."""
        if self.whatif is not None and self.screen_stack:
            with contextlib.suppress(NoMatches):
                self.query_one(PhaseProgress).stacked = not self.screen_stack[0].has_class("-compact")

    def _show_variant(self, now: datetime | None) -> None:
        """The variant up to the replay's clock ``now``; all of it once the base run is decided."""
        if self.whatif is None:
            return
        try:
            phases = self.query_one(PhaseProgress)
            line = self.query_one(WhatIfBar)
        except NoMatches:
            return
        state, variant = self.model.state, self.model.variant
        until = None if state is not None and state.done else now
        self._variant_layout()
        phases.variant = variant.rows(until) if variant is not None else pending_rows(self.model.plan)
        line.label = self.whatif.label
        line.base = state
        line.until = until
        line.variant = variant
