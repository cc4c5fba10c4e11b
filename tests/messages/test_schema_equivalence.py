"""Our bundles state the same facts as the official OCA files, for every action and kind.

Both sides are resolved (``$ref`` followed) and reduced to the facts a
validator checks: type, required, enum, maxLength, minLength, minimum, maximum,
multipleOf, minItems, maxItems, format, additionalProperties (on objects) and
the same for properties and items. Annotations (description, javaType, ids)
and the meaningless ``additionalProperties`` on 1.6 string enums are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from ocpp_core import actions
from ocpp_core._schemas import load_bundle
from ocpp_core.strategies import resolve

VERSIONS = ("1.6", "2.0", "2.0.1", "2.1")
CASES = [
    pytest.param(version, name, kind, id=f"{version}-{name}-{kind}")
    for version in VERSIONS
    for name, info in actions(version).items()
    for kind in (("request", "response") if info.response is not None else ("request",))
]
_SCALAR_FACTS = (
    "type", "enum", "maxLength", "minLength", "minimum", "maximum", "multipleOf",
    "minItems", "maxItems", "format",
)  # fmt: skip


def facts(node: Mapping[str, Any], defs: Mapping[str, Any]) -> dict[str, Any]:
    node = resolve(node, defs)
    out: dict[str, Any] = {k: node[k] for k in _SCALAR_FACTS if k in node}
    if "required" in node:
        out["required"] = sorted(node["required"])
    is_object = node.get("type") == "object" or "properties" in node
    if is_object:
        out["additionalProperties"] = node.get("additionalProperties", True)
        out["properties"] = {
            name: facts(sub, defs) for name, sub in node.get("properties", {}).items()
        }
    if "items" in node:
        out["items"] = facts(node["items"], defs)
    return out


@pytest.mark.parametrize(("version", "action", "kind"), CASES)
def test_bundle_states_the_official_facts(
    official: Any, version: str, action: str, kind: str
) -> None:
    bundle = load_bundle(version)
    ours = facts(bundle["x-ocpp-actions"][action][kind], bundle["$defs"])
    _, schema = official.file(version, action, kind)
    theirs = facts(schema, schema.get("definitions", {}))
    assert ours == theirs


def test_every_official_file_is_an_action(official: Any) -> None:
    for version, folders in (("1.6", ("1.6", "1.6-security")), ("2.0", ("2.0",)),
                             ("2.0.1", ("2.0.1",)), ("2.1", ("2.1",))):  # fmt: skip
        names = set()
        for folder in folders:
            names |= {p.stem for p in (official.root / folder).glob("*.json")}
        ours = set()
        for name, info in actions(version).items():
            ours.add(name + "Request")
            if info.response is not None:
                ours.add(name + "Response")
        assert ours == names, version
