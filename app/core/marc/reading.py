"""One way in for every supported file: ``read_records(path)`` finds the format and streams.

The format is told by the first bytes (a ``<`` for XML, ``=`` for mnemonic text, five digits
for ISO 2709); the file name's extension only decides when the content can't.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import BinaryIO

from app.core.marc.iso2709 import read_iso2709
from app.core.marc.readresults import ReadError, ReadResult, SourceFormat

_EXTENSIONS: dict[str, SourceFormat] = {
    ".xml": "marcxml",
    ".marcxml": "marcxml",
    ".mrk": "mnemonic",
    ".mrk8": "mnemonic",
    ".txt": "mnemonic",
}
_PEEK = 4096


def detect_format(head: bytes, name: str = "") -> SourceFormat | None:
    """The format of a file from its first bytes, the extension of ``name`` as a hint.

    None when the content says it is something unsupported (MARC-in-JSON).
    """
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n\x00")
    if text.startswith(b"<"):
        return "marcxml"
    if text.startswith(b"=") and text[1:4].isalnum():
        return "mnemonic"
    if text[:5].isdigit():
        return "iso2709"
    if text[:1] in (b"[", b"{"):
        return None
    return _EXTENSIONS.get(Path(name).suffix.lower(), "iso2709")


def read_records(path: Path | str) -> Generator[ReadResult, None, None]:
    """Every record of the file in order, or a ReadError for each one that can't be read.

    A file that can't be opened at all gives a single ReadError for record 0.
    """
    path = Path(path)
    name = str(path)
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        yield ReadError(name, 0, 0, "the file does not exist")
        return
    except IsADirectoryError:
        yield ReadError(name, 0, 0, "this is a folder, not a file")
        return
    except OSError as problem:
        yield ReadError(name, 0, 0, f"the file could not be opened ({problem.strerror})")
        return
    with stream:
        yield from read_stream(stream, name)


def read_stream(stream: BinaryIO, name: str) -> Iterator[ReadResult]:
    """Like read_records, from a seekable binary stream already open."""
    try:
        head = stream.read(_PEEK)
        stream.seek(0)
    except OSError as problem:
        yield ReadError(name, 0, 0, f"the file could not be read ({problem.strerror})")
        return
    if not head.strip(b" \t\r\n\x00"):
        yield ReadError(name, 0, 0, "the file is empty")
        return
    kind = detect_format(head, name)
    if kind is None:
        yield ReadError(
            name,
            0,
            0,
            "this looks like MARC-in-JSON, which ExportDesk does not read; "
            "use MARC (ISO 2709), MARCXML or MARC mnemonic text (.mrk)",
        )
        return
    try:
        yield from _reader(kind)(stream, name)
    except OSError as problem:
        yield ReadError(name, 0, 0, f"reading stopped: {problem.strerror or problem}")


def _reader(kind: SourceFormat) -> Callable[[BinaryIO, str], Iterator[ReadResult]]:
    """The reader of ``kind``; the MARCXML and mnemonic ones are imported when first needed
    (with pymarc and the MARC-8 tables), so reading ISO 2709 loads neither."""
    if kind == "marcxml":
        from app.core.marc.marcxml import read_marcxml

        return read_marcxml
    if kind == "mnemonic":
        from app.core.marc.mnemonic import read_mnemonic

        return read_mnemonic
    return read_iso2709
