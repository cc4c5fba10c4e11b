"""The Hypothesis plugin of ``ocpp_core``: ``st.from_type`` for every generated class.

Declared as the ``hypothesis`` entry point of the package, so Hypothesis calls
:func:`setup` when it is imported. That can happen *while*
:mod:`ocpp_core.strategies` is being imported (its first line imports
Hypothesis), so this module imports neither at load time: :func:`setup` only
registers lazy strategies, and the strategies module is imported on the first
draw. Importing :mod:`ocpp_core.strategies` first, in a script or the REPL,
therefore works as well as importing Hypothesis first.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from ocpp_core.versions import OcppVersion

__all__ = ["setup"]

_PACKAGES = {version.package: version for version in OcppVersion}
_REGISTERED: set[OcppVersion] = set()


def _strategy(version: OcppVersion, cls: type, name: str) -> Any:
    """A lazy strategy for one generated class; ``ocpp_core.strategies`` loads on first draw."""
    from hypothesis import strategies as st  # noqa: PLC0415 - Hypothesis is importing us

    meta = getattr(cls, "ocpp_meta", None)

    def build() -> Any:
        strategies = importlib.import_module("ocpp_core.strategies")
        if meta is not None:
            return strategies.messages(version, meta.action, meta.kind)
        return strategies.datatypes(version, name)

    return st.deferred(build)


def _register_package(package: ModuleType, version: OcppVersion) -> None:
    """Register a strategy for every generated class of one version package (once)."""
    if version in _REGISTERED:
        return
    _REGISTERED.add(version)
    from hypothesis import strategies as st  # noqa: PLC0415 - Hypothesis is importing us

    for name in getattr(package, "__all__", ()):
        cls = getattr(package, name, None)
        if isinstance(cls, type):
            st.register_type_strategy(cls, _strategy(version, cls, name))


class _Loader(importlib.abc.Loader):
    """Wraps a version package's loader to register its classes once it has run."""

    def __init__(self, inner: importlib.abc.Loader, version: OcppVersion) -> None:
        self._inner = inner
        self._version = version

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)
        _register_package(module, self._version)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _Finder(importlib.abc.MetaPathFinder):
    """Registers the classes of a version package when it is first imported."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        version = _PACKAGES.get(fullname)
        if version is None or version in _REGISTERED:
            return None
        for finder in sys.meta_path:
            if finder is self or isinstance(finder, _Finder):
                continue
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec: importlib.machinery.ModuleSpec | None = find(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Loader(spec.loader, version)
                return spec
        return None


def setup() -> None:
    """Register a strategy for every generated class (the Hypothesis plugin hook).

    Cheap and idempotent: version packages already imported are registered at
    once, the others when they are first imported (an import hook that only
    watches ``ocpp_core.v16``, ``v20``, ``v201`` and ``v21``). The strategies
    are lazy: :mod:`ocpp_core.strategies` and the schema bundle are loaded on
    the first draw. Messages are drawn with
    :func:`ocpp_core.strategies.messages`; datatypes and enumerations with
    :func:`ocpp_core.strategies.datatypes` (the errata members of an
    enumeration, e.g. 1.6 ``Hertz``, are not drawn).
    """
    for name, version in _PACKAGES.items():
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "__all__"):
            _register_package(module, version)
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
