"""The job runner every background task of the window uses (app/gui/jobs.py)."""

from __future__ import annotations

import threading
import time

import pytest

from app.core.errors import ExportDeskError
from app.gui.jobs import JobContext, JobRunner

LONG = 10_000  # ms, for qtbot
SECONDS = 10  # for the work's own waits: a failing test's job ends anyway


@pytest.fixture
def runner(qtbot):
    runner = JobRunner()
    yield runner
    runner.shutdown(5)


def test_a_job_runs_off_the_gui_thread_and_its_result_comes_back(qtbot, runner) -> None:
    threads: list[int] = []

    def work(context: JobContext) -> str:
        threads.append(threading.get_ident())
        return "done"

    with qtbot.waitSignal(runner.runningChanged) as busy:
        job = runner.start(work, name="test")
    assert busy.args == [True] and runner.running == 1 and job.running
    with qtbot.waitSignal(job.finished, timeout=LONG) as finished:
        pass
    assert finished.args == ["done"]
    assert threads and threads[0] != threading.main_thread().ident
    assert runner.running == 0 and not job.running and runner.jobs == []
    # No thread is left behind.
    assert job.wait(0)
    assert not [t for t in threading.enumerate() if t.name == "exportdesk-test"]


def test_the_runner_says_when_it_is_idle_again(qtbot, runner) -> None:
    gate = threading.Event()
    runner.start(lambda context: gate.wait(SECONDS))
    runner.start(lambda context: gate.wait(SECONDS))
    assert runner.running == 2
    with qtbot.waitSignal(runner.runningChanged, timeout=LONG) as idle:
        gate.set()
    assert idle.args == [False] and runner.running == 0


def test_a_job_is_deleted_once_it_has_ended(qtbot, runner) -> None:
    job = runner.start(lambda context: 42)
    with qtbot.waitSignal(job.destroyed, timeout=LONG):
        pass
    assert runner.running == 0
    assert not job.running  # what a caller still holding the job may ask


def test_progress_comes_in_batches_in_order(qtbot) -> None:
    runner = JobRunner(batch_seconds=0.2)
    reported = threading.Event()
    gate = threading.Event()

    def work(context: JobContext) -> None:
        for number in range(1000):
            context.report(number)
        reported.set()
        gate.wait(SECONDS)

    job = runner.start(work)
    batches: list[list[object]] = []
    job.progressed.connect(batches.append)
    qtbot.waitUntil(lambda: sum(map(len, batches)) == 1000, timeout=LONG)
    # A thousand items, a handful of signals: the GUI thread is never flooded.
    assert reported.is_set() and len(batches) <= 5
    assert [item for batch in batches for item in batch] == list(range(1000))
    with qtbot.waitSignal(job.ended, timeout=LONG):
        gate.set()
    assert runner.running == 0


def test_the_last_item_reported_arrives_while_the_work_goes_on(qtbot, runner) -> None:
    """A slow host's reply shows at once, not when the next one comes."""
    gate = threading.Event()

    def work(context: JobContext) -> None:
        context.report("first reply")
        gate.wait(SECONDS)

    job = runner.start(work)
    batches: list[list[object]] = []
    job.progressed.connect(batches.append)
    qtbot.waitUntil(lambda: batches == [["first reply"]], timeout=LONG)
    assert job.running
    with qtbot.waitSignal(job.ended, timeout=LONG):
        gate.set()


def test_progress_reported_before_the_end_arrives_before_it(qtbot, runner) -> None:
    heard: list[object] = []

    def work(context: JobContext) -> str:
        for number in range(3):
            context.report(number)
        raise ExportDeskError("The save file could not be written: the disk is full.")

    job = runner.start(work)
    job.progressed.connect(lambda items: heard.extend(items))
    job.failed.connect(lambda message: heard.append(message))
    job.ended.connect(lambda: heard.append("ended"))
    qtbot.waitUntil(lambda: "ended" in heard, timeout=LONG)
    assert heard == [0, 1, 2, "The save file could not be written: the disk is full.", "ended"]


def test_cancel_sets_the_work_s_cancel_event_and_ends_cancelled(qtbot, runner) -> None:
    started = threading.Event()

    def work(context: JobContext) -> str:
        started.set()
        context.cancel.wait(SECONDS)  # as the core waits: on the event it was handed
        return "stopped after 3 records"

    job = runner.start(work)
    finished: list[object] = []
    job.finished.connect(finished.append)
    qtbot.waitUntil(started.is_set)
    with qtbot.waitSignal(job.cancelled, timeout=LONG) as cancelled:
        job.cancel()
        assert job.cancel_requested
    assert cancelled.args == ["stopped after 3 records"] and finished == []


def test_a_failure_is_a_message_never_a_traceback(qtbot, runner) -> None:
    def work(context: JobContext) -> None:
        raise ValueError("bad leader\nTraceback (most recent call last):\n  File 'x.py'")

    job = runner.start(work)
    with qtbot.waitSignal(job.failed, timeout=LONG) as failed:
        pass
    (message,) = failed.args
    assert message == "an unexpected error (ValueError: bad leader)"


def test_a_job_may_say_its_failures_in_its_own_words(qtbot, runner) -> None:
    def work(context: JobContext) -> None:
        raise ConnectionRefusedError("refused")

    job = runner.start(work, describe_error=lambda error: f"Target 'LoC' (SRU): {error}")
    with qtbot.waitSignal(job.failed, timeout=LONG) as failed:
        pass
    assert failed.args == ["Target 'LoC' (SRU): refused"]


def test_a_job_asks_the_gui_thread_and_waits_for_the_answer(qtbot, runner) -> None:
    def work(context: JobContext) -> list[str]:
        context.report("read record 1")
        return [context.ask(f"Replace record {n}?", "skip") for n in (1, 2)]

    job = runner.start(work)
    heard: list[object] = []
    job.progressed.connect(lambda items: heard.extend(items))

    def answer(question: object) -> None:
        heard.append(question)
        job.answer("replace" if question == "Replace record 1?" else "keep")

    job.asked.connect(answer)
    with qtbot.waitSignal(job.finished, timeout=LONG) as finished:
        pass
    assert finished.args == [["replace", "keep"]]
    assert heard == ["read record 1", "Replace record 1?", "Replace record 2?"]


def test_cancel_answers_a_question_waiting(qtbot, runner) -> None:
    def work(context: JobContext) -> object:
        return context.ask("Replace record 1?", "skip the rest")

    job = runner.start(work)
    with qtbot.waitSignal(job.asked, timeout=LONG):
        pass
    with qtbot.waitSignal(job.cancelled, timeout=LONG) as cancelled:
        job.cancel()
    assert cancelled.args == ["skip the rest"]


def test_shutdown_cancels_and_waits_for_jobs_that_stop(qtbot) -> None:
    runner = JobRunner()
    started = threading.Event()

    def work(context: JobContext) -> None:
        started.set()
        context.cancel.wait(SECONDS)

    job = runner.start(work)
    qtbot.waitUntil(started.is_set)
    assert runner.shutdown(SECONDS)
    assert job.wait(0)
    with qtbot.waitSignal(job.ended, timeout=LONG):
        pass
    assert runner.running == 0
    with pytest.raises(RuntimeError):
        runner.start(lambda context: None)


def test_shutdown_waits_a_bounded_time_for_a_job_that_ignores_cancel(qtbot) -> None:
    runner = JobRunner()
    release = threading.Event()
    job = runner.start(lambda context: release.wait(SECONDS) and "late")
    began = time.monotonic()
    assert not runner.shutdown(0.2)
    assert time.monotonic() - began < 2
    assert job.running and runner.running == 0  # the runner has let go of it
    # It ends by itself later, and its news still reaches whoever listens.
    with qtbot.waitSignal(job.cancelled, timeout=LONG) as cancelled:
        release.set()
    assert cancelled.args == ["late"] and not job.running
