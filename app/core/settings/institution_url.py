"""The institution file at a URL: set once per machine, fetched in the background at start,
cached in the user's cache folder, and used from the cache while the server can't be reached.

The URL is an ``https://`` address (a file on the consortium's web server) or a ``file:`` URL
(a shared drive), set with ``exportdesk institution set-url`` (kept in ``institution-url.json``
beside the site institution file) or ``EXPORTDESK_INSTITUTION_URL``. A copy fetched in the
background is put in force at the next start (``put_fetched_in_force``), so settings never
change under a running window; ``exportdesk institution refresh`` fetches and puts it in force
at once. A file that can't be used (not a JSON object, or a newer format locking what this
version does not understand) leaves the cached copy in force, with a notice.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from app.core import paths
from app.core.atomicfile import write_atomic
from app.core.errors import ExportDeskError, SettingsFileError, UsageError
from app.core.settings.files import add_notice
from app.core.settings.institution import refusal

URL_FILE_FORMAT_VERSION = 1
MAX_BYTES = 2 * 1024 * 1024  # far more than any institution file needs
TIMEOUT_SECONDS = 20.0


class InstitutionFetchError(ExportDeskError):
    """The institution file could not be fetched, or what came can't be used."""

    exit_status = 1


@dataclass(frozen=True)
class Fetched:
    url: str
    path: Path  # the cached copy
    changed: bool  # whether it differs from the copy cached before
    in_force: bool  # False: it applies from the next start


def check_url(url: str) -> str:
    """The URL, if ExportDesk can fetch an institution file from it."""
    url = url.strip()
    if "@" in urllib.parse.urlsplit(url).netloc:
        raise UsageError(
            "give the URL without a user name or password: ExportDesk keeps no password in a "
            "file, and the institution file needs none (it holds no secret)"
        )
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme == "https":
        if not urllib.parse.urlsplit(url).hostname:
            raise UsageError(f"'{url}' names no server")
        return url
    if scheme == "file":
        _file_path(url)
        return url
    raise UsageError(
        f"'{url}' is not an https:// or file: URL; give the institution file's address on "
        "a web server (https://...) or on a shared drive (file:///...)"
    )


def set_url(url: str, ca_file: Path | None = None) -> Path:
    """Keep the machine's institution URL beside the site institution file; returns where."""
    url = check_url(url)
    if ca_file is not None:
        if urllib.parse.urlsplit(url).scheme.lower() != "https":
            raise UsageError("--ca-file goes with an https:// URL only")
        ca_file = ca_file.expanduser().resolve()
        if not ca_file.is_file():
            raise UsageError(f"no certificate authority file at {ca_file}")
    body = {
        "format_version": URL_FILE_FORMAT_VERSION,
        "url": url,
        "ca_file": str(ca_file) if ca_file else None,
    }
    where = paths.institution_url_file()
    _write_machine_file(where, json.dumps(body, indent=2) + "\n")
    return where


def clear_url() -> bool:
    """Forget the machine's institution URL; False when none was set."""
    where = paths.institution_url_file()
    try:
        where.unlink()
    except FileNotFoundError:
        return False
    except OSError as error:
        raise SettingsFileError(_machine_file_problem(where, error)) from error
    return True


def _write_machine_file(where: Path, text: str) -> None:
    try:
        write_atomic(where, text)
    except OSError as error:
        raise SettingsFileError(_machine_file_problem(where, error)) from error


def _machine_file_problem(where: Path, error: OSError) -> str:
    reason = error.strerror or error.__class__.__name__
    return (
        f"{where} could not be written ({reason}). It is the machine's setting, for every "
        "user: run the command as an administrator (sudo on Linux and macOS, an elevated "
        "prompt on Windows)."
    )


def configured() -> tuple[str, str | None] | None:
    """(URL, CA file) when an institution URL is in use: set, and not overridden by
    EXPORTDESK_INSTITUTION_FILE."""
    if os.environ.get(paths.INSTITUTION_FILE_ENV):
        return None
    return paths.institution_url()


def fetched_file(url: str) -> Path:
    """A copy fetched in the background, waiting for the next start."""
    cached = paths.institution_cache_file(url)
    return cached.with_name(cached.stem + ".fetched.json")


def put_fetched_in_force() -> bool:
    """At start: the copy the last background fetch brought replaces the cached one."""
    source = configured()
    if source is None:
        return False
    waiting = fetched_file(source[0])
    if not waiting.is_file():
        return False
    try:
        os.replace(waiting, paths.institution_cache_file(source[0]))
    except OSError as error:
        add_notice(
            f"The institution file fetched from {source[0]} could not be put in force "
            f"({error.strerror or error.__class__.__name__}); the copy before it stays."
        )
        return False
    return True


def refresh(*, at_once: bool = True) -> Fetched:
    """Fetch the institution file from the URL set; the cache keeps the copy in force.

    ``at_once``: the new copy is in force at once (``exportdesk institution refresh``);
    otherwise it waits for the next start. Raises InstitutionFetchError (the cached copy
    stays) when the server can't be reached or what comes back can't be used."""
    source = configured()
    if source is None:
        if os.environ.get(paths.INSTITUTION_FILE_ENV):
            raise UsageError(
                f"{paths.INSTITUTION_FILE_ENV} names the institution file in force "
                f"({os.environ[paths.INSTITUTION_FILE_ENV]}); no URL is used while it is set"
            )
        raise UsageError(
            "no institution URL is set: set one with 'exportdesk institution set-url URL' "
            f"(or {paths.INSTITUTION_URL_ENV})"
        )
    url, ca_file = source
    content = fetch(url, ca_file)
    check_content(content, url)
    cached = paths.institution_cache_file(url)
    target = cached if at_once else fetched_file(url)
    try:
        before = cached.read_bytes()
    except OSError:
        before = None
    try:
        write_atomic(target, content)
        if at_once:
            fetched_file(url).unlink(missing_ok=True)
    except OSError as error:
        raise InstitutionFetchError(
            f"The institution file from {url} could not be kept in {target.parent} "
            f"({error.strerror or error.__class__.__name__}); the copy before it stays."
        ) from error
    return Fetched(url, cached, content != before, at_once)


def fetch(url: str, ca_file: str | None = None, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The bytes at ``url`` (https, with the system's trusted authorities or ``ca_file``'s
    alone; or a file: URL)."""
    import ssl  # here: the command line starts without them
    import urllib.error
    import urllib.request

    url = check_url(url)
    if urllib.parse.urlsplit(url).scheme.lower() == "file":
        where = _file_path(url)
        try:
            with where.open("rb") as stream:
                return _limited(stream.read(MAX_BYTES + 1), url)
        except OSError as error:
            reason = error.strerror or error.__class__.__name__
            raise InstitutionFetchError(f"{where} could not be read ({reason})") from error
    try:
        context = ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as error:
        raise InstitutionFetchError(
            f"the certificate authority file {ca_file} could not be used ({error})"
        ) from error
    handlers: list[Any] = [urllib.request.HTTPSHandler(context=context)]
    if _loopback(urllib.parse.urlsplit(url).hostname or ""):
        handlers.append(urllib.request.ProxyHandler({}))  # never through a proxy
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with opener.open(request, timeout=timeout) as response:
            final = response.geturl()
            if urllib.parse.urlsplit(final).scheme.lower() != "https":
                raise InstitutionFetchError(f"{url} redirected to {final}, which is not https")
            return _limited(response.read(MAX_BYTES + 1), url)
    except urllib.error.HTTPError as error:
        error.close()  # it holds the response, and with it the connection
        raise InstitutionFetchError(f"{url} answered {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        cause: object = error.reason
        if isinstance(cause, ssl.SSLCertVerificationError):
            text = f"its certificate could not be verified ({cause.verify_message})"
        else:
            text = str(cause) or cause.__class__.__name__
        raise InstitutionFetchError(f"{url} could not be reached: {text}") from error
    except (OSError, ssl.SSLError) as error:  # a timeout, a connection cut while reading
        text = str(error) or error.__class__.__name__
        raise InstitutionFetchError(f"{url} could not be reached: {text}") from error


def _limited(content: bytes, url: str) -> bytes:
    if len(content) > MAX_BYTES:
        raise InstitutionFetchError(
            f"{url} holds more than {MAX_BYTES} bytes: not an institution file"
        )
    return content


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _file_path(url: str) -> Path:
    import urllib.request

    parts = urllib.parse.urlsplit(url)
    host = parts.netloc
    local = urllib.request.url2pathname(urllib.parse.unquote(parts.path))
    if host and host.lower() != "localhost":
        if os.name != "nt":
            raise UsageError(
                f"'{url}' names another computer ({host}); mount the share and give "
                "file:///path/to/institution.json"
            )
        return Path(f"\\\\{host}{local}")  # a UNC path: \\server\share\institution.json
    if not local:
        raise UsageError(f"'{url}' names no file")
    return Path(local)


def check_content(content: bytes, url: str) -> dict[str, Any]:
    """The fetched file's JSON object, if it is one this version can apply."""
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise InstitutionFetchError(f"the file at {url} is not UTF-8 text") from error
    except json.JSONDecodeError as error:
        raise InstitutionFetchError(
            f"the file at {url} is not valid JSON (line {error.lineno}, column {error.colno})"
        ) from error
    except RecursionError as error:
        raise InstitutionFetchError(f"the file at {url} is nested far too deeply") from error
    if not isinstance(data, dict):
        raise InstitutionFetchError(f"the file at {url} does not hold a JSON object")
    version = data.get("format_version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise InstitutionFetchError(f"the file at {url}: 'format_version' should be a number")
    refused = refusal(data)
    if refused is not None:
        raise InstitutionFetchError(f"the file at {url} can't be used: {refused}")
    return data


def fetch_in_background(done: Callable[[], None] | None = None) -> threading.Thread | None:
    """At the window's start: put the copy fetched last time in force, then fetch a new one
    for the next start, in a thread. Problems become notices; the cached copy stays.
    ``done`` is called (in that thread) once the fetch has ended, either way."""
    if configured() is None:
        return None
    put_fetched_in_force()

    def run() -> None:
        try:
            refresh(at_once=False)
        except ExportDeskError as error:
            add_notice(f"The institution file was not updated: {error.message}. {in_force_text()}")
        finally:
            if done is not None:
                with contextlib.suppress(RuntimeError):  # the window has gone meanwhile
                    done()

    thread = threading.Thread(target=run, name="exportdesk-institution-fetch", daemon=True)
    thread.start()
    return thread


def in_force_text() -> str:
    """Which copy is in force, in a sentence (for a notice after a failed fetch)."""
    source = configured()
    if source is None:
        return ""
    cached = paths.institution_cache_file(source[0])
    if cached.is_file():
        return f"The copy fetched {cached_time(cached)} stays in force."
    return "No copy has been fetched yet, so the site institution file applies, if there is one."


def cached_time(cached: Path) -> str:
    try:
        moment = datetime.fromtimestamp(cached.stat().st_mtime).astimezone()
    except OSError:
        return "earlier"
    return f"on {moment:%Y-%m-%d at %H:%M}"


@dataclass(frozen=True)
class Status:
    """Where the institution file in force comes from, for ``exportdesk institution show``."""

    path: Path  # the file in force (it may not exist)
    chosen_by: str  # "environment", "url", "site"
    url: str | None
    ca_file: str | None
    cached: Path | None
    waiting: bool  # a fetched copy waits for the next start


def status() -> Status:
    in_force = paths.institution_file()
    if os.environ.get(paths.INSTITUTION_FILE_ENV):
        return Status(in_force, "environment", None, None, None, False)
    source = paths.institution_url()
    if source is None:
        return Status(in_force, "site", None, None, None, False)
    url, ca_file = source
    cached = paths.institution_cache_file(url)
    chosen = "url" if in_force == cached else "site"
    return Status(
        in_force,
        chosen,
        url,
        ca_file,
        cached if cached.is_file() else None,
        fetched_file(url).is_file(),
    )
