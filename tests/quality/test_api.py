"""Quality API: entering and triaging complaints, CAPA lifecycle with the 409 refusal, portal
isolation, permissions, and constant query counts on the lists and the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.parties.models import Party
from medrecall.quality import services
from medrecall.quality.models import Capa, Complaint
from medrecall.recalls.models import RecallCase
from tests.traceability.scenario import CATH

pytestmark = pytest.mark.django_db


def _api(user: User | None) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def test_enter_complaint_with_barcode(world: object, manager: User) -> None:
    response = _api(manager).post(
        "/api/quality/complaints/",
        {
            "holder": "HOSP",
            "channel": "phone",
            "aware_at": "2026-03-02T09:30:00Z",
            "barcode": f"(01){CATH}(10)C1",
            "description": "Tip broke",
            "injury": True,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["holder"], body["lot"], body["resolution"], body["patient_involved"]) == (
        "HOSP",
        "C1",
        "resolved",
        True,
    )


def test_unknown_holder_in_body_is_400(world: object, manager: User) -> None:
    response = _api(manager).post(
        "/api/quality/complaints/",
        {"holder": "NOPE", "aware_at": "2026-03-02T09:30:00Z", "description": "x"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "There is no party with code NOPE.",
        "where": "holder",
    }
    assert Complaint.objects.count() == 0


def test_triage_then_clock_in_detail(receive: Callable[..., Complaint], manager: User) -> None:
    complaint = receive(death=True)

    response = _api(manager).post(
        f"/api/quality/complaints/{complaint.pk}/triage/",
        {
            "decisions": [
                {"regime": "nmpa", "reportable": True, "category": "nmpa_death", "rationale": "d"},
                {"regime": "fda", "reportable": False, "rationale": "not sold"},
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "triaged"
    assert [(c["category"], c["due_at"]) for c in body["clocks"]] == [
        ("nmpa_death", "2026-03-09T17:30:00+08:00")
    ]


def test_portal_user_enters_own_and_sees_only_own(
    receive: Callable[..., Complaint], portal_user: User
) -> None:
    other = receive(holder=Party.objects.get(code="HOSP2"))
    client = _api(portal_user)

    created = client.post(
        "/api/quality/complaints/",
        {"holder": "HOSP2", "aware_at": "2026-03-02T09:30:00Z", "description": "Our problem"},
        format="json",
    )
    listed = client.get("/api/quality/complaints/").json()

    assert created.status_code == 201
    assert created.json()["holder"] == "HOSP"
    assert Complaint.objects.get(pk=created.json()["id"]).channel == "portal"
    assert [c["number"] for c in listed["results"]] == [created.json()["number"]]
    assert client.get(f"/api/quality/complaints/{other.pk}/").status_code == 404
    assert client.get("/api/quality/capas/").status_code == 403
    assert client.get("/api/quality/dashboard/").status_code == 403
    assert (
        client.post(
            f"/api/quality/complaints/{created.json()['id']}/triage/",
            {"decisions": []},
            format="json",
        ).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("role", "list_status", "triage_status", "capa_status"),
    [
        pytest.param(Role.QA_RA_MANAGER, 200, 200, 201, id="qa-ra"),
        pytest.param(Role.CUSTOMER_SERVICE, 200, 403, 403, id="customer-service"),
        pytest.param(Role.VIEWER, 200, 403, 403, id="viewer"),
    ],
)
def test_permissions_by_role(
    receive: Callable[..., Complaint],
    make_user: Callable[..., User],
    role: str,
    list_status: int,
    triage_status: int,
    capa_status: int,
) -> None:
    complaint = receive()
    client = _api(make_user(role))

    assert client.get("/api/quality/complaints/").status_code == list_status
    triage = client.post(
        f"/api/quality/complaints/{complaint.pk}/triage/",
        {"decisions": [{"regime": "fda", "reportable": False, "rationale": "x"}]},
        format="json",
    )
    assert triage.status_code == triage_status
    capa = client.post(
        "/api/quality/capas/",
        {"title": "T", "problem": "P", "due_on": "2026-06-01", "confirm_past_due": True},
        format="json",
    )
    assert capa.status_code == capa_status


def test_anonymous_is_401(world: object) -> None:
    assert APIClient().get("/api/quality/complaints/").status_code == 401


def test_capa_lifecycle_and_close_refused_409(world: object, manager: User) -> None:
    client = _api(manager)
    capa = client.post(
        "/api/quality/capas/",
        {
            "title": "Tip fracture",
            "problem": "Tips break",
            "due_on": "2026-06-30",
            "confirm_past_due": True,
            "lots": [{"gtin": CATH, "lot": "C1"}],
        },
        format="json",
    ).json()
    assert capa["suppliers"] == ["SUPP"]
    base = f"/api/quality/capas/{capa['id']}"
    audits = AuditEntry.objects.count()

    refused = client.post(f"{base}/close/")
    assert refused.status_code == 409
    assert refused.json()["code"] == "capa_not_verified"
    assert AuditEntry.objects.count() == audits

    client.post(
        f"{base}/root-causes/",
        {
            "category": "Nonconforming Material/Component",
            "statement": "Thin wall",
            "whys": ["a", "b"],
            "fishbone": {"material": ["tubing"]},
        },
        format="json",
    )
    detail = client.post(
        f"{base}/actions/",
        {"kind": "corrective", "description": "Inspect", "due_on": "2026-05-01"},
        format="json",
    ).json()
    action = detail["actions"][0]["id"]
    client.post(f"{base}/actions/{action}/", {"status": "done"}, format="json")
    verified = client.post(
        f"{base}/verify/", {"method": "trend", "result": "none", "effective": True}, format="json"
    )
    assert verified.status_code == 201
    closed = client.post(f"{base}/close/")

    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["root_causes"][0]["whys"] == ["a", "b"]


def test_bad_root_cause_category_is_400(world: object, manager: User) -> None:
    capa = services.capa_open(
        confirm_past_due=True,
        actor=manager,
        title="T",
        problem="P",
        owner=manager,
        due_on=date(2026, 6, 1),
    )

    response = _api(manager).post(
        f"/api/quality/capas/{capa.pk}/root-causes/",
        {"category": "Bad luck", "statement": "x"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert capa.root_causes.count() == 0


def test_start_recall_from_complaint(receive: Callable[..., Complaint], manager: User) -> None:
    complaint = receive()

    response = _api(manager).post(f"/api/quality/complaints/{complaint.pk}/start-recall/")

    assert response.status_code == 201
    assert response.json()["status"] == "draft"
    assert Complaint.objects.get(pk=complaint.pk).recall.number == response.json()["number"]


def _count(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url", ["/api/quality/complaints/", "/api/quality/capas/", "/api/quality/dashboard/"]
)
def test_api_lists_query_count_constant(
    receive: Callable[..., Complaint], manager: User, url: str
) -> None:
    client = _api(manager)

    def more(n: int) -> None:
        for _i in range(n):
            complaint = receive(reference=f"R{Complaint.objects.count()}", death=True)
            services.complaint_triage(
                complaint=complaint,
                actor=manager,
                decisions=[services.Triage("nmpa", True, "nmpa_death", "x")],
            )
            capa = services.capa_open(
                confirm_past_due=True,
                actor=manager,
                title="C",
                problem="p",
                owner=manager,
                due_on=date(2026, 1, 1),
            )
            services.root_cause_add(capa=capa, actor=manager, category="Other", statement="x")

    more(1)
    client.get(url)  # the user's permissions are cached from the first request on
    one = _count(client, url)
    more(4)

    assert _count(client, url) == one
    assert Capa.objects.count() == 5


def test_link_recall_by_number_and_unknown_is_400(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive()
    recall = services.complaint_start_recall(
        complaint=receive(reference="X"), actor=manager, confirm_overlap=True
    )
    client = _api(manager)

    linked = client.post(
        f"/api/quality/complaints/{complaint.pk}/recall/", {"recall": recall.number}, format="json"
    )
    unknown = client.post(
        f"/api/quality/complaints/{complaint.pk}/recall/", {"recall": "RC-1999-0001"}, format="json"
    )

    assert (linked.status_code, linked.json()["recall"]) == (200, recall.number)
    assert (unknown.status_code, unknown.json()["where"]) == (400, "recall")
    assert Complaint.objects.get(pk=complaint.pk).recall == recall


def test_capa_owner_and_links_by_name(receive: Callable[..., Complaint], manager: User) -> None:
    complaint = receive()
    response = _api(manager).post(
        "/api/quality/capas/",
        {
            "title": "T",
            "problem": "P",
            "due_on": "2026-06-01",
            "confirm_past_due": True,
            "owner": manager.username,
            "complaints": [complaint.number],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert (response.json()["owner"], response.json()["complaints"]) == (
        manager.username,
        [complaint.number],
    )


def test_start_recall_twice_is_409_naming_the_recall(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive()
    first = services.complaint_start_recall(complaint=complaint, actor=manager)
    recalls = RecallCase.objects.count()
    audits = AuditEntry.objects.count()

    response = _api(manager).post(f"/api/quality/complaints/{complaint.pk}/start-recall/")

    assert response.status_code == 409
    assert response.json()["code"] == "complaint_recall_already_linked"
    assert first.number in response.json()["message"]
    assert RecallCase.objects.count() == recalls
    assert AuditEntry.objects.count() == audits
    assert Complaint.objects.get(pk=complaint.pk).recall == first


def test_link_recall_never_replaces_an_existing_link(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive()
    second = receive(reference="X")  # before the first recall: not linked to it on receipt
    first = services.complaint_start_recall(complaint=complaint, actor=manager)
    other = services.complaint_start_recall(complaint=second, actor=manager, confirm_overlap=True)
    audits = AuditEntry.objects.count()
    client = _api(manager)

    replaced = client.post(
        f"/api/quality/complaints/{complaint.pk}/recall/", {"recall": other.number}, format="json"
    )
    same = client.post(
        f"/api/quality/complaints/{complaint.pk}/recall/", {"recall": first.number}, format="json"
    )

    assert (replaced.status_code, replaced.json()["code"]) == (
        409,
        "complaint_recall_already_linked",
    )
    assert first.number in replaced.json()["message"]
    assert (same.status_code, same.json()["recall"]) == (200, first.number)
    assert Complaint.objects.get(pk=complaint.pk).recall == first
    assert AuditEntry.objects.count() == audits


PORTAL_KEYS = {
    "id",
    "number",
    "status",
    "holder",
    "aware_at",
    "gtin",
    "lot",
    "serial",
    "resolution",
    "patient_involved",
    "injury",
    "death",
    "recall",
}
STAFF_KEYS = PORTAL_KEYS | {
    "channel",
    "reference",
    "event_date",
    "barcode",
    "needs_resolution",
    "holder_not_shipped",
    "description",
    "malfunction",
    "findings",
}


def test_portal_user_reads_only_what_the_portal_page_shows(
    receive: Callable[..., Complaint], portal_user: User, manager: User
) -> None:
    complaint = receive(death=True)
    services.complaint_triage(
        complaint=complaint,
        actor=manager,
        decisions=[services.Triage("nmpa", True, "nmpa_death", "internal rationale")],
    )
    portal = _api(portal_user)

    detail = portal.get(f"/api/quality/complaints/{complaint.pk}/").json()
    listed = portal.get("/api/quality/complaints/").json()["results"]
    staff = _api(manager).get(f"/api/quality/complaints/{complaint.pk}/").json()

    assert set(detail) == PORTAL_KEYS
    assert [set(row) for row in listed] == [PORTAL_KEYS]
    assert "internal rationale" not in str(detail)
    assert set(staff) == STAFF_KEYS | {"decisions", "clocks"}
    assert staff["decisions"][0]["rationale"] == "internal rationale"
