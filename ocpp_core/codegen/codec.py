"""Emit the decoders and encoders of one version, as Python source, from its model.

This module is pure (no I/O): :mod:`ocpp_core._codecs` imports it to build a
version's codec the first time a class of that version is decoded or
encoded, the way attrs writes ``__init__`` methods at class creation. The
source is not committed; ``python -m ocpp_core.codegen --show-codec VERSION
[CLASS ...]`` prints it for review.

For each class ``C`` of the model the source holds:

* ``_d_C(d, o)``: a straight-line decoder from a wire dict (``o`` is the
  :class:`~ocpp_core.DecodeOptions`);
* ``_w_C(m)``: an encoder to a wire dict that checks every value's type and
  constraints on the way (a message built with wrong types is never encoded);
* ``_i_C_field`` / ``_j_C_field``: the item decoder / encoder of an array of
  scalars or enums.

Names the source uses but does not define are put in the namespace by
:mod:`ocpp_core._codecs`: the runtime helpers of :mod:`ocpp_core._runtime`,
``_C_<Class>`` (the class), ``_E_<Enum>`` (schema value -> member, for
decoding), ``_O_<Enum>`` (every member value -> member, for encoding),
``_A_<Enum>`` (errata aliases), ``_K_<Class>`` (the wire names) and
``_s_<Class>_<attr>`` (the slot setters). Failures are raised as
:class:`~ocpp_core._runtime.DecodeFailure` with the path collected innermost
first; the fast path of every check is an identity test of ``__class__``.
"""

from __future__ import annotations

from collections.abc import Iterable

from ocpp_core.codegen.model import ClassDef, FieldDef, Model, TypeRef

__all__ = [
    "ENUM_ALIASES",
    "ERRATA_MEMBERS",
    "TEXT_COERCIONS",
    "closure",
    "codec_source",
]

ERRATA_MEMBERS: dict[tuple[str, str], dict[str, str]] = {
    ("1.6", "UnitOfMeasure"): {"Hertz": "frequency_units"},
    ("1.6", "TransactionUnitOfMeasure"): {"Hertz": "frequency_units"},
}
"""Enum members the official schemas lack but errata add: ``value -> option``.

The strict decoder never produces them; only the named
:class:`~ocpp_core.DecodeOptions` switch does."""

ENUM_ALIASES: dict[tuple[str, str], dict[str, tuple[str, str]]] = {
    ("1.6", "UnitOfMeasure"): {
        "Hertz": ("frequency_units", "Hertz"),
        "Hz": ("frequency_units", "Hertz"),
    },
    ("1.6", "TransactionUnitOfMeasure"): {
        "Celsius": ("celsius_spellings", "Celcius"),
        "Hertz": ("frequency_units", "Hertz"),
        "Hz": ("frequency_units", "Hertz"),
    },
}
"""Values accepted under an option: ``wire value -> (option, member value)``."""

TEXT_COERCIONS: dict[tuple[str, str, str], str] = {
    ("1.6", "ChangeConfigurationRequest", "value"): "coerce_config_values",
    ("1.6", "KeyValue", "value"): "coerce_config_values",
    ("1.6", "DataTransferRequest", "data"): "data_transfer_json_data",
    ("1.6", "DataTransferResponse", "data"): "data_transfer_json_data",
    ("1.6", "SampledValue", "value"): "numeric_sampled_values",
    ("1.6", "TransactionSampledValue", "value"): "numeric_sampled_values",
}
"""String fields that accept other JSON under an option, read as JSON text."""


def closure(model: Model, names: Iterable[str]) -> list[str]:
    """Return ``names`` and every class their fields reach, sorted."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for f in model.classes[name].fields:
            t = f.type.items if f.type.kind == "array" else f.type
            if t is not None and t.kind == "class":
                assert t.name is not None
                todo.append(t.name)
    return sorted(seen)


def codec_source(model: Model, names: Iterable[str] | None = None) -> str:
    """Return the source of the decoders and encoders of ``names`` (default: every class)."""
    em = _Emitter(model)
    chosen = sorted(model.classes) if names is None else sorted(names)
    parts = ["from __future__ import annotations"]
    for name in chosen:
        c = model.classes[name]
        parts.append(em.decoder(c))
        parts.append(em.encoder(c))
    parts += em.item_fns
    return "\n\n\n".join(parts) + "\n"


class _Emitter:
    def __init__(self, model: Model) -> None:
        self.m = model
        self.v = model.version
        self.item_fns: list[str] = []

    # ------------------------------------------------------------- decoders
    def decoder(self, c: ClassDef) -> str:
        lines = [
            f"def _d_{c.name}(d: Any, o: DecodeOptions) -> _C_{c.name}:",
            "    if d.__class__ is not dict and not isinstance(d, dict):",
            # A message is a whole payload: NOT_AN_OBJECT; a datatype is a field: TYPE.
            f"        raise {'not_a_payload' if c.action is not None else 'not_object'}(d)",
        ]
        if c.fields:
            lines.append("    g = d.get")
        if c.fields or c.open:
            lines.append("    n = 0")
        for f in c.fields:
            lines += self._field_decoder(c, f)
        known = f"_K_{c.name}"
        # Untyped properties (any JSON value) may be null: that is a value.
        untyped = [f.wire for f in c.fields if f.type.kind == "any"]
        nullable = f", {_frozen(untyped)}" if untyped else ""
        if c.open:
            lines.append(
                f"    x_extra = open_extra(d, {known}, o{nullable}) if n != len(d) else None"
            )
        elif c.fields:
            lines.append("    if n != len(d):")
            lines.append(f"        check_extra(d, {known}, o{nullable})")
        else:
            lines.append("    if d:")
            lines.append(f"        check_extra(d, {known}, o)")
        # Build the instance through its slots: the same result as the attrs
        # __init__ (which only sets each slot), at about half the cost.
        lines.append(f"    r = _new(_C_{c.name})")
        for f in c.fields:
            lines.append(f"    _s_{c.name}_{f.attr}(r, x_{f.attr})")
        if c.open:
            lines.append(f"    _s_{c.name}_extra(r, x_extra)")
        lines.append("    return r")
        return "\n".join(lines)

    def _field_decoder(self, c: ClassDef, f: FieldDef) -> list[str]:
        key = repr(f.wire)
        target = f"x_{f.attr}"
        lines = [f"    v = g({key})"]
        if f.type.kind == "any":
            lines += [f"    {target} = v", "    if v is not None:", "        n += 1"]
            return lines
        if f.required:
            lines += ["    if v is None:", f"        raise missing(d, {key})"]
            lines += self._check(c, f, f.type, target, key, "    ")
            lines.append("    n += 1")
        else:
            # An optional field that fails its checks is dropped (with a
            # departure noted) under DecodeOptions.drop_invalid_optional.
            lines += ["    if v is None:", f"        {target} = None", "    else:", "        try:"]
            lines += self._check(c, f, f.type, target, key, "            ")
            lines += [
                "        except DecodeFailure as f:",
                f"            {target} = dropped(f, o, d, {key})",
                "        n += 1",
            ]
        return lines

    def _check(  # noqa: PLR0917 - an internal recursive emitter
        self, c: ClassDef, f: FieldDef, t: TypeRef, target: str, key: str, ind: str
    ) -> list[str]:
        """Lines that check ``v`` against ``t`` and assign the typed value to ``target``.

        Every failure raised carries ``key`` in its path; the container of
        ``v`` is ``d`` (an object or, for array items, the array).
        """
        out: list[str] = []
        if t.kind == "str":
            out.append(f"{ind}if v.__class__ is not str and not isinstance(v, str):")
            coercion = TEXT_COERCIONS.get((self.v, c.name, f.wire))
            if coercion and f.type.kind != "array":
                out.append(f"{ind}    v = coerce_to_text(v, o, {coercion!r}, d, {key})")
            else:
                out.append(f"{ind}    raise fail_type('string', v, {key})")
            out += self._str_rules(t, key, ind)
            out.append(f"{ind}{target} = v")
        elif t.kind == "bool":
            out.append(f"{ind}if v.__class__ is not bool:")
            out.append(f"{ind}    v = bool_from(v, o, d, {key})")
            out.append(f"{ind}{target} = v")
        elif t.kind == "int":
            out.append(f"{ind}if v.__class__ is not int:")
            floats = "True" if self.m.integer_accepts_integral_floats(c.name) else "False"
            out.append(f"{ind}    v = int_from(v, {key}, o, d, {floats})")
            out += self._range(t, key, ind)
            out.append(f"{ind}{target} = v")
        elif t.kind == "float":
            out.append(f"{ind}if v.__class__ is not float and v.__class__ is not int:")
            out.append(f"{ind}    v = number_from(v, o, d, {key})")
            out.append(f"{ind}if not -_INF < v < _INF:")
            out.append(f"{ind}    raise at(fail_number(v, False), {key})")
            out += self._range(t, key, ind)
            out += self._multiple(t, key, ind)
            out.append(f"{ind}{target} = v")
        elif t.kind == "datetime":
            out.append(f"{ind}{target} = parse_datetime(v, o, d, {key})")
        elif t.kind == "enum":
            assert t.name is not None
            aliases = f"_A_{t.name}" if (self.v, t.name) in ENUM_ALIASES else "None"
            out.append(f"{ind}{target} = _E_{t.name}.get(v) if v.__class__ is str else None")
            out.append(f"{ind}if {target} is None:")
            out.append(f"{ind}    {target} = enum_from(v, _E_{t.name}, {aliases}, o, d, {key})")
        elif t.kind == "class":
            assert t.name is not None
            out.append(f"{ind}try:")
            out.append(f"{ind}    {target} = _d_{t.name}(v, o)")
            out.append(f"{ind}except DecodeFailure as f:")
            out.append(f"{ind}    raise at(f, {key}) from None")
        elif t.kind == "array":
            assert t.items is not None
            out.append(f"{ind}if v.__class__ is not list and not isinstance(v, (list, tuple)):")
            out.append(f"{ind}    raise fail_type('array', v, {key})")
            if t.min_items is not None or t.max_items is not None:
                out.append(f"{ind}check_items(v, {t.min_items}, {t.max_items}, {key})")
            item = t.items
            if item.kind == "class":
                assert item.name is not None
                fn = f"_d_{item.name}"
                out.append(f"{ind}try:")
                out.append(f"{ind}    {target} = tuple([{fn}(i, o) for i in v])")
                out.append(f"{ind}except DecodeFailure:")
                out.append(f"{ind}    raise in_array(v, {fn}, o, {key}) from None")
            else:
                fn = f"_i_{c.name}_{f.attr}"
                self.item_fns.append(self._item_decoder(c, f, item, fn))
                out.append(f"{ind}try:")
                out.append(
                    f"{ind}    {target} = tuple([{fn}(i, o, v, j) for j, i in enumerate(v)])"
                )
                out.append(f"{ind}except DecodeFailure as f:")
                out.append(f"{ind}    raise at(f, {key}) from None")
        else:  # pragma: no cover - the model has no other kinds
            raise ValueError(t.kind)
        return out

    def _item_decoder(self, c: ClassDef, f: FieldDef, item: TypeRef, fn: str) -> str:
        lines = [f"def {fn}(v: Any, o: DecodeOptions, d: Any, j: int) -> Any:"]
        lines += self._check(c, f, item, "r", "j", "    ")
        lines.append("    return r")
        return "\n".join(lines)

    def _str_rules(self, t: TypeRef, key: str, ind: str) -> list[str]:
        out = []
        if t.max_length is not None:
            out.append(f"{ind}if len(v) > {t.max_length}:")
            out.append(f"{ind}    raise at(too_long(v, {t.max_length}), {key})")
        if t.min_length is not None:
            out.append(f"{ind}if len(v) < {t.min_length}:")
            out.append(f"{ind}    raise at(too_short(v, {t.min_length}), {key})")
        if t.format == "uri":
            out.append(f"{ind}check_uri(v, {key})")
        return out

    def _range(self, t: TypeRef, key: str, ind: str) -> list[str]:
        out = []
        if t.minimum is not None:
            out.append(f"{ind}if v < {t.minimum!r}:")
            out.append(f"{ind}    raise at(below(v, {t.minimum!r}), {key})")
        if t.maximum is not None:
            out.append(f"{ind}if v > {t.maximum!r}:")
            out.append(f"{ind}    raise at(above(v, {t.maximum!r}), {key})")
        return out

    def _multiple(self, t: TypeRef, key: str, ind: str) -> list[str]:
        if t.multiple_of == 0.1:
            # round(x, 1) is correctly rounded, so it returns x exactly when
            # the shortest decimal of x has at most one fractional digit.
            return [
                f"{ind}if v.__class__ is float and round(v, 1) != v:",
                f"{ind}    raise at(not_multiple(v, 0.1), {key})",
            ]
        if t.multiple_of is not None:
            return [
                f"{ind}if not is_multiple_of(v, {t.multiple_of!r}):",
                f"{ind}    raise at(not_multiple(v, {t.multiple_of!r}), {key})",
            ]
        return []

    # ------------------------------------------------------------- encoders
    def encoder(self, c: ClassDef) -> str:
        lines = [
            f"def _w_{c.name}(m: _C_{c.name}) -> dict[str, Any]:",
            f"    if m.__class__ is not _C_{c.name}:",
            f"        raise wrong_class(m, _C_{c.name})",
        ]
        req = [f for f in c.fields if f.required]
        opt = [f for f in c.fields if not f.required]
        for f in req:
            key = repr(f.wire)
            lines.append(f"    v = m.{f.attr}")
            if f.type.kind != "any":
                lines.append("    if v is None:")
                lines.append(f"        raise out_missing({key})")
            lines += self._out(c, f, f.type, f"x_{f.attr}", key, "    ")
        entries = ", ".join(f"{f.wire!r}: x_{f.attr}" for f in req)
        lines.append(f"    d: dict[str, Any] = {{{entries}}}")
        for f in opt:
            key = repr(f.wire)
            lines.append(f"    v = m.{f.attr}")
            lines.append("    if v is not None:")
            lines += self._out(c, f, f.type, f"d[{key}]", key, "        ")
        if c.open:
            lines.append("    if m.extra:")
            lines.append("        for k, x in m.extra.items():")
            lines.append("            d.setdefault(k, x)")
        lines.append("    return d")
        return "\n".join(lines)

    def _out(  # noqa: PLR0917 - an internal recursive emitter
        self, c: ClassDef, f: FieldDef, t: TypeRef, target: str, key: str, ind: str
    ) -> list[str]:
        """Lines that check attribute ``v`` against ``t`` and put its wire form in ``target``."""
        out: list[str] = []
        if t.kind == "str":
            out.append(f"{ind}if v.__class__ is not str and not isinstance(v, str):")
            out.append(f"{ind}    raise out_type('str', v, {key})")
            out += self._str_rules(t, key, ind)
            out.append(f"{ind}{target} = v")
        elif t.kind == "bool":
            out.append(f"{ind}if v.__class__ is not bool:")
            out.append(f"{ind}    raise out_type('bool', v, {key})")
            out.append(f"{ind}{target} = v")
        elif t.kind == "int":
            out.append(f"{ind}if v.__class__ is not int:")
            out.append(f"{ind}    v = out_int(v, {key})")
            out += self._range(t, key, ind)
            out.append(f"{ind}{target} = v")
        elif t.kind == "float":
            out.append(f"{ind}if v.__class__ is not float and v.__class__ is not int:")
            out.append(f"{ind}    v = out_number(v, {key})")
            out.append(f"{ind}if not -_INF < v < _INF:")
            out.append(f"{ind}    raise at(fail_number(v, False), {key})")
            out += self._range(t, key, ind)
            out += self._multiple(t, key, ind)
            out.append(f"{ind}{target} = v")
        elif t.kind == "datetime":
            out.append(f"{ind}{target} = write_datetime(v, {key})")
        elif t.kind == "enum":
            assert t.name is not None
            out.append(f"{ind}if v.__class__ is not _C_{t.name}:")
            out.append(f"{ind}    out_enum(v, _O_{t.name}, {key})")
            out.append(f"{ind}{target} = v")
        elif t.kind == "class":
            assert t.name is not None
            out.append(f"{ind}try:")
            out.append(f"{ind}    {target} = _w_{t.name}(v)")
            out.append(f"{ind}except DecodeFailure as f:")
            out.append(f"{ind}    raise at(f, {key}) from None")
        elif t.kind == "array":
            assert t.items is not None
            out.append(f"{ind}if v.__class__ is not tuple and not isinstance(v, (tuple, list)):")
            out.append(f"{ind}    raise out_type('tuple', v, {key})")
            if t.min_items is not None or t.max_items is not None:
                out.append(f"{ind}check_items(v, {t.min_items}, {t.max_items}, {key})")
            item = t.items
            if item.kind == "class":
                fn = f"_w_{item.name}"
                out.append(f"{ind}try:")
                out.append(f"{ind}    {target} = [{fn}(i) for i in v]")
                out.append(f"{ind}except DecodeFailure:")
                out.append(f"{ind}    raise out_items(v, {fn}, {key}) from None")
            else:
                fn = f"_j_{c.name}_{f.attr}"
                self.item_fns.append(self._item_encoder(c, f, item, fn))
                out.append(f"{ind}try:")
                out.append(f"{ind}    {target} = [{fn}(i, j) for j, i in enumerate(v)]")
                out.append(f"{ind}except DecodeFailure as f:")
                out.append(f"{ind}    raise at(f, {key}) from None")
        elif t.kind == "any":
            out.append(f"{ind}{target} = v")
        else:  # pragma: no cover - the model has no other kinds
            raise ValueError(t.kind)
        return out

    def _item_encoder(self, c: ClassDef, f: FieldDef, item: TypeRef, fn: str) -> str:
        lines = [f"def {fn}(v: Any, j: int) -> Any:"]
        lines += self._out(c, f, item, "r", "j", "    ")
        lines.append("    return r")
        return "\n".join(lines)


def _frozen(values: Iterable[str]) -> str:
    items = sorted(set(values))
    if not items:
        return "frozenset()"
    return "frozenset({" + ", ".join(repr(v) for v in items) + "})"
