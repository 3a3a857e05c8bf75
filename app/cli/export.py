"""``exportdesk export``: send an account's flagged (or chosen) records, as Export does."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from typing import Any, TextIO

from app.cli.common import find_connection, open_account
from app.core.errors import UsageError
from app.core.export.run import (
    FILE_FORMATS,
    RecordOutcome,
    RecordStarted,
    plan_export,
    run_export,
    summarize,
)
from app.core.store.savefile import OUTCOME_NAMES, SaveFile


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export flagged or chosen records to the local system or a file",
        description="Export records of an account's save file with its export settings "
        "(the active connection unless --connection is given). Exit status: 0 when every "
        "record was exported, 1 when some were not, 2 for bad usage.",
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
        "--json",
        action="store_true",
        help="one JSON object per record and line, then a summary line",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    account = open_account(args.account)
    settings = account.saved_default()
    if args.connection:
        settings.active_id = find_connection(settings, args.connection).id
    password = None
    if settings.options["destination"] == "tcpip" and settings.active.values["send_logon_id"]:
        password = _password(args, account.password, settings.active_id)
    plan = plan_export(settings, fmt=args.format, password=password)
    with SaveFile.for_account(account.account) as save_file:
        if args.id:
            missing = save_file.missing(args.id)
            if missing:
                raise UsageError(f"no record with id {', '.join(map(str, missing))}")
            ids = list(args.id)
        else:
            ids = save_file.flagged_ids()
        if not ids:
            print(
                "No records to export: flag some first (exportdesk records flag).", file=sys.stderr
            )
            return 0
        return _report(run_export(save_file, plan, ids, cancel=threading.Event()), args, len(ids))


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


def _report(events: Any, args: argparse.Namespace, total: int) -> int:
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
    counts = summarize(outcomes)
    if args.json:
        print(json.dumps({"summary": counts}))
    else:
        shown = ", ".join(f"{OUTCOME_NAMES[k].lower()} {v}" for k, v in counts.items() if v)
        print(f"{len(outcomes)} records: {shown or 'none'}")
    return 0 if counts["exported"] == len(outcomes) else 1


def _line(event: RecordOutcome) -> str:
    title = f" {event.title[:50]}" if event.title else ""
    reason = f": {event.reason}" if event.reason else ""
    return f"record {event.record_id}{title}: {OUTCOME_NAMES[event.outcome].lower()}{reason}"


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
