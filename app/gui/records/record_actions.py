"""What the records page does to the selected records: flag and unflag, delete, Mark as
Exported, Apply Constant Data. Each acts on the records the rows stood for when selected
(see records.model), and says what it did in the page's ``notice``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QMessageBox, QPushButton

from app.core.errors import ExportDeskError
from app.core.export.unsettled import lock_path
from app.core.wording import count_of
from app.gui import messages

if TYPE_CHECKING:
    from app.gui.records.page_base import PageBase


class RecordActions(QObject):
    """The actions (in the page, the list's context menu and the window's menus) and the
    page's buttons for them."""

    def __init__(self, page: PageBase) -> None:
        super().__init__(page)
        self.page = page
        table = page.table
        self.toggle_flag_action = page.add_action(
            "Flag or unflag selected", self.toggle_flags, "Space", on=table
        )
        self.flag_selected_action = page.add_action("F&lag selected", self.flag_selected)
        self.unflag_all_action = page.add_action("&Unflag all", self.unflag_all)
        self.delete_action = page.add_action(
            "&Delete selected…", self.delete_selected, "Delete", on=table
        )
        self.mark_exported_action = page.add_action(
            "&Mark as Exported…", self.mark_exported_selected, on=table
        )
        self.mark_exported_action.setToolTip(
            "The selected flagged records are in your local system already (an unconfirmed "
            "export that did arrive): no export sends them again"
        )
        self.apply_template_action = page.add_action(
            "Apply C&onstant Data…", self.apply_template_to_selected
        )
        self.apply_template_action.setToolTip(
            "Add a constant data template's fields to the selected records (never twice)"
        )
        table.insertAction(self.toggle_flag_action, self.flag_selected_action)
        self.flag_button = QPushButton(self.flag_selected_action.text())
        self.flag_button.setToolTip("Flag the selected records for export (Space toggles)")
        self.flag_button.clicked.connect(self.flag_selected_action.trigger)
        self.unflag_all_button = QPushButton(self.unflag_all_action.text())
        self.unflag_all_button.setToolTip("Clear the flag of every record in the save file")
        self.unflag_all_button.clicked.connect(self.unflag_all_action.trigger)
        self.delete_button = QPushButton(self.delete_action.text())
        self.delete_button.setToolTip("Remove the selected records from the save file (Delete)")
        self.delete_button.clicked.connect(self.delete_action.trigger)
        self.buttons = (self.flag_button, self.unflag_all_button, self.delete_button)

    def update(self, selected: bool, flagged: int) -> None:
        """Enabled as far as there is a selection, and records flagged."""
        for action in (
            self.flag_selected_action,
            self.delete_action,
            self.mark_exported_action,
            self.apply_template_action,
        ):
            action.setEnabled(selected)
        self.flag_button.setEnabled(selected)
        self.delete_button.setEnabled(selected)
        self.unflag_all_action.setEnabled(flagged > 0)
        self.unflag_all_button.setEnabled(flagged > 0)

    def _selected(self) -> list[int]:
        return self.page.guarded(self.page.selected_ids) or []

    # -- flags and deletion --------------------------------------------------------------

    @Slot()
    def toggle_flags(self) -> None:
        """Space: unflag the selection when all of it is flagged, otherwise flag all of it."""
        ids = self._selected()
        if ids:
            save_file = self.page.save_file

            def toggle() -> None:
                flagged = save_file.flagged_among(ids)
                unflagged = len(ids) - len(flagged)
                if flagged and unflagged:  # records deleted elsewhere count for neither
                    unflagged -= len(save_file.missing(ids))
                save_file.set_flagged(ids, unflagged > 0)

            self._change_flags(toggle)

    @Slot()
    def flag_selected(self) -> None:
        ids = self._selected()
        if ids:
            self._change_flags(lambda: self.page.save_file.set_flagged(ids, True))

    @Slot()
    def unflag_all(self) -> None:
        self._change_flags(self.page.save_file.unflag_all)

    def _change_flags(self, change: Callable[[], object]) -> None:
        if self.page.guarded(change) is not None:
            self.page.guarded(self.page.model.refresh_flags)

    @Slot()
    def delete_selected(self) -> None:
        ids = self._selected()
        if not ids:
            return
        noun = "this record" if len(ids) == 1 else f"these {len(ids):,} records"
        answer = messages.question(
            self.page,
            "Delete records",
            f"Delete {noun} from the save file? Their export history stays in the journal.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.page.guarded(lambda: self.page.save_file.delete(ids))
            self.page.table.clearSelection()
            self.page.refresh()

    # -- Mark as Exported ----------------------------------------------------------------

    @Slot()
    def mark_exported_selected(self) -> None:
        """Mark as Exported: the cataloger found the selected flagged records in the local
        system (an export that stayed unconfirmed had arrived). They are journalled as
        exported by hand and unflagged; records not flagged are left as they are."""
        page, save_file = self.page, self.page.save_file
        ids = self._selected()
        if not ids:
            return
        flagged = page.guarded(lambda: save_file.flagged_among(ids))
        if not flagged:
            if flagged is not None:
                messages.information(
                    page,
                    "Mark as Exported",
                    "None of the selected records is flagged: none is waiting to be exported.",
                )
            return
        local_id: str | None = None
        why = (
            "Do this only after finding {it} in your local system: {it_is} unflagged, no export "
            "sends {it} again, and the export log notes that you marked {it}."
        )
        if len(flagged) == 1:
            record = page.guarded(lambda: save_file.get(flagged[0]))
            title = f" ({record.title})" if record and record.title else ""
            text, ok = messages.get_text(
                page,
                "Mark as Exported",
                f"Mark record {flagged[0]}{title} as exported? "
                + why.format(it="it", it_is="it is")
                + "\n\nIts number in the local system, if you want it kept (MMS ID, "
                "biblionumber):",
            )
            if not ok:
                return
            local_id = text.strip() or None
        else:
            answer = messages.question(
                page,
                "Mark as Exported",
                f"Mark these {len(flagged):,} flagged records as exported? "
                + why.format(it="them", it_is="they are"),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        import filelock

        try:
            # Not while an export of this save file runs: it may be sending one of them.
            with filelock.FileLock(lock_path(save_file), timeout=0):
                marked = page.guarded(lambda: save_file.mark_exported(flagged, local_id=local_id))
        except filelock.Timeout:
            messages.information(
                page,
                "Mark as Exported",
                "An export is running; mark the records when it has finished.",
            )
            return
        if marked is None:
            return
        page.refresh()
        noun = "record" if marked == 1 else "records"
        passed = len(ids) - len(flagged)
        skipped = f"; {passed:,} not flagged left as they were" if passed else ""
        page.notice.emit(f"Marked {marked:,} {noun} as exported{skipped}.")

    # -- Apply Constant Data -------------------------------------------------------------

    @Slot()
    def apply_template_to_selected(self) -> bool:
        """Ask for a constant data template and add its fields to the selected records."""
        page = self.page
        ids = self._selected()
        if not ids:
            return False
        if page.shown_record_id in ids and not page.confirm_leave():
            return False
        try:
            from app.core.export.constant_data import all_templates

            names = [t.name for t in all_templates(page.save_file)]
        except ExportDeskError as error:
            messages.warning(page, "Apply Constant Data", error.message)
            return False
        if not names:
            messages.information(
                page,
                "Apply Constant Data",
                "This account has no constant data templates yet. Add one with "
                "exportdesk template add --account ACCOUNT --name NAME --from FILE.mrk, or "
                "from the institution file.",
            )
            return False
        name, chosen = messages.get_item(
            page,
            "Apply Constant Data",
            f"Add the fields of which template to {count_of(len(ids), 'record')}?",
            names,
        )
        if not chosen:
            return False
        return self.apply_template(ids, name)

    def apply_template(self, record_ids: Sequence[int], name: str) -> bool:
        page = self.page
        try:
            from app.core.export.constant_data import find_template
            from app.core.store.templates import apply_template

            template = find_template(page.save_file, name)
            result = apply_template(page.save_file, record_ids, template, wait=0)
        except ExportDeskError as error:
            messages.warning(page, "Apply Constant Data", error.message)
            return False
        page.refresh()
        added = len(result.changed)
        text = f"Added the constant data '{template.name}' to {added:,} record" + (
            "" if added == 1 else "s"
        )
        if result.unchanged:
            text += f"; {len(result.unchanged):,} had it already"
        page.notice.emit(text + ".")
        return True
