"""The log checker's session findings: ``ocpp_core._cli._replay.Replay`` behind ``check_lines``.

Each log is replayed through one session per role, so these are the problems
only a session sees: wrong direction, answers to unknown ids, duplicate, late
and answers to answers, CALLs overtaking unanswered ones, answers that differ
from the CALLERROR owed, unanswered CALLs. The line grammar, the CLI and the
frame-level rules are tested in ``tests/cli/test_check.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ocpp_core import ErrorCode, OcppVersion
from ocpp_core._cli import main
from ocpp_core._cli._replay import Problem, Replay, Severity
from ocpp_core._cli.check import LANE_WINDOW, LongLine, Report, check_lines, format_text
from ocpp_core.versions import Role

LOGS = Path(__file__).resolve().parents[2] / "examples" / "logs"


def check(lines: list[str | LongLine], version: str | None = "2.0.1", **kwargs: float) -> Report:
    return check_lines(lines, version=version, **kwargs)


def rules(lines: list[str | LongLine], version: str | None = "2.0.1") -> list[tuple[int, str]]:
    return [(p.line, p.rule) for p in check(lines, version).problems]


BOOT = (
    '[2,"1","BootNotification",'
    '{"chargingStation":{"model":"M","vendorName":"V"},"reason":"PowerUp"}]'
)
BOOT_OK = '[3,"1",{"currentTime":"2026-01-01T00:00:00Z","interval":300,"status":"Accepted"}]'


def test_clean_conversation() -> None:
    report = check(
        [
            "# ocpp2.0.1",  # a comment like any other: the version is detected
            f"2026-01-01T00:00:00Z CS->CSMS {BOOT}",
            f"2026-01-01T00:00:01Z CSMS->CS {BOOT_OK}",
            '2026-01-01T00:00:02Z CSMS->CS [2,"c1","ClearCache",{}]',
            '2026-01-01T00:00:03Z CS->CSMS [3,"c1",{"status":"Accepted"}]',
        ],
        None,
    )
    assert report.ok
    assert (report.version, report.detected) == (OcppVersion.V201, True)
    assert (report.frames, report.calls, report.answered) == (4, 2, 2)
    assert report.problems == ()
    assert list(format_text(report))[-2:] == [
        "<log>: OCPP 2.0.1 (detected): frames 4, calls 2, results 2, errors 0",
        "OK: invalid 0, unmatched responses 0, unanswered calls 0",
    ]


def test_wrong_direction_unknown_ids_answers_to_answers_and_ordering() -> None:
    lines: list[str | LongLine] = [
        f"ChargingStation->CSMS: {BOOT}",  # 1
        f"CSMS->ChargingStation: {BOOT_OK}",  # 2
        f"CSMS->CP: {BOOT_OK}",  # 3: a second answer
        'CP->CSMS: [4,"1","GenericError","",{}]',  # 4: answers our answer
        'CSMS->CP: [3,"nobody",{}]',  # 5: no such CALL
        'CP->CSMS: [2,"r","Reset",{"type":"Immediate"}]',  # 6: CSMS-only action
        'CSMS->CP: [4,"r","NotSupported","",{}]',  # 7: the owed answer
        'CP->CSMS: [2,"h1","Heartbeat",{}]',  # 8
        'CP->CSMS: [2,"h2","Heartbeat",{}]',  # 9: while h1 is unanswered
        'CSMS->CP: [3,"h1",{"currentTime":"2026-01-01T00:00:00Z"}]',  # 10
        'CSMS->CP: [3,"h2",{"currentTime":"2026-01-01T00:00:00Z"}]',  # 11
    ]
    report = check(lines)
    assert [(p.line, p.severity, p.rule, p.code) for p in report.problems] == [
        (3, Severity.ERROR, "duplicate-response", None),
        (4, Severity.ERROR, "response-to-response", None),
        (5, Severity.WARNING, "unknown-response", None),
        (6, Severity.ERROR, "wrong-direction", ErrorCode.NOT_SUPPORTED),
        (9, Severity.WARNING, "concurrent-call", None),
    ]
    assert (report.invalid, report.unmatched, report.unanswered) == (3, 1, 0)
    assert report.problems[1] == Problem(
        line=4,
        severity=Severity.ERROR,
        rule="response-to-response",
        message="CALLERROR with id '1' answers an answer this side sent; dropped",
        message_id="1",
        kind="error",
    )
    # Line 9 repeats line 8's action and payload: worded as the retry it may be.
    assert report.problems[4].message == (
        "a CALL while the CALL of line 8 is unanswered (OCPP-J section 4.1.1); it repeats "
        "that CALL's action and payload with a new id, as a retry after a timeout does: "
        "give --timeout to check the timing"
    )


def test_refused_calls_are_compared_with_the_owed_answer() -> None:
    lines: list[str | LongLine] = [
        'CP->CSMS [2,"a","heartbeat",{}]',
        'CSMS->CP [3,"a",{}]',  # a CALLRESULT where NotImplemented is owed
        'CP->CSMS [2,"b","Heartbeat",[]]',
        'CSMS->CP [4,"b","FormatViolation","",{}]',  # exactly the owed answer
        'CP->CSMS [2,"c","Heartbeat",{"x":1}]',
        'CSMS->CP [4,"c","FormatViolation","",{}]',  # ProtocolError is owed
    ]
    report = check(lines)
    assert [(p.line, p.rule, p.severity, p.code) for p in report.problems] == [
        (1, "unknown-action", Severity.ERROR, ErrorCode.NOT_IMPLEMENTED),
        (2, "wrong-answer", Severity.ERROR, ErrorCode.NOT_IMPLEMENTED),
        (3, "payload-not-an-object", Severity.ERROR, ErrorCode.FORMAT_VIOLATION),
        (5, "additionalProperties", Severity.ERROR, ErrorCode.PROTOCOL_ERROR),
        (6, "wrong-answer", Severity.WARNING, ErrorCode.PROTOCOL_ERROR),
    ]
    assert report.problems[-1] == Problem(
        line=6,
        severity=Severity.WARNING,
        rule="wrong-answer",
        message="the CSMS answered with CALLERROR FormatViolation, not the one it owes",
        code=ErrorCode.PROTOCOL_ERROR,
        message_id="c",
        action="Heartbeat",
        kind="error",
    )


def test_line_formats_and_inference() -> None:
    lines: list[str | LongLine] = [
        f"> {BOOT}",  # 1: the logger is the station: it sends the BootNotification
        f"< {BOOT_OK}",  # 2
        '12:00:00.5 send [2,"2","Heartbeat",{}]',  # 3
        '1767225600.25 recv [3,"2",{"currentTime":"2026-01-01T00:00:00Z"}]',  # 4
        '[2,"3","Heartbeat",{}]',  # 5: bare: Heartbeat only comes from the station
        '[3,"3",{"currentTime":"2026-01-01T00:00:00Z"}]',  # 6: bare: answers "3"
        '{"time": 5, "from": "CSMS", "frame": [2, "x", "ClearCache", {}]}',  # 7: no frame
        "not a frame",  # 8
        'Robot: [2,"4","Heartbeat",{}]',  # 9: no such marker
        '[3,"unknowable",{}]',  # 10: answers nothing in the log
    ]
    report = check(lines, None)
    assert report.version is OcppVersion.V201
    assert report.detected
    assert rules(lines, None) == [
        (7, "not-an-array"),
        (8, "bad-line"),
        (9, "bad-line"),
        (10, "unknown-response"),
    ]
    assert (report.calls, report.answered, report.invalid) == (3, 3, 3)


def test_cs_is_resolved_by_the_opposite_role() -> None:
    lines_16: list[str | LongLine] = [
        'CP->CS [2,"1","Heartbeat",{}]',
        'CS->CP [3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]',
    ]
    assert check(lines_16, "1.6").problems == ()
    lines_2x: list[str | LongLine] = [
        'CS->CSMS [2,"1","Heartbeat",{}]',
        'CSMS->CS [3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]',
    ]
    assert check(lines_2x, "2.0.1").problems == ()
    # The opposite reading of "CS" puts the Heartbeat in the wrong direction.
    assert rules(['CS->CP [2,"1","Heartbeat",{}]'], "1.6") == [
        (1, "wrong-direction"),
        (1, "unanswered"),
    ]


def test_timeouts_with_timestamps(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    lines: list[str | LongLine] = [
        '2026-01-01T00:00:00Z CP->CS [2,"1","Heartbeat",{}]',
        '2026-01-01T00:00:45Z CS->CP [3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]',
    ]
    report = check(lines, "1.6", timeout=30)
    assert [(p.line, p.rule, p.message) for p in report.problems] == [
        (2, "timeout", "no answer within 30 s"),
        (
            2,
            "late-response",
            "CALLRESULT with id '1' answers a CALL that already timed out; dropped",
        ),
    ]
    assert report.invalid == 1  # one line
    assert check(lines, "1.6").ok  # no timeout by default
    assert check(lines, "1.6", timeout=60).ok
    log = tmp_path / "slow.log"
    log.write_text("\n".join(str(line) for line in lines) + "\n", encoding="utf-8")
    assert main(["check", str(log), "--timeout", "30"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f'{log}:2: id "1" Heartbeat request: no answer within 30 s'
    assert main(["check", str(log), "--timeout", "0"]) == 2
    assert "expected a positive number of seconds" in capsys.readouterr().err
    with pytest.raises(ValueError, match="timeout must be a positive"):
        check(lines, "1.6", timeout=-1)


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
    report = check_lines(path.read_text(encoding="utf-8").splitlines())
    assert report.version is version
    assert report.ok is ok
    # Only the planted problems: each is refused with the CALLERROR owed.
    assert len(report.problems) == (0 if ok else 3)
    assert (report.unmatched, report.unanswered) == (0, 0)


def test_odd_lines_and_21_frames() -> None:
    lines: list[str | LongLine] = [
        '{"from": "CSMS", "frame": ',  # 1: broken JSON line
        '2026-13-45T99:99:99Z CP->CSMS [2,"t","Heartbeat",{}]',  # 2: unreadable time
        'CSMS->CP [3,"t",{"currentTime":"2026-01-01T00:00:00Z"}]',  # 3
        'CS: [2,"x","Heartbeat",{}]',  # 4: "CS" alone is ambiguous
        '[3,"x",{"currentTime":"2026-01-01T00:00:00Z"}]',  # 5: its CALL was not read
        'CP->CSMS [2,"h","Heartbeat",{}]',  # 6
        'CSMS->CP [3,"h",{"currentTime":5}]',  # 7: a broken CALLRESULT
        'CP->CSMS [6,"s","NotifyPeriodicEventStream",{"data":[{"t":0.5,"v":"1"}],"id":1,'
        '"pending":0,"basetime":"2026-01-01T00:00:00Z"}]',  # 8: a SEND
        'CSMS->CP [2,"c","ClearCache",{}]',  # 9
        'CP->CSMS [3,"c",{"status":"Accepted"}]',  # 10
        'CSMS->CP [5,"c","FormatViolation","",{}]',  # 11: the CSMS refuses our CALLRESULT
    ]
    report = check(lines, "2.1")
    assert [(p.line, p.rule, p.code, p.action, p.kind) for p in report.problems] == [
        (1, "bad-line", None, None, None),
        (4, "bad-line", None, None, None),
        (5, "unknown-response", None, None, "response"),
        (7, "type", ErrorCode.TYPE_CONSTRAINT_VIOLATION, "Heartbeat", "response"),
    ]
    assert (report.frames, report.sends, report.result_errors) == (11, 1, 1)


def test_lanes_with_two_way_actions_and_broken_frames() -> None:
    lines: list[str | LongLine] = [
        '> [2,"d","DataTransfer",{"vendorId":"v"}]',  # both roles send it: no vote
        '< [3,"d",{"status":"Accepted"}]',
        "> [2,broken",
        '> [2,"h","Heartbeat",{}]',  # the vote: the logger is the station
        '< [3,"h",{"currentTime":"2026-01-01T00:00:00Z"}]',
    ]
    assert rules(lines) == [(3, "not-json")]
    # The logger is the CSMS: the same lanes, the other way round.
    lines = ['< [2,"h","Heartbeat",{}]', '> [2,"r","Reset",{"type":"Immediate"}]']
    assert rules(lines) == [(1, "unanswered"), (2, "unanswered")]
    # 1.6 has no reply for an unreadable CALL: nothing is owed, nothing compared.
    assert rules(['CP->CS [2,"x', 'CS->CP [4,"x","ProtocolError","",{}]'], "1.6") == [
        (1, "not-json"),
        (2, "unknown-response"),
    ]
    # Version detection copes with lines that are not JSON.
    report = check(["CP->CS [2,broken", 'CP->CS [2,"1","Heartbeat",{}]'], None)
    assert report.version is OcppVersion.V201


def test_lane_window() -> None:
    # No CALL of a one-way action within the window: the logger is taken to be
    # the station, and the held lines (a long one too) are replayed in order.
    filler: list[str | LongLine] = [
        f'> [2,"d{n}","DataTransfer",{{"vendorId":"v"}}]' for n in range(LANE_WINDOW + 1)
    ]
    report = check([LongLine(length=9), *filler, '< [3,"d0",{"status":"Accepted"}]'])
    assert [(p.line, p.rule) for p in report.problems[:4]] == [
        (1, "too-large"),
        (3, "concurrent-call"),  # the DataTransfer of line 2 is still unanswered
        (3, "unanswered"),
        (4, "concurrent-call"),
    ]
    assert (report.calls, report.answered, report.unanswered) == (LANE_WINDOW + 1, 1, LANE_WINDOW)
    # A Reset received decides the lanes: the station sent the DataTransfers.
    late = check([*filler[:3], '< [2,"r","Reset",{"type":"Immediate"}]'])
    assert [(p.line, p.rule) for p in late.problems] == [
        (1, "unanswered"),
        (2, "concurrent-call"),
        (2, "unanswered"),
        (3, "concurrent-call"),
        (3, "unanswered"),
        (4, "unanswered"),
    ]


def test_inference_edges() -> None:
    lines: list[str | LongLine] = [
        '[2,"d","DataTransfer",{"vendorId":"v"}]',  # either side may send it
        'CSMS->CS [2,"c","ClearCache",{}]',
        '[3,"c",{"status":"Accepted"}]',  # the station owes it
        'CS->Robot: [2,"h","Heartbeat",{}]',  # "CS" opposite an unknown name
        '[3,"h",{"currentTime":"2026-01-01T00:00:00Z"}]',
        '[3,"d",{"status":"Accepted"}]',  # the CSMS owes it
    ]
    report = check(lines)
    assert [(p.line, p.rule) for p in report.problems] == [
        (4, "bad-line"),
        (5, "unknown-response"),
    ]
    assert report.answered == 2


def test_placeholders_for_long_lines() -> None:
    report = check(['CP->CS [2,"1","Heartbeat",{}]', LongLine(length=5_000_000)], "1.6")
    assert [(p.line, p.rule, p.message) for p in report.problems] == [
        (1, "unanswered", "no answer from the Central System in the log"),
        (2, "too-large", "the line is 5000000 bytes long, over the bound"),
    ]


def test_session_findings_reach_the_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    log = tmp_path / "session.log"
    log.write_text(
        "\n".join(
            [
                'CS->CSMS [2,"1","Heartbeat",{}]',
                'CSMS->CS [3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]',
                'CSMS->CS [3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]',
                'CS->CSMS [2,"2","Reset",{"type":"Immediate"}]',
                'CSMS->CS [3,"2",{"status":"Accepted"}]',
            ]
        ),
        encoding="utf-8",
    )
    assert main(["check", str(log)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{log}:3: id \"1\" response: CALLRESULT with id '1' answers a CALL that was "
        "already answered; dropped",
        f'{log}:4: id "2" Reset request: NotSupported: Reset is not sent by the ChargingStation',
        f'{log}:5: id "2" Reset response: NotSupported: the CSMS answered with a CALLRESULT, '
        "not the CALLERROR it owes",
        f"{log}: OCPP 2.0.1 (detected): frames 5, calls 2, results 3, errors 0",
        "FAILED: invalid 3, unmatched responses 0, unanswered calls 0",
    ]


def test_replay_engine_directly() -> None:
    replay = Replay("1.6", max_pending=2, max_problems=3)
    for number in range(1, 6):  # five CALLs, none answered
        replay.feed(number, f'[2,"{number}","Heartbeat",{{}}]', None)
    replay.feed(6, '[3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]', Role.CSMS)
    replay.finish()
    # The answer to "1" ends the CALL in flight; two of the four queued CALLs
    # were forgotten (max_pending=2), so two are left unanswered.
    assert (replay.calls, replay.answered, replay.unanswered) == (5, 1, 2)
    assert [p.rule for p in replay.problems] == ["concurrent-call"] * 3
    assert replay.omitted == 3
    with pytest.raises(ValueError, match="unknown OCPP version"):
        Replay("3.0")


# --- regressions of the correctness sweep (issue 10, items 4 to 6) ---------------------

STATUS = (
    '[2,"b","StatusNotification",{"timestamp":"2026-01-01T00:00:00Z",'
    '"connectorStatus":"Available","evseId":1,"connectorId":1}]'
)
HEARTBEAT_OK = '[3,"a",{"currentTime":"2026-01-01T00:00:00Z"}]'


@pytest.mark.parametrize("answers", [("b", "a"), ("a", "b")])
def test_answers_out_of_order_match_their_calls(answers: tuple[str, str]) -> None:
    texts = {"a": HEARTBEAT_OK, "b": '[3,"b",{}]'}
    report = check(
        [
            'CS->CSMS [2,"a","Heartbeat",{}]',
            f"CS->CSMS {STATUS}",
            *(f"CSMS->CS {texts[uid]}" for uid in answers),
        ]
    )
    # Only the concurrency warning: every answer matched its CALL, none unanswered.
    assert [(p.line, p.rule) for p in report.problems] == [(2, "concurrent-call")]
    assert (report.answered, report.unmatched, report.unanswered) == (2, 0, 0)
    assert report.ok


def test_out_of_order_answers_without_markers_are_inferred() -> None:
    report = check(['[2,"a","Heartbeat",{}]', STATUS, '[3,"b",{}]', HEARTBEAT_OK])
    assert (report.answered, report.unmatched, report.unanswered) == (2, 0, 0)


def test_concurrent_call_left_unanswered_is_listed() -> None:
    report = check(
        ['CS->CSMS [2,"a","Heartbeat",{}]', f"CS->CSMS {STATUS}", "CSMS->CS " + HEARTBEAT_OK]
    )
    assert [(p.line, p.rule) for p in report.problems] == [
        (2, "concurrent-call"),
        (2, "unanswered"),
    ]


def test_concurrent_call_times_out_on_its_own_deadline() -> None:
    report = check(
        [
            '2026-01-01T00:00:00Z CS->CSMS [2,"a","Heartbeat",{}]',
            f"2026-01-01T00:00:01Z CS->CSMS {STATUS}",
            f"2026-01-01T00:00:02Z CSMS->CS {HEARTBEAT_OK}",
            '2026-01-01T00:01:00Z CSMS->CS [3,"b",{}]',
        ],
        timeout=30,
    )
    assert [(p.line, p.rule) for p in report.problems] == [
        (2, "concurrent-call"),
        (4, "timeout"),
        (4, "late-response"),
    ]


STOP = '"StopTransaction",{"meterStop":5,"timestamp":"2026-01-01T00:00:00Z","transactionId":7}'
RETRIED_STOP = [
    f'2026-01-01T00:00:00Z CP->CS [2,"s1",{STOP}]',
    f'2026-01-01T00:01:30Z CP->CS [2,"s2",{STOP}]',  # the answer to s1 was lost
    '2026-01-01T00:01:31Z CS->CP [3,"s2",{"idTagInfo":{"status":"Accepted"}}]',
]


def test_a_call_after_its_predecessor_timed_out_is_no_concurrent_call() -> None:
    report = check(RETRIED_STOP, version="1.6", timeout=30)
    assert [(p.line, p.severity, p.rule) for p in report.problems] == [
        (1, Severity.WARNING, "unanswered")
    ]
    assert report.problems[0].message == (
        "no answer from the Central System within 30 s; the Charge Point went on with its "
        "next CALL at line 2, as OCPP-J section 4.1.1 allows after a timeout"
    )
    assert (report.answered, report.unanswered, report.ok) == (1, 1, True)


def test_a_retry_within_the_timeout_stays_a_concurrent_call() -> None:
    report = check(RETRIED_STOP, version="1.6", timeout=120)
    assert [(p.line, p.rule) for p in report.problems] == [
        (1, "unanswered"),
        (2, "concurrent-call"),
    ]
    assert report.problems[0].message == "no answer from the Central System in the log"
    assert report.problems[1].message.endswith(
        "as a retry after a timeout does, but 90 s after it, within the timeout"
    )


def test_a_different_call_is_not_called_a_retry() -> None:
    lines = [
        'CS->CSMS [2,"a","Heartbeat",{}]',
        f"CS->CSMS {STATUS}",
        "CSMS->CS " + HEARTBEAT_OK,
        'CSMS->CS [3,"b",{}]',
    ]
    report = check(lines)
    assert [p.message for p in report.problems] == [
        "a CALL while a CALL of the same side is unanswered (OCPP-J section 4.1.1)"
    ]


@pytest.mark.parametrize("broken", ["[oops]", "[", '["2","x"]', "[2,{"])
def test_owed_reply_to_an_unreadable_frame_is_not_an_unknown_response(broken: str) -> None:
    report = check([f"CS->CSMS {broken}", 'CSMS->CS [4,"-1","RpcFrameworkError","bad",{}]'])
    assert [p.line for p in report.problems] == [1]
    assert report.unmatched == 0


def test_an_action_of_one_version_decides_detection() -> None:
    # Invalid under every version (a missing idTag under 1.6, an unknown action
    # under 2.x): the counts tie, and StartTransaction exists only in 1.6.
    report = check(['[2,"1","StartTransaction",{"connectorId":1,"meterStart":0}]'], None)
    assert report.version is OcppVersion.V16
    assert set(report.scores.values()) == {1}


def test_an_action_of_21_only_decides_detection() -> None:
    report = check(
        ['[2,"1","NotifyPriorityCharging",{"transactionId":"t","activated":true}]'], None
    )
    assert report.version is OcppVersion.V21


def test_unknown_property_does_not_make_a_201_log_2_0() -> None:
    # 2.0's schemas allow unknown properties (2.0.1's do not), so such a line
    # says nothing about the version: the preferred 2.0.1 stays detected.
    lines = (LOGS / "ocpp201-valid.log").read_text(encoding="utf-8").splitlines()
    changed = [line.replace('"reason":"ScheduledReset"}', '"reason":"ScheduledReset","x":1}')
               for line in lines]  # fmt: skip
    assert changed != lines
    report = check(changed, None)
    assert report.version is OcppVersion.V201
    assert report.scores["2.0"] == 0
    assert {p.rule for p in report.problems} == {"additionalProperties", "wrong-answer"}


@pytest.mark.parametrize(
    ("version", "code"),
    [("1.6", "FormatViolation"), ("2.0.1", "OccurenceConstraintViolation")],
)
def test_other_spelling_of_an_error_code_is_a_warning(version: str, code: str) -> None:
    answered = check(['CS->CSMS [2,"1","Heartbeat",{}]', f'CSMS->CS [4,"1","{code}","",{{}}]'],
                     version)  # fmt: skip
    stray = check([f'CSMS->CS [4,"9","{code}","",{{}}]'], version)
    for report in (answered, stray):
        assert report.invalid == 0
        assert "error-code-spelling" in {p.rule for p in report.problems}
        assert {p.severity for p in report.problems} == {Severity.WARNING}
