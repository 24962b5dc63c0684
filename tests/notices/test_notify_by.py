"""Notify by: each holder's notify-by time and overdue flag, and the clock's "notify holders"
deadline done from the notice log (docs/notices.md, "Notify by")."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from medrecall.accounts.models import User
from medrecall.notices import delivery, notify_by, send_runs
from medrecall.notices.models import Notice
from medrecall.parties.models import Location
from medrecall.recalls import deadlines
from medrecall.recalls.models import DeadlineDone, RecallCase, RecallRegime
from tests.notices.conftest import work_off_queue

pytestmark = pytest.mark.django_db(transaction=True)

DECIDED = datetime(2025, 3, 1, tzinfo=UTC)
LATER = datetime(2025, 3, 20, tzinfo=UTC)


@pytest.fixture
def sent(recall: RecallCase, manager: User, smtp: Any) -> RecallCase:
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    return recall


def rows(recall: RecallCase, now: datetime = LATER) -> dict[str, notify_by.HolderNotice]:
    return {h.code: h for h in notify_by.holders_notify_by([recall], now=now)[recall.pk]}


def notify_row(recall: RecallCase, key: str = "nmpa.notify_holders") -> deadlines.DeadlineRow:
    found, _missing = deadlines.deadlines_for(recall, now=timezone.now())
    return next(row for row in found if row.key == key)


def test_holders_are_overdue_then_notified_and_the_deadline_is_done_from_the_log(
    sent: RecallCase, manager: User
) -> None:
    found = rows(sent)
    assert sorted(found) == ["DIST", "HOSP", "HOSP2", "SUB"]
    assert {h.notify_by for h in found.values()} == {DECIDED + timedelta(days=1)}
    # Sent is not notified: nobody has the notice delivered or acknowledged yet.
    assert {(h.state, h.overdue, h.notified_at) for h in found.values()} == {
        ("overdue", True, None)
    }
    row = notify_row(sent)
    assert (row.due_at, row.status, row.done_at, row.from_records) == (
        DECIDED + timedelta(days=1),
        "breached",
        None,
        False,
    )
    on_time = DECIDED + timedelta(hours=5)
    Notice.objects.filter(party__code="DIST").update(delivered_at=on_time)
    delivery.notice_acknowledge(notice=Notice.objects.get(party__code="SUB"), actor=manager)
    hosp2 = Notice.objects.get(party__code="HOSP2")
    delivery.notice_delivery_report(message_id=hosp2.message_id, outcome="delivered")
    found = rows(sent)
    assert (found["DIST"].state, found["DIST"].notified_at, found["DIST"].how) == (
        "on_time",
        on_time,
        "delivered",
    )
    assert (found["SUB"].state, found["SUB"].how, found["SUB"].overdue) == (
        "late",
        "acknowledged",
        False,
    )
    assert (found["HOSP2"].state, found["HOSP2"].how) == ("late", "delivered")
    assert (found["HOSP"].state, found["HOSP"].overdue) == ("overdue", True)
    assert notify_row(sent).done_at is None  # HOSP (a letter, not posted) is not notified
    letter = Notice.objects.get(party__code="HOSP")
    delivery.notice_contact_log(
        notice=letter, actor=manager, channel="call", note="Told the ward sister."
    )
    found = rows(sent)
    assert (found["HOSP"].state, found["HOSP"].how) == ("late", "call")
    last = max(h.notified_at for h in found.values() if h.notified_at)
    row = notify_row(sent)
    assert (row.status, row.done_at, row.from_records) == ("done", last, True)
    assert not DeadlineDone.objects.exists()  # derived, nothing ticked


def test_a_manual_done_wins_and_a_regime_without_holders_is_not_owed(
    recall: RecallCase, manager: User
) -> None:
    RecallRegime.objects.create(recall=recall, regime="fda", recall_class="II")
    fda = notify_row(recall, "fda.notify_holders")
    # Every holder is in China: nobody to send an FDA letter to, so nothing is owed (not "met").
    assert (fda.status, fda.done_at, fda.from_records, fda.not_owed) == (
        "not_owed",
        None,
        True,
        "no_us_consignees",
    )
    assert fda.not_owed_label == "Not owed (no US consignees)"
    nmpa = notify_row(recall)
    assert (nmpa.status, nmpa.done_at) == ("breached", None)
    marked = deadlines.deadline_mark_done(
        recall=recall,
        key="nmpa.notify_holders",
        due_at=nmpa.due_at,
        actor=manager,
        note="Holders told by phone before the system was used.",
    )
    nmpa = notify_row(recall)
    assert (nmpa.status, nmpa.done_at, nmpa.from_records) == ("done", marked.done_at, False)
    assert {h.state for h in rows(recall).values()} == {"overdue"}


def test_a_holder_outside_every_regime_gets_no_clock_and_does_not_hold_up_the_deadline(
    sent: RecallCase,
) -> None:
    """HOSP2 in Singapore on an NMPA recall: no NMPA notify-by, listed apart, and the NMPA
    "notify holders" deadline is done once the Chinese holders are notified."""
    Location.objects.filter(party__code="HOSP2").update(country="SG")
    found = rows(sent)
    assert (
        found["HOSP2"].regimes,
        found["HOSP2"].notify_by,
        found["HOSP2"].state,
        found["HOSP2"].overdue,
        found["HOSP2"].outside,
        found["HOSP2"].outside_countries,
    ) == ((), None, "outside", False, True, ("SG",))
    assert found["HOSP2"].state_label == (
        "Outside this recall's regimes: no regulatory notify-by; notify all the same"
    )
    assert found["HOSP2"].as_dict()["outside"] is True
    assert found["HOSP2"].as_dict()["outside_countries"] == ["SG"]
    assert {
        code: (h.regimes, h.state) for code, h in found.items() if code != "HOSP2"
    } == dict.fromkeys(("DIST", "HOSP", "SUB"), (("nmpa",), "overdue"))
    every = list(found.values())
    assert notify_by.uncovered_countries(every) == [("SG", 1)]
    assert notify_by.uncovered_note(every, "en") == (
        "Countries outside this recall's regimes: Singapore (SG): 1 holder. Their holders get no "
        "regulatory notify-by and count in no regime's “notify holders” deadline; notify them all "
        "the same, and add the regime that applies there if there is one."
    )
    with translation.override("zh-hans"):
        assert notify_by.uncovered_note(every, "zh-hans") == (
            "以下国家不在本召回的任何法规范围内：新加坡 (SG)：1 个持有方。这些持有方没有法规规定的"
            "通知时限，也不计入任何法规的“通知持有方”期限；仍须通知他们，如当地有适用的法规，请为本召"
            "回添加该法规。"
        )
    assert notify_row(sent).status == "breached"
    at = DECIDED + timedelta(hours=3)
    Notice.objects.filter(party__code__in=("DIST", "HOSP", "SUB")).update(delivered_at=at)
    row = notify_row(sent)
    assert (row.status, row.done_at, row.from_records) == ("done", at, True)


def test_holders_of_an_eu_only_recall_in_china_are_outside_its_regime(
    recall: RecallCase,
) -> None:
    RecallRegime.objects.filter(recall=recall).update(regime="eu_mdr", recall_class="fsca")
    found = rows(recall)
    assert {(h.regimes, h.notify_by, h.state, h.outside_countries) for h in found.values()} == {
        ((), None, "outside", ("CN",))
    }
    assert notify_by.uncovered_countries(list(found.values())) == [("CN", 4)]


def test_the_page_api_and_command_show_a_holder_outside_the_regimes(
    recall: RecallCase, manager: User
) -> None:
    from django.core.management import call_command
    from django.test import Client

    Location.objects.filter(party__code="HOSP2").update(country="SG")
    client = Client()
    client.force_login(manager)
    for language, line, cell in (
        ("en", "Singapore (SG): 1 holder", "outside this recall's regimes (Singapore)"),
        ("zh-hans", "新加坡 (SG)：1 个持有方", "不在本召回的法规范围内 (新加坡)"),
    ):
        page = client.get(
            f"/recalls/{recall.pk}/notices/holders/", HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
        assert 'id="notify-uncovered"' in page
        assert line in page
        assert cell in page
    translation.activate("en")
    api = client.get(f"/api/recalls/{recall.pk}/notices/holders/?state=outside").json()
    assert [
        (r["code"], r["outside"], r["outside_countries"], r["notify_by"]) for r in api["results"]
    ] == [("HOSP2", True, ["SG"], None)]
    out = io.StringIO()
    call_command("notices", "holders", recall.number, stdout=out)
    assert "Singapore (SG): 1 holder" in out.getvalue()
