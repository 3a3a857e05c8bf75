"""The note of an account's last export run is a small file anyone can edit or damage: what
can't be read is no last export (and a line in the log), never an error where it is shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.core.export.last_export import last_export, note_last_export, summary_file
from app.core.store.savefile import SaveFile


def test_a_run_is_noted_and_read_back(account: str) -> None:
    note_last_export(SaveFile.path_for(account), {"exported": 3}, "tcpip", "Koha")
    found = last_export(account)
    assert found is not None
    assert found.counts["exported"] == 3 and found.connection == "Koha"


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 100_000 + b"]" * 100_000,  # nested deeper than Python's JSON reader goes
        b'{"time": "yesterday", "counts": {}}',
        b'{"time": "2026-01-01T10:00:00", "counts": {"exported": "many"}, "connection": ""}',
        b"\xff\xfe not text",
        b"[]",
    ],
    ids=[
        "nested without end",
        "a time that is not one",
        "a count that is not one",
        "bytes",
        "a list",
    ],
)
def test_a_note_that_cant_be_read_is_no_last_export(
    account: str, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    where: Path = summary_file(SaveFile.path_for(account))
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_bytes(content)
    with caplog.at_level(logging.WARNING):
        assert last_export(account) is None
    assert "can't be read" in caplog.text
