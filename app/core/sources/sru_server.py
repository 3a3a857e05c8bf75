"""ExportDesk's own small SRU server: searchRetrieve over a handful of MARC records, answered as
MARCXML, for the demo (``exportdesk --demo`` searches it as the demo account's target) and for
tests. Like the reference receiver it is the project's own, listens on 127.0.0.1 only and
serves in a background thread::

    with SruServer(records) as catalogue:         # records: ISO 2709 bytes
        catalogue.url                             # http://127.0.0.1:PORT/catalogue

It speaks SRU 1.1, 1.2 and 2.0 over HTTP GET (``searchRetrieve`` and a short ``explain``), and
understands simple CQL: ``INDEX RELATION TERM`` clauses (relations ``=``, ``==``, ``all``,
``any``, ``adj``, ``exact``), bare terms (``cql.serverChoice``), ``and``, ``or``, ``not`` and
parentheses, with ``*`` at the end of a word for truncation. Its indexes are those of the
targets' defaults (app/core/settings/targets.py): ``cql.serverChoice`` (every word),
``dc.title``, ``dc.creator``, ``rec.id`` (001, and OCLC numbers in 035), ``bath.isbn``,
``bath.issn``, ``bath.lccn``, and ``cql.allRecords``. Anything else is answered with the SRU
diagnostic a real server gives (16: unsupported index, 10: query syntax error...).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from pymarc import Record

from app.core.digits import ascii_digits
from app.core.marc.charset import decode_record
from app.core.marc.summary import oclc_number
from app.core.marc.to_marcxml import record_to_marcxml

LOOPBACK = "127.0.0.1"
DEFAULT_PATH = "/catalogue"
MAX_RECORDS = 100  # at most this many records in one answer
DEFAULT_RECORDS = 10
SRW_NS = "http://www.loc.gov/zing/srw/"
SRW_DIAGNOSTIC_NS = "http://www.loc.gov/zing/srw/diagnostic/"
SRU2_NS = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
SRU2_DIAGNOSTIC_NS = "http://docs.oasis-open.org/ns/search-ws/diagnostic"
MARCXML_SCHEMAS = frozenset(
    {"", "marcxml", "marc21", "marc21-xml", "info:srw/schema/1/marcxml-v1.1"}
)
VERSIONS = ("1.1", "1.2", "2.0")

_WORD = re.compile(r"\w+\*?")
_TOKEN = re.compile(r'\s*(?:(")((?:[^"\\]|\\.)*)"|([()])|(==|<>|<=|>=|[=<>])|([^\s()"=<>/]+)|(/))')


def words(text: str) -> list[str]:
    """Lower-case words without diacritics: what searches compare."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return _WORD.findall(plain.casefold())


def _number(text: str) -> str:
    """A number as indexes keep it: no spaces or hyphens, lower case."""
    return re.sub(r"[\s-]", "", text).casefold()


class Diagnostic(Exception):
    """An SRU diagnostic: its number in the diagnostic set, message and details."""

    def __init__(self, number: int, message: str, details: str = "") -> None:
        super().__init__(f"{number}: {message}")
        self.number = number
        self.message = message
        self.details = details


@dataclass
class Entry:
    """One record as the server searches it, and as it answers (MARCXML)."""

    xml: str
    keys: dict[str, set[str]] = field(default_factory=dict)  # number indexes: exact values
    text: dict[str, list[str]] = field(default_factory=dict)  # word indexes: the words


def _subfields(record: Record, tags: Iterable[str], codes: str = "") -> list[str]:
    found: list[str] = []
    for tag in tags:
        for data_field in record.get_fields(tag):
            if data_field.control_field:
                found.append(data_field.data or "")
                continue
            for subfield in data_field.subfields:
                if not codes or subfield.code in codes:
                    found.append(subfield.value)
    return found


def _first_token(values: Iterable[str]) -> set[str]:
    return {_number(value.split()[0]) for value in values if value.split()}


def make_entry(raw: bytes) -> Entry:
    """A record (ISO 2709) ready to search and send."""
    record = decode_record(raw)
    xml, _replaced = record_to_marcxml(record)
    control = {_number(v) for v in _subfields(record, ["001"]) if v.strip()}
    oclc = {
        number
        for value in _subfields(record, ["035"], "a")
        if value.strip().startswith("(OCoLC)")
        and (number := oclc_number(value.strip()[len("(OCoLC)") :]))
    }
    authority = str(record.leader)[6:7] == "z"
    title_tags = ["100", "110", "111", "130", "150", "151"] if authority else ["245", "246", "130"]
    everything = [
        value
        for data_field in record.fields
        if not data_field.control_field
        for value in (s.value for s in data_field.subfields)
    ]
    return Entry(
        xml=xml.rstrip("\n"),
        keys={
            "id": control | oclc,
            "isbn": _first_token(_subfields(record, ["020"], "az")),
            "issn": _first_token(_subfields(record, ["022"], "ayz")),
            "lccn": {_number(v) for v in _subfields(record, ["010"], "az") if v.strip()},
        },
        text={
            "title": words(" ".join(_subfields(record, title_tags, "abnp"))),
            "author": words(" ".join(_subfields(record, ["100", "110", "111", "700", "710"]))),
            "keyword": words(" ".join([*everything, *control, *oclc])),
        },
    )


# The CQL indexes understood, and the index of an Entry each one searches.
INDEXES: dict[str, str] = {
    "cql.serverchoice": "keyword",
    "cql.anywhere": "keyword",
    "cql.keywords": "keyword",
    "serverchoice": "keyword",
    "keyword": "keyword",
    "dc.title": "title",
    "title": "title",
    "bath.title": "title",
    "dc.creator": "author",
    "dc.author": "author",
    "bath.author": "author",
    "bath.name": "author",
    "author": "author",
    "creator": "author",
    "rec.id": "id",
    "rec.identifier": "id",
    "bath.localnumber": "id",
    "id": "id",
    "bath.isbn": "isbn",
    "isbn": "isbn",
    "bath.issn": "issn",
    "issn": "issn",
    "bath.lccn": "lccn",
    "lccn": "lccn",
    "cql.allrecords": "all",
}
RELATIONS = ("=", "==", "all", "any", "adj", "exact", "scr")
BOOLEANS = ("and", "or", "not")

Matcher = Callable[[Entry], bool]


class _Parser:
    """CQL's simple queries, to a function that says whether a record matches."""

    def __init__(self, query: str) -> None:
        self.tokens = self._tokenize(query)
        self.at = 0

    @staticmethod
    def _tokenize(query: str) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []
        position = 0
        query = query.strip()
        while position < len(query):
            found = _TOKEN.match(query, position)
            if found is None or found.end() == position:
                raise Diagnostic(10, "Query syntax error", query)
            quote, quoted, paren, comparison, word, slash = found.groups()
            if quote:
                tokens.append(("term", re.sub(r"\\(.)", r"\1", quoted)))
            elif paren:
                tokens.append((paren, paren))
            elif comparison:
                tokens.append(("relation", comparison))
            elif slash:
                raise Diagnostic(20, "Unsupported relation modifier", query)
            else:
                tokens.append(("word", word))
            position = found.end()
            while position < len(query) and query[position].isspace():
                position += 1
        if not tokens:
            raise Diagnostic(10, "Query syntax error", "the query is empty")
        return tokens

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise Diagnostic(10, "Query syntax error", "the query ends too soon")
        self.at += 1
        return token

    def parse(self) -> Matcher:
        matcher = self._query()
        left = self._peek()
        if left is not None:
            raise Diagnostic(10, "Query syntax error", f"unexpected '{left[1]}'")
        return matcher

    def _query(self) -> Matcher:
        left = self._clause()
        while (token := self._peek()) is not None and token[0] == "word":
            operator = token[1].casefold()
            if operator == "prox":
                raise Diagnostic(37, "Unsupported boolean operator", "prox")
            if operator not in BOOLEANS:
                raise Diagnostic(10, "Query syntax error", f"'{token[1]}' is not and, or, not")
            self.at += 1
            right = self._clause()
            left = _combine(operator, left, right)
        return left

    def _clause(self) -> Matcher:
        kind, value = self._take()
        if kind == "(":
            inner = self._query()
            if self._take()[0] != ")":
                raise Diagnostic(10, "Query syntax error", "a parenthesis is not closed")
            return inner
        if kind not in ("word", "term"):
            raise Diagnostic(10, "Query syntax error", f"unexpected '{value}'")
        following = self._peek()
        relation: str | None = None
        if following is not None and following[0] == "relation":
            relation = following[1]
        elif (
            following is not None
            and kind == "word"
            and following[0] == "word"
            and following[1].casefold() in RELATIONS
            and self.at + 1 < len(self.tokens)
            and self.tokens[self.at + 1][0] in ("word", "term")
        ):
            relation = following[1].casefold()
        if relation is None:  # a bare term: the server's choice, every word
            return _matcher("keyword", "=", value)
        if relation not in RELATIONS:
            raise Diagnostic(19, "Unsupported relation", relation)
        self.at += 1
        index_name = value.casefold()
        index = INDEXES.get(index_name)
        if index is None:
            raise Diagnostic(16, "Unsupported index", value)
        term_kind, term = self._take()
        if term_kind not in ("word", "term"):
            raise Diagnostic(10, "Query syntax error", f"unexpected '{term}'")
        return _matcher(index, relation, term)


def _combine(operator: str, left: Matcher, right: Matcher) -> Matcher:
    if operator == "and":
        return lambda entry: left(entry) and right(entry)
    if operator == "or":
        return lambda entry: left(entry) or right(entry)
    return lambda entry: left(entry) and not right(entry)


def _word_matches(wanted: str, present: Sequence[str]) -> bool:
    if wanted.endswith("*"):
        stem = wanted.rstrip("*")
        return any(word.startswith(stem) for word in present)
    return wanted in present


def _matcher(index: str, relation: str, term: str) -> Matcher:
    if index == "all":
        return lambda entry: True
    if index in ("id", "isbn", "issn", "lccn"):
        values = term.split() if relation in ("any", "all") else [term]
        wanted = {_number(value) for value in values if value.strip()}
        if index == "id":  # an OCLC number as people write it: ocm00012345, (OCoLC)12345
            wanted |= {
                number
                for value in values
                if (number := oclc_number(value.strip().removeprefix("(OCoLC)")))
            }
        if relation == "all":
            return lambda entry: wanted <= entry.keys[index]
        return lambda entry: bool(wanted & entry.keys[index])
    wanted_words = words(term)
    if not wanted_words:
        raise Diagnostic(27, "Empty term unsupported", term)
    if relation == "any":
        return lambda entry: any(_word_matches(w, entry.text[index]) for w in wanted_words)
    if relation in ("==", "exact"):
        return lambda entry: entry.text[index] == wanted_words
    if relation == "adj":
        size = len(wanted_words)

        def adjacent(entry: Entry) -> bool:
            present = entry.text[index]
            for i in range(len(present) - size + 1):
                window = present[i : i + size]
                if all(_word_matches(w, [p]) for w, p in zip(wanted_words, window, strict=True)):
                    return True
            return False

        return adjacent
    return lambda entry: all(_word_matches(w, entry.text[index]) for w in wanted_words)


def parse_cql(query: str) -> Matcher:
    """The query as a matcher; raises Diagnostic for what this server does not understand."""
    try:
        return _Parser(query).parse()
    except RecursionError:  # thousands of parentheses deep: the parser recurses per level
        raise Diagnostic(10, "Query syntax error", "nested too deeply") from None


class SruServer:
    """The records, searched over SRU on 127.0.0.1 (a free port unless one is given).

    ``hold``, when set to an unset Event, makes every answer wait until it is set (a slow
    catalogue, for tests); ``requests`` keeps the query strings received."""

    def __init__(
        self,
        records: Iterable[bytes],
        *,
        port: int = 0,
        path: str = DEFAULT_PATH,
        name: str = "ExportDesk demo catalogue",
    ) -> None:
        self.entries = [make_entry(raw) for raw in records]
        self.path = path
        self.name = name
        self.hold: threading.Event | None = None
        self.requests: list[str] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = _HttpServer((LOOPBACK, port), _Handler, self)
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return LOOPBACK

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}{self.path}"

    def start(self) -> SruServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="exportdesk-sru-server",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> SruServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- answering (in the server's threads) ----------------------------------------------

    def answer(self, query_string: str) -> tuple[int, bytes]:
        """The HTTP status and body for one request's query string."""
        with self._lock:
            self.requests.append(query_string)
        hold = self.hold
        while hold is not None and not hold.is_set() and not self._stopping.is_set():
            hold.wait(0.1)
        params = {k: v[-1] for k, v in parse_qs(query_string, keep_blank_values=True).items()}
        version = params.get("version") or "1.2"
        if version not in VERSIONS:
            version = "1.2"
            return 200, self._diagnostic_response(
                version, Diagnostic(5, "Unsupported version", params["version"])
            )
        operation = params.get("operation") or ("searchRetrieve" if "query" in params else "")
        try:
            if operation in ("", "explain"):
                return 200, self._explain(version)
            if operation != "searchRetrieve":
                raise Diagnostic(4, "Unsupported operation", operation)
            return 200, self._search(version, params)
        except Diagnostic as diagnostic:
            return 200, self._diagnostic_response(version, diagnostic)

    def _search(self, version: str, params: dict[str, str]) -> bytes:
        query = params.get("query", "")
        if not query.strip():
            raise Diagnostic(7, "Mandatory parameter not supplied", "query")
        start = _positive(params.get("startRecord", "1"), "startRecord", minimum=1)
        count = _positive(
            params.get("maximumRecords", str(DEFAULT_RECORDS)), "maximumRecords", minimum=0
        )
        schema = params.get("recordSchema", "")
        if schema.casefold() not in MARCXML_SCHEMAS:
            raise Diagnostic(66, "Unknown schema for retrieval", schema)
        packing = params.get("recordXMLEscaping" if version == "2.0" else "recordPacking", "xml")
        if packing not in ("xml", "string"):
            raise Diagnostic(71, "Unsupported record packing", packing)
        matcher = parse_cql(query)
        found = [entry for entry in self.entries if matcher(entry)]
        if found and count and start > len(found):
            raise Diagnostic(61, "First record position out of range", str(start))
        chosen = found[start - 1 : start - 1 + min(count, MAX_RECORDS)]
        z = "zs" if version != "2.0" else "sru"
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>\n',
            f'<{z}:searchRetrieveResponse xmlns:{z}="{SRU2_NS if version == "2.0" else SRW_NS}">',
            f"<{z}:version>{version}</{z}:version>",
            f"<{z}:numberOfRecords>{len(found)}</{z}:numberOfRecords>",
        ]
        if chosen:
            parts.append(f"<{z}:records>")
            for position, entry in enumerate(chosen, start=start):
                data = entry.xml if packing == "xml" else escape(entry.xml)
                parts.append(
                    f"<{z}:record><{z}:recordSchema>info:srw/schema/1/marcxml-v1.1"
                    f"</{z}:recordSchema>"
                    + (
                        f"<{z}:recordXMLEscaping>{packing}</{z}:recordXMLEscaping>"
                        if version == "2.0"
                        else f"<{z}:recordPacking>{packing}</{z}:recordPacking>"
                    )
                    + f"<{z}:recordData>{data}</{z}:recordData>"
                    f"<{z}:recordPosition>{position}</{z}:recordPosition></{z}:record>"
                )
            parts.append(f"</{z}:records>")
        following = start + len(chosen)
        if chosen and following <= len(found):
            parts.append(f"<{z}:nextRecordPosition>{following}</{z}:nextRecordPosition>")
        parts.append(f"</{z}:searchRetrieveResponse>\n")
        return "".join(parts).encode("utf-8")

    def _explain(self, version: str) -> bytes:
        z = "zs" if version != "2.0" else "sru"
        namespace = SRU2_NS if version == "2.0" else SRW_NS
        indexes = "".join(
            f"<index><title>{name}</title><map><name set=\"{name.partition('.')[0]}\">"
            f"{name.partition('.')[2]}</name></map></index>"
            for name in ("cql.serverChoice", "dc.title", "dc.creator", "rec.id", "bath.isbn",
                         "bath.issn", "bath.lccn", "cql.allRecords")
        )  # fmt: skip
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<{z}:explainResponse xmlns:{z}="{namespace}"><{z}:version>{version}</{z}:version>'
            f"<{z}:record><{z}:recordSchema>http://explain.z3950.org/dtd/2.0/</{z}:recordSchema>"
            f"<{z}:recordPacking>xml</{z}:recordPacking><{z}:recordData>"
            '<explain xmlns="http://explain.z3950.org/dtd/2.0/">'
            f'<serverInfo protocol="SRU" version="{version}"><host>{LOOPBACK}</host>'
            f"<port>{self.port}</port><database>{escape(self.path.lstrip('/'))}</database>"
            f"</serverInfo><databaseInfo><title>{escape(self.name)}</title></databaseInfo>"
            f"<indexInfo>{indexes}</indexInfo>"
            '<schemaInfo><schema identifier="info:srw/schema/1/marcxml-v1.1" name="marcxml">'
            "<title>MARCXML</title></schema></schemaInfo></explain>"
            f"</{z}:recordData></{z}:record></{z}:explainResponse>\n"
        ).encode()

    @staticmethod
    def _diagnostic_response(version: str, diagnostic: Diagnostic) -> bytes:
        z = "zs" if version != "2.0" else "sru"
        namespace = SRU2_NS if version == "2.0" else SRW_NS
        diag_ns = SRU2_DIAGNOSTIC_NS if version == "2.0" else SRW_DIAGNOSTIC_NS
        details = f"<diag:details>{escape(diagnostic.details)}</diag:details>"
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<{z}:searchRetrieveResponse xmlns:{z}="{namespace}">'
            f"<{z}:version>{version}</{z}:version>"
            f"<{z}:numberOfRecords>0</{z}:numberOfRecords>"
            f'<{z}:diagnostics><diag:diagnostic xmlns:diag="{diag_ns}">'
            f"<diag:uri>info:srw/diagnostic/1/{diagnostic.number}</diag:uri>"
            f"{details if diagnostic.details else ''}"
            f"<diag:message>{escape(diagnostic.message)}</diag:message>"
            f"</diag:diagnostic></{z}:diagnostics></{z}:searchRetrieveResponse>\n"
        ).encode()


def _positive(text: str, name: str, minimum: int) -> int:
    text = text.strip()
    if not ascii_digits(text) or int(text) < minimum:
        raise Diagnostic(6, "Unsupported parameter value", f"{name}={text}")
    return int(text)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: Any, owner: SruServer) -> None:
        super().__init__(address, handler)
        self.owner = owner


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer
    protocol_version = "HTTP/1.1"  # connections kept alive, as the SRU client keeps them

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the demo's terminal stays quiet

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        owner = self.server.owner
        if parts.path.rstrip("/") != owner.path.rstrip("/"):
            self._send(404, b"Not found: this server answers SRU at " + owner.path.encode())
            return
        status, body = owner.answer(parts.query)
        self._send(status, body, "text/xml; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
