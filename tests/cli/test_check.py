"""``ocpp-core check``: the example logs, exit statuses, bad files, JSON, the line grammar.

The findings only a session knows (answers to unknown ids, answers to answers,
ordering, wrong answers, ...) are tested in ``tests/cli/test_replay.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpp_core import DecodeOptions, ErrorCode, OcppVersion
from ocpp_core._cli import _COMMANDS, main
from ocpp_core._cli.check import (
    DETECTION_ORDER,
    CheckRule,
    LongLine,
    Severity,
    check_lines,
    format_text,
    report_to_json,
)
from ocpp_core.rpc import Violation

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "examples" / "logs"
SESSION_16 = LOGS / "ocpp16-session.log"
SESSION_201 = LOGS / "ocpp201-session.log"
VALID_16 = LOGS / "ocpp16-valid.log"
VALID_201 = LOGS / "ocpp201-valid.log"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def check(*lines: str, version: str | None = "2.0.1", options: DecodeOptions | None = None):
    return check_lines(list(lines), version=version, options=options)


# --- the example logs ----------------------------------------------------------------


def test_session_16_planted_problems(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "check", str(SESSION_16))
    assert status == 1
    assert err == ""
    lines = out.splitlines()
    problems = lines[:-2]
    assert len(problems) == 3
    head = ':43: id "19223217" StatusNotification request: OccurenceConstraintViolation: $: '
    assert head in problems[0]
    assert "required property 'errorCode' is missing (required)" in problems[0]
    assert ':46: id "19223218" MeterValues request: PropertyConstraintViolation: ' in problems[1]
    assert "$.meterValue[0].sampledValue[0].unit:" in problems[1]
    assert ':49: id "19223219" Authorize request: TypeConstraintViolation: $.idTag:' in problems[2]
    # The central system refuses the three broken CALLs with the CALLERRORs it owes.
    assert lines[-2].endswith("OCPP 1.6 (detected): frames 42, calls 21, results 18, errors 3")
    assert lines[-1] == "FAILED: invalid 3, unmatched responses 0, unanswered calls 0"


def test_session_16_lenient_accepts_hz(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", str(SESSION_16), "--lenient", "--format", "json")
    assert status == 1
    report = json.loads(out)
    # The unit "Hz" is accepted (DecodeOptions.frequency_units) and reported as a
    # warning naming the option; the rest stay invalid.
    errors = [p for p in report["problems"] if p["severity"] == "error"]
    assert [(p["line"], p["code"]) for p in errors] == [
        (43, "OccurenceConstraintViolation"),
        (49, "TypeConstraintViolation"),
    ]
    warnings = [p for p in report["problems"] if p["severity"] == "warning"]
    assert [(p["line"], p["rule"]) for p in warnings] == [(46, "accepted-departure")]
    assert "(accepted by DecodeOptions.frequency_units)" in warnings[0]["message"]


def test_session_201_planted_problems(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", str(SESSION_201), "--format", "json")
    assert status == 1
    report = json.loads(out)
    assert report["version"] == "2.0.1"
    assert report["detected"] is True
    assert report["ok"] is False
    counts = {k: report[k] for k in ("frames", "calls", "results", "errors", "answered", "invalid")}
    assert counts == {
        "frames": 32,
        "calls": 16,
        "results": 13,
        "errors": 3,
        "answered": 16,
        "invalid": 2,
    }
    assert (report["unmatched"], report["unanswered"], report["omitted"]) == (0, 0, 0)
    got = [(p["line"], p["action"], p["kind"], p["code"], p["rule"]) for p in report["problems"]]
    assert got == [
        (33, "TransactionEvent", "request", "PropertyConstraintViolation", "enum"),
        (36, "StatusNotification", "request", "TypeConstraintViolation", "type"),
        # The 1.6 spelling of FormatViolation: read as FormatViolation, a warning.
        (40, "GetVariables", "error", None, "error-code-spelling"),
    ]
    assert report["problems"][0]["message"].startswith('$.eventType: "Update" is not one of')
    assert report["problems"][0]["message_id"] == "b1c2d3e4-0001-4a6b-9c1d-000000000012"


@pytest.mark.parametrize(
    ("path", "version"), [(VALID_16, "1.6"), (VALID_201, "2.0.1")], ids=["1.6", "2.0.1"]
)
def test_valid_logs_exit_zero(capsys: pytest.CaptureFixture[str], path: Path, version: str) -> None:
    status, out, err = run(capsys, "check", str(path))
    assert (status, err) == (0, "")
    assert f"OCPP {version} (detected)" in out
    assert out.splitlines()[-1] == "OK: invalid 0, unmatched responses 0, unanswered calls 0"


@pytest.mark.parametrize(
    ("path", "expected", "wrong_scores"),
    [
        (SESSION_16, OcppVersion.V16, {"2.0.1": 33, "2.1": 33, "2.0": 33}),
        (SESSION_201, OcppVersion.V201, {"2.1": 2, "2.0": 13, "1.6": 27}),
    ],
    ids=["1.6", "2.0.1"],
)
def test_version_detection(path: Path, expected: OcppVersion, wrong_scores: dict[str, int]) -> None:
    with path.open(encoding="utf-8") as stream:
        report = check_lines(stream)
    assert report.version is expected
    assert report.detected
    assert report.scores[expected.value] == (3 if expected is OcppVersion.V16 else 2)
    for version, score in wrong_scores.items():
        assert report.scores[version] == score


def test_detection_tie_prefers_201_over_21() -> None:
    # Valid in 2.0, 2.0.1 and 2.1 alike: no evidence, so the preferred version wins.
    report = check_lines(['> [2,"1","Heartbeat",{}]'])
    assert report.scores == {"2.0.1": 0, "2.1": 0, "2.0": 0, "1.6": 0}
    assert report.version is DETECTION_ORDER[0] is OcppVersion.V201


def test_given_version_is_used(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", str(VALID_16), "--version", "2.0.1")
    assert status == 1
    assert "OCPP 2.0.1 (given)" in out
    status, out, _ = run(capsys, "check", str(VALID_16), "--version", "ocpp1.6")
    assert status == 0
    assert "OCPP 1.6 (given)" in out


# --- exit status 2: usage and file errors --------------------------------------------


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, err = run(capsys, "check", str(tmp_path / "absent.log"))
    assert (status, out) == (2, "")
    assert "cannot read" in err
    assert "No such file or directory" in err
    assert "Traceback" not in err


def test_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = run(capsys, "check", str(tmp_path))
    assert status == 2
    assert err.startswith("ocpp-core check: cannot read ")


def test_not_utf8(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    log = tmp_path / "latin1.log"
    log.write_bytes(b'[2,"1","Heartbeat",{}]\n[2,"2","Authorize",{"idTag":"M\xfcller"}]\n')
    status, out, err = run(capsys, "check", str(log))
    assert (status, out) == (2, "")
    assert "line 2 is not valid UTF-8 (byte 31 of the line)" in err


def test_unreadable(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The suite may run as root, which can read a mode-000 file, so the
    # refusal comes from a stand-in for open() that raises as the OS would.
    log = tmp_path / "secret.log"
    log.write_text("", encoding="utf-8")
    real_open = open

    def refusing_open(file: object, *args: object, **kwargs: object) -> object:
        if str(file) == str(log):
            raise PermissionError(13, "Permission denied", str(log))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", refusing_open)
    status, _, err = run(capsys, "check", str(log))
    assert status == 2
    assert "Permission denied" in err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["check"],
        ["check", "x.log", "--version", "3.0"],
        ["check", "x.log", "--format", "xml"],
        ["check", "x.log", "--max-line-bytes", "0"],
        ["check", "x.log", "--max-problems", "many"],
        ["frobnicate"],
    ],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    status, _, err = run(capsys, *argv)
    assert status == 2
    assert "usage:" in err
    assert "Traceback" not in err


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", "--help")
    assert status == 0
    assert "--format" in out


def test_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    log = tmp_path / "in.log"
    log.write_bytes(VALID_201.read_bytes())
    with log.open("rb") as stream:
        monkeypatch.setattr("sys.stdin", type("S", (), {"buffer": stream})())
        status, out, _ = run(capsys, "check", "-")
    assert status == 0
    assert out.startswith("<stdin>: OCPP 2.0.1 (detected)")


# --- huge lines, empty files ---------------------------------------------------------


def test_huge_line_is_a_problem(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    log = tmp_path / "huge.log"
    big = '[2,"1","DataTransfer",{"vendorId":"' + "x" * (3 << 20) + '"}]'
    log.write_text(f'{big}\n[2,"2","Heartbeat",{{}}]\n{big}', encoding="utf-8")
    status, out, _ = run(capsys, "check", str(log), "--version", "2.0.1", "--format", "json")
    assert status == 1
    report = json.loads(out)
    assert (report["frames"], report["calls"], report["invalid"]) == (3, 1, 2)
    first, unanswered, second = report["problems"]
    assert (first["line"], second["line"]) == (1, 3)
    assert (unanswered["line"], unanswered["rule"]) == (2, "unanswered")
    assert first["rule"] == "too-large"
    assert first["code"] == "RpcFrameworkError"
    assert first["message"] == f"the line is {len(big)} bytes long, over the bound"
    assert len(out) < 2000  # nothing of the line is echoed


def test_max_line_bytes_bound(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    log = tmp_path / "bound.log"
    frame = '[2,"1","Heartbeat",{}]'
    log.write_text(frame + "\n", encoding="utf-8")
    bound = str(len(frame) + 1)  # the line break counts
    assert run(capsys, "check", str(log), "--max-line-bytes", bound)[0] == 0
    status, out, _ = run(capsys, "check", str(log), "--max-line-bytes", str(len(frame) - 1))
    assert status == 1
    assert "too" not in out or "over the bound" in out


def test_empty_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    log = tmp_path / "empty.log"
    log.write_text("# nothing here\n\n", encoding="utf-8")
    status, out, _ = run(capsys, "check", str(log))
    assert status == 0
    assert "frames 0" in out


def test_max_problems(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    log = tmp_path / "many.log"
    log.write_text("[2]\n" * 5, encoding="utf-8")
    status, out, _ = run(capsys, "check", str(log), "--max-problems", "2", "--version", "1.6")
    assert status == 1
    lines = out.splitlines()
    assert lines[2] == "... 3 more problems not listed"
    assert lines[-1].startswith("FAILED: invalid 5,")


# --- the line grammar ------------------------------------------------------------------

HEARTBEAT = '[2,"1","Heartbeat",{}]'


@pytest.mark.parametrize(
    "prefix",
    [
        "",
        "   ",
        "2026-04-14T06:42:07.450Z ",
        "2026-04-14T06:42:07+02:00 ",
        "2026-04-14 06:42:07,450 ",
        "[2026-04-14T06:42:07Z] ",
        "06:42:07.450 ",
        "1776150127.45 ",
        "> ",
        ">>",
        "-> ",
        "<- ",
        "send ",
        "SENT: ",
        "recv ",
        "received: ",
        "tx ",
        "RX ",
        "CS->CSMS ",
        "ChargingStation -> CSMS: ",
        "CP->CS ",
        "1776150127.45 CP->CS: ",
        "[2026-03-02T08:00:00+01:00] > ",
        "2026-04-14T06:42:07Z CS->CSMS ",
        "2026-04-14T06:42:07Z < ",
    ],
)
def test_accepted_prefixes(prefix: str) -> None:
    report = check(prefix + HEARTBEAT + "\r\n")
    assert report.ok, report.problems
    assert report.calls == 1


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("hello " + HEARTBEAT, 'got "hello [2,\\"1\\",\\"Heartbeat\\",{}]"'),
        ("CS->CS " + HEARTBEAT, 'direction marker "CS->CS" does not name'),
        ("Foo->CSMS " + HEARTBEAT, "does not name a charging station and a CSMS"),
        ("information " + HEARTBEAT, "expected [timestamp] [direction] and a JSON array"),
    ],
)
def test_bad_lines(line: str, fragment: str) -> None:
    report = check(line)
    assert report.invalid == 1
    (problem,) = report.problems
    assert problem.rule == CheckRule.BAD_LINE
    assert problem.code is None
    assert fragment in problem.message


def test_bom_and_comments_ignored() -> None:
    report = check("\ufeff# exported by a CSMS", "   # indented comment", "", HEARTBEAT)
    assert (report.ok, report.frames) == (True, 1)


# --- frames ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "version", "rule", "code"),
    [
        ('[2,"1","Heartbeat",{}', "2.0.1", "not-json", ErrorCode.RPC_FRAMEWORK_ERROR),
        ('[2,"1","Heartbeat",{}', "1.6", "not-json", ErrorCode.PROTOCOL_ERROR),
        ('[2,"1","Heartbeat",{', "1.6", "not-json", ErrorCode.PROTOCOL_ERROR),
        ("[2,broken", "1.6", "not-json", None),
        ('[2,"1","X",{"a":NaN}]', "2.0.1", "not-json", ErrorCode.RPC_FRAMEWORK_ERROR),
        ('[2,"1","X",{"a":1e999}]', "2.0.1", "not-json", ErrorCode.RPC_FRAMEWORK_ERROR),
        ("[" + "1" * 5000 + "]", "2.0.1", "not-json", ErrorCode.RPC_FRAMEWORK_ERROR),
        ("[" * 100_000 + "]" * 100_000, "2.0.1", "too-deep", ErrorCode.RPC_FRAMEWORK_ERROR),
        ('[2,"1","Heartbeat",{"a":1,"a":2}]', "2.0.1", "duplicate-key", "FormatViolation"),
        ('[2,"1","Heartbeat",{"a":1,"a":2}]', "1.6", "duplicate-key", "FormationViolation"),
        ('[3,"1",{"a":1,"a":2}]', "2.0.1", "duplicate-key", None),
        ('[2,1,{"a":1,"a":2}]', "2.0.1", "duplicate-key", ErrorCode.RPC_FRAMEWORK_ERROR),
        ('[2,"1","X",{"a":1,"a":2}', "2.0.1", "duplicate-key", ErrorCode.FORMAT_VIOLATION),
        ('{"a":1}', "2.0.1", "not-an-array", ErrorCode.RPC_FRAMEWORK_ERROR),
        ("[]", "2.0.1", "bad-message-type", ErrorCode.RPC_FRAMEWORK_ERROR),
        ('["2","1","Heartbeat",{}]', "2.0.1", "bad-message-type", ErrorCode.RPC_FRAMEWORK_ERROR),
        ('[true,"1","Heartbeat",{}]', "2.0.1", "bad-message-type", ErrorCode.RPC_FRAMEWORK_ERROR),
        ('[7,"1","Heartbeat",{}]', "2.0.1", "unsupported-message-type", "MessageTypeNotSupported"),
        ('[6,"1","Heartbeat",{}]', "2.0.1", "unsupported-message-type", "MessageTypeNotSupported"),
        ('[5,"1","X","",{}]', "1.6", "unsupported-message-type", None),
        ('[2,1,"Heartbeat",{}]', "2.0.1", "bad-message-id", ErrorCode.RPC_FRAMEWORK_ERROR),
        ('[2,"","Heartbeat",{}]', "1.6", "bad-message-id", None),
        ("[2," + json.dumps("x" * 37) + ',"Heartbeat",{}]', "2.0.1", "bad-message-id", "-"),
        ('[2,"1","Heartbeat",{},{}]', "1.6", "bad-length", ErrorCode.PROTOCOL_ERROR),
        ('[3,"1",{},{}]', "2.0.1", "bad-length", None),
        ('[2,"1",7,{}]', "2.0.1", "bad-action", ErrorCode.RPC_FRAMEWORK_ERROR),
        ('[2,"1","Heartbeat",[]]', "1.6", "payload-not-an-object", "FormationViolation"),
        ('[2,"1","Heartbeat",null]', "2.0.1", "payload-not-an-object", "FormatViolation"),
        ('[2,"1","Hearbeat",{}]', "2.0.1", "unknown-action", ErrorCode.NOT_IMPLEMENTED),
        ('[2,"1","NotifyDERAlarm",{}]', "2.0.1", "unsupported-action", ErrorCode.NOT_SUPPORTED),
        ('[6,"1","Hearbeat",{}]', "2.1", "invalid-send", None),
        ('[4,"1",1,"",{}]', "2.0.1", "bad-error-code", None),
        ('[4,"1","NotSupported",null,{}]', "2.0.1", "bad-error-description", None),
        ('[5,"1","NotSupported","",[]]', "2.1", "bad-error-details", None),
        ('[4,"1","MessageTypeNotSupported","",{}]', "1.6", "unknown-error-code", None),
    ],
)
def test_frame_problems(line: str, version: str, rule: str, code: str | None) -> None:
    report = check(line, version=version)
    assert report.invalid == 1
    errors = [p for p in report.problems if p.severity is Severity.ERROR]
    assert len(errors) == 1
    assert errors[0].rule == rule
    if code != "-":
        assert errors[0].code == code
    assert len(errors[0].message) < 200


def test_wrong_direction_and_send() -> None:
    report = check(
        'CSMS->CS [2,"1","BootNotification",{}]',
        'CS->CSMS [2,"2","SetChargingProfile",{}]',
        version="2.0.1",
    )
    assert [(p.line, p.severity, p.rule, p.code) for p in report.problems] == [
        (1, Severity.ERROR, Violation.WRONG_DIRECTION, ErrorCode.NOT_SUPPORTED),
        (1, Severity.WARNING, CheckRule.UNANSWERED, None),
        (2, Severity.ERROR, Violation.WRONG_DIRECTION, ErrorCode.NOT_SUPPORTED),
        (2, Severity.WARNING, CheckRule.UNANSWERED, None),
    ]
    assert report.problems[0].message == "BootNotification is not sent by the CSMS"
    report = check(
        '[6,"1","NotifyPeriodicEventStream",{"id":1,"pending":0,"basetime":"2026-01-01T00:00:00Z",'
        '"data":[{"t":0,"v":"1"}]}]',
        '[2,"2","NotifyPeriodicEventStream",{}]',
        '[6,"3","Heartbeat",{}]',
        '[3,"2",{}]',
        version="2.1",
    )
    assert report.sends == 2
    # A CALL of a SEND-only action is refused (NotSupported), so its CALLRESULT is
    # the wrong answer; a SEND of a CALL action is never answered (no code).
    assert [(p.line, p.rule, p.code) for p in report.problems] == [
        (2, Violation.UNSUPPORTED_ACTION, ErrorCode.NOT_SUPPORTED),
        (3, Violation.INVALID_SEND, None),
        (4, CheckRule.WRONG_ANSWER, ErrorCode.NOT_SUPPORTED),
    ]
    assert report.problems[1].message == "Heartbeat is a CALL action, not sent with SEND"
    assert report.unanswered == 0
    text = "\n".join(format_text(report))
    assert "result errors 0, sends 2" in text


def test_send_payload_problem_has_no_code() -> None:
    report = check('[6,"1","NotifyPeriodicEventStream",{}]', version="2.1")
    (problem,) = report.problems
    assert (problem.rule, problem.code, problem.kind) == ("required", None, "send")


# --- responses and matching -------------------------------------------------------------


def test_result_decoded_as_its_calls_response() -> None:
    report = check(
        '> [2,"a","Heartbeat",{}]',
        '< [3,"a",{"currentTime":"yesterday"}]',
    )
    (problem,) = report.problems
    assert (problem.line, problem.action, problem.kind) == (2, "Heartbeat", "response")
    assert problem.code is ErrorCode.TYPE_CONSTRAINT_VIOLATION
    assert problem.message.startswith("$.currentTime:")


def test_unmatched_and_unanswered_are_warnings() -> None:
    report = check(
        '[3,"nobody",{}]',
        '[4,"nobody-either","GenericError","",{}]',
        '[2,"a","Heartbeat",{}]',
    )
    assert report.ok
    assert (report.unmatched, report.unanswered) == (2, 1)
    assert [(p.severity, p.rule) for p in report.problems] == [
        (Severity.WARNING, "unknown-response"),
        (Severity.WARNING, "unknown-response"),
        (Severity.WARNING, "unanswered"),
    ]
    assert list(format_text(report, "x.log")) == [
        "x.log:1: warning: id \"nobody\" response: CALLRESULT with id 'nobody' answers no "
        "CALL of this side; dropped",
        "x.log:2: warning: id \"nobody-either\" error: CALLERROR with id 'nobody-either' "
        "answers no CALL of this side; dropped",
        'x.log:3: warning: id "a" Heartbeat request: no answer from the CSMS in the log',
        "x.log: OCPP 2.0.1 (given): frames 3, calls 1, results 1, errors 1",
        "OK: invalid 0, unmatched responses 2, unanswered calls 1",
    ]


def test_matching_respects_directions() -> None:
    # Both sides use id "1"; each answer goes to the CALL of the other direction.
    report = check(
        'CS->CSMS [2,"1","Heartbeat",{}]',
        'CSMS->CS [2,"1","GetLocalListVersion",{}]',
        'CS->CSMS [3,"1",{"versionNumber":3}]',
        'CSMS->CS [3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]',
    )
    assert report.ok, report.problems
    assert (report.unmatched, report.unanswered) == (0, 0)
    assert report.problems == ()


def test_reused_id_is_refused() -> None:
    # The receiver refuses a CALL whose id is in use by a CALL it still handles.
    report = check('> [2,"1","Heartbeat",{}]', '> [2,"1","Heartbeat",{}]')
    assert [(p.line, p.severity, p.rule, p.code) for p in report.problems] == [
        (1, Severity.WARNING, "unanswered", None),
        (2, Severity.ERROR, "duplicate-call-id", ErrorCode.RPC_FRAMEWORK_ERROR),
        (2, Severity.WARNING, "unanswered", None),
    ]
    assert report.problems[1].message == "message id '1' is in use by a CALL still being handled"


def test_answers_to_invalid_calls_are_matched() -> None:
    report = check(
        '[2,"1","Hearbeat",{}]',
        '[4,"1","NotImplemented","unknown action",{}]',
        '[2,"2","Heartbeat",{"x":1}]',
        '[3,"2",{"currentTime":"2026-01-01T00:00:00Z"}]',
        '[2,"3","Hearbeat",{}]',
        '[3,"3",{}]',
        '[2,"4","Heartbeat",[]]',
        '[3,"4",null]',
    )
    assert report.unmatched == 0
    # Line 2 is the CALLERROR owed; lines 4 and 6 answer CALLs that must be refused.
    assert [(p.line, p.rule, p.code) for p in report.problems] == [
        (1, "unknown-action", ErrorCode.NOT_IMPLEMENTED),
        (3, "additionalProperties", ErrorCode.PROTOCOL_ERROR),
        (4, "wrong-answer", ErrorCode.PROTOCOL_ERROR),
        (5, "unknown-action", ErrorCode.NOT_IMPLEMENTED),
        (6, "wrong-answer", ErrorCode.NOT_IMPLEMENTED),
        (7, "payload-not-an-object", ErrorCode.FORMAT_VIOLATION),
        (8, "payload-not-an-object", None),
    ]
    assert report.problems[2].message == (
        "the CSMS answered with a CALLRESULT, not the CALLERROR it owes"
    )


def test_long_line_item_and_max_problems() -> None:
    report = check_lines([LongLine(length=5), "[]", "[]"], version="1.6", max_problems=1)
    assert (report.invalid, len(report.problems), report.omitted) == (3, 1, 2)
    assert report.problems[0].rule == "too-large"
    assert report.problems[0].code is None  # 1.6: no reply without a readable id


def test_lenient_options() -> None:
    line = (
        '[2,"1","StatusNotification",'
        '{"connectorId":1,"errorCode":"NoError","status":"Available","info":null}]'
    )
    assert not check(line, version="1.6").ok
    assert check(line, version="1.6", options=DecodeOptions.lenient()).ok


def test_json_report_shape() -> None:
    report = check('[2,"1","Heartbeat",{"x":1}]')
    data = report_to_json(report)
    assert json.loads(json.dumps(data)) == data
    assert (data["answered"], data["unanswered"]) == (0, 1)
    assert data["problems"] == [
        {
            "line": 1,
            "severity": "error",
            "message_id": "1",
            "action": "Heartbeat",
            "kind": "request",
            "code": "ProtocolError",
            "rule": "additionalProperties",
            "message": '$.x: unknown property "x" (additionalProperties)',
        },
        {
            "line": 1,
            "severity": "warning",
            "message_id": "1",
            "action": "Heartbeat",
            "kind": "request",
            "code": None,
            "rule": "unanswered",
            "message": "no answer from the CSMS in the log",
        },
    ]


def test_bad_version_argument() -> None:
    with pytest.raises(ValueError, match="unknown OCPP version"):
        check_lines([], version="3.0")


# --- no input crashes the checker -----------------------------------------------------

_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
_FRAMES = st.tuples(
    st.sampled_from([2, 3, 4, 5, 6, 7, "2", None]),
    st.sampled_from(["1", "2", "", 1, "x" * 37]),
    st.sampled_from(["Heartbeat", "BootNotification", "NotifyPeriodicEventStream", "X", 5]),
    _JSON_VALUES,
    _JSON_VALUES,
).flatmap(lambda t: st.integers(0, 5).map(lambda n: json.dumps(list(t)[:n])))
_PREFIXES = st.sampled_from(
    ["", "> ", "< ", "CS->CSMS ", "CSMS->CS ", "2026-01-01T00:00:00Z ", "00:00:59 CP->CS ", "#"]
)


@given(st.lists(st.tuples(_PREFIXES, _FRAMES | st.text(max_size=30)), max_size=8))
def test_any_input_gives_a_report(lines: list[tuple[str, str]]) -> None:
    report = check_lines([prefix + frame for prefix, frame in lines])
    assert report.invalid == len({p.line for p in report.problems if p.severity is Severity.ERROR})
    assert report.frames <= len(lines)
    for problem in report.problems:
        assert len(problem.message) < 300
    report_to_json(report)
    list(format_text(report))


# --- the CLI's plumbing -------------------------------------------------------------------


def test_every_command_is_registered(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--help")
    assert status == 0
    for command in _COMMANDS:
        name = command.__name__.rpartition(".")[2]
        assert name in out
        assert run(capsys, name, "--help")[0] == 0


def test_broken_pipe(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> Iterator[str]:
        raise BrokenPipeError
        yield ""

    # capsys: sys.stdout has no file descriptor, so nothing real is redirected.
    monkeypatch.setattr("ocpp_core._cli.check.format_text", broken)
    assert main(["check", str(VALID_16)]) == 1
    assert capsys.readouterr().out == ""
