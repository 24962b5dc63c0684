"""Every audit action the code base writes has words in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

import medrecall
from medrecall.accounts import signatures
from medrecall.audit.labels import ACTION_LABELS, action_label

SOURCE = Path(medrecall.__file__).parent
WRITTEN = re.compile(r"action=\"([a-z_]+\.[a-z_.]+)\"")


def written_actions() -> set[str]:
    found = {
        match
        for path in SOURCE.rglob("*.py")
        for match in WRITTEN.findall(path.read_text(encoding="utf-8"))
    }
    return found | {signatures.APPLIED, signatures.REFUSED, signatures.LOCKED}


def test_every_written_action_has_a_label() -> None:
    actions = written_actions()
    assert len(actions) >= 40
    assert sorted(actions - set(ACTION_LABELS)) == []


def test_every_label_is_translated() -> None:
    with translation.override("zh-hans"):
        untranslated = [
            code for code, label in ACTION_LABELS.items() if re.search(r"[A-Za-z]{3}", str(label))
        ]
    assert untranslated == []


@pytest.mark.parametrize(
    ("code", "english", "chinese"),
    [
        pytest.param("recalls.regime_added", "Regulatory regime added", "添加监管体系", id="named"),
        pytest.param("parties.party.created", "Party created", "创建参与方", id="generic-created"),
        pytest.param("catalog.lot.deleted", "Lot deleted", "删除批次", id="generic-deleted"),
        pytest.param(
            "something.unknown", "something.unknown", "something.unknown", id="unknown-shown-as-is"
        ),
        pytest.param(
            "nosuchapp.model.changed",
            "nosuchapp.model.changed",
            "nosuchapp.model.changed",
            id="unknown-model",
        ),
    ],
)
def test_action_label(code: str, english: str, chinese: str) -> None:
    with translation.override("en"):
        assert action_label(code) == english
    with translation.override("zh-hans"):
        assert action_label(code) == chinese
        assert (
            Template("{% load audit_labels %}{{ code|action_label }}").render(
                Context({"code": code})
            )
            == chinese
        )


def test_recorded_values_are_shown_whole() -> None:
    """A signature's entry records its meaning, step and hash as values, not as [old, new]
    pairs: the history shows them whole, never cut into characters."""
    from medrecall.audit.templatetags.audit_labels import audit_changes

    rows = audit_changes(
        {
            "meaning": "approved",
            "step": "qa_head",
            "content_hash": "7f3a9c",
            "status": ["assessment", "pending_approval"],
            "outstanding": [None, ["380 units", "5 returns"]],
            "proposed": {"nmpa": "I", "fda": "I"},
        }
    )
    assert [{k: v for k, v in row.items() if k not in ("code", "known")} for row in rows] == [
        {"field": "meaning", "pair": False, "value": "approved"},
        {"field": "step", "pair": False, "value": "qa_head"},
        {"field": "content_hash", "pair": False, "value": "7f3a9c"},
        {"field": "status", "pair": True, "old": "assessment", "new": "pending_approval"},
        {"field": "outstanding", "pair": True, "old": "—", "new": "380 units; 5 returns"},
        {"field": "Proposed class", "pair": False, "value": "nmpa: I; fda: I"},
    ]
