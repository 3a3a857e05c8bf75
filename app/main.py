"""The ``exportdesk`` command: the window when run alone, or one of the subcommands."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from app.cli import build_parser, run_command

    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if getattr(args, "func", None) is not None:
        return run_command(args)
    # Qt is imported only when a window is wanted, so the command line works without a display.
    if args.self_test:
        from app.gui.self_test import run_self_test

        return run_self_test(on_screen=args.on_screen)
    from app.gui.application import run_window

    return run_window(args)
