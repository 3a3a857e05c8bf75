"""Export to a file: MARCXML against MARC, and MARC against pymarc reading and writing the same
records (the baseline), all measured in the same run.

The records are real: the 386 Library of Congress records of
../shared/marc-corpus/mrrc-testbed/lc-bibliographic-sample.mrc repeated to --records (10,000
by default), in a save file, flagged. Each export is ExportDesk's export run
(app.core.export.run.run_export) to a new cumulative file: reading each record from the save
file, deleting 9XX, validating at level Full, writing the file (published atomically) and the
journal. The baseline is pymarc's fastest way through the same file: ``MARCReader`` with
``to_unicode=False`` and ``MARCWriter`` writing each record to a file.

The three take turns, --rounds times, the order rotating; each figure is the median of its
rounds (this machine is shared: single runs vary by a third). Goals (issue 16): MARCXML at most
1.2x the time of MARC; MARC at least 0.8x pymarc's rate.

    python bench/export_file.py [--records N] [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from marc_samples import CORPUS, split_records  # noqa: E402

LOC_SAMPLE = CORPUS / "mrrc-testbed" / "lc-bibliographic-sample.mrc"


def loc_records(count: int) -> list[bytes]:
    sample = list(split_records(LOC_SAMPLE.read_bytes()))
    return [sample[n % len(sample)] for n in range(count)]


def pymarc_read_write(source: Path, target: Path) -> float:
    import pymarc

    start = time.perf_counter()
    with source.open("rb") as handle, target.open("wb") as out:
        writer = pymarc.MARCWriter(out)
        for record in pymarc.MARCReader(handle, to_unicode=False):
            if record is not None:
                writer.write(record)
    return time.perf_counter() - start


def export(save_file, ids: list[int], fmt: str, target: Path) -> float:  # type: ignore[no-untyped-def]
    from app.core.export.run import ExportPlan, RecordOutcome, run_export

    for leftover in target.parent.glob(target.stem + "*"):
        leftover.unlink()
    save_file.flag(ids)
    plan = ExportPlan(
        destination="file",
        fmt=fmt,
        charset="utf8",
        fields_to_delete=("9XX",),
        validate_bib="full",
        validate_auth="none",
        file_path=target,
        file_type="cumulative",
    )
    start = time.perf_counter()
    outcomes = [e for e in run_export(save_file, plan, ids) if isinstance(e, RecordOutcome)]
    seconds = time.perf_counter() - start
    written = sum(o.outcome == "exported" for o in outcomes)
    if written + sum(o.outcome == "invalid" for o in outcomes) != len(ids):
        raise SystemExit(f"{fmt}: only {written} of {len(ids)} records went")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="exportdesk-bench-home-")
    os.environ["EXPORTDESK_HOME"] = home
    os.environ["EXPORTDESK_INSTITUTION_FILE"] = str(Path(home) / "none.json")

    from app.core.marc import parse_record, summarize
    from app.core.store.savefile import SaveFile
    from app.core.validation import validate_record

    raws = loc_records(args.records)
    folder = Path(home)
    source = folder / "records.mrc"
    source.write_bytes(b"".join(raws))
    validate_record(raws[0], "full")  # the rule tables load once per session: not timed
    with SaveFile(folder / "bench.sqlite") as save_file:
        with save_file.transaction():
            ids = [save_file.add(r, "iso2709", summarize(parse_record(r))) for r in raws]
        times: dict[str, list[float]] = {"pymarc": [], "marc": [], "marcxml": []}
        jobs = {
            "pymarc": lambda: pymarc_read_write(source, folder / "pymarc.mrc"),
            "marc": lambda: export(save_file, ids, "marc", folder / "out" / "export.mrc"),
            "marcxml": lambda: export(save_file, ids, "marcxml", folder / "out" / "export.xml"),
        }
        (folder / "out").mkdir()
        names = list(jobs)
        for round_number in range(args.rounds):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                times[name].append(jobs[name]())
    median = {name: statistics.median(values) for name, values in times.items()}
    n = len(raws)
    print(
        f"{n:,} LoC records ({len(set(raws))} distinct), 9XX deleted, validated at Full; "
        f"median of {args.rounds} rounds, each in turn"
    )
    for name, label in (
        ("pymarc", "pymarc read + write (to_unicode=False)"),
        ("marc", "ExportDesk export, MARC file"),
        ("marcxml", "ExportDesk export, MARCXML file"),
    ):
        spread = f"{min(times[name]):.2f}-{max(times[name]):.2f} s"
        print(f"  {label:40} {median[name]:6.2f} s  {n / median[name]:8,.0f} rec/s  ({spread})")
    xml_ratio = median["marcxml"] / median["marc"]
    marc_rate = median["pymarc"] / median["marc"]
    print(f"ratio MARCXML time / MARC time = {xml_ratio:.2f} (goal at most 1.2)")
    print(f"ratio MARC rate / pymarc rate = {marc_rate:.2f} (goal at least 0.8)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
