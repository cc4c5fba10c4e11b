"""Every row of the reply-policy table in docs/rpc.md, for every version.

The table is read from the docs, so the published policy and the behaviour
cannot drift apart.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ocpp_core.rpc import CallReceived, ProtocolViolation, SendReceived, Session

DOC = Path(__file__).resolve().parents[2] / "docs" / "rpc.md"
VERSIONS = ("1.6", "2.0", "2.0.1", "2.1")
CELL = re.compile(r'^`(?P<code>[A-Za-z]+)` `"(?P<id>[^"]*)"`$')


def table_rows() -> list[tuple[str, str, list[str]]]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### Reply policy per version", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not re.match(r"^\| [FSR]\d+ \|", line):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        name, _, frame, *replies = cells
        assert frame.startswith("`"), line
        assert frame.endswith("`"), line
        rows.append((name, frame[1:-1], replies))
    return rows


ROWS = table_rows()


def test_the_table_is_complete() -> None:
    assert len(ROWS) >= 48
    assert all(len(replies) == len(VERSIONS) for _, _, replies in ROWS)


@pytest.mark.parametrize(("name", "text", "replies"), ROWS, ids=[r[0] for r in ROWS])
def test_row(name: str, text: str, replies: list[str]) -> None:
    for version, expected in zip(VERSIONS, replies, strict=True):
        session = Session(version, "CSMS")
        events = session.receive(text, 0.0)
        sent = session.data_to_send()
        if expected == "no reply":
            assert sent == [], (name, version)
            assert events, (name, version)
            assert all(isinstance(e, ProtocolViolation) for e in events), (name, version)
            assert all(e.reply is None for e in events if isinstance(e, ProtocolViolation))
        elif expected == "delivered":
            assert sent == [], (name, version)
            assert isinstance(events[-1], CallReceived | SendReceived), (name, version)
        else:
            match = CELL.match(expected)
            assert match, (name, expected)
            assert len(sent) == 1, (name, version, sent)
            reply = json.loads(sent[0])
            assert reply[0] == 4
            assert reply[1] == match["id"], (name, version)
            assert reply[2] == match["code"], (name, version)
            assert isinstance(reply[3], str)
            assert isinstance(reply[4], dict)
            # The event reports the same reply.
            violation = events[-1]
            assert isinstance(violation, ProtocolViolation)
            assert violation.reply == sent[0]
