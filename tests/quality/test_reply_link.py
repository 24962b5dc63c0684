""" "Report a problem" from the recall reply link: the holder needs no account, the complaint is
the notice's party's, through the reply form channel; a bad token changes nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.notices import issuing, links
from medrecall.notices.models import Notice
from medrecall.parties.models import Party
from medrecall.quality.models import Channel, Complaint, Resolution
from tests.execution.conftest import approve, open_recall
from tests.traceability.scenario import CATH

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(world: object, manager: User, make_user: Callable[..., User]) -> Notice:
    recall = approve(open_recall(manager), make_user)
    hospital = Party.objects.get(code="HOSP")
    pk = issuing.notices_create(recall=recall, run=None, kind="initial", party_ids=[hospital.pk])[0]
    return Notice.objects.get(pk=pk)


def test_reply_form_links_to_problem_page(notice: Notice) -> None:
    token = links.token_for(notice, "reply")

    page = Client().get(reverse("web:notice-reply", args=[token])).content.decode()

    assert reverse("web:notice-problem", args=[token]) in page


def test_holder_reports_problem_without_account(notice: Notice) -> None:
    url = reverse("web:notice-problem", args=[links.token_for(notice, "reply")])
    client = Client()
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "aware_at": "2026-03-02T09:30",
            "gtin": CATH,
            "lot": "C1",
            "description": "Tip broke in the operating room",
            "injury": "on",
        },
    )

    assert response.status_code == 200
    complaint = Complaint.objects.get()
    assert (complaint.holder.code, complaint.channel, complaint.resolution, complaint.injury) == (
        "HOSP",
        Channel.REPLY,
        Resolution.RESOLVED,
        True,
    )
    assert complaint.entered_by is None
    entry = AuditEntry.objects.get(action="quality.complaint_received")
    assert (entry.actor_id, entry.actor_name) == (None, "holder HOSP (reply link)")


def test_bad_input_on_problem_page_keeps_nothing(notice: Notice) -> None:
    url = reverse("web:notice-problem", args=[links.token_for(notice, "reply")])

    response = Client().post(url, {"aware_at": "2026-03-02T09:30", "description": " "})

    assert "请描述发生了什么。" in response.content.decode()  # the notice is in Chinese
    assert Complaint.objects.count() == 0


def test_forged_token_is_refused(world: object) -> None:
    response = Client().post(
        reverse("web:notice-problem", args=["not-a-token"]),
        {"aware_at": "2026-03-02T09:30", "description": "x"},
    )

    assert response.status_code in (400, 403, 404)
    assert Complaint.objects.count() == 0
