"""Who is acting: ``user@host``, recorded with every operator action."""

from __future__ import annotations

import getpass
import socket


def actor() -> str:
    """``user@host`` of this process."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
