"""``exportdesk --self-test``: check an installation end to end, as a cataloger would use it.

The window opens (offscreen unless ``--on-screen``) on a throw-away account, imports the
sample records through File > Import's own path, flags them with Edit > Flag selected, sends
them with Action > Export Flagged to the reference receiver on 127.0.0.1, and checks that
the receiver holds exactly the records the export says it sent. Each step is printed; the
last line is PASS or FAIL (exit status 0 or 1) and says what failed.

Nothing of the user's is touched: the account, save file, window settings and receiver live
in a temporary folder removed at the end, whatever happened. A deadline on every step and a
watchdog on the whole run mean it never hangs.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from PySide6.QtCore import QEventLoop, QMessageLogContext, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel

from app import APP_NAME, __version__
from app.core.export.demo import Demo, demo_samples, set_up_demo
from app.core.export.run import RecordOutcome
from app.core.marc.iso2709 import parse_record
from app.core.settings.secrets import keyring_description
from app.core.validation.run import AccountLevels
from app.core.validation.validator import validate_record
from app.gui.application import make_application
from app.gui.export_dialog import ExportDialog
from app.gui.main_window import MainWindow

OVERALL_TIMEOUT = 120.0  # seconds for the whole run; the watchdog ends the process after it
STEP_TIMEOUT = 60.0  # seconds for the import, and for the export
POLL_MS = 20


class SelfTestFailure(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def run_self_test(*, on_screen: bool = False, out: TextIO | None = None) -> int:
    """Run the self-test in this process; 0 when it passed, 1 when it failed."""
    if not on_screen:
        # Before the QApplication exists: the platform is chosen when it is created.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    out = out or sys.stdout
    if hasattr(out, "reconfigure"):
        out.reconfigure(errors="replace")  # a console that can't show "…" still gets the report
    previous = qInstallMessageHandler(_quiet_offscreen_notes)
    try:
        return SelfTest(out).run()
    finally:
        qInstallMessageHandler(previous)


def _quiet_offscreen_notes(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    # The offscreen platform notes each window hint it ignores: noise in a self-test report.
    if "This plugin does not support" not in message:
        print(message, file=sys.stderr, flush=True)


class SelfTest:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.step = ""
        self.demo: Demo | None = None
        self.window: MainWindow | None = None
        self.dialog: ExportDialog | None = None
        self._modal_watch: QTimer | None = None
        self._interruption: str | None = None
        self._deadline = time.monotonic() + OVERALL_TIMEOUT

    # -- output --------------------------------------------------------------------------

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def begin(self, step: str) -> None:
        self.step = step
        self.say(f"- {step}…")

    def ok(self, detail: str) -> None:
        self.say(f"  ok: {detail}")

    # -- the run -------------------------------------------------------------------------

    def run(self) -> int:
        self.say(f"{APP_NAME} {__version__} self-test")
        watchdog = threading.Timer(OVERALL_TIMEOUT + 15, self._give_up)
        watchdog.daemon = True
        watchdog.start()
        status = 1
        try:
            summary = self._steps()
        except SelfTestFailure as failure:
            self.say(f"  FAILED: {failure.message}")
            final = f"FAIL: {self.step}: {failure.message}"
        except Exception as error:  # a bug or a broken installation: say it, no traceback
            self.say(f"  FAILED: {type(error).__name__}: {error}")
            final = f"FAIL: {self.step}: unexpected {type(error).__name__}: {error}"
        else:
            status = 0
            final = f"PASS: {summary}"
        finally:
            self._clean_up()
            watchdog.cancel()
        self.say(final)
        return status

    def _steps(self) -> str:
        self.begin("Setting up a throw-away account and the receiver on this computer")
        home = Path(tempfile.mkdtemp(prefix="exportdesk-self-test-"))
        self.demo = demo = set_up_demo(import_samples=False, home=home)
        self.ok(f"home {demo.home}, receiver on 127.0.0.1 port {demo.receiver.port}")
        self.say(f"  (passwords would go to: {keyring_description()})")

        self._open_window()
        imported = self._import()
        self._flag(imported)
        outcomes = self._export(imported)
        return self._check(outcomes)

    def _open_window(self) -> None:
        assert self.demo is not None
        platform = os.environ.get("QT_QPA_PLATFORM") or "this computer's display"
        self.begin(f"Opening the window ({platform})")
        make_application()
        self._modal_watch = self._start_modal_watch()
        window = self.window = MainWindow(self.demo.account)
        window.show()
        self.wait_until(window.isVisible, 10, "the window did not appear")
        QApplication.processEvents()
        title = window.windowTitle().replace("[*]", "")
        account = self.demo.account.account
        if account not in title:
            raise SelfTestFailure(f"the window title '{title}' does not name the account")
        self.ok(f"'{title}' on {QGuiApplication.platformName()}")

    def _import(self) -> int:
        assert self.window is not None
        samples = demo_samples()
        self.begin(f"Importing the sample records ({samples.name}) with File > Import")
        if not samples.is_file():
            raise SelfTestFailure(
                f"the sample records are missing: {samples} is not there, so this "
                "installation is incomplete (reinstall ExportDesk)"
            )
        page = self.window.records_page
        results: list[Any] = []
        page.importFinished.connect(results.append)
        self.window.import_files([samples])
        self.wait_until(
            lambda: bool(results) and not page.importing, STEP_TIMEOUT, "the import did not end"
        )
        result = results[0]
        if result is None:
            raise SelfTestFailure(f"the import stopped: {page.summary.text()}")
        errors = getattr(result, "errors", [])
        if errors:
            raise SelfTestFailure(
                f"{len(errors)} sample records could not be read, the first: {errors[0].describe()}"
            )
        imported = int(getattr(result, "imported", 0))
        if imported == 0:
            raise SelfTestFailure(f"no record was imported from {samples}")
        self.wait_until(
            lambda: page.model.rowCount() == imported, 10, "the list did not show the records"
        )
        self.ok(f"{imported} records imported and listed")
        return imported

    def _flag(self, imported: int) -> None:
        assert self.window is not None
        self.begin("Flagging them (Edit > Flag selected)")
        page = self.window.records_page
        page.table.setFocus()
        page.table.selectAll()
        page.flag_selected_action.trigger()
        flagged = len(page.save_file.flagged_ids())
        if flagged != imported:
            raise SelfTestFailure(f"{flagged} of {imported} records are flagged")
        self.ok(f"{flagged} records flagged")

    def _export(self, flagged: int) -> list[RecordOutcome]:
        assert self.window is not None and self.demo is not None
        self.begin(
            f"Exporting them with Action > Export Flagged to 127.0.0.1 port "
            f"{self.demo.receiver.port}"
        )
        exports = self.window.exports
        started: list[ExportDialog] = []
        exports.exportStarted.connect(started.append)
        exports.export_flagged_action.trigger()
        self.wait_until(lambda: bool(started), 10, "the export did not start")
        dialog = self.dialog = started[0]
        self.wait_until(lambda: dialog.finished_running, STEP_TIMEOUT, "the export did not finish")
        if len(dialog.outcomes) != flagged:
            raise SelfTestFailure(dialog.heading.text())
        self.ok(dialog.heading.text())
        return list(dialog.outcomes)

    def _check(self, outcomes: list[RecordOutcome]) -> str:
        assert self.window is not None and self.demo is not None
        self.begin("Checking what the receiver got")
        save_file = self.window.records_page.save_file
        levels = AccountLevels.from_options(self.demo.account.effective().options)
        failed = [o for o in outcomes if o.outcome not in ("exported", "invalid")]
        if failed:
            first = failed[0]
            raise SelfTestFailure(
                f"{len(failed)} records were not exported; the first, record "
                f"{first.record_id}: {first.outcome}: {first.reason}"
            )
        exported = [o for o in outcomes if o.outcome == "exported"]
        held_back = [o for o in outcomes if o.outcome == "invalid"]
        # The samples held back must be the ones validation finds errors in, no more, no less.
        expected = set()
        for outcome in outcomes:
            level = levels.for_type(save_file.get(outcome.record_id).record_type)
            raw = save_file.get_raw(outcome.record_id)
            if level != "none" and validate_record(raw, level).has_errors:
                expected.add(outcome.record_id)
        if {o.record_id for o in held_back} != expected:
            raise SelfTestFailure(
                f"the export held back records {sorted(o.record_id for o in held_back)} as "
                f"invalid, validation finds errors in {sorted(expected)}"
            )
        if not exported:
            raise SelfTestFailure("no record was exported")
        sent = sorted(_control_number(save_file.get_raw(o.record_id)) for o in exported)
        received = sorted(
            _control_number(p.read_bytes()) for p in self.demo.receiver.record_files()
        )
        if sent != received:
            missing = sorted(set(sent) - set(received))
            extra = sorted(set(received) - set(sent))
            raise SelfTestFailure(
                f"the receiver holds {len(received)} records for {len(sent)} exported "
                f"(missing: {', '.join(missing) or 'none'}; not exported: "
                f"{', '.join(extra) or 'none'})"
            )
        self.wait_until(
            lambda: sorted(save_file.flagged_ids()) == sorted(expected),
            10,
            "the exported records were not unflagged",
        )
        self.ok(f"the receiver holds the {len(received)} records exported, by control number")
        for outcome in held_back:
            self.say(
                f"  note: record {outcome.record_id} ({outcome.title}) was held back as "
                f"invalid ({levels.describe()}), as expected: {outcome.reason}"
            )
        noun = "record" if len(held_back) == 1 else "records"
        held = (
            f"; {len(held_back)} sample {noun} held back as invalid, as expected"
            if held_back
            else ""
        )
        return f"{len(exported)} of {len(outcomes)} sample records exported and received{held}"

    # -- waiting, dialogs, cleaning up ---------------------------------------------------

    def wait_until(self, condition: Callable[[], bool], seconds: float, failure: str) -> None:
        """Turn the event loop until ``condition`` holds; a dialog or the deadline fails it."""
        deadline = min(time.monotonic() + seconds, self._deadline)
        loop = QEventLoop()
        timer = QTimer()
        timer.setInterval(POLL_MS)
        timer.timeout.connect(
            lambda: (
                loop.quit()
                if condition() or self._interruption or time.monotonic() > deadline
                else None
            )
        )
        while not condition():
            if self._interruption:
                raise SelfTestFailure(self._interruption)
            if time.monotonic() > deadline:
                raise SelfTestFailure(f"{failure} within {seconds:g} s")
            timer.start()
            loop.exec()
            timer.stop()

    def _start_modal_watch(self) -> QTimer:
        """A message box would wait for a person who is not there: note what it said, close it."""

        def look() -> None:
            dialog = QApplication.activeModalWidget()
            if dialog is None:
                return
            text = " ".join(label.text() for label in dialog.findChildren(QLabel) if label.text())
            self._interruption = f"the window asked '{dialog.windowTitle()}': {text}"
            dialog.close()

        timer = QTimer()
        timer.setInterval(100)
        timer.timeout.connect(look)
        timer.start()
        return timer

    def _clean_up(self) -> None:
        if self._modal_watch is not None:
            self._modal_watch.stop()
        try:
            if self.window is not None:
                if self.demo is not None:
                    self.demo.receiver.stop(timeout=2)  # an export under way ends at once
                self.window.exports.shutdown()  # so closing does not ask about it
                if self.dialog is not None:
                    self.dialog.close()
                self.window.close()
                self.window.deleteLater()
                QApplication.processEvents()
        except Exception as error:  # cleaning up goes on: the home must go
            self.say(f"  note: closing the window: {type(error).__name__}: {error}")
        if self.demo is not None:
            home = self.demo.home
            self.demo.close()
            self.say(f"- Cleaned up: removed {home}")

    def _give_up(self) -> None:
        """The watchdog: the window stopped answering. Say so, remove the home, end."""
        self.say(
            f"FAIL: {self.step}: the self-test did not finish within {OVERALL_TIMEOUT:g} s "
            "(the window stopped responding)"
        )
        if self.demo is not None:
            self.demo.receiver.stop(timeout=1)
            shutil.rmtree(self.demo.home, ignore_errors=True)
        os._exit(1)


def _control_number(raw: bytes) -> str:
    field = parse_record(raw).first("001")
    return field.data.decode("utf-8", "replace").strip() if field is not None else "(no 001)"
