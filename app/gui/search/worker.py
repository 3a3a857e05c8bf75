"""The search panel's network work, off the GUI thread: searching a target, retrieving records
into the save file, setting holdings. Each piece of work is a job in a daemon thread with a
cancel event; its result comes back to the GUI thread as a signal carrying the job's number,
so the panel can drop the answer of a job it has given up on (a cancelled search whose server
answers late).

A client is kept per target between jobs (an SRU server's connection stays open from one page
to the next, a WorldCat token is asked for once); a job holds it alone, and a cancelled job
closes its client when it ends instead of giving it back.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.core.errors import ExportDeskError
from app.core.marc.readresults import RecordRead
from app.core.marc.summary import summarize
from app.core.settings.secrets import Vault
from app.core.settings.targets import Target, TargetKind
from app.core.sources.clients import open_client, secret_for
from app.core.sources.faults import TargetDiagnostic, TargetError
from app.core.sources.hits import Hit, SearchPage, SearchQuery
from app.core.sources.sru import SruClient
from app.core.sources.worldcat import HoldingResult, WorldCatClient
from app.core.store.importer import (
    DuplicateDecision,
    DuplicatePolicy,
    DuplicateQuestion,
    ImportJob,
)
from app.core.store.savefile import SaveFile

Client = SruClient | WorldCatClient
# How long closing the window waits for jobs under way (each was told to cancel).
STOP_SECONDS = 2.0


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


class DuplicateAsker(QObject):
    """The duplicate policy "ask": the job's thread puts the question to the GUI thread
    (``asked``) and waits for :meth:`answer`; a cancel answers "skip" for the rest."""

    asked = Signal(object)  # a DuplicateQuestion

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._answered = threading.Event()
        self._decision = DuplicateDecision("skip")
        self._cancelled = False

    def __call__(self, question: DuplicateQuestion) -> DuplicateDecision:
        if self._cancelled:
            return DuplicateDecision("skip", apply_to_all=True)
        self._answered.clear()
        try:
            self.asked.emit(question)
        except RuntimeError:  # the panel is gone
            return DuplicateDecision("skip", apply_to_all=True)
        self._answered.wait()
        return self._decision

    def answer(self, decision: DuplicateDecision) -> None:
        self._decision = decision
        self._answered.set()

    def cancel(self) -> None:
        self._cancelled = True
        self.answer(DuplicateDecision("skip", apply_to_all=True))


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


class Jobs(QObject):
    """Starts jobs and hands their results to the GUI thread."""

    finished = Signal(int, object)  # the job's number, its result
    failed = Signal(int, str)  # the job's number, a message naming the target
    ended = Signal(int)  # the job's number, last of all, however it ended

    def __init__(self, vault: Vault, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.clients = Clients(vault)
        self._numbers = itertools.count(1)
        self._running: dict[int, tuple[threading.Thread, threading.Event]] = {}
        self._lock = threading.Lock()
        self.ended.connect(self._forget)

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._running)

    def start(self, target: Target, work: Callable[[Client, threading.Event], Any]) -> int:
        """Run ``work(client, cancel)`` with the target's client in a thread of its own."""
        number = next(self._numbers)
        cancel = threading.Event()
        thread = threading.Thread(
            target=self._run,
            args=(number, target, work, cancel),
            name=f"exportdesk-search-{number}",
            daemon=True,
        )
        with self._lock:
            self._running[number] = (thread, cancel)
        thread.start()
        return number

    def cancel(self, number: int) -> None:
        with self._lock:
            held = self._running.get(number)
        if held is not None:
            held[1].set()

    def _run(
        self,
        number: int,
        target: Target,
        work: Callable[[Client, threading.Event], Any],
        cancel: threading.Event,
    ) -> None:
        client: Client | None = None
        try:
            try:
                client = self.clients.take(target)
                result = work(client, cancel)
            except BaseException as error:  # shown as a message, never a traceback
                if client is not None:
                    self.clients.give_back(target, client, reusable=False)
                    client = None
                self._emit(self.failed, number, failure_message(target, error))
            else:
                self._emit(self.finished, number, result)
            finally:
                if client is not None:
                    self.clients.give_back(target, client, reusable=not cancel.is_set())
        finally:
            self._emit(self.ended, number)

    @staticmethod
    def _emit(signal: Any, *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the panel is gone (the window closed)
            signal.emit(*args)

    def _forget(self, number: int) -> None:
        with self._lock:
            held = self._running.pop(number, None)
        if held is not None:
            held[0].join(STOP_SECONDS)  # it emitted ``ended`` last: at once

    def shutdown(self) -> None:
        """Cancel every job, wait a little for them, and close the clients. A job still
        waiting for an answer then ends by itself (its thread is a daemon)."""
        with self._lock:
            running = list(self._running.values())
        for _, cancel in running:
            cancel.set()
        for thread, _ in running:
            thread.join(STOP_SECONDS / max(len(running), 1))
        self.clients.close()


# -- the work (in the job's thread) ---------------------------------------------------------


def search_work(
    query: SearchQuery, start: int, count: int
) -> Callable[[Client, threading.Event], SearchPage]:
    def work(client: Client, cancel: threading.Event) -> SearchPage:
        return client.search(query, start=start, count=count, cancel=cancel)

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
    on_duplicate: DuplicatePolicy,
    flag: bool,
) -> Callable[[Client, threading.Event], StoreResult]:
    """Retrieve each hit's record and store it through the import's path (each record in a
    transaction of its own, the duplicate policy deciding), flagging when asked. An SRU hit
    that came with its whole record is stored as it came; other hits are retrieved by id."""

    def work(client: Client, cancel: threading.Event) -> StoreResult:
        result = StoreResult(flag=flag)
        with SaveFile(save_file_path) as save_file:
            job = ImportJob(save_file, [], on_duplicate=on_duplicate, cancel=cancel)
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


def holdings_work(
    action: str, numbers: Sequence[str]
) -> Callable[[Client, threading.Event], list[HoldingResult]]:
    def work(client: Client, cancel: threading.Event) -> list[HoldingResult]:
        if not isinstance(client, WorldCatClient):
            raise TargetError(client.target, "only WorldCat targets keep holdings")
        results: list[HoldingResult] = []
        for number in numbers:
            if cancel.is_set():
                break
            results.append(client.holdings("set" if action == "set" else "unset", number, cancel))
        return results

    return work
