"""The ``format``s of the bundles (``uri``, ``date-time``), checked exactly (issue 10, item 8).

The oracles are jsonschema's own format checks, which use the
rfc3986-validator and rfc3339-validator packages: independent of the
library's grammar.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from jsonschema import FormatChecker

from ocpp_core import PayloadError, PayloadRule, decode_payload, validate_payload
from ocpp_core._runtime import URI
from ocpp_core._schemas import load_bundle
from ocpp_core.strategies import wire_payloads

REFERENCE = FormatChecker(formats=("date-time", "uri"))


def test_reference_format_checks_are_installed() -> None:
    assert set(REFERENCE.checkers) == {"date-time", "uri"}


def test_bundles_use_only_the_formats_checked_here() -> None:
    used = set()
    for version in ("1.6", "2.0", "2.0.1", "2.1"):
        text = json.dumps(load_bundle(version))
        used |= {part.split('"')[0] for part in text.split('"format": "')[1:]}
    assert used == {"date-time", "uri"}


@pytest.mark.parametrize("action", ["GetDiagnostics", "UpdateFirmware"])
@pytest.mark.parametrize(
    "location", ["https://h.example/<a>", "https://h.example/a%zz", "https://h.example/ü",
                 "ftps://67.example/sx%fgf", "https://h.example/a b", "no-scheme/path"]
)  # fmt: skip
def test_uri_fields_refuse_what_rfc3986_refuses(action: str, location: str) -> None:
    payload: dict[str, Any] = {"location": location}
    if action == "UpdateFirmware":
        payload["retrieveDate"] = "2026-03-01T12:00:00Z"
    assert not REFERENCE.conforms(location, "uri")
    with pytest.raises(PayloadError) as caught:
        decode_payload("1.6", action, "request", payload)
    assert (caught.value.path, caught.value.rule) == ("$.location", PayloadRule.FORMAT)
    assert [e.rule for e in validate_payload("1.6", action, "request", payload)] == [
        PayloadRule.FORMAT
    ]


_URI_CHARS = st.sampled_from(
    [*list("abcXYZ019-._~!$&'()*+,;=:@/?#%[]<> \\^`{|}\"ü"), "%2F", "%zz", "//", "::"]
)


@settings(max_examples=1500)
@given(
    scheme=st.sampled_from(["https", "ftp", "urn", "a+b.c-d", "1x", "", "h t"]),
    rest=st.lists(_URI_CHARS, max_size=12).map("".join),
)
@example(scheme="http", rest="//[::1]:8080/a?b#c")
@example(scheme="http", rest="//[v7.a:b]/")
@example(scheme="http", rest="//[1:2:3:4:5:6:7:8]/")
@example(scheme="http", rest="//[1:2:3:4:5:6:7:8:9]/")
@example(scheme="http", rest="//[::ffff:10.0.0.1]/")
@example(scheme="http", rest="//[::ffff:10.0.0.256]/")
@example(scheme="http", rest="//user:pw@host:/")
@example(scheme="mailto", rest="a@b.example")
def test_uri_grammar_agrees_with_rfc3986_validator(scheme: str, rest: str) -> None:
    text = f"{scheme}:{rest}"
    assert (URI.fullmatch(text) is not None) == REFERENCE.conforms(text, "uri"), text


@settings(max_examples=300)
@given(payload=wire_payloads("1.6", "GetDiagnostics", "request"))
def test_strategies_generate_only_rfc3986_uris(payload: dict[str, Any]) -> None:
    assert REFERENCE.conforms(payload["location"], "uri"), payload["location"]


_DT_CHARS = st.sampled_from([*list("0123456789-:.TtZz+ "), "2026-", "12", "60", "24:00", "T23:59:"])


@settings(max_examples=1500)
@given(st.lists(_DT_CHARS, max_size=14).map("".join))
@example("2026-03-01T12:00:00Z")
@example("2026-03-01t12:00:00.5z")
@example("2026-02-29T12:00:00Z")
@example("2028-02-29T12:00:00+23:59")
@example("2026-03-01T12:00:00+24:00")
@example("2026-03-01T12:00:00")
@example("2026-03-01 12:00:00Z")
@example("2016-12-31T23:59:60Z")
def test_date_time_agrees_with_rfc3339_validator(text: str) -> None:
    """The decoder's ``date-time`` and jsonschema's (rfc3339-validator) agree on every string."""
    try:
        decode_payload("2.0.1", "Heartbeat", "response", {"currentTime": text})
        ours = True
    except PayloadError:
        ours = False
    assert ours == REFERENCE.conforms(text, "date-time"), text
    assert ours == (validate_payload("2.0.1", "Heartbeat", "response", {"currentTime": text}) == [])
