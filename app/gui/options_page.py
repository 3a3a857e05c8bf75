"""General > Admin > Export Options: the screen that edits a working copy of the settings.

Save for Session and Save My Default commit the copy to a layer (see EXPORT-OPTIONS.md);
Cancel reloads it; Reset clears the account's and session's values after asking, at once,
and Edit > Undo Reset (or Cancel) puts them back until the cataloger leaves the screen; Go
Back leaves, first asking what to do with unsaved changes. A message stays only while what
it says is true: a failure while its cause stands, "Saved" until the next change. A value the
institution locks shows greyed, "Set by your institution", with who to ask at the top.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QLabel, QPushButton, QToolButton, QWidget

from app.core.errors import OptionError
from app.core.settings.account_settings import AccountSettings, ResetUndo
from app.core.settings.layers import ExportSettings
from app.core.settings.locks import LOCKED_TEXT
from app.core.settings.options import BY_KEY, OPTIONS, Problem, Scope
from app.core.settings.secrets import Stored
from app.gui.mnemonics import FieldLetters
from app.gui.option_editors import OptionEditor, TextLine
from app.gui.options_page_buttons import OptionsButtonsMixin
from app.gui.options_page_connections import OptionsConnectionsMixin
from app.gui.options_page_form import OptionsFormMixin
from app.gui.styles import ERROR_STYLE, WARNING_STYLE

_SOURCE_TEXTS = {
    "factory": "Value: the factory default.",
    "institution": "Value: your institution's default.",
    "account": "Value: your saved default.",
    "session": "Value: saved for this session.",
    "institution (locked)": "Value: set by your institution, which locks it.",
}


class ExportOptionsPage(OptionsFormMixin, OptionsConnectionsMixin, OptionsButtonsMixin):
    """The screen; its parts: the form (options_page_form), the connections
    (options_page_connections), the buttons (options_page_buttons)."""

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

    def _locked(self, key: str) -> bool:
        """Whether the institution locks the value the editor of ``key`` shows."""
        return self.account.locks.locked(self._owner(key), key)

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

    def keyPressEvent(self, event: Any) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.go_back()
            return
        super().keyPressEvent(event)


def _who_to_ask(contact: str) -> str:
    if contact:
        return f"Ask: {contact}"
    return "Ask your institution's ExportDesk administrator."


def _snapshot(settings: ExportSettings) -> tuple[object, ...]:
    return (
        sorted(settings.options.items(), key=lambda item: item[0]),
        [(c.id, c.name, sorted(c.values.items())) for c in settings.connections],
        settings.active_id,
    )
