"""Where the reference data lives: ``../shared`` next to the checkout, or ``$OCPP_CORE_SHARED``.

The reference data (the official OCA schemas, the libocpp composite cases) is
not part of a clone. Tests that need it call :func:`shared_path`, which skips
the test when the data is absent, or fails it when the environment variable
``CI`` is set. ``OCPP_CORE_SHARED`` points elsewhere, e.g. at an empty folder to
see which tests run in a clone without the data.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(
    os.environ.get("OCPP_CORE_SHARED") or Path(__file__).resolve().parents[1].parent / "shared"
)
"""The root of the reference data (it may be absent)."""


def shared_path(*parts: str) -> Path:
    """Return a path below the reference data, skipping the test when it is absent.

    When the environment variable ``CI`` is set the reference data must be
    there, so its absence fails the test instead of skipping it.
    """
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"reference data missing in CI: {path}")
        pytest.skip(f"reference data not present: {path} (set OCPP_CORE_SHARED to its folder)")
    return path
