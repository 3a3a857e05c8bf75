"""The ``exportdesk`` command: the window when run alone, or one of the subcommands."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

NO_DISPLAY = (
    "exportdesk: the window needs a desktop session, and this one has none (no DISPLAY or "
    "WAYLAND_DISPLAY is set, as over SSH). Every task can be done from the command line: "
    "'exportdesk --help' lists the commands."
)


def display_missing() -> bool:
    """On Linux and other X11/Wayland systems: no display to open a window on. Windows and
    macOS always have one; QT_QPA_PLATFORM names a platform that needs none (offscreen)."""
    if sys.platform in ("win32", "darwin") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: Sequence[str] | None = None) -> int:
    from app.cli import build_parser, run_command

    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(arguments)  # only the modules of the command given
    args = parser.parse_args(arguments)
    if getattr(args, "func", None) is not None:
        return run_command(args)
    # Qt is imported only when a window is wanted, so the command line works without a display.
    if args.self_test:
        from app.gui.self_test import run_self_test

        return run_self_test(on_screen=args.on_screen)
    if display_missing():
        print(NO_DISPLAY, file=sys.stderr)
        return 2
    from app.gui.application import run_window

    return run_window(args)
