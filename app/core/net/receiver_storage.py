"""Where the reference receiver keeps what it accepts: each record in its own file
``DIR/NNNNNN.mrc``, written atomically (a temporary name first, then a rename), so nothing
else in DIR ends in ``.mrc``."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from app.core.atomicfile import fsync_directory

RECORD_FILE = re.compile(r"(\d+)\.mrc")


def record_files(out_dir: Path) -> list[Path]:
    """The record files in ``out_dir``, in order."""
    return sorted(p for p in out_dir.iterdir() if RECORD_FILE.fullmatch(p.name))


def first_free_sequence(out_dir: Path) -> int:
    """The number after the highest record file's in ``out_dir`` (1 when there is none)."""
    numbers = [
        int(match.group(1))
        for name in os.listdir(out_dir)
        if (match := RECORD_FILE.fullmatch(name))
    ]
    return max(numbers, default=0) + 1


def write_record(out_dir: Path, number: int, record: bytes, durable: bool) -> Path:
    """Write one record to ``out_dir/NNNNNN.mrc``: a temporary name first, then a rename."""
    final = out_dir / f"{number:06d}.mrc"
    temporary = out_dir / f".{number:06d}.part"
    try:
        with open(temporary, "wb") as handle:
            handle.write(record)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, final)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    if durable:
        fsync_directory(out_dir)
    return final
