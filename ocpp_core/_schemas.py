"""Access to the schema bundles shipped with the package (``schemas/``).

In a wheel the bundles are package data (``ocpp_core/schemas/``); in a source
checkout they are the top-level ``schemas/`` folder. Reading them is the only
file access of the library, and it happens only for :func:`validate_payload`
and the Hypothesis strategies, never on the decode/encode path.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from ocpp_core.versions import OcppVersion, VersionLike

__all__ = ["SCHEMA_FACTS", "load_bundle"]

SCHEMA_FACTS = (
    "type",
    "enum",
    "format",
    "maxLength",
    "minLength",
    "minimum",
    "maximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "items",
    "properties",
    "required",
    "additionalProperties",
)
"""The JSON Schema keywords that carry facts in the bundles (besides ``$ref``).

The importer keeps exactly these from the OCA files; the strategies support
exactly these."""

_BUNDLES: dict[str, dict[str, Any]] = {}


def _read(name: str) -> str:
    packaged = resources.files("ocpp_core").joinpath("schemas", name)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = Path(__file__).resolve().parents[1] / "schemas" / name
    return checkout.read_text(encoding="utf-8")


def load_bundle(version: VersionLike) -> dict[str, Any]:
    """Return the project's JSON Schema bundle of ``version`` (read once, then shared).

    The returned document must not be modified.
    """
    parsed = OcppVersion.parse(version)
    bundle = _BUNDLES.get(parsed.value)
    if bundle is None:
        bundle = json.loads(_read(f"ocpp-{parsed.value}.json"))
        _BUNDLES[parsed.value] = bundle
    return bundle
