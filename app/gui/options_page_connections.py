"""Export Options: the connections (tabs, Add, Rename, Duplicate, Delete), the password
of the active connection, and Test Connection. Part of ExportOptionsPage
(app/gui/options_page.py).
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import ExportDeskError
from app.core.net.transport import ConnectionCheck, TransportSettings, check_connection
from app.core.settings.locks import LOCKED_TEXT
from app.core.settings.options import PASSWORD_HELP, PASSWORD_LABEL
from app.core.settings.secrets import (
    Stored,
    keyring_available,
    keyring_description,
    no_keyring_reason,
)
from app.gui import messages
from app.gui.jobs import Job, JobRunner
from app.gui.option_editors import wheel_needs_focus
from app.gui.options_page_base import OptionsPageBase
from app.gui.styles import ERROR_STYLE, WARNING_STYLE


class OptionsConnectionsMixin(OptionsPageBase):
    """The named connections on the working copy, and what belongs to each."""

    # The connections, their passwords, and Test Connection.

    def _add_password_row(self, form: QFormLayout) -> None:
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setToolTip(PASSWORD_HELP)
        self.password.setAccessibleName(PASSWORD_LABEL)
        self.password.textEdited.connect(self._password_edited)
        self.forget_password = QPushButton("Forget")
        self.forget_password.setToolTip("Remove the stored password when you save")
        self.forget_password.setAccessibleName("Forget the password")
        self.forget_password.clicked.connect(self._forget_password)
        self.password_place = QLabel()
        self.password_place.setWordWrap(True)
        message = QLabel()
        message.setWordWrap(True)
        message.setVisible(False)
        self.messages["password"] = message
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.password, 1)
        row.addWidget(self.forget_password)
        cell = QWidget()
        cell_layout = QVBoxLayout(cell)
        cell_layout.setContentsMargins(0, 0, 0, 0)
        cell_layout.addLayout(row)
        cell_layout.addWidget(self.password_place)
        cell_layout.addWidget(message)
        label = self._row_label(f"{PASSWORD_LABEL}:")
        label.setBuddy(self.password)
        self._give_letter("password", label)
        form.addRow(label, cell)

    def _add_test_connection_row(self, form: QFormLayout) -> None:
        self.test_connection_button = QPushButton("&Test Connection")
        self.test_connection_button.setToolTip(
            "Check that the host and port answer (and the TLS handshake, when on), using the "
            "settings on the screen. No record is sent."
        )
        self.test_connection_button.setAutoDefault(False)
        self.test_connection_button.clicked.connect(self.test_connection)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setAccessibleName("Test Connection result")
        row = QHBoxLayout()
        row.addWidget(self.test_connection_button)
        row.addWidget(self.test_result, 1)
        form.addRow(self._row_label(""), row)
        self._tests = JobRunner(self)
        self._test_call: Job | None = None

    def test_connection(self) -> None:
        """Connect to the active connection's host in the background and say what happened."""
        try:
            # Only connecting is tried: nothing is sent, so the password is not needed.
            settings = TransportSettings.from_options(self.working.values_for(), None)
        except ExportDeskError as error:
            self._show_test_result(ConnectionCheck(False, error.message))
            return
        self.test_connection_button.setEnabled(False)
        self._tested = self._connection_tested()
        self.test_result.setStyleSheet("")
        self.test_result.setText(f"Connecting to {settings.host} port {settings.port}…")
        self._test_call = self._tests.start(
            lambda _context: check_connection(settings), name="test-connection"
        )
        self._test_call.finished.connect(self._show_test_result)
        self._test_call.failed.connect(self._test_failed)

    def _test_failed(self, message: str) -> None:
        self._show_test_result(ConnectionCheck(False, message))

    def _show_test_result(self, check: ConnectionCheck) -> None:
        self.test_connection_button.setEnabled(self._tcpip_on_screen())
        if self._tested is None or self._tested == self._connection_tested():
            self._tested = self._connection_tested()
            self.test_result.setStyleSheet("" if check.ok else ERROR_STYLE)
            self.test_result.setText(("Connected: " if check.ok else "Failed: ") + check.message)
        self.testConnectionFinished.emit(check.ok)

    def _tcpip_on_screen(self) -> bool:
        """Whether the screen's values send over TCP/IP (a locked host is greyed, but it can
        still be tested)."""
        return self.editors["host"].option.applies_to(self.working.values_for())

    def _connection_tested(self) -> tuple[str, dict[str, Any]]:
        return self.working.active_id, self.working.values_for()

    def _forget_stale_test_result(self) -> None:
        """A test's result says nothing about other settings: it goes once they change."""
        if self._tested is not None and self._tested != self._connection_tested():
            self._tested = None
            self.test_result.clear()

    def _connections_box(self) -> QGroupBox:
        box = QGroupBox("Connections")
        box.setToolTip(
            "Named sets of TCP/IP settings. Click one to make it the connection exports go "
            "to; the settings below are the chosen connection's."
        )
        layout = QVBoxLayout(box)
        self.connection_tabs = QTabBar()
        self.connection_tabs.setExpanding(False)
        self.connection_tabs.setAccessibleName("Connections")
        wheel_needs_focus(self.connection_tabs)  # the wheel would switch the active connection
        self.connection_tabs.currentChanged.connect(self._tab_chosen)
        self.connection_tabs.tabBarDoubleClicked.connect(lambda _: self.rename_connection())
        layout.addWidget(self.connection_tabs)
        buttons = QHBoxLayout()
        self.connection_buttons: dict[str, QPushButton] = {}
        for name, text, slot in (
            ("add", "Add…", self.add_connection),
            ("rename", "Rename…", self.rename_connection),
            ("duplicate", "Duplicate", self.duplicate_connection),
            ("delete", "Delete…", self.delete_connection),
        ):
            button = QPushButton(text)
            button.setAccessibleName(f"{text.rstrip('…')} connection")
            button.setAutoDefault(False)
            button.clicked.connect(slot)
            self.connection_buttons[name] = button
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.connection_hint = QLabel()
        self.connection_hint.setWordWrap(True)
        layout.addWidget(self.connection_hint)
        return box

    def _show_connections(self) -> None:
        tabs = self.connection_tabs
        tabs.blockSignals(True)
        while tabs.count():
            tabs.removeTab(0)
        for connection in self.working.connections:
            # A name's own "&" is shown, not taken as an Alt+letter ("R&D" would take Alt+D).
            index = tabs.addTab(connection.name.replace("&", "&&"))
            tabs.setTabData(index, connection.id)
            tabs.setTabToolTip(index, f"Export to '{connection.name}'")
            if connection.id == self.working.active_id:
                tabs.setCurrentIndex(index)
        tabs.blockSignals(False)
        locks = self.account.locks
        active = self.working.active_id
        active_locked = locks.active_id is not None
        tabs.setEnabled(not active_locked)
        for name in ("add", "duplicate"):  # a new connection becomes the active one
            self.connection_buttons[name].setEnabled(not active_locked)
        self.connection_buttons["rename"].setEnabled(not locks.name_locked(active))
        self.connection_buttons["delete"].setEnabled(
            len(self.working.connections) > 1 and not locks.kept(active)
        )
        chosen_by = f" ({LOCKED_TEXT.lower()})" if active_locked else ""
        self.connection_hint.setText(
            f"Exports go to <b>{html.escape(self.working.active.name)}</b>{chosen_by}. "
            "The TCP/IP settings below are this connection's."
        )
        self._show_password()

    def _show_password(self) -> None:
        active = self.working.active_id
        pending = self.pending_passwords.get(active, "")
        self.password.setText(pending or "")
        place = self._password_place(active)
        if active in self.pending_passwords and pending is None:
            self.password.setPlaceholderText("(will be forgotten when you save)")
        elif place is Stored.KEYRING:
            self.password.setPlaceholderText("(saved in the keyring; type to change)")
        elif place is Stored.SESSION:
            self.password.setPlaceholderText("(held for this session; type to change)")
        else:
            self.password.setPlaceholderText("(not set)")
        self.forget_password.setEnabled(place is not None or bool(pending))
        if keyring_available():
            where = f"Saved as your default, passwords go to: {keyring_description()}."
            self.password_place.setStyleSheet("")
        else:
            where = (
                f"Passwords can't be saved here: {no_keyring_reason()}. A password is kept in "
                "memory only, until you log off, even with Save My Default."
            )
            self.password_place.setStyleSheet(WARNING_STYLE)
        self.password_place.setText(where)

    def _password_place(self, connection_id: str) -> Stored | None:
        if connection_id not in self._password_places:
            try:
                self._password_places[connection_id] = self.account.password_location(connection_id)
            except ExportDeskError as error:
                self._password_places[connection_id] = None
                self._say(error.message, error=True)
        return self._password_places[connection_id]

    def _password_edited(self, text: str) -> None:
        self.pending_passwords[self.working.active_id] = text
        self._refresh()

    def _forget_password(self) -> None:
        self.pending_passwords[self.working.active_id] = None
        self._show_password()
        self._refresh()

    def _tab_chosen(self, index: int) -> None:
        if index < 0:
            return
        if self.account.locks.active_id is not None:  # where exports go is not the screen's
            self._show_connections()
            return
        self.working.active_id = self.connection_tabs.tabData(index)
        self._show_working()
        self._refresh()

    def add_connection(self) -> None:
        name, ok = messages.get_text(self, "Add Connection", "Name of the new connection:")
        if not ok or not name.strip():
            return
        created = self.working.add_connection(name, self.account.taken_connection_ids())
        self.working.active_id = created.id
        self._show_working()
        self._refresh()

    def _refuse_locked_connection(self, title: str, refused: bool) -> bool:
        if refused:
            messages.information(
                self,
                title,
                f"{LOCKED_TEXT}: this connection can't be changed here{self.account.locks.ask()}.",
            )
        return refused

    def rename_connection(self) -> None:
        active = self.working.active
        locks = self.account.locks
        if self._refuse_locked_connection("Rename Connection", locks.name_locked(active.id)):
            return
        name, ok = messages.get_text(self, "Rename Connection", "New name:", active.name)
        if not ok:
            return
        try:
            self.working.rename_connection(active.id, name)
        except ExportDeskError as error:
            messages.warning(self, "Rename Connection", error.message)
            return
        self._show_connections()
        self._refresh()

    def duplicate_connection(self) -> None:
        original = self.working.active
        created = self.working.duplicate_connection(
            original.id, self.account.taken_connection_ids()
        )
        problem = ""
        try:
            password = self.pending_passwords.get(original.id) or self.account.password(original.id)
        except ExportDeskError as error:
            password = None
            problem = f"The password was not copied: {error.message}"
        if password:
            self.pending_passwords[created.id] = password
        # Text typed and not accepted is copied as typed, with its message.
        for (owner, key), typed in list(self._input_errors.items()):
            if owner == original.id:
                self._input_errors[(created.id, key)] = typed
        self.working.active_id = created.id
        self._show_working()
        self._refresh()
        if problem:
            self._say(problem, error=True)

    def delete_connection(self) -> None:
        active = self.working.active
        if self._refuse_locked_connection("Delete Connection", self.account.locks.kept(active.id)):
            return
        answer = messages.question(
            self,
            "Delete Connection",
            f"Delete the connection '{active.name}'? Its stored password is removed when you "
            "save these settings as your default.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.working.remove_connection(active.id)
        self.pending_passwords.pop(active.id, None)
        self._input_errors = {k: v for k, v in self._input_errors.items() if k[0] != active.id}
        self._show_working()
        self._refresh()
