"""ExportDesk's own retries for HTTP targets: at most a few tries within a time budget, waiting
as the server asks (Retry-After) or backing off, and stopping at once when cancelled.

Used by both kinds of target, so WorldCat's 429 and an SRU server's 503 behave alike (the
library under the WorldCat client retries only on some statuses, and only over https)."""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from app.core.digits import ascii_digits

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    tries: int = 3  # in all, the first included
    budget: float = 30.0  # seconds, from the first try to the start of the last
    backoff: float = 1.0  # the first wait when the server names none; doubled each time
    clock: Callable[[], float] = time.monotonic


class Retryable(Exception):
    """One try failed in a way another try may mend; ``wait`` is the server's wish, if any."""

    def __init__(self, message: str, wait: float | None = None, final: Exception | None = None):
        super().__init__(message)
        self.message = message
        self.wait = wait
        self.final = final  # what to raise when no try is left (None: the caller decides)


class Cancelled(Exception):
    pass


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (a number, or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if ascii_digits(value):
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def with_retries(
    attempt: Callable[[], T],
    policy: RetryPolicy,
    cancel: threading.Event | None = None,
    give_up: Callable[[Retryable], Exception] | None = None,
) -> T:
    """``attempt()`` until it returns, raises something other than Retryable, or no try is
    left within the budget; then ``give_up(last)`` is raised (or the last's ``final``)."""
    start = policy.clock()
    delay = policy.backoff
    for number in range(1, policy.tries + 1):
        if cancel is not None and cancel.is_set():
            raise Cancelled
        try:
            return attempt()
        except Retryable as failure:
            last = failure
        wait = last.wait if last.wait is not None else delay
        delay *= 2
        spent = policy.clock() - start
        if number == policy.tries or spent + wait > policy.budget:
            break
        if cancel is None:
            time.sleep(wait)
        elif cancel.wait(wait):
            raise Cancelled
    if give_up is not None:
        raise give_up(last)
    if last.final is not None:
        raise last.final
    raise RuntimeError(last.message)
