"""The history on a recall's page (and on a master-data page, by the same template code) names people by their full name
(the user name only where none is recorded), as the filing, complaint and CAPA histories do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from tests.notices.conftest import approved_recall

pytestmark = pytest.mark.django_db


def test_the_recall_history_names_people_by_full_name(
    tmp_path: Path, make_user: Callable[..., User]
) -> None:
    manager = make_user(Role.QA_RA_MANAGER, username="qa_lead")
    User.objects.filter(pk=manager.pk).update(first_name="Fang", last_name="Wang")
    recall = approved_recall(tmp_path, manager, make_user)
    client = Client()
    client.force_login(manager)

    page = client.get(f"/recalls/{recall.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "<td>Fang Wang</td>" in page
    assert "<td>qa_lead</td>" not in page


@pytest.mark.parametrize(
    ("language", "words", "codes"),
    [
        ("en", "Status</span>: Pending approval → Approved / in execution", "pending_approval"),
        ("zh-hans", "状态</span>: 待审批 → 已批准/执行中", "pending_approval"),
    ],
)
def test_the_recall_history_shows_field_and_choice_labels_not_codes(
    tmp_path: Path,
    make_user: Callable[..., User],
    language: str,
    words: str,
    codes: str,
) -> None:
    """It showed ``status: pending_approval → in_execution``: the field's label and the choice
    labels in the reader's language now, read from the model (no query per entry)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from medrecall.audit import services as audit

    manager = make_user(Role.QA_RA_MANAGER, username="qa_lead")
    manager.language = language
    manager.save(update_fields=["language"])
    recall = approved_recall(tmp_path, manager, make_user)
    client = Client()
    client.force_login(manager)
    url = f"/recalls/{recall.pk}/"
    page = client.get(url).content.decode()
    history = page[page.index("history-change") :]
    assert words in history
    assert f"→ {codes}" not in history
    assert f"{codes} →" not in history
    assert "<code>status</code>" not in page

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(5):  # more entries on the page: the same number of queries
        audit.record(
            actor=manager,
            action="recalls.transition",
            target=recall,
            changes={"status": ["assessment", "pending_approval"], "depth": ["", str(n)]},
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


# Keys and codes the recall's history showed as recorded (a browser walk, both languages).
RECALL_CODES = (
    "<code>regime</code>",
    "<code>severity</code>",
    "<code>likelihood</code>",
    "<code>proposed</code>",
    "<code>rule</code>",
    "<code>snapshot</code>",
    "<code>holds</code>",
    "<code>fda_class</code>",
    "<code>nmpa</code>",
    "<code>serious</code>",
    "<code>occasional</code>",
    "nmpa: I",
    "kind: lots",
    "<code>kind</code>",
    "<code>initial</code>",
)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Regime</span>", "Scope rule</span>", "NMPA", "Recall notice"]),
        ("zh-hans", ["监管体系</span>", "范围规则</span>", "召回通知"]),
    ],
)
def test_the_recall_history_labels_keys_of_the_records_it_speaks_of(
    tmp_path: Path, make_user: Callable[..., User], language: str, words: list[str]
) -> None:
    """It showed ``regime: — → nmpa``, ``proposed: — → nmpa: I``, ``rule: — → kind: lots``:
    keys of the recall's regimes, hazard evaluation and scope rules, and the values actions
    record beside them, by their labels; codes by their choice labels."""
    from medrecall.audit import services as audit
    from medrecall.recalls.models import RecallCase

    manager = make_user(Role.QA_RA_MANAGER, username="qa_lead")
    manager.language = language
    manager.save(update_fields=["language"])
    recall = approved_recall(tmp_path, manager, make_user)
    audit.record(
        actor=manager,
        action="recalls.fda_recorded",
        target=recall,
        changes={"fda_class": ["", "II"], "holds": [None, {"lot": 13}]},
    )
    audit.record(
        actor=manager,
        action="notices.run_started",
        target=recall,
        changes={"kind": [None, "initial"]},
    )
    client = Client()
    client.force_login(manager)
    page = client.get(f"/recalls/{recall.pk}/").content.decode()
    history = page[page.index("history-change") :]
    for word in words:
        assert word in history
    for code in RECALL_CODES:
        assert code not in history
    assert RecallCase.audit_related
