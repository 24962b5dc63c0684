"""What a walk through the quality pages found: the history's changes written as codes and Python
values, a CAPA opened with a past due date without a word, "There is no CAPA CAPA-…", owner
suggestions by user name, and the dashboard's wording (plurals, two "no data" sentences, "every
closed recall has a CAPA" when none is closed)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.parties.models import Party
from medrecall.quality import services, signals
from medrecall.quality.capas import company_today
from medrecall.quality.errors import CapaPastDueUnconfirmed
from medrecall.quality.importers import ComplaintImporter
from medrecall.quality.models import Capa, Complaint
from tests.conftest import PASSWORD
from tests.traceability.scenario import CATH

pytestmark = pytest.mark.django_db

HEADER = "holder,reference,aware_date,event_date,description,gtin,lot,death\n"
FIRST = HEADER + f"HOSP,H-9,2026-03-02,,Tip broke,{CATH},C1,no\n"
LATER = HEADER + f"HOSP,H-9,2026-03-02,2026-03-01,Tip broke,{CATH},C1,yes\n"


def _client(user: User, language: str) -> Client:
    client = Client(headers={"accept-language": language})
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _history_rows(page: str) -> list[str]:
    """The history table's change cells, tags removed, one line per change."""
    table = page[page.index('id="history"') :]
    table = table[: table.index("</table>")]
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r'<div class="history-change">(.*?)</div>', table)
    ]


def _named(user: User, given: str, family: str) -> User:
    user.first_name, user.last_name = given, family
    user.save(update_fields=["first_name", "last_name"])
    return user


# -- 1. the history in words -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        pytest.param(
            "en",
            [
                "Event date: — → 2026-03-01",
                "Patient involved: No → Yes",
                "Death: No → Yes",
            ],
            id="en",
        ),
        pytest.param(
            "zh-hans",
            ["事件日期: — → 2026-03-01", "涉及患者: 否 → 是", "死亡: 否 → 是"],
            id="zh-hans",
        ),
    ],
)
def test_complaint_history_writes_labels_yes_no_and_dates(
    world: object, tmp_path: Path, manager: User, language: str, expected: list[str]
) -> None:
    (tmp_path / "a.csv").write_text(FIRST, encoding="utf-8")
    (tmp_path / "b.csv").write_text(LATER, encoding="utf-8")
    assert ComplaintImporter().run(tmp_path / "a.csv", file_name="a.csv").accepted
    assert ComplaintImporter().run(tmp_path / "b.csv", file_name="b.csv").updated == 1
    complaint = Complaint.objects.get(reference="H-9")
    entry = AuditEntry.objects.get(action="quality.complaint_updated_by_import")
    assert entry.changes == {
        "event_date": [None, "2026-03-01"],
        "patient_involved": [False, True],
        "death": [False, True],
    }

    page = _client(manager, language).get(reverse("web:quality-complaint", args=[complaint.pk]))

    assert _history_rows(page.content.decode())[-3:] == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        pytest.param(
            "en",
            [
                "Received through: — → E-mail",
                "Holder: — → {hospital} (HOSP)",
                f"Device model: — → {CATH}",
                "Lot: — → C1",
                "Device identification: — → Resolved",
                "Awareness date: — → 2026-03-02 17:30 CST",
                "Serious injury: — → No",
                "Death: — → No",
            ],
            id="en",
        ),
        pytest.param(
            "zh-hans",
            [
                "接收渠道: — → 电子邮件",
                "持有方: — → {hospital} (HOSP)",
                f"器械型号: — → {CATH}",
                "批次: — → C1",
                "器械识别: — → 已识别",
                "获知日期: — → 2026-03-02 17:30 CST",
                "严重伤害: — → 否",
                "死亡: — → 否",
            ],
            id="zh-hans",
        ),
    ],
)
def test_complaint_history_names_the_holder_and_choice_labels(
    receive: Callable[..., Complaint], manager: User, language: str, expected: list[str]
) -> None:
    complaint = receive()
    hospital = Party.objects.get(code="HOSP")

    page = _client(manager, language).get(reverse("web:quality-complaint", args=[complaint.pk]))

    rows = _history_rows(page.content.decode())
    name = hospital.name_en if language == "en" and hospital.name_en else hospital.name
    assert rows == [row.format(hospital=name) for row in expected]  # the serial, not given: none


@pytest.mark.parametrize(
    ("language", "owner", "due"),
    [
        pytest.param("en", "Owner: — → Fang Wang", "Due date: — → 2099-03-31", id="en"),
        pytest.param("zh-hans", "负责人: — → 王芳", "到期日: — → 2099-03-31", id="zh-hans"),
    ],
)
def test_capa_history_names_the_owner_by_full_name(
    world: object, manager: User, language: str, owner: str, due: str
) -> None:
    _named(manager, "Fang", "Wang")
    capa = services.capa_open(
        actor=manager, title="T", problem="P", owner=manager, due_on=date(2099, 3, 31)
    )
    if language == "zh-hans":
        _named(manager, "芳", "王")

    page = _client(manager, language).get(reverse("web:quality-capa", args=[capa.pk]))

    rows = _history_rows(page.content.decode())
    assert rows[1:3] == [owner, due]
    assert manager.username not in " ".join(rows)


# -- 2. a CAPA with a past due date waits for a confirmation ---------------------------------


def test_capa_open_with_past_due_date_refused_unless_confirmed_nothing_kept(
    world: object, manager: User
) -> None:
    today = company_today()
    past = today - timedelta(days=2)

    with pytest.raises(CapaPastDueUnconfirmed) as refused:
        services.capa_open(actor=manager, title="T", problem="P", owner=manager, due_on=past)

    assert refused.value.message == (
        f"The due date {past.isoformat()} is before today ({today.isoformat()}): the CAPA would "
        "start overdue. Correct the date, or confirm that it is opened overdue."
    )
    assert (refused.value.code, refused.value.status, refused.value.where) == (
        "capa_past_due_unconfirmed",
        409,
        "due_on",
    )
    assert (
        Capa.objects.count(),
        AuditEntry.objects.filter(action="quality.capa_opened").count(),
    ) == (0, 0)
    capa = services.capa_open(
        actor=manager, title="T", problem="P", owner=manager, due_on=past, confirm_past_due=True
    )
    assert (capa.due_on, capa.is_overdue) == (past, True)


def test_capa_due_today_needs_no_confirmation(world: object, manager: User) -> None:
    capa = services.capa_open(
        actor=manager, title="T", problem="P", owner=manager, due_on=company_today()
    )

    assert capa.due_on == company_today()


def test_company_today_is_the_company_zone_not_the_readers(settings: object) -> None:
    with timezone.override("Pacific/Kiritimati"):  # UTC+14: a day ahead of Shanghai for hours
        assert company_today() == timezone.localdate(timezone=timezone.get_default_timezone())


@pytest.mark.parametrize(
    ("language", "question", "confirm"),
    [
        pytest.param(
            "en",
            "The due date {past} is before today ({today}): the CAPA would start overdue. "
            "Correct the date, or confirm that it is opened overdue.",
            "Open it overdue all the same",
            id="en",
        ),
        pytest.param(
            "zh-hans",
            "到期日 {past} 早于今天（{today}）：该 CAPA 一开启即已逾期。请更正日期，或确认以逾期状态开启。",
            "仍然开启（已逾期）",
            id="zh-hans",
        ),
    ],
)
def test_capa_page_asks_to_confirm_a_past_due_date_then_opens(
    world: object, manager: User, language: str, question: str, confirm: str
) -> None:
    client = _client(manager, language)
    today = company_today()
    past = (today - timedelta(days=3)).isoformat()
    form = {"title": "Tip", "problem": "Tips break", "due_on": past, "owner": manager.username}

    asked = client.post(reverse("web:quality-capa-new"), form)

    body = asked.content.decode()
    assert asked.status_code == 409
    shown = question.format(past=past, today=today.isoformat())
    assert f'<p class="step-blocked" id="capa-past-due">{shown}</p>' in body
    assert f'id="confirm-past-due" required> {confirm}</label>' in body
    assert 'value="Tips break"' in body or ">Tips break</textarea>" in body
    assert Capa.objects.count() == 0

    opened = client.post(reverse("web:quality-capa-new"), {**form, "confirm_past_due": "1"})

    assert opened.status_code == 302
    assert Capa.objects.get().due_on.isoformat() == past


def test_capa_api_refuses_a_past_due_date_409_unless_confirmed(
    world: object, manager: User
) -> None:
    client = APIClient()
    client.force_authenticate(manager)
    today = company_today()
    body = {"title": "T", "problem": "P", "due_on": (today - timedelta(days=1)).isoformat()}

    refused = client.post("/api/quality/capas/", body, format="json")

    assert refused.status_code == 409
    assert refused.json()["code"] == "capa_past_due_unconfirmed"
    assert refused.json()["where"] == "due_on"
    assert Capa.objects.count() == 0
    opened = client.post("/api/quality/capas/", {**body, "confirm_past_due": True}, format="json")
    assert opened.status_code == 201


def test_capa_command_refuses_a_past_due_date_unless_confirmed(
    world: object, manager: User
) -> None:
    past = (company_today() - timedelta(days=1)).isoformat()
    words = ("quality", "capa", "open", "--title", "T", "--problem", "P", "--due", past)

    with pytest.raises(CommandError, match=f"The due date {past} is before today"):
        call_command(*words, "--user", manager.username)

    assert Capa.objects.count() == 0
    out = StringIO()
    call_command(*words, "--confirm-past-due", "--user", manager.username, "--json", stdout=out)
    assert json.loads(out.getvalue())["warnings"] == [
        f"The due date {past} is already past: this starts overdue."
    ]


# -- 3. the not-found wording ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "message"),
    [
        pytest.param("en", "No CAPA has the number CAPA-1999-0001.", id="en"),
        pytest.param("zh-hans", "没有编号为 CAPA-1999-0001 的 CAPA。", id="zh-hans"),
    ],
)
def test_unknown_capa_number_is_named_once(
    world: object, manager: User, language: str, message: str
) -> None:
    from medrecall.core.errors import NotFound
    from medrecall.quality import selectors

    with translation.override(language), pytest.raises(NotFound) as missing:
        selectors.capa_numbered_for(viewer=manager, number="CAPA-1999-0001")

    assert missing.value.message == message


# -- 4. owner suggestions by full name ---------------------------------------------------------


def test_capa_owner_suggestions_show_full_names_and_send_user_names(
    world: object, manager: User, make_user: Callable[..., User]
) -> None:
    _named(manager, "Fang", "Wang")
    other = _named(make_user(Role.QA_RA_MANAGER), "Lei", "Zhang")
    make_user(Role.VIEWER)  # may not own a CAPA: not suggested

    page = _client(manager, "en").get(reverse("web:quality-capa-new")).content.decode()

    datalist = page[page.index('<datalist id="capa-owners">') :]
    datalist = datalist[: datalist.index("</datalist>")]
    assert re.findall(r'<option value="([^"]+)">([^<]+)</option>', datalist) == [
        (manager.username, "Fang Wang"),
        (other.username, "Lei Zhang"),
    ]


# -- 5. dashboard wording ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "none_closed", "no_causes"),
    [
        pytest.param(
            "en",
            "No recall is closed yet.",
            "No data yet: the chart appears once a CAPA records a root cause.",
            id="en",
        ),
        pytest.param(
            "zh-hans",
            "尚无已关闭的召回。",
            "暂无数据：CAPA 记录根本原因后将显示此图表。",
            id="zh-hans",
        ),
    ],
)
def test_dashboard_says_no_recall_is_closed_and_one_no_data_sentence(
    world: object, manager: User, language: str, none_closed: str, no_causes: str
) -> None:
    page = _client(manager, language).get(reverse("web:quality-dashboard")).content.decode()

    listed = page[page.index('id="dashboard-recalls-without-capa"') :]
    listed = listed[: listed.index("</ul>")]
    assert re.sub(r"<[^>]+>", "", listed.split(">", 1)[1]).strip() == none_closed
    assert 'id="dashboard-root-causes"' not in page
    assert page.count(no_causes) == 1


@pytest.mark.parametrize(
    ("holders", "days", "prior", "expected"),
    [
        pytest.param(
            1,
            1,
            1.0,
            "Complaints about a lot from one holder within 1 day count as one event. A lot "
            "signal needs complaints from at least 1 holder. A model's baseline includes 1 "
            "complaint's worth of the company-wide rate, so a baseline of 0 still has a rate.",
            id="singular",
        ),
        pytest.param(
            2,
            3,
            0.5,
            "Complaints about a lot from one holder within 3 days count as one event. A lot "
            "signal needs complaints from at least 2 holders. A model's baseline includes 0.5 "
            "complaints' worth of the company-wide rate, so a baseline of 0 still has a rate.",
            id="plural",
        ),
        pytest.param(
            1,
            0,
            0.0,
            "Each complaint counts as one event, however close together. A lot signal needs "
            "complaints from at least 1 holder. A model's baseline is its other lots' rate "
            "alone (no company-wide prior).",
            id="off",
        ),
    ],
)
def test_thresholds_text_uses_plurals(holders: int, days: int, prior: float, expected: str) -> None:
    limits = signals.Thresholds(min_holders=holders, cluster_days=days, prior_complaints=prior)

    text = signals.thresholds_text(limits)

    assert text.split("the rest). ", 1)[1] == expected


def test_thresholds_text_in_chinese() -> None:
    with translation.override("zh-hans"):
        text = signals.thresholds_text(signals.Thresholds())

    assert text.split("）。", 1)[1] == (
        "同一持有方在 3 天内对同一批号的多起投诉计为一次事件。"
        "批号信号需要至少 1 个持有方的投诉。"
        "型号基线计入相当于 1 起投诉的全公司投诉率作为先验，因此基线为 0 时仍有投诉率可比。"
    )
