"""A file written by atomic_writer is the old content or the new, never a mix: a write that
fails part way (the disk full, the process interrupted) leaves the old file as it was and no
temporary file beside it. Every settings file, profile and summary is written this way."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from app.core.atomicfile import atomic_writer, write_atomic


def test_a_write_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "settings" / "account.json"
    write_atomic(target, '{"old": true}\n')
    write_atomic(target, '{"new": true}\n')
    assert target.read_text() == '{"new": true}\n'
    assert sorted(p.name for p in target.parent.iterdir()) == ["account.json"]


@pytest.mark.parametrize(
    "failure",
    [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()],
    ids=["disk full", "interrupted"],
)
def test_a_write_that_fails_part_way_leaves_the_old_file(
    tmp_path: Path, failure: BaseException
) -> None:
    target = tmp_path / "settings" / "account.json"
    write_atomic(target, '{"host": "koha.example.org"}\n')
    with pytest.raises(type(failure)), atomic_writer(target) as handle:
        handle.write(b'{"host": "half')
        raise failure
    assert target.read_text() == '{"host": "koha.example.org"}\n'
    assert [p.name for p in target.parent.iterdir()] == ["account.json"]  # nothing else left
