"""Import benchmark: 100,000 generated records into a save file, against pymarc reading the
same file (the baseline, measured in the same run: ``MARCReader`` by its fast path,
``to_unicode=False``, which only takes records apart as ExportDesk's import does; with Unicode
decoding on, pymarc's pure-Python MARC-8 decoder makes it slower, a baseline that flatters),
then the records page opening on them.

    python bench/import.py [--records N]

Each phase runs in its own process so its peak memory (ru_maxrss) is its own. Goals: import
at most 2x pymarc's time, peak memory under 300 MB, first rows on screen within 1 second.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from phases import peak_mb, run_phase  # noqa: E402


def phase_pymarc(source: Path) -> dict[str, float]:
    import pymarc

    start = time.perf_counter()
    count = 0
    with source.open("rb") as handle:
        for record in pymarc.MARCReader(handle, to_unicode=False):
            if record is not None:
                count += 1
    return {"seconds": time.perf_counter() - start, "records": count, "peak_mb": peak_mb()}


def phase_import(source: Path, save_file_path: Path) -> dict[str, float]:
    from app.core.store.importer import import_files
    from app.core.store.savefile import SaveFile

    start = time.perf_counter()
    with SaveFile(save_file_path) as save_file:
        result = import_files(save_file, [source])
    return {
        "seconds": time.perf_counter() - start,
        "records": result.imported,
        "errors": len(result.errors),
        "peak_mb": peak_mb(),
    }


def phase_window(save_file_path: Path) -> dict[str, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QObject, Qt
    from PySide6.QtWidgets import QApplication

    from app.core.store.savefile import SaveFile
    from app.gui.records import RecordsPage
    from app.gui.records.model import TITLE

    app = QApplication([])

    class PaintWatch(QObject):
        painted = False

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                self.painted = True
            return False

    def shown(action: object) -> float:
        """Seconds until the list has painted rows after ``action``."""
        watch.painted = False
        start = time.perf_counter()
        action()  # type: ignore[operator]
        while not (watch.painted and page.model.cached_rows):
            app.processEvents()
        return time.perf_counter() - start

    watch = PaintWatch()
    start = time.perf_counter()
    page = RecordsPage(SaveFile(save_file_path))
    page.table.viewport().installEventFilter(watch)
    page.resize(1200, 800)
    page.show()
    while not (watch.painted and page.model.cached_rows):
        app.processEvents()
    first_rows = time.perf_counter() - start
    rows = page.model.rowCount()
    to_end = shown(page.table.scrollToBottom)
    sorted_by_title = shown(lambda: page.table.sortByColumn(TITLE, Qt.SortOrder.AscendingOrder))
    middle = shown(lambda: page.table.scrollTo(page.model.index(rows // 2, 0)))
    page.search.setText("river")
    searched = shown(page.apply_filter)
    search_rows = page.model.rowCount()
    page.search.setText("")
    page.apply_filter()
    page.table.selectAll()
    flag_all = shown(page.toggle_flags)
    flagged = page.save_file.flagged_count()
    page.shutdown()
    return {
        "first_rows": first_rows,
        "rows": rows,
        "to_end": to_end,
        "sort_title": sorted_by_title,
        "middle_sorted": middle,
        "search": searched,
        "search_rows": search_rows,
        "flag_all": flag_all,
        "flagged": flagged,
        "peak_mb": peak_mb(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        phases = {"pymarc": phase_pymarc, "import": phase_import, "window": phase_window}
        print(json.dumps(phases[name](*map(Path, rest))))
        return 0

    from records_gen import write_records

    with tempfile.TemporaryDirectory(prefix="exportdesk-bench-") as folder:
        source = Path(folder) / "records.mrc"
        save_file_path = Path(folder) / "bench.sqlite"
        size = write_records(source, args.records)
        print(f"{args.records:,} records generated: {size / 1e6:.1f} MB (1 in 5 MARC-8)")
        baseline = run_phase(__file__, "pymarc", str(source))
        imported = run_phase(__file__, "import", str(source), str(save_file_path))
        window = run_phase(__file__, "window", str(save_file_path))
        database_mb = save_file_path.stat().st_size / 1e6

    ratio = imported["seconds"] / baseline["seconds"]

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print(
        f"pymarc MARCReader (to_unicode=False):  {baseline['seconds']:6.2f} s  "
        f"{baseline['records'] / baseline['seconds']:9,.0f} records/s  "
        f"peak {baseline['peak_mb']:.0f} MB"
    )
    print(
        f"ExportDesk import:  {imported['seconds']:6.2f} s  "
        f"{imported['records'] / imported['seconds']:9,.0f} records/s  "
        f"peak {imported['peak_mb']:.0f} MB  ({imported['errors']:.0f} errors, "
        f"save file {database_mb:.0f} MB)"
    )
    print(f"ratio import / pymarc: {ratio:.2f}x (goal at most 2x: {verdict(ratio <= 2)})")
    print(
        f"peak memory of the import: {imported['peak_mb']:.0f} MB "
        f"(goal under 300 MB: {verdict(imported['peak_mb'] < 300)})"
    )
    print(
        f"records page on {window['rows']:,.0f} records, offscreen: first rows in "
        f"{window['first_rows'] * 1000:.0f} ms "
        f"(goal within 1 s: {verdict(window['first_rows'] < 1)}); "
        f"peak {window['peak_mb']:.0f} MB"
    )
    print(
        f"  jump to the last row {window['to_end'] * 1000:.0f} ms, sort by title "
        f"{window['sort_title'] * 1000:.0f} ms, then to the middle "
        f"{window['middle_sorted'] * 1000:.0f} ms, search 'river' "
        f"({window['search_rows']:,.0f} rows) {window['search'] * 1000:.0f} ms, select all "
        f"and Space ({window['flagged']:,.0f} flagged) {window['flag_all'] * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
