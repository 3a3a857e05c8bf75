"""Export Options: what the page's parts share. ExportOptionsPage (app/gui/options_page.py)
is built of the form, the connections and the buttons (options_page_form,
options_page_connections, options_page_buttons); each part names here the page's signals,
widgets and state it uses, and the methods it calls in another part, so that no part imports
another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabBar,
    QToolButton,
    QWidget,
)

from app.core.settings.account_settings import AccountSettings, ResetUndo
from app.core.settings.layers import ExportSettings
from app.core.settings.options import Problem
from app.core.settings.secrets import Stored
from app.gui.jobs import Job, JobRunner
from app.gui.mnemonics import FieldLetters
from app.gui.option_editors import OptionEditor


class OptionsPageBase(QWidget):
    goBack = Signal()
    settingsApplied = Signal()  # after a save or reset: the effective settings changed
    dirtyChanged = Signal(bool)
    testConnectionFinished = Signal(bool)

    # Set in ExportOptionsPage.__init__ (see there) and load().
    account: AccountSettings
    editors: dict[str, OptionEditor]
    messages: dict[str, QLabel]
    lock_labels: dict[str, QLabel]
    advanced_toggles: list[QToolButton]
    top_buttons: dict[str, QPushButton]
    bottom_buttons: dict[str, QPushButton]
    pending_passwords: dict[str, str | None]
    _input_errors: dict[tuple[str | None, str], tuple[str, str]]
    _password_places: dict[str, Stored | None]
    _dirty: bool
    _status_stands: Callable[[], bool] | None
    _tested: tuple[str, dict[str, Any]] | None
    _resets: list[ResetUndo]
    row_labels: list[QLabel]
    mnemonic_holders: dict[str, QLabel | QAbstractButton]
    field_letters: FieldLetters
    _mnemonics_for: QWidget | None
    undo_reset_action: QAction
    baseline: ExportSettings
    working: ExportSettings
    # Set while building the screen (options_page_form, options_page_connections).
    unsaved_label: QLabel
    notice: QLabel
    locked_notice: QLabel
    status: QLabel
    password: QLineEdit
    forget_password: QPushButton
    password_place: QLabel
    test_connection_button: QPushButton
    test_result: QLabel
    _tests: JobRunner
    _test_call: Job | None
    connection_tabs: QTabBar
    connection_buttons: dict[str, QPushButton]
    connection_hint: QLabel

    # Methods one part calls in another; ExportOptionsPage has them all.

    def load(self) -> None:
        raise NotImplementedError

    def _show_working(self, keep: str | None = None) -> None:
        raise NotImplementedError

    def _edited(self, key: str) -> None:
        raise NotImplementedError

    def _problems(self) -> tuple[list[Problem], list[Problem]]:
        raise NotImplementedError

    def _refresh(self) -> None:
        raise NotImplementedError

    def _say(
        self, text: str, *, error: bool = False, stands: Callable[[], bool] | None = None
    ) -> None:
        raise NotImplementedError

    def is_dirty(self) -> bool:
        raise NotImplementedError

    def _row_label(self, text: str) -> QLabel:
        raise NotImplementedError

    def _give_letter(self, key: str, holder: QLabel | QAbstractButton) -> None:
        raise NotImplementedError

    def _connections_box(self) -> QGroupBox:
        raise NotImplementedError

    def _add_password_row(self, form: QFormLayout) -> None:
        raise NotImplementedError

    def _add_test_connection_row(self, form: QFormLayout) -> None:
        raise NotImplementedError

    def save_for_session(self) -> bool:
        raise NotImplementedError

    def save_my_default(self) -> bool:
        raise NotImplementedError

    def reset(self) -> None:
        raise NotImplementedError

    def cancel(self) -> None:
        raise NotImplementedError

    def go_back(self) -> bool:
        raise NotImplementedError
