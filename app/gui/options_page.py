"""General > Admin > Export Options: the screen that edits a working copy of the settings.

Save for Session and Save My Default commit the copy to a layer (see EXPORT-OPTIONS.md);
Cancel reloads it; Reset clears the account's and session's values after asking, at once,
and Edit > Undo Reset (or Cancel) puts them back until the cataloger leaves the screen; Go
Back leaves, first asking what to do with unsaved changes. A message stays only while what
it says is true: a failure while its cause stands, "Saved" until the next change. A value the
institution locks shows greyed, "Set by your institution", with who to ask at the top.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTabBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import ExportDeskError, OptionError
from app.core.net.transport import ConnectionCheck, TransportSettings, check_connection
from app.core.settings.account_settings import AccountSettings, ResetUndo
from app.core.settings.layers import ExportSettings, Source
from app.core.settings.locks import LOCKED_TEXT
from app.core.settings.options import (
    BY_KEY,
    G_VALIDATE,
    OPTIONS,
    PASSWORD_HELP,
    PASSWORD_LABEL,
    Problem,
    Scope,
)
from app.core.settings.secrets import (
    Stored,
    keyring_available,
    keyring_description,
    no_keyring_reason,
)
from app.gui import messages
from app.gui.jobs import Job, JobRunner
from app.gui.mnemonics import FieldLetters, mnemonic_letter
from app.gui.option_editors import (
    BoolCheck,
    IntSpin,
    OptionEditor,
    TextLine,
    editor_for,
    wheel_needs_focus,
)
from app.gui.sizing import fit_title
from app.gui.styles import ERROR_STYLE, WARNING_STYLE

BUTTONS = (
    ("session", "Save for &Session", "Apply these settings until you log off"),
    ("default", "Save My &Default", "Apply these settings now and keep them for later sessions"),
    ("reset", "&Reset", "Go back to the institution and factory defaults"),
    ("cancel", "&Cancel", "Discard the changes not yet saved"),
    ("back", "Go &Back", "Leave Export Options"),
)
_SOURCE_TEXTS = {
    "factory": "Value: the factory default.",
    "institution": "Value: your institution's default.",
    "account": "Value: your saved default.",
    "session": "Value: saved for this session.",
    "institution (locked)": "Value: set by your institution, which locks it.",
}
LOCKED_STYLE = "color: palette(mid); font-style: italic;"
CONNECTION_GROUPS_START = "TCP/IP Connection Options"
NOTHING_SAVED = "Nothing was saved: correct the settings marked in red first."


class ExportOptionsPage(QWidget):
    goBack = Signal()
    settingsApplied = Signal()  # after a save or reset: the effective settings changed
    dirtyChanged = Signal(bool)
    testConnectionFinished = Signal(bool)

    def __init__(self, account: AccountSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportOptionsPage")
        self.setAccessibleName("Export Options")
        self.account = account
        self.editors: dict[str, OptionEditor] = {}
        self.messages: dict[str, QLabel] = {}
        self.lock_labels: dict[str, QLabel] = {}  # "Set by your institution", per setting
        self.advanced_toggles: list[QToolButton] = []  # folded parts of the screen
        self.top_buttons: dict[str, QPushButton] = {}
        self.bottom_buttons: dict[str, QPushButton] = {}
        self.pending_passwords: dict[str, str | None] = {}
        # Text typed that is not a value, kept with its message until corrected, per
        # (connection id or None for an account setting, key): (text, message).
        self._input_errors: dict[tuple[str | None, str], tuple[str, str]] = {}
        self._password_places: dict[str, Stored | None] = {}
        self._dirty = False
        # Whether the status line still says something true; checked after every change.
        self._status_stands: Callable[[], bool] | None = None
        # What Test Connection tried: its result is stale once these values change.
        self._tested: tuple[str, dict[str, Any]] | None = None
        # Resets since the cataloger came to the screen, undone latest first.
        self._resets: list[ResetUndo] = []
        # The label column, one per row (blank beside a check box): one width for all groups.
        self.row_labels: list[QLabel] = []
        # What carries each field's Alt+letter, in screen order: its label, or its check box.
        self.mnemonic_holders: dict[str, QLabel | QAbstractButton] = {}
        self.field_letters = FieldLetters(self)
        self._mnemonics_for: QWidget | None = None
        self.undo_reset_action = QAction("Undo &Reset", self)
        self.undo_reset_action.setToolTip("Put back the values the last Reset cleared")
        self.undo_reset_action.setEnabled(False)
        self.undo_reset_action.triggered.connect(self.undo_reset)
        self._build()
        self.load()

    # Building the screen from the declarations.

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        title = QLabel("<h2>Export Options</h2>")
        self.unsaved_label = QLabel("Unsaved changes")
        self.unsaved_label.setStyleSheet(WARNING_STYLE + "font-weight: bold;")
        self.unsaved_label.setVisible(False)
        heading = QHBoxLayout()
        heading.addWidget(title)
        heading.addStretch(1)
        heading.addWidget(self.unsaved_label)
        outer.addLayout(heading)
        outer.addLayout(self._button_row(self.top_buttons, mnemonics=True))

        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(WARNING_STYLE)
        self.notice.setVisible(False)
        outer.addWidget(self.notice)

        self.locked_notice = QLabel()
        self.locked_notice.setWordWrap(True)
        self.locked_notice.setAccessibleName("Settings set by your institution")
        self.locked_notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.locked_notice.setVisible(False)
        outer.addWidget(self.locked_notice)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        forms: dict[str, QFormLayout] = {}
        for opt in OPTIONS:
            if opt.group not in forms:
                if opt.group == CONNECTION_GROUPS_START:
                    body_layout.addWidget(self._connections_box())
                members = [o for o in OPTIONS if o.group == opt.group]
                # A group whose only field has the group's name would say it twice: the
                # field's own label (or check box) says it, in an untitled frame.
                alone = len(members) == 1 and members[0].label == opt.group
                box = QGroupBox("" if alone else opt.group)
                box.setAccessibleName(opt.group)
                forms[opt.group] = QFormLayout(box)
                if opt.advanced:
                    body_layout.addWidget(self._advanced_toggle(opt.group, box))
                body_layout.addWidget(box)
            self._add_row(forms[opt.group], opt.key, editor_for(opt))
            if opt.key == "logon_id_secret":
                self._add_password_row(forms[opt.group])
            if opt.key == "port":
                self._add_test_connection_row(forms[opt.group])
        body_layout.addStretch(1)
        self._align_label_column()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Export Options status")
        outer.addWidget(self.status)
        outer.addLayout(self._button_row(self.bottom_buttons, mnemonics=False))

    def _button_row(self, into: dict[str, QPushButton], mnemonics: bool) -> QHBoxLayout:
        row = QHBoxLayout()
        actions = {
            "session": self.save_for_session,
            "default": self.save_my_default,
            "reset": self.reset,
            "cancel": self.cancel,
            "back": self.go_back,
        }
        for name, text, tip in BUTTONS:
            button = QPushButton(text if mnemonics else text.replace("&", ""))
            button.setToolTip(tip)
            button.setAccessibleName(text.replace("&", ""))
            button.setAutoDefault(False)
            button.clicked.connect(actions[name])
            into[name] = button
            row.addWidget(button)
        row.addStretch(1)
        return row

    def _advanced_toggle(self, group: str, box: QGroupBox) -> QToolButton:
        """A connection's advanced part (the reply patterns) folds away until asked for, or
        until it holds a value (see _show_working)."""
        toggle = QToolButton()
        toggle.setText(f"Advanced: {group}")
        toggle.setCheckable(True)
        toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toggle.setArrowType(Qt.ArrowType.RightArrow)
        toggle.setAutoRaise(True)
        toggle.setAccessibleName(f"Show {group}")

        def show(shown: bool) -> None:
            box.setVisible(shown)
            toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

        toggle.toggled.connect(show)
        box.setVisible(False)
        self.advanced_toggles.append(toggle)
        return toggle

    def _add_row(self, form: QFormLayout, key: str, editor: OptionEditor) -> None:
        self.editors[key] = editor
        message = QLabel()
        message.setWordWrap(True)
        message.setVisible(False)
        message.setAccessibleName(f"{editor.option.label} message")
        self.messages[key] = message
        locked = QLabel(LOCKED_TEXT)
        locked.setStyleSheet(LOCKED_STYLE)
        locked.setAccessibleName(f"{editor.option.label}: {LOCKED_TEXT}")
        locked.setVisible(False)
        self.lock_labels[key] = locked
        cell = QWidget()
        cell_layout = QVBoxLayout(cell)
        cell_layout.setContentsMargins(0, 0, 0, 0)
        if isinstance(editor, IntSpin):  # as wide as its values, not as the column
            cell_layout.addWidget(editor.widget, 0, Qt.AlignmentFlag.AlignLeft)
        else:
            cell_layout.addWidget(editor.widget)
        cell_layout.addWidget(locked)
        cell_layout.addWidget(message)
        if isinstance(editor, BoolCheck):
            self._give_letter(key, editor.check)
            form.addRow(self._row_label(""), cell)
        else:
            label = self._row_label(f"{editor.option.label}:")
            label.setToolTip(editor.option.help)
            label.setBuddy(editor.line if isinstance(editor, TextLine) else editor.widget)
            self._give_letter(key, label)
            form.addRow(label, cell)
        editor.edited.connect(lambda key=key: self._edited(key))

    def _give_letter(self, key: str, holder: QLabel | QAbstractButton) -> None:
        self.mnemonic_holders[key] = holder
        self.field_letters.add(holder)

    def _row_label(self, text: str) -> QLabel:
        label = QLabel(text)
        self.row_labels.append(label)
        return label

    def _align_label_column(self) -> None:
        """Every group's labels as wide as the widest, so the fields line up down the page."""
        widest = max(label.sizeHint().width() for label in self.row_labels)
        for label in self.row_labels:
            label.setMinimumWidth(widest)

    def showEvent(self, event: QShowEvent) -> None:
        window = self.window()
        if self._mnemonics_for is not window:
            self._mnemonics_for = window
            self._assign_mnemonics(window)
        super().showEvent(event)

    def _assign_mnemonics(self, window: QWidget) -> None:
        """Give every field an Alt+letter, leaving alone the letters of the screen's buttons
        and the window's menus. There are more fields than letters left: a letter several
        fields share goes to each in turn (app/gui/mnemonics.py)."""
        taken: set[str] = set()
        for button in self.findChildren(QAbstractButton):
            if button not in self.mnemonic_holders.values():
                taken.update(mnemonic_letter(button.text()))
        if isinstance(window, QMainWindow):
            for action in window.menuBar().actions():
                taken.update(mnemonic_letter(action.text()))
        self.field_letters.assign(taken)

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

    def _locked(self, key: str) -> bool:
        """Whether the institution locks the value the editor of ``key`` shows."""
        return self.account.locks.locked(self._owner(key), key)

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

    # The working copy.

    def load(self) -> None:
        """Show the settings in effect; unsaved edits are dropped (Cancel)."""
        self.baseline = self.account.effective()
        self.working = self.baseline.copy()
        self.pending_passwords.clear()
        self._input_errors.clear()
        self._password_places.clear()
        self.password.clear()
        self._tested = None
        self.test_result.clear()
        self._show_working()
        self._refresh()

    def _show_working(self, keep: str | None = None) -> None:
        values = self.working.values_for()
        for key, editor in self.editors.items():
            if key != keep:
                typed = self._input_errors.get((self._owner(key), key))
                if typed is not None:
                    editor.show_text(typed[0])
                else:
                    editor.show_value(values[key])
            editor.widget.setToolTip(f"{editor.option.help}\n\n{self._source_text(key)}")
        if any(values[o.key] != o.default_for(values) for o in OPTIONS if o.advanced):
            for toggle in self.advanced_toggles:  # a value set there is never out of sight
                toggle.setChecked(True)
        self._show_connections()

    def _owner(self, key: str) -> str | None:
        """Whose value the editor of ``key`` shows: the active connection's, or the account's."""
        return self.working.active_id if BY_KEY[key].scope is Scope.CONNECTION else None

    def _source_text(self, key: str) -> str:
        """Where the value in effect comes from (the layer), for the tooltip."""
        connection = self.baseline.connection(self.working.active_id)
        if connection is None and self.editors[key].option.scope is Scope.CONNECTION:
            return "Value set on this screen (a connection not saved yet)."
        return _SOURCE_TEXTS[str(self.baseline.source_of(key, connection))]

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

    # Edits.

    def _edited(self, key: str) -> None:
        editor = self.editors[key]
        owner = self._owner(key)
        if self._locked(key):  # greyed, so only a program gets here: the value stays
            editor.show_value(self.working.values_for()[key])
            return
        try:
            value = editor.value()
        except OptionError as error:
            # Kept as typed, with the message the command line gives; nothing is saved
            # while it stands.
            self._input_errors[(owner, key)] = (editor.text(), error.reason)
        else:
            self._input_errors.pop((owner, key), None)
            connection = self.working.active if owner is not None else None
            self.working.set_value(key, value, connection)
            self._show_working(keep=key)
        self._refresh()

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

    # State shown: enabled controls, messages, unsaved changes.

    def _problems(self) -> tuple[list[Problem], list[Problem]]:
        errors, warnings = self.account.check(self.working, self.pending_passwords)
        typed = [Problem(k, m, owner) for (owner, k), (_, m) in self._input_errors.items()]
        # The value behind a field with a typed error is not what the cataloger meant:
        # what the checks say of it would be beside the point.
        errors = typed + [
            p
            for p in errors
            if (p.connection_id, p.key) not in self._input_errors
            and (None, p.key) not in self._input_errors
        ]
        return errors, warnings

    def _refresh(self) -> None:
        values = self.working.values_for()
        locks = self.account.locks
        any_locked = False
        for key, editor in self.editors.items():
            locked = self._locked(key)
            any_locked = any_locked or locked
            editor.widget.setEnabled(editor.option.applies_to(values) and not locked)
            self.lock_labels[key].setVisible(locked)
        self.locked_notice.setText(
            f"Settings marked “{LOCKED_TEXT}” can't be changed here: your institution sets "
            f"them. {_who_to_ask(locks.contact)}"
        )
        self.locked_notice.setVisible(any_locked or locks.active_id is not None)
        logon_editor = self.editors["logon_id"]
        if isinstance(logon_editor, TextLine):
            logon_editor.set_masked(bool(values.get("logon_id_secret")))
        running = self._test_call is not None and self._test_call.running
        self.test_connection_button.setEnabled(self._tcpip_on_screen() and not running)
        password_applies = self.editors["logon_id"].option.applies_to(values)
        self.password.setEnabled(password_applies)
        self.forget_password.setEnabled(password_applies and self.forget_password.isEnabled())

        errors, warnings = self._problems()
        for label in self.messages.values():
            label.clear()
            label.setVisible(False)
        elsewhere: list[str] = []
        for problem, style in [(p, ERROR_STYLE) for p in errors] + [
            (p, WARNING_STYLE) for p in warnings
        ]:
            shown_here = problem.connection_id in (None, self.working.active_id)
            beside = self.messages.get(problem.key)
            if shown_here and beside is not None and not beside.text():
                beside.setText(problem.message)
                beside.setStyleSheet(style)
                beside.setVisible(True)
            else:
                connection = self.working.connection(problem.connection_id or "")
                name = connection.name if connection else ""
                elsewhere.append(f"Connection '{name}', {problem.key}: {problem.message}")
        self.notice.setText("\n".join(elsewhere))
        self.notice.setVisible(bool(elsewhere))
        self._set_dirty(self.is_dirty())
        self._forget_stale_test_result()
        if self._status_stands is not None and not self._status_stands():
            self._say("")

    def _say(
        self, text: str, *, error: bool = False, stands: Callable[[], bool] | None = None
    ) -> None:
        """Show ``text`` on the status line while ``stands`` holds; by default, until the
        screen changes (a "Saved" message must not outlive what was saved)."""
        if stands is None and text:
            shown = self._screen_state()

            def unchanged() -> bool:
                return self._screen_state() == shown

            stands = unchanged
        self._status_stands = stands
        self.status.setStyleSheet(ERROR_STYLE if error else "")
        self.status.setText(text)

    def _screen_state(self) -> tuple[object, ...]:
        return (
            _snapshot(self.working),
            sorted(self.pending_passwords.items()),
            sorted(self._input_errors.items(), key=repr),
        )

    def is_dirty(self) -> bool:
        return bool(self.pending_passwords) or _snapshot(self.working) != _snapshot(self.baseline)

    def _set_dirty(self, dirty: bool) -> None:
        self.unsaved_label.setVisible(dirty)
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirtyChanged.emit(dirty)

    # The buttons.

    def save_for_session(self) -> bool:
        return self._save(default=False)

    def save_my_default(self) -> bool:
        return self._save(default=True)

    def _save(self, default: bool) -> bool:
        errors, warnings = self._problems()
        if errors:
            self._focus_problem(errors[0])
            self._say(NOTHING_SAVED, error=True, stands=lambda: bool(self._problems()[0]))
            return False
        if warnings:
            text = "\n".join(f"{p.key}: {p.message}" for p in warnings)
            answer = messages.warning(
                self,
                "Export Options",
                f"{text}\n\nSave anyway?",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Save:
                return False
        try:
            if default:
                outcome = self.account.save_default(self.working, self.pending_passwords)
            else:
                outcome = self.account.save_for_session(self.working, self.pending_passwords)
        except ExportDeskError as error:
            messages.warning(self, "Export Options", f"Nothing was saved.\n\n{error.message}")
            return False
        message = "Saved as your default." if default else "Saved for this session."
        if outcome.kept_in_memory_for_lack_of_keyring:
            message += (
                f" The password is kept in memory only until you log off: {no_keyring_reason()}."
            )
        elif any(place is Stored.KEYRING for place in outcome.stored.values()):
            message += f" The password is in {keyring_description()}."
        self._forget_resets()  # saved after a reset: the reset is settled
        self.load()
        self._say(message)
        self.settingsApplied.emit()
        return True

    def _focus_problem(self, problem: Problem) -> None:
        if problem.connection_id not in (None, self.working.active_id):
            self.working.active_id = problem.connection_id or self.working.active_id
            self._show_working()
            self._refresh()
        if problem.key == "password":
            self.password.setFocus()
        elif problem.key in self.editors:
            self.editors[problem.key].focus()

    def reset(self) -> None:
        """Ask (No is the default), then clear at once what the account and the session hold
        for the settings on the screen; Edit > Undo Reset puts it back."""
        active = self.working.active
        cleared = self.account.reset_clears(active.id)
        if not cleared:
            messages.information(
                self,
                "Reset Export Options",
                "Nothing to reset: neither your saved default nor this session holds a value "
                f"of the export settings or of the connection '{active.name}'; your "
                "institution's defaults (and under them the factory defaults) apply.",
            )
            return
        lines = []
        for source, where in (
            (Source.ACCOUNT, "your saved default"),
            (Source.SESSION, "this session"),
        ):
            account_keys = [k for s, c, k in cleared if s is source and c is None]
            connection_keys = [k for s, c, k in cleared if s is source and c is not None]
            if account_keys:
                lines.append(f"• From {where}, the export settings: {_labels(account_keys)}.")
            if connection_keys:
                lines.append(
                    f"• From {where}, the connection '{active.name}': {_labels(connection_keys)}."
                )
        unsaved = (
            "\n\nThe changes on the screen that are not saved are discarded."
            if self.is_dirty()
            else ""
        )
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Reset Export Options",
            "Reset clears these values, so your institution's defaults (and under them the "
            "factory defaults) apply again:\n\n"
            + "\n".join(lines)
            + "\n\nOther connections and stored passwords are kept. Until you leave Export "
            "Options, Edit > Undo Reset or Cancel puts the values back." + unsaved,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setEscapeButton(QMessageBox.StandardButton.No)
        fit_title(box)
        box.exec()
        if box.clickedButton() is not box.button(QMessageBox.StandardButton.Yes):
            return
        try:
            self._resets.append(self.account.reset(active.id))
        except ExportDeskError as error:
            messages.warning(self, "Reset Export Options", error.message)
            return
        self.undo_reset_action.setEnabled(True)
        self.load()
        self._say(
            "Reset: your institution's and the factory defaults apply. Edit > Undo Reset puts "
            "back what was cleared."
        )
        self.settingsApplied.emit()

    def undo_reset(self) -> bool:
        """Edit > Undo Reset: put back what the last reset cleared, written at once; the
        screen shows the settings in effect again."""
        if not self._resets:
            return False
        if not self._restore(self._resets[-1]):
            return False
        self._resets.pop()
        self.undo_reset_action.setEnabled(bool(self._resets))
        self.load()
        self._say("Reset undone: the values it cleared are back.")
        self.settingsApplied.emit()
        return True

    def _restore(self, undo: ResetUndo) -> bool:
        try:
            self.account.undo_reset(undo)
        except ExportDeskError as error:
            messages.warning(self, "Undo Reset", f"Nothing was put back.\n\n{error.message}")
            return False
        return True

    def _forget_resets(self) -> None:
        self._resets.clear()
        self.undo_reset_action.setEnabled(False)

    def cancel(self) -> None:
        """Discard the changes not yet saved; a reset made on this visit is undone too."""
        if self._resets:
            if not self._restore(self._resets[0]):
                return
            self._forget_resets()
            self.load()
            self._say("Changes discarded, and the reset undone.")
            self.settingsApplied.emit()
            return
        self.load()
        self._say("Changes discarded.")

    def hideEvent(self, event: QHideEvent) -> None:
        # Another page shown in the window's place: the cataloger has left the screen, and a
        # reset can no longer be undone. (A minimized window hides spontaneously: still here.)
        if not event.spontaneous():
            self._forget_resets()
        super().hideEvent(event)

    def go_back(self) -> bool:
        """Leave the screen; with unsaved changes, ask first. False when the user stays."""
        if self.is_dirty():
            box = QMessageBox(
                QMessageBox.Icon.Question,
                "Unsaved Export Options",
                "The export options have changes that are not saved.",
                parent=self,
            )
            session = box.addButton("Save for Session", QMessageBox.ButtonRole.AcceptRole)
            default = box.addButton("Save My Default", QMessageBox.ButtonRole.AcceptRole)
            discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
            box.addButton(QMessageBox.StandardButton.Cancel)
            fit_title(box)
            box.exec()
            clicked = box.clickedButton()
            if clicked is session and not self.save_for_session():
                return False
            if clicked is default and not self.save_my_default():
                return False
            if clicked is discard:
                self.load()
            if clicked not in (session, default, discard):
                return False
        self._forget_resets()
        self.goBack.emit()
        return True

    def keyPressEvent(self, event: Any) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.go_back()
            return
        super().keyPressEvent(event)


def _who_to_ask(contact: str) -> str:
    if contact:
        return f"Ask: {contact}"
    return "Ask your institution's ExportDesk administrator."


def _labels(keys: list[str]) -> str:
    """The settings' labels; a label that says little alone ("Authority Record") with its group."""
    return ", ".join(
        f"{BY_KEY[key].group}: {BY_KEY[key].label}"
        if BY_KEY[key].group == G_VALIDATE
        else BY_KEY[key].label
        for key in keys
    )


def _snapshot(settings: ExportSettings) -> tuple[object, ...]:
    return (
        sorted(settings.options.items(), key=lambda item: item[0]),
        [(c.id, c.name, sorted(c.values.items())) for c in settings.connections],
        settings.active_id,
    )
