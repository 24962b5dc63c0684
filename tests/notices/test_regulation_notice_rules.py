"""Notice contents of docs/regulations.md that had no test of their own: a template lacking a
section its regime requires is refused, and the standard texts carry what each rule asks the
holder to do. Pure functions, no database."""

from __future__ import annotations

from typing import Any

import pytest

from medrecall.notices.defaults import standard_templates
from medrecall.notices.documents import template_problems

MISSING_REPLY_BY = (
    "The placeholder {{ reply_by }} is missing: this kind of notice must use it "
    "(the date the reply is due)."
)


def standard(regime: str, language: str, kind: str = "initial") -> dict[str, Any]:
    return next(
        t
        for t in standard_templates()
        if (t["regime"], t["language"], t["kind"]) == (regime, language, kind)
    )


def bodies(template: dict[str, Any]) -> dict[str, str]:
    return {section["key"]: section["body"] for section in template["sections"]}


@pytest.mark.parametrize(
    ("regime", "key", "also"),
    [
        # NMPA Order 29 Art. 15: reason, what the holder must do, how devices are handled.
        ("nmpa", "reason", []),
        ("nmpa", "actions", [MISSING_REPLY_BY]),
        ("nmpa", "handling", []),
        ("nmpa", "contact", []),
        # 21 CFR 7.49: reason and hazard, instructions, a way to report back.
        ("fda", "reason", []),
        ("fda", "hazard", []),
        ("fda", "actions", []),
        ("fda", "reply", [MISSING_REPLY_BY]),
        ("fda", "contact", []),
        # MDR Art. 89(8) with the MEDDEV 2.12/1 FSN template.
        ("eu_mdr", "problem", []),
        ("eu_mdr", "actions", [MISSING_REPLY_BY]),
        ("eu_mdr", "transmission", []),
        ("eu_mdr", "contact", []),
        ("eu_mdr", "closing", []),
    ],
)
def test_a_notice_template_without_a_required_section_is_refused(
    regime: str, key: str, also: list[str]
) -> None:
    template = standard(regime, "en")
    sections = [section for section in template["sections"] if section["key"] != key]
    assert template_problems(
        regime=regime,
        kind="initial",
        title=template["title"],
        subject=template["subject"],
        sections=sections,
    ) == [f"Section “{key}” is required for this regime and kind.", *also]


def test_a_required_section_left_empty_is_refused() -> None:
    template = standard("nmpa", "zh-hans")
    sections = [
        {**section, "body": "  "} if section["key"] == "handling" else section
        for section in template["sections"]
    ]
    assert template_problems(
        regime="nmpa",
        kind="initial",
        title=template["title"],
        subject=template["subject"],
        sections=sections,
    ) == ["Section “handling” has no text."]


def test_the_standard_nmpa_notice_says_stop_forward_and_how_devices_are_handled() -> None:
    chinese, english = bodies(standard("nmpa", "zh-hans")), bodies(standard("nmpa", "en"))
    assert "立即停止销售和使用" in chinese["actions"]
    assert "立即将本通知转告对方" in chinese["actions"]
    assert "退回、更换或现场纠正" in chinese["handling"]
    assert "Stop selling and using the devices listed below at once" in english["actions"]
    assert "forward this notice to them now" in english["actions"]
    assert "return, replacement or correction on site" in english["handling"]


def test_the_standard_fda_letter_says_stop_pass_on_and_reply() -> None:
    letter = bodies(standard("fda", "en"))
    assert (
        "Stop further distribution and use of the listed products immediately."
        in (letter["actions"])
    )
    assert "notify your customers at once" in letter["actions"]
    assert "even if you no longer hold any units" in letter["reply"]


def test_the_standard_fsn_asks_to_pass_it_on_and_names_the_authority() -> None:
    notice = standard("eu_mdr", "en")
    assert notice["title"] == "Urgent Field Safety Notice"
    assert "to any organisation the devices went to" in bodies(notice)["transmission"]
    assert bodies(notice)["closing"] == (
        "The competent authority ({{ fsca_authority }}) was informed of this Field Safety "
        "Corrective Action on {{ fsca_reported_on }} (reference: {{ fsca_reference }})."
    )
    assert "{{ company_srn }}" in bodies(notice)["contact"]
