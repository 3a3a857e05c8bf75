"""Validation of a save file: the core's run (validate + store each state) and the window's
Validate Selected on every row, against validating the same records alone (the baseline,
measured in the same run).

    python bench/validate_window.py [--records N]

Each phase runs in its own process so its peak memory is its own. Prints records per second,
the ratios run / baseline and window / run, and the longest time the window's event loop was
kept from running during the window's validation (a 10 ms timer measures it). Goals: storing
the states adds at most half the validation time (ratio at most 1.5); the window adds little to
the run (ratio at most 1.2); the event loop is never held up for more than 100 ms.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from phases import peak_mb, run_phase  # noqa: E402


def phase_baseline(save_file_path: Path) -> dict[str, float]:
    from app.core.store.savefile import SaveFile
    from app.core.validation import validate_record

    with SaveFile(save_file_path) as save_file:
        records = [raw for _, raw in save_file.conn.execute("SELECT id, raw FROM record_data")]
    validate_record(records[0], "full")  # the tables load once, not timed
    start = time.perf_counter()
    for raw in records:
        validate_record(raw, "full")
    return {"seconds": time.perf_counter() - start, "records": len(records)}


def phase_run(save_file_path: Path) -> dict[str, float]:
    from app.core.store.savefile import SaveFile
    from app.core.validation import validate_record
    from app.core.validation.run import validate_saved

    with SaveFile(save_file_path) as save_file:
        ids = save_file.ids()
        validate_record(save_file.get_raw(ids[0]), "full")
        start = time.perf_counter()
        summary = validate_saved(save_file, ids, level="full")
        seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "records": summary.done,
        "errors": summary.errors,
        "peak_mb": peak_mb(),
    }


def phase_window(save_file_path: Path) -> dict[str, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.core.store.savefile import SaveFile
    from app.core.validation import validate_record
    from app.gui.records import RecordsPage

    app = QApplication([])
    save_file = SaveFile(save_file_path)
    validate_record(save_file.get_raw(1), "full")
    page = RecordsPage(save_file)
    page.resize(1200, 900)
    page.show()
    app.processEvents()
    page.set_validation_level("full")
    page.table.selectAll()
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    done: list[object] = []
    page.validationFinished.connect(done.append)
    timer.start()
    start = time.perf_counter()
    # A real event loop, idle between events as in the window (a processEvents() loop would
    # spin and take the worker's share of the interpreter).
    page.validatingChanged.connect(lambda running: running or app.quit())
    page.validate_selected()
    started = time.perf_counter() - start
    app.exec()
    seconds = time.perf_counter() - start
    timer.stop()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    summary = done[0]
    result = {
        "seconds": seconds,
        "start": started,
        "records": summary.done,  # type: ignore[attr-defined]
        "longest_stall": max(gaps, default=0.0),
        "panel_rows": page.validation_panel.model.rowCount(),
        "peak_mb": peak_mb(),
    }
    page.shutdown()
    save_file.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        name, path = args.phase
        phases = {"baseline": phase_baseline, "run": phase_run, "window": phase_window}
        print(json.dumps(phases[name](Path(path))))
        return 0

    from records_gen import write_records

    from app.core.store.importer import import_files
    from app.core.store.savefile import SaveFile

    with tempfile.TemporaryDirectory(prefix="exportdesk-bench-") as folder:
        source = Path(folder) / "records.mrc"
        save_file_path = Path(folder) / "bench.sqlite"
        write_records(source, args.records)
        with SaveFile(save_file_path) as save_file:
            import_files(save_file, [source])
        baseline = run_phase(__file__, "baseline", str(save_file_path))
        run = run_phase(__file__, "run", str(save_file_path))
        window = run_phase(__file__, "window", str(save_file_path))

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    def rate(phase: dict[str, float]) -> str:
        return f"{phase['seconds']:6.2f} s {phase['records'] / phase['seconds']:9,.0f} records/s"

    run_ratio = run["seconds"] / baseline["seconds"]
    window_ratio = window["seconds"] / run["seconds"]
    stall_ms = window["longest_stall"] * 1000
    print(f"{args.records:,} generated records in a save file, validated at Full")
    print(f"validate_record alone:   {rate(baseline)}")
    print(f"ValidationRun (+ store): {rate(run)}  peak {run['peak_mb']:.0f} MB")
    print(
        f"window, Validate Selected on all rows: {rate(window)}  peak {window['peak_mb']:.0f} MB"
        f"  ({window['panel_rows']:,.0f} rows in the results panel)"
    )
    print(
        f"ratio run / validate alone: {run_ratio:.2f}x "
        f"(goal at most 1.5x: {verdict(run_ratio <= 1.5)})"
    )
    print(
        f"ratio window / run: {window_ratio:.2f}x (goal at most 1.2x: "
        f"{verdict(window_ratio <= 1.2)})"
    )
    print(
        f"window: Validate Selected returned in {window['start'] * 1000:.0f} ms; longest "
        f"event-loop stall {stall_ms:.0f} ms (goal at most 100 ms: {verdict(stall_ms <= 100)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
