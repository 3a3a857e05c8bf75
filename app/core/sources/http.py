"""The HTTP part both kinds of target share: the certificate authority, and turning transport
failures into retries or into messages that name the target. SRU goes through kept_alive.py's
GET on a kept-alive connection of its own (requests' work per call cost half the rate of a
search-and-retrieve, and http.client's twice the CPU of kept_alive's: bench/sources.py);
WorldCat through requests, since bookops-worldcat is built on it (abandon.py cancels it)."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app import __version__
from app.core.settings.targets import Target
from app.core.sources.faults import (
    TargetCancelled,
    TargetError,
    TargetResponseError,
    TargetUnreachable,
)
from app.core.sources.kept_alive import BadAnswer
from app.core.sources.retry import (
    RETRY_STATUSES,
    Cancelled,
    Retryable,
    RetryPolicy,
    retry_after,
    with_retries,
)

if TYPE_CHECKING:
    import requests

USER_AGENT = f"ExportDesk/{__version__}"


def verify_for(target: Target) -> str | bool:
    """What requests checks the server's certificate against."""
    return target.ca_file or True


def transport_failure(target: Target, error: Exception) -> Exception:
    """A failure before any answer: retryable, except a certificate that can't be trusted."""
    where = target.address
    # requests is loaded with WorldCat's client only; an SRU failure never needs it.
    import requests

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
    elif isinstance(error, BadAnswer):
        final = TargetUnreachable(target, f"the answer from {where} can't be read: {error}")
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
