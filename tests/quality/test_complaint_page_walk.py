"""What a browser walk found on the complaint page: the holder's reference shown beside its
name like a code, a GTIN shown as the device model, the triage's rationale missing from the
history, and 设备 and 器械 mixed for "device" in Chinese."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from medrecall.accounts.models import User
from medrecall.catalog.models import DeviceModel
from medrecall.parties.models import Party
from medrecall.quality import services
from medrecall.quality.models import Complaint
from tests.conftest import PASSWORD
from tests.traceability.scenario import CATH

pytestmark = pytest.mark.django_db

UNKNOWN_GTIN = "09999999999994"


def _page(user: User, language: str, complaint: Complaint) -> str:
    client = Client(headers={"accept-language": language})
    assert client.login(username=user.username, password=PASSWORD)
    response = client.get(reverse("web:quality-complaint", args=[complaint.pk]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _field(page: str, element_id: str) -> str:
    """The text of the ``<dd id=…>``, tags removed, spaces collapsed."""
    found = re.search(rf'<dd id="{element_id}">(.*?)</dd>', page, re.S)
    assert found, element_id
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def _history_rows(page: str) -> list[str]:
    table = page[page.index('id="history"') :]
    table = table[: table.index("</table>")]
    return [
        " ".join(re.sub(r"<[^>]+>", "", cell).split())
        for cell in re.findall(r'<div class="history-change">(.*?)</div>', table)
    ]


@pytest.mark.parametrize(
    ("language", "name"), [("en", "Harbour Hospital"), ("zh-hans", "港湾医院")]
)
def test_complaint_names_the_holder_with_its_code_and_keeps_the_reference_apart(
    receive: Callable[..., Complaint], manager: User, hospital: Party, language: str, name: str
) -> None:
    Party.objects.filter(pk=hospital.pk).update(name="港湾医院", name_en="Harbour Hospital")
    complaint = receive(reference="H-77")

    page = _page(manager, language, complaint)

    assert _field(page, "complaint-holder") == f"{name} HOSP"
    assert _field(page, "complaint-reference") == "H-77"


def test_complaint_shows_the_device_model_by_code_and_name(
    receive: Callable[..., Complaint], manager: User
) -> None:
    model = DeviceModel.objects.get(udi_di=CATH)
    complaint = receive()

    page = _page(manager, "en", complaint)

    assert _field(page, "complaint-device-model") == f"{model.model_code} {model.name_for('en')}"
    assert _field(page, "complaint-gtin") == CATH


def test_complaint_with_an_unknown_gtin_shows_it_as_gtin_never_as_the_device_model(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive(unit=services.UnitGiven(gtin=UNKNOWN_GTIN, lot="C1"))
    assert complaint.device_model is None

    page = _page(manager, "en", complaint)

    assert _field(page, "complaint-device-model") == "—"
    assert _field(page, "complaint-gtin") == UNKNOWN_GTIN
    list_page = Client(headers={"accept-language": "en"})
    assert list_page.login(username=manager.username, password=PASSWORD)
    table = html.unescape(list_page.get(reverse("web:quality-complaints")).content.decode())
    assert f"UDI-DI / GTIN</small> {UNKNOWN_GTIN}" in table


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        pytest.param(
            "en",
            [
                "US FDA: — → Not reportable; rationale: Not sold in the US",
                "China NMPA: — → Reportable (NMPA: death); rationale: Patient died during the procedure",
            ],
            id="en",
        ),
        pytest.param(
            "zh-hans",
            [
                "美国 FDA: — → 无需上报；理由：Not sold in the US",
                "中国 NMPA: — → 需上报（NMPA：死亡）；理由：Patient died during the procedure",
            ],
            id="zh-hans",
        ),
    ],
)
def test_complaint_history_says_why_each_regime_is_reportable_or_not(
    receive: Callable[..., Complaint], manager: User, language: str, expected: list[str]
) -> None:
    complaint = receive(death=True)
    services.complaint_triage(
        complaint=complaint,
        actor=manager,
        decisions=[
            services.Triage("nmpa", True, "nmpa_death", "Patient died during the procedure"),
            services.Triage("fda", False, "", "Not sold in the US"),
        ],
    )

    rows = _history_rows(_page(manager, language, complaint))

    regimes = {"US FDA", "China NMPA", "美国 FDA", "中国 NMPA"}
    assert sorted(row for row in rows if row.split(":")[0] in regimes) == sorted(expected)


def test_chinese_complaint_page_says_qixie_for_device(
    receive: Callable[..., Complaint], manager: User
) -> None:
    page = _page(manager, "zh-hans", receive())

    assert "器械型号" in page
    assert "设备" not in page
