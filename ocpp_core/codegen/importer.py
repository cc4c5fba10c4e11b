"""Build the project's schema bundle for one OCPP version from an OCA release.

``python -m ocpp_core.codegen import-oca DIR [DIR ...] VERSION`` reads the
OCA JSON schema files of a release folder (for 1.6 also the security-extension
folder), and writes ``schemas/ocpp-<VERSION>.json``: one JSON Schema document
in which every message and datatype is defined once under ``$defs``, with
facts only (types, required, enums, lengths, ranges, formats), our own
``$id``, no OCA prose, and the ``x-ocpp-actions`` annotation that says which
side sends each action.

Where two files define a datatype of the same name differently, the import
fails with a :class:`ConflictError` listing every disagreement; the naming
table (:mod:`ocpp_core.codegen.naming`) must then give the variants distinct
names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ocpp_core._schemas import SCHEMA_FACTS
from ocpp_core.codegen import naming
from ocpp_core.codegen.directions import senders_for
from ocpp_core.errors import ConflictError, SchemaImportError

__all__ = ["ConflictError", "SchemaImportError", "build_bundle", "dump_bundle", "import_oca"]

DRAFTS = {
    "1.6": "http://json-schema.org/draft-04/schema#",
    "2.0": "http://json-schema.org/draft-06/schema#",
    "2.0.1": "http://json-schema.org/draft-06/schema#",
    "2.1": "http://json-schema.org/draft-06/schema#",
}
"""The JSON Schema draft of each version's bundle (1.6: draft-04, 2.x: draft-06)."""

# Keywords that carry facts are kept; these annotations are dropped.
_FACTS = SCHEMA_FACTS
_DROPPED = frozenset(
    {"description", "javaType", "comment", "title", "id", "$id", "$schema", "default"}
    | {"additionalItems", "definitions", "tsEnumNames"}
)

JsonObject = dict[str, Any]


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}/{key}: only in {'first' if key in a else 'second'}"
            if a[key] != b[key]:
                return _first_difference(a[key], b[key], f"{path}/{key}")
    if isinstance(a, list) and isinstance(b, list) and a != b:
        return f"{path}: {a!r} != {b!r}"
    return f"{path}: {a!r} != {b!r}"


def message_of(source: str) -> str:
    """Return the message name (``XRequest``/``XResponse``) of an OCA file name."""
    stem = re.sub(r"_v\d+p\d+$", "", source.removesuffix(".json"))
    if stem.endswith(("Request", "Response")):
        return stem
    return stem + "Request"


class _Builder:
    def __init__(self, version: str) -> None:
        self.version = version
        self.defs: dict[str, JsonObject] = {}
        self.origin: dict[str, str] = {}
        self.conflicts: list[str] = []

    def define(self, name: str, schema: JsonObject, source: str) -> JsonObject:
        if name in self.defs:
            if self.defs[name] != schema:
                diff = _first_difference(self.defs[name], schema)
                self.conflicts.append(f"{name}: {self.origin[name]} vs {source} ({diff})")
        else:
            self.defs[name] = schema
            self.origin[name] = source
        return {"$ref": f"#/$defs/{name}"}

    def convert(
        self, node: JsonObject, path: str, file_defs: JsonObject, source: str, *, top: bool = False
    ) -> JsonObject:
        if "$ref" in node:
            match = re.fullmatch(r"#/definitions/(.+)", node["$ref"])
            if match is None:
                raise SchemaImportError(f"{source}: unsupported $ref {node['$ref']!r} at {path}")
            oca_name = match.group(1)
            if oca_name not in file_defs:
                raise SchemaImportError(f"{source}: $ref to missing definition {oca_name!r}")
            name = naming.class_name_for_definition(oca_name, self.version, message_of(source))
            body = self.convert(file_defs[oca_name], f"#{oca_name}", file_defs, source, top=True)
            return self.define(name, body, source)
        unknown = set(node) - set(_FACTS) - _DROPPED
        if unknown:
            raise SchemaImportError(f"{source}: unsupported keywords {sorted(unknown)} at {path}")
        out: JsonObject = {}
        for key in _FACTS:
            if key not in node:
                continue
            value = node[key]
            if key == "properties":
                out[key] = {
                    prop: self.convert(sub, f"{path}.{prop}", file_defs, source)
                    for prop, sub in value.items()
                }
            elif key == "items":
                out[key] = self.convert(value, f"{path}[]", file_defs, source)
            elif key == "additionalProperties":
                # Meaningless on anything but an object (1.6 puts it on string enums).
                if node.get("type") == "object" or "properties" in node:
                    out[key] = value
            elif key == "required":
                out[key] = list(value)
            else:
                out[key] = value
        named = "enum" in out or ("properties" in out and out.get("type", "object") == "object")
        if top or not named:
            return out
        anonymous_name = naming.ANONYMOUS_NAMES.get(self.version, {}).get(path)
        if anonymous_name is None:
            raise SchemaImportError(
                f"{source}: anonymous {'enum' if 'enum' in out else 'object'} at {path} "
                "has no name; add it to the naming table (ocpp_core.codegen.naming)"
            )
        return self.define(anonymous_name, out, source)


def _message_files(folders: Iterable[Path]) -> dict[tuple[str, str], Path]:
    """Map (action, kind) to the file, accepting every OCA file-naming habit."""
    files: dict[tuple[str, str], Path] = {}
    for folder in folders:
        if not folder.is_dir():
            raise SchemaImportError(f"not a folder: {folder}")
        for path in sorted(folder.glob("*.json")):
            stem = re.sub(r"_v\d+p\d+$", "", path.stem)
            if stem.endswith("Response"):
                key = (stem[: -len("Response")], "response")
            elif stem.endswith("Request"):
                key = (stem[: -len("Request")], "request")
            else:
                key = (stem, "request")
            if key in files:
                raise SchemaImportError(f"two files for {key[0]} {key[1]}: {files[key]} and {path}")
            files[key] = path
    if not files:
        raise SchemaImportError("no schema files found")
    return files


def build_bundle(folders: Iterable[Path], version: str) -> JsonObject:
    """Return the bundle for ``version`` built from the OCA files in ``folders``.

    Raises:
        ConflictError: when files define a datatype differently.
        SchemaImportError: for anything else the importer cannot handle.
    """
    if version not in DRAFTS:
        raise SchemaImportError(f"unknown OCPP version {version!r}")
    builder = _Builder(version)
    actions: dict[str, JsonObject] = {}
    drafts: dict[str, str] = {}
    for (action, kind), path in sorted(_message_files(folders).items()):
        try:
            schema = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            raise SchemaImportError(f"{path.name}: cannot read: {exc}") from exc
        message = action + ("Request" if kind == "request" else "Response")
        body = builder.convert(schema, message, schema.get("definitions", {}), path.name, top=True)
        builder.define(message, body, path.name)
        entry = actions.setdefault(action, {})
        entry[kind] = {"$ref": f"#/$defs/{message}"}
        # A file may follow another draft than the version's (the 1.6
        # security extension declares draft-06); the action keeps its own.
        declared = schema.get("$schema", DRAFTS[version])
        if drafts.setdefault(action, declared) != declared:
            raise SchemaImportError(f"{action}: request and response declare different drafts")
    if builder.conflicts:
        raise ConflictError(builder.conflicts)
    for action, entry in actions.items():
        if "request" not in entry:
            raise SchemaImportError(f"{action}: a response without a request")
        try:
            entry["senders"] = list(senders_for(version, action))
        except KeyError:
            raise SchemaImportError(
                f"{action}: not in the direction table (ocpp_core.codegen.directions)"
            ) from None
        entry["confirmed"] = "response" in entry
        if drafts[action] != DRAFTS[version]:
            entry["draft"] = drafts[action]
    return {
        "$schema": DRAFTS[version],
        "$id": f"urn:ocpp-core:schema:{version}",
        "title": f"OCPP {version} messages, as bundled by ocpp_core",
        "x-ocpp-version": version,
        "x-ocpp-actions": {name: actions[name] for name in sorted(actions)},
        "$defs": {name: builder.defs[name] for name in sorted(builder.defs)},
    }


def dump_bundle(bundle: JsonObject) -> str:
    """Serialise a bundle deterministically: stable key order, two-space indent.

    A leaf (an object or array of scalars and scalar arrays) that fits in 100
    columns is written on one line, so a property reads as one line:
    ``"idTag": {"type": "string", "maxLength": 20}``.
    """
    return _dump(bundle, 0) + "\n"


def _dump(value: Any, depth: int) -> str:
    pad = "  " * depth
    if isinstance(value, dict | list):
        leaf = all(
            not isinstance(x, dict | list)
            or (isinstance(x, list) and not any(isinstance(y, dict | list) for y in x))
            for x in (value.values() if isinstance(value, dict) else value)
        )
        if leaf or isinstance(value, list):
            text = json.dumps(value, ensure_ascii=False)
            if len(pad) + len(text) <= 100:
                return text
        if not value:
            return json.dumps(value)
        if isinstance(value, dict):
            items = [f"{pad}  {json.dumps(k, ensure_ascii=False)}: {_dump(v, depth + 1)}"
                     for k, v in value.items()]  # fmt: skip
            return "{\n" + ",\n".join(items) + f"\n{pad}}}"
        items = [f"{pad}  {_dump(v, depth + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


def import_oca(folders: Iterable[Path], version: str, out: Path) -> JsonObject:
    """Build the bundle for ``version`` and write it to ``out``."""
    bundle = build_bundle(folders, version)
    out.write_text(dump_bundle(bundle), encoding="utf-8")
    return bundle
