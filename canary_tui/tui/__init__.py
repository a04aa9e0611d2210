"""The control room: the Textual app behind ``demo``, ``replay``, ``run`` and ``watch`` (import ``tui.app`` lazily)."""
