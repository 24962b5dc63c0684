"""The filing pages: the recall links to its filings; the list shows each document with its
status and due date at a constant query count; a refused check shows every missing item and
changes nothing; portal users never see a filing; roles other than QA/RA read only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.filings import services
from medrecall.filings.models import Filing, FilingStatus
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.filings.conftest import signed_plan


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_recall_links_to_its_filings_and_the_list_shows_status_and_due_date(
    recall: RecallCase, manager: User
) -> None:
    signed_plan(recall, manager)
    client = _client(manager)

    detail = client.get(f"/recalls/{recall.pk}/").content.decode()
    page = client.get(f"/recalls/{recall.pk}/filings/").content.decode()

    assert f'href="/recalls/{recall.pk}/filings/" id="filings-link"' in detail
    assert 'data-doc="nmpa.recall_plan"' in page
    assert '<span class="badge partial">Signed</span>' in page
    assert "When the completion is recorded: 10 working days after it." in page
    assert page.count('class="filing-due"') == 6


def test_a_refused_check_shows_every_missing_item_and_changes_nothing(
    recall: RecallCase, manager: User
) -> None:
    filing = services.filing_generate(recall=recall, doc_type="nmpa.recall_plan", actor=manager)
    client = _client(manager)

    answer = client.post(f"/recalls/{recall.pk}/filings/{filing.pk}/check/", follow=True)

    text = answer.content.decode()
    assert "Recall plan is not complete: 4 item(s) missing." in text
    assert "Section “5. Handling of the devices after the recall” is empty." in text
    filing.refresh_from_db()
    assert filing.status == FilingStatus.DRAFT


def test_the_detail_shows_a_signature_that_no_longer_matches(
    recall: RecallCase, manager: User
) -> None:
    filing = signed_plan(recall, manager)
    client = _client(manager)
    client.post(
        f"/recalls/{recall.pk}/filings/{filing.pk}/enter/",
        {"expected_effect_zh": "收回九成。", "expected_effect_en": ""},
    )

    page = client.get(f"/recalls/{recall.pk}/filings/{filing.pk}/").content.decode()

    assert "The filing changed after it was signed: the signature no longer matches." in page
    assert Filing.objects.get().status == FilingStatus.DRAFT


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        pytest.param(Role.PORTAL, 404, 404, id="portal-of-a-holder"),
        pytest.param(Role.VIEWER, 200, 403, id="viewer-reads-only"),
        pytest.param(Role.WAREHOUSE, 200, 403, id="warehouse-reads-only"),
        pytest.param(Role.QA_RA_MANAGER, 200, 302, id="qa-ra-manager"),
    ],
)
def test_who_sees_and_who_acts(
    recall: RecallCase,
    manager: User,
    make_user: Callable[..., User],
    role: str,
    read: int,
    write: int,
) -> None:
    filing = services.filing_generate(recall=recall, doc_type="nmpa.event_report", actor=manager)
    party = Party.objects.get(code="HOSP") if role == Role.PORTAL else None
    client = _client(make_user(role, party=party))

    assert client.get(f"/recalls/{recall.pk}/filings/").status_code == read
    assert client.get(f"/recalls/{recall.pk}/filings/{filing.pk}/").status_code == read
    assert client.get(f"/recalls/{recall.pk}/filings/{filing.pk}/files/pdf_en/").status_code == read
    made = client.post(f"/recalls/{recall.pk}/filings/generate/", {"doc_type": "nmpa.recall_plan"})
    assert made.status_code == write
    assert Filing.objects.count() == (2 if write == 302 else 1)


def test_anonymous_is_sent_to_log_in(recall: RecallCase) -> None:
    answer = Client().get(f"/recalls/{recall.pk}/filings/")

    assert answer.status_code == 302
    assert answer["Location"].startswith("/login/")


def test_the_list_page_runs_the_same_queries_for_one_filing_and_for_four(
    recall: RecallCase, manager: User
) -> None:
    client = _client(manager)
    url = f"/recalls/{recall.pk}/filings/"
    services.filing_generate(recall=recall, doc_type="nmpa.event_report", actor=manager)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for doc_type in ("nmpa.recall_plan", "nmpa.assessment_report", "nmpa.publication"):
        services.filing_generate(recall=recall, doc_type=doc_type, actor=manager)
    with CaptureQueriesContext(connection) as four:
        assert client.get(url).status_code == 200

    assert len(four) == len(one)
