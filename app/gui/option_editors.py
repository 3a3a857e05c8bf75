"""One editor widget per kind of setting, built from the option's declaration.

Each editor shows a value, reports edits with ``edited``, and hands back either a checked
value or the option's message about the text typed (``OptionError``): a number out of range
stays on the screen as typed, with the message the command line gives, rather than being cut
to fit. A spin box or combo box changes with the mouse wheel only once it has the focus, so
that scrolling the page over it leaves its value alone.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QStyle,
    QStyleOptionSpinBox,
    QWidget,
)

from app.core.settings.options import Kind, Option


class WheelNeedsFocus(QObject):
    """Event filter: a wheel over a control without the focus scrolls the page instead.

    The wheel event is left ignored and unhandled, so Qt passes it on to the parents, up to
    the scroll area. The control no longer takes the focus from the wheel either
    (Qt.StrongFocus): a click or Tab gives it the focus, and then the wheel changes its value.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() is QEvent.Type.Wheel
            and isinstance(watched, QWidget)
            and not watched.hasFocus()
        ):
            event.ignore()
            return True
        return False


def wheel_needs_focus(widget: QWidget) -> None:
    """Let the mouse wheel change ``widget`` only while it has the focus."""
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    widget.installEventFilter(WheelNeedsFocus(widget))


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

    def text(self) -> str:
        """What the control holds as typed, kept while it is not an acceptable value."""
        return str(self.option.to_text(self.value()))

    def show_text(self, text: str) -> None:
        """Show text typed earlier (a value not accepted) again, as it was typed."""
        self._loading = True
        try:
            self._show_text(text)
        finally:
            self._loading = False

    def _show_text(self, text: str) -> None:
        self._show(self.option.parse(text))

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
        wheel_needs_focus(self.combo)
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
        # The label's Alt+letter goes to the chosen button (Tab skips the box itself).
        box.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        box.setFocusProxy(next(iter(self.buttons.values())))
        self.group.buttonToggled.connect(self._emit)
        self.group.buttonToggled.connect(self._follow_choice)

    def _follow_choice(self, button: QRadioButton, checked: bool) -> None:
        if checked:
            self.widget.setFocusProxy(button)

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


class NumberBox(QSpinBox):
    """A spin box that takes any whole number typed, so the option's own check can say what
    is wrong with it (QSpinBox's range would cut 70000 to 7000 or quietly revert 0). The
    arrows, keys and wheel still step within the declared range, and the box is as wide as
    the declared range's values, not the whole numbers'."""

    def __init__(self, minimum: int, maximum: int) -> None:
        super().__init__()
        self.declared = (minimum, maximum)
        self.setRange(-(2**31), 2**31 - 1)

    def stepBy(self, steps: int) -> None:
        low, high = self.declared
        target = min(max(self.value() + steps, low), high)
        if target != self.value():
            super().stepBy(target - self.value())

    def stepEnabled(self) -> QAbstractSpinBox.StepEnabledFlag:
        low, high = self.declared
        enabled = super().stepEnabled()
        if self.value() >= high:
            enabled &= ~QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        if self.value() <= low:
            enabled &= ~QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return enabled

    def sizeHint(self) -> QSize:
        return self._size_for(self.lineEdit().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return self._size_for(self.lineEdit().minimumSizeHint().height())

    def _size_for(self, height: int) -> QSize:
        # As QAbstractSpinBox::sizeHint measures, with the declared range in place of the
        # spin box's own.
        self.ensurePolished()
        metrics = self.fontMetrics()
        fixed = self.prefix() + self.suffix() + " "
        width = max(metrics.horizontalAdvance(self.textFromValue(v) + fixed) for v in self.declared)
        option = QStyleOptionSpinBox()
        self.initStyleOption(option)
        contents = QSize(width + 2, height)  # + 2: room for the cursor, as Qt leaves
        return self.style().sizeFromContents(QStyle.ContentsType.CT_SpinBox, option, contents, self)


class IntSpin(OptionEditor):
    def __init__(self, option: Option) -> None:
        assert option.minimum is not None and option.maximum is not None
        self.spin = NumberBox(option.minimum, option.maximum)
        super().__init__(option, self.spin)
        wheel_needs_focus(self.spin)
        if option.unit:
            self.spin.setSuffix(f" {option.unit}")
        self.spin.textChanged.connect(self._emit)

    def value(self) -> Any:
        return self.option.parse(self.spin.cleanText())

    def text(self) -> str:
        return self.spin.cleanText()

    def _show(self, value: Any) -> None:
        self.spin.setValue(int(value))

    def _show_text(self, text: str) -> None:
        self.spin.lineEdit().setText(self.spin.prefix() + text + self.spin.suffix())


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

    def text(self) -> str:
        return self.line.text()

    def _show_text(self, text: str) -> None:
        self.line.setText(text)

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
