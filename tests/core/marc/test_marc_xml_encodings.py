"""The encoding an XML declaration names: read when expat can, a read error of that file
(never an exception) when it names one that is unknown or can't be read, from the core API
and from ``exportdesk validate`` and ``exportdesk import``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.marc import ReadError, RecordRead, read_records

RECORD = (
    '<collection xmlns="http://www.loc.gov/MARC21/slim"><record>'
    "<leader>00000nam a2200000 a 4500</leader>"
    '<controlfield tag="001">ocm1</controlfield>'
    '<datafield tag="245" ind1="1" ind2="0"><subfield code="a">Caf\u00e9</subfield></datafield>'
    "</record></collection>"
)


def xml_file(tmp_path: Path, encoding: str, codec: str = "utf-8") -> Path:
    path = tmp_path / "records.xml"
    path.write_bytes(f'<?xml version="1.0" encoding="{encoding}"?>\n{RECORD}'.encode(codec))
    return path


@pytest.mark.parametrize(
    ("encoding", "why"),
    [
        ("x-bogus", "which ExportDesk does not know"),
        ("UTa-8", "which ExportDesk does not know"),
        ("rot13", "which ExportDesk does not know"),  # a codec, but not of text
        ("", "which ExportDesk does not know"),
        ("Shift_JIS", "can't read in XML"),  # multi-byte: expat reads no such encoding
        ("utf-32", "can't read in XML"),
        ("utf-7", "can't read in XML"),
        ("idna", "can't read in XML"),
    ],
)
def test_an_encoding_that_cant_be_read_is_a_read_error_of_the_file(
    tmp_path: Path, encoding: str, why: str
) -> None:
    path = xml_file(tmp_path, encoding)
    results = list(read_records(path))
    assert len(results) == 1
    error = results[0]
    assert isinstance(error, ReadError)
    assert (error.file, error.record, error.line) == (str(path), 0, 1)
    assert f"the character encoding '{encoding}'" in error.reason and why in error.reason


@pytest.mark.parametrize(
    ("encoding", "codec"),
    [
        ("UTF-8", "utf-8"),
        ("utf8", "utf-8"),  # not a name expat knows, but plainly UTF-8
        ("utf_8_sig", "utf-8"),
        ("latin1", "latin-1"),
        ("windows-1252", "cp1252"),  # one byte a character: expat reads it through a table
        ("UTF-16", "utf-16"),
    ],
)
def test_encodings_expat_can_read_are_read(tmp_path: Path, encoding: str, codec: str) -> None:
    (record,) = read_records(xml_file(tmp_path, encoding, codec))
    assert isinstance(record, RecordRead)
    title = record.parsed.first("245")
    assert title is not None and title.data == "10\x1faCaf\u00e9".encode()


def test_validate_reports_the_file_and_goes_on(cli, tmp_path: Path, test_data: Path) -> None:
    bad = xml_file(tmp_path, "x-bogus")
    run = cli("validate", str(bad), str(test_data / "pymarc-utf8.dat"))
    assert run.status == 1
    assert "Traceback" not in run.err
    assert f"{bad}: record 0" in run.out
    assert "the character encoding 'x-bogus'" in run.out
    assert f"{test_data / 'pymarc-utf8.dat'}: 1 record checked" in run.out


def test_import_reports_the_file_and_imports_the_others(
    cli, account: str, tmp_path: Path, test_data: Path
) -> None:
    bad = xml_file(tmp_path, "x-bogus")
    run = cli(
        "import", "--account", account, "--json", str(bad), str(test_data / "pymarc-utf8.dat")
    )
    assert run.status == 1
    assert "Traceback" not in run.err
    result = json.loads(run.out)
    assert result["imported"] == 1
    (error,) = result["errors"]
    assert (error["file"], error["record"]) == (str(bad), 0)
    assert "the character encoding 'x-bogus'" in error["reason"]
