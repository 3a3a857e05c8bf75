"""SRU targets (versions 1.1, 1.2 and 2.0): searchRetrieve over HTTP GET, records as MARCXML.

A search is CQL: ``INDEX all "words"`` for title, author and keyword, ``INDEX = "number"``
for numbers, with the target's index map (defaults from the common context sets); ``--raw``
passes the cataloger's own CQL. A hit's id is its record's 001; retrieve searches the id
index (``rec.id`` by default) for it and takes the record whose 001 is that id.

A response is parsed once, whole, by ElementTree's C parser, and each record's fields are
taken from its elements (marcxml.record_from_element); only a record packed as a string, or
holding what that does not read, goes through the streaming MARCXML reader. A record whose
MARCXML bytes are those of a record read before (a hit, then its retrieve) is not read again:
the client keeps the records of its recent answers by their bytes, for those whose bytes mean
the same wherever they stand (see _fragments).
"""

from __future__ import annotations

import http.client
import io
import re
import threading
import xml.etree.ElementTree as ET
from urllib.parse import urlencode, urlsplit

from app.core.marc.marcxml import MARC_NAMESPACE, read_marcxml, record_from_element
from app.core.marc.readresults import ReadError, RecordRead
from app.core.settings.targets import Target, TargetKind
from app.core.sources.faults import TargetDiagnostic, TargetError
from app.core.sources.hits import SearchPage, SearchQuery, brief
from app.core.sources.http import (
    KeptAlive,
    call,
    malformed,
    status_failure,
    transport_failure,
)
from app.core.sources.retry import RetryPolicy

MAX_PAGE = 100  # records per request
_MARC_RECORD_TAGS = (f"{{{MARC_NAMESPACE}}}record", "record")
_KEPT_RECORDS = 1000  # records kept by their bytes, to be taken again without reading them
# A colon that may belong to a name with a namespace prefix (declared around the record,
# perhaps), which would make a record's bytes mean something else elsewhere; some text too.
_PREFIXED = re.compile(rb":[^\s/<]")
_DECLARATION = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([\w.-]+)[\"']")
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


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _child_text(element: ET.Element, name: str) -> str:
    found = _child(element, name)
    return (found.text or "").strip() if found is not None else ""


class SruClient:
    """One SRU target: a session kept open across requests (close() it, or use ``with``)."""

    def __init__(self, target: Target, policy: RetryPolicy | None = None) -> None:
        if target.kind is not TargetKind.SRU:
            raise ValueError(f"{target.describe()} is not an SRU target")
        self.target = target
        self.policy = policy or RetryPolicy()
        self.http = KeptAlive(target)
        self._kept: dict[bytes, RecordRead] = {}  # by the bytes of their <recordData>
        split = urlsplit(target.url)
        self._path = split.path or "/"

    def __enter__(self) -> SruClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def _params(self, cql: str, start: int, count: int) -> dict[str, str]:
        params = {
            "operation": "searchRetrieve",
            "version": self.target.version,
            "query": cql,
            "startRecord": str(start),
            "maximumRecords": str(count),
            "recordSchema": self.target.schema,
        }
        if self.target.version == "2.0":
            params["recordXMLEscaping"] = "xml"
        else:
            params["recordPacking"] = "xml"
        return params

    def _get(self, params: dict[str, str], what: str, cancel: threading.Event | None) -> bytes:
        def attempt() -> bytes:
            try:
                status, reason, headers, body = self.http.get(f"{self._path}?{urlencode(params)}")
            except (OSError, http.client.HTTPException) as error:
                raise transport_failure(self.target, error) from None
            retry = status_failure(self.target, None, what, status, reason, headers)
            if retry is not None:
                raise retry
            if status != 200 and b"diagnostic" not in body:
                raise malformed(self.target, what, f"HTTP {status} {reason}")
            return body

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
        body = self._get(self._params(cql, start, min(count, MAX_PAGE)), "the search", cancel)
        total, entries = self._parse(body, "the search", start)
        hits = [brief(record, self.target.name, position) for position, record in entries]
        return SearchPage(total=total, start=start, hits=hits)

    def retrieve(self, record_id: str, cancel: threading.Event | None = None) -> RecordRead:
        """The record whose 001 is ``record_id`` (a hit's id)."""
        cql = f"{self.target.index('id')} = {cql_term(record_id.strip())}"
        what = f"the request for record {record_id}"
        body = self._get(self._params(cql, 1, 10), what, cancel)
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
        known: list[RecordRead | None] = []
        if fragments is not None and self._kept:
            known = [self._kept.get(body[fragment]) for fragment in fragments]
        if any(known):
            assert fragments is not None
            # Parse the rest of the answer only: the records known stand in for their bytes.
            envelope = bytearray(body)
            for fragment, record in reversed(list(zip(fragments, known, strict=True))):
                if record is not None:
                    del envelope[fragment.start : fragment.stop]
            try:
                parsed = self._parse_tree(bytes(envelope), what, start, known)
            except TargetError:
                parsed = None  # told from the whole answer below, where the fault lies
            if parsed is not None:
                return parsed[0], parsed[1]
        parsed = self._parse_tree(body, what, start, [])
        assert parsed is not None
        if fragments is not None and len(fragments) == parsed[2]:
            self._keep(body, fragments, parsed[3])
        return parsed[0], parsed[1]

    def _parse_tree(
        self, body: bytes, what: str, start: int, known: list[RecordRead | None]
    ) -> tuple[int, list[tuple[int, RecordRead]], int, list[RecordRead | None]] | None:
        """What _parse gives, with the number of <recordData> and the record of each; None
        when ``known`` (records for the <recordData> taken out of ``body``) does not match."""
        try:
            root = ET.fromstring(body)
        except ET.ParseError as error:
            raise malformed(self.target, what, f"not XML ({error})") from None
        if _local(root.tag) not in ("searchRetrieveResponse", "diagnostics"):
            raise malformed(self.target, what, f"<{_local(root.tag)}> is not an SRU response")
        self._raise_diagnostics(root)
        text = _child_text(root, "numberOfRecords")
        if not text.isdigit():
            raise malformed(self.target, what, "it has no numberOfRecords")
        records_element = _child(root, "records")
        entries: list[tuple[int, RecordRead]] = []
        read: list[RecordRead | None] = []
        if records_element is None:
            return (int(text), entries, 0, read) if not known else None
        for index, element in enumerate(records_element):
            position_text = _child_text(element, "recordPosition")
            position = int(position_text) if position_text.isdigit() else start + index
            data = _child(element, "recordData")
            if data is None:
                continue
            number = len(entries) + 1
            record = known[len(read)] if len(read) < len(known) else None
            if record is None:
                record = self._marc_in(data, what, number)
            elif record.number != number:
                record = RecordRead(
                    record.raw, record.parsed, "marcxml", record.file, number, 0, record.notes
                )
            read.append(record)
            if record is not None:
                entries.append((position, record))
        if known and len(read) != len(known):
            return None
        return int(text), entries, len(read), read

    def _keep(self, body: bytes, fragments: list[slice], records: list[RecordRead | None]) -> None:
        """Keep the records whose bytes mean the same wherever they stand: each an element
        declaring its own default namespace, with no name with a prefix, no comment, CDATA
        or DTD ("<!"), in a document with no DTD."""
        if b"<!DOCTYPE" in body:
            return
        if len(self._kept) + len(records) > _KEPT_RECORDS:
            self._kept.clear()
        for fragment, record in zip(fragments, records, strict=True):
            if record is None:
                continue
            data = body[fragment].strip()
            head = data[: data.find(b">") + 1]
            if not head.startswith(b"<") or b" xmlns=" not in head:
                continue
            if b"<!" not in data and _PREFIXED.search(data) is None:
                self._kept[body[fragment]] = record

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

    def _raise_diagnostics(self, root: ET.Element) -> None:
        holder = root if _local(root.tag) == "diagnostics" else _child(root, "diagnostics")
        if holder is None or not len(holder):
            return
        messages = []
        for diagnostic in holder:
            uri = _child_text(diagnostic, "uri")
            number = uri.rpartition("/")[2]
            message = _child_text(diagnostic, "message") or _DIAGNOSTIC_HINTS.get(number, "")
            details = _child_text(diagnostic, "details")
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
