"""Deadlines the records show are not owed: an FDA regime with no US consignee owes FDA no
deadline at all — not "met", not open, not in any queue — until a re-scope brings a US
consignee in (docs/filings.md, "FDA: no US consignees, no FDA filings")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from medrecall.accounts.models import User
from medrecall.parties.models import Location
from medrecall.recalls import deadlines
from medrecall.recalls.models import RecallCase, RecallRegime
from medrecall.reporting.progress import deadlines_of
from medrecall.reporting.queues import _deadline_state

pytestmark = pytest.mark.django_db

INITIATED = datetime(2025, 3, 2, tzinfo=UTC)
FDA_KEYS = ("fda.notify_holders", "fda.report_806", "fda.status_report")


def _with_fda(recall: RecallCase) -> RecallCase:
    """NMPA and FDA, every holder in China, the first holder notified (the 806 clock runs)."""
    RecallRegime.objects.create(recall=recall, regime="fda", recall_class="II")
    RecallCase.objects.filter(pk=recall.pk).update(initiated_at=INITIATED)
    return RecallCase.objects.get(pk=recall.pk)


def _fda_rows(recall: RecallCase) -> list[deadlines.DeadlineRow]:
    rows, _missing = deadlines.deadlines_for(RecallCase.objects.get(pk=recall.pk))
    return [row for row in rows if row.key.startswith("fda.")]


def _page(user: User, url: str, language: str) -> str:
    client = Client()
    client.force_login(user)
    body = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    translation.activate("en")
    return " ".join(body.split())


def test_fda_deadlines_without_us_consignees_are_not_owed_and_open_nowhere(
    recall: RecallCase, manager: User
) -> None:
    recall = _with_fda(recall)
    found = _fda_rows(recall)
    # One row each (the recurring status report is not unrolled), no due state, no "met".
    assert sorted((r.key, r.status, r.not_owed, r.done_at, r.waiting) for r in found) == [
        (key, "not_owed", "no_us_consignees", None, False) for key in FDA_KEYS
    ]
    assert {r.not_owed_label for r in found} == {"Not owed (no US consignees)"}
    with translation.override("zh-hans"):
        assert {r.not_owed_label for r in found} == {"无需履行（无美国收货方）"}
        assert _deadline_state("not_owed") == "无需履行"
    now = timezone.now()
    due = deadlines.due_report(now=now).rows
    assert [r.key for r in due if r.key.startswith("fda.")] == []
    assert {r.key for r in due} >= {"nmpa.notify_holders"}  # the NMPA ones stay due
    cockpit = deadlines_of(recall, now)
    assert [
        r.key
        for r in cockpit["deadlines_overdue"] + cockpit["deadlines_next"]
        if r.key.startswith("fda.")
    ] == []


def test_the_api_the_case_and_filings_pages_say_not_owed_in_both_languages(
    recall: RecallCase, manager: User, api_as: object
) -> None:
    recall = _with_fda(recall)
    answer = api_as(manager).get(f"/api/recalls/{recall.pk}/deadlines/").json()  # type: ignore[attr-defined]
    assert sorted(
        (r["key"], r["status"], r["not_owed"], r["not_owed_label"], r["done_at"])
        for r in answer["deadlines"]
        if r["key"].startswith("fda.")
    ) == [
        (key, "not_owed", "no_us_consignees", "Not owed (no US consignees)", None)
        for key in FDA_KEYS
    ]
    for language, words, met in (
        ("en", "Not owed (no US consignees)", ">Met<"),
        ("zh-hans", "无需履行（无美国收货方）", ">已完成<"),
    ):
        filings = _page(manager, f"/recalls/{recall.pk}/filings/", language)
        cell = filings.split('data-doc="fda.report_806"')[1].split("</tr>")[0]
        assert f'<span class="badge not-owed">{words}</span>' in cell
        assert met not in cell
        status = filings.split('data-doc="fda.status_report"')[1].split("</tr>")[0]
        assert f'<span class="badge not-owed">{words}</span>' in status
        case = _page(manager, f"/recalls/{recall.pk}/", language)
        clock = case.split('id="deadline-list"')[1].split("</table>")[0]
        assert clock.count(f'<span class="badge not-owed">{words}</span>') == 3


def test_a_us_consignee_after_a_rescope_brings_the_fda_deadlines_back(
    recall: RecallCase,
) -> None:
    recall = _with_fda(recall)
    assert {r.status for r in _fda_rows(recall)} == {"not_owed"}
    Location.objects.filter(party__code="HOSP2").update(country="US")
    found = {(r.key, r.status, r.not_owed) for r in _fda_rows(recall)}
    assert ("fda.notify_holders", "breached", "") in found
    assert ("fda.report_806", "breached", "") in found
    assert "breached" in {status for key, status, _n in found if key == "fda.status_report"}
    assert len([key for key, _s, _n in found if key == "fda.status_report"]) > 1
    assert timedelta(0) < timezone.now() - INITIATED
