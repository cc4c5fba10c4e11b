"""Decoders and encoders of each version, written at first use from the bundled schema.

Theory of operation. The typed classes of a version (``ocpp_core.vXY``) are
generated and committed; their decoders and encoders are not. They are
straight-line Python functions, one pair per class, written by
:mod:`ocpp_core.codegen.codec` from the same schema bundle the classes come
from, compiled with :func:`compile` and kept for the life of the process, as
attrs writes the ``__init__`` of a class. A :class:`Codec` compiles the
functions of a class, and of every class its fields reach, the first time
any of them is asked for, so a program that speaks five actions compiles
five small trees and never the whole version. Once compiled, a decoder is
the same code the committed modules used to hold, at the same speed.

The compiled source is registered with :mod:`linecache`, so tracebacks show
it; ``python -m ocpp_core.codegen --show-codec VERSION [CLASS ...]`` prints
it. The generator (:mod:`ocpp_core.codegen.model`, ``naming`` and ``codec``)
is pure: reading the bundle, which is package data, is the only file access.
"""

from __future__ import annotations

import importlib
import linecache
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

import attrs

from ocpp_core import _runtime
from ocpp_core._schemas import load_bundle
from ocpp_core.versions import OcppVersion, VersionLike

if TYPE_CHECKING:
    from ocpp_core.codegen.model import Model

__all__ = ["Codec", "codec", "package_of"]

Decoder = Callable[[Any, _runtime.DecodeOptions], Any]
Encoder = Callable[[Any], dict[str, Any]]

_HELPERS = (
    "DecodeFailure",
    "DecodeOptions",
    "above",
    "at",
    "below",
    "bool_from",
    "check_extra",
    "check_items",
    "check_uri",
    "coerce_to_text",
    "dropped",
    "enum_from",
    "fail_number",
    "fail_type",
    "in_array",
    "int_from",
    "is_multiple_of",
    "missing",
    "not_a_payload",
    "not_multiple",
    "not_object",
    "number_from",
    "open_extra",
    "out_enum",
    "out_int",
    "out_items",
    "out_missing",
    "out_number",
    "out_type",
    "parse_datetime",
    "too_long",
    "too_short",
    "write_datetime",
    "wrong_class",
)


class Codec:
    """The decoders and encoders of one version, compiled class by class on demand.

    The tables are plain dicts filled as classes are compiled; the hot path
    reads them with ``dict.get`` and calls :meth:`request_decoder`,
    :meth:`response_decoder` or :meth:`encoder` only on a miss.
    """

    def __init__(
        self,
        version: OcppVersion,
        *,
        model: Model | None = None,
        modules: tuple[ModuleType, ModuleType, ModuleType] | None = None,
    ) -> None:
        """Prepare the codec of ``version``.

        Args:
            version: the version.
            model: the model to write the functions from (default: the
                bundled schema's).
            modules: the ``enums``, ``datatypes`` and ``messages`` modules of
                the classes (default: the version's generated package).
        """
        from ocpp_core.codegen.codec import ENUM_ALIASES, ERRATA_MEMBERS  # noqa: PLC0415
        from ocpp_core.codegen.model import build_model  # noqa: PLC0415

        self.version = version
        self.model = model if model is not None else build_model(load_bundle(version))
        if modules is None:
            package = version.package
            modules = (
                importlib.import_module(package + ".enums"),
                importlib.import_module(package + ".datatypes"),
                importlib.import_module(package + ".messages"),
            )
        self._e, self._t, self._m = modules
        self.classes: dict[str, type] = {
            name: getattr(self._m if c.action is not None else self._t, name)
            for name, c in self.model.classes.items()
        }
        self.names: dict[type, str] = {cls: name for name, cls in self.classes.items()}
        self.ACTIONS: dict[str, tuple[type, type | None, tuple[str, ...]]] = {
            name: (
                self.classes[a.request],
                self.classes[a.response] if a.response else None,
                a.senders,
            )
            for name, a in sorted(self.model.actions.items())
        }
        """Every action: request class, response class (or None), senders."""
        self.REQUEST_DECODERS: dict[str, Decoder] = {}
        """The decoders compiled so far, by action (requests)."""
        self.RESPONSE_DECODERS: dict[str, Decoder] = {}
        """The decoders compiled so far, by action (responses)."""
        self.DECODERS: dict[type, Decoder] = {}
        """The decoders compiled so far, by class."""
        self.ENCODERS: dict[type, Encoder] = {}
        """The encoders compiled so far, by class."""
        ns: dict[str, Any] = {name: getattr(_runtime, name) for name in _HELPERS}
        ns.update(Any=Any, _INF=float("inf"), _new=object.__new__)
        for name, e in self.model.enums.items():
            cls = getattr(self._e, name)
            ns[f"_C_{name}"] = cls
            ns[f"_O_{name}"] = {m.value: m for m in cls}
            extra = ERRATA_MEMBERS.get((version.value, name), {})
            ns[f"_E_{name}"] = {m.value: m for m in cls if m.value not in extra}
            aliases = ENUM_ALIASES.get((version.value, name))
            if aliases:
                ns[f"_A_{name}"] = {
                    value: (option, cls(target)) for value, (option, target) in aliases.items()
                }
            if tuple(v for v in ns[f"_E_{name}"]) != e.values:
                raise _out_of_step(version, name)
        self._ns = ns

    # --------------------------------------------------------------- lookups
    def request_decoder(self, action: str) -> Decoder | None:
        """Return the decoder of ``action``'s request, or ``None`` if there is no such action."""
        entry = self.model.actions.get(action) if isinstance(action, str) else None
        if entry is None:
            return None
        decoder = self._decoder(entry.request)
        self.REQUEST_DECODERS[action] = decoder
        return decoder

    def response_decoder(self, action: str) -> Decoder | None:
        """Return the decoder of ``action``'s response, or ``None`` if there is none."""
        entry = self.model.actions.get(action) if isinstance(action, str) else None
        if entry is None or entry.response is None:
            return None
        decoder = self._decoder(entry.response)
        self.RESPONSE_DECODERS[action] = decoder
        return decoder

    def decoder(self, cls: type) -> Decoder | None:
        """Return the decoder of a generated class of this version, or ``None``."""
        name = self.names.get(cls)
        return None if name is None else self._decoder(name)

    def encoder(self, cls: type) -> Encoder | None:
        """Return the encoder of a generated class of this version, or ``None``."""
        name = self.names.get(cls)
        if name is None:
            return None
        self._compile(name)
        encoder: Encoder = self._ns[f"_w_{name}"]
        return encoder

    def compile_all(self) -> None:
        """Compile every class of the version (the drift check and the tests use this)."""
        self._compile(*self.model.classes)
        for action in self.model.actions:
            self.request_decoder(action)
            self.response_decoder(action)

    def _decoder(self, name: str) -> Decoder:
        self._compile(name)
        decoder: Decoder = self._ns[f"_d_{name}"]
        return decoder

    def _compile(self, *names: str) -> None:
        from ocpp_core.codegen.codec import closure, codec_source  # noqa: PLC0415

        todo = [n for n in closure(self.model, names) if f"_d_{n}" not in self._ns]
        if not todo:
            return
        # The new functions are defined in a copy of the namespace (it holds
        # everything they call: the closure of ``names``) and published in one
        # ``dict.update``. Another thread that compiles at the same time never sees
        # a decoder whose helpers are not defined yet; at worst both compile.
        ns = dict(self._ns)
        for name in todo:
            cls = self.classes[name]
            c = self.model.classes[name]
            slots = [f.attr for f in c.fields] + (["extra"] if c.open else [])
            if [a.name for a in attrs.fields(cls)] != slots:
                raise _out_of_step(self.version, name)
            ns[f"_C_{name}"] = cls
            ns[f"_K_{name}"] = frozenset(f.wire for f in c.fields)
            for attr in slots:
                ns[f"_s_{name}_{attr}"] = cls.__dict__[attr].__set__
        source = codec_source(self.model, todo)
        filename = (
            f"<ocpp_core {self.version.value} codec: {todo[0]}{'...' if len(todo) > 1 else ''}>"
        )
        code = compile(source, filename, "exec")
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(code, ns)
        self._ns.update({key: value for key, value in ns.items() if key not in self._ns})
        for name in todo:
            cls = self.classes[name]
            self.DECODERS[cls] = ns[f"_d_{name}"]
            self.ENCODERS[cls] = ns[f"_w_{name}"]

    def __iter__(self) -> Iterator[type]:
        return iter(self.names)


def _out_of_step(version: OcppVersion, name: str) -> RuntimeError:
    return RuntimeError(
        f"{version.package}.{name} is out of step with "
        f"schemas/ocpp-{version.value}.json; regenerate with python -m ocpp_core.codegen"
    )


_CODECS: dict[str, Codec] = {}


def codec(version: VersionLike) -> Codec:
    """Return the :class:`Codec` of ``version``, created on first use."""
    found = _CODECS.get(version)
    if found is None:
        parsed = OcppVersion.parse(version)
        found = _CODECS.get(parsed.value)
        if found is None:
            found = Codec(parsed)
            _CODECS[parsed.value] = found
    return found


_VERSION_OF: dict[str, OcppVersion] = {version.package: version for version in OcppVersion}


def package_of(cls: type) -> OcppVersion | None:
    """Return the version whose generated package defines ``cls``, or ``None``."""
    return _VERSION_OF.get(cls.__module__.rpartition(".")[0])
