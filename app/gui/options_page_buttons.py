"""Export Options: what the buttons do. Save for Session and Save My Default commit the
working copy; Reset clears the account's and session's values, after asking, and Edit > Undo
Reset (or Cancel) puts them back until the cataloger leaves the screen; Go Back leaves, first
asking what to do with unsaved changes. Part of ExportOptionsPage (app/gui/options_page.py).
"""

from __future__ import annotations

from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import QMessageBox

from app.core.errors import ExportDeskError
from app.core.settings.account_settings import ResetUndo
from app.core.settings.layers import Source
from app.core.settings.options import BY_KEY, G_VALIDATE, Problem
from app.core.settings.secrets import Stored, keyring_description, no_keyring_reason
from app.gui import messages
from app.gui.options_page_base import OptionsPageBase
from app.gui.sizing import fit_title

NOTHING_SAVED = "Nothing was saved: correct the settings marked in red first."


class OptionsButtonsMixin(OptionsPageBase):
    """Save, Reset, Undo Reset, Cancel and Go Back."""

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


def _labels(keys: list[str]) -> str:
    """The settings' labels; a label that says little alone ("Authority Record") with its group."""
    return ", ".join(
        f"{BY_KEY[key].group}: {BY_KEY[key].label}"
        if BY_KEY[key].group == G_VALIDATE
        else BY_KEY[key].label
        for key in keys
    )
