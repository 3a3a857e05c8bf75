"""The SRU client's HTTP (kept_alive.py) against servers on 127.0.0.1 that answer what each
test scripts, byte for byte: lengths, chunks, answers up to the end of the connection, kept
connections and those the server closed, and answers that are not HTTP."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from app.core.sources.kept_alive import MAX_BODY, Answer, BadAnswer, KeptAlive
from tests.core.sources.raw_http import Handler, read_request, serving, wait_closed
from tests.fixtures.network import LOOPBACK, TlsFiles
from tests.fixtures.worldcat import WorldCatDouble

AGENT = "ExportDesk/test"
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"


@dataclass
class Scripted:
    """Each connection, in turn, answers the next script's answers one per request, then
    closes (``keep``: waits for the client to close instead)."""

    scripts: list[tuple[list[bytes], bool]]
    port: int = 0
    requests: list[bytes] = field(default_factory=list)
    connections: int = 0

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/sru"


@contextmanager
def scripted(*scripts: tuple[list[bytes], bool]) -> Iterator[Scripted]:
    server = Scripted(list(scripts))

    def handle(connection: socket.socket, stop: threading.Event) -> None:
        answers, keep = server.scripts.pop(0) if server.scripts else ([], False)
        server.connections += 1
        received = b""
        for answer in answers:
            request = read_request(connection, received, stop)
            if request is None:
                return
            server.requests.append(request[0])
            received = request[1]
            connection.sendall(answer)
        if keep:
            wait_closed(connection, stop)

    with serving(handle) as server.port:
        yield server


def client(url: str, timeout: float = 5.0) -> KeptAlive:
    return KeptAlive(url, timeout, AGENT)


def test_answers_with_a_length_on_one_kept_connection() -> None:
    second = b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nX-A: 1\r\n\r\nno!"
    with scripted(([OK, second], True)) as server:
        http = client(server.url)
        assert http.get("/sru?x=1") == Answer(200, "OK", {"Content-Length": "5"}, b"hello")
        answer = http.get("/sru?x=2")
        http.close()
    assert (answer.status, answer.reason, answer.body) == (404, "Not Found", b"no!")
    assert answer.headers["X-A"] == "1"
    assert server.connections == 1
    assert (
        server.requests[0]
        == (
            f"GET /sru?x=1 HTTP/1.1\r\nHost: {LOOPBACK}:{server.port}\r\n"
            f"Accept-Encoding: identity\r\nUser-Agent: {AGENT}"
        ).encode()
    )


def test_a_chunked_answer_with_extensions_and_a_trailer() -> None:
    body = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n"
    )
    with scripted(([body, OK], True)) as server:
        http = client(server.url)
        assert http.get("/sru").body == b"hello 0123456789"
        assert http.get("/sru").body == b"hello"  # the same connection, read to its end
        http.close()
    assert server.connections == 1


def test_an_answer_without_a_length_is_read_to_the_end_of_the_connection() -> None:
    old = b"HTTP/1.0 200 OK\nContent-Type: text/xml\n\n<a>all of it</a>"
    with scripted(([old], False), ([OK], False)) as server, client(server.url) as http:
        assert http.get("/sru").body == b"<a>all of it</a>"
        assert http.get("/sru").body == b"hello"  # on a new connection
    assert server.connections == 2


def test_folded_headers_a_line_without_a_colon_and_informational_answers() -> None:
    answer = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
        b"HTTP/1.1 200 Fine\r\nX-Long: one\r\n two\r\nnot a header\r\nContent-Length: 2\r\n\r\nok"
    )
    with scripted(([answer], False)) as server, client(server.url) as http:
        got = http.get("/sru")
    assert (got.status, got.reason, got.body) == (200, "Fine", b"ok")
    assert got.headers == {"X-Long": "one two", "Content-Length": "2"}


def test_no_body_for_204_and_connection_close_is_honoured() -> None:
    with scripted(([b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"], True)) as server:
        http = client(server.url)
        assert http.get("/sru") == Answer(204, "No Content", {"Connection": "close"}, b"")
        assert http._sock is None


def test_a_kept_connection_the_server_closed_is_opened_again_once() -> None:
    with scripted(([OK], False), ([OK], False)) as server, client(server.url) as http:
        assert http.get("/sru").body == b"hello"
        assert http._sock is not None  # kept: the server did not say it closes
        assert http.get("/sru").body == b"hello"  # the first connection had ended
    assert server.connections == 2


def test_a_new_connection_closed_without_an_answer_fails() -> None:
    with scripted(([], False)) as server, pytest.raises(ConnectionResetError):
        client(server.url).get("/sru")


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (b"SSH-2.0-OpenSSH\r\n\r\n", "does not begin as an HTTP answer does"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf", "before the whole answer"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", "Content-Length is not a number"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk's size"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 3", "in the middle of the headers"),
    ],
)
def test_what_is_not_http_is_a_bad_answer(answer: bytes, problem: str) -> None:
    with scripted(([answer], False)) as server, pytest.raises(BadAnswer, match=problem):
        client(server.url).get("/sru")


def endless(head: bytes, piece: bytes) -> Handler:
    """A server answering with ``head`` and then ``piece`` again and again, without end."""

    def handle(connection: socket.socket, stop: threading.Event) -> None:
        if read_request(connection, b"", stop) is None:
            return
        connection.settimeout(5)
        connection.sendall(head)
        while not stop.is_set():
            connection.sendall(piece)  # OSError once the client closes: the end

    return handle


@pytest.mark.parametrize(
    ("head", "piece"),
    [
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", b"x" * 65536),  # to the end
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"10000\r\n" + b"x" * 65536 + b"\r\n",
        ),
    ],
    ids=["to-the-end", "chunked"],
)
def test_an_answer_without_end_is_stopped_before_it_fills_the_memory(
    head: bytes, piece: bytes
) -> None:
    with serving(endless(head, piece)) as port:
        started = time.monotonic()
        with pytest.raises(BadAnswer, match=f"larger than {MAX_BODY // 2**20} MiB"):
            client(f"http://{LOOPBACK}:{port}/sru").get("/sru")
        assert time.monotonic() - started < 10


def test_a_content_length_past_the_limit_is_refused_at_once() -> None:
    answer = f"HTTP/1.1 200 OK\r\nContent-Length: {10**12}\r\n\r\nsome".encode()
    with scripted(([answer], True)) as server:
        started = time.monotonic()
        with pytest.raises(BadAnswer, match="larger than"):
            client(server.url).get("/sru")
        assert time.monotonic() - started < 1  # not waiting for bytes that will not come


def test_silence_past_the_timeout_is_a_timeout_error() -> None:
    with scripted(([], True)) as server:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            client(server.url.replace("/sru", ""), timeout=0.3).get("/sru")
        assert 0.3 <= time.monotonic() - started < 3


def test_the_path_is_quoted_for_the_request_line() -> None:
    assert KeptAlive.path_of("http://h/a b/é?q") == "/a%20b/%C3%A9"
    assert KeptAlive.path_of("http://h") == "/"
    assert KeptAlive.path_of("http://h/sru/Default;x") == "/sru/Default;x"


def test_https_with_the_targets_certificate_authority(
    worldcat: WorldCatDouble, tls_files: TlsFiles
) -> None:
    http = KeptAlive(worldcat.base, 5.0, AGENT, str(tls_files.ca_file))
    answer = http.get("/worldcat/search/brief-bibs?q=x")  # no token: the gateway's 401
    http.close()
    assert answer.status == 401 and b"Unauthorized" in answer.body
    other = KeptAlive(worldcat.base, 5.0, AGENT, str(tls_files.other_ca_file))
    with pytest.raises(ssl.SSLCertVerificationError):
        other.get("/worldcat/search/brief-bibs?q=x")
