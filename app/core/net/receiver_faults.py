"""The reference receiver's reply styles and fault modes: the ways a host can fail that a
client must survive (see :mod:`app.core.net.receiver`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from app.core.errors import UsageError

GARBAGE = b"\x8f\xa0\x13~?#%\x02\x7f\xfe\xff 7\x00"  # matches no known reply


class ReplyStyle(enum.StrEnum):
    FOLIO = "folio"  # "Import ok" / "Error: ...", socket kept open, answers once the record is in
    KOHA = "koha"  # Koha's texts, one record per connection, closed after the reply

    @property
    def default_idle_timeout(self) -> float:
        return 5.0 if self is ReplyStyle.KOHA else 30.0


class FaultMode(enum.StrEnum):
    REFUSE = "refuse"  # connections are refused (bound, not listening)
    CLOSE_BEFORE_REPLY = "close-before-reply"  # the record is saved, then the socket closed
    NO_REPLY = "no-reply"  # the record is saved, no reply ever comes
    SLOW = "slow"  # the record is saved, the reply comes after SECONDS
    ERROR = "error"  # nothing saved, an error reply
    GARBAGE = "garbage"  # the record is saved, the reply is bytes no client can classify
    CLOSE_AFTER = "close-after"  # the socket is closed after N bytes of request, nothing saved


@dataclass(frozen=True)
class Fault:
    """A way to fail. ``first``: only the first N connections fail (None: every one)."""

    mode: FaultMode
    seconds: float = 2.0  # slow
    after_bytes: int = 0  # close-after
    text: str = ""  # error: the reason given
    first: int | None = None

    def __post_init__(self) -> None:
        if self.mode is FaultMode.REFUSE and self.first is not None:
            raise UsageError(
                "The 'refuse' fault can't be limited to the first connections: a refused "
                "connection never reaches the receiver to be counted."
            )
        if self.first is not None and self.first < 1:
            raise UsageError("The number of failing connections must be at least 1.")
        if self.seconds < 0 or self.after_bytes < 0:
            raise UsageError("A fault's seconds or bytes can't be negative.")

    @classmethod
    def parse(cls, text: str, first: int | None = None) -> Fault:
        """``MODE[:ARG]``: ``refuse``, ``close-before-reply``, ``no-reply``, ``slow:SECONDS``,
        ``error[:TEXT]``, ``garbage``, ``close-after:BYTES``."""
        name, _, arg = text.partition(":")
        try:
            mode = FaultMode(name.strip().lower())
        except ValueError:
            known = ", ".join(m.value for m in FaultMode)
            raise UsageError(f"Unknown fault mode '{name}': use one of {known}.") from None
        try:
            if mode is FaultMode.SLOW:
                return cls(mode, seconds=float(arg) if arg else 2.0, first=first)
            if mode is FaultMode.CLOSE_AFTER:
                if not arg:
                    raise UsageError("close-after needs a number of bytes: close-after:40")
                return cls(mode, after_bytes=int(arg), first=first)
        except ValueError:
            raise UsageError(f"'{arg}' is not a number for the fault mode {mode}.") from None
        if mode is FaultMode.ERROR:
            return cls(mode, text=arg, first=first)
        if arg:
            raise UsageError(f"The fault mode {mode} takes no value.")
        return cls(mode, first=first)

    def describe(self) -> str:
        detail = {
            FaultMode.SLOW: f" {self.seconds:g} s",
            FaultMode.CLOSE_AFTER: f" {self.after_bytes} bytes",
        }.get(self.mode, "")
        scope = f" (first {self.first} connections)" if self.first else ""
        return f"{self.mode}{detail}{scope}"
