"""Subprotocol choice and HTTP Basic authentication helpers."""

from __future__ import annotations

import base64

import pytest

from ocpp_core import OcppVersion
from ocpp_core.rpc import (
    SUBPROTOCOLS,
    BasicCredentials,
    HandshakeError,
    authorization_key_to_password,
    basic_auth_header,
    choose_subprotocol,
    parse_basic_auth,
    parse_subprotocols,
    password_to_authorization_key,
    subprotocol_for,
    version_for_subprotocol,
)


def test_subprotocol_names() -> None:
    assert list(SUBPROTOCOLS.values()) == ["ocpp2.1", "ocpp2.0.1", "ocpp2.0", "ocpp1.6"]
    assert [subprotocol_for(v) for v in ("1.6", "2.0", "2.0.1", "2.1")] == [
        "ocpp1.6",
        "ocpp2.0",
        "ocpp2.0.1",
        "ocpp2.1",
    ]
    assert version_for_subprotocol("ocpp2.0") is OcppVersion.V20
    assert version_for_subprotocol("ocpp1.6j") is None
    assert version_for_subprotocol("OCPP1.6") is None


@pytest.mark.parametrize(
    ("offer", "supported", "prefer", "chosen"),
    [
        ("ocpp1.6", None, "newest", "1.6"),
        ("ocpp1.6, ocpp2.0.1", None, "newest", "2.0.1"),
        ("ocpp2.0.1,ocpp1.6", None, "newest", "2.0.1"),
        ("ocpp1.6, ocpp2.0.1", None, "client", "1.6"),
        (["ocpp2.1", "ocpp2.0.1, ocpp1.6"], ["1.6", "2.0.1"], "newest", "2.0.1"),
        ("ocpp2.1, ocpp2.0", ["2.0.1"], "newest", None),
        ("", None, "newest", None),
        (None, None, "newest", None),
        ("  , ocpp1.5 ,", None, "newest", None),
        ("OCPP2.0.1, ocpp1.6", None, "newest", "1.6"),
    ],
)
def test_choose_subprotocol(
    offer: str | list[str] | None, supported: list[str] | None, prefer: str, chosen: str | None
) -> None:
    kwargs = {} if supported is None else {"supported": supported}
    result = choose_subprotocol(offer, prefer=prefer, **kwargs)  # type: ignore[arg-type]
    assert (result.value if result else None) == chosen


def test_parse_subprotocols_keeps_order_and_drops_repeats() -> None:
    assert parse_subprotocols(" ocpp2.0.1 ,ocpp1.6, ocpp2.0.1\t") == ("ocpp2.0.1", "ocpp1.6")
    assert parse_subprotocols(None) == ()


def test_basic_auth_201_round_trip() -> None:
    header = basic_auth_header("CP_1", "0123456789abcdef", "2.0.1")
    assert header == "Basic " + base64.b64encode(b"CP_1:0123456789abcdef").decode()
    credentials = parse_basic_auth(header, "2.0.1")
    assert credentials == BasicCredentials(username="CP_1", password=b"0123456789abcdef")
    assert credentials.password_text() == "0123456789abcdef"
    assert "0123" not in repr(credentials)
    # The scheme is case-insensitive; the password may contain ':'.
    token = base64.b64encode(b"CP_1:abc:defghijklmnopq").decode()
    assert parse_basic_auth(f"basic {token}", "2.1").password == b"abc:defghijklmnopq"


def test_password_rules_per_version() -> None:
    with pytest.raises(HandshakeError, match="16 to 40 characters"):
        basic_auth_header("CP_1", "x" * 15, "2.0.1")
    with pytest.raises(HandshakeError, match="16 to 40 characters"):
        basic_auth_header("CP_1", "x" * 41, "2.1")
    assert basic_auth_header("CP_1", "x" * 40, "2.0")
    with pytest.raises(HandshakeError, match="16 to 20 bytes"):
        basic_auth_header("CP_1", "x" * 21, "1.6")
    with pytest.raises(HandshakeError, match="16 to 20 bytes"):
        basic_auth_header("CP_1", b"\x00" * 15, "1.6")
    binary = bytes(range(200, 220))
    header = basic_auth_header("CP_1", binary, "1.6")
    assert parse_basic_auth(header, "1.6").password == binary
    # 1.6 passwords are bytes, 2.x passwords are text.
    with pytest.raises(HandshakeError, match="is text"):
        parse_basic_auth(header, "2.0.1")
    with pytest.raises(HandshakeError, match="not UTF-8"):
        BasicCredentials(username="u", password=binary).password_text()
    with pytest.raises(HandshakeError, match="control characters"):
        basic_auth_header("CP_1", "0123456789abcde\n", "2.0.1")


def test_authorization_key() -> None:
    assert authorization_key_to_password("4F43415F4F4354545F61646D696E5F74657374") == (
        b"OCA_OCTT_admin_test"
    )
    assert password_to_authorization_key(b"OCA_OCTT_admin_test") == (
        "4F43415F4F4354545F61646D696E5F74657374"
    )
    for bad in ("4F43", "4F4" * 11, "ZZ" * 16, "00" * 21):
        with pytest.raises(HandshakeError):
            authorization_key_to_password(bad)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer abc",
        "Basic !!!notbase64",
        "Basic " + base64.b64encode(b"no-colon-here-at-all").decode(),
        "Basic " + base64.b64encode(b":0123456789abcdef").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:0123456789abcdef").decode(),
        "Basic " + base64.b64encode(b"CP\x01:0123456789abcdef").decode(),
        "Basic " + "A" * 600,
        "",
    ],
)
def test_bad_headers(header: str) -> None:
    with pytest.raises(HandshakeError):
        parse_basic_auth(header, "2.0.1")


def test_username_rules() -> None:
    with pytest.raises(HandshakeError, match="RFC 7617"):
        basic_auth_header("CP:1", "0123456789abcdef", "2.0.1")
    with pytest.raises(HandshakeError, match="empty"):
        basic_auth_header("", "0123456789abcdef", "2.0.1")
    with pytest.raises(HandshakeError, match="at most 512"):
        parse_basic_auth(12, "2.0.1")  # type: ignore[arg-type]
