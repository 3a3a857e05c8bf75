"""``exportdesk export``: send an account's flagged (or chosen) records, as Export does."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, TextIO

from app.cli.common import find_connection, open_account, print_notices
from app.core.errors import UsageError
from app.core.export.holdings import HoldingsOnExport
from app.core.export.run import (
    FILE_FORMATS,
    RecordOutcome,
    RecordStarted,
    plan_export,
    run_export,
    summarize,
)
from app.core.export.unsettled import recover_if_idle, split_unconfirmed
from app.core.store.savefile import OUTCOME_NAMES, SaveFile

_SHOWN_IDS = 20  # ids of records left out listed by name


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export flagged or chosen records to the local system or a file",
        description="Export records of an account's save file with its export settings "
        "(the active connection unless --connection is given). Records whose last export "
        "is unconfirmed (the host may have them) are left out unless --include-unconfirmed "
        "is given. Exit status: 0 when every record was exported, 1 when some were not or "
        "unconfirmed records were left out, 2 for bad usage, 130 when interrupted (Ctrl-C: "
        "the records not sent yet are cancelled).",
    )
    parser.add_argument("--account", required=True, help="the authorization, e.g. 100-123-456")
    parser.add_argument("--connection", metavar="NAME", help="export to this connection")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--flagged", action="store_true", help="the flagged records (the default)")
    which.add_argument("--id", type=int, nargs="+", metavar="ID", help="these records")
    parser.add_argument(
        "--format",
        choices=FILE_FORMATS,
        help="the export format, needed when the setting is None (ask at export)",
    )
    parser.add_argument(
        "--password-env",
        metavar="VAR",
        help="read the connection's password from this environment variable (for machines "
        "with no keyring)",
    )
    parser.add_argument(
        "--include-unconfirmed",
        action="store_true",
        help="send unconfirmed records too (their last export got no complete reply: the "
        "local system may already have them, and sending again may make duplicates); check "
        "the local system first, or mark those found with 'exportdesk records mark-exported'",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per record and line, then a summary line",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    account = open_account(args.account)
    settings = account.saved_default()
    if args.connection:
        chosen = find_connection(settings, args.connection).id
        account.check_connection_choice(chosen)  # the institution may lock where exports go
        settings.active_id = chosen
    password = None
    if settings.options["destination"] == "tcpip" and settings.active.values["send_logon_id"]:
        password = _password(args, account.password, settings.active_id)
    plan = plan_export(settings, fmt=args.format, password=password)
    with SaveFile.for_account(account.account) as save_file:
        print_notices()  # a save file without WAL, before the run's output
        if args.id:
            missing = save_file.missing(args.id)
            if missing:
                raise UsageError(f"no record with id {', '.join(map(str, missing))}")
            ids = list(args.id)
        else:
            ids = save_file.flagged_ids()
        # What a killed run left in flight is settled first, so that a record it was
        # sending counts as unconfirmed below (when another run is active, run_export
        # refuses anyway).
        recover_if_idle(save_file)
        left_out: list[int] = []
        if args.include_unconfirmed:
            unconfirmed = split_unconfirmed(save_file, ids)[1]
            if unconfirmed:
                print(
                    f"exportdesk: warning: sending {_count(len(unconfirmed))} again whose "
                    "last export is unconfirmed; any the local system already has will be "
                    "duplicated.",
                    file=sys.stderr,
                )
        else:
            ids, left_out = split_unconfirmed(save_file, ids)
        if not ids:
            if not left_out:
                print(
                    "No records to export: flag some first (exportdesk records flag).",
                    file=sys.stderr,
                )
            else:
                print("No records to export: those asked for are all unconfirmed.", file=sys.stderr)
            return _finish([], left_out, args, interrupted=False)
        holdings = HoldingsOnExport.for_account(account.account, settings.options, save_file)
        cancel = threading.Event()
        with _interrupt_sets(cancel) as interrupted:
            events = run_export(save_file, plan, ids, cancel=cancel, after_outcome=holdings)
            outcomes = _report(events, args, len(ids))
        if holdings is not None:
            holdings.close()
        return _finish(outcomes, left_out, args, interrupted=interrupted.is_set())


def _password(args: argparse.Namespace, stored: Any, connection_id: str) -> str:
    if args.password_env:
        value = os.environ.get(args.password_env)
        if value is None:
            raise UsageError(f"The environment variable {args.password_env} is not set.")
        return value
    value = stored(connection_id)
    if value is None:
        raise UsageError(
            "this connection sends a logon ID but has no password: save one with "
            "'exportdesk password set', or give --password-env"
        )
    return str(value)


@contextlib.contextmanager
def _interrupt_sets(cancel: threading.Event) -> Iterator[threading.Event]:
    """While the run goes on, Ctrl-C (SIGINT) sets ``cancel`` instead of raising, so the run
    ends at a point where everything it did is written down: the record being sent gets its
    outcome (a reply wait stops within a few seconds: unconfirmed), the rest are
    ``cancelled``. A second Ctrl-C stops at once, as usual. Yields an event set on Ctrl-C."""
    interrupted = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield interrupted
        return

    def on_interrupt(signum: int, frame: object) -> None:
        if interrupted.is_set():
            raise KeyboardInterrupt
        interrupted.set()
        cancel.set()
        print(
            "exportdesk: interrupted: finishing the record on its way, cancelling the rest "
            "(Ctrl-C again to stop at once)",
            file=sys.stderr,
            flush=True,
        )

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


def _finish(
    outcomes: list[RecordOutcome],
    left_out: list[int],
    args: argparse.Namespace,
    *,
    interrupted: bool,
) -> int:
    """The summary, the records left out, and the exit status."""
    counts = summarize(outcomes)
    if args.json:
        summary = {**counts, "unconfirmed_left_out": len(left_out)}
        print(json.dumps({"summary": summary}), flush=True)
    elif outcomes:
        shown = ", ".join(f"{OUTCOME_NAMES[k].lower()} {v}" for k, v in counts.items() if v)
        print(f"{len(outcomes)} records: {shown or 'none'}")
    if left_out:
        shown_ids = " ".join(str(record_id) for record_id in left_out[:_SHOWN_IDS])
        more = f" and {len(left_out) - _SHOWN_IDS} more" if len(left_out) > _SHOWN_IDS else ""
        note = (
            f"Left out {_count(len(left_out))} whose last export is unconfirmed (the local "
            f"system may already have them): {shown_ids}{more}. Check the local system, then "
            f"mark those found with 'exportdesk records mark-exported --account {args.account} "
            "ID...', or send them again with --include-unconfirmed."
        )
        print(note, file=sys.stderr if args.json else sys.stdout)
    if interrupted:
        return 130
    return 0 if counts["exported"] == len(outcomes) and not left_out else 1


def _count(number: int) -> str:
    return f"{number} record{'' if number == 1 else 's'}"


def _report(events: Any, args: argparse.Namespace, total: int) -> list[RecordOutcome]:
    """Print each outcome as it comes; the outcomes."""
    progress = _Progress(sys.stderr, total) if sys.stderr.isatty() else None
    outcomes: list[RecordOutcome] = []
    for event in events:
        if isinstance(event, RecordStarted):
            if progress:
                progress.show(event)
            continue
        outcomes.append(event)
        if progress:
            progress.clear()
        if args.json:
            print(json.dumps(event.to_json(), ensure_ascii=False), flush=True)
        else:
            print(_line(event), flush=True)
    if progress:
        progress.clear()
    return outcomes


def _line(event: RecordOutcome) -> str:
    title = f" {event.title[:50]}" if event.title else ""
    reason = f": {event.reason}" if event.reason else ""
    # What the cataloger should know about a record that went (characters written as
    # &#xXXXX; and the field they were in, validation errors it was sent despite).
    notes = "".join(f"\n  note: {warning}" for warning in event.warnings)
    outcome = OUTCOME_NAMES[event.outcome].lower()
    return f"record {event.record_id}{title}: {outcome}{reason}{notes}"


class _Progress:
    """One line on the terminal, rewritten in place: done, total, rate and time left."""

    def __init__(self, stream: TextIO, total: int) -> None:
        self.stream = stream
        self.total = total
        self.started = time.monotonic()

    def show(self, event: RecordStarted) -> None:
        done = event.index
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed > 0 and done else 0.0
        left = f", about {int((self.total - done) / rate)} s left" if rate else ""
        self.stream.write(f"\r\x1b[Kexporting {done + 1} of {self.total}{left}")
        self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r\x1b[K")
        self.stream.flush()
