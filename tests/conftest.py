"""Shared test configuration: Hypothesis profiles and the path to ``../shared``.

``HYPOTHESIS_PROFILE=ci`` selects the thorough profile; the default ``dev``
profile keeps the suite quick during development.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(*parts: str) -> Path:
    """Return a path below ``../shared``, skipping the test when it is absent.

    When the environment variable ``CI`` is set the reference data must be
    there, so its absence fails the test instead of skipping it.
    """
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"reference data missing in CI: {path}")
        pytest.skip(f"reference data not present: {path}")
    return path
