"""One editor widget per kind of setting, built from the option's declaration.

Each editor shows a value, reports edits with ``edited``, and hands back either a checked
value or the option's message about the text typed (``OptionError``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QWidget,
)

from app.core.settings.options import Kind, Option


class OptionEditor(QObject):
    edited = Signal()

    def __init__(self, option: Option, widget: QWidget) -> None:
        super().__init__(widget)
        self.option = option
        self.widget = widget
        self.widget.setToolTip(option.help)
        self.widget.setAccessibleName(option.label)
        self.widget.setAccessibleDescription(option.help)
        self._loading = False

    def show_value(self, value: Any) -> None:
        self._loading = True
        try:
            self._show(value)
        finally:
            self._loading = False

    def _emit(self, *_: object) -> None:
        if not self._loading:
            self.edited.emit()

    def focus(self) -> None:
        self.widget.setFocus()

    def value(self) -> Any:
        raise NotImplementedError

    def _show(self, value: Any) -> None:
        raise NotImplementedError


class ChoiceCombo(OptionEditor):
    def __init__(self, option: Option) -> None:
        self.combo = QComboBox()
        super().__init__(option, self.combo)
        for value, label in option.choices:
            self.combo.addItem(label, value)
        self.combo.currentIndexChanged.connect(self._emit)

    def value(self) -> Any:
        return self.combo.currentData()

    def _show(self, value: Any) -> None:
        self.combo.setCurrentIndex(self.combo.findData(value))


class ChoiceRadios(OptionEditor):
    """Two or three choices side by side, as Connexion showed them."""

    def __init__(self, option: Option) -> None:
        box = QWidget()
        super().__init__(option, box)
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.group = QButtonGroup(box)
        self.buttons: dict[str, QRadioButton] = {}
        for value, label in option.choices:
            button = QRadioButton(label)
            button.setToolTip(option.help)
            button.setAccessibleName(f"{option.label}: {label}")
            self.group.addButton(button)
            self.buttons[value] = button
            layout.addWidget(button)
        layout.addStretch(1)
        self.group.buttonToggled.connect(self._emit)

    def value(self) -> Any:
        return next((v for v, b in self.buttons.items() if b.isChecked()), None)

    def _show(self, value: Any) -> None:
        self.buttons[value].setChecked(True)

    def focus(self) -> None:
        checked = self.group.checkedButton()
        (checked or next(iter(self.buttons.values()))).setFocus()


class BoolCheck(OptionEditor):
    def __init__(self, option: Option) -> None:
        self.check = QCheckBox(option.label)
        super().__init__(option, self.check)
        self.check.toggled.connect(self._emit)

    def value(self) -> Any:
        return self.check.isChecked()

    def _show(self, value: Any) -> None:
        self.check.setChecked(bool(value))


class IntSpin(OptionEditor):
    def __init__(self, option: Option) -> None:
        self.spin = QSpinBox()
        super().__init__(option, self.spin)
        assert option.minimum is not None and option.maximum is not None
        self.spin.setRange(option.minimum, option.maximum)
        if option.unit:
            self.spin.setSuffix(f" {option.unit}")
        self.spin.valueChanged.connect(self._emit)

    def value(self) -> Any:
        return self.spin.value()

    def _show(self, value: Any) -> None:
        self.spin.setValue(int(value))


class TextLine(OptionEditor):
    """Free text, a path or a list of field patterns, checked by the option's parser."""

    def __init__(self, option: Option) -> None:
        self.line = QLineEdit()
        container: QWidget = self.line
        self.browse: QPushButton | None = None
        if option.kind is Kind.PATH:
            container = QWidget()
            layout = QHBoxLayout(container)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(self.line, 1)
            self.browse = QPushButton("Browse…")
            self.browse.setAccessibleName(f"Browse for {option.label}")
            self.browse.clicked.connect(self._choose_file)
            layout.addWidget(self.browse)
        super().__init__(option, container)
        self.line.setToolTip(option.help)
        self.line.setAccessibleName(option.label)
        self.line.textEdited.connect(self._emit)

    def value(self) -> Any:
        return self.option.parse(self.line.text())

    def _show(self, value: Any) -> None:
        self.line.setText(self.option.to_text(value))

    def focus(self) -> None:
        self.line.setFocus()

    def set_masked(self, masked: bool) -> None:
        mode = QLineEdit.EchoMode.Password if masked else QLineEdit.EchoMode.Normal
        self.line.setEchoMode(mode)

    def _choose_file(self) -> None:
        current = self.line.text()
        if self.option.key == "file_name":
            chosen, _ = QFileDialog.getSaveFileName(self.widget, self.option.label, current)
        else:
            chosen, _ = QFileDialog.getOpenFileName(
                self.widget, self.option.label, current, "Certificates (*.pem *.crt);;All (*)"
            )
        if chosen:
            self.line.setText(chosen)
            self.edited.emit()


def editor_for(option: Option) -> OptionEditor:
    if option.kind is Kind.CHOICE:
        return ChoiceRadios(option) if len(option.choices) <= 2 else ChoiceCombo(option)
    if option.kind is Kind.BOOL:
        return BoolCheck(option)
    if option.kind is Kind.INT:
        return IntSpin(option)
    return TextLine(option)
