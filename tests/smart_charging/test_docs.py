"""``docs/smart-charging.md`` keeps up with the code: every rule and option is there."""

from __future__ import annotations

from pathlib import Path

import attrs

from ocpp_core.smart_charging import RULES, CompositeOptions, Rule

DOC = Path(__file__).resolve().parents[2] / "docs" / "smart-charging.md"


def test_every_rule_is_documented_with_its_requirement_id() -> None:
    text = DOC.read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip(" `"): line for line in text.splitlines() if line.startswith("| `")
    }
    for rule in Rule:
        assert rule.name in rows, rule.name
        requirement = RULES[rule].requirement_id or "—"
        assert f"| {requirement} |" in rows[rule.name], rule.name


def test_every_option_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for field in attrs.fields(CompositeOptions):
        assert field.name in text, field.name
