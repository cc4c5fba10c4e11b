"""The house rules that keep one home for each concern.

* every exception class of ``ocpp_core`` is defined in ``ocpp_core/errors.py``;
* the errors that owe the peer a CallError share one base with ``.code``;
* one map from a version to its generated package (:attr:`OcppVersion.package`);
* one helper that shortens values for error texts and one JSON-path formatter.
"""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import ocpp_core
from ocpp_core import FrameError, OcppError, OcppVersion, PayloadError, RemoteProtocolError
from ocpp_core._text import ECHO_LENGTH, clip, json_path, show
from ocpp_core.rpc import parse_frame

PACKAGE = Path(ocpp_core.__file__).parent
GENERATED = {"v16", "v20", "v201", "v21"}


def _hand_written() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] not in GENERATED
    )


def _exception_classes(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
                if name.endswith(("Error", "Exception", "Signal", "Failure", "Refusal")):
                    found.append(node.name)
    return found


def test_every_exception_class_lives_in_errors_py() -> None:
    elsewhere = {
        str(path.relative_to(PACKAGE)): names
        for path in _hand_written()
        if path.name != "errors.py" and (names := _exception_classes(path))
    }
    assert elsewhere == {}


def test_every_public_error_derives_from_ocpp_error() -> None:
    errors = importlib.import_module("ocpp_core.errors")
    public = [getattr(errors, name) for name in errors.__all__]
    classes = [c for c in public if isinstance(c, type) and issubclass(c, BaseException)]
    assert len(classes) >= 10
    assert all(issubclass(c, OcppError) for c in classes)


def test_errors_owing_a_call_error_share_a_base_with_code() -> None:
    with pytest.raises(PayloadError) as payload:
        ocpp_core.decode_payload("2.0.1", "Heartbeat", "request", {"x": 1})
    with pytest.raises(FrameError) as frame:
        parse_frame("[2,", "2.0.1")
    for error in (payload.value, frame.value):
        assert isinstance(error, RemoteProtocolError)
        assert isinstance(error, ValueError)
        assert error.code is not None
        assert error.version is OcppVersion.V201
        assert error.detail


@pytest.mark.parametrize("version", list(OcppVersion))
def test_version_package_is_the_generated_package(version: OcppVersion) -> None:
    package = importlib.import_module(version.package)
    meta = package.HeartbeatRequest.ocpp_meta
    assert meta.version is version


def test_version_package_names_are_spelled_only_in_versions_py() -> None:
    spelled = {
        str(path.relative_to(PACKAGE))
        for path in _hand_written()
        if path.relative_to(PACKAGE).parts[0] != "codegen"
        and any(f'"ocpp_core.v{n}' in path.read_text(encoding="utf-8") for n in ("1", "2"))
    }
    assert spelled == set()


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=10,
)


@given(_json | st.integers(min_value=10**200))
@example("\x1f\x1f\x1f\x1f\x1f\x07\x07")  # escapes once pushed the text past the bound
@example("\x1f\x1f\x1f\U00010000\U00010000")
def test_show_is_bounded_ascii_and_never_raises(value: object) -> None:
    text = show(value)
    assert len(text) <= ECHO_LENGTH + 2  # the quotes of a string
    assert text.isascii()


@given(st.text(), st.integers(min_value=0, max_value=100))
def test_clip_keeps_short_text_and_bounds_long_text(text: str, limit: int) -> None:
    clipped = clip(text, limit)
    if len(text) <= limit:
        assert clipped == text
    else:
        assert len(clipped) <= max(limit, 3)
        assert clipped.endswith("...")
        assert text.startswith(clipped[:-3])


@given(st.lists(st.text(alphabet="abcXYZ", min_size=1) | st.integers(0, 99), max_size=5))
def test_json_path_matches_payload_error_paths(path: list[str | int]) -> None:
    expected = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    assert json_path(path) == expected
    error = PayloadError(OcppVersion.V16, ocpp_core.PayloadRule.TYPE, "x", path)
    assert error.path == expected


def test_show_writes_strings_as_json() -> None:
    assert json.loads(show('ab"c\n')) == 'ab"c\n'
