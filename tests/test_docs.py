"""The documentation's examples run, and its tables match the code.

Every ``docs/*.md`` file that contains a ``>>>`` example is run through
:mod:`doctest` from the project's root (so examples may name files such as
``examples/logs/...`` by relative path). Write examples as doctest blocks
inside fenced code blocks, and end each block's expected output with a blank
line before the closing fence.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from ocpp_core import OcppVersion, PayloadRule, payload_error_code

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DOCTEST_FILES = sorted(p for p in DOCS.glob("*.md") if ">>>" in p.read_text(encoding="utf-8"))


def test_docs_with_examples_exist() -> None:
    names = {p.name for p in DOCTEST_FILES}
    assert {"messages.md", "error-codes.md", "cli.md"} <= names


@pytest.mark.parametrize("path", DOCTEST_FILES, ids=[p.name for p in DOCTEST_FILES])
def test_doc_examples(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = doctest.testfile(
        str(path),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        raise_on_error=False,
        report=True,
        verbose=False,
        globs={},
    )
    assert result.attempted > 0
    assert result.failed == 0, (
        f"{result.failed} of {result.attempted} examples failed in {path.name}"
    )


def _expected_table() -> str:
    versions = list(OcppVersion)
    lines = [
        "| rule | " + " | ".join(f"OCPP {v.value}" for v in versions) + " |",
        "|---|" + "---|" * len(versions),
    ]
    for rule in PayloadRule:
        codes = " | ".join(f"`{payload_error_code(v, rule).value}`" for v in versions)
        lines.append(f"| `{rule.value}` | {codes} |")
    return "\n".join(lines)


def test_error_code_table_matches_payload_error_code() -> None:
    text = (DOCS / "error-codes.md").read_text(encoding="utf-8")
    match = re.search(
        r"<!-- payload-error-codes: begin -->\n(.*?)\n<!-- payload-error-codes: end -->",
        text,
        re.DOTALL,
    )
    assert match is not None, "the table markers are missing from docs/error-codes.md"
    expected = _expected_table()
    assert match[1].strip() == expected, "docs/error-codes.md is stale; the table is:\n" + expected
