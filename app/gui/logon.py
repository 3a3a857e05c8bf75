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
from app.gui.styles import ERROR_STYLE


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
        # The last account used; or the only one (added from the command line, say).
        lone = registry.accounts[0] if len(registry.accounts) == 1 else ""
        chosen = self.authorization.findText(registry.last or lone)
        self.authorization.setCurrentIndex(chosen)  # -1, an empty field, when there is none
        # An editable combo box takes the first Enter for itself: log on at the first press.
        line = self.authorization.lineEdit()
        assert line is not None
        line.returnPressed.connect(self.accept)
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
        self.log_on_button.setDefault(True)
        buttons.addButton("&Quit", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.authorization.setFocus()
        # Wide enough for the title and a message of two lines, never clipped.
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("x" * 60))

    def accept(self) -> None:
        typed = self.authorization.currentText()
        try:
            if not typed.strip():
                raise ExportDeskError("Enter your authorization, such as 100-123-456.")
            self.account = check_authorization(typed)
        except ExportDeskError as error:
            self.message.setText(error.message)
            self.adjustSize()  # room for the whole message, however long
            self.authorization.setFocus()
            return
        super().accept()
