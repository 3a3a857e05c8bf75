"""The search panel's network work, off the GUI thread: searching a target, retrieving records
into the save file, setting holdings. Each piece of work runs as a job of app/gui/jobs.py
(cancel event, failure message, the duplicate question put to the GUI thread); the panel
drops the answer of a job it has given up on (a cancelled search whose server answers late).

A client is kept per target between jobs (an SRU server's connection stays open from one page
to the next, a WorldCat token is asked for once); a job holds it alone, and a job that failed
or was cancelled closes its client when it ends instead of giving it back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from app.core.errors import ExportDeskError
from app.core.marc.readresults import RecordRead
from app.core.marc.summary import summarize
from app.core.settings.secrets import Vault
from app.core.settings.targets import Target, TargetKind
from app.core.sources.clients import open_client, secret_for
from app.core.sources.faults import TargetDiagnostic, TargetError
from app.core.sources.hits import Hit, SearchPage, SearchQuery
from app.core.sources.holdings import HoldingAction, HoldingResult
from app.core.store.importer import (
    DuplicateAction,
    DuplicateDecision,
    DuplicatePolicy,
    ImportJob,
)
from app.core.store.savefile import SaveFile
from app.gui.jobs import Job, JobContext, JobRunner

R = TypeVar("R")

if TYPE_CHECKING:  # WorldCat's client loads bookops-worldcat and requests: with its first use
    from app.core.sources.sru import SruClient
    from app.core.sources.worldcat import WorldCatClient

    Client = SruClient | WorldCatClient
    TargetWork = Callable[[Client, JobContext], R]  # the work of a job on one target's client
# How long closing the window waits for jobs under way (each was told to cancel).
STOP_SECONDS = 2.0
# A cancel answers the duplicate question this way, for the rest of the records.
SKIP_THE_REST = DuplicateDecision("skip", apply_to_all=True)


def failure_message(target: Target, error: BaseException) -> str:
    """What the panel says when a job fails: always naming the target, never a traceback."""
    if isinstance(error, TargetError):
        return error.message
    if isinstance(error, ExportDeskError):
        text = error.message
        if target.name not in text:
            return f"{_named(target)}: {text}"
        return text[:1].upper() + text[1:]
    return f"{_named(target)}: the request stopped unexpectedly ({type(error).__name__}: {error})"


def _named(target: Target) -> str:
    described = target.describe()
    return described[0].upper() + described[1:]


class Clients:
    """One idle client per target, lent to one job at a time."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self._idle: dict[str, tuple[Target, Client]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def take(self, target: Target) -> Client:
        with self._lock:
            held = self._idle.pop(target.secret_id, None)
        if held is not None:
            if held[0] == target:
                return held[1]
            held[1].close()  # the target was changed meanwhile
        return open_client(target, secret_for(self.vault, target))

    def give_back(self, target: Target, client: Client, reusable: bool) -> None:
        with self._lock:
            if reusable and not self._closed and target.secret_id not in self._idle:
                self._idle[target.secret_id] = (target, client)
                return
        client.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = list(self._idle.values()), {}
        for _, client in idle:
            client.close()


@dataclass
class StoreFailure:
    hit: Hit
    reason: str


@dataclass
class StoreResult:
    """What Save to Local File or Flag for Export did with the hits."""

    flag: bool
    stored: list[int] = field(default_factory=list)  # records added or replaced
    replaced: int = 0
    skipped: list[int] = field(default_factory=list)  # saved copies the new one matched
    flagged: int = 0
    failures: list[StoreFailure] = field(default_factory=list)
    stopped: str = ""  # why the rest was not done: the target failed, or a cancel
    cancelled: bool = False


def start_job(
    runner: JobRunner, clients: Clients, target: Target, work: TargetWork[R], name: str
) -> Job:
    """Run ``work(client, context)`` with the target's client as a job of ``runner``; its
    failure is a message naming the target."""

    def with_client(context: JobContext) -> R:
        client = clients.take(target)
        reusable = False
        try:
            result = work(client, context)
            reusable = not context.cancelled
            return result
        finally:
            clients.give_back(target, client, reusable)

    return runner.start(
        with_client, name=name, describe_error=lambda error: failure_message(target, error)
    )


# -- the work (in the job's thread) ---------------------------------------------------------


def search_work(query: SearchQuery, start: int, count: int) -> TargetWork[SearchPage]:
    def work(client: Client, context: JobContext) -> SearchPage:
        return client.search(query, start=start, count=count, cancel=context.cancel)

    return work


def origin_of(target: Target, hit: Hit) -> str:
    """Where a retrieved record came from, as ``exportdesk retrieve`` writes it."""
    if target.kind is TargetKind.WORLDCAT:
        return f"{target.describe()}, OCLC number {hit.id}"
    return f"{target.describe()}, record {hit.id}"


def store_work(
    target: Target,
    hits: Sequence[Hit],
    save_file_path: Path,
    on_duplicate: str,
    flag: bool,
) -> TargetWork[StoreResult]:
    """Retrieve each hit's record and store it through the import's path (each record in a
    transaction of its own, the duplicate policy deciding: "ask" puts the question to the
    GUI thread), flagging when asked. An SRU hit that came with its whole record is stored as
    it came; other hits are retrieved by id."""

    def work(client: Client, context: JobContext) -> StoreResult:
        cancel = context.cancel
        policy: DuplicatePolicy = (
            (lambda question: context.ask(question, SKIP_THE_REST))
            if on_duplicate == "ask"
            else cast(DuplicateAction, on_duplicate)
        )
        result = StoreResult(flag=flag)
        with SaveFile(save_file_path) as save_file:
            job = ImportJob(save_file, [], on_duplicate=policy, cancel=cancel)
            for hit in hits:
                if cancel.is_set():
                    result.cancelled = True
                    result.stopped = "cancelled"
                    break
                try:
                    record = _record_of(client, target, hit, cancel)
                except ValueError as problem:  # not an OCLC number
                    result.failures.append(StoreFailure(hit, str(problem)))
                    continue
                except TargetDiagnostic as error:
                    result.failures.append(StoreFailure(hit, error.problem))
                    continue
                except TargetError as error:  # the target itself failed: no use going on
                    result.stopped = error.message
                    result.cancelled = cancel.is_set()
                    break
                before = job.result.replaced
                saved = job.add_record(record)
                if saved is not None:
                    result.stored.append(saved)
                    result.replaced += job.result.replaced - before
                    continue
                existing = save_file.newest_duplicate(summarize(record.parsed).duplicate_key)
                if existing is not None:
                    result.skipped.append(existing)
            if flag:
                result.flagged = save_file.flag([*result.stored, *result.skipped])
        return result

    return work


def _record_of(client: Client, target: Target, hit: Hit, cancel: threading.Event) -> RecordRead:
    if hit.record is not None:
        found = hit.record
        return RecordRead(
            found.raw, found.parsed, found.source_format, origin_of(target, hit), 1, 0, found.notes
        )
    return client.retrieve(hit.id, cancel=cancel)


def holdings_work(action: HoldingAction, numbers: Sequence[str]) -> TargetWork[list[HoldingResult]]:
    """Set or unset the holdings on each number, as ``exportdesk holdings`` does: a number
    WorldCat refuses fails alone; once the target itself fails, every number left fails with
    its message (no use going on). A cancel stops before the next number."""

    def work(client: Client, context: JobContext) -> list[HoldingResult]:
        from app.core.sources.worldcat import WorldCatClient  # loaded with the client

        if not isinstance(client, WorldCatClient):
            raise TargetError(client.target, "only WorldCat targets keep holdings")
        results: list[HoldingResult] = []
        broken: TargetError | None = None
        for number in numbers:
            if context.cancelled:
                break
            if broken is not None:
                results.append(HoldingResult(number, "failed", broken.message))
                continue
            try:
                results.append(client.holdings(action, number, context.cancel))
            except TargetError as error:
                if context.cancel.is_set():  # TargetCancelled: the panel gave the job up
                    break
                broken = error
                results.append(HoldingResult(number, "failed", error.message))
        return results

    return work
