"""Errors a user can read: each carries a message meant for a cataloger, never a secret."""

from __future__ import annotations


class ExportDeskError(Exception):
    """Base of every error the window and the command line show as a message, not a traceback."""

    exit_status = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OptionError(ExportDeskError):
    """A setting's value is not acceptable; ``key`` names the setting."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.reason = message


class UsageError(ExportDeskError):
    """The command or request itself is wrong (unknown account, missing argument...)."""


class SettingsFileError(ExportDeskError):
    """A settings file could not be read or written."""


class SecretStoreError(ExportDeskError):
    """The OS keyring refused or failed (locked, access denied...)."""

    exit_status = 1
