"""The control room: the Textual app behind ``demo``, ``replay`` and ``run`` (import ``tui.app`` lazily)."""
