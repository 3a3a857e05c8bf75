"""Background work: the one runner for everything the window does off the GUI thread (import,
validation, export, Test Connection, the search panel's requests, the editor's check).

A job's work is a plain callable ``work(context) -> result``, run in a thread of its own. It
hands ``context.cancel`` (a ``threading.Event``) to the core, reports progress with
``context.report(item)`` and, when it needs the cataloger, ``context.ask(question, default)``
waits for ``Job.answer``. Everything it says reaches the GUI thread as a signal of its
:class:`Job`::

    runner = JobRunner(self)
    job = runner.start(work, name="import")
    job.progressed.connect(...)   # a list of the items reported since the last delivery
    job.asked.connect(...)        # a question: answer with job.answer(value)
    job.finished.connect(...)     # the work's result
    job.cancelled.connect(...)    # the work's result, when it returned after job.cancel()
    job.failed.connect(...)       # a message for the cataloger: never a traceback
    job.ended.connect(...)        # last of all, however it ended
    ...
    runner.shutdown(seconds)      # closing: cancel every job, wait a bounded time

Jobs start from the GUI thread, and nothing is delivered before its event loop runs again:
connecting right after ``start`` misses nothing. Progress comes in batches, at most every
``batch_seconds``: a signal per record would keep the GUI thread (and the interpreter lock)
busy for nothing. The items reported before a question, or before the end, are delivered
before it.

The threads are daemon threads on purpose: a job that outlasts the bounded wait of
``shutdown`` (a keyring asking to be unlocked) ends by itself and never holds up the exit.
Its news still reaches whoever still listens. A job's QObject lives until its end has been
delivered, then is deleted (deleteLater) in the GUI thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar, cast

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app.core.errors import ExportDeskError

BATCH_SECONDS = 0.05
# The join when a job's end is delivered: its thread has nothing left to do by then.
JOIN_SECONDS = 1.0

log = logging.getLogger(__name__)
T = TypeVar("T")
Work = Callable[["JobContext"], object]
DescribeError = Callable[[BaseException], str]

# Every job from its start until its end is delivered: a job outlives its runner's widget
# when shutdown gives up on it, and its QObject must not be deleted under its thread.
_LIVE: set[Job] = set()


def user_message(error: BaseException) -> str:
    """A failure in words for the cataloger: an ExportDeskError says it itself; anything else
    is named in a line (never a traceback)."""
    if isinstance(error, ExportDeskError):
        return error.message
    first_line = next(iter(str(error).splitlines()), "")[:200]
    name = type(error).__name__
    return (
        f"an unexpected error ({name}: {first_line})"
        if first_line
        else f"an unexpected error ({name})"
    )


class JobContext:
    """The work's side of a job, used in the job's thread (no Qt in sight)."""

    def __init__(self, wake: Callable[[], None], put_question: Callable[[object], None]) -> None:
        self.cancel = threading.Event()  # for the core: it stops at the next record
        self._lock = threading.Lock()
        self._pending: list[object] = []
        self._wake_sent = False
        self._wake = wake
        self._put_question = put_question
        self._answered = threading.Event()
        self._answer: object = None

    @property
    def cancelled(self) -> bool:
        return self.cancel.is_set()

    def report(self, item: object) -> None:
        """Progress: ``item`` reaches the GUI thread in the job's next ``progressed`` batch."""
        with self._lock:
            self._pending.append(item)
            if self._wake_sent:
                return
            self._wake_sent = True
        self._wake()

    def ask(self, question: object, if_cancelled: T) -> T:
        """Put a question to the GUI thread (``Job.asked``) and wait for ``Job.answer``;
        ``if_cancelled`` when the job is cancelled, before or while it waits."""
        with self._lock:
            if self.cancel.is_set():
                return if_cancelled
            self._answered.clear()
        self._put_question(question)
        self._answered.wait()
        with self._lock:
            return if_cancelled if self.cancel.is_set() else cast(T, self._answer)

    # -- from the GUI thread ---------------------------------------------------------------

    def take_pending(self) -> list[object]:
        with self._lock:
            items, self._pending, self._wake_sent = self._pending, [], False
        return items

    def request_cancel(self) -> None:
        with self._lock:
            self.cancel.set()
            self._answered.set()  # a question waiting is answered ``if_cancelled``

    def give_answer(self, answer: object) -> None:
        with self._lock:
            self._answer = answer
            self._answered.set()


class Job(QObject):
    """One piece of work under way; made by :meth:`JobRunner.start`, lives in the GUI thread."""

    progressed = Signal(list)  # the items reported since the last delivery, in order
    asked = Signal(object)  # a question from the work: answer with :meth:`answer`
    finished = Signal(object)  # the work's result
    cancelled = Signal(object)  # the work's result, when it returned after a cancel
    failed = Signal(str)  # the work raised: a message for the cataloger
    ended = Signal()  # last of all, however the job ended
    settled = Signal(object)  # this job, first of all when its end is delivered (the runner)

    # From the job's thread to the GUI thread (queued: the job lives in the GUI thread).
    _wake = Signal()
    _question = Signal(object)
    _done = Signal(str, object)

    def __init__(
        self, work: Work, name: str, describe_error: DescribeError, batch_seconds: float
    ) -> None:
        super().__init__()  # no parent: _LIVE keeps it until its end is delivered
        self.name = name
        self._work = work
        self._describe_error = describe_error
        self._batch_seconds = batch_seconds
        self._last_delivery = 0.0
        self._running = True
        self.context = JobContext(self._wake.emit, self._question.emit)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._deliver)
        self._wake.connect(self._schedule)
        self._question.connect(self._put_question)
        self._done.connect(self._end)
        self._thread = threading.Thread(target=self._run, name=f"exportdesk-{name}", daemon=True)

    @property
    def running(self) -> bool:
        """Until its end has been delivered in the GUI thread."""
        return self._running

    @property
    def cancel_requested(self) -> bool:
        return self.context.cancelled

    def cancel(self) -> None:
        """Ask the work to stop (it stops where the core looks at its cancel event); a
        question waiting for an answer is answered with its ``if_cancelled``."""
        self.context.request_cancel()

    def answer(self, value: object) -> None:
        """The answer to the question the job's ``asked`` signal put."""
        self.context.give_answer(value)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the work has returned (its news may still be on the way); True if it
        has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def start(self) -> None:
        """(The runner's.) Start the work in its thread."""
        _LIVE.add(self)
        self._thread.start()

    # -- in the job's thread ---------------------------------------------------------------

    def _run(self) -> None:
        kind: str
        value: object
        try:
            value = self._work(self.context)
        except BaseException as error:  # the cataloger reads a message, never a traceback
            if not isinstance(error, ExportDeskError):
                log.exception("The job %s stopped", self.name)
            kind, value = "failed", self._describe(error)
        else:
            kind = "cancelled" if self.context.cancelled else "finished"
        self._done.emit(kind, value)  # the last thing the thread does

    def _describe(self, error: BaseException) -> str:
        try:
            return self._describe_error(error)
        except Exception:  # a describer that fails still ends the job
            return user_message(error)

    # -- in the GUI thread -----------------------------------------------------------------

    @Slot()
    def _schedule(self) -> None:
        if self._timer.isActive():
            return
        wait = self._last_delivery + self._batch_seconds - time.monotonic()
        self._timer.start(max(0, round(wait * 1000)))

    @Slot()
    def _deliver(self) -> None:
        self._timer.stop()
        items = self.context.take_pending()
        self._last_delivery = time.monotonic()
        if items:
            self.progressed.emit(items)

    @Slot(object)
    def _put_question(self, question: object) -> None:
        self._deliver()  # what was reported before the question comes first
        self.asked.emit(question)

    @Slot(str, object)
    def _end(self, kind: str, value: object) -> None:
        self._thread.join(JOIN_SECONDS)  # it emitted _done last: at once
        self._deliver()
        self._running = False
        _LIVE.discard(self)
        self.settled.emit(self)
        if kind == "failed":
            self.failed.emit(str(value))
        elif kind == "cancelled":
            self.cancelled.emit(value)
        else:
            self.finished.emit(value)
        self.ended.emit()
        self.deleteLater()


class JobRunner(QObject):
    """Starts jobs and keeps track of those under way, for cancelling and closing."""

    runningChanged = Signal(bool)  # from idle to busy and back

    def __init__(self, parent: QObject | None = None, batch_seconds: float = BATCH_SECONDS) -> None:
        super().__init__(parent)
        self._batch_seconds = batch_seconds
        self._jobs: list[Job] = []
        self._closed = False

    @property
    def running(self) -> int:
        """The number of jobs whose end has not been delivered yet."""
        return len(self._jobs)

    @property
    def jobs(self) -> list[Job]:
        return list(self._jobs)

    def start(
        self, work: Work, *, name: str = "job", describe_error: DescribeError = user_message
    ) -> Job:
        """Run ``work(context)`` in a thread of its own; connect to the job's signals now."""
        if self._closed:
            raise RuntimeError("the job runner has been shut down")
        job = Job(work, name, describe_error, self._batch_seconds)
        job.settled.connect(self._settled)
        self._jobs.append(job)
        job.start()
        if len(self._jobs) == 1:
            self.runningChanged.emit(True)
        return job

    def cancel_all(self) -> None:
        for job in self._jobs:
            job.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait at most ``timeout`` seconds in all for every job's work to return; True when
        they all have (their news may still be on the way)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for job in self.jobs:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            job.wait(left)
        return all(job.wait(0) for job in self._jobs)

    def shutdown(self, timeout: float) -> bool:
        """Closing: cancel every job and wait at most ``timeout`` seconds for them; True when
        all have stopped. The runner forgets them then (``running`` is 0): one that has not
        stopped goes on to its end unwatched (a daemon thread), its signals still reaching
        whoever listens. No job starts afterwards."""
        self._closed = True
        self.cancel_all()
        stopped = self.wait(timeout)
        if self._jobs:
            self._jobs.clear()
            self.runningChanged.emit(False)
        return stopped

    @Slot(object)
    def _settled(self, job: Job) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
            if not self._jobs:
                self.runningChanged.emit(False)
