"""``exportdesk search`` and ``exportdesk retrieve``: records from WorldCat or a catalogue.

    exportdesk search --account ACC --target NAME [--index oclc|isbn|issn|lccn|title|author|
                      keyword] [--raw] [--limit N] [--json] [--secret-env VAR] QUERY
    exportdesk retrieve --account ACC --target NAME [--flag] [--on-duplicate replace|keep|skip]
                        [--json] [--secret-env VAR] ID...

``search --json`` prints one line per hit, ``{"target", "position", "id", "title", "author",
"date"}``, then ``{"summary": {"total", "shown"}}``. Exit status: 0 (also for no hits), 1 when
the target fails, 2 for bad usage. ``retrieve`` stores the records in the account's save file
as ``import`` does (the OCLC number decides what is a duplicate) and prints the import's
result; 0 when every id was retrieved, 1 when any failed (listed), 2 for bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.cli.targets import account_option, open_targets, target_options
from app.core.digits import ascii_digits
from app.core.errors import UsageError
from app.core.settings.secrets import Vault
from app.core.settings.targets import SEARCH_INDEXES
from app.core.sources.clients import open_client, secret_for
from app.core.sources.faults import TargetDiagnostic, TargetError
from app.core.sources.hits import DEFAULT_INDEX, Hit, SearchQuery
from app.core.store.importer import DUPLICATE_ACTIONS, ImportJob
from app.core.store.savefile import SaveFile

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000


def register(subparsers: Any) -> None:
    search = subparsers.add_parser(
        "search",
        help="search a target (WorldCat, a catalogue's SRU server) for records",
        description="Search one of the account's targets. Without --index the words are a "
        "keyword search; --raw passes the query in the target's own syntax (CQL for SRU, "
        "WorldCat's q). Exit status 0 (also for no hits), 1 when the target fails.",
    )
    account_option(search)
    target_options(search)
    search.add_argument("--index", choices=SEARCH_INDEXES, help="what to search (default keyword)")
    search.add_argument(
        "--raw", action="store_true", help="the query is in the target's own syntax"
    )
    search.add_argument(
        "--limit",
        type=_limit,
        default=DEFAULT_LIMIT,
        help=f"hits to show (default {DEFAULT_LIMIT})",
    )
    search.add_argument("--json", action="store_true", help="one JSON object per hit and line")
    search.add_argument("query", nargs="+", metavar="QUERY", help="what to search for")
    search.set_defaults(func=run_search)

    retrieve = subparsers.add_parser(
        "retrieve",
        help="retrieve records from a target into the account's save file",
        description="Retrieve records by their id in the search's results (the OCLC number "
        "for WorldCat, the record's 001 for SRU) and store them in the save file, as import "
        "does. Exit status 0 when every id was retrieved, 1 when any failed.",
    )
    account_option(retrieve)
    target_options(retrieve)
    retrieve.add_argument("--flag", action="store_true", help="flag the records for export")
    retrieve.add_argument(
        "--on-duplicate",
        choices=DUPLICATE_ACTIONS,
        default="skip",
        help="what to do with a record already in the save file (same OCLC number, or same "
        "003 and 001): replace it, keep both, or skip the new one (default: skip)",
    )
    retrieve.add_argument("--json", action="store_true", help="print the result as JSON")
    retrieve.add_argument("ids", nargs="+", metavar="ID", help="the records' ids")
    retrieve.set_defaults(func=run_retrieve)


def _limit(text: str) -> int:
    if not ascii_digits(text) or not 1 <= int(text) <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number from 1 to {MAX_LIMIT}")
    return int(text)


def run_search(args: argparse.Namespace) -> int:
    text = " ".join(args.query)
    if args.raw and args.index:
        raise UsageError("search: --raw and --index don't go together")
    query = SearchQuery(text, index=args.index or DEFAULT_INDEX, raw=args.raw)
    targets = open_targets(args.account)
    target = targets.require(args.target)
    secret = secret_for(Vault(targets.account), target, args.secret_env)
    shown = 0
    total = 0
    with open_client(target, secret) as client:
        start: int | None = 1
        while start is not None and shown < args.limit:
            try:
                page = client.search(query, start=start, count=args.limit - shown)
            except TargetError as error:
                print(f"exportdesk: error: {error.message}", file=sys.stderr)
                return 1
            total = page.total
            for hit in page.hits[: args.limit - shown]:
                _print_hit(hit, args.json)
                shown += 1
            start = page.next_start
    if args.json:
        print(json.dumps({"summary": {"total": total, "shown": shown}}))
    else:
        print(f"Showing {shown} of {total} in {target.describe()}.")
    return 0


def _print_hit(hit: Hit, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(hit.as_json(), ensure_ascii=False) + "\n")
    else:
        extra = " / ".join(p for p in (hit.author, hit.date) if p)
        print(f"{hit.position:>4}  {hit.id:<14} {hit.title}{'  — ' + extra if extra else ''}")
    sys.stdout.flush()


def run_retrieve(args: argparse.Namespace) -> int:
    targets = open_targets(args.account)
    target = targets.require(args.target)
    secret = secret_for(Vault(targets.account), target, args.secret_env)
    errors: list[dict[str, str]] = []
    ids = list(dict.fromkeys(i.strip() for i in args.ids if i.strip()))
    if not ids:
        raise UsageError("retrieve: give the ids of the records")
    with SaveFile.for_account(targets.account) as save_file:
        job = ImportJob(save_file, [], on_duplicate=args.on_duplicate)
        stored: list[int] = []
        with open_client(target, secret) as client:
            broken: TargetError | None = None  # the target itself failed: no use going on
            for record_id in ids:
                if broken is not None:
                    errors.append(_failure(target.name, record_id, broken.problem))
                    continue
                try:
                    record = client.retrieve(record_id)
                except ValueError as problem:  # not an OCLC number
                    errors.append(_failure(target.name, record_id, str(problem)))
                    continue
                except TargetDiagnostic as error:
                    errors.append(_failure(target.name, record_id, error.problem))
                    continue
                except TargetError as error:
                    broken = error
                    errors.append(_failure(target.name, record_id, error.problem))
                    continue
                saved = job.add_record(record)
                if saved is not None:
                    stored.append(saved)
        if args.flag and stored:
            save_file.flag(stored)
    result = job.result
    if args.json:
        print(
            json.dumps(
                {"imported": result.imported, "skipped": result.skipped, "errors": errors},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for failure in errors:
            print(
                f"exportdesk: could not retrieve {failure['id']}: {failure['reason']}",
                file=sys.stderr,
            )
        message = f"Retrieved {result.imported} record{'' if result.imported == 1 else 's'}"
        message += f" ({result.replaced} replacing older copies)" if result.replaced else ""
        message += f" from {target.describe()}"
        message += ", flagged for export." if args.flag and stored else "."
        if result.skipped:
            message += f" Skipped {result.skipped} already in the save file."
        if errors:
            message += f" {len(errors)} could not be retrieved, listed above."
        print(message)
    return 1 if errors else 0


def _failure(target: str, record_id: str, reason: str) -> dict[str, str]:
    return {"target": target, "id": record_id, "reason": reason}
