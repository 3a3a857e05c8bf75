"""Export files: individual or cumulative, authority files beside XML ones, never half-written."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pymarc import MARCReader, Record, parse_xml_to_array

from app.core import paths
from app.core.errors import OptionError
from app.core.export.filedest import (
    FileExport,
    FileExportError,
    authority_path,
    default_export_path,
    export_path,
)
from app.core.marc.encode import EncodedRecord, encode_record
from tests.fixtures.marc_records import make_authority, make_record

ROOT = Path(__file__).resolve().parents[3]


def encoded(fmt: str, n: int, charset: str = "utf8") -> EncodedRecord:
    return encode_record(make_record(f"Title {n}", control_number=f"ocm{n:08d}"), fmt, charset)


def export(path: Path, file_type: str, fmt: str, numbers: range) -> tuple[Path, ...]:
    with FileExport(path, file_type, fmt) as run:
        for n in numbers:
            run.add(n, encoded(fmt, n))
        return run.commit()


def marc_ids(path: Path) -> list[str]:
    with path.open("rb") as handle:
        return [r["001"].data for r in MARCReader(handle)]


def xml_ids(path: Path) -> list[str]:
    return [r["001"].data for r in parse_xml_to_array(str(path))]


def ids(numbers: range) -> list[str]:
    return [f"ocm{n:08d}" for n in numbers]


def visible_files(folder: Path) -> list[str]:
    return sorted(p.name for p in files_but_locks(folder) if not p.name.startswith("."))


def all_files(folder: Path) -> list[str]:
    """Every file but the empty NAME.lock a cumulative export leaves beside NAME."""
    return sorted(p.name for p in files_but_locks(folder))


def files_but_locks(folder: Path) -> list[Path]:
    names = {p.name for p in folder.iterdir()}
    return [
        p
        for p in folder.iterdir()
        if not (p.name.endswith(".lock") and p.name.removesuffix(".lock") in names)
        or p.stat().st_size
    ]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty folder for the export files (tmp_path also holds the test's home)."""
    path = tmp_path / "files"
    path.mkdir()
    return path


# --- where the file goes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("marc", "export.mrc"),
        ("marcxml", "export.xml"),
        ("dc-rdf", "export.rdf"),
        ("dc-html", "export.html"),
    ],
)
def test_an_empty_file_name_means_export_in_the_documents_folder(fmt: str, name: str) -> None:
    assert default_export_path(fmt) == paths.documents_dir() / name
    assert export_path("", fmt) == paths.documents_dir() / name
    assert export_path("   ", fmt) == paths.documents_dir() / name


def test_file_names_relative_home_and_folders(folder: Path, isolated_home: Path) -> None:
    assert export_path("day/bib.mrc", "marc") == paths.documents_dir() / "day" / "bib.mrc"
    assert export_path("~/out.xml", "marcxml") == isolated_home / "out.xml"
    assert export_path(str(folder), "dc-rdf") == folder / "export.rdf"
    assert export_path(str(folder / "x.mrc"), "marc") == folder / "x.mrc"


def test_bad_file_type_or_format_are_option_errors(folder: Path) -> None:
    with pytest.raises(OptionError) as caught:
        FileExport(folder / "e.mrc", "daily", "marc")
    assert caught.value.key == "file_type"
    with pytest.raises(OptionError) as caught:
        FileExport(folder / "e.mrc", "individual", "none")
    assert caught.value.key == "format"


def test_the_default_documents_folder_is_created(isolated_home: Path) -> None:
    path = export_path("", "marc")
    assert not path.parent.exists()
    assert export(path, "individual", "marc", range(2)) == (path,)
    assert marc_ids(path) == ids(range(2))


# --- individual ------------------------------------------------------------------------------


def test_individual_runs_each_get_a_new_numbered_file(folder: Path) -> None:
    path = folder / "export.mrc"
    assert export(path, "individual", "marc", range(0, 3)) == (path,)
    assert export(path, "individual", "marc", range(3, 5)) == (folder / "export-1.mrc",)
    assert export(path, "individual", "marc", range(5, 6)) == (folder / "export-2.mrc",)
    assert marc_ids(path) == ids(range(0, 3))
    assert marc_ids(folder / "export-1.mrc") == ids(range(3, 5))
    assert marc_ids(folder / "export-2.mrc") == ids(range(5, 6))
    assert all_files(folder) == ["export-1.mrc", "export-2.mrc", "export.mrc"]


@pytest.mark.parametrize("fmt", ["marcxml", "dc-rdf"])
def test_individual_xml_files_are_whole_documents(folder: Path, fmt: str) -> None:
    path = folder / "export.xml"
    export(path, "individual", fmt, range(3))
    ET.parse(path)
    if fmt == "marcxml":
        assert xml_ids(path) == ids(range(3))


def test_authority_records_go_to_a_marc_file_beside_an_xml_export(folder: Path) -> None:
    path = folder / "export.xml"
    for _ in range(2):
        with FileExport(path, "individual", "marcxml") as run:
            run.add("b1", encoded("marcxml", 1))
            run.add("a1", encode_record(make_authority(control_number="n1"), "marcxml", "utf8"))
            run.add("b2", encoded("marcxml", 2))
            files = run.commit()
            assert run.destination("a1") == files[1]
            assert run.destination("b2") == files[0]
    assert all_files(folder) == [
        "export-1-authorities.mrc",
        "export-1.xml",
        "export-authorities.mrc",
        "export.xml",
    ]
    assert authority_path(path) == folder / "export-authorities.mrc"
    assert marc_ids(folder / "export-authorities.mrc") == ["n1"]
    assert xml_ids(folder / "export-1.xml") == ids(range(1, 3))


def test_a_number_is_free_only_when_the_authority_file_is_free_too(folder: Path) -> None:
    (folder / "export-authorities.mrc").write_bytes(b"older")
    path = folder / "export.xml"
    assert export(path, "individual", "marcxml", range(1)) == (folder / "export-1.xml",)
    assert (folder / "export-authorities.mrc").read_bytes() == b"older"


def test_a_run_with_no_records_writes_nothing(folder: Path) -> None:
    assert export(folder / "export.xml", "individual", "marcxml", range(0)) == ()
    assert export(folder / "export.xml", "cumulative", "marcxml", range(0)) == ()
    assert all_files(folder) == []


# --- cumulative ------------------------------------------------------------------------------


def test_cumulative_marc_runs_add_to_the_same_file(folder: Path) -> None:
    path = folder / "export.mrc"
    export(path, "cumulative", "marc", range(0, 2))
    export(path, "cumulative", "marc", range(2, 5))
    assert marc_ids(path) == ids(range(5))
    assert all_files(folder) == ["export.mrc"]


@pytest.mark.parametrize("fmt", ["marcxml", "dc-rdf", "dc-html"])
def test_cumulative_xml_stays_one_well_formed_document(folder: Path, fmt: str) -> None:
    path = folder / "export.x"
    for numbers in (range(0, 2), range(2, 3), range(3, 6)):
        export(path, "cumulative", fmt, numbers)
    data = path.read_bytes()
    if fmt == "dc-html":
        assert data.count(b"<html") == 1 and data.count(b"</html>") == 1
        assert data.count(b'<meta name="DC.title"') == 6
    else:
        root = ET.fromstring(data)
        assert len(list(root)) == 6
    if fmt == "marcxml":
        assert xml_ids(path) == ids(range(6))


def test_cumulative_adds_to_a_collection_written_by_another_tool(folder: Path) -> None:
    path = folder / "other.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<marc:collection xmlns:marc="http://www.loc.gov/MARC21/slim">'
        "<marc:record><marc:leader>00000nam a2200000 a 4500</marc:leader>"
        '<marc:controlfield tag="001">theirs</marc:controlfield></marc:record>'
        "</marc:collection>\n\n",
        encoding="utf-8",
    )
    export(path, "cumulative", "marcxml", range(2))
    assert xml_ids(path) == ["theirs", *ids(range(2))]


@pytest.mark.parametrize(
    ("fmt", "content", "why"),
    [
        ("marc", b"not a MARC file\n", "does not end with a complete MARC record"),
        ("marcxml", b"<?xml version='1.0'?><notes>hi</notes>", "does not end the way"),
        (
            "marcxml",
            b'<?xml version="1.0" encoding="ISO-8859-1"?><collection></collection>',
            "written in ISO-8859-1",
        ),
        ("dc-html", b"<html><body>my page</body></html>", "does not end the way"),
    ],
)
def test_cumulative_refuses_a_file_it_cannot_add_to(
    folder: Path, fmt: str, content: bytes, why: str
) -> None:
    path = folder / "mine"
    path.write_bytes(content)
    with pytest.raises(FileExportError, match=why) as caught:
        export(path, "cumulative", fmt, range(1))
    assert "nothing was written" in caught.value.message
    assert path.read_bytes() == content
    assert all_files(folder) == ["mine"]


def test_authority_file_beside_a_cumulative_xml_export_accumulates_too(folder: Path) -> None:
    path = folder / "export.rdf"
    for n in range(2):
        with FileExport(path, "cumulative", "dc-rdf") as run:
            run.add(
                f"a{n}", encode_record(make_authority(control_number=f"n{n}"), "dc-rdf", "utf8")
            )
            run.add(f"b{n}", encoded("dc-rdf", n))
            assert run.commit() == (path, folder / "export-authorities.mrc")
    assert marc_ids(folder / "export-authorities.mrc") == ["n0", "n1"]
    assert len(ET.parse(path).getroot()) == 2


# --- nothing published unless committed --------------------------------------------------------


def test_abort_publishes_nothing_and_leaves_no_part_files(folder: Path) -> None:
    path = folder / "export.xml"
    export(path, "cumulative", "marcxml", range(1))
    before = path.read_bytes()
    run = FileExport(path, "cumulative", "marcxml")
    run.add(1, encoded("marcxml", 1))
    run.add(2, encode_record(make_authority(), "marcxml", "utf8"))
    assert len(all_files(folder)) == 3  # the file and two hidden part files
    run.abort()
    run.abort()
    assert path.read_bytes() == before
    assert all_files(folder) == ["export.xml"]
    with pytest.raises(RuntimeError):
        run.add(3, encoded("marcxml", 3))


def test_an_exception_inside_the_block_publishes_nothing(folder: Path) -> None:
    path = folder / "export.mrc"
    with pytest.raises(KeyError), FileExport(path, "individual", "marc") as run:
        run.add(1, encoded("marc", 1))
        raise KeyError("cancelled")
    assert all_files(folder) == []


def test_a_record_of_another_format_is_a_programming_error(folder: Path) -> None:
    with FileExport(folder / "e.xml", "individual", "marcxml") as run, pytest.raises(ValueError):
        run.add(1, encoded("dc-rdf", 1))


def test_a_file_that_cant_be_written_gives_a_clear_error(folder: Path) -> None:
    # Its "folder" is a file: the error must name the export file, and publish nothing.
    (folder / "notes").write_text("a file, not a folder")
    with pytest.raises(FileExportError, match=r"Could not write the export file .*notes"):
        export(folder / "notes" / "export.mrc", "individual", "marc", range(1))
    assert all_files(folder) == ["notes"]


def test_part_files_of_a_process_that_is_gone_are_removed(folder: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(gone.stdout)
    stale = folder / f".export.mrc.{pid}.abc123.part"
    stale_authority = folder / f".export-authorities.mrc.{pid}.x.part"
    mine = folder / f".export.mrc.{os.getpid()}.def456.part"
    unrelated = folder / f".other.mrc.{pid}.x.part"
    for file in (stale, stale_authority, mine, unrelated):
        file.write_bytes(b"half")
    FileExport(folder / "export.mrc", "individual", "marc").abort()
    assert not stale.exists() and not stale_authority.exists()
    assert mine.exists() and unrelated.exists()


# --- killed while writing --------------------------------------------------------------------

CHILD = r"""
import sys
import time
from pathlib import Path
from app.core.export.filedest import FileExport
from app.core.marc.encode import EncodedRecord

path, file_type, fmt, count, stage, record_file = sys.argv[1:]
data = Path(record_file).read_bytes()
run = FileExport(Path(path), file_type, fmt)
for n in range(int(count)):
    run.add(n, EncodedRecord(data, fmt, "utf8"))
print("committing" if stage == "commit" else "added", flush=True)
if stage == "commit":
    run.commit()
    print("committed", flush=True)
sys.stdin.readline()
"""


def run_and_kill(
    folder: Path, path: Path, file_type: str, fmt: str, count: int, stage: str, record: bytes
) -> None:
    """Start a process exporting ``count`` records, kill it (SIGKILL) at ``stage``."""
    record_file = folder / "record.bin"
    record_file.write_bytes(record)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            str(path),
            file_type,
            fmt,
            str(count),
            stage,
            str(record_file),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    ) as child:
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first.strip() in (b"added", b"committing"), first
        if stage == "commit":
            _await_commit_under_way(path)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    record_file.unlink()


def _await_commit_under_way(path: Path) -> None:
    """Return once the new file is being written (a second part file has data in it), or the
    commit is already done (the file was replaced)."""
    before = path.stat().st_ino
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        parts = [p for p in path.parent.iterdir() if p.name.endswith(".part")]
        with contextlib.suppress(FileNotFoundError):
            if len(parts) >= 2 and min(p.stat().st_size for p in parts) > 0:
                return
        if path.stat().st_ino != before:
            return
        time.sleep(0.0005)
    raise AssertionError("the exporting process never started to commit")


posix_only = pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")


@posix_only
@pytest.mark.parametrize("fmt", ["marc", "marcxml"])
def test_killed_before_commit_leaves_the_cumulative_file_as_it_was(folder: Path, fmt: str) -> None:
    out = folder / "out"
    path = out / "export.mrc"
    export(path, "cumulative", fmt, range(3))
    before = path.read_bytes()

    run_and_kill(folder, path, "cumulative", fmt, 500, "add", encoded(fmt, 9).data)

    assert path.read_bytes() == before
    assert visible_files(out) == ["export.mrc"]
    assert all(name.endswith(".part") for name in all_files(out) if name != "export.mrc")
    # The next export to the file cleans up what the killed one left, and adds to the file.
    export(path, "cumulative", fmt, range(3, 4))
    assert all_files(out) == ["export.mrc"]
    read = marc_ids if fmt == "marc" else xml_ids
    assert read(path) == ids(range(4))


@posix_only
def test_killed_while_committing_leaves_the_old_file_or_the_whole_new_one(folder: Path) -> None:
    out = folder / "out"
    path = out / "export.xml"
    # A large earlier export, so the kill is likely to land while it is being copied.
    with FileExport(path, "cumulative", "marcxml") as run:
        record = encoded("marcxml", 1)
        for n in range(6_000):
            run.add(n, record)
        run.commit()
    before = path.read_bytes()

    run_and_kill(folder, path, "cumulative", "marcxml", 200, "commit", encoded("marcxml", 2).data)

    after = path.read_bytes()
    if after != before:
        # The commit finished before the kill: then the file holds everything, well formed.
        assert len(ET.fromstring(after)) == 6_200
    assert visible_files(out) == ["export.xml"]
    export(path, "cumulative", "marcxml", range(3, 4))
    assert all_files(out) == ["export.xml"]
    records = ET.parse(path).getroot()
    assert len(records) == 6_001
    assert records[-1].findtext("{http://www.loc.gov/MARC21/slim}controlfield") == "ocm00000003"


@posix_only
def test_killed_individual_export_publishes_no_file(folder: Path) -> None:
    out = folder / "out"
    path = out / "export.mrc"
    export(path, "individual", "marc", range(2))
    before = path.read_bytes()
    run_and_kill(folder, path, "individual", "marc", 100, "add", encoded("marc", 5).data)
    assert path.read_bytes() == before
    assert visible_files(out) == ["export.mrc"]


def _record_count(data: bytes) -> int:
    return len(list(MARCReader(io.BytesIO(data))))


def test_marc_records_are_read_back_from_a_cumulative_file(folder: Path) -> None:
    path = folder / "export.mrc"
    export(path, "cumulative", "marc", range(2))
    with FileExport(path, "cumulative", "marc") as run:
        for n in range(2, 4):
            run.add(n, encoded("marc", n, charset="marc8"))
        run.commit()
    records: list[Record] = list(MARCReader(io.BytesIO(path.read_bytes())))
    assert [str(r.leader)[9] for r in records] == ["a", "a", " ", " "]
    assert _record_count(path.read_bytes()) == 4
