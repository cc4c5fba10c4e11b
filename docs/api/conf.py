"""Sphinx configuration of the API reference: every public name, from its docstring.

Build: ``python -m sphinx -W -b html docs/api docs/_build/api`` (CI runs it with
warnings as errors). The pages are written at build time from each public
package's ``__all__``, so a new public name needs no edit here; a name exported
by several packages is indexed once, under the first package listed in
:data:`PACKAGES`, and shown without an index entry elsewhere.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import sys
from pathlib import Path
from typing import Any

from sphinx.pycode import ModuleAnalyzer

project = "ocpp_core"
author = "ocpp_core developers"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]
napoleon_google_docstring = True
napoleon_numpy_docstring = False
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_class_signature = "separated"
html_theme = "alabaster"
exclude_patterns = ["_build"]
root_doc = "index"

PACKAGES = [
    ("ocpp_core", "Typed messages, versions and errors"),
    ("ocpp_core.errors", "The error family and the CallError code tables"),
    ("ocpp_core.rpc", "OCPP-J framing and the sans-I/O session"),
    ("ocpp_core.smart_charging", "Smart charging: profiles, store, composite schedules"),
    ("ocpp_core.energy", "Energy management: site model and planner"),
    ("ocpp_core.delivery", "Delivery queue and transaction ledger"),
    ("ocpp_core.security", "Security profiles and certificates"),
    ("ocpp_core.aio", "The asyncio connection layer"),
    ("ocpp_core.strategies", "Hypothesis strategies"),
]
"""The public packages, in the order their pages appear (absent ones are skipped).

The generated per-version packages (``ocpp_core.v16`` ... ``v21``, about 2,000
classes with a docstring per field) are left out: they would multiply the
build time (about 2 CPU minutes) for pages that repeat the schemas; add them
here to render them too."""

_HERE = Path(__file__).resolve().parent
_OUT = _HERE / "_generated"


def _directive(module: str, name: str, obj: Any, seen: set[int]) -> list[str]:
    target = f"{module}.{name}"
    if inspect.isclass(obj):
        lines = [f".. autoclass:: {target}", "   :members:"]
        if issubclass(obj, enum.Enum):
            lines.append("   :undoc-members:")
    elif inspect.isfunction(obj) or inspect.isbuiltin(obj):
        lines = [f".. autofunction:: {target}"]
    else:
        # A constant's docstring is the string after its assignment, in the
        # module that assigns it (often a private one): document it there.
        lines = [f".. autodata:: {_home(module, name, obj)}", "   :annotation:"]
    if id(obj) in seen:
        lines.append("   :no-index:")
    seen.add(id(obj))
    return [*lines, ""]


def _home(module: str, name: str, obj: Any) -> str:
    """The dotted path of the private module that assigns ``name``, else ``module.name``."""
    for other, value in sorted(sys.modules.items()):
        if other.startswith(module + "._") and getattr(value, name, None) is obj:
            analyzer = ModuleAnalyzer.for_module(other)
            if ("", name) in analyzer.find_attr_docs():
                return f"{other}.{name}"
    return f"{module}.{name}"


def _write_pages(app: Any) -> None:
    _OUT.mkdir(exist_ok=True)
    seen: set[int] = set()
    toc = []
    for module_name, title in PACKAGES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # an optional package not installed, or not written yet
            if exc.name is not None and module_name.startswith(exc.name):
                continue
            raise
        lines = [title, "=" * len(title), "", f".. module:: {module_name}", ""]
        for name in getattr(module, "__all__", ()):
            if name.startswith("__"):
                continue
            lines += _directive(module_name, name, getattr(module, name), seen)
        page = module_name.replace(".", "-")
        (_OUT / f"{page}.rst").write_text("\n".join(lines), encoding="utf-8")
        toc.append(f"   _generated/{page}")
    (_HERE / "_toc.rst").write_text(
        ".. toctree::\n   :maxdepth: 1\n\n" + "\n".join(toc) + "\n", encoding="utf-8"
    )


def setup(app: Any) -> None:
    """Write the pages before Sphinx reads the sources."""
    app.connect("builder-inited", _write_pages)
