"""Writing an export run to a file, so that no crash or kill ever leaves a half-written one.

The ``file_type`` setting (EXPORT-OPTIONS.md):

- ``individual``: each run goes to a new file. The first is the file named (``export.mrc``);
  when it exists the run gets the first free numbered name (``export-1.mrc``,
  ``export-2.mrc``...), so earlier exports are never overwritten.
- ``cumulative``: each run is added to the same file. For the XML formats the file stays one
  well-formed document: the new records go before the closing tag.

Authority records are always MARC; when the export's format is an XML one they go to their
own file beside it, ``<name>-authorities.mrc`` (``export-authorities.mrc`` beside
``export.xml``), numbered with it (``export-1.xml``, ``export-1-authorities.mrc``).

How nothing is left half-written: while the run goes on, the document's header and the
records are written to a hidden ``.NAME.PID.XXXX.part`` file in the same folder.
:meth:`FileExport.commit` ends it with the footer when it is to be a new file (individual, or
cumulative with no file there yet), or else writes the complete new file to another such part
file (the old content of the cumulative file; the records; the footer); either way flushes it
to disk and renames it into place in one step (for an individual file, a link that fails
rather than overwrite). Until then the folder holds the old file unchanged; a killed run
leaves only its ``.part`` files, which the next export to the same file removes.

Two runs adding to one cumulative file (two accounts, two ExportDesks) take turns: each holds
``NAME.lock`` beside the file from reading the old content to the rename, so neither replaces
the file with a copy that lacks the other's records.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import filelock

from app.core import paths
from app.core.atomicfile import fsync_directory
from app.core.errors import ExportDeskError, OptionError
from app.core.marc.encode import (
    FILE_EXTENSIONS,
    EncodedRecord,
    check_format,
    document_footer,
    document_header,
)
from app.core.paths import DEFAULT_FILE_STEM, default_export_path

FILE_TYPES = ("individual", "cumulative")
# Seconds a run waits for another one adding to the same cumulative file (see lock_file).
CUMULATIVE_LOCK_TIMEOUT = 120.0
AUTHORITY_FILE_SUFFIX = "-authorities"

_CHUNK = 1024 * 1024
# How far from its end an existing file's closing tag is looked for.
_TAIL = 64 * 1024
_NAME = r"(?:[A-Za-z_][\w.-]*:)?"
# Where an existing cumulative file ends; what follows may only be white space.
_CLOSINGS = {
    "marcxml": re.compile(rb"</" + _NAME.encode() + rb"collection>\s*\Z"),
    "dc-rdf": re.compile(rb"</" + _NAME.encode() + rb"RDF>\s*\Z"),
    "dc-html": re.compile(re.escape(document_footer("dc-html").rstrip()) + rb"\s*\Z"),
}
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*\bencoding\s*=\s*["']([^"']+)["']""")


class FileExportError(ExportDeskError):
    """The export file could not be written; nothing of this run was published."""


def export_path(file_name: str, fmt: str) -> Path:
    """The file the ``file_name`` setting names for an export in ``fmt``.

    Empty: :func:`app.core.paths.default_export_path`. ``~`` is expanded; a relative name is
    taken in the documents folder; an existing folder gets ``export`` plus the extension
    inside it.
    """
    check_format(fmt)
    name = file_name.strip()
    if not name:
        return default_export_path(fmt)
    path = Path(name).expanduser()
    if not path.is_absolute():
        path = paths.documents_dir() / path
    if path.is_dir():
        path = path / f"{DEFAULT_FILE_STEM}{FILE_EXTENSIONS[fmt]}"
    return path


def lock_file(path: Path) -> Path:
    """The lock held while a cumulative export file is rewritten: ``NAME.lock`` beside it."""
    return path.with_name(path.name + ".lock")


def authority_path(path: Path) -> Path:
    """Where authority records go beside an XML export file: ``<stem>-authorities.mrc``."""
    return path.with_name(f"{path.stem}{AUTHORITY_FILE_SUFFIX}{FILE_EXTENSIONS['marc']}")


def numbered_path(path: Path, number: int) -> Path:
    """``export.mrc`` for 0, ``export-1.mrc`` for 1, and so on."""
    return path if number == 0 else path.with_name(f"{path.stem}-{number}{path.suffix}")


@dataclass
class _Part:
    """One file of the run (the export file, or the authority file beside it)."""

    target: Path
    fmt: str
    buffer: BinaryIO
    buffer_path: Path
    record_ids: list[Hashable] = field(default_factory=list)


class FileExport:
    """One export run to a file: add encoded records, then commit (publish) or abort.

    Use it as a context manager: leaving the block without :meth:`commit` aborts, so an
    exception or a cancel publishes nothing.

    ``path`` is the export file (see :func:`export_path`), ``file_type`` ``individual`` or
    ``cumulative``, ``fmt`` the export's format (``marc``, ``marcxml``, ``dc-rdf``,
    ``dc-html``). Raises OptionError for an unknown file type or format.
    """

    def __init__(self, path: Path, file_type: str, fmt: str) -> None:
        check_format(fmt)
        if file_type not in FILE_TYPES:
            raise OptionError(
                "file_type", f"'{file_type}' is not a file type; choose individual or cumulative"
            )
        if path.is_dir():
            raise FileExportError(f"The export file {path} is a folder; name a file instead.")
        self.path = path
        self.file_type = file_type
        self.fmt = fmt
        self._parts: dict[str, _Part] = {}
        self._published: dict[Hashable, Path] = {}
        self._state = "open"
        for name in (path, authority_path(path)):
            _remove_abandoned_parts(name)

    # -- adding ---------------------------------------------------------------------------

    def add(self, record_id: Hashable, encoded: EncodedRecord) -> None:
        """Write one encoded record to the run (not yet published)."""
        self._require_open()
        if encoded.format == self.fmt:
            key, target, fmt = "main", self.path, self.fmt
        elif encoded.format == "marc":
            key, target, fmt = "authorities", authority_path(self.path), "marc"
        else:
            raise ValueError(f"a {encoded.format} record can't go into a {self.fmt} export")
        part = self._parts.get(key)
        if part is None:
            part = self._parts[key] = self._open_part(target, fmt)
        try:
            part.buffer.write(encoded.data)
        except OSError as error:
            raise _write_error(target, error) from error
        part.record_ids.append(record_id)

    # -- finishing ------------------------------------------------------------------------

    def commit(self) -> tuple[Path, ...]:
        """Publish the run's files, complete and flushed to disk; their final paths.

        The export file comes first, then the authority file if there is one; a run with no
        records publishes nothing. Raises :class:`FileExportError` (and publishes nothing of
        a file that failed) when a file can't be written.
        """
        self._require_open()
        self._state = "committing"
        # The export file first, then the authority file, whichever got a record first.
        parts = [self._parts[key] for key in ("main", "authorities") if key in self._parts]
        try:
            for part in parts:
                part.buffer.flush()
                part.buffer.close()
            if not parts:
                published: tuple[Path, ...] = ()
            elif self.file_type == "cumulative":
                published = tuple(self._commit_cumulative(part) for part in parts)
            else:
                published = self._commit_individual(parts)
        except BaseException:
            self.abort()
            raise
        for part, final in zip(parts, published, strict=True):
            for record_id in part.record_ids:
                self._published[record_id] = final
        self._remove_buffers()
        self._state = "committed"
        return published

    def abort(self) -> None:
        """Drop the run: nothing is published, the part files are removed. Safe to repeat."""
        if self._state == "committed":
            return
        self._state = "aborted"
        for part in self._parts.values():
            with contextlib.suppress(OSError):
                part.buffer.close()
        self._remove_buffers()

    def destination(self, record_id: Hashable) -> Path:
        """After commit: the file a record went to (KeyError for a record not in the run)."""
        return self._published[record_id]

    def __enter__(self) -> FileExport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._state != "committed":
            self.abort()

    # -- inside ---------------------------------------------------------------------------

    def _require_open(self) -> None:
        if self._state != "open":
            raise RuntimeError(f"this file export is already {self._state}")

    def _open_part(self, target: Path, fmt: str) -> _Part:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, buffer_path = _new_part_file(target)
            # The document's header first: when the run makes a new file (individual, or
            # a cumulative one not there yet), this part file becomes it, not copied.
            handle.write(document_header(fmt))
        except OSError as error:
            raise _write_error(target, error) from error
        return _Part(target, fmt, handle, buffer_path)

    def _commit_cumulative(self, part: _Part) -> Path:
        target = part.target
        # Another run (another account, another ExportDesk) may be adding to the same file:
        # from reading the old file to the rename, only one at a time, or one run's records
        # would be lost. The file itself is replaced, so the lock is a file beside it.
        lock = filelock.FileLock(lock_file(target), timeout=CUMULATIVE_LOCK_TIMEOUT)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise FileExportError(
                f"Another export has been adding to {target} for over "
                f"{CUMULATIVE_LOCK_TIMEOUT:.0f} seconds; nothing was written. Try again when "
                "it has finished."
            ) from None
        except OSError as error:
            raise _write_error(target, error) from error
        try:
            return self._commit_cumulative_locked(part)
        finally:
            lock.release()

    def _commit_cumulative_locked(self, part: _Part) -> Path:
        target = part.target
        try:
            existing = _existing_document(target, part.fmt)
            if existing is None:  # a new file: the part file (header, records) is it
                tmp = _finish_part_file(part)
            else:

                def write(out: BinaryIO) -> None:
                    keep, footer = existing
                    with target.open("rb") as old:
                        _copy(old, out, keep)
                    with part.buffer_path.open("rb") as records:
                        records.seek(len(document_header(part.fmt)))  # the old file has one
                        _copy(records, out, None)
                    out.write(footer)

                tmp = _write_part_file(target, write)
            try:
                os.replace(tmp, target)
            except BaseException:
                _unlink_quietly(tmp)
                raise
        except OSError as error:
            raise _write_error(target, error) from error
        fsync_directory(target.parent)
        return target

    def _commit_individual(self, parts: list[_Part]) -> tuple[Path, ...]:
        finished: list[tuple[_Part, Path]] = []
        try:
            for part in parts:  # each part file (header, records) becomes a new file
                finished.append((part, _finish_part_file(part)))
            published = _publish_numbered(finished, self.path)
        except OSError as error:
            raise _write_error(self.path, error) from error
        finally:
            for _, tmp in finished:
                _unlink_quietly(tmp)
        fsync_directory(self.path.parent)
        return published

    def _remove_buffers(self) -> None:
        for part in self._parts.values():
            _unlink_quietly(part.buffer_path)


def _publish_numbered(finished: list[tuple[_Part, Path]], base: Path) -> tuple[Path, ...]:
    """Give each finished file the first number free for the export file and its authority
    file alike, without ever replacing an existing file."""
    number = 0
    while True:
        names = [numbered_path(base, number)]
        names.append(authority_path(names[0]))
        if not any(name.exists() for name in names):
            linked: list[Path] = []
            try:
                for part, tmp in finished:
                    final = names[0] if part.target == base else names[1]
                    _link_new(tmp, final)
                    linked.append(final)
                return tuple(linked)
            except FileExistsError:
                # Another program took the name meanwhile; undo and try the next number.
                for final in linked:
                    final.unlink()
        number += 1


def _link_new(tmp: Path, final: Path) -> None:
    """Make ``tmp`` appear as ``final``, failing with FileExistsError rather than replace."""
    try:
        os.link(tmp, final)
    except FileExistsError:
        raise
    except OSError:
        # Some file systems have no hard links; the exists check above must do there.
        if final.exists():
            raise FileExistsError(final) from None
        os.replace(tmp, final)


def _existing_document(target: Path, fmt: str) -> tuple[int, bytes] | None:
    """For an existing cumulative file: how many bytes to keep (all but its closing tag) and
    the closing tag to end it with again (another tool's may have a prefix: ``</marc:...>``).

    None when there is no file yet, or an empty one. Raises FileExportError for a file this
    format can't be added to.
    """
    try:
        size = target.stat().st_size
    except FileNotFoundError:
        return None
    with target.open("rb") as handle:
        head = handle.read(512)
        start = max(0, size - _TAIL)
        handle.seek(start)
        tail = handle.read()
    if not head.strip():
        return None
    if fmt == "marc":
        if tail.rstrip()[-1:] != b"\x1d":
            raise _cannot_add(target, "it does not end with a complete MARC record")
        return size, b""
    declared = _XML_ENCODING.search(head)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        raise _cannot_add(target, f"it is written in {declared.group(1).decode()}, not UTF-8")
    closing = _CLOSINGS[fmt].search(tail)
    if closing is None:
        raise _cannot_add(
            target, "it does not end the way an ExportDesk export of this format does"
        )
    return start + closing.start(), closing.group().rstrip() + b"\n"


def _cannot_add(target: Path, why: str) -> FileExportError:
    return FileExportError(
        f"Can't add records to {target}: {why}. Choose another export file, or move this one "
        "away; nothing was written."
    )


def _write_error(target: Path, error: OSError) -> FileExportError:
    reason = error.strerror or error.__class__.__name__
    return FileExportError(f"Could not write the export file {target}: {reason}.")


def _part_prefix(target: Path) -> str:
    return f".{target.name}.{os.getpid()}."


def _new_part_file(target: Path) -> tuple[BinaryIO, Path]:
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=_part_prefix(target), suffix=".part")
    # Written a megabyte at a time, not a system call every record or two.
    return os.fdopen(fd, "wb", buffering=_CHUNK), Path(name)


def _finish_part_file(part: _Part) -> Path:
    """The run's part file (closed, holding the header and the records) ended with the
    document's footer and flushed to disk: ready to become the new file."""
    with part.buffer_path.open("ab") as out:
        out.write(document_footer(part.fmt))
        out.flush()
        os.fsync(out.fileno())
    return part.buffer_path


def _write_part_file(target: Path, write: Callable[[BinaryIO], None]) -> Path:
    """A new part file beside ``target`` holding what ``write`` writes, flushed to disk and
    closed (so it can be renamed on every platform); removed again if anything fails."""
    handle, tmp = _new_part_file(target)
    try:
        with handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return tmp


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _copy(source: BinaryIO, target: BinaryIO, length: int | None) -> None:
    remaining = length
    while remaining is None or remaining > 0:
        chunk = source.read(_CHUNK if remaining is None else min(_CHUNK, remaining))
        if not chunk:
            if remaining:
                raise OSError("the file got shorter while it was being copied")
            return
        target.write(chunk)
        if remaining is not None:
            remaining -= len(chunk)


def _remove_abandoned_parts(target: Path) -> None:
    """Remove part files left by an export to ``target`` whose process no longer runs."""
    if os.name != "posix" or not target.parent.is_dir():
        return
    pattern = re.compile(re.escape(f".{target.name}.") + r"(\d+)\.[^/]*\.part")
    for candidate in target.parent.iterdir():
        match = pattern.fullmatch(candidate.name)
        if match is None:
            continue
        pid = int(match.group(1))
        if pid == os.getpid() or _process_exists(pid):
            continue
        with contextlib.suppress(OSError):
            candidate.unlink()


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
