"""Party codes named in a notices request's body are found by ``parties.selectors``; an
unknown code refuses the request (400 ``invalid``) naming the codes, and nothing is started."""

from __future__ import annotations

from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.notices.models import Notice, NoticeRun, Offer
from medrecall.recalls.models import RecallCase

pytestmark = pytest.mark.django_db


def test_a_run_for_unknown_party_codes_names_them_and_starts_nothing(
    recall: RecallCase, manager: User, api_as: Any
) -> None:
    entries, notices = AuditEntry.objects.count(), Notice.objects.count()
    refused = api_as(manager).post(
        f"/api/recalls/{recall.pk}/notices/send/",
        {"parties": ["HOSP", "NOPE", "GONE", "NOPE"]},
        format="json",
    )
    assert (refused.status_code, refused.json()) == (
        400,
        {
            "code": "invalid",
            "message": "There are no parties with codes NOPE, GONE.",
            "where": "parties",
        },
    )
    assert NoticeRun.objects.filter(recall=recall).count() == 0
    assert (AuditEntry.objects.count(), Notice.objects.count()) == (entries, notices)


def test_an_offer_to_an_unknown_party_is_refused_naming_the_code(
    recall: RecallCase, manager: User, api_as: Any
) -> None:
    refused = api_as(manager).post(
        "/api/offers/",
        {"recall": recall.pk, "party": "NOPE", "kind": "credit", "description": "Credit"},
        format="json",
    )
    assert (refused.status_code, refused.json()) == (
        400,
        {"code": "invalid", "message": "There is no party with code NOPE.", "where": "party"},
    )
    assert Offer.objects.count() == 0


def test_a_progress_update_to_an_unknown_party_is_refused_naming_the_code(
    recall: RecallCase, manager: User, api_as: Any
) -> None:
    notices = Notice.objects.count()
    refused = api_as(manager).post(
        f"/api/recalls/{recall.pk}/progress-updates/",
        {"party": "NOPE", "message": "Your return is on its way."},
        format="json",
    )
    assert (refused.status_code, refused.json()) == (
        400,
        {"code": "invalid", "message": "There is no party with code NOPE.", "where": "party"},
    )
    assert Notice.objects.count() == notices
