"""General > Admin > Account Report: what the logged-on account uses now, and why.

The same as one account's line of ``exportdesk account report``, with the session's values
(what an export would use now): the active connection, host, port, logon ID (never a secret
one), where each value comes from, whether a password is kept, and the last export. Below it,
the institution file in force, who to ask, and what it locks.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.export.last_export import last_export
from app.core.export.report import account_report
from app.core.settings.account_settings import AccountSettings
from app.core.settings.locks import describe_locks
from app.core.settings.options import PASSWORD_LABEL
from app.gui.sizing import fit_title

ROWS = (
    ("connection", "Connection"),
    ("host", "Host"),
    ("port", "Port"),
    ("logon_id", "Logon ID"),
)
_SOURCES = {
    "factory": "factory default",
    "institution": "institution default",
    "institution (locked)": "set by your institution (locked)",
    "account": "saved default",
    "session": "this session",
}


class AccountReportDialog(QDialog):
    def __init__(self, account: AccountSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.account = account
        self.setWindowTitle(f"Account Report — {account.account}")
        fit_title(self)
        self.setObjectName("accountReport")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "What exports of this account use now, and where each value comes from. "
            "Administrators: <i>exportdesk account report</i> lists every account."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        box = QGroupBox(f"Account {account.account}")
        form = QFormLayout(box)
        self.values: dict[str, QLabel] = {}
        self.sources: dict[str, QLabel] = {}
        for key, label in ROWS:
            value, source = _selectable(), QLabel()
            source.setStyleSheet("color: palette(mid);")
            row = QVBoxLayout()
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(value)
            row.addWidget(source)
            value.setAccessibleName(label)
            source.setAccessibleName(f"{label}: where it comes from")
            form.addRow(f"{label}:", row)
            self.values[key], self.sources[key] = value, source
        self.password = _selectable()
        self.password.setAccessibleName(PASSWORD_LABEL)
        form.addRow(f"{PASSWORD_LABEL}:", self.password)
        self.last_export = _selectable()
        self.last_export.setAccessibleName("Last export")
        form.addRow("Last export:", self.last_export)
        layout.addWidget(box)

        institution = QGroupBox("Institution file")
        institution_form = QFormLayout(institution)
        self.institution_file = _selectable()
        self.institution_file.setAccessibleName("Institution file")
        self.contact = _selectable()
        self.contact.setAccessibleName("Who to ask")
        self.locks = _selectable()
        self.locks.setAccessibleName("Locked by the institution")
        institution_form.addRow("File:", self.institution_file)
        institution_form.addRow("Who to ask:", self.contact)
        institution_form.addRow("Locked:", self.locks)
        layout.addWidget(institution)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("&Copy as JSON")
        self.copy_button.setToolTip("Copy this report (no password) for a support request")
        self.copy_button.clicked.connect(self.copy)
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.refresh_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.report: dict[str, Any] = {}
        self.refresh()

    def refresh(self) -> None:
        """Show what applies now (after a save on Export Options, an export...)."""
        report = account_report(self.account, with_session=True)
        self.report = report
        for key, _ in ROWS:
            value = report[key]
            if key == "logon_id" and value is None:
                shown = "(secret, kept in the keyring)"
            else:
                shown = str(value) if value not in ("", None) else "(empty)"
            self.values[key].setText(shown)
            source = report["sources"][key]
            self.sources[key].setText(_SOURCES.get(source, source))
        stored = report["password_stored"]
        self.password.setText(
            {True: "stored", False: "not set", None: "the keyring could not be asked"}[stored]
        )
        last = last_export(self.account.account)
        self.last_export.setText(last.describe() if last is not None else "none yet")
        institution = self.account.institution_file
        applied = institution.version is not None
        self.institution_file.setText(
            str(institution.where) if applied else f"none applies ({institution.where})"
        )
        self.contact.setText(institution.contact or "(not given)")
        lines = describe_locks(institution.locks, institution.settings)
        self.locks.setText("\n".join(lines) if lines else "nothing")

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(json.dumps(self.report, ensure_ascii=False, indent=2))


def _selectable() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
