"""The logon dialog: pick an account of this machine or enter a new authorization."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app import APP_NAME
from app.core.errors import ExportDeskError
from app.core.settings.accounts import AccountRegistry, check_authorization
from app.gui.options_page import ERROR_STYLE


class LogonDialog(QDialog):
    def __init__(self, registry: AccountRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{APP_NAME}: Log On")
        self.account: str | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("Choose your account, or type a new authorization such as 100-123-456.")
        )
        form = QFormLayout()
        self.authorization = QComboBox()
        self.authorization.setEditable(True)
        self.authorization.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.authorization.addItems(registry.accounts)
        self.authorization.setAccessibleName("Authorization")
        self.authorization.setToolTip("Your account: three groups of digits joined by hyphens")
        if registry.last:
            self.authorization.setCurrentText(registry.last)
        else:
            self.authorization.setCurrentText("")
        label = QLabel("&Authorization:")
        label.setBuddy(self.authorization)
        form.addRow(label, self.authorization)
        layout.addLayout(form)
        self.message = QLabel()
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Log on message")
        layout.addWidget(self.message)
        buttons = QDialogButtonBox()
        self.log_on_button = buttons.addButton("&Log On", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("&Quit", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.authorization.setFocus()

    def accept(self) -> None:
        try:
            self.account = check_authorization(self.authorization.currentText())
        except ExportDeskError as error:
            self.message.setText(error.message)
            self.authorization.setFocus()
            return
        super().accept()
