"""Shared test configuration: Hypothesis profiles and the path to ``../shared``.

``HYPOTHESIS_PROFILE=ci`` selects the thorough profile; the default ``dev``
profile keeps the suite quick during development.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from tests._shared import SHARED, shared_path

settings.register_profile(
    "dev", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

__all__ = ["SHARED", "shared_path"]
