"""``exportdesk import`` and ``exportdesk records``: the save file from the command line.

    exportdesk import --account ACC [--json] [--on-duplicate replace|keep|skip] FILE...
    exportdesk records list --account ACC [--flagged] [--status S] [--validation V]
                            [--search TEXT] [--json]
    exportdesk records show --account ACC [--format text|mrk] ID
    exportdesk records edit|history|revert|apply-template ...   (app/cli/editing.py)
    exportdesk records flag|unflag|delete --account ACC (ID... | --all)
    exportdesk records validate --account ACC [--level L] [--json] (ID... | --all | --flagged)
    exportdesk records mark-exported --account ACC [--local-id ID] ID...
    exportdesk records recover --account ACC [--json]

Exit status: 0 when everything was done, 1 when some records of the files could not be read
(the others were still imported) or a validated record has errors, 2 for bad usage (an
unknown account or record id...). ``records recover``: 0 when everything was recovered (or
the file is not damaged), 1 when some rows were lost, 2 when nothing could be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import filelock

from app.cli import editing
from app.cli.record_args import account_option, open_save_file, record_id
from app.core.errors import UsageError
from app.core.export.run import ExportBusy
from app.core.export.unsettled import lock_path
from app.core.marc.display import display_text
from app.core.marc.iso2709 import parse_record
from app.core.marc.record import StructureError
from app.core.marc.summary import RECORD_TYPE_NAMES
from app.core.settings.account_settings import AccountSettings
from app.core.settings.accounts import require_known_account
from app.core.store.importer import DUPLICATE_ACTIONS, ImportJob
from app.core.store.recovery import RecoveryReport, recover
from app.core.store.savefile import (
    NOT_EXPORTED,
    NOT_VALIDATED,
    OUTCOME_NAMES,
    OUTCOMES,
    VALIDATION_STATES,
    RecordQuery,
    SaveFile,
)
from app.core.validation.run import (
    ACCOUNT_LEVELS,
    LEVEL_CHOICES,
    AccountLevels,
    RecordValidation,
    ValidationRun,
)

STATUS_CHOICES = (*OUTCOMES, NOT_EXPORTED)
VALIDATION_CHOICES = (*VALIDATION_STATES, NOT_VALIDATED)


def register(subparsers: Any) -> None:
    importing = subparsers.add_parser(
        "import",
        help="import MARC files into an account's save file",
        description="Import MARC records (ISO 2709 in MARC-8 or UTF-8, MARCXML, or MARC "
        "mnemonic .mrk text) into the account's save file. Records that can't be read are "
        "reported and the rest are still imported.",
    )
    account_option(importing)
    importing.add_argument("--json", action="store_true", help="print the result as JSON")
    importing.add_argument(
        "--on-duplicate",
        choices=DUPLICATE_ACTIONS,
        default="skip",
        help="what to do with a record already in the save file (same OCLC number, or same "
        "003 and 001): replace it, keep both, or skip the new one (default: skip)",
    )
    importing.add_argument("files", nargs="+", metavar="FILE", help="files to import")
    importing.set_defaults(func=run_import)

    records = subparsers.add_parser(
        "records",
        help="list, show, flag, unflag or delete the records of a save file",
        description="The records in an account's save file.",
    )
    actions = records.add_subparsers(title="actions", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="list the records")
    account_option(listing)
    listing.add_argument("--flagged", action="store_true", help="only the flagged records")
    listing.add_argument(
        "--status",
        choices=STATUS_CHOICES,
        help="only the records whose last export ended so (not_exported: never sent)",
    )
    listing.add_argument(
        "--validation",
        choices=VALIDATION_CHOICES,
        help="only the records whose last validation found this (not_validated: never"
        " validated, or changed since)",
    )
    listing.add_argument(
        "--search", default="", help="only records whose title or numbers contain this text"
    )
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(func=run_list)

    show = actions.add_parser("show", help="show a record as MARC text")
    account_option(show)
    show.add_argument(
        "--format",
        choices=("text", "mrk"),
        default="text",
        help="text (default): as the window showed records, with ‡ delimiters; mrk: MARC "
        "mnemonic text, as the editor shows it, for 'records edit --from'",
    )
    show.add_argument("id", type=record_id, help="the record's id (from records list)")
    show.set_defaults(func=run_show)

    for name, verb in (("flag", "flag"), ("unflag", "unflag"), ("delete", "delete")):
        action = actions.add_parser(name, help=f"{verb} records")
        account_option(action)
        action.add_argument(
            "ids", nargs="*", type=record_id, metavar="ID", help="record ids (from records list)"
        )
        action.add_argument("--all", action="store_true", help=f"{verb} every record")
        action.set_defaults(func=run_change, action=name)

    validating = actions.add_parser(
        "validate",
        help="validate records and keep what was found with them",
        description="Validate records of the save file against MARC 21, as Action > Validate"
        " in the window does, and store each one's state (valid, warnings, errors) for the"
        " list and the export. Exit status 1 when a record has errors.",
    )
    account_option(validating)
    validating.add_argument(
        "--level",
        choices=LEVEL_CHOICES,
        default=ACCOUNT_LEVELS,
        help="account (default): each record at the account's level for its type (Export"
        " Options, Validate Exported Records); or structure, basic or full for all",
    )
    validating.add_argument(
        "--json", action="store_true", help="one JSON object per record and line, nothing else"
    )
    validating.add_argument(
        "ids", nargs="*", type=record_id, metavar="ID", help="record ids (from records list)"
    )
    which = validating.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="validate every record")
    which.add_argument("--flagged", action="store_true", help="validate the flagged records")
    validating.set_defaults(func=run_validate)

    marking = actions.add_parser(
        "mark-exported",
        help="mark flagged records as exported after finding them in the local system",
        description="Settle flagged records the cataloger found in the local system (an "
        "unconfirmed export that did arrive): each is journalled as exported to 'manual', "
        "its flag cleared, so no export sends it again. Records that are not flagged are "
        "left as they are.",
    )
    account_option(marking)
    marking.add_argument(
        "--local-id",
        metavar="ID",
        help="the record's number in the local system (Alma MMS ID, Koha biblionumber)",
    )
    marking.add_argument(
        "ids", nargs="+", type=record_id, metavar="ID", help="record ids (from records list)"
    )
    marking.set_defaults(func=run_mark_exported)

    recovering = actions.add_parser(
        "recover",
        help="copy every readable record of a damaged save file into a new one",
        description="When the account's save file is damaged (ExportDesk then refuses to "
        "write to it), copy every readable record, with its flag, status, local system id "
        "and journal, into a new save file, and keep the damaged one aside as "
        "NAME.damaged-TIMESTAMP. Records an export was sending become unconfirmed, so no "
        "export sends them again without --include-unconfirmed. Exit status 0 when "
        "everything was recovered, 1 when some rows were lost, 2 when nothing could be read.",
    )
    account_option(recovering)
    recovering.add_argument("--json", action="store_true", help="print the result as JSON")
    recovering.set_defaults(func=run_recover)
    editing.add_record_actions(actions)


def run_import(args: argparse.Namespace) -> int:
    with open_save_file(args.account) as save_file:
        job = ImportJob(save_file, args.files, on_duplicate=args.on_duplicate)
        for _ in job.run():
            pass
    result = job.result
    for warning in result.warnings:
        print(f"exportdesk: note: {warning.describe()}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        for error in result.errors:
            print(f"exportdesk: could not read {error.describe()}", file=sys.stderr)
        message = f"Imported {_count(result.imported)}"
        message += f" ({result.replaced} replacing older copies)." if result.replaced else "."
        if result.skipped:
            message += f" Skipped {result.skipped} already in the save file."
        if result.errors:
            message += f" {_count(len(result.errors), 'problem')} reading, listed above."
        print(message)
    return 1 if result.errors else 0


def _count(number: int, noun: str = "record") -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def run_list(args: argparse.Namespace) -> int:
    query = RecordQuery(
        text=args.search,
        flagged_only=args.flagged,
        status=args.status,
        validation=args.validation,
    )
    with open_save_file(args.account) as save_file:
        rows = save_file.rows(query)
    if args.json:
        listed = [
            {
                "id": row.id,
                "control_number": row.control_number,
                "title": row.title,
                "type": row.record_type,
                "flagged": row.flagged,
                "status": row.status,
                "validation": row.validation_state,
            }
            for row in rows
        ]
        print(json.dumps(listed, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print(
            "No records."
            if not (args.flagged or args.status or args.validation or args.search)
            else "No records match."
        )
        return 0
    print(f"{'ID':>6}  F  {'Number':<15} {'Type':<13} {'Status':<11} Title")
    for row in rows:
        status = OUTCOME_NAMES.get(row.status or "", "")
        kind = RECORD_TYPE_NAMES.get(row.record_type, row.record_type)
        flag = "*" if row.flagged else " "
        print(f"{row.id:>6}  {flag}  {row.number:<15} {kind:<13} {status:<11} {row.title}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    if args.format == "mrk":
        with open_save_file(args.account) as save_file:
            sys.stdout.write(editing.show_mrk(save_file, args.id))
        return 0
    with open_save_file(args.account) as save_file:
        raw = save_file.get_raw(args.id)
    try:
        print(display_text(parse_record(raw)), end="")
    except StructureError as problem:
        raise UsageError(f"record {args.id} can't be shown: {problem}") from problem
    return 0


def run_change(args: argparse.Namespace) -> int:
    if args.all == bool(args.ids):
        raise UsageError(f"records {args.action}: give record ids or --all (not both)")
    with open_save_file(args.account) as save_file:
        if args.all:
            changed = {
                "flag": save_file.flag_all,
                "unflag": save_file.unflag_all,
                "delete": save_file.delete_all,
            }[args.action]()
        else:
            missing = save_file.missing(args.ids)
            if missing:
                noun = "record" if len(missing) == 1 else "records"
                shown = ", ".join(str(i) for i in missing)
                raise UsageError(f"no {noun} with id {shown} in the save file; nothing was changed")
            changed = {
                "flag": save_file.flag,
                "unflag": save_file.unflag,
                "delete": save_file.delete,
            }[args.action](args.ids)
    past = {"flag": "Flagged", "unflag": "Unflagged", "delete": "Deleted"}[args.action]
    print(f"{past} {_count(changed)}.")
    return 0


def run_mark_exported(args: argparse.Namespace) -> int:
    if args.local_id is not None and not args.local_id.strip():
        raise UsageError("records mark-exported: --local-id is empty")
    if args.local_id is not None and len(set(args.ids)) > 1:
        raise UsageError(
            "records mark-exported: --local-id names one record in the local system; give "
            "one record id with it"
        )
    with open_save_file(args.account) as save_file:
        missing = save_file.missing(args.ids)
        if missing:
            noun = "record" if len(missing) == 1 else "records"
            shown = ", ".join(str(i) for i in missing)
            raise UsageError(f"no {noun} with id {shown} in the save file; nothing was changed")
        # Not while an export of the account runs: it may be sending one of these records.
        try:
            with filelock.FileLock(lock_path(save_file), timeout=0):
                flagged = set(save_file.flagged_among(args.ids))
                marked = save_file.mark_exported(
                    args.ids, local_id=args.local_id.strip() if args.local_id else None
                )
        except filelock.Timeout:
            raise ExportBusy(
                "An export of this account is running; mark records when it has finished."
            ) from None
    print(f"Marked {_count(marked)} as exported.")
    passed = [record_id for record_id in dict.fromkeys(args.ids) if record_id not in flagged]
    if passed:
        shown = ", ".join(str(i) for i in passed)
        print(
            f"exportdesk: note: not flagged, left as they were: {shown} (flag a record first "
            "to mark it)",
            file=sys.stderr,
        )
    return 0


def run_recover(args: argparse.Namespace) -> int:
    account = require_known_account(args.account)
    path = SaveFile.path_for(account)
    if not path.exists():
        raise UsageError(f"account {account} has no save file ({path}): nothing to recover")
    # Not while an export of the account runs (run.lock_path: the same file).
    try:
        with filelock.FileLock(path.with_name(path.name + ".export-lock"), timeout=0):
            report = recover(path, account=account)
    except filelock.Timeout:
        raise ExportBusy(
            "An export of this account is running; recover the save file when it has finished."
        ) from None
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_recovery(report)
    return report.exit_status


def _print_recovery(report: RecoveryReport) -> None:
    if not report.damaged:
        print(f"The save file {report.path} passed its check: nothing to recover.")
        return
    problems = "; ".join(report.problems)
    if report.nothing_read:
        print(
            f"exportdesk: nothing could be read from the save file {report.path} ({problems}). "
            "It was left as it is: move it aside to start a new save file.",
            file=sys.stderr,
        )
        return
    print(f"The save file {report.path} was damaged ({problems}).")
    print(f"Recovered {_count(report.records)} into a new save file in its place.")
    print(f"The damaged file is kept as {report.aside}.")
    if report.unconfirmed:
        shown = ", ".join(str(i) for i in report.unconfirmed)
        print(
            f"Unconfirmed now (an export may have sent them; check the local system before "
            f"sending them again): {shown}."
        )
    if report.records_lost or report.rows_lost:
        lost = ", ".join(f"{table} {count}" for table, count in report.lost.items())
        print(
            f"exportdesk: warning: {_count(report.records_lost)} could not be recovered; "
            f"unreadable rows: {lost or 'none'}.",
            file=sys.stderr,
        )


def run_validate(args: argparse.Namespace) -> int:
    if (args.all or args.flagged) == bool(args.ids):
        raise UsageError("records validate: give record ids, --all or --flagged (one of them)")
    account = require_known_account(args.account)
    levels = AccountLevels.from_options(AccountSettings(account).effective().options)
    with SaveFile.for_account(account) as save_file:
        if args.all:
            ids = save_file.ids()
        elif args.flagged:
            ids = save_file.flagged_ids()
        else:
            ids = args.ids
            missing = save_file.missing(ids)
            if missing:
                noun = "record" if len(missing) == 1 else "records"
                shown = ", ".join(str(i) for i in missing)
                raise UsageError(f"no {noun} with id {shown} in the save file")
        run = ValidationRun(save_file, ids, level=args.level, account_levels=levels)
        for outcome in run.run():
            if args.json:
                _print_validation_json(outcome)
            else:
                _print_validation(outcome)
    if not args.json:
        print(run.summary.describe())
    return 1 if run.summary.errors else 0


def _print_validation_json(outcome: RecordValidation) -> None:
    line = {
        "id": outcome.record_id,
        "number": outcome.number,
        "title": outcome.title,
        "type": outcome.record_type,
        "level": outcome.level,
        "state": outcome.state,
        "messages": [message.to_json() for message in outcome.messages],
    }
    if outcome.skipped:
        line["skipped"] = outcome.skipped
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")


def _print_validation(outcome: RecordValidation) -> None:
    number = f" ({outcome.number})" if outcome.number else ""
    if outcome.state is None:
        print(f"record {outcome.record_id}{number}: {outcome.skipped}")
        return
    if not outcome.messages:
        return
    print(f"record {outcome.record_id}{number} {outcome.title}: {outcome.state}")
    for message in outcome.messages:
        print(f"  {message.severity:<8} {message.tag:<4} {message.message}")
