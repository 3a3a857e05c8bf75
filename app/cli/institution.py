"""``exportdesk institution set-url|clear-url|refresh|show``: where this machine's institution
file comes from, for administrators (docs/administrators.md)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from app.cli.common import print_notices
from app.core import paths
from app.core.settings import institution_url
from app.core.settings.institution import load_institution
from app.core.settings.locks import describe_locks


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "institution",
        help="where this machine's institution file comes from (a URL), and what it locks",
        description="The institution file gives every account on the machine its defaults, "
        "connections and locked settings. It is read from, first found: the file "
        f"{paths.INSTITUTION_FILE_ENV} names; the copy cached from the institution URL "
        f"(set here, or by {paths.INSTITUTION_URL_ENV}); the site institution file.",
    )
    commands = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    set_url = commands.add_parser(
        "set-url",
        help="fetch the institution file from this https:// or file: URL (for the machine)",
        description="Set the machine's institution URL: an https:// address on the "
        "consortium's web server, or a file: URL on a shared drive. It is kept beside the "
        "site institution file, for every user of the machine (run as an administrator). "
        "The window fetches the file in the background at start and uses it from the next "
        "start; 'exportdesk institution refresh' fetches it and applies it at once.",
    )
    set_url.add_argument("url", metavar="URL")
    set_url.add_argument(
        "--ca-file",
        type=Path,
        metavar="FILE",
        help="trust only this certificate authority (PEM) for the server, for a server with "
        "a private certificate",
    )
    set_url.set_defaults(func=set_url_command)
    clear = commands.add_parser("clear-url", help="stop using an institution URL on this machine")
    clear.set_defaults(func=clear_url_command)
    refresh = commands.add_parser(
        "refresh",
        help="fetch the institution file from its URL now, and apply it at once",
        description="Fetch the institution file from the URL set, and put it in force at "
        "once. When the server can't be reached, or the file can't be used, the cached copy "
        "stays in force (exit status 1).",
    )
    refresh.set_defaults(func=refresh_command)
    show = commands.add_parser(
        "show", help="which institution file is in force, its contact and what it locks"
    )
    show.add_argument("--json", action="store_true", help="print one JSON object")
    show.set_defaults(func=show_command)


def set_url_command(args: argparse.Namespace) -> int:
    where = institution_url.set_url(args.url, args.ca_file)
    print(f"The institution URL is {args.url.strip()} (kept in {where}).")
    if institution_url.configured() is None:
        print(
            f"Note: {paths.INSTITUTION_FILE_ENV} is set in this environment, so it names the "
            "file in force here instead."
        )
    else:
        print("Fetch it now with: exportdesk institution refresh")
    return 0


def clear_url_command(args: argparse.Namespace) -> int:
    if institution_url.clear_url():
        print("This machine no longer uses an institution URL.")
    else:
        print("No institution URL was set on this machine.")
    return 0


def refresh_command(args: argparse.Namespace) -> int:
    try:
        fetched = institution_url.refresh(at_once=True)
    except institution_url.InstitutionFetchError as error:
        error.message += f". {institution_url.in_force_text()}"
        raise
    change = "changed" if fetched.changed else "unchanged since the last fetch"
    print(f"Fetched the institution file from {fetched.url} ({change}); it applies now.")
    institution = load_institution()
    print_notices()
    if institution.version is None:
        print("Warning: it is not applied: see the message above.")
    return 0


def show_command(args: argparse.Namespace) -> int:
    status = institution_url.status()
    institution = load_institution()
    print_notices()
    exists = status.path.is_file()
    settings = institution.settings
    locks = describe_locks(institution.locks, settings)
    if args.json:
        print(
            json.dumps(
                {
                    "file": str(status.path),
                    "exists": exists,
                    "chosen_by": status.chosen_by,
                    "url": status.url,
                    "ca_file": status.ca_file,
                    "cached": str(status.cached) if status.cached else None,
                    "fetched_waiting": status.waiting,
                    "format_version": institution.version,
                    "contact": institution.contact or None,
                    "locks": locks,
                },
                ensure_ascii=False,
            )
        )
        return 0
    how = {
        "environment": f"named by {paths.INSTITUTION_FILE_ENV}",
        "url": "the copy cached from the institution URL",
        "site": "the site institution file",
    }[status.chosen_by]
    print(f"Institution file: {status.path} ({how}){'' if exists else ' — there is none'}")
    if status.url:
        print(f"Institution URL: {status.url}")
        if status.ca_file:
            print(f"  trusting only: {status.ca_file}")
        if status.cached:
            when = institution_url.cached_time(status.cached)
            print(f"  cached copy: {status.cached}, fetched {when}")
        else:
            print("  not fetched yet: run 'exportdesk institution refresh'")
        if status.waiting:
            print("  a newer copy was fetched in the background: it applies from the next start")
    if institution.version is not None:
        print(f"Format version: {institution.version}")
        print(f"Contact: {institution.contact or '(none given)'}")
        print(f"Connections: {', '.join(c.name for c in settings.connections)}")
        print("Locked:" + ("" if locks else " nothing"))
        for line in locks:
            print(f"  {line}")
    return 0
