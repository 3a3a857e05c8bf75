"""What each account uses: its active connection, host, port, logon ID, where each value comes
from, whether a password is stored, and its last export (``exportdesk account report``, and
General > Admin > Account Report in the window)."""

from __future__ import annotations

from typing import Any

from app.core.errors import SecretStoreError
from app.core.export.last_export import last_export
from app.core.settings.account_settings import AccountSettings

REPORTED = ("host", "port", "logon_id")


def account_report(account: AccountSettings, *, with_session: bool = False) -> dict[str, Any]:
    """One account's line of the report: ``{"account", "connection", "host", "port",
    "logon_id", "sources", "password_stored", "last_export"}``. A secret logon ID is null;
    ``password_stored`` is null when the keyring could not be asked. Sources are the layers'
    names (``institution (locked)`` for a locked value), and ``keyring`` for a secret logon
    ID."""
    settings = account.without_secrets(with_session)
    active = settings.active
    secret = bool(active.values.get("logon_id_secret")) and not account.locks.locked(
        active.id, "logon_id"
    )
    sources = {"connection": str(account.active_source(with_session))}
    sources.update({key: str(settings.source_of(key, active)) for key in REPORTED})
    if secret:
        sources["logon_id"] = "keyring"  # this user's own, kept like a password
    try:
        stored: bool | None = account.vault.saved(active.id) is not None
        if with_session and account.vault.in_session(active.id):
            stored = True
    except SecretStoreError:
        stored = None
    last = last_export(account.account)
    return {
        "account": account.account,
        "connection": active.name,
        "host": active.values["host"],
        "port": active.values["port"],
        "logon_id": None if secret else active.values["logon_id"],
        "sources": sources,
        "password_stored": stored,
        "last_export": last.to_json() if last is not None else None,
    }
