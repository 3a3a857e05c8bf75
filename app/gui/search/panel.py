"""The search panel (F2, as Connexion Client's WorldCat search): search one of the account's
targets, page through the hits (the next page comes when the list nears its end), read the
selected hit, and Save to Local File or Flag for Export the selected hits: their records are
retrieved and stored through the import's path, the duplicate policy deciding (the OCLC number,
or else 003 and 001). WorldCat targets also set and unset the institution's holdings.

Every request runs off the GUI thread (a job of app/gui/jobs.py) and can be cancelled; a
failure of the target is a message naming it, in the panel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import ExportDeskError
from app.core.settings.account_settings import AccountSettings
from app.core.settings.files import take_notices
from app.core.settings.targets import Target, TargetKind, Targets
from app.core.sources.hits import Hit, SearchPage, SearchQuery
from app.core.sources.holdings import HoldingAction, HoldingResult
from app.core.store.importer import DuplicateQuestion
from app.core.store.savefile import SaveFile
from app.core.wording import count_of
from app.gui.jobs import Job, JobRunner
from app.gui.search.brief import duplicate_key, make_brief_widgets, show_brief
from app.gui.search.notices import (
    ask_about_duplicate,
    holdings_message,
    skipped_note,
    stored_message,
)
from app.gui.search.results_model import HitsModel
from app.gui.search.widgets import (
    ERROR_STYLE,
    INDEX_CHOICES,
    RAW,
    make_action,
    make_duplicate_box,
    make_results_view,
)
from app.gui.search.worker import (
    STOP_SECONDS,
    Clients,
    StoreResult,
    holdings_work,
    search_work,
    start_job,
    store_work,
)

if TYPE_CHECKING:
    from app.gui.search.worker import TargetWork

PAGE_SIZE = 20  # hits asked for at a time


class SearchPanel(QWidget):
    """The panel; the main window docks it and listens to ``recordsStored`` and ``notice``."""

    recordsStored = Signal(object)  # StoreResult: the save file changed
    notice = Signal(str)  # for the window's status bar
    busyChanged = Signal(bool)

    def __init__(
        self,
        account: AccountSettings,
        save_file: SaveFile,
        parent: QWidget | None = None,
        *,
        page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("searchPanel")
        self.account = account
        self.save_file = save_file
        self.page_size = page_size
        self.targets: list[Target] = []
        self.target: Target | None = None  # the target of the hits shown
        self.query: SearchQuery | None = None
        self.jobs = JobRunner(self)
        self.clients = Clients(account.vault)
        self._job: Job | None = None  # the job the panel waits for
        self._job_kind = ""
        self._job_target: Target | None = None  # the target the job asks
        self._holdings_skipped: list[str] = []  # what the holdings' caller left out, and why
        self._more_pending = False
        self._closed = False
        self.last_error = ""

        self._build_form()
        self._build_results()
        self._build_actions()
        self._lay_out()
        self.reload_targets(report=False)  # the window reports the notices of its opening
        self._update_actions()

    # -- building -------------------------------------------------------------------------

    def _build_form(self) -> None:
        self.target_box = QComboBox()
        self.target_box.setAccessibleName("Target")
        self.target_box.setToolTip("The catalogue or WorldCat to search (the account's targets)")
        self.target_box.currentIndexChanged.connect(self._update_actions)
        self.target_label = QLabel("Search &within:")
        self.target_label.setBuddy(self.target_box)
        self.index_box = QComboBox()
        self.index_box.setAccessibleName("Index")
        for text, key in INDEX_CHOICES:
            self.index_box.addItem(text, key)
        self.index_label = QLabel("Inde&x:")
        self.index_label.setBuddy(self.index_box)
        self.terms = QLineEdit()
        self.terms.setAccessibleName("Search terms")
        self.terms.setPlaceholderText("Words, or a number (OCLC, ISBN, ISSN, LCCN)")
        self.terms.setClearButtonEnabled(True)
        self.terms.returnPressed.connect(self.search)
        self.terms_label = QLabel("Ter&ms:")
        self.terms_label.setBuddy(self.terms)
        self.search_button = QPushButton("Search")
        self.search_button.setToolTip("Search the target (Enter in the terms)")
        self.search_button.clicked.connect(self.search)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the request under way (Esc)")
        self.cancel_button.clicked.connect(self.cancel)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Search message")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def _build_results(self) -> None:
        self.model = HitsModel(self)
        self.model.moreWanted.connect(self._more_wanted)
        view = make_results_view(self.model)
        view.selectionModel().currentRowChanged.connect(self._current_changed)
        view.selectionModel().selectionChanged.connect(self._update_actions)
        self.results = view

        self.brief_heading, self.brief_fields = make_brief_widgets()

    def _action(self, text: str, slot: Any, shortcut: str | None, tip: str) -> QAction:
        return make_action(self, text, slot, shortcut, tip)

    def _build_actions(self) -> None:
        # The keys act on the selected hits: they work in the results list (as Space and
        # Delete work in the records list), so they take no key from anywhere else.
        self.save_action = self._action(
            "&Save to Local File", self.save_selected, "Ctrl+S",
            "Retrieve the selected hits' records into the save file",
        )  # fmt: skip
        self.flag_action = self._action(
            "&Flag for Export", self.flag_selected, "Ctrl+Shift+F",
            "Retrieve the selected hits' records into the save file and flag them for export",
        )  # fmt: skip
        for action in (self.save_action, self.flag_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            self.results.addAction(action)
        self.set_holdings_action = self._action(
            "Set &Holdings", lambda: self.update_holdings("set"), None,
            "Set the institution's WorldCat holdings on the selected hits",
        )  # fmt: skip
        self.unset_holdings_action = self._action(
            "&Unset Holdings", lambda: self.update_holdings("unset"), None,
            "Remove the institution's WorldCat holdings from the selected hits",
        )  # fmt: skip
        self.cancel_action = self._action(
            "&Cancel Search", self.cancel, "Esc", "Stop the search or retrieval under way"
        )
        self.cancel_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.cancel_action)
        self.results.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for action in (self.set_holdings_action, self.unset_holdings_action):
            self.results.addAction(action)
        self.save_button = QPushButton("Save to Local File")
        self.flag_button = QPushButton("Flag for Export")
        self.set_holdings_button = QPushButton("Set Holdings")
        self.unset_holdings_button = QPushButton("Unset Holdings")
        for button, action in (
            (self.save_button, self.save_action),
            (self.flag_button, self.flag_action),
            (self.set_holdings_button, self.set_holdings_action),
            (self.unset_holdings_button, self.unset_holdings_action),
        ):
            button.setToolTip(action.toolTip())
            button.clicked.connect(action.trigger)
        self.duplicate_box, self.duplicate_label = make_duplicate_box()

    @property
    def actions_for_menu(self) -> list[QAction]:
        return [
            self.save_action,
            self.flag_action,
            self.set_holdings_action,
            self.unset_holdings_action,
            self.cancel_action,
        ]

    def _lay_out(self) -> None:
        form = QGridLayout()
        form.addWidget(self.target_label, 0, 0)
        form.addWidget(self.target_box, 0, 1, 1, 3)
        form.addWidget(self.index_label, 1, 0)
        form.addWidget(self.index_box, 1, 1, 1, 3)
        form.addWidget(self.terms_label, 2, 0)
        form.addWidget(self.terms, 2, 1)
        form.addWidget(self.search_button, 2, 2)
        form.addWidget(self.cancel_button, 2, 3)
        form.setColumnStretch(1, 1)

        brief = QWidget()
        brief_layout = QVBoxLayout(brief)
        brief_layout.setContentsMargins(0, 0, 0, 0)
        brief_layout.addWidget(self.brief_heading)
        brief_layout.addWidget(self.brief_fields, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.results)
        self.splitter.addWidget(brief)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)

        buttons = QHBoxLayout()
        for button in (self.save_button, self.flag_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        for button in (self.set_holdings_button, self.unset_holdings_button):
            buttons.addWidget(button)
        duplicates = QHBoxLayout()
        duplicates.addWidget(self.duplicate_label)
        duplicates.addWidget(self.duplicate_box)
        duplicates.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(buttons)
        layout.addLayout(duplicates)
        for first, second in (
            (self.target_box, self.index_box),
            (self.index_box, self.terms),
            (self.terms, self.search_button),
            (self.search_button, self.cancel_button),
            (self.cancel_button, self.results),
            (self.results, self.brief_fields),
            (self.brief_fields, self.save_button),
        ):
            QWidget.setTabOrder(first, second)

    # -- targets --------------------------------------------------------------------------

    def reload_targets(self, report: bool = True) -> None:
        """Read the account's targets again (added from the command line meanwhile...),
        keeping the one chosen; what was wrong with their files goes to ``notice``."""
        chosen = self.target_box.currentText()
        self.targets = Targets(self.account.account).all
        if report:
            for notice in take_notices():
                self.notice.emit(notice)
        self.target_box.blockSignals(True)
        self.target_box.clear()
        for target in self.targets:
            self.target_box.addItem(target.name, target.name)
            self.target_box.setItemData(
                self.target_box.count() - 1, target.describe(), Qt.ItemDataRole.ToolTipRole
            )
        found = self.target_box.findText(chosen)
        self.target_box.setCurrentIndex(max(found, 0))
        self.target_box.blockSignals(False)
        if not self.targets and not self.busy:
            self._show_message(
                f"Account {self.account.account} has no targets to search yet. Add one with: "
                f"exportdesk target add --account {self.account.account} --name NAME --kind "
                "sru --url URL (or --kind worldcat --key CLIENT_ID)"
            )
        self._update_actions()

    def chosen_target(self) -> Target | None:
        row = self.target_box.currentIndex()
        return self.targets[row] if 0 <= row < len(self.targets) else None

    def choose_target(self, name: str) -> None:
        row = self.target_box.findText(name)
        if row >= 0:
            self.target_box.setCurrentIndex(row)

    def choose_index(self, key: str) -> None:
        row = self.index_box.findData(key)
        if row >= 0:
            self.index_box.setCurrentIndex(row)

    def focus_terms(self) -> None:
        self.terms.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.terms.selectAll()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.busy:
            self.reload_targets()

    # -- state ----------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._job is not None

    def selected_hits(self) -> list[Hit]:
        rows = sorted({index.row() for index in self.results.selectionModel().selectedRows()})
        return [hit for row in rows if (hit := self.model.hit(row)) is not None]

    def _update_actions(self, *_args: Any) -> None:
        busy = self.busy
        target = self.chosen_target()
        self.search_button.setEnabled(not busy and target is not None)
        self.terms.setEnabled(not busy)
        self.target_box.setEnabled(not busy)
        self.index_box.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.cancel_action.setEnabled(busy)
        selected = bool(self.selected_hits()) and not busy
        for action, button in (
            (self.save_action, self.save_button),
            (self.flag_action, self.flag_button),
        ):
            action.setEnabled(selected)
            button.setEnabled(selected)
        worldcat = self.target is not None and self.target.kind is TargetKind.WORLDCAT
        for action, button in (
            (self.set_holdings_action, self.set_holdings_button),
            (self.unset_holdings_action, self.unset_holdings_button),
        ):
            action.setEnabled(selected and worldcat)
            action.setVisible(worldcat)
            button.setEnabled(selected and worldcat)
            button.setVisible(worldcat)

    def _show_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else "")
        self.message.setAccessibleDescription("Error" if error else "")
        if error:
            self.last_error = text

    def _start(self, kind: str, target: Target, work: TargetWork[Any]) -> None:
        job = start_job(self.jobs, self.clients, target, work, f"search-{kind}")
        job.finished.connect(self._job_finished)
        job.cancelled.connect(self._job_finished)  # a store's records stay stored
        job.failed.connect(self._job_failed)
        job.asked.connect(self._ask_about_duplicate)
        job.ended.connect(self._job_ended)
        self._job = job
        self._job_kind = kind
        self._job_target = target
        self._update_actions()
        self.busyChanged.emit(True)

    # -- searching ------------------------------------------------------------------------

    def search(self) -> None:
        """Search the chosen target for the terms, from the first hit."""
        if self.busy:
            return
        target = self.chosen_target()
        if target is None:
            self._show_message("Choose a target to search first.", error=True)
            return
        index = str(self.index_box.currentData())
        try:
            query = SearchQuery(
                self.terms.text(), index="keyword" if index == RAW else index, raw=index == RAW
            )
        except ExportDeskError as problem:
            self._show_message(f"{problem.message[0].upper()}{problem.message[1:]}.", error=True)
            self.focus_terms()
            return
        self.model.clear()
        self._show_brief(None)
        self.target, self.query = target, query
        self._more_pending = False
        self._show_message(f"Searching {target.describe()} for {query.describe()}…")
        self._start("search", target, search_work(query, 1, self.page_size))

    def _more_wanted(self, start: int) -> None:
        """The list nears its end: the next page, once nothing else is under way."""
        if self.target is None or self.query is None:
            self.model.page_failed()
            return
        if self.busy:
            self.model.loading = False
            self._more_pending = True
            return
        self._show_message(f"Getting more hits from {self.target.describe()}…")
        self._start("more", self.target, search_work(self.query, start, self.page_size))

    def _page_arrived(self, page: SearchPage, first: bool) -> None:
        self.model.add_page(page)
        assert self.target is not None
        shown, total = self.model.rowCount(), page.total
        if total == 0:
            self._show_message(f"No hits in {self.target.describe()}.")
        else:
            more = " Scroll down for more." if self.model.next_start is not None else ""
            self._show_message(
                f"{shown:,} of {count_of(total, 'hit')} in {self.target.describe()}.{more}"
            )
        if first and shown:
            self.results.selectRow(0)
            self.results.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- the job's news -------------------------------------------------------------------

    # The slots learn which job speaks from sender(): one the panel gave up on is not _job.

    def _job_finished(self, result: Any) -> None:
        if isinstance(result, StoreResult):
            self.recordsStored.emit(result)  # even cancelled: what was stored is there
        if self.sender() is not self._job or self._closed:
            return
        kind = self._job_kind
        if kind in ("search", "more") and isinstance(result, SearchPage):
            self._page_arrived(result, first=kind == "search")
        elif kind == "store" and isinstance(result, StoreResult):
            self._stored(result)
        elif kind == "holdings" and isinstance(result, list):
            self._holdings_done(result)

    def _job_failed(self, message: str) -> None:
        if self.sender() is not self._job or self._closed:
            return
        if self._job_kind == "more":
            self.model.page_failed()
        if self._job_kind == "holdings":
            message = " ".join([message, *self._skipped_note()])
        self._show_message(message, error=True)

    def _job_ended(self) -> None:
        if self.sender() is not self._job or self._closed:
            return
        self._job = None
        self._job_kind = ""
        self._job_target = None
        self._update_actions()
        self.busyChanged.emit(False)
        if self._more_pending:
            self._more_pending = False
            self.model.fetchMore(QModelIndex())

    def cancel(self) -> None:
        """Stop what is under way. A search is given up at once (an answer that comes later
        is dropped); a retrieval stops before the next record, keeping those stored."""
        if self._job is None:
            return
        kind, asked = self._job_kind, self._job_target
        self._job.cancel()  # a duplicate question waiting is answered "skip the rest"
        self._job = None
        self._job_kind = ""
        self._job_target = None
        if kind == "more":
            self.model.loading = False
        target = asked.describe() if asked is not None else "the target"
        if kind == "store":
            text = f"Retrieval from {target} cancelled; the records saved before it stay."
        elif kind == "holdings":
            text = f"Holdings in {target} cancelled; those changed before it stay changed."
        else:
            text = f"Search of {target} cancelled."
        self._show_message(text)
        self._update_actions()
        self.busyChanged.emit(False)

    # -- the brief view -------------------------------------------------------------------

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_brief(self.model.hit(current.row()) if current.isValid() else None)

    def current_hit(self) -> Hit | None:
        index = self.results.currentIndex()
        return self.model.hit(index.row()) if index.isValid() else None

    def saved_copy(self, hit: Hit) -> int | None:
        """The save file's record that is this hit's record (same OCLC number, or else the
        same 003 and 001), or None."""
        key = duplicate_key(hit, self.target)
        try:
            return self.save_file.newest_duplicate(key)
        except ExportDeskError:
            return None

    def _show_brief(self, hit: Hit | None) -> None:
        saved = self.saved_copy(hit) if hit is not None else None
        show_brief(self.brief_heading, self.brief_fields, hit, saved)

    # -- storing --------------------------------------------------------------------------

    def save_selected(self) -> None:
        self._store(flag=False)

    def flag_selected(self) -> None:
        self._store(flag=True)

    def _store(self, flag: bool) -> None:
        hits = self.selected_hits()
        if self.busy or not hits or self.target is None:
            return
        policy = str(self.duplicate_box.currentData())
        self._show_message(
            f"Retrieving {count_of(len(hits), 'record')} from {self.target.describe()}…"
        )
        self._start(
            "store",
            self.target,
            store_work(self.target, hits, self.save_file.path, policy, flag),
        )

    def _ask_about_duplicate(self, question: DuplicateQuestion) -> None:
        job = self._job
        if self.sender() is not job or job is None or self._closed:
            return  # a job given up on: its question was answered "skip the rest"
        ask_about_duplicate(self, question, job.answer)

    def _stored(self, result: StoreResult) -> None:
        assert self.target is not None
        text, error = stored_message(result, self.target)
        self._show_message(text, error=error)
        self.notice.emit(text)
        self._show_brief(self.current_hit())

    # -- holdings -------------------------------------------------------------------------

    def update_holdings(self, action: HoldingAction) -> None:
        """Set Holdings / Unset Holdings on the selected hits, in the hits' target."""
        hits = self.selected_hits()
        if hits and self.target is not None:
            self.update_holdings_on([hit.id for hit in hits], self.target, action)

    def update_holdings_on(
        self,
        numbers: Sequence[str],
        target: Target,
        action: HoldingAction,
        skipped: Sequence[str] = (),
    ) -> bool:
        """Set or unset the institution's holdings on these OCLC numbers in a WorldCat target,
        off the GUI thread, with the panel's Cancel (it stops before the next number); the
        result is the panel's message, which names ``skipped`` too (what the caller left out,
        and why: "record 12 has no OCLC number"). The hits' actions and the records' (the
        window's Action menu) both come here. False when nothing was started: the panel is
        busy, there are no numbers, or the target is not WorldCat."""
        numbers = list(dict.fromkeys(numbers))  # two saved copies share a number
        if self.busy or not numbers or target.kind is not TargetKind.WORLDCAT:
            return False
        self._holdings_skipped = list(skipped)
        verb = "Setting" if action == "set" else "Unsetting"
        self._show_message(
            f"{verb} holdings on {count_of(len(numbers), 'record')} in {target.describe()}…"
        )
        self._start("holdings", target, holdings_work(action, numbers))
        return True

    def _holdings_done(self, results: list[HoldingResult]) -> None:
        target = self._job_target
        assert target is not None
        text, error = holdings_message(results, target, self._holdings_skipped)
        self._show_message(text, error=error)
        self.notice.emit(text)

    def _skipped_note(self) -> list[str]:
        return skipped_note(self._holdings_skipped)

    # -- closing --------------------------------------------------------------------------

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.jobs.shutdown(STOP_SECONDS)
        self.clients.close()
