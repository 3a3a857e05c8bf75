"""The command line: argparse subcommands over the same core the window uses.

Each module of this package adds its subcommands in ``register(subparsers)`` and sets
``func`` to a function taking the parsed arguments and returning the exit status.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import import_module

from app import __version__
from app.core.errors import ExportDeskError

# One module per group of subcommands, in the order ``--help`` lists them.
COMMAND_MODULES = (
    "app.cli.accounts",
    "app.cli.options",
    "app.cli.institution",
    "app.cli.profile",
    "app.cli.validate",
    "app.cli.records",
    "app.cli.editing",
    "app.cli.network",
    "app.cli.export",
    "app.cli.targets",
    "app.cli.search",
)


# The module that adds each command: running a command imports its module alone, so that
# ``exportdesk validate`` does not load the keyring, the network clients... (issue 16). A
# command missing here still works: every module is imported then, as for ``--help``;
# tests/test_main.py checks that the list is complete.
COMMANDS = {
    "account": "app.cli.accounts",
    "connection": "app.cli.accounts",
    "password": "app.cli.accounts",
    "options": "app.cli.options",
    "institution": "app.cli.institution",
    "profile": "app.cli.profile",
    "validate": "app.cli.validate",
    "import": "app.cli.records",
    "records": "app.cli.records",
    "template": "app.cli.editing",
    "send": "app.cli.network",
    "receive": "app.cli.network",
    "export": "app.cli.export",
    "target": "app.cli.targets",
    "holdings": "app.cli.targets",
    "search": "app.cli.search",
    "retrieve": "app.cli.search",
}


def command_modules(argv: Sequence[str] | None) -> tuple[str, ...]:
    """The modules a command line needs: the command's own; none without a command (the
    window, --version, --self-test); every one for --help or a word that is no command."""
    if argv is None:
        return COMMAND_MODULES
    words = [arg for arg in argv if not arg.startswith("-")]
    if not words:
        return COMMAND_MODULES if any(arg in ("-h", "--help") for arg in argv) else ()
    module = COMMANDS.get(words[0])
    return (module,) if module in COMMAND_MODULES else COMMAND_MODULES


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser; given the arguments, with only the commands they need."""
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
    for name in command_modules(argv):
        import_module(name).register(subparsers)
    return parser


def run_command(args: argparse.Namespace) -> int:
    try:
        if getattr(args, "reads_settings", True):
            # An institution file fetched at the last start applies now, before any setting
            # is read. A command that reads none (validate) leaves it to the next one.
            from app.core.settings.institution_url import put_fetched_in_force

            put_fetched_in_force()
        status: int = args.func(args)
    except ExportDeskError as error:
        print(f"exportdesk: error: {error.message}", file=sys.stderr)
        return error.exit_status
    except KeyboardInterrupt:
        print("exportdesk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as other command-line tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    finally:
        _print_notices()  # any a command did not show itself: a file set aside, a value ignored
    return status


def _print_notices() -> None:
    """As app.cli.common.print_notices, without loading the account settings (and the
    keyring) for a command that never used them: notices come from the settings files and
    the save file, and a command that loaded neither has none."""
    notices: list[str] = []
    for name in ("app.core.settings.files", "app.core.store.savefile"):
        module = sys.modules.get(name)
        if module is not None:
            notices.extend(module.take_notices())
    for notice in notices:
        print(f"exportdesk: warning: {notice}", file=sys.stderr)
