"""``exportdesk target`` and ``exportdesk holdings``: an account's targets (WorldCat, SRU
servers) and the institution's WorldCat holdings.

    exportdesk target list --account ACC [--json]
    exportdesk target add --account ACC --name NAME --kind worldcat --key CLIENT_ID
                          [--api-url URL] [--oauth-url URL] [--scope SCOPE]
    exportdesk target add --account ACC --name NAME --kind sru --url URL
                          [--version 1.1|1.2|2.0] [--schema S] [--index NAME=CQL_INDEX]...
    exportdesk target remove --account ACC --name NAME
    exportdesk holdings set|unset --account ACC --target NAME [--json] [--secret-env VAR] OCLC...

The secret of a WorldCat target goes into the keyring with ``exportdesk password set
--account ACC --target NAME`` (standard input), never on the command line. ``holdings``
exits 0 when every number succeeded, 1 when any failed (each is listed), 2 for bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.cli.common import print_notices
from app.core.errors import UsageError
from app.core.settings.accounts import require_known_account
from app.core.settings.secrets import SecretKind, Vault
from app.core.settings.targets import (
    KIND_NAMES,
    SRU_INDEX_DEFAULTS,
    SRU_VERSIONS,
    Target,
    TargetKind,
    Targets,
    make_target,
)
from app.core.sources.clients import secret_for
from app.core.sources.faults import TargetError
from app.core.sources.holdings import HoldingResult
from app.core.sources.worldcat import WorldCatClient


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "target",
        help="list, add or remove the places an account searches (WorldCat, SRU servers)",
        description="Targets are where 'exportdesk search' and 'retrieve' look for records: "
        "WorldCat (the Metadata API, with the library's WSKey) or a catalogue's SRU server.",
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list the account's targets")
    account_option(listing)
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(func=run_list)

    add = actions.add_parser("add", help="add a target")
    account_option(add)
    add.add_argument("--name", required=True, help="the target's name, e.g. WorldCat or LoC")
    add.add_argument("--kind", required=True, choices=[str(k) for k in TargetKind])
    add.add_argument("--key", help="worldcat: the WSKey's client id")
    add.add_argument("--api-url", help="worldcat: the Metadata API's base URL (default OCLC's)")
    add.add_argument(
        "--oauth-url",
        help="worldcat: the OAuth server's base URL; the token endpoint is BASE/token "
        "(default OCLC's)",
    )
    add.add_argument(
        "--scope",
        help="worldcat: the token's scope (default WorldCatMetadataAPI; a consortium's key "
        "needs 'WorldCatMetadataAPI context:REGISTRY_ID')",
    )
    add.add_argument("--url", help="sru: the server's base URL")
    add.add_argument("--version", choices=SRU_VERSIONS, help="sru: the SRU version (default 1.2)")
    add.add_argument("--schema", help="sru: the record schema (default marcxml)")
    add.add_argument(
        "--index",
        action="append",
        default=[],
        metavar="NAME=CQL_INDEX",
        help=f"sru: the server's index for one of {', '.join(SRU_INDEX_DEFAULTS)} "
        "(e.g. isbn=bib.isbn); repeat for more",
    )
    add.add_argument("--ca-file", help="trust this certificate authority (a PEM file)")
    add.add_argument("--timeout", type=float, help="seconds to wait for an answer (default 30)")
    add.set_defaults(func=run_add)

    remove = actions.add_parser("remove", help="remove a target (and its saved secret)")
    account_option(remove)
    remove.add_argument("--name", required=True, help="the target's name")
    remove.set_defaults(func=run_remove)

    holdings = subparsers.add_parser(
        "holdings",
        help="set or unset the institution's WorldCat holdings on OCLC numbers",
        description="Set or unset the institution's holdings in WorldCat, as Connexion's "
        "Update Holdings did. Exit status 0 when every number succeeded, 1 when any failed.",
    )
    holding_actions = holdings.add_subparsers(title="actions", metavar="ACTION", required=True)
    for action in ("set", "unset"):
        sub = holding_actions.add_parser(action, help=f"{action} holdings")
        account_option(sub)
        target_options(sub)
        sub.add_argument("--json", action="store_true", help="one JSON object per number")
        sub.add_argument("numbers", nargs="+", metavar="OCLC", help="OCLC numbers")
        sub.set_defaults(func=run_holdings, action=action)


def account_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--account", required=True, help="the account, such as 100-123-456")


def target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", required=True, metavar="NAME", help="the target's name")
    parser.add_argument(
        "--secret-env",
        metavar="VAR",
        help="read a WorldCat target's secret from this environment variable instead of the "
        "keyring (for machines without one)",
    )


def open_targets(account: str) -> Targets:
    targets = Targets(require_known_account(account))
    print_notices()
    return targets


def run_list(args: argparse.Namespace) -> int:
    targets = open_targets(args.account)
    vault = Vault(targets.account)
    rows = []
    for target in targets.all:
        row = {**target.as_json(), "origin": str(target.origin)}
        if target.needs_secret:
            row["secret_saved"] = vault.is_set(target.secret_id, SecretKind.TARGET_SECRET)
        rows.append(row)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    if not rows:
        print(
            f"Account {targets.account} has no targets yet; add one with: exportdesk target "
            "add --account ACC --name NAME --kind sru --url URL"
        )
    for target, row in zip(targets.all, rows, strict=True):
        origin = "  (institution)" if row["origin"] == "institution" else ""
        secret = ""
        if target.needs_secret and not row["secret_saved"]:
            secret = "  (no secret saved)"
        print(f"{target.name:<24} {KIND_NAMES[target.kind]:<9} {target.address}{origin}{secret}")
    return 0


def run_add(args: argparse.Namespace) -> int:
    targets = open_targets(args.account)
    kind = TargetKind(args.kind)
    data: dict[str, Any] = {"name": args.name, "kind": args.kind}
    worldcat = {"key": args.key, "api_url": args.api_url, "oauth_url": args.oauth_url}
    worldcat["scope"] = args.scope
    sru = {"url": args.url, "version": args.version, "schema": args.schema}
    mine, other = (worldcat, sru) if kind is TargetKind.WORLDCAT else (sru, worldcat)
    wrong = [key for key, value in other.items() if value is not None]
    if args.index and kind is TargetKind.WORLDCAT:
        wrong.append("index")
    if wrong:
        shown = ", ".join("--" + key.replace("_", "-") for key in wrong)
        raise UsageError(f"target add: {shown} is not for a {KIND_NAMES[kind]} target")
    data.update({key: value for key, value in mine.items() if value is not None})
    if args.index:
        indexes = {}
        for item in args.index:
            name, sep, cql = item.partition("=")
            if not sep or not name.strip() or not cql.strip():
                raise UsageError(f"target add: --index takes NAME=CQL_INDEX, not '{item}'")
            indexes[name.strip()] = cql.strip()
        data["indexes"] = indexes
    if args.ca_file:
        data["ca_file"] = args.ca_file
    if args.timeout is not None:
        data["timeout"] = args.timeout
    target = make_target(data)
    targets.add(target)
    print(f"Added {target.describe()} at {target.address}.")
    if target.needs_secret:
        print(
            f"Save its secret with: exportdesk password set --account {targets.account} "
            f"--target '{target.name}'"
        )
    return 0


def run_remove(args: argparse.Namespace) -> int:
    targets = open_targets(args.account)
    target = targets.remove(args.name)
    Vault(targets.account).forget(target.secret_id, SecretKind.TARGET_SECRET)
    print(f"Removed {target.describe()}.")
    return 0


def worldcat_client(args: argparse.Namespace) -> tuple[Target, WorldCatClient]:
    targets = open_targets(args.account)
    target = targets.require(args.target)
    if target.kind is not TargetKind.WORLDCAT:
        raise UsageError(f"{target.describe()} is not WorldCat: holdings are WorldCat's")
    secret = secret_for(Vault(targets.account), target, args.secret_env)
    assert secret is not None
    return target, WorldCatClient(target, secret)


def run_holdings(args: argparse.Namespace) -> int:
    target, client = worldcat_client(args)
    failed = 0
    broken: TargetError | None = None  # the target itself failed: no use going on
    with client:
        for number in dict.fromkeys(args.numbers):
            if broken is not None:
                result = HoldingResult(number, "failed", broken.message)
            else:
                try:
                    result = client.holdings(args.action, number)
                except TargetError as error:
                    broken = error
                    result = HoldingResult(number, "failed", error.message)
            failed += result.outcome == "failed"
            print_holding(result, args.json)
    if not args.json:
        done = len(dict.fromkeys(args.numbers)) - failed
        print(
            f"Holdings {args.action} on {done} of {len(dict.fromkeys(args.numbers))} in "
            f"{target.describe()}."
        )
    return 1 if failed else 0


def print_holding(result: HoldingResult, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
    else:
        print(f"{result.oclc}: {result.outcome}: {result.message}")
