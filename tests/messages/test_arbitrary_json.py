"""Arbitrary JSON into ``decode_payload``: only ``PayloadError`` escapes, and the
decoder and the jsonschema reference (``validate_payload``) agree on accept/reject.

The payloads are JSON objects whose keys are mostly the message's own property
names (so that the checks past the first level are reached) with arbitrary
JSON values, plus arbitrary non-object payloads.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ocpp_core import PayloadError, actions, decode_payload, validate_payload
from ocpp_core._schemas import load_bundle

VERSIONS = ["1.6", "2.0", "2.0.1", "2.1"]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-01T00:00:00", "Accepted", "A", "1.0"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, str, str, Any]:
    version = draw(st.sampled_from(VERSIONS))
    action = draw(st.sampled_from(sorted(actions(version))))
    info = actions(version)[action]
    kind = draw(st.sampled_from(["request", "response"] if info.response else ["request"]))
    bundle = load_bundle(version)
    ref = bundle["x-ocpp-actions"][action][kind]["$ref"].rsplit("/", 1)[1]
    names = sorted(bundle["$defs"][ref].get("properties", {}))
    keys = st.sampled_from(names) | st.text(max_size=8) if names else st.text(max_size=8)
    payload = draw(st.dictionaries(keys, json_values, max_size=6) | json_values)
    return version, action, kind, payload


@settings(max_examples=400)
@given(cases())
def test_decoder_and_reference_agree_on_arbitrary_json(case: tuple[str, str, str, Any]) -> None:
    version, action, kind, payload = case
    errors = validate_payload(version, action, kind, payload)
    failure: PayloadError | None = None
    try:
        decode_payload(version, action, kind, payload)
    except PayloadError as error:
        failure = error
    if failure is None:
        assert not errors, f"decoder accepted what jsonschema rejects: {errors[0]}"
    else:
        assert errors, f"decoder rejected ({failure}) what jsonschema accepts"
        assert failure.code in {e.code for e in errors}
