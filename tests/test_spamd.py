"""The spamd seam: the SPAMD protocol against a fake reply and a real SpamAssassin on loopback,
and ``replay --json`` over the corpus spam with and without it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from inbox_agent.exceptions import SpamdError
from inbox_agent.spamd import SpamdClient, parse_reply, spam_check
from tests import mailgen
from tests.conftest import CORPUS, ROOT
from tests.harness.spamd import Spamd

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
SPAM_DIR = CORPUS / "g-spam"


def test_a_symbols_reply_is_read() -> None:
    reply = (
        b"SPAMD/1.1 0 EX_OK\r\nContent-length: 21\r\nSpam: True ; 1003.3 / 5.0\r\n\r\n"
        b"GTUBE,NO_RECEIVED\r\n"
    )
    score = parse_reply(reply)
    assert score.spam and score.score == 1003.3 and score.threshold == 5.0
    assert score.rules == ("GTUBE", "NO_RECEIVED") and "1003.3/5" in score.summary
    ham = parse_reply(b"SPAMD/1.1 0 EX_OK\r\nSpam: False ; -0.1 / 5.0\r\n\r\n")
    assert not ham.spam and ham.rules == ()


@pytest.mark.parametrize(
    "reply",
    [b"", b"HTTP/1.1 200 OK\r\n\r\n", b"SPAMD/1.1 76 Bad header line\r\n\r\n",
     b"SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\n\r\n"],
)  # fmt: skip
def test_anything_else_is_a_spamd_error(reply: bytes) -> None:
    with pytest.raises(SpamdError):
        parse_reply(reply)


def test_an_unreachable_spamd_lets_mail_go_on() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connection refused
        client = SpamdClient("127.0.0.1", port, timeout=2)
        with pytest.raises(SpamdError):
            client.check(mailgen.inquiry())
        assert spam_check(client)(mailgen.inquiry()) is None


def test_a_fake_spamd_on_a_socket() -> None:
    """The client's side of the protocol: request line, Content-length, the whole message."""
    server = socket.create_server(("127.0.0.1", 0))
    got: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
            got.append(data)
            conn.sendall(b"SPAMD/1.1 0 EX_OK\r\nSpam: True ; 6.2 / 5.0\r\n\r\nHTML_MESSAGE\r\n")

    thread = threading.Thread(target=serve)
    thread.start()
    raw = mailgen.inquiry()
    score = SpamdClient("127.0.0.1", server.getsockname()[1]).check(raw)
    thread.join(5)
    server.close()
    assert score is not None and score.spam and score.rules == ("HTML_MESSAGE",)
    assert got[0] == b"SYMBOLS SPAMC/1.5\r\nContent-length: %d\r\n\r\n" % len(raw) + raw


def test_real_spamd_calls_gtube_spam_and_a_plain_question_ham(spamd: Spamd) -> None:
    client = SpamdClient.at(spamd.address, timeout=60)
    spam = client.check(mailgen.inquiry(body=f"Hello\n{GTUBE}\n"))
    assert spam is not None and spam.spam and "GTUBE" in spam.rules
    ham = client.check(mailgen.inquiry())
    assert ham is not None and not ham.spam


def replay(*paths: Path, config: Path | None = None) -> list[dict[str, object]]:
    args = ["--config", str(config)] if config else []
    done = subprocess.run(
        [sys.executable, "-m", "inbox_agent", *args, "replay", "--json", *map(str, paths)],
        capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_replay_acknowledges_no_gtube_without_spamd() -> None:
    [row] = replay(SPAM_DIR / "apache__spamassassin" / "gtube.eml")
    assert row["kind"] == "spam" and row["action"] == "none"


def test_replay_acknowledges_no_corpus_spam_with_spamd(spamd: Spamd, tmp_path: Path) -> None:
    config = tmp_path / "rules.toml"
    shipped = (ROOT / "rules.toml").read_text()
    config.write_text(shipped.replace('# spamd = "127.0.0.1:783"', f'spamd = "{spamd.address}"'))
    rows = replay(SPAM_DIR, config=config)
    assert len(rows) == 13
    assert [r["file"] for r in rows if r["action"] != "none"] == []
    assert all(r["kind"] in ("spam", "quarantine") for r in rows), rows
