"""``exportdesk validate``: check MARC records in files at a validation level.

    exportdesk validate [--level structure|basic|full] [--type auto|bib|auth] [--json] FILE...

Files may be ISO 2709 (binary MARC), MARCXML or MARC mnemonic text; which is found from the
content. Without
``--json`` a short report per record with problems and a summary per file are printed; with
``--json`` one JSON object per record and line, and nothing else, goes to standard output.
Exit status: 1 when a record has an error, 0 otherwise, 2 for bad usage or a file that cannot be
read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import UsageError
from app.core.marc import ReadError, RecordRead, read_records
from app.core.validation.messages import ValidationMessage, ValidationResult
from app.core.validation.validator import validate_record

CLI_LEVELS = ("structure", "basic", "full")


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A record (or the rest of a file) that could not even be separated from its neighbours."""

    reason: str


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check MARC records in files against MARC 21",
        description="Check the MARC records in each FILE (ISO 2709 or MARCXML) against the"
        " MARC 21 bibliographic and authority formats, as an export would.",
    )
    parser.add_argument(
        "--level",
        choices=CLI_LEVELS,
        default="full",
        help="structure: leader, directory, encoding and required fields; basic: plus every"
        " tag, indicator, subfield and fixed-field code; full (default): plus relationships"
        " between them",
    )
    parser.add_argument(
        "--type",
        dest="record_type",
        choices=("auto", "bib", "auth"),
        default="auto",
        help="record type: auto (default; leader/06 z is authority), bib or auth",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per record and line on standard output, nothing else",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="a file of MARC records")
    # It reads no settings: the institution file need not be looked at (app.cli.run_command).
    parser.set_defaults(func=run, reads_settings=False)


def run(args: argparse.Namespace) -> int:
    paths = [Path(name) for name in args.files]
    for path in paths:
        _check_readable(path)
    try:
        return _validate_files(paths, args)
    except BrokenPipeError:
        # The reader of our output went away (``| head``): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _validate_files(paths: list[Path], args: argparse.Namespace) -> int:
    any_error = False
    for path in paths:
        checked = with_errors = with_warnings = 0
        for number, item in _read_records(path):
            result = _validate_item(item, args.level, args.record_type)
            checked += 1
            if result.has_errors:
                with_errors += 1
                any_error = True
            elif result.messages:
                with_warnings += 1
            if args.json:
                _print_json(path, number, result)
            else:
                _print_text(path, number, result)
        if not args.json:
            print(
                f"{path}: {checked} record{'s' if checked != 1 else ''} checked at level"
                f" {args.level}: {with_errors} with errors, {with_warnings} with warnings only."
            )
    return 1 if any_error else 0


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise UsageError(f"The file {path} does not exist.")
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give the MARC files in it instead.")
    if not os.access(path, os.R_OK):
        raise UsageError(f"The file {path} cannot be read (permission denied).")


def _validate_item(item: RecordRead | Unreadable, level: str, record_type: str) -> ValidationResult:
    if isinstance(item, Unreadable):
        kind = "auth" if record_type == "auth" else "bib"
        message = ValidationMessage("LDR", None, None, "error", item.reason)
        return ValidationResult(kind, None, [message])
    # The reader has taken the record apart already: the validator uses its fields.
    return validate_record(item.raw, level, record_type, parsed=item.parsed)


def _print_json(path: Path, number: int, result: ValidationResult) -> None:
    line = {
        "file": str(path),
        "record": number,
        "control_number": result.control_number,
        "type": result.record_type,
        "errors": [message.to_json() for message in result.messages],
    }
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")


def _print_text(path: Path, number: int, result: ValidationResult) -> None:
    if not result.messages:
        return
    errors, warnings = len(result.errors), len(result.warnings)
    counts = ", ".join(
        text
        for count, text in (
            (errors, f"{errors} error{'s' if errors != 1 else ''}"),
            (warnings, f"{warnings} warning{'s' if warnings != 1 else ''}"),
        )
        if count
    )
    control = f"001 {result.control_number}, " if result.control_number else ""
    print(f"{path}: record {number} ({control}{result.record_type}): {counts}")
    for message in result.messages:
        print(f"  {message.severity:<8} {message.tag:<4} {message.message}")


# --- reading files ------------------------------------------------------------------------------
# The one place this command reads records. It will give way to the shared streaming reader
# (app/core/marc) when that lands; until then it keeps damaged ISO 2709 records as raw bytes so
# that their structure errors get reported.


def _read_records(path: Path) -> Iterator[tuple[int, RecordRead | Unreadable]]:
    """Each record of the file with its position, or why it could not be read."""
    for item in read_records(path):
        if isinstance(item, ReadError):
            where = "the rest of the file" if item.record == 0 else "this record"
            yield item.record, Unreadable(f"{where} could not be read: {item.reason}")
        else:
            yield item.number, item
