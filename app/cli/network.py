"""``exportdesk send`` and ``exportdesk receive``: the Connexion TCP/IP export from a shell."""

from __future__ import annotations

import argparse
import json
import os
import signal
import ssl
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from app.core.digits import ascii_digits
from app.core.errors import OptionError, UsageError
from app.core.marc import ReadError, read_records
from app.core.net.receiver import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_REQUEST_BYTES,
    Fault,
    Receiver,
    ReplyStyle,
)
from app.core.net.transport import Outcome, SendResult, TransportSettings, send_records
from app.core.settings.options import BY_KEY
from app.core.settings.secrets import keyring_available, no_keyring_reason, receiver_password

RECORD_TERMINATOR = b"\x1d"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    _register_send(subparsers)
    _register_receive(subparsers)


# --- send --------------------------------------------------------------------------------


def _register_send(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "send",
        help="send MARC records to a local system over Connexion TCP/IP",
        description="Send every record of the files (ISO 2709), one request each, to the "
        "receiver at HOST:PORT, as the Export button does. Exit status: 0 when every "
        "record was exported, 1 otherwise, 2 for bad usage (nothing sent).",
    )
    parser.add_argument("--host", required=True, help="the receiver's host name or address")
    parser.add_argument("--port", required=True, type=_setting("port"))
    parser.add_argument("--logon-id", metavar="ID", help="send this logon ID (field A)")
    parser.add_argument(
        "--password-env",
        metavar="VAR",
        help="send the password held in environment variable VAR (with --logon-id)",
    )
    parser.add_argument("--user-id", metavar="U", help="send this user ID (field U)")
    parser.add_argument(
        "--permanent",
        action="store_true",
        help="keep the connection open across records (Permanent Connection)",
    )
    parser.add_argument(
        "--no-notify",
        action="store_true",
        help="end each request by half-closing instead of NUL (Notify Host before Disconnect off)",
    )
    parser.add_argument(
        "--timeout",
        type=_setting("timeout"),
        default=90,
        metavar="S",
        help="seconds to connect and to wait for each reply (default 90)",
    )
    parser.add_argument(
        "--retries",
        type=_setting("retries"),
        default=3,
        metavar="N",
        help="extra connection attempts after a failure to connect (default 3)",
    )
    parser.add_argument(
        "--delay",
        type=_setting("delay"),
        default=0,
        metavar="S",
        help="seconds between connection attempts (default 0)",
    )
    parser.add_argument("--tls", action="store_true", help="encrypt the connection (TLS)")
    parser.add_argument(
        "--ca-file", metavar="F", help="trust this certificate authority (with --tls)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='one JSON object per record and line: {"index", "outcome", "reply", "attempts", '
        '"reason"}; index counts from 0',
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="ISO 2709 files")
    parser.set_defaults(func=run_send)


def _int_in(low: int, high: int, name: str) -> Callable[[str], int]:
    def convert(text: str) -> int:
        if not ascii_digits(text):
            raise argparse.ArgumentTypeError(f"{name} must be a whole number")
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{name} must be between {low} and {high}")
        return value

    return convert


def _setting(key: str) -> Callable[[str], int]:
    """Parse an option the way the Export Options declare it (one range, one message)."""

    def convert(text: str) -> int:
        try:
            value: int = BY_KEY[key].parse(text)
        except OptionError as error:
            raise argparse.ArgumentTypeError(error.message) from None
        return value

    return convert


def _read_records(files: list[str]) -> list[bytes]:
    """Every record of the files as ISO 2709 (MARCXML and mnemonic files are converted).

    A record that can't be read stops the command before anything is sent.
    """
    records: list[bytes] = []
    for name in files:
        if not Path(name).is_file():
            raise UsageError(f"Can't read {name}: no such file")
        found = 0
        for item in read_records(name):
            if isinstance(item, ReadError):
                where = f"record {item.record}: " if item.record else ""
                raise UsageError(f"{name}: {where}{item.reason}; nothing was sent")
            records.append(item.raw)
            found += 1
        if not found:
            raise UsageError(f"{name}: no MARC records found")
    return records


def _password_from_env(variable: str) -> str:
    value = os.environ.get(variable)
    if value is None:
        raise UsageError(f"The environment variable {variable} is not set.")
    return value


def run_send(args: argparse.Namespace) -> int:
    if args.password_env and args.logon_id is None:
        raise UsageError("--password-env needs --logon-id: the password is sent with it.")
    if args.ca_file and not args.tls:
        raise UsageError("--ca-file needs --tls.")
    password = _password_from_env(args.password_env) if args.password_env else None
    settings = TransportSettings(
        host=args.host,
        port=args.port,
        timeout=float(args.timeout),
        retries=args.retries,
        delay=float(args.delay),
        permanent=args.permanent,
        notify=not args.no_notify,
        use_tls=args.tls,
        ca_file=args.ca_file,
        send_logon_id=args.logon_id is not None,
        logon_id=args.logon_id or "",
        password=password,
        send_user_id=args.user_id is not None,
        user_id=args.user_id or "",
    )
    records = _read_records(args.files)
    counts: dict[Outcome, int] = dict.fromkeys(Outcome, 0)
    for result in send_records(settings, records):
        counts[result.outcome] += 1
        print(_json_line(result) if args.json else _text_line(result, len(records)), flush=True)
    summary = ", ".join(
        f"{n} {outcome.value.replace('_', ' ')}" for outcome, n in counts.items() if n
    )
    print(f"{len(records)} record(s): {summary}", file=sys.stderr)
    return 0 if counts[Outcome.EXPORTED] == len(records) else 1


def _json_line(result: SendResult) -> str:
    return json.dumps(
        {
            "index": result.index,
            "outcome": result.outcome.value,
            "reply": result.reply.text if result.reply is not None else None,
            "attempts": result.attempts,
            "reason": result.reason,
        },
        ensure_ascii=False,
    )


def _text_line(result: SendResult, total: int) -> str:
    what = result.outcome.value.replace("_", " ")
    attempts = f"{result.attempts} attempt{'s' if result.attempts != 1 else ''}"
    line = f"record {result.index + 1} of {total}: {what} ({attempts})"
    if result.reason:
        line += f": {' '.join(result.reason.split())}"
    return line


# --- receive -----------------------------------------------------------------------------


def _register_receive(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "receive",
        help="run ExportDesk's own Connexion receiver, for testing an export set-up",
        description="Receive records as a local system would, writing each accepted record "
        "to its own file DIR/NNNNNN.mrc, until interrupted (Ctrl-C). The first line printed "
        "says where it listens (with --port 0, the port the system chose).",
    )
    parser.add_argument("--port", required=True, type=_int_in(0, 65535, "port"))
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the records")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--logon-id", metavar="ID", help="accept only this logon ID")
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument(
        "--password-env", metavar="VAR", help="accept only the password in environment variable VAR"
    )
    secret.add_argument(
        "--password-keyring",
        action="store_true",
        help="accept only the password saved with 'exportdesk password set --receiver ID'",
    )
    parser.add_argument(
        "--style",
        choices=[s.value for s in ReplyStyle],
        default=ReplyStyle.FOLIO.value,
        help="reply like FOLIO (default: socket kept open) or Koha (closed after each reply)",
    )
    parser.add_argument(
        "--fault",
        metavar="MODE",
        help="fail on purpose: refuse, close-before-reply, no-reply, slow[:SECONDS], "
        "error[:TEXT], garbage, close-after:BYTES",
    )
    parser.add_argument(
        "--fault-first",
        type=_int_in(1, 1_000_000, "fault-first"),
        metavar="K",
        help="fail only the first K connections, then work",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        metavar="S",
        help="seconds of silence that end a request or a connection (Koha 5, FOLIO 30)",
    )
    parser.add_argument(
        "--max-bytes",
        type=_int_in(100, 100_000_000, "max-bytes"),
        default=DEFAULT_MAX_REQUEST_BYTES,
        metavar="N",
        help=f"refuse requests over N bytes (default {DEFAULT_MAX_REQUEST_BYTES}): FOLIO style "
        "closes without a reply, as FOLIO does; Koha style answers 'Bad request'",
    )
    parser.add_argument(
        "--max-connections",
        type=_int_in(1, 1000, "max-connections"),
        default=DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help=f"serve at most N connections at once (default {DEFAULT_MAX_CONNECTIONS}); more "
        "wait to be accepted until one ends (1 imitates Koha, which serves one at a time)",
    )
    parser.add_argument("--tls-cert", metavar="F", help="serve TLS with this certificate (PEM)")
    parser.add_argument("--tls-key", metavar="F", help="the certificate's private key (PEM)")
    parser.set_defaults(func=run_receive)


def _receiver_secret(args: argparse.Namespace) -> str | None:
    if (args.password_env or args.password_keyring) and args.logon_id is None:
        raise UsageError("A receiver password needs --logon-id.")
    if args.password_env:
        return _password_from_env(args.password_env)
    if args.password_keyring:
        if not keyring_available():
            raise UsageError(
                f"Can't read the receiver's password for {args.logon_id}: "
                f"{no_keyring_reason()}. Give it with --password-env instead."
            )
        password = receiver_password(args.logon_id)
        if password is None:
            raise UsageError(
                f"No receiver password for {args.logon_id} in the keyring; save one with "
                f"'exportdesk password set --receiver {args.logon_id}', or use --password-env."
            )
        return password
    return None


def _tls_server_context(args: argparse.Namespace) -> ssl.SSLContext | None:
    if not args.tls_cert and not args.tls_key:
        return None
    if not (args.tls_cert and args.tls_key):
        raise UsageError("--tls-cert and --tls-key go together.")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(args.tls_cert, args.tls_key)
    except (OSError, ssl.SSLError) as error:
        raise UsageError(f"Can't use the TLS certificate or key: {error}") from None
    return context


def run_receive(args: argparse.Namespace) -> int:
    password = _receiver_secret(args)
    if args.fault_first and not args.fault:
        raise UsageError("--fault-first needs --fault.")
    fault = Fault.parse(args.fault, args.fault_first) if args.fault else None
    style = ReplyStyle(args.style)
    receiver = Receiver(
        Path(args.out),
        host=args.host,
        port=args.port,
        style=style,
        logon_id=args.logon_id,
        password=password,
        fault=fault,
        idle_timeout=args.idle_timeout,
        max_request_bytes=args.max_bytes,
        max_connections=args.max_connections,
        tls=_tls_server_context(args),
        log=lambda line: print(line, file=sys.stderr, flush=True),
    )
    receiver.bind()
    extras = [f"{style.value}-style replies"]
    if receiver.tls is not None:
        extras.append("TLS")
    if args.logon_id is not None:
        extras.append("logon ID checked" + (", password checked" if password is not None else ""))
    if fault is not None:
        extras.append(f"fault {fault.describe()}")
    print(
        f"Listening on {args.host} port {receiver.port} ({'; '.join(extras)}); "
        f"writing records to {Path(args.out).resolve()}. Ctrl-C stops.",
        flush=True,
    )
    restore = _stop_on_sigterm()
    try:
        receiver.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.stop()
        restore()
    print("Stopped.", file=sys.stderr, flush=True)
    return 0


def _stop_on_sigterm() -> Callable[[], None]:
    """Let SIGTERM stop the receiver as Ctrl-C does (scripts and service managers send it)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        return lambda: None

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt()

    previous = signal.signal(signal.SIGTERM, interrupt)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore
