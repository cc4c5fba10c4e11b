"""The code generator, the importer and the naming table."""

from __future__ import annotations

import concurrent.futures
import copy
import difflib
import json
import keyword
import sys
import types
from pathlib import Path
from typing import Any

import attrs
import pytest

from ocpp_core import OcppVersion, PayloadRule, actions
from ocpp_core._codecs import Codec
from ocpp_core._runtime import STRICT, DecodeFailure, DecodeOptions
from ocpp_core.codegen import naming
from ocpp_core.codegen.__main__ import ROOT, expected_files
from ocpp_core.codegen.codec import codec_source
from ocpp_core.codegen.generator import generate
from ocpp_core.codegen.importer import ConflictError, SchemaImportError, build_bundle, dump_bundle
from ocpp_core.codegen.model import build_model

VERSIONS = ("1.6", "2.0", "2.0.1", "2.1")
FOLDERS = {"1.6": ("1.6", "1.6-security"), "2.0": ("2.0",), "2.0.1": ("2.0.1",), "2.1": ("2.1",)}

# --- golden tests on a tiny hand-written bundle ------------------------------------------
TINY: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "x-ocpp-version": "1.6",
    "x-ocpp-actions": {
        "Heartbeat": {
            "request": {"$ref": "#/$defs/HeartbeatRequest"},
            "response": {"$ref": "#/$defs/HeartbeatResponse"},
            "senders": ["ChargingStation"],
            "confirmed": True,
        }
    },
    "$defs": {
        "HeartbeatRequest": {
            "type": "object",
            "properties": {
                "count": {"type": "integer", "minimum": 0, "maximum": 10},
                "label": {"type": "string", "maxLength": 5},
                "level": {"$ref": "#/$defs/LevelKind"},
                "limit": {"type": "number", "multipleOf": 0.1},
                "slots": {"type": "array", "minItems": 1, "maxItems": 2,
                          "items": {"$ref": "#/$defs/Slot"}},
            },
            "required": ["count"],
            "additionalProperties": False,
        },
        "HeartbeatResponse": {
            "type": "object",
            "properties": {"currentTime": {"type": "string", "format": "date-time"}},
            "required": ["currentTime"],
            "additionalProperties": False,
        },
        "LevelKind": {"type": "string", "enum": ["Low", "HighEnd"]},
        "Slot": {
            "type": "object",
            "properties": {"startAt": {"type": "integer"}},
            "required": ["startAt"],
            "additionalProperties": False,
        },
    },
}  # fmt: skip


GOLDEN = Path(__file__).parent / "golden"
"""The whole expected output of the generator for :data:`TINY` (one file per output)."""


def _golden_outputs() -> dict[str, str]:
    model = build_model(TINY)
    files = {f"{name}.golden": text for name, text in generate(model).items()}
    files["v16/codec.py.golden"] = codec_source(model)
    return files


def test_golden_outputs() -> None:
    """Every output for the tiny bundle equals its golden file, whole (regenerate: see below)."""
    outputs = _golden_outputs()
    assert sorted(p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*.golden")) == sorted(
        outputs
    )
    for name, text in outputs.items():
        expected = (GOLDEN / name).read_text(encoding="utf-8")
        if text != expected:
            diff = "".join(
                difflib.unified_diff(
                    expected.splitlines(True), text.splitlines(True), name, "generated"
                )
            )
            pytest.fail(f"{name} differs from the generator's output:\n{diff}")


def _load_generated(bundle: dict[str, Any], package: str) -> types.SimpleNamespace:
    """Execute the generated sources under a private package name; build their codec."""
    model = build_model(bundle)
    files = generate(model)
    real = "ocpp_core." + "v" + model.version.replace(".", "")
    modules: dict[str, types.ModuleType] = {}
    parent = types.ModuleType(package)
    parent.__path__ = []
    sys.modules[package] = parent
    try:
        for name in ("enums", "datatypes", "messages"):
            source = files[f"{real.split('.')[1]}/{name}.py"].replace(real, package)
            module = types.ModuleType(f"{package}.{name}")
            sys.modules[module.__name__] = module
            setattr(parent, name, module)
            exec(compile(source, f"<generated {name}>", "exec"), module.__dict__)
            modules[name] = module
    finally:
        for key in [k for k in sys.modules if k == package or k.startswith(package + ".")]:
            del sys.modules[key]
    codec = Codec(
        OcppVersion(model.version),
        model=model,
        modules=(modules["enums"], modules["datatypes"], modules["messages"]),
    )
    return types.SimpleNamespace(files=files, codec=codec, **modules)


def _decode(gen: types.SimpleNamespace, payload: Any, options: DecodeOptions = STRICT) -> Any:
    decoder = gen.codec.request_decoder("Heartbeat")
    assert decoder is not None
    return decoder(payload, options)


def _rule(gen: types.SimpleNamespace, payload: Any) -> tuple[PayloadRule, list[str | int]]:
    with pytest.raises(DecodeFailure) as caught:
        _decode(gen, payload)
    return caught.value.rule, caught.value.path[::-1]


def test_golden_behaviour_draft04() -> None:
    gen = _load_generated(copy.deepcopy(TINY), "_golden_v16")
    msg = _decode(gen, {"count": 3, "level": "HighEnd", "limit": 21.4, "slots": [{"startAt": 0}]})
    assert msg.count == 3
    assert msg.level is gen.enums.LevelKind.HIGH_END
    assert msg.slots == (gen.datatypes.Slot(start_at=0),)
    assert gen.codec.encoder(type(msg))(msg) == {
        "count": 3, "level": "HighEnd", "limit": 21.4, "slots": [{"startAt": 0}]}  # fmt: skip
    assert _rule(gen, {"count": 1.0}) == (PayloadRule.TYPE, ["count"])
    assert _rule(gen, {"count": True}) == (PayloadRule.TYPE, ["count"])
    assert _rule(gen, {"count": 11}) == (PayloadRule.MAXIMUM, ["count"])
    assert _rule(gen, {"count": -1}) == (PayloadRule.MINIMUM, ["count"])
    assert _rule(gen, {"count": 1, "label": "abcdef"}) == (PayloadRule.MAX_LENGTH, ["label"])
    assert _rule(gen, {"count": 1, "level": "Mid"}) == (PayloadRule.ENUM, ["level"])
    assert _rule(gen, {"count": 1, "limit": 0.05}) == (PayloadRule.MULTIPLE_OF, ["limit"])
    assert _rule(gen, {"count": 1, "slots": []}) == (PayloadRule.MIN_ITEMS, ["slots"])
    assert _rule(gen, {"count": 1, "slots": [{"startAt": 1}] * 3}) == (
        PayloadRule.MAX_ITEMS, ["slots"])  # fmt: skip
    assert _rule(gen, {"count": 1, "slots": [{"startAt": 1}, {}]}) == (
        PayloadRule.REQUIRED, ["slots", 1])  # fmt: skip
    assert _rule(gen, {}) == (PayloadRule.REQUIRED, [])
    assert _rule(gen, {"count": 1, "x": 1}) == (PayloadRule.UNKNOWN_PROPERTY, ["x"])
    lenient = _decode(gen, {"count": 1, "x": 1}, DecodeOptions(ignore_unknown_properties=True))
    assert lenient.count == 1


def test_golden_behaviour_draft06() -> None:
    bundle = copy.deepcopy(TINY)
    bundle["$schema"] = "http://json-schema.org/draft-06/schema#"
    bundle["x-ocpp-version"] = "2.0.1"
    gen = _load_generated(bundle, "_golden_v201")
    msg = _decode(gen, {"count": 1.0})
    assert msg.count == 1
    assert type(msg.count) is int
    assert _rule(gen, {"count": 1.5}) == (PayloadRule.TYPE, ["count"])


def test_generated_code_is_in_step_with_the_schemas() -> None:
    """What ``python -m ocpp_core.codegen --check`` checks."""
    drift = [
        path.relative_to(ROOT).as_posix()
        for path, text in expected_files().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert drift == []


@pytest.mark.parametrize("version", VERSIONS)
def test_every_codec_compiles_against_the_committed_classes(version: str) -> None:
    """The other half of ``--check``: the functions written at first use fit the classes."""
    codec = Codec(OcppVersion(version))
    codec.compile_all()
    assert set(codec.DECODERS) == set(codec.ENCODERS) == set(codec.names)
    assert set(codec.REQUEST_DECODERS) == set(codec.ACTIONS)


def test_threads_compiling_at_once_get_whole_decoders() -> None:
    """Compiled at first use from many threads, every decoder finds its helpers."""
    codec = Codec(OcppVersion("2.0.1"))
    actions = sorted(codec.ACTIONS)
    options = STRICT

    def decode_all(offset: int) -> list[str]:
        outcomes = []
        for action in actions[offset:] + actions[:offset]:
            decoder = codec.request_decoder(action)
            assert decoder is not None
            try:
                decoder({}, options)
            except DecodeFailure as failure:
                outcomes.append(f"{action}: {failure.rule} at {failure.path[::-1]}")
            else:
                outcomes.append(f"{action}: ok")
        return sorted(outcomes)

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(decode_all, range(0, len(actions), max(1, len(actions) // 8))))
    # Every thread saw the same outcome for every action (no NameError midway).
    assert all(result == results[0] for result in results)
    assert len(results[0]) == len(actions)
    assert set(codec.REQUEST_DECODERS) == set(actions)


def test_a_class_out_of_step_with_the_schema_is_named() -> None:
    bundle = copy.deepcopy(TINY)
    bundle["$defs"]["Slot"]["properties"]["endAt"] = {"type": "integer"}
    gen = _load_generated(copy.deepcopy(TINY), "_golden_step")
    stale = Codec(
        OcppVersion("1.6"),
        model=build_model(bundle),
        modules=(gen.enums, gen.datatypes, gen.messages),
    )
    with pytest.raises(RuntimeError, match=r"Slot is out of step with schemas/ocpp-1.6.json"):
        stale.request_decoder("Heartbeat")


# --- the importer -------------------------------------------------------------------------
@pytest.mark.parametrize("version", VERSIONS)
def test_importer_rebuilds_the_committed_bundle(official_root: Path, version: str) -> None:
    folders = [official_root / name for name in FOLDERS[version]]
    rebuilt = dump_bundle(build_bundle(folders, version))
    committed = (ROOT / "schemas" / f"ocpp-{version}.json").read_text(encoding="utf-8")
    assert rebuilt == committed


class _Recording(dict[str, str]):
    def __init__(self, table: dict[str, str]) -> None:
        super().__init__(table)
        self.used: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        if key in self:
            self.used.add(key)
        return super().get(key, default)


def test_every_naming_entry_is_used(official_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    v16, v20 = _Recording(naming.V16_NAMES), _Recording(naming.V20_NAMES)
    monkeypatch.setattr(naming, "ANONYMOUS_NAMES", {"1.6": v16, "2.0": v20})
    build_bundle([official_root / "1.6", official_root / "1.6-security"], "1.6")
    build_bundle([official_root / "2.0"], "2.0")
    assert set(naming.V16_NAMES) - v16.used == set()
    assert set(naming.V20_NAMES) - v20.used == set()


def _write(folder: Path, name: str, schema: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(schema), encoding="utf-8")


def test_importer_names_a_missing_anonymous_type(tmp_path: Path) -> None:
    schema = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
              "properties": {"mood": {"type": "string", "enum": ["Happy", "Sad"]}},
              "additionalProperties": False}  # fmt: skip
    _write(tmp_path / "oca", "HeartbeatRequest.json", schema)
    with pytest.raises(SchemaImportError) as caught:
        build_bundle([tmp_path / "oca"], "1.6")
    text = str(caught.value)
    assert "HeartbeatRequest.json" in text
    assert "HeartbeatRequest.mood" in text
    assert "naming table" in text


def test_importer_reports_conflicting_definitions(tmp_path: Path) -> None:
    def message(max_length: int) -> dict[str, Any]:
        return {"$schema": "http://json-schema.org/draft-06/schema#",
                "definitions": {"IdTokenType": {"type": "object", "properties": {
                    "idToken": {"type": "string", "maxLength": max_length}},
                    "required": ["idToken"], "additionalProperties": False}},
                "type": "object", "properties": {"idToken": {"$ref": "#/definitions/IdTokenType"}},
                "required": ["idToken"], "additionalProperties": False}  # fmt: skip

    _write(tmp_path / "oca", "AuthorizeRequest.json", message(36))
    _write(tmp_path / "oca", "ReserveNowRequest.json", message(20))
    with pytest.raises(ConflictError) as caught:
        build_bundle([tmp_path / "oca"], "2.0.1")
    assert len(caught.value.conflicts) == 1
    line = caught.value.conflicts[0]
    assert line.startswith("IdToken: AuthorizeRequest.json vs ReserveNowRequest.json")
    assert "maxLength" in line
    assert "36" in line
    assert "20" in line


def test_importer_rejects_unknown_keywords(tmp_path: Path) -> None:
    pattern = {"type": "object", "properties": {"x": {"type": "string", "pattern": "a+"}}}
    _write(tmp_path / "oca", "HeartbeatRequest.json", pattern)
    with pytest.raises(SchemaImportError, match="pattern"):
        build_bundle([tmp_path / "oca"], "2.0.1")
    with pytest.raises(SchemaImportError, match="unknown OCPP version"):
        build_bundle([tmp_path / "oca"], "3.0")
    with pytest.raises(SchemaImportError, match="not a folder"):
        build_bundle([tmp_path / "missing"], "2.0.1")


# --- naming rules ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("wire", "attr"),
    [
        ("chargePointVendor", "charge_point_vendor"), ("idTag", "id_tag"),
        ("responderURL", "responder_url"), ("evseId", "evse_id"), ("EVSE", "evse"),
        ("15118SchemaVersion", "iso15118_schema_version"),
        ("prioritizedEMAIDs", "prioritized_emaids"),
        ("fullSoC", "full_soc"), ("stateOfHealth", "state_of_health"), ("type", "type"),
        ("limit_L2", "limit_l2"), ("evMaxV2XEnergyRequest", "ev_max_v2x_energy_request"),
        ("from", "from_"), ("match", "match"), ("case", "case"),
    ],
)  # fmt: skip
def test_snake_case(wire: str, attr: str) -> None:
    assert naming.snake_case(wire) == attr


def test_snake_case_does_not_depend_on_the_python_version(monkeypatch: pytest.MonkeyPatch) -> None:
    """Generated names must be the same whichever Python runs the generator.

    Python 3.12 made ``type`` a soft keyword; ``snake_case`` appends ``_`` to soft
    keywords, so generating under 3.12 would rename every ``type`` field to
    ``type_`` (API change and ``--check`` drift). Simulate 3.12's keyword table.
    """
    monkeypatch.setattr(
        naming.keyword, "issoftkeyword", frozenset({"_", "case", "match", "type"}).__contains__
    )
    assert naming.snake_case("type") == "type"


def test_snake_case_without_a_rule() -> None:
    with pytest.raises(ValueError, match="FIELD_OVERRIDES"):
        naming.snake_case("123")


@pytest.mark.parametrize(
    ("value", "member"),
    [
        ("Energy.Active.Import.Register", "ENERGY_ACTIVE_IMPORT_REGISTER"), ("L1-N", "L1_N"),
        ("kWh", "KWH"), ("kvarh", "KVARH"), ("EVDisconnected", "EV_DISCONNECTED"),
        ("ISO15118-2", "ISO15118_2"), ("eMAID", "EMAID"), ("3", "V3"), ("Celcius", "CELCIUS"),
        ("SoC", "SOC"), ("None", "NONE"), ("Accepted", "ACCEPTED"),
    ],
)  # fmt: skip
def test_enum_member_name(value: str, member: str) -> None:
    assert naming.enum_member_name(value) == member


def test_enum_member_name_without_letters() -> None:
    with pytest.raises(ValueError, match="no member name"):
        naming.enum_member_name("--")


@pytest.mark.parametrize("version", VERSIONS)
def test_attribute_names_are_identifiers(version: str) -> None:
    package = __import__("ocpp_core.v" + version.replace(".", ""), fromlist=["__all__"])
    for name in package.__all__:
        cls = getattr(package, name)
        assert name.isidentifier()
        assert not keyword.iskeyword(name)
        if attrs.has(cls):
            for field in attrs.fields(cls):
                assert field.name.isidentifier(), (name, field.name)
                assert not keyword.iskeyword(field.name), (name, field.name)
        else:
            for member in cls:
                assert member.name.isidentifier()
                assert not keyword.iskeyword(member.name)
    assert len(actions(version)) > 0


def test_show_codec_prints_the_functions_of_the_classes_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from ocpp_core.codegen.__main__ import main
    from ocpp_core.codegen.codec import closure
    from ocpp_core.codegen.model import load_model

    assert main(["--show-codec", "1.6", "AuthorizeResponse"]) == 0
    model = load_model(ROOT / "schemas" / "ocpp-1.6.json")
    expected = codec_source(model, closure(model, ["AuthorizeResponse"]))
    assert capsys.readouterr().out == expected
    assert main(["--show-codec", "1.6", "NoSuchClass"]) == 1
    assert "no class NoSuchClass" in capsys.readouterr().err


def test_without_ruff_the_check_compares_syntax_trees_and_writing_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without ruff anywhere the drift check still runs; regenerating exits 2 in one line."""
    import importlib.util
    import shutil

    from ocpp_core.codegen import __main__ as cli

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    assert cli.main(["--check"]) == 0
    out = capsys.readouterr().out
    assert "comparing syntax trees (formatting not checked)" in out
    assert "in step with schemas/" in out
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert "ruff" in err
    assert "Traceback" not in err


def test_same_content_ignores_formatting_and_import_order_but_not_code() -> None:
    from ocpp_core.codegen.__main__ import same_content

    generated = (
        "from typing import ClassVar\nfrom typing import Any\nimport attrs\n"
        'class A:\n    """One\n       thing."""\n    x: Any = (1)\n'
    )
    formatted = (
        "from typing import Any, ClassVar\n\nimport attrs\n\n\n"
        'class A:\n    """One\n    thing."""\n\n    x: Any = 1\n'
    )
    assert same_content(generated, formatted)
    assert not same_content(generated, formatted.replace("x: Any = 1", "x: Any = 2"))
    assert not same_content(generated, formatted.replace("ClassVar", "Final"))
    assert not same_content(generated, formatted.replace("One", "Two"))
    assert not same_content(generated, "class A:\n  x = (")


def test_drift_check_uses_ruff_on_the_path_when_not_importable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util
    import shutil

    from ocpp_core.codegen import __main__ as cli

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: "ruff-found-on-path")
    assert cli._ruff() == ["ruff-found-on-path"]


if __name__ == "__main__":
    # Rewrite the golden files after a deliberate change of the generator:
    # python -m tests.codegen.test_codegen (then review the diff).
    for name, text in _golden_outputs().items():
        (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
        (GOLDEN / name).write_text(text, encoding="utf-8")
