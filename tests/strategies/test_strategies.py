"""The strategies module itself: the builder, the plugin hook, the invalid-payload contract."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpp_core import (
    ErrorCode,
    PayloadError,
    PayloadRule,
    decode_payload,
    encode_payload,
    payload_error_code,
)
from ocpp_core._hypothesis_plugin import setup
from ocpp_core._runtime import STRICT
from ocpp_core.strategies import (
    InvalidPayload,
    datatypes,
    date_times,
    from_schema,
    invalid_payloads,
    messages,
    wire_payloads,
)


@settings(max_examples=60)
@given(from_schema({"type": "number", "multipleOf": 0.1, "minimum": -5, "maximum": 50}))
def test_multiple_of_draws_exact_decimals(value: float) -> None:
    assert -5 <= value <= 50
    assert Decimal(repr(value)) % Decimal("0.1") == 0


@settings(max_examples=60)
@given(from_schema({"type": "integer", "minimum": 0, "maximum": 100}, draft="draft-04"))
def test_draft04_integers_are_ints(value: Any) -> None:
    assert type(value) is int
    assert 0 <= value <= 100


@settings(max_examples=60)
@given(from_schema({"type": "string", "maxLength": 20}))
def test_strings_respect_max_length(value: str) -> None:
    assert len(value) <= 20


def test_strings_reach_max_length() -> None:
    seen: set[int] = set()

    @settings(max_examples=100, database=None)
    @given(from_schema({"type": "string", "maxLength": 500}))
    def collect(value: str) -> None:
        seen.add(len(value))

    collect()
    assert 500 in seen
    assert min(seen) <= 6


def test_date_times_have_offsets_and_fractions() -> None:
    seen: list[str] = []

    @settings(max_examples=150, database=None, derandomize=True)
    @given(date_times())
    def collect(value: str) -> None:
        seen.append(value)
        decode_payload("2.0.1", "Heartbeat", "response", {"currentTime": value})

    collect()
    assert any(v[-6] in "+-" and not v.endswith(("+00:00", "-00:00")) for v in seen)
    assert any("." in v for v in seen)
    assert any(v.endswith(("Z", "z")) for v in seen)


def test_unsupported_keyword() -> None:
    with pytest.raises(ValueError, match="pattern"):
        from_schema({"type": "string", "pattern": "a+"})


def test_unknown_action() -> None:
    with pytest.raises(ValueError, match="no response"):
        wire_payloads("2.1", "NotifyPeriodicEventStream", "response")
    with pytest.raises(ValueError, match="kind"):
        messages("2.0.1", "Heartbeat", "answer")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="defines no"):
        datatypes("1.6", "NoSuchType")


@settings(max_examples=30)
@given(invalid_payloads("1.6", "SetChargingProfile", "request"))
def test_invalid_payload_contract(bad: InvalidPayload) -> None:
    assert isinstance(bad.rule, PayloadRule)
    assert isinstance(bad.code, ErrorCode)
    assert bad.path.startswith("$")
    assert bad.description


# For every rule, a message whose schema lets a payload break it (and where a
# site for it is present in most valid payloads).
RULE_CASES = {
    PayloadRule.NOT_AN_OBJECT: ("1.6", "Authorize", "request"),
    PayloadRule.UNKNOWN_PROPERTY: ("1.6", "Authorize", "request"),
    PayloadRule.REQUIRED: ("1.6", "Authorize", "request"),
    PayloadRule.TYPE: ("1.6", "Authorize", "request"),
    PayloadRule.MAX_LENGTH: ("1.6", "Authorize", "request"),
    PayloadRule.ENUM: ("1.6", "SetChargingProfile", "request"),
    PayloadRule.FORMAT: ("1.6", "GetDiagnostics", "request"),
    PayloadRule.MULTIPLE_OF: ("1.6", "SetChargingProfile", "request"),
    PayloadRule.MIN_ITEMS: ("1.6", "GetInstalledCertificateIds", "response"),
    PayloadRule.MAX_ITEMS: ("2.1", "SetChargingProfile", "request"),
    PayloadRule.MINIMUM: ("2.1", "SetChargingProfile", "request"),
    PayloadRule.MAXIMUM: ("2.1", "SetChargingProfile", "request"),
}


def test_rule_cases_cover_every_rule() -> None:
    assert set(RULE_CASES) == set(PayloadRule)


@pytest.mark.parametrize("rule", list(PayloadRule))
@settings(max_examples=15)
@given(data=st.data())
def test_invalid_payloads_break_the_rule_asked_for(rule: PayloadRule, data: st.DataObject) -> None:
    version, action, kind = RULE_CASES[rule]
    bad = data.draw(invalid_payloads(version, action, kind, rules=[rule]))
    assert bad.rule is rule
    assert bad.code == payload_error_code(version, rule)
    with pytest.raises(PayloadError) as caught:
        decode_payload(version, action, kind, bad.payload)
    assert (caught.value.rule, caught.value.code) == (rule, bad.code)


@pytest.mark.parametrize("name", ["IdTokenInfo", "ChargingProfile", "MeterValue"])
@settings(max_examples=10)
@given(data=st.data())
def test_datatypes_are_valid(name: str, data: st.DataObject) -> None:
    value = data.draw(datatypes("2.0.1", name))
    wire = encode_payload(value)
    from ocpp_core._codecs import codec

    decoder = codec("2.0.1").decoder(type(value))
    assert decoder is not None
    assert decoder(wire, STRICT) == value


def test_hook_registers_every_class() -> None:
    setup()
    setup()  # idempotent
    from ocpp_core import v16, v201

    @settings(max_examples=10, database=None)
    @given(
        st.from_type(v201.BootNotificationRequest),
        st.from_type(v201.ChargingProfile),
        st.from_type(v16.UnitOfMeasure),
    )
    def check(msg: Any, profile: Any, unit: Any) -> None:
        assert isinstance(msg, v201.BootNotificationRequest)
        assert decode_payload("2.0.1", "BootNotification", "request", encode_payload(msg)) == msg
        assert isinstance(profile, v201.ChargingProfile)
        assert unit is not v16.UnitOfMeasure.HERTZ  # an errata member, never drawn

    check()


def test_hook_registers_packages_imported_later() -> None:
    """The entry point runs when hypothesis is imported; the packages come later."""
    code = (
        "import sys\n"
        "from hypothesis import strategies as st, given, settings\n"
        "assert 'ocpp_core.v21' not in sys.modules\n"
        "import ocpp_core.v21 as v21\n"
        "from ocpp_core import decode_payload, encode_payload\n"
        "@settings(max_examples=5, database=None)\n"
        "@given(st.from_type(v21.TransactionEventRequest))\n"
        "def t(m):\n"
        "    assert decode_payload('2.1', 'TransactionEvent', 'request', encode_payload(m)) == m\n"
        "t()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_import_strategies_without_hypothesis_first() -> None:
    """Issue 10, item 2: a script or the REPL imports the strategies module first."""
    code = (
        "import sys\n"
        "assert 'hypothesis' not in sys.modules\n"
        "import ocpp_core.strategies\n"
        "from hypothesis import given, settings, strategies as st\n"
        "from ocpp_core import v16\n"
        "@settings(max_examples=5, database=None)\n"
        "@given(st.from_type(v16.HeartbeatResponse))\n"
        "def check(msg):\n"
        "    assert isinstance(msg, v16.HeartbeatResponse)\n"
        "check()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
