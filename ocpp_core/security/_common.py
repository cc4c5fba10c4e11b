"""Helpers shared by the security modules."""

from __future__ import annotations

import importlib
from types import ModuleType

from ocpp_core.versions import OcppVersion

__all__ = ["version_module"]


def version_module(version: OcppVersion) -> ModuleType:
    """Return the generated package of ``version`` (``ocpp_core.v201``...), imported on use."""
    return importlib.import_module(version.package)
