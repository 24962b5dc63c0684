"""The filings API: generate, enter, check (every missing item in ``details``), sign, submit
with the acknowledgement (multipart), a new version, the files; who may read and act; lists
at a constant query count."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.filings import services
from medrecall.filings.models import Filing
from medrecall.parties.models import Party
from medrecall.recalls.models import DeadlineDone, RecallCase
from tests.conftest import PASSWORD
from tests.filings.conftest import ACK, PLAN_SECTIONS, signing_clock


def test_the_plan_walks_from_generated_to_submitted_through_the_api(
    recall: RecallCase, manager: User, api_as: Callable[[User | None], APIClient]
) -> None:
    client = api_as(manager)
    base = f"/api/recalls/{recall.pk}/filings/"

    made = client.post(base, {"doc_type": "nmpa.recall_plan"}, format="json")
    assert made.status_code == 201
    pk = made.json()["id"]
    assert made.json()["problems"] == [
        "Section “2. The recall measures: organisation, scope and time limits” is empty.",
        "Section “3. How and where the recall is published” is empty.",
        "Section “4. The expected effect of the recall” is empty.",
        "Section “5. Handling of the devices after the recall” is empty.",
    ]
    refused = client.post(f"{base}{pk}/check/")
    assert refused.status_code == 400
    assert refused.json()["code"] == "filing_incomplete"
    assert len(refused.json()["details"]) == 4

    entered = client.patch(f"{base}{pk}/", {"sections": PLAN_SECTIONS}, format="json")
    assert (entered.status_code, entered.json()["problems"]) == (200, [])
    assert client.post(f"{base}{pk}/check/").json()["status"] == "checked"
    with signing_clock():
        signed = client.post(
            f"{base}{pk}/sign/", {"password": PASSWORD, "username": manager.username}, format="json"
        )
    assert signed.status_code == 201
    assert (signed.json()["status"], signed.json()["signature_state"]) == ("signed", "valid")
    assert signed.json()["signature"]["meaning_code"] == "authored"

    submitted = client.post(
        f"{base}{pk}/submit/",
        {
            "authority": "广东省药品监督管理局",
            "reference": "YJZH-2025-017",
            "submitted_at": "2025-03-05T10:00:00+08:00",
            "acknowledgement": SimpleUploadedFile("receipt.pdf", ACK, "application/pdf"),
        },
        format="multipart",
    )
    assert submitted.status_code == 201
    assert (submitted.json()["status"], submitted.json()["deadline_key"]) == (
        "submitted",
        "nmpa.recall_plan",
    )
    again = client.post(
        f"{base}{pk}/submit/",
        {
            "authority": "x",
            "reference": "y",
            "acknowledgement": SimpleUploadedFile("r.pdf", ACK, "application/pdf"),
        },
        format="multipart",
    )
    assert (again.status_code, again.json()["code"]) == (409, "filing_already_submitted")
    assert DeadlineDone.objects.filter(recall=recall).count() == 1

    files = submitted.json()["files"]
    assert sorted(files) == ["acknowledgement", "docx_en", "docx_zh", "pdf_en", "pdf_zh"]
    pdf = client.get(files["pdf_zh"])
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    ack = client.get(files["acknowledgement"])
    assert b"".join(ack.streaming_content) == ACK
    assert "attachment" in ack["Content-Disposition"]

    revised = client.post(f"{base}{pk}/versions/", {"change_note": "延长期限"}, format="json")
    assert (revised.status_code, revised.json()["version"], revised.json()["change_note"]) == (
        201,
        2,
        "延长期限",
    )


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        pytest.param(None, 401, 401, id="anonymous"),
        pytest.param(Role.PORTAL, 404, 404, id="portal-of-a-holder"),
        pytest.param(Role.VIEWER, 200, 403, id="viewer-reads-only"),
        pytest.param(Role.FINANCE, 200, 403, id="finance-reads-only"),
        pytest.param(Role.QA_RA_MANAGER, 200, 201, id="qa-ra-manager"),
    ],
)
def test_permission_matrix(
    recall: RecallCase,
    manager: User,
    make_user: Callable[..., User],
    api_as: Callable[[User | None], APIClient],
    role: str | None,
    read: int,
    write: int,
) -> None:
    filing = services.filing_generate(recall=recall, doc_type="nmpa.event_report", actor=manager)
    user = None
    if role == Role.PORTAL:
        user = make_user(role, party=Party.objects.get(code="HOSP"))
    elif role:
        user = make_user(role)
    client = api_as(user)
    base = f"/api/recalls/{recall.pk}/filings/"

    assert client.get(base).status_code == read
    assert client.get(f"{base}{filing.pk}/").status_code == read
    assert client.get(f"{base}{filing.pk}/files/pdf_zh/").status_code == read
    assert client.post(base, {"doc_type": "nmpa.recall_plan"}, format="json").status_code == write
    expected = Filing.objects.filter(recall=recall).count()
    assert expected == (2 if write == 201 else 1)


def test_a_filing_of_another_recall_is_not_found(
    recall: RecallCase, manager: User, api_as: Callable[[User | None], APIClient]
) -> None:
    filing = services.filing_generate(recall=recall, doc_type="nmpa.event_report", actor=manager)

    got = api_as(manager).get(f"/api/recalls/{recall.pk + 1}/filings/{filing.pk}/")

    assert got.status_code == 404


def test_the_list_runs_the_same_queries_for_one_filing_and_for_four(
    recall: RecallCase, manager: User, api_as: Callable[[User | None], APIClient]
) -> None:
    client = api_as(manager)
    url = f"/api/recalls/{recall.pk}/filings/"
    services.filing_generate(recall=recall, doc_type="nmpa.event_report", actor=manager)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).json()["count"] == 1
    for doc_type in ("nmpa.recall_plan", "nmpa.assessment_report", "nmpa.publication"):
        services.filing_generate(recall=recall, doc_type=doc_type, actor=manager)
    with CaptureQueriesContext(connection) as four:
        assert client.get(url).json()["count"] == 4

    assert len(four) == len(one)
