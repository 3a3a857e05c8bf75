"""SRU targets (versions 1.1, 1.2 and 2.0): searchRetrieve over HTTP GET, records as MARCXML.

A search is CQL: ``INDEX all "words"`` for title, author and keyword, ``INDEX = "number"``
for numbers, with the target's index map (defaults from the common context sets); ``--raw``
passes the cataloger's own CQL. A hit's id is its record's 001; retrieve searches the id
index (``rec.id`` by default) for it and takes the record whose 001 is that id.

Requests go over one kept-alive connection (kept_alive.py), watching the cancel event. In an
answer (UTF-8, no DTD) the records are found as bytes (see _fragments); a record written
plainly is read from its bytes (plain_marcxml.py), and the rest of the answer (the envelope:
number of records, positions, diagnostics) is parsed by ElementTree's C parser. An answer
that does not allow this is parsed whole, each record's fields taken from its elements
(marcxml.record_from_element); only a record packed as a string, or holding what that does
not read, goes through the streaming MARCXML reader. A record whose bytes are those of a
record read plainly before by the same client (a hit, then its retrieve) is not read again.
"""

from __future__ import annotations

import io
import re
import threading
import xml.etree.ElementTree as ET
from urllib.parse import quote_plus

from app.core.digits import ascii_digits
from app.core.marc.marcxml import MARC_NAMESPACE, read_marcxml, record_from_element
from app.core.marc.readresults import ReadError, RecordRead
from app.core.settings.targets import Target, TargetKind
from app.core.sources.faults import TargetDiagnostic, TargetError
from app.core.sources.hits import Hit, SearchPage, SearchQuery
from app.core.sources.http import (
    USER_AGENT,
    call,
    malformed,
    status_failure,
    transport_failure,
)
from app.core.sources.kept_alive import BadAnswer, KeptAlive
from app.core.sources.plain_marcxml import plain_record
from app.core.sources.retry import RetryPolicy

MAX_PAGE = 100  # records per request
_MARC_RECORD_TAGS = (f"{{{MARC_NAMESPACE}}}record", "record")
_KEPT_RECORDS = 1000  # records kept by their bytes, to be taken again without reading them
_DECLARATION = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([\w.-]+)[\"']")
_PLAIN_DECLARATION = re.compile(
    rb"<\?xml version=([\"'])1\.0\1 encoding=([\"'])(?i:utf-8)\2"
    rb"(?: standalone=([\"'])(?:yes|no)\3)?\s*\?>"
)
_WORD_INDEXES = ("title", "author", "keyword")
# The diagnostic set's numbers worth a plainer word than the server's (SRU's diagnostics list).
_DIAGNOSTIC_HINTS = {
    "10": "the query is not valid CQL",
    "16": "the server does not know that index",
    "66": "the server does not know that record schema",
}


def cql_term(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def cql_for(target: Target, query: SearchQuery) -> str:
    if query.raw:
        return query.text.strip()
    relation = "all" if query.index in _WORD_INDEXES else "="
    return f"{target.index(query.index)} {relation} {cql_term(query.text.strip())}"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _children(element: ET.Element) -> dict[str, ET.Element]:
    """The first child of each local name."""
    found: dict[str, ET.Element] = {}
    for child in element:
        found.setdefault(child.tag.rpartition("}")[2], child)
    return found


def _text_of(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


class SruClient:
    """One SRU target: a session kept open across requests (close() it, or use ``with``)."""

    def __init__(self, target: Target, policy: RetryPolicy | None = None) -> None:
        if target.kind is not TargetKind.SRU:
            raise ValueError(f"{target.describe()} is not an SRU target")
        self.target = target
        self.policy = policy or RetryPolicy()
        self.http = KeptAlive(target.url, target.timeout, USER_AGENT, target.ca_file)
        self._kept: dict[bytes, RecordRead] = {}  # read plainly, by their bytes
        # The request's path and query, as urlencode() would write them, in two parts around
        # the CQL query, start and count.
        self._query_head = (
            f"{KeptAlive.path_of(target.url)}?operation=searchRetrieve"
            f"&version={quote_plus(target.version)}&query="
        )
        packing = "recordXMLEscaping=xml" if target.version == "2.0" else "recordPacking=xml"
        self._query_tail = f"&recordSchema={quote_plus(target.schema)}&{packing}"

    def __enter__(self) -> SruClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def _path(self, cql: str, start: int, count: int) -> str:
        """The searchRetrieve request: operation, version, query, startRecord,
        maximumRecords, recordSchema, and the packing of records as XML (recordPacking, or
        recordXMLEscaping in SRU 2.0)."""
        return (
            f"{self._query_head}{quote_plus(cql)}&startRecord={start}"
            f"&maximumRecords={count}{self._query_tail}"
        )

    def _get(self, path: str, what: str, cancel: threading.Event | None) -> bytes:
        def attempt() -> bytes:
            try:
                answer = self.http.get(path, cancel)
            except (OSError, BadAnswer) as error:
                raise transport_failure(self.target, error) from None
            status, reason = answer.status, answer.reason
            retry = status_failure(self.target, None, what, status, reason, answer.headers)
            if retry is not None:
                raise retry
            if status != 200 and b"diagnostic" not in answer.body:
                raise malformed(self.target, what, f"HTTP {status} {reason}")
            return answer.body

        result: bytes = call(self.target, attempt, self.policy, cancel)
        return result

    def search(
        self,
        query: SearchQuery,
        start: int = 1,
        count: int = 10,
        cancel: threading.Event | None = None,
    ) -> SearchPage:
        cql = cql_for(self.target, query)
        body = self._get(self._path(cql, start, min(count, MAX_PAGE)), "the search", cancel)
        total, entries = self._parse(body, "the search", start)
        hits = [Hit.of_record(record, self.target.name, position) for position, record in entries]
        return SearchPage(total=total, start=start, hits=hits)

    def retrieve(self, record_id: str, cancel: threading.Event | None = None) -> RecordRead:
        """The record whose 001 is ``record_id`` (a hit's id)."""
        cql = f"{self.target.index('id')} = {cql_term(record_id.strip())}"
        what = f"the request for record {record_id}"
        body = self._get(self._path(cql, 1, 10), what, cancel)
        _, entries = self._parse(body, what)
        records = [record for _, record in entries]
        wanted = record_id.strip().encode("utf-8")
        exact = [r for r in records if (f := r.parsed.first("001")) and f.data.strip() == wanted]
        chosen = exact or (records if len(records) == 1 else [])
        if not chosen:
            raise TargetDiagnostic(self.target, f"no record with id {record_id}")
        found = chosen[0]
        origin = f"{self.target.describe()}, record {record_id}"
        return RecordRead(found.raw, found.parsed, "marcxml", origin, 1, 0, found.notes)

    def _parse(
        self, body: bytes, what: str, start: int = 1
    ) -> tuple[int, list[tuple[int, RecordRead]]]:
        """The total and the MARC records of a response, each with its position (the
        response's recordPosition, else counted from ``start``)."""
        fragments = _fragments(body)
        if fragments is not None:
            known = [self._plain(body[fragment], n) for n, fragment in enumerate(fragments, 1)]
            if any(known):
                # Parse the rest of the answer only: the records read stand in for their bytes.
                # A declaration that says what parsing assumes anyway is left out (it costs
                # ElementTree as much as the rest of a retrieve's answer).
                declared = _PLAIN_DECLARATION.match(body)
                pieces, end = [], declared.end() if declared else 0
                for fragment, record in zip(fragments, known, strict=True):
                    if record is not None:
                        pieces.append(body[end : fragment.start])
                        end = fragment.stop
                pieces.append(body[end:])
                try:
                    parsed = self._parse_tree(b"".join(pieces), what, start, known)
                except TargetError:
                    parsed = None  # told from the whole answer below, where the fault lies
                if parsed is not None:
                    return parsed
        parsed = self._parse_tree(body, what, start, [])
        assert parsed is not None
        return parsed

    def _plain(self, data: bytes, number: int) -> RecordRead | None:
        """The record of a <recordData>'s bytes when written plainly; kept by its bytes."""
        record = self._kept.get(data)
        if record is None:
            record = plain_record(data, self.target.name, number)
            if record is not None:
                if len(self._kept) >= _KEPT_RECORDS:
                    self._kept.clear()
                self._kept[data] = record
        return record

    def _parse_tree(
        self, body: bytes, what: str, start: int, known: list[RecordRead | None]
    ) -> tuple[int, list[tuple[int, RecordRead]]] | None:
        """What _parse gives; None when ``known`` (the records of the <recordData>, in order,
        those not None taken out of ``body``) does not match the answer's <recordData>."""
        try:
            root = ET.fromstring(body)
        except ET.ParseError as error:
            raise malformed(self.target, what, f"not XML ({error})") from None
        name = _local(root.tag)
        if name not in ("searchRetrieveResponse", "diagnostics"):
            raise malformed(self.target, what, f"<{name}> is not an SRU response")
        parts = _children(root)
        self._raise_diagnostics(root if name == "diagnostics" else parts.get("diagnostics"))
        text = _text_of(parts.get("numberOfRecords"))
        if not ascii_digits(text):
            raise malformed(self.target, what, "it has no numberOfRecords")
        records_element = parts.get("records")
        entries: list[tuple[int, RecordRead]] = []
        read = 0  # <recordData> met
        if records_element is None:
            return (int(text), entries) if not known else None
        for index, element in enumerate(records_element):
            record_parts = _children(element)
            position_text = _text_of(record_parts.get("recordPosition"))
            numbered = ascii_digits(position_text)
            position = int(position_text) if numbered else start + index
            data = record_parts.get("recordData")
            if data is None:
                continue
            number = len(entries) + 1
            record = known[read] if read < len(known) else None
            if record is None:
                record = self._marc_in(data, what, number)
            elif record.number != number:
                record = RecordRead(
                    record.raw, record.parsed, "marcxml", record.file, number, 0, record.notes
                )
            read += 1
            if record is not None:
                entries.append((position, record))
        if known and read != len(known):
            return None
        return int(text), entries

    def _marc_in(self, data: ET.Element, what: str, number: int) -> RecordRead | None:
        inner = next(iter(data), None)
        if inner is not None:
            if inner.tag not in _MARC_RECORD_TAGS:
                return None  # a surrogate diagnostic or another schema: not a record
            result = record_from_element(inner, self.target.name, number)
            if result is None:  # something only the streaming reader reads as it should
                xml = ET.tostring(inner, encoding="utf-8")
                result = next(read_marcxml(io.BytesIO(xml), self.target.name), None)
        elif (data.text or "").strip():
            xml = (data.text or "").strip().encode("utf-8")  # recordPacking=string
            result = next(read_marcxml(io.BytesIO(xml), self.target.name), None)
        else:
            return None
        if isinstance(result, ReadError):
            raise malformed(self.target, what, f"a record is not valid MARCXML: {result.reason}")
        return result

    def _raise_diagnostics(self, holder: ET.Element | None) -> None:
        if holder is None or not len(holder):
            return
        messages = []
        for diagnostic in holder:
            said = _children(diagnostic)
            uri = _text_of(said.get("uri"))
            number = uri.rpartition("/")[2]
            message = _text_of(said.get("message")) or _DIAGNOSTIC_HINTS.get(number, "")
            details = _text_of(said.get("details"))
            parts = [p for p in (message, details) if p]
            messages.append(f"diagnostic {number or uri}: {', '.join(parts) or 'no message'}")
        raise TargetDiagnostic(self.target, "; ".join(messages))


def _fragments(body: bytes) -> list[slice] | None:
    """Where the content of each <recordData> lies in a UTF-8 answer with no DTD, found as
    bytes; None when the answer does not allow finding them so (another encoding, a
    <recordData> with attributes...)."""
    if b"<!DOCTYPE" in body:
        return None
    if body.startswith(b"<?xml"):
        declared = _DECLARATION.match(body, 0, body.find(b"?>") + 2)
        if declared is not None and declared.group(1).lower() not in (b"utf-8", b"utf8"):
            return None
    elif not body.lstrip().startswith(b"<"):
        return None
    fragments: list[slice] = []
    position = 0
    while True:
        found = body.find(b"recordData>", position)
        if found < 0:
            break
        opening = body.rfind(b"<", 0, found)
        name = body[opening + 1 : found]
        if name.startswith(b"/") or (name and not name.endswith(b":")):
            return None
        closing = body.find(b"</" + name + b"recordData>", found)
        if closing < 0:
            return None
        fragments.append(slice(found + len(b"recordData>"), closing))
        position = closing + len(name) + len(b"</recordData>")
    if body.count(b"recordData") != 2 * len(fragments):
        return None
    return fragments
