"""Starting the window: the Qt application, then log on, the main window, log off, log on..."""

from __future__ import annotations

import argparse
import signal
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from app import APP_NAME, __version__
from app.core.resources import resource_path
from app.core.settings.accounts import AccountRegistry
from app.core.settings.files import add_notice, take_notices

if TYPE_CHECKING:
    # Loaded once the cataloger has logged on: the Log On dialog shows without them.
    from app.core.settings.account_settings import AccountSettings
    from app.gui.logon import LogonDialog
    from app.gui.main_window import MainWindow


class Controller(QObject):
    """Log on, open the main window, and come back to log on when the user logs off."""

    institutionFetched = Signal()  # from the fetching thread; handled in the GUI thread

    def __init__(self, app: QApplication) -> None:
        super().__init__()
        self.app = app
        self.window: MainWindow | None = None
        self.logon: LogonDialog | None = None
        self.institutionFetched.connect(self.show_fetch_notices)

    def show_logon(self) -> None:
        from app.gui.logon import LogonDialog

        self.logon = LogonDialog(AccountRegistry.load())
        self.logon.accepted.connect(self._logged_on)
        self.logon.rejected.connect(self.app.quit)
        self.logon.show()

    def _logged_on(self) -> None:
        assert self.logon is not None and self.logon.account is not None
        account = self.logon.account
        registry = AccountRegistry.load()
        registry.add(account)
        registry.last = account
        registry.save()
        from app.core.settings.account_settings import AccountSettings

        self.open_window(AccountSettings(account))

    def open_window(self, account: AccountSettings) -> MainWindow:
        from app.gui.main_window import MainWindow

        self.window = MainWindow(account)
        self.window.loggedOff.connect(self._logged_off)
        self.window.reopenRequested.connect(self._reopen)
        self.window.show()
        return self.window

    def _reopen(self) -> None:
        """The save file was recovered: the account's window again, on the new file."""
        window = self.window
        if window is None:
            return
        from app.core.settings.account_settings import AccountSettings

        self.open_window(AccountSettings(window.account.account))
        window.hide()
        window.deleteLater()

    def show_fetch_notices(self) -> None:
        """A fetch of the institution file that ended once the window is open: what went
        wrong (the window shows what came before it opened by itself)."""
        notices = take_notices()
        if notices and self.window is not None:
            self.window.statusBar().showMessage(" ".join(notices))
            self.window.statusBar().setToolTip("\n".join(notices))
        elif notices:
            for notice in notices:
                add_notice(notice)  # still for the window about to open

    def stop(self) -> None:
        """End without asking: the window's work is stopped cleanly first. Queued, because a
        signal can come before the event loop runs, when quitting would do nothing."""
        QTimer.singleShot(0, self._stop_now)

    def _stop_now(self) -> None:
        if self.window is not None:
            self.window.shut_down()
        self.app.quit()

    def _logged_off(self) -> None:
        window, self.window = self.window, None
        self.show_logon()
        if window is not None:
            window.hide()
            window.deleteLater()


def make_application(argv: list[str] | None = None) -> QApplication:
    if QApplication.instance() is None:
        # Qt 6 scales to the screen by itself; PassThrough keeps 125 % or 150 % as they are
        # instead of rounding them to 100 % or 200 % (text then looks as sharp as the system's).
        # It must be set before the application object exists.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
    app = QApplication.instance() or QApplication(argv or [sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("exportdesk")
    app.setWindowIcon(QIcon(str(resource_path("icons", "exportdesk.svg"))))
    return app


def run_window(args: argparse.Namespace) -> int:
    app = make_application()
    controller = Controller(app)
    _stop_on_signals(app, controller)
    if args.demo:
        return run_demo(app, controller)
    controller.show_logon()
    # The institution file fetched last time applies now; a new one is fetched for the next
    # start, in the background (docs/institution-file.md), once the dialog is on screen.
    QTimer.singleShot(0, lambda: _fetch_institution(controller))
    return app.exec()


def _fetch_institution(controller: Controller) -> None:
    from app.core.settings.institution_url import fetch_in_background

    fetch_in_background(controller.institutionFetched.emit)


def run_demo(app: QApplication, controller: Controller) -> int:
    """The window on the demo account, its records flagged, the receiver listening, and its
    catalogue (an SRU server on this computer) ready to search with F2."""
    from app.core.export.demo import set_up_demo

    demo = set_up_demo()
    try:
        # For scripts (the real-window test) and for the curious: where the records go.
        print(demo.describe(), flush=True)
        window = controller.open_window(demo.account)
        # A short hint that fits the status bar; the details in its tooltip.
        window.statusBar().showMessage(demo_hint(len(demo.record_ids)))
        window.statusBar().setToolTip(demo_details(demo.receiver.port, str(demo.received_dir)))
        return app.exec()
    finally:
        demo.close()


def demo_hint(flagged: int) -> str:
    """The demo's status-bar hint: short enough for the window's default width."""
    return f"Demo: {flagged} records flagged. Ctrl+E exports them; F2 searches (hover for more)."


def demo_details(port: int, received_dir: str) -> str:
    """The rest of the demo's hint, in the status bar's tooltip."""
    return (
        "Action > Export Flagged (Ctrl+E) sends the flagged records to the receiver on this "
        f"computer (port {port}); it keeps them in {received_dir}.\nF2 searches the demo "
        "catalogue (try: science); Flag for Export (Ctrl+Shift+F) flags a hit."
    )


def _stop_on_signals(app: QApplication, controller: Controller) -> None:
    """Ctrl+C in a terminal, or the session ending (SIGTERM), closes the window cleanly: the
    export under way stops between records, and the demo removes its folder."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda _number, _frame: controller.stop())
    # Python runs signal handlers between its own instructions; while Qt waits for events no
    # Python runs, so a timer lets it in a few times a second.
    ticker = QTimer(app)
    ticker.timeout.connect(lambda: None)
    ticker.start(250)
