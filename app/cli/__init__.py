"""The command line: argparse subcommands over the same core the window uses.

Each module of this package adds its subcommands in ``register(subparsers)`` and sets
``func`` to a function taking the parsed arguments and returning the exit status.
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

from app import __version__
from app.cli.common import print_notices
from app.core.errors import ExportDeskError

# One module per group of subcommands, in the order ``--help`` lists them.
COMMAND_MODULES = (
    "app.cli.accounts",
    "app.cli.options",
    "app.cli.validate",
    "app.cli.records",
    "app.cli.editing",
    "app.cli.network",
    "app.cli.export",
    "app.cli.targets",
    "app.cli.search",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="exportdesk",
        description="ExportDesk: export library records to your local system. "
        "Run without a command to open the window.",
    )
    parser.add_argument("--version", action="version", version=f"ExportDesk {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the window on a demo account with sample records and a local receiver",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation end to end, offscreen, and exit: import the sample "
        "records, export them to a receiver on this computer, check they arrived",
    )
    parser.add_argument(
        "--on-screen",
        action="store_true",
        help="with --self-test: show the window on this computer's display instead of "
        "offscreen (checks the display works too)",
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        import_module(name).register(subparsers)
    return parser


def run_command(args: argparse.Namespace) -> int:
    try:
        status: int = args.func(args)
    except ExportDeskError as error:
        print(f"exportdesk: error: {error.message}", file=sys.stderr)
        return error.exit_status
    except KeyboardInterrupt:
        print("exportdesk: interrupted", file=sys.stderr)
        return 130
    finally:
        print_notices()  # any a command did not show itself: a file set aside, a value ignored
    return status
