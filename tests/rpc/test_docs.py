"""The docs name real tests, and their examples run."""

from __future__ import annotations

import doctest
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


def test_doc_examples_run() -> None:
    for name in ("rpc.md", "bring-your-own-websocket.md"):
        path = ROOT / "docs" / name
        text = path.read_text(encoding="utf-8")
        parser = doctest.DocTestParser()
        test = parser.get_doctest(text, {}, name, str(path), 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        result = runner.run(test)
        assert result.failed == 0, name
        assert result.attempted >= 2, name
