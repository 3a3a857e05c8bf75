"""Alt+letters for a screen's fields: every field gets one, and a letter several fields share
goes to each of them in turn.

Twenty-six letters, less the menus' and the buttons' (which keep theirs), are fewer than the
fields of a screen such as Export Options. So a field takes a letter no other field has where
its label allows (a word's first letter, else another of its letters), and otherwise shares
one; a label with no letter left at all shows one after it in brackets, "Character Set (&Q)",
the convention of Qt and Windows for labels without a usable letter.

Qt delivers an Alt+letter that several labels hold as an "ambiguous" shortcut to one of them;
``FieldLetters`` takes it from there: the first of the fields with that letter, or, when the
focus is in one of them, the next (after the last, the first again). Fields that don't apply
(disabled) or are folded away are skipped. A check box with a letter of its own is checked or
cleared at once, as Qt does; with a shared letter it only gets the focus (Space checks it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QScrollArea, QWidget

Holder = QLabel | QAbstractButton  # what shows a field's letter: its label, or its check box


def mnemonic_letter(text: str) -> str:
    """The letter Alt reaches in a label's or button's text ("" when none), lower case."""
    plain = text.replace("&&", "")
    at = plain.find("&")
    return plain[at + 1].lower() if 0 <= at < len(plain) - 1 else ""


def alt_keys(letter: str, presses: int = 1) -> str:
    """Alt+``letter`` pressed ``presses`` times, as this platform writes keys ("Alt+O, Alt+O")."""
    keys = ", ".join([f"Alt+{letter.upper()}"] * presses)
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)


def _usable(letter: str, reserved: set[str]) -> bool:
    return letter.isascii() and letter.isalpha() and letter.lower() not in reserved


def _places(text: str, reserved: set[str]) -> tuple[list[int], list[int]]:
    """Where ``text`` has a usable letter: at the start of a word, and elsewhere."""
    starts: list[int] = []
    others: list[int] = []
    for i, c in enumerate(text):
        if _usable(c, reserved):
            (starts if i == 0 or not text[i - 1].isalpha() else others).append(i)
    return starts, others


def assign_letters(texts: Sequence[str], reserved: Iterable[str]) -> list[str]:
    """Each text (in screen order) with an Alt+letter, none of them ``reserved``.

    Unique letters first: a word's first letter no other text has, then any letter of the
    text no other has; then a shared one, a word's first letter held by the fewest texts (else
    any such letter); last, for a text with no usable letter, the least held letter of the
    alphabet in brackets after it ("Character Set (&Q):").
    """
    reserved = {letter.lower() for letter in reserved}
    places = [_places(text, reserved) for text in texts]
    at: list[int | None] = [None] * len(texts)
    held: Counter[str] = Counter()

    def take(index: int, position: int) -> None:
        at[index] = position
        held[texts[index][position].lower()] += 1

    for kind in (0, 1):  # unique: a word's first letter, then any letter
        for index, text in enumerate(texts):
            if at[index] is None:
                free = [p for p in places[index][kind] if text[p].lower() not in held]
                if free:
                    take(index, free[0])
    for index, text in enumerate(texts):  # shared, with as few others as can be
        starts, others = places[index]
        if at[index] is None and (starts or others):
            take(index, min(starts or others, key=lambda p: held[text[p].lower()]))
    result = []
    for index, text in enumerate(texts):
        position = at[index]
        if position is not None:
            result.append(text[:position] + "&" + text[position:])
            continue
        alphabet = [c for c in "abcdefghijklmnopqrstuvwxyz" if c not in reserved]
        if not alphabet:
            result.append(text)
            continue
        letter = min(alphabet, key=lambda c: held[c])
        held[letter] += 1
        body, colon = (text[:-1], ":") if text.endswith(":") else (text, "")
        result.append(f"{body} (&{letter.upper()}){colon}")
    return result


def _target(holder: Holder) -> QWidget | None:
    """The field a holder's letter goes to: a label's buddy, or the check box itself."""
    return holder.buddy() if isinstance(holder, QLabel) else holder


class FieldLetters(QObject):
    """The Alt+letters of a screen's fields, given in screen order (see the module's text)."""

    def __init__(self, screen: QWidget) -> None:
        super().__init__(screen)
        self.screen = screen
        self.holders: list[Holder] = []

    def add(self, holder: Holder) -> None:
        self.holders.append(holder)
        holder.installEventFilter(self)

    def assign(self, reserved: Iterable[str]) -> None:
        """Give every field a letter, leaving alone the ``reserved`` ones (menus, buttons)."""
        texts = assign_letters([h.text().replace("&", "") for h in self.holders], reserved)
        for holder, text in zip(self.holders, texts, strict=True):
            holder.setText(text)

    def reachable(self) -> list[Holder]:
        """The holders whose field Alt+letter can go to now: shown and enabled."""
        found = []
        for holder in self.holders:
            target = _target(holder)
            if (
                target is not None
                and holder.isVisibleTo(self.screen)
                and target.isVisibleTo(self.screen)
                and target.isEnabled()
                and mnemonic_letter(holder.text())
            ):
                found.append(holder)
        return found

    def sharing(self, holder: Holder) -> list[Holder]:
        """The reachable fields with ``holder``'s letter, in the order its presses reach them."""
        letter = mnemonic_letter(holder.text())
        return [h for h in self.reachable() if mnemonic_letter(h.text()) == letter]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() is QEvent.Type.Shortcut and watched in self.holders:
            assert isinstance(watched, QLabel | QAbstractButton)
            self._go(self.sharing(watched))
            return True
        return False

    def _go(self, sharing: list[Holder]) -> None:
        if not sharing:
            return
        focus = QApplication.focusWidget()
        now = next(
            (
                i
                for i, holder in enumerate(sharing)
                if focus is not None and _contains(_target(holder), focus)
            ),
            None,
        )
        chosen = sharing[0 if now is None else (now + 1) % len(sharing)]
        target = _target(chosen)
        assert target is not None
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)
        target.window().setAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange)
        _scroll_to(QApplication.focusWidget() or target)
        if len(sharing) == 1 and isinstance(chosen, QAbstractButton) and chosen.isCheckable():
            chosen.animateClick()


def _contains(target: QWidget | None, widget: QWidget) -> bool:
    return target is not None and (widget is target or target.isAncestorOf(widget))


def _scroll_to(widget: QWidget) -> None:
    """Bring a field reached by its letter into sight (Tab does; setting the focus does not)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            parent.ensureWidgetVisible(widget)
            return
        parent = parent.parentWidget()
