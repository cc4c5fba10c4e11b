"""The robustness checklist in ``docs/rpc.md`` names tests that exist.

The examples of every doc run in ``tests/test_docs.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_test_named_in_the_checklist_exists() -> None:
    doc = (ROOT / "docs" / "rpc.md").read_text(encoding="utf-8")
    section = doc.split("## Robustness checklist", 1)[1]
    names = re.findall(r"`(test_\w+\.py)::(test_\w+)`", section)
    assert len(names) > 25
    for file, test in names:
        source = (ROOT / "tests" / "rpc" / file).read_text(encoding="utf-8")
        assert re.search(rf"^def {test}\(", source, re.M), f"{file}::{test} is missing"
