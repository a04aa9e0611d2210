"""The command line: parses arguments, runs one command, turns bad input into exit code 2.

Command modules are imported only for their arguments; what they need to run (the controller,
Textual, the Kubernetes client) is imported inside their ``run``, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import __version__
from .errors import InputError, WrongKind

# name -> module under canary_tui.commands; order is the order of --help
COMMANDS = {
    "demo": "demo",
    "replay": "replay",
    "run": "run",
    "watch": "watch",
    "record": "record",
    "check": "check",
    "manifests": "manifests",
    "report": "report",
    "whatif": "whatif",
    "tune": "tune",
    "promote": "operator",
    "hold": "operator",
    "resume": "operator",
    "rollback": "operator",
}

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"canary-tui: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="canary-tui",
        description="Watch and steer a canary release: phases, gates, rollback, from the terminal.",
        epilog="Exit codes: 0 Promoted, 1 RolledBack, 2 bad input, 3 Incomplete. Try: canary-tui demo",
    )
    parser.add_argument("--version", action="version", version=f"canary-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f".commands.{module_name}", __package__)
        help_text = getattr(module, "HELPS", {}).get(name, module.HELP)
        # argparse expands %-formats in help texts (not in descriptions): "5%" must not break --help
        p = sub.add_parser(name, help=help_text.replace("%", "%%"), description=module.DESCRIPTION)
        p.add_argument("--version", action="version", version=f"canary-tui {__version__}")
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    if getattr(args, "json", False) and getattr(args, "headless", None) is False:
        args.headless = True  # --json is JSON Lines on stdout, which a screen would garble (docs/tui.md)
    try:
        return int(args._module.run(args))
    except InputError as e:
        if isinstance(e, WrongKind):  # "x.yaml is a MetricFixture; `check` takes a CanaryPlan"
            e = e.for_command(args.command)
        for problem in sorted(e.problems, key=lambda p: (p.file or "", p.line or 0)):
            print(f"canary-tui: error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # the reader went away (``| head``): not our failure, and no traceback
        sys.stderr.close()
        return 0
