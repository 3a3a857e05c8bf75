"""Export Options: building the screen from the option declarations.

The rows, their labels and messages, the folded advanced groups, the Save/Reset/Cancel/Go Back
rows of buttons, and each field's Alt+letter. Part of ExportOptionsPage (app/gui/options_page.py).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.settings.locks import LOCKED_TEXT
from app.core.settings.options import OPTIONS
from app.gui.mnemonics import mnemonic_letter
from app.gui.option_editors import BoolCheck, IntSpin, OptionEditor, TextLine, editor_for
from app.gui.options_page_base import OptionsPageBase
from app.gui.styles import WARNING_STYLE

BUTTONS = (
    ("session", "Save for &Session", "Apply these settings until you log off"),
    ("default", "Save My &Default", "Apply these settings now and keep them for later sessions"),
    ("reset", "&Reset", "Go back to the institution and factory defaults"),
    ("cancel", "&Cancel", "Discard the changes not yet saved"),
    ("back", "Go &Back", "Leave Export Options"),
)
LOCKED_STYLE = "color: palette(mid); font-style: italic;"
CONNECTION_GROUPS_START = "TCP/IP Connection Options"


class OptionsFormMixin(OptionsPageBase):
    """Builds the page's widgets; the page's other parts fill them."""

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
