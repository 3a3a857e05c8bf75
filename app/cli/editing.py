"""Editing records from the command line, their history, and constant data templates.

    exportdesk records show --account ACC --format mrk ID      (in app/cli/records.py)
    exportdesk records edit --account ACC ID --from FILE.mrk [--json]
    exportdesk records history --account ACC ID [--json] [--revision N]
    exportdesk records revert --account ACC ID --to N
    exportdesk records apply-template --account ACC --name NAME [--json] ID...
    exportdesk template list --account ACC [--json]
    exportdesk template add --account ACC --name NAME --from FILE.mrk [--replace]
    exportdesk template remove --account ACC --name NAME

``records edit`` exits 0 when the record was saved, 1 when it was saved with validation errors
(at the account's level for its type, listed as ``validate`` lists them), 2 when nothing was
saved (the text does not parse, no such record...). Text unchanged from ``records show
--format mrk`` leaves the record's bytes exactly as they were.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.cli.record_args import account_option, open_save_file, record_id
from app.core.errors import UsageError
from app.core.export.constant_data import all_templates, find_template
from app.core.marc.iso2709 import parse_record
from app.core.marc.mrk import TextError, record_text, text_to_record
from app.core.marc.record import StructureError
from app.core.marc.summary import summarize
from app.core.settings.account_settings import AccountSettings
from app.core.settings.accounts import require_known_account
from app.core.store.history import (
    SOURCE_NAMES,
    changed_since_export,
    revert,
    revision_raw,
    revisions,
    save_record,
)
from app.core.store.savefile import RecordNotFound, SaveFile
from app.core.store.templates import (
    Template,
    add_template,
    apply_template,
    get_template,
    remove_template,
)
from app.core.validation.run import AccountLevels
from app.core.validation.stored import stored_validation
from app.core.validation.validator import validate_record


def register(subparsers: Any) -> None:
    """``exportdesk template``: the account's constant data templates."""
    template = subparsers.add_parser(
        "template",
        help="list, add or remove constant data templates (fields added to records)",
        description="Constant data: named templates of fields (a 949 for the local system's "
        "import profile, a local 590) added to records with 'records apply-template' or on "
        "export (the connection setting constant_data). The institution file may provide "
        "templates too.",
    )
    actions = template.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list the account's templates")
    account_option(listing)
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(func=run_template_list)
    adding = actions.add_parser("add", help="add a template from a .mrk file of field lines")
    account_option(adding)
    adding.add_argument("--name", required=True, help="the template's name")
    adding.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="FILE.mrk",
        help="field lines in MARC mnemonic text (=949  \\\\$a...; an =LDR line is passed over)",
    )
    adding.add_argument(
        "--replace", action="store_true", help="replace a template of the same name"
    )
    adding.set_defaults(func=run_template_add)
    removing = actions.add_parser("remove", help="remove one of the account's templates")
    account_option(removing)
    removing.add_argument("--name", required=True, help="the template's name")
    removing.set_defaults(func=run_template_remove)


def add_record_actions(actions: Any) -> None:
    """``records edit``, ``history``, ``revert`` and ``apply-template`` (called by
    app/cli/records.py with its group of actions)."""
    editing = actions.add_parser(
        "edit",
        help="replace a record with the MARC text of a file (from records show --format mrk)",
        description="Replace a record with the record a file of MARC mnemonic text describes "
        "(as 'records show --format mrk' prints it). Text left unchanged keeps the record's "
        "bytes; changed fields keep its encoding. The previous version stays in its history. "
        "Exit status 0 when saved, 1 when saved with validation errors, 2 when nothing was "
        "saved.",
    )
    account_option(editing)
    editing.add_argument("id", type=record_id, help="the record's id (from records list)")
    editing.add_argument(
        "--from", dest="source", required=True, metavar="FILE.mrk", help="the text ('-': stdin)"
    )
    editing.add_argument("--json", action="store_true", help='print {"id", "saved", "errors"}')
    editing.set_defaults(func=run_edit)

    history = actions.add_parser("history", help="list a record's earlier versions")
    account_option(history)
    history.add_argument("id", type=record_id, help="the record's id (from records list)")
    history.add_argument(
        "--json", action="store_true", help='print [{"revision", "time", "source"}, ...]'
    )
    history.add_argument(
        "--revision", type=int, metavar="N", help="print revision N as MARC mnemonic text"
    )
    history.set_defaults(func=run_history)

    reverting = actions.add_parser(
        "revert", help="make an earlier version the record's again (a new revision)"
    )
    account_option(reverting)
    reverting.add_argument("id", type=record_id, help="the record's id (from records list)")
    reverting.add_argument(
        "--to", type=int, required=True, metavar="N", help="the revision (records history)"
    )
    reverting.set_defaults(func=run_revert)

    applying = actions.add_parser(
        "apply-template",
        help="add a constant data template's fields to records",
        description="Add the fields of a constant data template (exportdesk template list) to "
        "records; a field a record has already (same tag and content) is not added again.",
    )
    account_option(applying)
    applying.add_argument("--name", required=True, help="the template's name")
    applying.add_argument("--json", action="store_true", help="print what changed as JSON")
    applying.add_argument(
        "ids", nargs="+", type=record_id, metavar="ID", help="record ids (from records list)"
    )
    applying.set_defaults(func=run_apply_template)


def _read_text(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"there is no file {source}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{source} is not UTF-8 text") from None
    except OSError as problem:
        raise UsageError(f"{source} could not be read ({problem.strerror})") from None


def show_mrk(save_file: SaveFile, record_id: int) -> str:
    """``records show --format mrk``: the record as the editor shows it."""
    raw = save_file.get_raw(record_id)
    try:
        return record_text(raw)
    except StructureError as problem:
        raise UsageError(f"record {record_id} can't be shown: {problem}") from problem


def run_edit(args: argparse.Namespace) -> int:
    account = require_known_account(args.account)
    text = _read_text(args.source)
    with SaveFile.for_account(account) as save_file:
        original = save_file.get_raw(args.id)
        try:
            edited = text_to_record(text, original)
        except TextError as problem:
            if args.json:
                errors = [
                    {"line": error.line, "severity": "error", "message": error.message}
                    for error in problem.errors
                ]
                print(json.dumps({"id": args.id, "saved": False, "errors": errors}, indent=2))
            raise UsageError(f"record {args.id} was not saved: {problem.message}") from None
        changed = edited.changed and save_record(save_file, args.id, edited.raw, "editor")
        levels = AccountLevels.from_options(AccountSettings(account).effective().options)
        kind = summarize(parse_record(edited.raw)).record_type
        level = levels.for_type(kind)
        messages = []
        if level != "none":
            result = validate_record(edited.raw, level)
            save_file.set_validations([stored_validation(args.id, result, level)])
            messages = result.errors
    for char in edited.replaced:
        print(
            f"exportdesk: note: U+{ord(char):04X} has no MARC-8 form; it was written as "
            f"&#x{ord(char):04X};",
            file=sys.stderr,
        )
    if args.json:
        line = {
            "id": args.id,
            "saved": True,
            "changed": changed,
            "level": level,
            "errors": [message.to_json() for message in messages],
        }
        print(json.dumps(line, ensure_ascii=False, indent=2))
    else:
        print(f"Saved record {args.id}." if changed else f"Record {args.id} is unchanged.")
        for message in messages:
            print(f"  {message.severity:<8} {message.tag:<4} {message.message}")
        if messages:
            print(
                f"It has validation errors at level {level}: an export at that level holds it back."
            )
    return 1 if messages else 0


def run_history(args: argparse.Namespace) -> int:
    with open_save_file(args.account) as save_file:
        found = revisions(save_file, args.id)
        if args.revision is not None:
            raw = revision_raw(save_file, args.id, args.revision)
            try:
                print(record_text(raw), end="")
            except StructureError as problem:
                raise UsageError(f"revision {args.revision} can't be shown: {problem}") from None
            return 0
        changed = changed_since_export(save_file, args.id)
    if args.json:
        print(json.dumps([item.to_json() for item in found], indent=2))
        return 0
    for item in found:
        when = item.time.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        mark = "  (current)" if item.current else ""
        print(f"{item.revision:>4}  {when}  {SOURCE_NAMES[item.source]}{mark}")
    if changed:
        print("Changed since it was last exported.")
    return 0


def run_revert(args: argparse.Namespace) -> int:
    with open_save_file(args.account) as save_file:
        if save_file.missing([args.id]):
            raise RecordNotFound([args.id])
        if revert(save_file, args.id, args.to):
            now = revisions(save_file, args.id)[-1].revision
            print(f"Record {args.id} is revision {args.to} again (saved as revision {now}).")
        else:
            print(f"Record {args.id} is the same as revision {args.to} already; nothing changed.")
    return 0


def run_apply_template(args: argparse.Namespace) -> int:
    with open_save_file(args.account) as save_file:
        template = find_template(save_file, args.name)
        result = apply_template(save_file, args.ids, template)
    if args.json:
        print(json.dumps({"template": template.name, **result.to_json()}, indent=2))
        return 0
    print(
        f"Added the constant data '{template.name}' to {_count(len(result.changed))}"
        + (f"; {_count(len(result.unchanged))} had it already." if result.unchanged else ".")
    )
    if result.unreadable:
        shown = ", ".join(str(i) for i in result.unreadable)
        print(f"exportdesk: note: not records that can be read, left as they were: {shown}",
              file=sys.stderr)  # fmt: skip
    return 0


def _count(number: int) -> str:
    return f"{number} record{'' if number == 1 else 's'}"


def run_template_list(args: argparse.Namespace) -> int:
    with open_save_file(args.account) as save_file:
        found = all_templates(save_file)
    if args.json:
        print(json.dumps([t.to_json() for t in found], ensure_ascii=False, indent=2))
        return 0
    if not found:
        print("No templates. Add one with: exportdesk template add --name NAME --from FILE.mrk")
        return 0
    for template in found:
        origin = "  (from the institution file)" if template.origin == "institution" else ""
        print(f"{template.name}{origin}")
        for line in template.text.splitlines():
            print(f"  {line}")
    return 0


def run_template_add(args: argparse.Namespace) -> int:
    text = _read_text(args.source)
    template = Template.from_text(args.name, text)
    with open_save_file(args.account) as save_file:
        add_template(save_file, template, replace=args.replace)
    count = len(template.text_fields)
    print(f"Added the template '{template.name}' ({count} field{'' if count == 1 else 's'}).")
    return 0


def run_template_remove(args: argparse.Namespace) -> int:
    with open_save_file(args.account) as save_file:
        if remove_template(save_file, args.name):
            print(f"Removed the template '{args.name}'.")
            return 0
        if get_template(save_file, args.name) is None and any(
            t.name.casefold() == args.name.strip().casefold() for t in all_templates(save_file)
        ):
            raise UsageError(
                f"the template '{args.name}' comes from the institution file; only its "
                "administrator can remove it"
            )
    raise UsageError(f"the account has no template named '{args.name}'")
