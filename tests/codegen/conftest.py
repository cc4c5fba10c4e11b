"""Fixtures of the code generator's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._shared import shared_path


@pytest.fixture
def official_root() -> Path:
    """The folder of the official OCA schemas (the test skips without it)."""
    return shared_path("ocpp-schemas")
