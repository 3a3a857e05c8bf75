"""Two runs adding to one cumulative file take turns: NAME.lock beside the file is held from
reading the old content to the rename, so no run's records are lost."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import filelock
import pytest
from pymarc import MARCReader, parse_xml_to_array

from app.core.export import filedest
from app.core.export.filedest import FileExport, FileExportError, lock_file
from app.core.marc.encode import EncodedRecord, encode_record
from tests.fixtures.marc_records import make_record

ROOT = Path(__file__).resolve().parents[3]


def encoded(fmt: str, n: int) -> EncodedRecord:
    return encode_record(make_record(f"Title {n}", control_number=f"ocm{n:08d}"), fmt, "utf8")


def export(path: Path, fmt: str, numbers: range) -> None:
    with FileExport(path, "cumulative", fmt) as run:
        for n in numbers:
            run.add(n, encoded(fmt, n))
        run.commit()


def marc_ids(path: Path) -> list[str]:
    with path.open("rb") as handle:
        return [r["001"].data for r in MARCReader(handle)]


def test_the_lock_is_named_beside_the_file(tmp_path: Path) -> None:
    assert lock_file(tmp_path / "export.mrc") == tmp_path / "export.mrc.lock"


def test_a_run_waits_for_the_lock_and_publishes_nothing_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "export.mrc"
    export(path, "marc", range(0, 2))
    before = path.read_bytes()
    monkeypatch.setattr(filedest, "CUMULATIVE_LOCK_TIMEOUT", 0.2)
    held = filelock.FileLock(lock_file(path))
    with held:
        with FileExport(path, "cumulative", "marc") as run:
            run.add(5, encoded("marc", 5))
            with pytest.raises(FileExportError, match="Another export has been adding"):
                run.commit()
        assert path.read_bytes() == before
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    export(path, "marc", range(2, 4))  # free again
    assert marc_ids(path) == [f"ocm{n:08d}" for n in range(4)]


WRITER = r"""
import sys
from pathlib import Path
from app.core.export.filedest import FileExport
from app.core.marc.encode import encode_record
from tests.fixtures.marc_records import make_record

path, fmt, first, runs, per_run = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
print("ready", flush=True)
sys.stdin.readline()
for run_number in range(runs):
    with FileExport(Path(path), "cumulative", fmt) as run:
        for k in range(per_run):
            n = first + run_number * per_run + k
            run.add(n, encode_record(make_record(f"Title {n}", control_number=f"ocm{n:08d}"),
                                     fmt, "utf8"))
        run.commit()
"""


@pytest.mark.parametrize("fmt", ["marc", "marcxml"])
def test_two_processes_adding_to_one_cumulative_file_lose_nothing(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / ("shared.mrc" if fmt == "marc" else "shared.xml")
    runs, per_run = 25, 3
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), fmt, str(first), str(runs), str(per_run)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        for first in (0, 100_000)
    ]
    try:
        for writer in writers:  # both started, then both let go at once
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == b"ready"
        for writer in writers:
            assert writer.stdin is not None
            writer.stdin.write(b"go\n")
            writer.stdin.close()
        for writer in writers:
            assert writer.wait(timeout=120) == 0
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()
                writer.wait()
            if writer.stdout is not None:
                writer.stdout.close()

    if fmt == "marc":
        found = marc_ids(path)
    else:
        found = [r["001"].data for r in parse_xml_to_array(str(path))]
    expected = {f"ocm{first + n:08d}" for first in (0, 100_000) for n in range(runs * per_run)}
    assert len(found) == len(expected)
    assert set(found) == expected
    # Each process's runs are in its own order.
    for first in (0, 100_000):
        mine = [n for n in found if (int(n[3:]) >= 100_000) == (first == 100_000)]
        assert mine == sorted(mine)
