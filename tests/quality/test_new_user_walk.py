"""Findings of a walk through complaints and CAPAs as a new user: a report is filed on a date
given (web, API, command), the reply link's problem report sent twice is one complaint, a
recall on a lot other recalls cover needs confirmation, a CAPA found not effective says what to
do, the command answers a missing --user as a usage error and times as the API does, labels
rather than codes (and full names in histories), overdue CAPAs marked and filtered."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.notices import issuing, links
from medrecall.notices.models import Notice
from medrecall.parties.models import Party
from medrecall.quality import services
from medrecall.quality.errors import CapaNotVerified, RecallOverlapUnconfirmed, TriageInvalid
from medrecall.quality.models import Capa, Complaint, ReportDecision
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.execution.conftest import approve, open_recall
from tests.traceability.scenario import CATH

pytestmark = pytest.mark.django_db

NMPA_DEATH = services.Triage("nmpa", True, "nmpa_death", "Patient died during the procedure")


def _client(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def _cli(*words: str) -> Any:
    out = StringIO()
    call_command("quality", *words, "--json", stdout=out)
    return json.loads(out.getvalue())


def _cli_refused(*words: str) -> tuple[dict[str, Any], CommandError]:
    out = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("quality", *words, "--json", stdout=out)
    return json.loads(out.getvalue()), refused.value


def _triaged(receive: Callable[..., Complaint], manager: User) -> Complaint:
    complaint = receive(death=True)
    services.complaint_triage(complaint=complaint, actor=manager, decisions=[NMPA_DEATH])
    return complaint


def _unfiled(complaint: Complaint) -> None:
    decision = ReportDecision.objects.get(complaint=complaint)
    assert (decision.submitted_at, decision.submission_reference) == (None, "")
    assert not AuditEntry.objects.filter(action="quality.report_submitted").exists()


# -- 2. a report is filed on a date given ------------------------------------------------------


def test_mark_as_filed_without_a_date_is_refused_by_the_service(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = _triaged(receive, manager)

    with pytest.raises(TriageInvalid) as refused:
        services.complaint_mark_reported(
            complaint=complaint, actor=manager, regime="nmpa", reference="AE-1", submitted_at=None
        )

    assert (refused.value.where, refused.value.message) == (
        "submitted_at",
        "Give the date and time the report was filed.",
    )
    _unfiled(complaint)


def test_mark_as_filed_without_a_date_is_refused_on_the_page(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = _triaged(receive, manager)
    client = _client(manager)

    page = client.get(reverse("web:quality-complaint", args=[complaint.pk])).content.decode()
    response = client.post(
        reverse("web:quality-complaint-report", args=[complaint.pk]),
        {"regime": "nmpa", "reference": "AE-1", "submitted_at": ""},
        follow=True,
    )

    assert 'type="datetime-local" name="submitted_at" required' in page
    assert "Give the date and time the report was filed." in response.content.decode()
    _unfiled(complaint)


def test_mark_as_filed_without_a_date_is_refused_by_the_api(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = _triaged(receive, manager)

    response = _api(manager).post(
        f"/api/quality/complaints/{complaint.pk}/report/",
        {"regime": "nmpa", "reference": "AE-1"},
        format="json",
    )

    assert response.status_code == 400
    assert "submitted_at" in json.dumps(response.json())
    _unfiled(complaint)


def test_mark_as_filed_without_a_date_is_refused_by_the_command(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = _triaged(receive, manager)

    answer, _error = _cli_refused(
        "complaint", "report", complaint.number, "--regime", "nmpa", "--reference", "AE-1",
        "--user", manager.username,
    )  # fmt: skip

    assert answer == {
        "error": {
            "code": "triage_invalid",
            "message": "Give the date and time the report was filed.",
            "where": "submitted_at",
        }
    }
    _unfiled(complaint)


def test_mark_as_filed_with_its_date_by_the_api_and_the_command(
    receive: Callable[..., Complaint], manager: User
) -> None:
    by_api = _triaged(receive, manager)
    by_cli = receive(death=True, reference="R-2")
    services.complaint_triage(complaint=by_cli, actor=manager, decisions=[NMPA_DEATH])

    api = _api(manager).post(
        f"/api/quality/complaints/{by_api.pk}/report/",
        {"regime": "nmpa", "reference": "AE-1", "submitted_at": "2026-03-05T10:00:00+08:00"},
        format="json",
    )
    cli = _cli(
        "complaint", "report", by_cli.number, "--regime", "nmpa", "--reference", "AE-2",
        "--filed-at", "2026-03-06T11:00", "--user", manager.username,
    )  # fmt: skip

    assert api.status_code == 200
    assert api.json()["decisions"][0]["submitted_at"] == "2026-03-05T10:00:00+08:00"
    assert cli["decisions"][0]["submitted_at"] == "2026-03-06T11:00:00+08:00"


# -- 3. the reply link's problem report sent twice ----------------------------------------------


@pytest.fixture
def notice(world: object, manager: User, make_user: Callable[..., User]) -> Notice:
    recall = approve(open_recall(manager), make_user)
    hospital = Party.objects.get(code="HOSP")
    pk = issuing.notices_create(recall=recall, run=None, kind="initial", party_ids=[hospital.pk])[0]
    return Notice.objects.get(pk=pk)


PROBLEM = {
    "aware_at": "2026-03-02T09:30",
    "gtin": CATH,
    "lot": "C1",
    "description": "Tip broke in the operating room",
    "injury": "on",
}


def test_reply_problem_sent_twice_is_one_complaint_shown_again(notice: Notice) -> None:
    url = reverse("web:notice-problem", args=[links.token_for(notice, "reply")])
    client = Client()

    first = client.post(url, PROBLEM)
    again = client.post(url, PROBLEM)

    complaint = Complaint.objects.get()
    received = timezone.localtime(complaint.created_at).strftime("%Y-%m-%d %H:%M")
    # the holder's page speaks the holder's language (HOSP's: Chinese)
    assert f"投诉编号为 {complaint.number}" in first.content.decode()
    assert again.status_code == 200
    assert (
        f"该报告已于 {received} CST 收到，投诉编号为 {complaint.number}。" in again.content.decode()
    )
    assert AuditEntry.objects.filter(action="quality.complaint_received").count() == 1


def test_reply_problem_with_other_content_is_a_new_complaint(notice: Notice) -> None:
    url = reverse("web:notice-problem", args=[links.token_for(notice, "reply")])
    client = Client()

    client.post(url, PROBLEM)
    client.post(url, {**PROBLEM, "description": "A second catheter broke"})

    assert sorted(Complaint.objects.values_list("description", flat=True)) == [
        "A second catheter broke",
        "Tip broke in the operating room",
    ]


def test_portal_report_sent_twice_is_one_complaint(portal_user: User) -> None:
    client = _client(portal_user)

    client.post(reverse("web:portal-complaints"), PROBLEM)
    again = client.post(reverse("web:portal-complaints"), PROBLEM, follow=True)

    number = Complaint.objects.get().number
    assert f"as complaint {number}." in again.content.decode()


# -- 4. a recall on a lot other recalls cover ----------------------------------------------------


def _covered(receive: Callable[..., Complaint], manager: User) -> tuple[Complaint, RecallCase]:
    """A complaint on lot C1, which the recall started from an earlier complaint covers. Received
    before that recall was started (one received after is linked to it on receipt)."""
    later = receive(reference="E-2")
    earlier = services.complaint_start_recall(complaint=receive(reference="E-1"), actor=manager)
    return later, earlier


def _nothing_started(complaint: Complaint, recalls: int, audits: int) -> None:
    assert RecallCase.objects.count() == recalls
    assert Complaint.objects.get(pk=complaint.pk).recall_id is None
    assert AuditEntry.objects.count() == audits


def test_start_recall_on_a_covered_lot_is_refused_naming_the_recalls(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint, earlier = _covered(receive, manager)
    counts = (RecallCase.objects.count(), AuditEntry.objects.count())

    with pytest.raises(RecallOverlapUnconfirmed) as refused:
        services.complaint_start_recall(complaint=complaint, actor=manager)

    assert (refused.value.message, refused.value.details) == (
        f"This lot is already covered by {earlier.number} (Draft). Link the complaint to that "
        "recall, or confirm that another recall is needed.",
        [earlier.number],
    )
    _nothing_started(complaint, *counts)


def test_start_recall_on_a_covered_lot_when_confirmed(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint, earlier = _covered(receive, manager)

    recall = services.complaint_start_recall(
        complaint=complaint, actor=manager, confirm_overlap=True
    )

    assert Complaint.objects.get(pk=complaint.pk).recall == recall
    entry = AuditEntry.objects.filter(action="quality.recall_started").last()
    assert entry is not None
    assert entry.reason == f"Started although {earlier.number} already cover the lot."


def test_start_recall_on_a_lot_of_a_closed_recall_warns_too(
    receive: Callable[..., Complaint], manager: User, make_user: Callable[..., User]
) -> None:
    closed = approve(open_recall(manager), make_user)
    RecallCase.objects.filter(pk=closed.pk).update(status="closed")
    complaint = receive()

    with pytest.raises(RecallOverlapUnconfirmed) as refused:
        services.complaint_start_recall(complaint=complaint, actor=manager)

    assert refused.value.details == [closed.number]
    assert f"{closed.number} (Closed)" in refused.value.message


def test_start_recall_page_shows_the_covering_recalls_and_asks_to_confirm(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint, earlier = _covered(receive, manager)
    client = _client(manager)
    url = reverse("web:quality-complaint-start-recall", args=[complaint.pk])
    counts = (RecallCase.objects.count(), AuditEntry.objects.count())

    page = client.get(reverse("web:quality-complaint", args=[complaint.pk])).content.decode()
    refused = client.post(url, follow=True).content.decode()
    _nothing_started(complaint, *counts)
    confirmed = client.post(url, {"confirm_overlap": "1"})

    assert f'href="{reverse("web:recall-detail", args=[earlier.pk])}">{earlier.number}</a>' in page
    assert 'name="confirm_overlap" value="1" id="confirm-overlap" required' in page
    assert "confirm that another recall is needed" in refused
    recall = Complaint.objects.get(pk=complaint.pk).recall
    assert recall is not None
    assert confirmed["Location"] == reverse("web:recall-detail", args=[recall.pk])


def test_start_recall_api_and_command_need_the_confirmation(
    receive: Callable[..., Complaint], manager: User
) -> None:
    other = receive(reference="E-3")
    complaint, earlier = _covered(receive, manager)
    url = f"/api/quality/complaints/{complaint.pk}/start-recall/"
    counts = (RecallCase.objects.count(), AuditEntry.objects.count())

    refused = _api(manager).post(url, {}, format="json")
    answer, _error = _cli_refused(
        "complaint", "start-recall", other.number, "--user", manager.username
    )
    _nothing_started(complaint, *counts)
    started = _api(manager).post(url, {"confirm_overlap": True}, format="json")
    by_cli = _cli(
        "complaint", "start-recall", other.number, "--confirm-overlap", "--user", manager.username
    )

    assert (refused.status_code, refused.json()["code"], refused.json()["details"]) == (
        409,
        "recall_overlap_unconfirmed",
        [earlier.number],
    )
    assert answer["error"]["code"] == "recall_overlap_unconfirmed"
    assert started.status_code == 201
    assert by_cli["recall"] == Complaint.objects.get(pk=other.pk).recall.number


# -- 5. wording -----------------------------------------------------------------------------------


def _not_effective(manager: User) -> Capa:
    capa = services.capa_open(
        confirm_past_due=True,
        actor=manager,
        title="Tip",
        problem="p",
        owner=manager,
        due_on=date(2026, 6, 30),
    )
    services.root_cause_add(
        capa=capa, actor=manager, category="Other", statement="Weld", whys=[], fishbone={}
    )
    task = services.capa_action_add(
        capa=capa, actor=manager, kind="correction", description="Rework", owner=manager,
        due_on=date(2026, 5, 1),
    )  # fmt: skip
    services.capa_action_update(task=task, actor=manager, status="done", note="")
    services.capa_verify(capa=capa, actor=manager, method="Audit", result="Still", effective=False)
    return capa


def test_capa_found_not_effective_says_what_to_do_when_closed(world: object, manager: User) -> None:
    capa = _not_effective(manager)
    verified_at = capa.verifications.get().verified_at
    audits = AuditEntry.objects.count()

    with pytest.raises(CapaNotVerified) as refused:
        services.capa_close(capa=capa, actor=manager)

    assert refused.value.message == (
        f"CAPA {capa.number} cannot close: the verification of "
        f"{timezone.localtime(verified_at).strftime('%Y-%m-%d %H:%M')} CST found the actions not "
        "effective. Add a new action (or re-open one) and complete it, then verify "
        "effectiveness again."
    )
    assert (Capa.objects.get(pk=capa.pk).status, AuditEntry.objects.count()) == ("open", audits)


def test_capa_close_without_user_is_a_usage_error_naming_user(world: object, manager: User) -> None:
    capa = services.capa_open(
        confirm_past_due=True,
        actor=manager,
        title="Tip",
        problem="p",
        owner=manager,
        due_on=date(2026, 6, 30),
    )

    answer, error = _cli_refused("capa", "close", capa.number)

    assert answer == {
        "error": {
            "code": "usage",
            "message": "Give --user: the staff account this action is recorded under.",
            "where": "",
        }
    }
    assert error.returncode == 2
    assert Capa.objects.get(pk=capa.pk).status == "open"


def test_complaint_show_gives_times_as_the_api_does(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = _triaged(receive, manager)

    shown = _cli("complaint", "show", complaint.number)
    api = _api(manager).get(f"/api/quality/complaints/{complaint.pk}/").json()

    assert shown["aware_at"] == api["aware_at"] == "2026-03-02T17:30:00+08:00"
    assert shown["clocks"][0]["due_at"] == api["clocks"][0]["due_at"]
    assert shown["clocks"][0]["due_at"] == "2026-03-09T17:30:00+08:00"


# -- 7. labels, not codes; names, not user names ---------------------------------------------------


def test_complaint_page_in_chinese_shows_labels_and_full_names(
    receive: Callable[..., Complaint], make_user: Callable[..., User]
) -> None:
    qa = make_user(Role.QA_RA_MANAGER, language="zh-hans")
    User.objects.filter(pk=qa.pk).update(first_name="伟", last_name="王")
    complaint = receive(death=True, actor=qa)
    services.complaint_triage(
        complaint=complaint,
        actor=qa,
        decisions=[NMPA_DEATH, services.Triage("fda", False, "", "Not sold in the US")],
    )

    page = _client(qa).get(reverse("web:quality-complaint", args=[complaint.pk]))
    text = page.content.decode()

    table = text[
        text.index('id="decision-table"') : text.index("</table>", text.index("decision-table"))
    ]
    assert "<th>决定人与时间</th>" in table
    assert "<td>需上报</td>" in table
    assert "<td>无需上报</td>" in table
    assert ">yes<" not in table
    assert ">是<" not in table
    history = text[text.index('id="history"') :]
    assert "王伟" in history
    assert qa.username not in history
    with translation.override("zh-hans"):
        assert translation.gettext("Decided") == "已定级别"


# -- 8. CAPA list --------------------------------------------------------------------------------


def _capas(manager: User) -> tuple[Capa, Capa, Capa]:
    today = timezone.localdate()
    late = services.capa_open(
        confirm_past_due=True,
        actor=manager,
        title="Late",
        problem="p",
        owner=manager,
        due_on=today - timedelta(days=2),
    )
    due = services.capa_open(
        actor=manager, title="Due", problem="p", owner=manager, due_on=today + timedelta(days=5)
    )
    closed = services.capa_open(confirm_past_due=True,
        actor=manager, title="Closed late", problem="p", owner=manager,
        due_on=today - timedelta(days=9),
    )  # fmt: skip
    Capa.objects.filter(pk=closed.pk).update(status="closed")
    return late, due, closed


@pytest.mark.parametrize(
    ("language", "mark", "heading"),
    [("en", "overdue", "Overdue only"), ("zh-hans", "已逾期", "仅显示逾期")],
)
def test_capa_list_marks_and_filters_overdue_capas(
    world: object, make_user: Callable[..., User], language: str, mark: str, heading: str
) -> None:
    manager = make_user(Role.QA_RA_MANAGER, language=language)
    late, due, closed = _capas(manager)
    client = _client(manager)

    everything = client.get(reverse("web:quality-capas")).content.decode()
    overdue = client.get(reverse("web:quality-capas"), {"overdue": "1"}).content.decode()
    detail = client.get(reverse("web:quality-capa", args=[late.pk])).content.decode()

    marked = [
        capa.number
        for capa in (late, due, closed)
        if f'<mark class="overdue">{mark}</mark>'
        in everything[
            everything.index(capa.number) : everything.index("</tr>", everything.index(capa.number))
        ]
    ]
    assert marked == [late.number]
    assert heading in everything
    assert (late.number in overdue, due.number in overdue, closed.number in overdue) == (
        True,
        False,
        False,
    )
    assert f"<title>{late.number} · Late" in detail
    assert f"<h1>{late.number} <small" in detail
    assert "CAPA CAPA-" not in detail


def test_capa_list_overdue_filter_in_the_api_and_the_command(world: object, manager: User) -> None:
    late, due, _closed = _capas(manager)

    api = _api(manager).get("/api/quality/capas/", {"overdue": "1"}).json()
    everything = _api(manager).get("/api/quality/capas/").json()
    cli = _cli("capa", "list", "--overdue")

    assert [(c["number"], c["overdue"]) for c in api["results"]] == [(late.number, True)]
    assert {c["number"]: c["overdue"] for c in everything["results"]}[due.number] is False
    assert [(c["number"], c["overdue"]) for c in cli["capas"]] == [(late.number, True)]


def test_capa_list_queries_do_not_grow_with_rows(world: object, manager: User) -> None:
    client = _client(manager)
    _capas(manager)
    client.get(reverse("web:quality-capas"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("web:quality-capas"), {"overdue": "1"})
    for n in range(6):
        services.capa_open(confirm_past_due=True,
            actor=manager, title=f"More {n}", problem="p", owner=manager,
            due_on=timezone.localdate() - timedelta(days=1),
        )  # fmt: skip

    with CaptureQueriesContext(connection) as many:
        client.get(reverse("web:quality-capas"), {"overdue": "1"})

    assert len(many.captured_queries) == len(few.captured_queries)


def test_reply_problem_page_of_another_holder_is_not_found_for_a_portal_user(
    notice: Notice, other_portal_user: User, portal_user: User
) -> None:
    url = reverse("web:notice-problem", args=[links.token_for(notice, "reply")])

    other = _client(other_portal_user)
    refused = (other.get(url).status_code, other.post(url, PROBLEM).status_code)
    own = _client(portal_user).get(url).status_code

    assert (refused, own) == ((404, 404), 200)
    assert Complaint.objects.count() == 0
