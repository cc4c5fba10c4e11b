"""Property tests over every action, version and kind.

The tests without the ``official`` fixture need no reference data and run in
every clone; those with it check against the official OCA files.

* generated messages round-trip through ``encode_payload`` / ``decode_payload``
  and through the cattrs converter;
* the encoder's output is valid against the OFFICIAL OCA schema file;
* instances generated from the OFFICIAL files are accepted by the decoder and
  by ``validate_payload``;
* single-rule mutations are rejected by the decoder, by ``validate_payload``
  and by the official file, with the same rule and code from the decoder and
  ``validate_payload`` (a differential test).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpp_core import (
    PayloadError,
    PayloadRule,
    actions,
    decode_payload,
    encode_payload,
    make_converter,
    payload_error_code,
    validate_payload,
)
from ocpp_core.strategies import from_schema, invalid_payloads, messages

VERSIONS = ("1.6", "2.0", "2.0.1", "2.1")
CASES = [
    pytest.param(version, name, kind, id=f"{version}-{name}-{kind}")
    for version in VERSIONS
    for name, info in actions(version).items()
    for kind in (("request", "response") if info.response is not None else ("request",))
]
# Each case is one action: keep the example count per case small, the cases cover breadth.
FEW = settings(max_examples=max(3, settings().max_examples // 8))

# The OCA 1.6 security-extension files declare draft-06, under which ``1.0`` is an
# integer; the project applies draft-04 to the whole 1.6 bundle deliberately.
SECURITY_16 = {
    "CertificateSigned", "DeleteCertificate", "ExtendedTriggerMessage",
    "GetInstalledCertificateIds", "GetLog", "InstallCertificate", "LogStatusNotification",
    "SecurityEventNotification", "SignCertificate", "SignedFirmwareStatusNotification",
    "SignedUpdateFirmware",
}  # fmt: skip


def test_case_counts() -> None:
    counts = {v: len(actions(v)) for v in VERSIONS}
    assert counts == {"1.6": 39, "2.0": 67, "2.0.1": 64, "2.1": 91}
    assert actions("2.1")["NotifyPeriodicEventStream"].response is None
    assert sum(1 for v in VERSIONS for a in actions(v).values() if a.response is None) == 1


@pytest.mark.parametrize(("version", "action", "kind"), CASES)
@FEW
@given(data=st.data())
def test_round_trip(version: str, action: str, kind: str, data: st.DataObject) -> None:
    """Needs no reference data: runs in every clone."""
    message = data.draw(messages(version, action, kind), label="message")
    wire = encode_payload(message)
    assert decode_payload(version, action, kind, wire) == message
    assert validate_payload(version, action, kind, wire) == []
    converter = make_converter(version)
    assert converter.unstructure(message) == wire
    assert converter.structure(wire, type(message)) == message


@pytest.mark.parametrize(("version", "action", "kind"), CASES)
@FEW
@given(data=st.data())
def test_encoder_output_meets_the_official_schema(
    official: Any, version: str, action: str, kind: str, data: st.DataObject
) -> None:
    wire = encode_payload(data.draw(messages(version, action, kind), label="message"))
    errors = official.errors(version, action, kind, wire)
    assert errors == [], [e.message for e in errors]


@pytest.mark.parametrize(("version", "action", "kind"), CASES)
@FEW
@given(data=st.data())
def test_official_instances_accepted(
    official: Any, version: str, action: str, kind: str, data: st.DataObject
) -> None:
    _, schema = official.file(version, action, kind)
    # 1.6 is read under draft-04 throughout (the security files say draft-06).
    draft = "draft-04" if version == "1.6" else None
    payload = data.draw(from_schema(schema, draft=draft), label="payload")
    assert official.errors(version, action, kind, payload) == []
    decode_payload(version, action, kind, payload)
    assert validate_payload(version, action, kind, payload) == []


@pytest.mark.parametrize(("version", "action", "kind"), CASES)
@FEW
@given(data=st.data())
def test_mutations_rejected(version: str, action: str, kind: str, data: st.DataObject) -> None:
    """Decoder, reference validator and converter agree (needs no reference data)."""
    bad = data.draw(invalid_payloads(version, action, kind), label="invalid")
    with pytest.raises(PayloadError) as caught:
        decode_payload(version, action, kind, bad.payload)
    error = caught.value
    assert (error.rule, error.code, error.path) == (bad.rule, bad.code, bad.path), bad.description
    reference = validate_payload(version, action, kind, bad.payload)
    assert reference, f"validate_payload accepted {bad.description}"
    assert {(e.rule, e.code) for e in reference} == {(bad.rule, bad.code)}, bad.description
    cls = (
        actions(version)[action].request if kind == "request" else actions(version)[action].response
    )
    with pytest.raises(PayloadError) as structured:
        make_converter(version).structure(bad.payload, cls)
    assert structured.value.rule == bad.rule


@pytest.mark.parametrize(("version", "action", "kind"), CASES)
@FEW
@given(data=st.data())
def test_mutations_rejected_by_the_official_schema(
    official: Any, version: str, action: str, kind: str, data: st.DataObject
) -> None:
    bad = data.draw(invalid_payloads(version, action, kind), label="invalid")
    exempt = (
        version == "1.6"
        and action in SECURITY_16
        and bad.description.startswith("an integral float")
    )
    if not exempt:
        assert official.errors(version, action, kind, bad.payload), bad.description


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("payload", [[], "{}", None, 1, True])
def test_payload_not_an_object(version: str, payload: object) -> None:
    """A payload that is not a JSON object: same rule and code from decoder and validator."""
    expected = payload_error_code(version, PayloadRule.NOT_AN_OBJECT)
    reference = validate_payload(version, "Heartbeat", "request", payload)
    assert [(e.rule, e.code) for e in reference] == [(PayloadRule.NOT_AN_OBJECT, expected)]
    with pytest.raises(PayloadError) as caught:
        decode_payload(version, "Heartbeat", "request", payload)
    assert (caught.value.rule, caught.value.code, caught.value.path) == (
        PayloadRule.NOT_AN_OBJECT,
        expected,
        "$",
    )
