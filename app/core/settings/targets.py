"""Targets: where an account searches for and retrieves records (WorldCat, SRU servers).

An account's targets are the institution file's ``targets`` (read-only, every account starts
with them) followed by the account's own, kept in a file of their own beside the account's
settings: ``config_dir()/accounts/ACCOUNT.targets.json``. A WorldCat target's secret is never
in either file: it lives in the keyring (:class:`~app.core.settings.secrets.Vault`, kind
``SecretKind.TARGET_SECRET``), one entry per account and target.

A file of the wrong shape is set aside (the account's) or ignored (the institution's) with a
notice, like the other settings files; a single bad target is skipped with a notice.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.core import paths
from app.core.atomicfile import write_atomic
from app.core.errors import UsageError
from app.core.settings.files import WrongShape, add_notice, load_json_file, report_damaged
from app.core.settings.institution import institution_data

FORMAT_VERSION = 1
MAX_NAME_LENGTH = 64

WORLDCAT_API_URL = "https://metadata.api.oclc.org/worldcat"
WORLDCAT_OAUTH_URL = "https://oauth.oclc.org"
WORLDCAT_SCOPE = "WorldCatMetadataAPI"

SRU_VERSIONS = ("1.1", "1.2", "2.0")
SRU_DEFAULT_VERSION = "1.2"
SRU_DEFAULT_SCHEMA = "marcxml"

# The search indexes a cataloger chooses from; ``id`` is how retrieve finds an SRU hit again.
SEARCH_INDEXES = ("oclc", "isbn", "issn", "lccn", "title", "author", "keyword")
# Defaults from the common CQL context sets (Bath, Dublin Core, CQL, rec).
SRU_INDEX_DEFAULTS: dict[str, str] = {
    "oclc": "rec.id",
    "isbn": "bath.isbn",
    "issn": "bath.issn",
    "lccn": "bath.lccn",
    "title": "dc.title",
    "author": "dc.creator",
    "keyword": "cql.serverChoice",
    "id": "rec.id",
}
DEFAULT_TIMEOUT = 30.0


# The account option naming the WorldCat target that sets holdings (on export, and Action >
# Set WorldCat Holdings when it names one).
HOLDINGS_TARGET_KEY = "worldcat_holdings_target"


class TargetKind(enum.StrEnum):
    WORLDCAT = "worldcat"
    SRU = "sru"


KIND_NAMES = {TargetKind.WORLDCAT: "WorldCat", TargetKind.SRU: "SRU"}


class Origin(enum.StrEnum):
    INSTITUTION = "institution"
    ACCOUNT = "account"


@dataclass(frozen=True)
class Target:
    """One place to search. WorldCat: ``key`` (the WSKey's client id), ``api_url``,
    ``oauth_url`` (the OAuth server's base: the token endpoint is BASE/token), ``scope``.
    SRU: ``url``, ``version``, ``schema``, ``indexes`` (only what differs from the
    defaults). ``ca_file`` trusts a private certificate authority; empty means the system's."""

    name: str
    kind: TargetKind
    origin: Origin = Origin.ACCOUNT
    key: str = ""
    api_url: str = WORLDCAT_API_URL
    oauth_url: str = WORLDCAT_OAUTH_URL
    scope: str = WORLDCAT_SCOPE
    url: str = ""
    version: str = SRU_DEFAULT_VERSION
    schema: str = SRU_DEFAULT_SCHEMA
    indexes: Mapping[str, str] = field(default_factory=dict)
    ca_file: str = ""
    timeout: float = DEFAULT_TIMEOUT

    @property
    def secret_id(self) -> str:
        """The keyring entry's part for this target (names are unique, ignoring case)."""
        return self.name.casefold()

    @property
    def needs_secret(self) -> bool:
        return self.kind is TargetKind.WORLDCAT

    @property
    def address(self) -> str:
        return self.api_url if self.kind is TargetKind.WORLDCAT else self.url

    def describe(self) -> str:
        """How messages name it: ``target 'LoC' (SRU)``."""
        return f"target '{self.name}' ({KIND_NAMES[self.kind]})"

    def index(self, name: str) -> str:
        """An SRU target's CQL index for one of SEARCH_INDEXES or ``id``."""
        return self.indexes.get(name) or SRU_INDEX_DEFAULTS[name]

    def as_json(self) -> dict[str, Any]:
        """The file's form (and ``target list --json``); never a secret."""
        data: dict[str, Any] = {"name": self.name, "kind": str(self.kind)}
        if self.kind is TargetKind.WORLDCAT:
            data.update(
                key=self.key, api_url=self.api_url, oauth_url=self.oauth_url, scope=self.scope
            )
        else:
            data.update(url=self.url, version=self.version, schema=self.schema)
            if self.indexes:
                data["indexes"] = dict(self.indexes)
        if self.ca_file:
            data["ca_file"] = self.ca_file
        if self.timeout != DEFAULT_TIMEOUT:
            data["timeout"] = self.timeout
        return data


def check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise UsageError("a target needs a name")
    if len(name) > MAX_NAME_LENGTH:
        raise UsageError(f"a target's name is at most {MAX_NAME_LENGTH} characters")
    if any(ord(ch) < 32 for ch in name):
        raise UsageError("a target's name can't hold control characters")
    return name


def _check_url(what: str, url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{what} must be an http:// or https:// address, not '{url}'")
    return url.rstrip("/")


def make_target(data: Mapping[str, Any], origin: Origin = Origin.ACCOUNT) -> Target:
    """A target from its JSON form (a file, or the command line's options), checked.

    Raises UsageError naming what is wrong; WrongShape for a value of the wrong JSON type.
    """
    for key, value in data.items():
        if key == "indexes":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise WrongShape("'indexes' should hold an object of index names")
        elif key == "timeout":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise WrongShape("'timeout' should hold a number of seconds")
        elif not isinstance(value, str):
            raise WrongShape(f"'{key}' should hold text")
        if "secret" in key.lower() or "password" in key.lower():
            raise UsageError(
                f"'{key}': secrets are never read from files (ExportDesk keeps them in the keyring)"
            )
    name = check_name(str(data.get("name", "")))
    try:
        kind = TargetKind(str(data.get("kind", "")))
    except ValueError:
        raise UsageError(
            f"target '{name}': the kind must be worldcat or sru, not '{data.get('kind', '')}'"
        ) from None
    timeout = float(data.get("timeout", DEFAULT_TIMEOUT))
    if not 0 < timeout <= 999:
        raise UsageError(f"target '{name}': the timeout must be between 0 and 999 seconds")
    common: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "origin": origin,
        "ca_file": str(data.get("ca_file", "")).strip(),
        "timeout": timeout,
    }
    if kind is TargetKind.WORLDCAT:
        key = str(data.get("key", "")).strip()
        if not key:
            raise UsageError(f"target '{name}': a WorldCat target needs its WSKey (--key)")
        scope = str(data.get("scope") or WORLDCAT_SCOPE).strip()
        return Target(
            key=key,
            api_url=_check_url("the API URL", str(data.get("api_url") or WORLDCAT_API_URL)),
            oauth_url=_check_url("the OAuth URL", str(data.get("oauth_url") or WORLDCAT_OAUTH_URL)),
            scope=scope,
            **common,
        )
    url = _check_url(f"target '{name}': the SRU URL", str(data.get("url", "")))
    version = str(data.get("version") or SRU_DEFAULT_VERSION)
    if version not in SRU_VERSIONS:
        raise UsageError(
            f"target '{name}': SRU version must be one of {', '.join(SRU_VERSIONS)}, "
            f"not '{version}'"
        )
    indexes = {str(k): str(v).strip() for k, v in dict(data.get("indexes") or {}).items()}
    unknown = sorted(set(indexes) - set(SRU_INDEX_DEFAULTS))
    if unknown:
        raise UsageError(
            f"target '{name}': unknown index {', '.join(unknown)} (known: "
            f"{', '.join(SRU_INDEX_DEFAULTS)})"
        )
    return Target(
        url=url,
        version=version,
        schema=str(data.get("schema") or SRU_DEFAULT_SCHEMA).strip(),
        indexes={k: v for k, v in indexes.items() if v and v != SRU_INDEX_DEFAULTS[k]},
        **common,
    )


def targets_file(account: str) -> Path:
    return paths.config_dir() / "accounts" / f"{paths.account_slug(account)}.targets.json"


def _read_list(data: Mapping[str, Any], where: Path, origin: Origin) -> list[Target]:
    entries = data.get("targets", [])
    if not isinstance(entries, list):
        raise WrongShape(f"'targets' should hold a list, not {type(entries).__name__}")
    found: list[Target] = []
    for number, entry in enumerate(entries):
        try:
            if not isinstance(entry, dict):
                raise WrongShape(f"targets[{number}] should hold an object describing a target")
            found.append(make_target(entry, origin))
        except (WrongShape, UsageError) as problem:
            reason = problem.message if isinstance(problem, UsageError) else str(problem)
            add_notice(f"In {where}: targets[{number}]: {reason}; that target is ignored.")
    return found


def institution_targets() -> list[Target]:
    data, where = institution_data()
    if not data:
        return []
    try:
        return _read_list(data, where, Origin.INSTITUTION)
    except WrongShape as problem:
        add_notice(f"In {where}: {problem}; it is ignored.")
        return []


def account_targets(account: str) -> list[Target]:
    where = targets_file(account)
    what = f"targets of account {account}"
    data = load_json_file(where, what)
    if data is None:
        return []
    try:
        return _read_list(data, where, Origin.ACCOUNT)
    except WrongShape as problem:
        report_damaged(where, what, str(problem))
        return []


class Targets:
    """One account's targets: the institution's, then its own (a name is unique, ignoring
    case; an account's target of the same name as an institution's is ignored)."""

    def __init__(self, account: str) -> None:
        self.account = account
        self.institution = institution_targets()
        taken = {t.name.casefold() for t in self.institution}
        self.own: list[Target] = []
        for target in account_targets(account):
            if target.name.casefold() in taken:
                add_notice(
                    f"Account {account}'s target '{target.name}' has the name of one the "
                    "institution provides; the institution's is used."
                )
                continue
            taken.add(target.name.casefold())
            self.own.append(target)

    @property
    def all(self) -> list[Target]:
        return [*self.institution, *self.own]

    def find(self, name: str) -> Target | None:
        wanted = name.strip().casefold()
        return next((t for t in self.all if t.name.casefold() == wanted), None)

    def require(self, name: str) -> Target:
        found = self.find(name)
        if found is None:
            known = ", ".join(f"'{t.name}'" for t in self.all) or "none yet"
            raise UsageError(f"no target named '{name}'; account {self.account} has {known}")
        return found

    def add(self, target: Target) -> None:
        if self.find(target.name) is not None:
            raise UsageError(f"there is already a target named '{target.name}'")
        self.own.append(replace(target, origin=Origin.ACCOUNT))
        self.save()

    def remove(self, name: str) -> Target:
        target = self.require(name)
        if target.origin is Origin.INSTITUTION:
            raise UsageError(
                f"target '{target.name}' comes from the institution file; only an "
                "administrator can remove it there"
            )
        self.own = [t for t in self.own if t is not target]
        self.save()
        return target

    def save(self) -> None:
        data = {
            "format_version": FORMAT_VERSION,
            "account": self.account,
            "targets": [t.as_json() for t in self.own],
        }
        write_atomic(targets_file(self.account), json.dumps(data, indent=2) + "\n")
