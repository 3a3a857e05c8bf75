"""The HTTP part both kinds of target share: a connection pool per target (connections kept
alive), its certificate authority, and turning transport failures into retries or into
messages that name the target. SRU goes through http.client on a kept-alive connection
(requests' own work per call cost half the rate of a search-and-retrieve, bench/sources.py);
WorldCat through requests, since bookops-worldcat is built on it."""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from app import __version__
from app.core.settings.targets import Target
from app.core.sources.faults import (
    TargetCancelled,
    TargetError,
    TargetResponseError,
    TargetUnreachable,
)
from app.core.sources.retry import (
    RETRY_STATUSES,
    Cancelled,
    Retryable,
    RetryPolicy,
    retry_after,
    with_retries,
)

USER_AGENT = f"ExportDesk/{__version__}"


def verify_for(target: Target) -> str | bool:
    """What requests checks the server's certificate against."""
    return target.ca_file or True


class KeptAlive:
    """GET on one kept-alive connection to a target's host (http.client, as bare as the
    baseline of bench/sources.py: urllib3's own work per request cost a third of the rate).
    A connection the server closed meanwhile is opened again once, at once."""

    def __init__(self, target: Target) -> None:
        parts = urlsplit(target.address)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port
        self.timeout = target.timeout
        self.context = (
            ssl.create_default_context(cafile=target.ca_file or None) if self.https else None
        )
        self._connection: http.client.HTTPConnection | None = None

    def _open(self) -> http.client.HTTPConnection:
        if self.https:
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=self.timeout, context=self.context
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def get(self, path: str) -> tuple[int, str, dict[str, str], bytes]:
        """Status, reason, headers and body; OSError (and http.client's) when it fails."""
        for again in (False, True):
            fresh = self._connection is None
            if self._connection is None:
                self._connection = self._open()
            try:
                self._connection.request("GET", path, headers={"User-Agent": USER_AGENT})
                response = self._connection.getresponse()
                body = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if fresh or again:
                    raise
                continue
            except BaseException:
                self.close()
                raise
            if response.will_close:
                self.close()
            return response.status, response.reason, dict(response.getheaders()), body
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def transport_failure(target: Target, error: Exception) -> Exception:
    """A failure before any answer: retryable, except a certificate that can't be trusted."""
    where = target.address
    if isinstance(error, requests.exceptions.SSLError | ssl.SSLError):
        return TargetUnreachable(
            target,
            f"the server's certificate at {where} could not be verified; if it has a private "
            "certificate authority, give its file to the target (ca_file)",
        )
    if isinstance(error, requests.Timeout | socket.timeout):
        final: TargetError = TargetUnreachable(
            target, f"no answer from {where} within {target.timeout:g} seconds"
        )
    else:
        final = TargetUnreachable(target, f"could not connect to {where} ({_reason(error)})")
    return Retryable(final.problem, final=final)


def _reason(error: Exception) -> str:
    text = str(error)
    for known in ("Connection refused", "Name or service not known", "No route to host"):
        if known in text:
            return known.lower()
    return type(error).__name__


def status_failure(
    target: Target,
    response: requests.Response | None,
    what: str,
    status: int = 0,
    reason: str = "",
    headers: dict[str, str] | None = None,
) -> Retryable | None:
    """A 429 or 5xx: a retry, waiting as Retry-After says; None for any other status."""
    if response is not None:
        status, reason, headers = response.status_code, response.reason, dict(response.headers)
    if status not in RETRY_STATUSES:
        return None
    found = {k.lower(): v for k, v in (headers or {}).items()}.get("retry-after")
    wait = retry_after(found)
    if status == 429:
        problem = f"too many requests ({what}); the server asked to slow down"
    else:
        problem = f"the server failed ({what}: HTTP {status} {reason})"
    return Retryable(problem, wait=wait, final=TargetUnreachable(target, problem))


def call(
    target: Target,
    attempt: Callable[[], Any],
    policy: RetryPolicy,
    cancel: threading.Event | None,
) -> Any:
    try:
        return with_retries(attempt, policy, cancel)
    except Cancelled:
        raise TargetCancelled(target, "cancelled") from None


def malformed(target: Target, what: str, detail: str) -> TargetResponseError:
    return TargetResponseError(target, f"the answer to {what} can't be read: {detail}")
