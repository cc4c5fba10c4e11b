"""Fixtures of the typed-message tests: the official OCA schemas and their validators."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests._shared import SHARED

OFFICIAL = SHARED / "ocpp-schemas"
FOLDERS = {"1.6": ("1.6", "1.6-security"), "2.0": ("2.0",), "2.0.1": ("2.0.1",), "2.1": ("2.1",)}

_DATE_TIME = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-](\d\d):(\d\d))", re.ASCII
)


def is_rfc3339(value: object) -> bool:
    """An RFC 3339 date-time, offset required (independent of the library's own check)."""
    if not isinstance(value, str):
        return True
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        return False
    if match.group(9) is not None and (int(match.group(9)) > 23 or int(match.group(10)) > 59):
        return False
    try:
        datetime(*(int(match.group(i)) for i in range(1, 7)))
    except ValueError:
        return False
    return True


def is_uri(value: object) -> bool:
    """An RFC 3986 ``URI``, by the rfc3986-validator package (independent of the library)."""
    from rfc3986_validator import validate_rfc3986

    return not isinstance(value, str) or bool(validate_rfc3986(value, rule="URI"))


def require_shared() -> Path:
    """Skip (or, with ``CI`` set, fail) when the reference data is absent."""
    if not OFFICIAL.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"reference data missing in CI: {OFFICIAL}")
        pytest.skip(f"reference data not present: {OFFICIAL}")
    return OFFICIAL


_FILES: dict[tuple[str, str, str], tuple[Path, dict[str, Any]]] = {}


def official_file(version: str, action: str, kind: str) -> tuple[Path, dict[str, Any]]:
    """Return the path and parsed content of the official file of one message."""
    key = (version, action, kind)
    if key not in _FILES:
        root = require_shared()
        name = f"{action}{'Request' if kind == 'request' else 'Response'}.json"
        for folder in FOLDERS[version]:
            path = root / folder / name
            if path.is_file():
                _FILES[key] = (path, json.loads(path.read_text(encoding="utf-8-sig")))
                break
        else:
            pytest.fail(f"no official file for {version} {action} {kind}")
    return _FILES[key]


_VALIDATORS: dict[tuple[str, str, str], Callable[[Any], list[Any]]] = {}


def official_errors(version: str, action: str, kind: str, payload: Any) -> list[Any]:
    """Validate ``payload`` with jsonschema against the official file (its declared draft).

    jsonschema's own FormatChecker checks ``date-time`` (RFC 3339, by the
    rfc3339-validator package) and ``uri`` (RFC 3986, by rfc3986-validator),
    independently of the library's checks. For the
    draft-04 1.6 core files, schema and payload are read with
    ``json.loads(..., parse_float=Decimal)``: with binary floats jsonschema
    rejects valid decimals such as ``21.4`` for ``multipleOf: 0.1`` (erratum E4
    in PROVENANCE.md), the decimal reading is what the erratum requires.
    """
    key = (version, action, kind)
    check = _VALIDATORS.get(key)
    if check is None:
        from jsonschema import FormatChecker, validators

        path, schema = official_file(version, action, kind)
        decimal = path.parent.name == "1.6"
        if decimal:
            schema = json.loads(path.read_text(encoding="utf-8-sig"), parse_float=Decimal)
        checker = FormatChecker(formats=("date-time", "uri"))
        assert set(checker.checkers) == {"date-time", "uri"}, "install the test extra"
        cls = validators.validator_for(schema)
        validator = cls(schema, format_checker=checker)

        def check(value: Any, _v: Any = validator, _d: bool = decimal) -> list[Any]:
            if _d:
                value = json.loads(json.dumps(value), parse_float=Decimal)
            return list(_v.iter_errors(value))

        _VALIDATORS[key] = check
    return check(payload)


@pytest.fixture
def shared() -> Path:
    """The ``ocpp-schemas`` folder of the reference data."""
    return require_shared()


@pytest.fixture(scope="session")
def official() -> Any:
    """Access to the official files: ``.file(v, a, k)``, ``.errors(v, a, k, payload)``."""
    from types import SimpleNamespace

    require_shared()
    return SimpleNamespace(
        root=OFFICIAL, file=official_file, errors=official_errors, is_rfc3339=is_rfc3339
    )
