"""``python -m canary_tui``."""

from .cli import main

raise SystemExit(main())
