"""A re-scope while notices are out: holders already notified whose affected units grew get
an updated notice (only the added lines, their language and template, the normal send path)
and their reply form shows the added lines; holders new to the scope get the first notice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from medrecall.accounts.models import User
from medrecall.catalog.models import DeviceModel
from medrecall.notices import links, replies, send_runs
from medrecall.notices.models import Notice, NoticeRun
from medrecall.parties.models import Location, Party
from medrecall.recalls import services as recall_services
from medrecall.recalls.models import RecallCase
from tests.factories import ContactFactory, LocationFactory, PartyFactory
from tests.notices.conftest import work_off_queue
from tests.traceability.scenario import CATH, run_events

pytestmark = pytest.mark.django_db(transaction=True)

LOT_C2 = (
    f"F1,produced,2025-01-11T08:00:00+08:00,{CATH},C2,,100,,FAC,WO-2,2025-01-11,2028-01-10,,\n"
    f"F2,shipped,2025-01-14T08:00:00+08:00,{CATH},C2,,40,FAC,S1,DN-9,,,,\n"
    f"F3,received,2025-01-15T08:00:00+08:00,{CATH},C2,,40,FAC,S1,DN-9,,,,\n"
    f"F4,shipped,2025-01-14T08:00:00+08:00,{CATH},C2,,10,FAC,N1,DN-10,,,,\n"
    f"F5,received,2025-01-15T08:00:00+08:00,{CATH},C2,,10,FAC,N1,DN-10,,,,\n"
)


def rescope_with_c2(recall: RecallCase, manager: User, tmp_path: Path) -> None:
    newcomer = PartyFactory(code="NEW", party_type="hospital", language="en")
    LocationFactory(code="N1", party=newcomer, location_type="customer_site")
    ContactFactory(
        party=newcomer, name="Dr New", email="new@hosp.example", language="en", is_primary=True
    )
    assert run_events(tmp_path, LOT_C2, "c2.csv").accepted
    recall_services.scope_rule_add(
        recall=recall,
        actor=manager,
        kind="lots",
        device_model=DeviceModel.objects.get(udi_di=CATH),
        values=["C2"],
    )
    recall_services.scope_freeze(recall=recall, actor=manager)


def test_grown_holders_get_an_update_and_new_holders_the_first_notice(
    recall: RecallCase, manager: User, smtp: Any, tmp_path: Path
) -> None:
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    first = {
        n.party.code: n
        for n in Notice.objects.filter(kind="initial").select_related("party").order_by("-pk")
    }
    assert sorted(first) == ["DIST", "HOSP", "HOSP2", "SUB"]
    smtp.messages.clear()

    rescope_with_c2(recall, manager, tmp_path)
    work_off_queue()

    assert sorted(
        NoticeRun.objects.exclude(pk__in=[n.run_id for n in first.values()]).values_list(
            "kind", "parties"
        )
    ) == [("initial", [party_pk("NEW")]), ("update", [party_pk("SUB")])]
    update = Notice.objects.get(kind="update")
    assert (
        update.party.code,
        update.sequence,
        update.parent_id,
        update.language,
        update.template.kind,
        update.template.language,
        update.status,
    ) == ("SUB", 1, first["SUB"].pk, "zh-hans", "update", "zh-hans", "sent")
    assert [(line["lot"], line["quantity"], line["location_id"]) for line in update.lines] == [
        ("C2", 40, Location.objects.get(code="S1").pk)
    ]
    assert update.total_units == 40
    newcomer = Notice.objects.get(party__code="NEW")
    assert (newcomer.kind, newcomer.sequence, newcomer.language) == ("initial", 1, "en")
    assert [(line["lot"], line["quantity"]) for line in newcomer.lines] == [("C2", 10)]
    subjects = sorted((rcpt[0], str(message["Subject"]).strip()) for rcpt, message in smtp.messages)
    assert [rcpt for rcpt, _subject in subjects] == ["chen@sub.example", "new@hosp.example"]
    assert subjects[0][1].startswith("【召回通知更新】")
    assert not Notice.objects.filter(kind="update").exclude(party__code="SUB").exists()


def test_the_reply_form_shows_the_added_lines(
    recall: RecallCase, manager: User, smtp: Any, tmp_path: Path, client: Client
) -> None:
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    root = Notice.objects.get(kind="initial", party__code="SUB")
    assert [(line.lot, line.quantity) for line in replies.expected_lines(root)] == [("C1", 100)]

    rescope_with_c2(recall, manager, tmp_path)
    work_off_queue()

    update = Notice.objects.get(kind="update")
    assert [(line.lot, line.quantity) for line in replies.expected_lines(update)] == [
        ("C1", 100),
        ("C2", 40),
    ]
    page = client.get(links.reply_path(update))
    assert page.status_code == 200
    assert "C2" in page.content.decode()
    lines = replies.expected_lines(root)
    reply = replies.reply_submit(
        notice=update,
        respondent_name="陈杰",
        quantities={
            lines[0].key: {"on_hand": 100, "to_return": 100},
            lines[1].key: {"on_hand": 40, "to_return": 40},
        },
    )
    assert sorted(reply.lines.values_list("lot__number", "expected", "on_hand")) == [
        ("C1", 100, 100),
        ("C2", 40, 40),
    ]


def test_a_second_rescope_adds_nothing_new(
    recall: RecallCase, manager: User, smtp: Any, tmp_path: Path
) -> None:
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    rescope_with_c2(recall, manager, tmp_path)
    work_off_queue()
    notices, runs = Notice.objects.count(), NoticeRun.objects.count()

    recall_services.scope_freeze(recall=recall, actor=manager)
    work_off_queue()

    assert (Notice.objects.count(), NoticeRun.objects.count()) == (notices, runs)


def party_pk(code: str) -> int:
    return Party.objects.get(code=code).pk
