"""The session-based log checker (``ocpp_core.rpc._logcheck``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocpp_core import OcppVersion
from ocpp_core.rpc._logcheck import LogFinding, Severity, check_log, format_report

LOGS = Path(__file__).resolve().parents[2] / "examples" / "logs"


def kinds(
    lines: list[str], version: OcppVersion | None = OcppVersion.V201
) -> list[tuple[int, str]]:
    report = check_log(lines, version)
    return [(f.line, f.kind) for f in report.findings]


BOOT = (
    '[2,"1","BootNotification",'
    '{"chargingStation":{"model":"M","vendorName":"V"},"reason":"PowerUp"}]'
)
BOOT_OK = '[3,"1",{"currentTime":"2026-01-01T00:00:00Z","interval":300,"status":"Accepted"}]'


def test_clean_conversation() -> None:
    report = check_log(
        [
            "# ocpp2.0.1",
            f"2026-01-01T00:00:00Z CS->CSMS {BOOT}",
            f"2026-01-01T00:00:01Z CSMS->CS {BOOT_OK}",
            '2026-01-01T00:00:02Z CSMS->CS [2,"c1","ClearCache",{}]',
            '2026-01-01T00:00:03Z CS->CSMS [3,"c1",{"status":"Accepted"}]',
        ],
        None,
    )
    assert report.ok
    assert (report.version, report.version_detected) == (OcppVersion.V201, False)
    assert (report.frames, report.calls, report.answered) == (4, 2, 2)
    assert report.findings == ()
    assert format_report(report).endswith(
        "OCPP 2.0.1 (given): 4 frames, 2 calls, 2 answered, 0 errors, 0 other findings\n"
    )


def test_wrong_direction_unknown_ids_answers_to_answers_and_ordering() -> None:
    lines = [
        f"ChargingStation: {BOOT}",  # 1
        f"CSMS: {BOOT_OK}",  # 2
        f"CSMS: {BOOT_OK}",  # 3: a second answer
        'CP: [4,"1","GenericError","",{}]',  # 4: answers our answer
        'CSMS: [3,"nobody",{}]',  # 5: no such CALL
        'CP: [2,"r","Reset",{"type":"Immediate"}]',  # 6: CSMS-only action
        'CSMS: [4,"r","NotSupported","",{}]',  # 7: the owed answer
        'CP: [2,"h1","Heartbeat",{}]',  # 8
        'CP: [2,"h2","Heartbeat",{}]',  # 9: while h1 is unanswered
        'CSMS: [3,"h1",{"currentTime":"2026-01-01T00:00:00Z"}]',  # 10
        'CSMS: [3,"h2",{"currentTime":"2026-01-01T00:00:00Z"}]',  # 11
    ]
    assert kinds(lines) == [
        (3, "duplicate-response"),
        (4, "response-to-response"),
        (5, "unknown-response"),
        (6, "wrong-direction"),
        (9, "concurrent-call"),
    ]
    report = check_log(lines, OcppVersion.V201)
    severities = {f.kind: f.severity for f in report.findings}
    assert severities["concurrent-call"] is Severity.WARNING
    assert severities["wrong-direction"] is Severity.ERROR


def test_refused_calls_are_compared_with_the_owed_answer() -> None:
    lines = [
        'CP: [2,"a","heartbeat",{}]',
        'CSMS: [3,"a",{}]',  # a CALLRESULT where NotImplemented is owed
        'CP: [2,"b","Heartbeat",[]]',
        'CSMS: [4,"b","FormatViolation","",{}]',  # exactly the owed answer
        'CP: [2,"c","Heartbeat",{"x":1}]',
        'CSMS: [4,"c","FormatViolation","",{}]',  # ProtocolError is owed
    ]
    report = check_log(lines, OcppVersion.V201)
    assert [(f.line, f.kind, f.severity) for f in report.findings] == [
        (1, "unknown-action", Severity.ERROR),
        (2, "wrong-answer", Severity.ERROR),
        (3, "malformed-frame", Severity.ERROR),
        (5, "invalid-payload", Severity.ERROR),
        (6, "wrong-answer", Severity.WARNING),
    ]
    assert report.findings[-1] == LogFinding(
        line=6,
        severity=Severity.WARNING,
        kind="wrong-answer",
        message="CSMS answered with CALLERROR FormatViolation where ProtocolError is owed",
        unique_id="c",
    )


def test_line_formats_and_inference() -> None:
    lines = [
        f"> {BOOT}",  # the logger is the station: it sends the BootNotification
        f"< {BOOT_OK}",
        '12:00:00.5 send [2,"2","Heartbeat",{}]',
        '1767225600.25 recv [3,"2",{"currentTime":"2026-01-01T00:00:00Z"}]',
        '[2,"3","Heartbeat",{}]',  # bare: Heartbeat only comes from the station
        '[3,"3",{"currentTime":"2026-01-01T00:00:00Z"}]',  # bare: answers "3"
        '{"time": 5, "from": "CSMS", "frame": [2, "x", "ClearCache", {}]}',
        '{"from": "ChargePoint", "frame": "[3,\\"x\\",{\\"status\\":\\"Accepted\\"}]"}',
        "not a frame",
        'Robot: [2,"4","Heartbeat",{}]',
        '[3,"unknowable",{}]',
    ]
    report = check_log(lines, None)
    assert report.version is OcppVersion.V201
    assert report.version_detected
    assert [(f.line, f.kind) for f in report.findings] == [
        (9, "bad-line"),
        (10, "unknown-sender"),
        (11, "unknown-sender"),
        (11, "unanswered"),
    ]
    assert report.calls == 5


def test_cs_is_resolved_by_the_opposite_role() -> None:
    lines_16 = [
        'CP->CS [2,"1","Heartbeat",{}]',
        'CS->CP [3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]',
    ]
    assert check_log(lines_16, OcppVersion.V16).findings == ()
    lines_2x = [
        'CS->CSMS [2,"1","Heartbeat",{}]',
        'CSMS->CS [3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]',
    ]
    assert check_log(lines_2x, OcppVersion.V201).findings == ()


def test_timeouts_with_timestamps() -> None:
    lines = [
        '0 CP: [2,"1","Heartbeat",{}]',
        '45 CSMS: [3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]',
    ]
    report = check_log(lines, OcppVersion.V16, timeout=30)
    assert [(f.line, f.kind) for f in report.findings] == [(2, "timeout"), (2, "late-response")]


@pytest.mark.parametrize(
    ("name", "version", "ok"),
    [
        ("ocpp16-valid.log", OcppVersion.V16, True),
        ("ocpp201-valid.log", OcppVersion.V201, True),
        ("ocpp16-session.log", OcppVersion.V16, False),
        ("ocpp201-session.log", OcppVersion.V201, False),
    ],
)
def test_example_logs(name: str, version: OcppVersion, ok: bool) -> None:
    path = LOGS / name
    if not path.exists():
        pytest.skip(f"{name} is not in examples/logs")
    report = check_log(path.read_text(encoding="utf-8").splitlines(), None)
    assert report.version is version
    assert report.ok is ok
    assert all(f.kind != "unknown-sender" for f in report.findings)


def test_odd_lines_and_21_frames() -> None:
    lines = [
        '{"from": "CSMS", "frame": ',  # 1: broken JSON line
        '2026-13-45T99:99:99Z CP: [2,"t","Heartbeat",{}]',  # 2: unreadable time, still checked
        'CSMS: [3,"t",{"currentTime":"2026-01-01T00:00:00Z"}]',  # 3
        'CS: [2,"x","Heartbeat",{}]',  # 4: "CS" alone is ambiguous: inferred
        '[3,"x",{"currentTime":"2026-01-01T00:00:00Z"}]',  # 5: bare, the CSMS owes it
        'CP: [2,"h","Heartbeat",{}]',  # 6
        'CSMS: [3,"h",{"currentTime":5}]',  # 7: a broken CALLRESULT
        'CP: [6,"s","NotifyPeriodicEventStream",{"data":[{"t":0.5,"v":"1"}],"id":1,"pending":0,'
        '"basetime":"2026-01-01T00:00:00Z"}]',  # 8: a SEND
        'CSMS: [2,"c","ClearCache",{}]',  # 9
        'CP: [3,"c",{"status":"Accepted"}]',  # 10
        'CSMS: [5,"c","FormatViolation","",{}]',  # 11: the CSMS refuses our CALLRESULT
    ]
    report = check_log(lines, OcppVersion.V21)
    assert [(f.line, f.kind) for f in report.findings] == [
        (1, "bad-line"),
        (4, "unknown-sender"),
        (7, "invalid-response"),
    ]
    assert report.frames == 10


def test_lanes_with_two_way_actions_and_broken_frames() -> None:
    lines = [
        '> [2,"d","DataTransfer",{"vendorId":"v"}]',  # both roles send it: no vote
        '< [3,"d",{"status":"Accepted"}]',
        "> [2,broken",
        '> [2,"h","Heartbeat",{}]',  # the vote: the logger is the station
        '< [3,"h",{"currentTime":"2026-01-01T00:00:00Z"}]',
    ]
    report = check_log(lines, OcppVersion.V201)
    assert [(f.line, f.kind) for f in report.findings] == [(3, "malformed-frame")]
    # 1.6 has no reply for an unreadable CALL: nothing is owed, nothing compared.
    report = check_log(['CP: [2,"x', 'CSMS: [4,"x","ProtocolError","",{}]'], OcppVersion.V16)
    assert [(f.line, f.kind) for f in report.findings] == [
        (1, "malformed-frame"),
        (2, "unknown-response"),
    ]
    # Version detection copes with lines that are not JSON.
    assert check_log(["CP: [2,broken", 'CP: [2,"1","Heartbeat",{}]'], None).version is (
        OcppVersion.V201
    )


def test_inference_edges() -> None:
    lines = [
        '[2,"d","DataTransfer",{"vendorId":"v"}]',  # either side may send it
        'CSMS: [2,"c","ClearCache",{}]',
        '[3,"c",{"status":"Accepted"}]',  # the station owes it
        'CS->Robot: [2,"h","Heartbeat",{}]',  # "CS" opposite an unknown name
        '[3,"h",{"currentTime":"2026-01-01T00:00:00Z"}]',
    ]
    report = check_log(lines, OcppVersion.V201)
    assert [(f.line, f.kind) for f in report.findings] == [
        (1, "unknown-sender"),
        (4, "unknown-sender"),
    ]
    assert report.answered == 2


def test_placeholders_for_long_lines() -> None:
    class LongLine:
        length = 5_000_000

    report = check_log(['CP: [2,"1","Heartbeat",{}]', LongLine()], OcppVersion.V16)
    assert [(f.line, f.kind, f.message) for f in report.findings] == [
        (1, "unanswered", "Heartbeat '1' from the ChargingStation got no answer in the log"),
        (2, "bad-line", "line of 5000000 bytes is too long to check"),
    ]
