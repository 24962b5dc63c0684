"""Quality pages: the dashboard, complaint and CAPA lists and pages, entry from a page and from
the portal, refusals shown as messages, portal isolation (pages and exports), constant query
counts."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.parties.models import Party
from medrecall.quality import services
from medrecall.quality.lifecycle import CapaStatus, ComplaintStatus
from medrecall.quality.models import Capa, Complaint, Resolution
from tests.conftest import PASSWORD
from tests.traceability.scenario import CATH

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_enter_complaint_from_page_with_unknown_lot(world: object, manager: User) -> None:
    client = _client(manager)

    response = client.post(
        reverse("web:quality-complaint-new"),
        {
            "channel": "email",
            "holder": "HOSP",
            "aware_at": "2026-03-02T09:30",
            "gtin": CATH,
            "lot": "C77",
            "description": "Kink in the catheter",
        },
    )

    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:quality-complaint", args=[complaint.pk])
    assert (complaint.channel, complaint.holder.code, complaint.resolution) == (
        "email",
        "HOSP",
        Resolution.UNKNOWN_LOT,
    )
    page = client.get(response["Location"]).content.decode()
    assert "Lot not known" in page


def test_bad_entry_shows_message_and_keeps_nothing(world: object, manager: User) -> None:
    response = _client(manager).post(
        reverse("web:quality-complaint-new"),
        {"channel": "email", "holder": "NOPE", "aware_at": "2026-03-02T09:30", "description": "x"},
        follow=True,
    )

    assert response.status_code == 200
    assert "There is no party with code NOPE." in response.content.decode()
    assert Complaint.objects.count() == 0


def test_triage_from_page_starts_clock(receive: Callable[..., Complaint], manager: User) -> None:
    complaint = receive(death=True)
    client = _client(manager)

    client.post(
        reverse("web:quality-complaint-triage", args=[complaint.pk]),
        {
            "nmpa-decision": "yes",
            "nmpa-category": "nmpa_death",
            "nmpa-rationale": "Death",
            "fda-decision": "no",
            "fda-rationale": "Not sold in the US",
        },
    )

    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.TRIAGED
    page = client.get(reverse("web:quality-complaint", args=[complaint.pk])).content.decode()
    assert 'data-key="nmpa_death"' in page
    assert "2026-03-09 17:30 CST" in page  # 7 days after 2026-03-02 09:30 UTC, Shanghai time


def test_capa_close_without_verification_shows_reason(world: object, manager: User) -> None:
    capa = services.capa_open(
        confirm_past_due=True,
        actor=manager,
        title="T",
        problem="P",
        owner=manager,
        due_on=date(2026, 6, 1),
    )

    response = _client(manager).post(reverse("web:quality-capa-close", args=[capa.pk]), follow=True)

    assert "cannot close without a recorded verification of effectiveness" in (
        response.content.decode()
    )
    assert Capa.objects.get(pk=capa.pk).status == CapaStatus.OPEN


def test_portal_page_enters_and_lists_own_party_only(
    receive: Callable[..., Complaint], portal_user: User, other_portal_user: User, manager: User
) -> None:
    from medrecall.parties.models import Party

    receive(holder=Party.objects.get(code="HOSP2"), description="Other hospital's problem")
    client = _client(portal_user)

    client.post(
        reverse("web:portal-complaints"),
        {
            "aware_at": "2026-03-02T09:30",
            "description": "Our pump alarms",
            "barcode": "(01)06950000000026(21)PS-001",
        },
    )

    mine = Complaint.objects.get(channel="portal")
    assert (mine.holder.code, mine.serial.serial) == ("HOSP", "PS-001")
    page = client.get(reverse("web:portal-complaints")).content.decode()
    assert mine.number in page
    assert "Other hospital" not in page
    export = client.get(reverse("web:quality-complaint-export")).content.decode()
    assert mine.number in export
    assert "Other hospital" not in export
    assert export.count("\n") == 2  # header and our one complaint


@pytest.mark.parametrize(
    "name",
    [
        "web:quality-dashboard",
        "web:quality-complaints",
        "web:quality-capas",
        "web:quality-complaint-new",
    ],
)
def test_staff_pages_hidden_from_portal(portal_user: User, name: str) -> None:
    assert _client(portal_user).get(reverse(name)).status_code == 404


def test_portal_user_cannot_open_other_partys_complaint(
    receive: Callable[..., Complaint], portal_user: User
) -> None:
    from medrecall.parties.models import Party

    other = receive(holder=Party.objects.get(code="HOSP2"))

    assert (
        _client(portal_user).get(reverse("web:quality-complaint", args=[other.pk])).status_code
        == 404
    )


def test_export_writes_formula_as_text(receive: Callable[..., Complaint], manager: User) -> None:
    receive(description='=HYPERLINK("http://x")')

    export = _client(manager).get(reverse("web:quality-complaint-export")).content.decode()

    assert "'=HYPERLINK" in export


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _more(receive: Callable[..., Complaint], manager: User, n: int) -> None:
    for i in range(n):
        complaint = receive(reference=f"R{Complaint.objects.count()}", death=True)
        services.complaint_triage(
            complaint=complaint,
            actor=manager,
            decisions=[services.Triage("nmpa", True, "nmpa_death", "x")],
        )
        capa = services.capa_open(
            confirm_past_due=True,
            actor=manager,
            title=f"C{i}",
            problem="p",
            owner=manager,
            due_on=date(2026, 1, 1) + timedelta(days=i),
        )
        services.root_cause_add(capa=capa, actor=manager, category="Process control", statement="x")
        services.capa_action_add(
            capa=capa,
            actor=manager,
            kind="corrective",
            description="x",
            owner=manager,
            due_on=date(2026, 1, 1),
        )


@pytest.mark.parametrize(
    "name",
    [
        "web:quality-dashboard",
        "web:quality-complaints",
        "web:quality-capas",
        "web:quality-complaint-export",
    ],
)
def test_list_pages_query_count_constant(
    receive: Callable[..., Complaint], manager: User, name: str
) -> None:
    client = _client(manager)
    _more(receive, manager, 1)
    one = _queries(client, reverse(name))
    _more(receive, manager, 4)

    assert _queries(client, reverse(name)) == one


def test_portal_list_query_count_constant(
    receive: Callable[..., Complaint], manager: User, portal_user: User
) -> None:
    client = _client(portal_user)
    receive(reference="A")
    one = _queries(client, reverse("web:portal-complaints"))
    for i in range(4):
        receive(reference=f"B{i}")

    assert _queries(client, reverse("web:portal-complaints")) == one


@pytest.mark.parametrize(
    "role", [Role.VIEWER, Role.CUSTOMER_SERVICE, Role.QA_RA_MANAGER, Role.TRACEABILITY_ANALYST]
)
def test_dashboard_readable_by_staff_roles(
    world: object, make_user: Callable[..., User], role: str
) -> None:
    assert _client(make_user(role)).get(reverse("web:quality-dashboard")).status_code == 200


def test_customer_service_enters_but_cannot_triage(
    receive: Callable[..., Complaint], make_user: Callable[..., User]
) -> None:
    complaint = receive()
    client = _client(make_user(Role.CUSTOMER_SERVICE))

    response = client.post(
        reverse("web:quality-complaint-triage", args=[complaint.pk]),
        {"fda-decision": "no", "fda-rationale": "x"},
    )

    assert response.status_code == 403
    assert Complaint.objects.get(pk=complaint.pk).status == ComplaintStatus.RECEIVED


def test_open_capa_from_page_with_links(receive: Callable[..., Complaint], manager: User) -> None:
    complaint = receive()
    client = _client(manager)

    response = client.post(
        reverse("web:quality-capa-new"),
        {
            "title": "Tip fracture",
            "problem": "Tips break",
            "owner": manager.username,
            "due_on": "2026-06-30",
            "confirm_past_due": "1",
            "complaints": complaint.number,
            "lots": "C1",
        },
    )

    capa = Capa.objects.get()
    assert response["Location"] == reverse("web:quality-capa", args=[capa.pk])
    assert list(capa.complaints.all()) == [complaint]
    assert list(capa.suppliers.values_list("code", flat=True)) == ["SUPP"]
    page = client.get(response["Location"]).content.decode()
    assert complaint.number in page


def test_open_capa_with_unknown_owner_refused(world: object, manager: User) -> None:
    response = _client(manager).post(
        reverse("web:quality-capa-new"),
        {"title": "T", "problem": "P", "owner": "nobody", "due_on": "2026-06-30"},
        follow=True,
    )

    assert response.status_code == 200
    assert Capa.objects.count() == 0


def test_link_complaint_to_recall_from_page(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive()
    recall = services.complaint_start_recall(complaint=receive(reference="X"), actor=manager)

    _client(manager).post(
        reverse("web:quality-complaint-link-recall", args=[complaint.pk]), {"recall": recall.number}
    )

    assert Complaint.objects.get(pk=complaint.pk).recall == recall


@pytest.mark.parametrize(
    ("language", "header", "row"),
    [
        (
            "en",
            "Complaint,Status,Holder code,Holder name,Holder's reference,Awareness date,"
            "Event date,Device model,UDI-DI / GTIN,Lot,Serial number,Device identification,"
            "Death,Serious injury,Malfunction,Patient involved,Description,Recall",
            ["HOSP", "Harbour Hospital", "H-1", "2026-03-02 17:30 CST", "2026-03-01"],
        ),
        (
            "zh-hans",
            "投诉,状态,持有方代码,持有方名称,持有方参考号,获知日期,事件日期,器械型号",
            ["HOSP", "港湾医院", "H-1", "2026-03-02 17:30 CST", "2026-03-01"],
        ),
    ],
)
def test_export_has_bom_translated_headers_local_times_and_the_holders_name(
    receive: Callable[..., Complaint],
    make_user: Callable[..., User],
    language: str,
    header: str,
    row: list[str],
) -> None:
    """Awareness at 09:30 UTC is 17:30 in the company's zone (Asia/Shanghai), whatever zone the
    request runs in; the holder by code and by its name in the reader's language."""
    Party.objects.filter(code="HOSP").update(name="港湾医院", name_en="Harbour Hospital")
    receive(reference="H-1", event_date=date(2026, 3, 1))
    user = make_user(Role.QA_RA_MANAGER, language=language)
    client = _client(user)

    with timezone.override(ZoneInfo("America/New_York")):  # a zone other than the company's
        raw = client.get(reverse("web:quality-complaint-export")).content
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))

    assert raw.startswith(codecs.BOM_UTF8)
    assert ",".join(rows[0]).lstrip("\ufeff").startswith(header)
    assert len(rows[0]) == 18
    assert rows[1][2:7] == row


@pytest.mark.parametrize(
    ("language", "flags"),
    [("en", ["No", "Yes", "Yes", "Yes"]), ("zh-hans", ["否", "是", "是", "是"])],
)
def test_export_writes_yes_no_and_keeps_formulas_as_text(
    receive: Callable[..., Complaint],
    make_user: Callable[..., User],
    language: str,
    flags: list[str],
) -> None:
    receive(injury=True, malfunction=True, description="=1+1")  # an injury: a patient involved
    user = make_user(Role.QA_RA_MANAGER, language=language)

    raw = _client(user).get(reverse("web:quality-complaint-export")).content
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))

    assert rows[1][12:16] == flags
    assert rows[1][16] == "'=1+1"


def test_verify_form_preselects_nothing_and_an_answer_is_required(
    manager: User, world: object
) -> None:
    capa = services.capa_open(
        confirm_past_due=True,
        actor=manager,
        title="C",
        problem="p",
        owner=manager,
        due_on=date(2026, 6, 30),
    )
    services.root_cause_add(capa=capa, actor=manager, category="Other", statement="x")
    task = services.capa_action_add(
        capa=capa,
        actor=manager,
        kind="correction",
        description="Rework",
        owner=manager,
        due_on=date(2026, 5, 1),
    )
    services.capa_action_update(task=task, actor=manager, status="done")
    client = _client(manager)

    page = client.get(reverse("web:quality-capa", args=[capa.pk])).content.decode()
    client.post(reverse("web:quality-capa-verify", args=[capa.pk]), {"method": "m", "result": "r"})

    assert 'name="effective" value="yes" checked' not in page
    assert 'name="effective" value="yes" required' in page
    assert capa.verifications.count() == 0


def test_capa_owner_suggestions_are_staff_who_may_act_on_capas(
    manager: User, make_user: Callable[..., User], world: object
) -> None:
    from medrecall.parties.models import Party

    make_user(Role.VIEWER, username="viewer1")
    make_user(Role.PORTAL, party=Party.objects.get(code="HOSP"), username="portal1")
    qa = make_user(Role.QA_RA_MANAGER, username="qa2")

    page = _client(manager).get(reverse("web:quality-capa-new")).content.decode()

    assert sorted(re.findall(r'<option value="([^"]+)">', page)) == sorted(
        [manager.username, qa.username]
    )
