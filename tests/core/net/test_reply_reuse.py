"""A host answering every record in the same words is classified once per run (issue 16): the
same bytes give the same Reply, so the client reuses it. A reply that differs, or one cut
short, is classified as itself."""

from __future__ import annotations

from app.core.net.protocol import ReplyKind
from app.core.net.transport import ConnexionClient, Outcome, TransportSettings, _Exchange


def client(**options: object) -> ConnexionClient:
    values: dict[str, object] = {"host": "127.0.0.1", "port": 1, "timeout": 1.0, "retries": 0}
    values.update(options)
    return ConnexionClient(TransportSettings(**values))  # type: ignore[arg-type]


def judged(target: ConnexionClient, raw: bytes | None, complete: bool = True):  # type: ignore[no-untyped-def]
    exchange = _Exchange(raw, complete=complete, problem="" if complete else "cut short")
    return target._judge(0, exchange, 1, None, None)


def test_the_same_reply_is_classified_once_and_a_new_one_afresh() -> None:
    target = client()
    first = judged(target, b"Import ok\n")
    again = judged(target, b"Import ok\n")
    assert first.outcome is again.outcome is Outcome.EXPORTED
    assert again.reply is first.reply  # reused, not classified again
    rejected = judged(target, b"Error: no 245 field")
    assert rejected.outcome is Outcome.REJECTED
    assert rejected.reply is not None and rejected.reply.text == "Error: no 245 field"
    assert judged(target, b"Import ok\n").outcome is Outcome.EXPORTED


def test_a_reply_cut_short_is_never_taken_for_the_complete_one() -> None:
    target = client()
    judged(target, b"Import ok\n")
    cut = judged(target, b"Import ok\n", complete=False)
    assert cut.outcome is Outcome.UNCONFIRMED
    assert cut.reply is not None and cut.reply.kind is ReplyKind.UNKNOWN
    assert not cut.reply.complete
    # And the complete reply after it is still a success.
    assert judged(target, b"Import ok\n").outcome is Outcome.EXPORTED


def test_secrets_are_masked_in_a_reused_reply() -> None:
    target = client(send_logon_id=True, logon_id="lib", password="s3cret-word")
    for _ in range(2):
        result = judged(target, b"Import ok for s3cret-word\n")
        assert result.reply is not None
        assert b"s3cret-word" not in result.reply.raw
        assert "s3cret-word" not in result.reason
