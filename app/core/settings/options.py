"""Every export setting, declared once: key, label, group, kind, default, range, help, scope.

The Export Options screen builds its rows from ``OPTIONS``, the command line parses
``KEY=VALUE`` with it, the settings files read and write with it and the checks come from it
(see EXPORT-OPTIONS.md). Adding a setting means adding one entry here.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.errors import OptionError
from app.core.marc.fields import (
    CONTROL_NUMBER_WARNING,
    deletes_control_number,
    parse_field_patterns,
)
from app.core.paths import default_export_path
from app.core.patterns import compile_pattern

# The wire format's one-byte length can say at most 191 (0xFF - 0x40), see PROTOCOL.md.
MAX_FIELD_BYTES = 191

Values = Mapping[str, Any]


class Scope(enum.StrEnum):
    ACCOUNT = "account"  # one value per account
    CONNECTION = "connection"  # one value per named connection


class Kind(enum.StrEnum):
    CHOICE = "choice"
    BOOL = "bool"
    INT = "int"
    TEXT = "text"
    PATH = "path"
    FIELDS = "fields"  # a list of tags and patterns such as 9XX


@dataclass(frozen=True)
class Option:
    key: str
    label: str
    group: str
    kind: Kind
    scope: Scope
    default: Any
    help: str
    choices: tuple[tuple[str, str], ...] = ()  # (value, label shown on screen)
    minimum: int | None = None
    maximum: int | None = None
    unit: str = ""
    max_bytes: int | None = None
    # Whether the setting applies, given the values on screen (account and active connection).
    applies: Callable[[Values], bool] | None = None
    secret_capable: bool = False  # the logon ID may be kept in the keyring instead
    # A check of the text beyond its length (a regular expression must compile).
    checker: Callable[[str, str], None] | None = None
    advanced: bool = False  # shown in the connection's advanced part of the screen

    def default_for(self, values: Values) -> Any:
        """The factory default; a few depend on other values (the file name on the format)."""
        return self.default(values) if callable(self.default) else self.default

    def applies_to(self, values: Values) -> bool:
        return self.applies is None or self.applies(values)

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.choices)

    def accepted(self) -> str:
        """What the setting accepts, in words, for messages."""
        if self.kind is Kind.CHOICE:
            return "one of " + ", ".join(self.choice_values)
        if self.kind is Kind.BOOL:
            return "on or off"
        if self.kind is Kind.INT:
            unit = f" {self.unit}" if self.unit else ""
            return f"a whole number from {self.minimum} to {self.maximum}{unit}"
        if self.kind is Kind.FIELDS:
            return "tags or patterns such as 029 9XX 938, separated by spaces or commas"
        if self.max_bytes:
            return f"text of at most {self.max_bytes} bytes in UTF-8"
        if self.kind is Kind.PATH:
            return "a path, or empty"
        if self.checker is check_pattern:
            return "a regular expression (Python), or empty"
        return "text"

    def parse(self, text: str) -> Any:
        """A value typed on the command line or the screen, checked."""
        text = text.strip()
        if self.kind is Kind.BOOL:
            lowered = text.lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise OptionError(self.key, f"'{text}' is not {self.accepted()}")
        if self.kind is Kind.INT:
            # Only ASCII digits: int() would also take 55_00, other scripts' digits, and
            # isdigit() would pass ² (which int() refuses).
            if not _WHOLE_NUMBER.fullmatch(text):
                raise OptionError(self.key, f"'{text}' is not {self.accepted()}")
            return self.check(int(text))
        if self.kind is Kind.FIELDS:
            return parse_field_patterns(text)
        if self.kind is Kind.CHOICE:  # typed by a person: MARC, Marc and marc are one choice
            text = next((v for v in self.choice_values if v.casefold() == text.casefold()), text)
        return self.check(text)

    def coerce(self, raw: Any) -> Any:
        """A value read from a settings file (JSON types), checked."""
        if self.kind is Kind.BOOL:
            if isinstance(raw, bool):
                return raw
            if isinstance(raw, str):
                return self.parse(raw)
        elif self.kind is Kind.INT:
            if isinstance(raw, int) and not isinstance(raw, bool):
                return self.check(raw)
            if isinstance(raw, str):
                return self.parse(raw)
        elif self.kind is Kind.FIELDS:
            if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
                return parse_field_patterns(" ".join(raw))
            if isinstance(raw, str):
                return parse_field_patterns(raw)
        elif isinstance(raw, str):
            return self.check(raw)
        raise OptionError(self.key, f"{raw!r} is not {self.accepted()}")

    def check(self, value: Any) -> Any:
        """The value itself, alone; checks between settings are in ``check_settings``."""
        if self.kind is Kind.CHOICE and value not in self.choice_values:
            raise OptionError(self.key, f"'{value}' is not {self.accepted()}")
        if self.kind is Kind.INT:
            assert self.minimum is not None and self.maximum is not None
            if not self.minimum <= value <= self.maximum:
                raise OptionError(self.key, f"{value} is not {self.accepted()}")
        if self.max_bytes is not None and len(value.encode("utf-8")) > self.max_bytes:
            size = len(value.encode("utf-8"))
            raise OptionError(
                self.key, f"is {size} bytes in UTF-8; at most {self.max_bytes} can be sent"
            )
        if self.key == "host":
            check_host(value)
        if self.checker is not None:
            self.checker(self.key, value)
        return value

    def to_json(self, value: Any) -> Any:
        return list(value) if self.kind is Kind.FIELDS else value

    def to_text(self, value: Any) -> str:
        if self.kind is Kind.BOOL:
            return "on" if value else "off"
        if self.kind is Kind.FIELDS:
            return " ".join(value)
        return str(value)


_WHOLE_NUMBER = re.compile("[+-]?[0-9]+")
_TRUE = {"on", "true", "yes", "1"}
_FALSE = {"off", "false", "no", "0"}

TCPIP_FORMATS = ("none", "marc")  # receivers parse ISO 2709 only; "none" then means MARC
TCPIP_FORMAT_PROBLEM = "over TCP/IP only MARC 21 can be sent: choose MARC 21, or export to a file"

_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def check_host(host: str) -> None:
    if not host:
        return  # an empty host is checked against the destination in check_settings
    if "://" in host:
        raise OptionError("host", "give the host name alone, without http:// or another scheme")
    try:
        ipaddress.ip_address(host)
        return
    except ValueError:
        pass
    if ":" in host:
        raise OptionError("host", "give the port in Port Number, not after the host name")
    labels = host.rstrip(".").split(".")
    if len(host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise OptionError("host", f"'{host}' is not a valid host name or IP address")


def check_pattern(key: str, pattern: str) -> None:
    """A reply pattern must be a Python regular expression (empty means none)."""
    compile_pattern(key, pattern)


def _default_file_name(values: Values) -> str:
    fmt = values.get("format", "none")
    return str(default_export_path("marc" if fmt == "none" else fmt))


def _is(key: str, expected: Any) -> Callable[[Values], bool]:
    return lambda values: values.get(key) == expected


def _all(*tests: Callable[[Values], bool]) -> Callable[[Values], bool]:
    return lambda values: all(test(values) for test in tests)


_LEVELS = (
    ("none", "None"),
    ("structure", "Structure"),
    ("basic", "Basic"),
    ("full", "Full"),
)
_tcpip = _is("destination", "tcpip")

G_FORMAT = "Export Format"
G_DESTINATION = "Export Destination"
G_DELETE = "Fields to Delete on Export"
G_VALIDATE = "Validate Exported Records"
G_MARK = "Mark for Export and Save Record"
G_CONNECTION = "TCP/IP Connection Options"
G_HOST = "TCP/IP Host Settings"
G_TIMEOUTS = "TCP/IP Timeouts and Retries"
G_USER = "TCP/IP Local System User Information"
G_SECURITY = "Encryption (beyond Connexion)"
G_REPLIES = "Host Replies (beyond Connexion)"

# fmt: off
OPTIONS: tuple[Option, ...] = (
    Option(
        "format", "Flagged Bibliographic Record Export Format", G_FORMAT, Kind.CHOICE,
        Scope.ACCOUNT, "none",
        "Format of exported bibliographic records. None asks at each export of flagged "
        "records. Over TCP/IP only MARC 21 can be sent. Authority records always go as MARC.",
        choices=(
            ("none", "None (ask at export)"),
            ("marc", "MARC 21"),
            ("marcxml", "MARCXML"),
            ("dc-rdf", "Dublin Core (RDF)"),
            ("dc-html", "Dublin Core (HTML)"),
        ),
    ),
    Option(
        "charset", "Character Set", G_FORMAT, Kind.CHOICE, Scope.ACCOUNT, "utf8",
        "Encoding of MARC output (leader/09 'a' for UTF-8, blank for MARC-8). Characters with "
        "no MARC-8 form are written as &#xXXXX; and reported. XML formats are always UTF-8.",
        choices=(("utf8", "UTF-8 (Unicode)"), ("marc8", "MARC-8")),
    ),
    Option(
        "destination", "Export Destination", G_DESTINATION, Kind.CHOICE, Scope.ACCOUNT, "file",
        "Where exports go: a file on this computer, or your local system over TCP/IP.",
        choices=(("file", "File"), ("tcpip", "TCP/IP")),
    ),
    Option(
        "file_name", "Export File Name", G_DESTINATION, Kind.PATH, Scope.ACCOUNT,
        _default_file_name,
        "The file exports are written to (for the File destination). The default is 'export' "
        "with the format's extension in your Documents folder.",
        applies=_is("destination", "file"),
    ),
    Option(
        "file_type", "Export File Type", G_DESTINATION, Kind.CHOICE, Scope.ACCOUNT, "individual",
        "Individual writes each export to a new file (a number keeps earlier files); "
        "Cumulative adds each export to the same file.",
        choices=(("individual", "Individual"), ("cumulative", "Cumulative")),
        applies=_is("destination", "file"),
    ),
    Option(
        "fields_to_delete", "Fields to Delete on Export", G_DELETE, Kind.FIELDS, Scope.ACCOUNT,
        (),
        "Fields removed from the exported copy only (the saved record keeps them): tags and "
        "patterns such as 029 9XX 938, where X stands for any digit.",
    ),
    Option(
        "validate_bib", "Bibliographic Record", G_VALIDATE, Kind.CHOICE, Scope.ACCOUNT, "full",
        "How strictly bibliographic records are checked before export. With Basic or Full, a "
        "record with errors is not exported and stays flagged.",
        choices=_LEVELS,
    ),
    Option(
        "validate_auth", "Authority Record", G_VALIDATE, Kind.CHOICE, Scope.ACCOUNT, "none",
        "How strictly authority records are checked before export. With Basic or Full, a "
        "record with errors is not exported and stays flagged.",
        choices=_LEVELS,
    ),
    Option(
        "mark_for_export", "Mark for Export and Save Record", G_MARK, Kind.BOOL, Scope.ACCOUNT,
        False,
        "On: Export on an open record only flags and saves it, to go with the next Export "
        "Flagged. Off: Export sends it at once.",
    ),
    Option(
        "host", "Host Name", G_CONNECTION, Kind.TEXT, Scope.CONNECTION, "",
        "Host name or IP address of your local system's receiver, without http:// "
        "(for example i-share-network.alma.exlibrisgroup.com).",
        applies=_tcpip,
    ),
    Option(
        "port", "Port Number", G_CONNECTION, Kind.INT, Scope.CONNECTION, 5500,
        "TCP port of the receiver (Alma uses 5500).",
        minimum=1, maximum=65535, applies=_tcpip,
    ),
    Option(
        "permanent_connection", "Permanent Connection", G_HOST, Kind.BOOL, Scope.CONNECTION,
        False,
        "On: keep one connection open across records, reconnecting when the host has closed "
        "it. Off: a new connection for each record.",
        applies=_tcpip,
    ),
    Option(
        "notify_before_disconnect", "Notify Host before Disconnect", G_HOST, Kind.BOOL,
        Scope.CONNECTION, True,
        "On: end each record with an end marker so the host answers at once. Off: signal the "
        "end by closing the sending side of the connection.",
        applies=_tcpip,
    ),
    Option(
        "timeout", "Timeout", G_TIMEOUTS, Kind.INT, Scope.CONNECTION, 90,
        "Longest wait, in seconds, to connect and for the host's reply to each record.",
        minimum=1, maximum=999, unit="seconds", applies=_tcpip,
    ),
    Option(
        "retries", "Retries", G_TIMEOUTS, Kind.INT, Scope.CONNECTION, 3,
        "Extra connection attempts after a failure to connect.",
        minimum=0, maximum=99, applies=_tcpip,
    ),
    Option(
        "delay", "Delay", G_TIMEOUTS, Kind.INT, Scope.CONNECTION, 0,
        "Pause, in seconds, between connection attempts.",
        minimum=0, maximum=999, unit="seconds", applies=_tcpip,
    ),
    Option(
        "send_logon_id", "Send Logon ID", G_USER, Kind.BOOL, Scope.CONNECTION, True,
        "Send the logon ID and password to the local system with each record.",
        applies=_tcpip,
    ),
    Option(
        "logon_id", "Logon ID", G_USER, Kind.TEXT, Scope.CONNECTION, "",
        "Your logon ID on the local system; for Alma, the institution code such as "
        "01CARLI_NETWORK.",
        max_bytes=MAX_FIELD_BYTES, applies=_all(_tcpip, _is("send_logon_id", True)),
        secret_capable=True,
    ),
    Option(
        "logon_id_secret", "Keep the Logon ID secret", G_USER, Kind.BOOL, Scope.CONNECTION,
        False,
        "For receivers whose logon ID is itself a secret (such as FOLIO's API key): the logon "
        "ID is kept in the keyring like the password, masked, never printed.",
        applies=_all(_tcpip, _is("send_logon_id", True)),
    ),
    Option(
        "send_user_id", "Send User ID", G_USER, Kind.BOOL, Scope.CONNECTION, False,
        "Send the user ID to the local system with each record.",
        applies=_tcpip,
    ),
    Option(
        "user_id", "User ID", G_USER, Kind.TEXT, Scope.CONNECTION, "",
        "The user ID the local system expects, if it asks for one.",
        max_bytes=MAX_FIELD_BYTES, applies=_all(_tcpip, _is("send_user_id", True)),
    ),
    Option(
        "use_tls", "Encrypt connection (TLS)", G_SECURITY, Kind.BOOL, Scope.CONNECTION, False,
        "For receivers that accept TLS on the export port (FOLIO's can); the host's "
        "certificate is verified.",
        applies=_tcpip,
    ),
    Option(
        "ca_file", "Certificate authority file", G_SECURITY, Kind.PATH, Scope.CONNECTION, "",
        "Trust this certificate authority (a PEM file) for a receiver with a private "
        "certificate; empty means the system's trusted certificates.",
        applies=_all(_tcpip, _is("use_tls", True)),
    ),
    Option(
        "reply_success_pattern", "Replies that mean success", G_REPLIES, Kind.TEXT,
        Scope.CONNECTION, "",
        "A regular expression (Python, case ignored) searched in the first line of the host's "
        "reply, for a local system whose wording ExportDesk does not know. Tried after the "
        "failure pattern and before the built-in list.",
        applies=_tcpip, checker=check_pattern, advanced=True,
    ),
    Option(
        "reply_failure_pattern", "Replies that mean failure", G_REPLIES, Kind.TEXT,
        Scope.CONNECTION, "",
        "A regular expression (Python, case ignored) searched in the first line of the host's "
        "reply; a match means the host refused the record. Tried first.",
        applies=_tcpip, checker=check_pattern, advanced=True,
    ),
    Option(
        "worldcat_holdings_on_export", "Update WorldCat holdings when a record is exported",
        "WorldCat Holdings (beyond Connexion)", Kind.BOOL, Scope.ACCOUNT, False,
        "On: each record exported with success gets the institution's holdings set in "
        "WorldCat (its OCLC number), through the WorldCat target named below; the result is "
        "journalled beside the export's.",
    ),
    Option(
        "worldcat_holdings_target", "WorldCat target for holdings",
        "WorldCat Holdings (beyond Connexion)", Kind.TEXT, Scope.ACCOUNT, "",
        "The name of the account's WorldCat target (exportdesk target list) whose WSKey sets "
        "the holdings.",
        applies=_is("worldcat_holdings_on_export", True),
    ),
    Option(
        "constant_data", "Add constant data on export", "Constant Data (beyond Connexion)",
        Kind.TEXT, Scope.CONNECTION, "",
        "The name of a constant data template (exportdesk template list) whose fields are "
        "added to the copy sent, after Fields to Delete and before validation; a field the "
        "record has already is not added again. Empty: none. The saved record is unchanged.",
    ),
)
# fmt: on

BY_KEY: dict[str, Option] = {option.key: option for option in OPTIONS}
ACCOUNT_KEYS = tuple(o.key for o in OPTIONS if o.scope is Scope.ACCOUNT)
CONNECTION_KEYS = tuple(o.key for o in OPTIONS if o.scope is Scope.CONNECTION)
PASSWORD_LABEL = "Password"
PASSWORD_HELP = (
    "The password for your logon ID. Saved as your default it goes only into your system's "
    "keyring; saved for the session it is kept in memory until you log off."
)


def option(key: str) -> Option:
    try:
        return BY_KEY[key]
    except KeyError:
        raise OptionError(key, "is not a setting; known settings: " + ", ".join(BY_KEY)) from None


def factory_values(scope: Scope, context: Values | None = None) -> dict[str, Any]:
    """Factory defaults of one scope; ``context`` supplies the values a default depends on."""
    values: dict[str, Any] = {}
    for opt in OPTIONS:
        if opt.scope is scope:
            values[opt.key] = opt.default_for({**values, **(context or {})})
    return values


@dataclass(frozen=True)
class Problem:
    key: str  # the setting, or "password"
    message: str
    connection_id: str | None = None  # for connection settings


def check_settings(
    account_values: Values,
    connections: Mapping[str, Values],
    active_id: str,
    passwords: Mapping[str, str | None] | None = None,
) -> tuple[list[Problem], list[Problem]]:
    """The checks the screen makes before saving: (errors, warnings), each naming its setting.

    ``connections`` maps connection ids to their values; ``passwords`` holds passwords about
    to be saved. Single values were checked when parsed; this checks them again (a settings
    file may hold anything) and checks settings against each other.
    """
    errors: list[Problem] = []
    warnings: list[Problem] = []

    def recheck(values: Values, keys: tuple[str, ...], connection_id: str | None) -> None:
        for key in keys:
            try:
                BY_KEY[key].coerce(BY_KEY[key].to_json(values[key]))
            except OptionError as error:
                errors.append(Problem(key, error.reason, connection_id))

    recheck(account_values, ACCOUNT_KEYS, None)
    tcpip = account_values.get("destination") == "tcpip"
    if tcpip and account_values.get("format") not in TCPIP_FORMATS:
        errors.append(Problem("format", TCPIP_FORMAT_PROBLEM))
    if deletes_control_number(account_values.get("fields_to_delete", ())):
        warnings.append(Problem("fields_to_delete", CONTROL_NUMBER_WARNING))
    for connection_id, values in connections.items():
        recheck(values, CONNECTION_KEYS, connection_id)
        # What a connection needs matters only once it is the one exports go to.
        if connection_id == active_id and tcpip:
            if not values.get("host"):
                errors.append(
                    Problem("host", "enter the host name for TCP/IP export", connection_id)
                )
            if values.get("send_logon_id") and not values.get("logon_id"):
                errors.append(
                    Problem(
                        "logon_id", "enter the logon ID, or turn off Send Logon ID", connection_id
                    )
                )
        ca_file = values.get("ca_file")
        if values.get("use_tls") and ca_file and not Path(ca_file).is_file():
            errors.append(Problem("ca_file", f"no file at {ca_file}", connection_id))
    for connection_id, password in (passwords or {}).items():
        if password and len(password.encode("utf-8")) > MAX_FIELD_BYTES:
            size = len(password.encode("utf-8"))
            errors.append(
                Problem(
                    "password",
                    f"is {size} bytes in UTF-8; at most {MAX_FIELD_BYTES} can be sent",
                    connection_id,
                )
            )
    return errors, warnings
