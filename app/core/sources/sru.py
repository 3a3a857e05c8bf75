"""SRU targets (versions 1.1, 1.2 and 2.0): searchRetrieve over HTTP GET, records as MARCXML.

A search is CQL: ``INDEX all "words"`` for title, author and keyword, ``INDEX = "number"``
for numbers, with the target's index map (defaults from the common context sets); ``--raw``
passes the cataloger's own CQL. A hit's id is its record's 001; retrieve searches the id
index (``rec.id`` by default) for it and takes the record whose 001 is that id.
"""

from __future__ import annotations

import http.client
import io
import re
import threading
import xml.etree.ElementTree as ET
from urllib.parse import urlencode, urlsplit

from app.core.marc.marcxml import MARC_NAMESPACE, read_marcxml
from app.core.marc.readresults import ReadError, RecordRead
from app.core.settings.targets import Target, TargetKind
from app.core.sources.faults import TargetDiagnostic
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
_NUMBER_OF_RECORDS = re.compile(rb"<(?:[\w.-]+:)?numberOfRecords>\s*(\d+)\s*<")
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
        quick = self._parse_quickly(body, start)
        return quick if quick is not None else self._parse_fully(body, what)

    def _parse_quickly(
        self, body: bytes, start: int
    ) -> tuple[int, list[tuple[int, RecordRead]]] | None:
        """The usual answer, in one pass of the MARCXML reader over the whole response (it
        skips SRU's own elements); None when the answer needs a closer look (diagnostics,
        records packed as strings, anything unexpected)."""
        if b"diagnostic" in body or b"searchRetrieveResponse" not in body[:2048]:
            return None
        found = _NUMBER_OF_RECORDS.search(body)
        if found is None:
            return None
        total = int(found.group(1))
        records: list[RecordRead] = []
        for result in read_marcxml(io.BytesIO(body), self.target.name):
            if isinstance(result, ReadError):
                if result.record == 0 and not records:  # no MARC record in it at all
                    break
                return None
            records.append(result)
        if len(records) != body.count(b"recordData>") // 2:
            return None  # a record of another schema, or packed as a string
        return total, [(start + n, record) for n, record in enumerate(records)]

    def _parse_fully(self, body: bytes, what: str) -> tuple[int, list[tuple[int, RecordRead]]]:
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
        if records_element is None:
            return int(text), entries
        for number, element in enumerate(records_element, start=1):
            position_text = _child_text(element, "recordPosition")
            position = int(position_text) if position_text.isdigit() else number
            data = _child(element, "recordData")
            if data is None:
                continue
            record = self._marc_in(data, what)
            if record is not None:
                entries.append((position, record))
        return int(text), entries

    def _marc_in(self, data: ET.Element, what: str) -> RecordRead | None:
        inner = next(iter(data), None)
        if inner is not None:
            if inner.tag not in (f"{{{MARC_NAMESPACE}}}record", "record"):
                return None  # a surrogate diagnostic or another schema: not a record
            xml = ET.tostring(inner, encoding="utf-8")
        elif (data.text or "").strip():
            xml = (data.text or "").strip().encode("utf-8")  # recordPacking=string
        else:
            return None
        results = list(read_marcxml(io.BytesIO(xml), self.target.name))
        for result in results:
            if isinstance(result, ReadError):
                raise malformed(
                    self.target, what, f"a record is not valid MARCXML: {result.reason}"
                )
            return result
        return None

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
