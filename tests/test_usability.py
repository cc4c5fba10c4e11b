"""Errors that help: versions, roles and actions as users write them (issue 10, friction)."""

from __future__ import annotations

import pytest

from ocpp_core import OcppVersion, Role, UnknownActionError, __version__, decode_payload
from ocpp_core._cli import _COMMANDS, main
from ocpp_core.rpc import Session


@pytest.mark.parametrize(
    ("number", "version"),
    [(1.6, OcppVersion.V16), (2.0, OcppVersion.V20), (2.1, OcppVersion.V21)],
)
def test_numbers_that_name_a_version_are_accepted(number: float, version: OcppVersion) -> None:
    assert OcppVersion.parse(number) is version
    assert decode_payload(number, "Heartbeat", "request", {}).ocpp_meta.version is version  # type: ignore[arg-type]
    assert Session(number, "CSMS").version is version  # type: ignore[arg-type]


@pytest.mark.parametrize("number", [2.01, 2, 1.5, 201])
def test_numbers_that_name_no_version_say_to_pass_a_string(number: float) -> None:
    with pytest.raises(ValueError, match="pass the version as a string") as caught:
        OcppVersion.parse(number)  # type: ignore[arg-type]
    assert "'2.0.1'" in str(caught.value)


@pytest.mark.parametrize("missing", ["", "  ", None])
def test_missing_version_gives_a_clear_message(missing: str | None) -> None:
    with pytest.raises(ValueError, match="no OCPP version given") as caught:
        OcppVersion.parse(missing)  # type: ignore[arg-type]
    assert "'1.6', '2.0', '2.0.1', '2.1'" in str(caught.value)


def test_unknown_version_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown OCPP version '3\.0' \(known: '1\.6'"):
        OcppVersion.parse("3.0")


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("CentralSystem", Role.CSMS),
        ("central system", Role.CSMS),
        ("csms", Role.CSMS),
        ("ChargePoint", Role.CHARGING_STATION),
        ("CP", Role.CHARGING_STATION),
        ("ChargingStation", Role.CHARGING_STATION),
        (Role.CSMS, Role.CSMS),
    ],
)
def test_session_accepts_the_16_role_names(name: str, role: Role) -> None:
    assert Session("1.6", name).role is role
    assert Role.parse(name) is role


@pytest.mark.parametrize("name", ["Server", "CS", ""])
def test_unknown_role_lists_the_valid_values(name: str) -> None:
    with pytest.raises(ValueError, match="expected 'ChargingStation' or 'CSMS'"):
        Session("1.6", name)


@pytest.mark.parametrize(
    ("action", "hint"),
    [
        ("heartbeat", "did you mean 'Heartbeat'?"),
        ("Hearbeat", "did you mean 'Heartbeat'?"),
        ("bootnotification", "did you mean 'BootNotification'?"),
        ("StartTransaction", "(it is an action of OCPP 1.6)"),
    ],
)
def test_misspelled_action_gets_a_did_you_mean(action: str, hint: str) -> None:
    with pytest.raises(UnknownActionError) as caught:
        decode_payload("2.0.1", action, "request", {})
    assert str(caught.value).endswith(hint)


def test_unrelated_action_gets_no_hint() -> None:
    with pytest.raises(UnknownActionError) as caught:
        decode_payload("2.0.1", "Nothing", "request", {})
    assert str(caught.value) == "OCPP 2.0.1 has no action 'Nothing'"


def test_cli_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"ocpp-core {__version__}\n"


def test_cli_help_lists_every_command_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    lines = out.split("positional arguments:")[1].split("options:")[0].strip().splitlines()
    commands = [line.split(None, 1) for line in lines[1:]]
    registered = [command.__name__.rpartition(".")[2] for command in _COMMANDS]
    assert [c[0] for c in commands] == registered
    assert all(len(c) == 2 and c[1].strip() for c in commands)
