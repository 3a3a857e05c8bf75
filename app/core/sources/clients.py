"""Opening a target: the right client for its kind, with its secret.

with open_client(target, secret_for(vault, target, env)) as client:
    page = client.search(SearchQuery("perl"), count=20, cancel=event)
    record = client.retrieve(page.hits[0].id)
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from app.core.marc.readresults import RecordRead
from app.core.settings.secrets import SecretKind, Vault
from app.core.settings.targets import Target, TargetKind
from app.core.sources.faults import MissingSecret
from app.core.sources.hits import SearchPage, SearchQuery
from app.core.sources.retry import RetryPolicy
from app.core.sources.sru import SruClient

if TYPE_CHECKING:  # loaded with the first WorldCat client: bookops-worldcat and requests
    from app.core.sources.worldcat import WorldCatClient


class SourceClient(Protocol):
    target: Target

    def search(
        self,
        query: SearchQuery,
        start: int = 1,
        count: int = 10,
        cancel: threading.Event | None = None,
    ) -> SearchPage: ...

    def retrieve(self, record_id: str, cancel: threading.Event | None = None) -> RecordRead: ...

    def close(self) -> None: ...

    def __enter__(self) -> SourceClient: ...

    def __exit__(self, *exc_info: object) -> None: ...


def secret_for(
    vault: Vault,
    target: Target,
    env_var: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """A WorldCat target's secret: from the variable named (``--secret-env``), else the
    session or the keyring; None for an SRU target. MissingSecret when there is none."""
    if not target.needs_secret:
        return None
    if env_var:
        value = (environ if environ is not None else os.environ).get(env_var)
        if not value:
            raise MissingSecret(f"the environment variable {env_var} is not set or is empty")
        return value
    value = vault.get(target.secret_id, SecretKind.TARGET_SECRET)
    if not value:
        raise MissingSecret(
            f"{target.describe()} has no secret saved; save it with: exportdesk password set "
            f"--account {vault.account} --target '{target.name}' (or give it with --secret-env)"
        )
    return value


def open_client(
    target: Target, secret: str | None, policy: RetryPolicy | None = None
) -> SruClient | WorldCatClient:
    if target.kind is TargetKind.WORLDCAT:
        if not secret:
            raise MissingSecret(f"{target.describe()} needs its secret")
        from app.core.sources.worldcat import WorldCatClient

        return WorldCatClient(target, secret, policy)
    return SruClient(target, policy)
