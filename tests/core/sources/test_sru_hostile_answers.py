"""An SRU server's answer that is not what SRU promises is a clear error naming the catalogue,
never a traceback, a process filling its memory, or a file of this computer read into a
record: entities that multiply, an external entity, a web page, and an answer cut short."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from app.core.settings.targets import make_target
from app.core.sources.faults import TargetResponseError
from app.core.sources.hits import SearchQuery
from app.core.sources.sru import SruClient
from tests.core.sources.raw_http import Handler, read_request, serving, wait_closed
from tests.fixtures.network import LOOPBACK

SRU = "http://www.loc.gov/zing/srw/"


def answer_with(body: bytes) -> Handler:
    def handle(connection: socket.socket, stop: threading.Event) -> None:
        if read_request(connection, b"", stop) is None:
            return
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        wait_closed(connection, stop)

    return handle


def search_answered_with(body: bytes) -> TargetResponseError:
    with serving(answer_with(body)) as port:
        target = make_target(
            {"name": "Hostile", "kind": "sru", "url": f"http://{LOOPBACK}:{port}/sru"}
        )
        with SruClient(target) as client, pytest.raises(TargetResponseError) as raised:
            client.search(SearchQuery("perl"))
    return raised.value


def response(doctype: str, records: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n{doctype}\n<searchRetrieveResponse xmlns="{SRU}">'
        f"<version>1.1</version><numberOfRecords>1</numberOfRecords><records><record>"
        f"<recordSchema>marcxml</recordSchema><recordPacking>xml</recordPacking><recordData>"
        f'<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 a 4500'
        f'</leader><controlfield tag="001">1</controlfield><datafield tag="245" ind1="1" '
        f'ind2="0"><subfield code="a">{records}</subfield></datafield></record>'
        f"</recordData><recordPosition>1</recordPosition></record></records>"
        f"</searchRetrieveResponse>"
    ).encode()


def test_entities_that_multiply_are_a_bad_answer() -> None:
    levels = ['<!ENTITY e0 "laugh">']
    levels += [f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 11)]
    body = response(f"<!DOCTYPE searchRetrieveResponse [{''.join(levels)}]>", "&e10;")
    error = search_answered_with(body)
    assert str(error).startswith("Target 'Hostile' (SRU): ")
    assert "can't be read: not XML" in str(error) and "amplification" in str(error)


def test_an_external_entity_is_never_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the contents of another file")
    doctype = f'<!DOCTYPE searchRetrieveResponse [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
    with serving(answer_with(response(doctype, "Title &x;"))) as port:
        target = make_target(
            {"name": "Hostile", "kind": "sru", "url": f"http://{LOOPBACK}:{port}/sru"}
        )
        with SruClient(target) as client:
            try:
                found = client.search(SearchQuery("perl"))
            except TargetResponseError as error:  # refusing it is as good
                assert "another file" not in str(error)
                return
    shown = repr(found)
    assert "another file" not in shown
    for hit in found.hits:
        assert b"another file" not in hit.record.raw


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><body>Service unavailable</body></html>",
        b"Service unavailable",
        response("", "Title")[:-40],  # cut short
    ],
    ids=["web page", "plain text", "cut short"],
)
def test_an_answer_that_is_not_sru_names_the_catalogue(body: bytes) -> None:
    error = search_answered_with(body)
    assert str(error).startswith("Target 'Hostile' (SRU): ")
    assert "can't be read" in str(error)
