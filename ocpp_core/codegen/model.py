"""The generator's view of a bundle: classes, fields, enums and their constraints.

:func:`load_model` reads one ``schemas/ocpp-<version>.json`` bundle into plain
frozen values that the emitter turns into Python source. Everything the
generated decoder checks is here, so the emitter needs no schema knowledge.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs

from ocpp_core.codegen import naming

__all__ = ["ActionDef", "ClassDef", "EnumDef", "FieldDef", "Model", "TypeRef", "load_model"]

_SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


@attrs.frozen(kw_only=True)
class TypeRef:
    """The type of a field or of an array's items, with its constraints."""

    kind: str
    """One of ``str int float bool datetime enum class array any``."""
    name: str | None = None
    """The enum or class name for ``enum`` / ``class``."""
    items: TypeRef | None = None
    """The item type of an ``array``."""
    max_length: int | None = None
    min_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    multiple_of: float | None = None
    min_items: int | None = None
    max_items: int | None = None
    format: str | None = None

    def describe(self) -> str:
        """Return a short English description of the type and its constraints."""
        words = {
            "str": "string",
            "int": "integer",
            "float": "number",
            "bool": "boolean",
            "datetime": "date-time (aware datetime)",
            "any": "any JSON value",
        }
        if self.kind in {"enum", "class"}:
            text = f":class:`{self.name}`"
        elif self.kind == "array":
            assert self.items is not None
            text = f"array of {self.items.describe()}"
        else:
            text = words[self.kind]
        parts = []
        if self.format == "uri":
            parts.append("a URI")
        if self.max_length is not None:
            parts.append(f"at most {self.max_length} characters")
        if self.min_length is not None:
            parts.append(f"at least {self.min_length} characters")
        if self.minimum is not None:
            parts.append(f"minimum {_num(self.minimum)}")
        if self.maximum is not None:
            parts.append(f"maximum {_num(self.maximum)}")
        if self.multiple_of is not None:
            parts.append(f"a multiple of {_num(self.multiple_of)}")
        if self.min_items is not None:
            parts.append(f"at least {self.min_items} items")
        if self.max_items is not None:
            parts.append(f"at most {self.max_items} items")
        return text + (f" ({', '.join(parts)})" if parts else "")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


@attrs.frozen(kw_only=True)
class FieldDef:
    """One property of an object."""

    wire: str
    """The wire (JSON) name."""
    attr: str
    """The Python attribute name."""
    required: bool
    type: TypeRef


@attrs.frozen(kw_only=True)
class ClassDef:
    """An object schema: a message or a datatype."""

    name: str
    fields: tuple[FieldDef, ...]
    open: bool
    """True when the schema allows properties beyond its own (2.x CustomDataType)."""
    action: str | None = None
    kind: str | None = None
    draft: str = ""
    """The JSON Schema draft of the messages that use this class (``$schema`` URI)."""


@attrs.frozen(kw_only=True)
class EnumDef:
    """An enumeration of strings."""

    name: str
    values: tuple[str, ...]


@attrs.frozen(kw_only=True)
class ActionDef:
    """An action: its request and (if confirmed) response class and its senders."""

    name: str
    request: str
    response: str | None
    senders: tuple[str, ...]


@attrs.frozen(kw_only=True)
class Model:
    """Everything of one version's bundle that the generator needs."""

    version: str
    draft: str
    classes: dict[str, ClassDef]
    enums: dict[str, EnumDef]
    actions: dict[str, ActionDef]

    def integer_accepts_integral_floats(self, name: str) -> bool:
        """Tell whether class ``name`` counts ``1.0`` as an integer.

        Draft-06 and later do; draft-04 does not. The draft is the bundle's,
        or the action's own where the bundle records one (the OCPP 1.6
        security-extension messages follow draft-06).
        """
        return "draft-04" not in (self.classes[name].draft or self.draft)


def _ref_name(node: dict[str, Any]) -> str:
    ref = node["$ref"]
    prefix = "#/$defs/"
    if not ref.startswith(prefix):
        raise ValueError(f"unexpected $ref {ref!r}")
    return str(ref[len(prefix) :])


def _type_of(node: dict[str, Any], defs: dict[str, Any]) -> TypeRef:
    if "$ref" in node:
        name = _ref_name(node)
        target = defs[name]
        return TypeRef(kind="enum" if "enum" in target else "class", name=name)
    json_type = node.get("type")
    if json_type is None:
        return TypeRef(kind="any")
    if json_type == "array":
        return TypeRef(
            kind="array",
            items=_type_of(node.get("items", {}), defs),
            min_items=node.get("minItems"),
            max_items=node.get("maxItems"),
        )
    if json_type == "object":
        return TypeRef(kind="any")
    if "enum" in node:
        raise ValueError("inline enums must be named by the importer")
    kind = _SCALARS[json_type]
    fmt = node.get("format")
    if fmt == "date-time":
        kind = "datetime"
    return TypeRef(
        kind=kind,
        max_length=node.get("maxLength"),
        min_length=node.get("minLength"),
        minimum=node.get("minimum"),
        maximum=node.get("maximum"),
        multiple_of=node.get("multipleOf"),
        format=fmt,
    )


def build_model(bundle: dict[str, Any]) -> Model:
    """Return the model of a bundle already read from JSON."""
    defs: dict[str, Any] = bundle["$defs"]
    message_kinds: dict[str, tuple[str, str]] = {}
    actions: dict[str, ActionDef] = {}
    action_drafts: dict[str, str] = {}
    for action, entry in bundle["x-ocpp-actions"].items():
        request = _ref_name(entry["request"])
        response = _ref_name(entry["response"]) if "response" in entry else None
        message_kinds[request] = (action, "request")
        if response is not None:
            message_kinds[response] = (action, "response")
        actions[action] = ActionDef(
            name=action, request=request, response=response, senders=tuple(entry["senders"])
        )
        for name in (request, response):
            if name is not None:
                action_drafts[name] = entry.get("draft", bundle["$schema"])
    classes: dict[str, ClassDef] = {}
    enums: dict[str, EnumDef] = {}
    for name, node in defs.items():
        if "enum" in node:
            enums[name] = EnumDef(name=name, values=tuple(node["enum"]))
            continue
        required = set(node.get("required", ()))
        fields = []
        attrs_seen: set[str] = set()
        for wire, sub in node.get("properties", {}).items():
            attr = naming.snake_case(wire)
            if attr in attrs_seen or attr in ("extra", "ocpp_meta"):
                raise ValueError(f"{name}: attribute name {attr!r} is taken")
            attrs_seen.add(attr)
            fields.append(
                FieldDef(wire=wire, attr=attr, required=wire in required, type=_type_of(sub, defs))
            )
        # 2.x puts ``customData`` first in every object; it reads better last.
        fields.sort(key=lambda f: f.wire == "customData")
        action, kind = message_kinds.get(name, (None, None))
        classes[name] = ClassDef(
            name=name,
            fields=tuple(fields),
            open=node.get("additionalProperties", True) is not False,
            action=action,
            kind=kind,
        )
    drafts = _class_drafts(classes, action_drafts)
    classes = {name: attrs.evolve(c, draft=drafts.get(name, "")) for name, c in classes.items()}
    return Model(
        version=bundle["x-ocpp-version"],
        draft=bundle["$schema"],
        classes=classes,
        enums=enums,
        actions=actions,
    )


def _class_drafts(classes: dict[str, ClassDef], roots: dict[str, str]) -> dict[str, str]:
    """Give every class the draft of the messages that reach it; refuse a mix."""
    drafts: dict[str, str] = {}
    for root, draft in sorted(roots.items()):
        todo = [root]
        while todo:
            name = todo.pop()
            seen = drafts.get(name)
            if seen == draft:
                continue
            if seen is not None:
                raise ValueError(f"{name} is used by messages of two drafts ({seen}, {draft})")
            drafts[name] = draft
            for f in classes[name].fields:
                t = f.type.items if f.type.kind == "array" else f.type
                if t is not None and t.kind == "class" and t.name is not None:
                    todo.append(t.name)
    return drafts


def load_model(path: Path) -> Model:
    """Read the bundle at ``path`` and return its model."""
    return build_model(json.loads(path.read_text(encoding="utf-8")))
