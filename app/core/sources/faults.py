"""What can go wrong with a target, each as a message that names the target (never a secret)."""

from __future__ import annotations

from app.core.errors import ExportDeskError
from app.core.settings.targets import Target


class TargetError(ExportDeskError):
    """The target failed: unreachable, refused the key, answered what can't be read, or an SRU
    diagnostic. Exit status 1, as for a failed export."""

    exit_status = 1

    def __init__(self, target: Target, problem: str) -> None:
        super().__init__(f"{target.describe()[0].upper()}{target.describe()[1:]}: {problem}")
        self.target = target
        self.problem = problem


class TargetUnreachable(TargetError):
    """No answer: the connection failed or timed out (after the retries)."""


class TargetAuthorization(TargetError):
    """The key or secret was refused, or the key may not do this."""


class TargetDiagnostic(TargetError):
    """The server understood and said no: an SRU diagnostic, a bad query, a record not found."""


class TargetResponseError(TargetError):
    """The answer can't be read (not the XML or JSON the API promises)."""


class TargetCancelled(TargetError):
    """The person (or the command's interrupt) cancelled."""

    exit_status = 130


class MissingSecret(ExportDeskError):
    """A WorldCat target's secret is neither in the keyring nor in the variable named."""
