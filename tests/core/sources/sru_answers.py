"""An SRU answer of one MARCXML record, any part of it replaceable, and an SRU client whose
server sends it: for the client's tests against what a server may get wrong."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from app.core.settings.targets import make_target
from app.core.sources.sru import SruClient
from tests.core.sources.test_kept_alive import scripted


def sru_answer(
    total: str = "1", position: str = "1", title: str = "A title", doctype: str = ""
) -> bytes:
    """The answer's body: ``doctype`` before the root, ``title`` as the record's 245 $a."""
    return (
        f'<?xml version="1.0"?>\n{doctype}\n'
        '<searchRetrieveResponse xmlns="http://www.loc.gov/zing/srw/">'
        f"<version>1.1</version><numberOfRecords>{total}</numberOfRecords><records><record>"
        "<recordSchema>marcxml</recordSchema><recordPacking>xml</recordPacking><recordData>"
        '<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 a 4500</leader>'
        '<controlfield tag="001">rec1</controlfield>'
        f'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">{title}</subfield>'
        f"</datafield></record></recordData><recordPosition>{position}</recordPosition>"
        "</record></records></searchRetrieveResponse>"
    ).encode()


@contextmanager
def sru_answering(body: bytes, name: str = "Odd") -> Iterator[SruClient]:
    """A client of target ``name``, whose server answers one request with ``body``."""
    head = f"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {len(body)}\r\n\r\n"
    with scripted(([head.encode("ascii") + body], False)) as server:
        target = make_target({"name": name, "kind": "sru", "url": server.url, "timeout": 5})
        with SruClient(target) as sru:
            yield sru
