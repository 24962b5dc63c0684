"""The cockpit page, its drill-downs, exports, live refresh, API and command: the same
figures everywhere, the drill-downs list exactly the records counted, constant queries as the
scope grows, and portal users never reach any of it."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.execution.models import Receipt
from medrecall.notices.models import Notice, NoticeRun
from medrecall.parties.models import Location, Party
from medrecall.recalls import services
from medrecall.recalls.models import AffectedLine, RecallCase
from medrecall.reporting.progress import compute_progress
from tests.factories import LocationFactory, PartyFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _rows(html: str) -> list[tuple[str, int]]:
    """The (party code, units) rows of a holders drill-down page."""
    return [
        (code, int(units))
        for code, units in re.findall(
            r'<tr data-party="([^"]+)">.*?data-units="(\d+)"', html, flags=re.S
        )
    ]


def test_the_recall_list_opens_the_cockpit_and_the_case_is_a_tab(
    progressed: RecallCase, client: Any, manager: User
) -> None:
    client.force_login(manager)
    listing = client.get(reverse("web:recall-list")).content.decode()
    assert reverse("web:recall-cockpit", args=[progressed.pk]) in listing
    page = client.get(reverse("web:recall-cockpit", args=[progressed.pk])).content.decode()
    assert 'id="tab-case"' in page
    assert reverse("web:recall-detail", args=[progressed.pk]) in page
    case = client.get(reverse("web:recall-detail", args=[progressed.pk])).content.decode()
    assert 'id="tab-cockpit"' in case


@pytest.mark.parametrize(
    "stage",
    ["affected", "sent", "notified", "delivered", "acknowledged", "recovered", "silent"],
)
def test_each_funnel_drill_down_lists_exactly_the_holders_counted(
    progressed: RecallCase, client: Any, manager: User, stage: str
) -> None:
    client.force_login(manager)
    if stage == "silent":  # DIST's e-mail delivered (it has the notice) and no answer
        Notice.objects.filter(recall=progressed, party__code="DIST").update(
            status="delivered", delivered_at=timezone.now()
        )
    figures = compute_progress(progressed)
    url = reverse("web:recall-cockpit-holders", args=[progressed.pk])
    rows = _rows(client.get(url, {"stage": stage}).content.decode())
    if stage == "silent":
        assert len(rows) == figures.silent == 1
        assert [code for code, _units in rows] == [h["code"] for h in figures.silent_first]
        return
    counted = figures.stage(stage)
    assert len(rows) == counted.holders
    if stage == "affected":  # the units: every line of the scope, our own sites too
        every = _rows(client.get(url, {"stage": stage, "own": "1"}).content.decode())
        assert sum(units for _code, units in every) == counted.units == 970
        assert sum(units for _code, units in rows) == 570
    elif stage != "recovered":  # the recovered units are counted by the accounting, below
        assert sum(units for _code, units in rows) == counted.units


@pytest.mark.parametrize(
    ("group", "parameter"),
    [
        ("by_country", "country"),
        ("by_province", "province"),
        ("by_party_type", "party_type"),
        ("by_echelon", "echelon"),
    ],
)
def test_each_region_type_and_echelon_drill_down_lists_exactly_what_it_counts(
    progressed: RecallCase, client: Any, manager: User, group: str, parameter: str
) -> None:
    client.force_login(manager)
    url = reverse("web:recall-cockpit-holders", args=[progressed.pk])
    for row in getattr(compute_progress(progressed), group):
        rows = _rows(client.get(url, {parameter: row.key}).content.decode())
        assert (len(rows), sum(units for _code, units in rows)) == (row.holders, row.units)
        answered = _rows(
            client.get(url, {parameter: row.key, "stage": "acknowledged"}).content.decode()
        )
        assert len(answered) == row.acknowledged


def test_the_recovered_drill_down_adds_up_to_the_stage(
    progressed: RecallCase, client: Any, manager: User
) -> None:
    client.force_login(manager)
    page = client.get(
        reverse("web:recall-cockpit-records", args=[progressed.pk, "corrected"])
    ).content.decode()
    units = sum(int(u) for u in re.findall(r'data-units="(\d+)"', page))
    assert units == compute_progress(progressed).stage("recovered").units == 30
    # The count under the work orders' table says what it counts (the walk read "0 records"
    # under 20 units in quarantine).
    assert re.search(r'id="drill-count">\d+ unit records? corrected on site<', page)
    returns = client.get(
        reverse("web:recall-cockpit-records", args=[progressed.pk, "returns"])
    ).content.decode()
    assert len(re.findall(r'<tr data-number="RA-', returns)) == 1


def _received_an_hour_ago(recall: RecallCase) -> None:
    Receipt.objects.filter(recall=recall).update(received_at=timezone.now() - timedelta(hours=1))


def test_the_page_shows_the_figures_and_links_each_to_its_records(
    progressed: RecallCase, client: Any, manager: User
) -> None:
    client.force_login(manager)
    _received_an_hour_ago(progressed)
    page = client.get(reverse("web:recall-cockpit", args=[progressed.pk])).content.decode()
    holders = reverse("web:recall-cockpit-holders", args=[progressed.pk])
    assert f'href="{holders}?stage=sent" data-figure="holders">3</a>' in page
    assert f'href="{holders}?stage=sent" data-figure="units">500</a>' in page
    # Notified: the holder has the notice (DIST's e-mail, only sent, does not count).
    assert f'href="{holders}?stage=notified" data-figure="holders">2</a>' in page
    assert f'href="{holders}?stage=notified" data-figure="units">150</a>' in page
    assert f"{holders}?province=CN-GD" in page
    assert f"{holders}?country=US" in page
    data = json.loads(re.search(r'id="cockpit-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert data["provinces"][0] == {"code": "CN-GD", "name": "Guangdong", "value": 450}
    assert [p[1] for p in data["burn_down"]] == [540]
    assert "hx-get" not in page  # nothing is moving: no polling


def test_the_figures_refresh_only_while_a_send_run_or_receiving_is_going_on(
    progressed: RecallCase, client: Any, manager: User
) -> None:
    client.force_login(manager)
    url = reverse("web:recall-cockpit-figures", args=[progressed.pk])
    receiving = client.get(url).content.decode()  # the fixture's receipt is minutes old
    assert "<html" not in receiving
    assert f'hx-get="{url}"' in receiving
    assert "Units are being received" in receiving
    _received_an_hour_ago(progressed)
    assert "hx-get" not in client.get(url).content.decode()
    NoticeRun.objects.create(recall=progressed, status=NoticeRun.Status.SENDING, total=3)
    sending = client.get(url).content.decode()
    assert f'hx-get="{url}"' in sending
    assert 'hx-trigger="every 5s"' in sending
    assert "A send run is going on" in sending
    NoticeRun.objects.filter(recall=progressed).update(status=NoticeRun.Status.DONE)
    assert "hx-get" not in client.get(url).content.decode()


def test_a_recall_without_a_frozen_scope_says_what_is_missing_not_zeros(
    client: Any, manager: User
) -> None:
    draft = services.recall_open(
        actor=manager, title="草稿", products=[], reason="", regimes=["nmpa"]
    )
    client.force_login(manager)
    page = client.get(reverse("web:recall-cockpit", args=[draft.pk])).content.decode()
    assert 'id="cockpit-missing"' in page
    assert "No scope has been frozen for this recall yet" in page
    assert 'id="cockpit-funnel"' not in page
    api = client.get(f"/api/recalls/{draft.pk}/progress/").json()
    assert (api["scope"], api["funnel"], api["missing"][0]["code"]) == (None, [], "no_scope")


PAGES: list[tuple[str, dict[str, str]]] = [
    ("web:recall-cockpit", {}),
    ("web:recall-cockpit-figures", {}),
    ("web:recall-cockpit-holders", {"stage": "notified"}),
    ("web:recall-cockpit-xlsx", {}),
    ("web:recall-cockpit-pdf", {}),
    ("web:recall-cockpit-records", {"kind": "returns"}),
    ("web:recall-cockpit-records", {"kind": "corrected"}),
    ("web:recall-cockpit-records", {"kind": "work-orders"}),
    ("web:recall-cockpit-records", {"kind": "work-orders", "overdue": "1"}),
    ("web:recall-cockpit-records", {"kind": "dispositions"}),
    ("web:recall-cockpit-holders", {"stage": "affected", "own": "1"}),
    ("web:recall-cockpit-holders", {"stage": "recovered", "country": "CN"}),
    ("web:recall-cockpit-holders", {"stage": "delivered", "province": "CN-GD"}),
    ("web:recall-cockpit-holders", {"party_type": "hospital", "echelon": "2"}),
]


def _url(name: str, recall: RecallCase, query: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The page's address and its query (a records page takes its kind in the path)."""
    query = dict(query)
    kind = query.pop("kind", None)
    return reverse(name, args=[recall.pk, kind] if kind else [recall.pk]), query


@pytest.mark.parametrize(("name", "query"), PAGES)
def test_portal_users_never_reach_the_cockpit(
    progressed: RecallCase, client: Any, make_user: Callable[..., User], name: str, query: dict
) -> None:
    portal = make_user(Role.PORTAL, party=Party.objects.get(code="SUB"))
    client.force_login(portal)
    url, query = _url(name, progressed, query)
    assert client.get(url, query).status_code == 403


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 401), ("portal", 403), ("no_role", 403), ("viewer", 200)]
)
def test_the_progress_api_is_for_staff_who_may_see_recalls(
    progressed: RecallCase,
    api_as: Callable[..., Any],
    make_user: Callable[..., User],
    who: str,
    status: int,
) -> None:
    users = {
        "anonymous": None,
        "portal": lambda: make_user(Role.PORTAL, party=Party.objects.get(code="SUB")),
        "no_role": lambda: _without_role(make_user),
        "viewer": lambda: make_user(Role.VIEWER),
    }
    maker = users[who]
    answer = api_as(maker() if maker else None).get(f"/api/recalls/{progressed.pk}/progress/")
    assert answer.status_code == status
    if status == 200:
        body = answer.json()
        from medrecall.reporting.cost import cost_of

        # A viewer reads finance (roles.py): the cost against budget comes with the figures.
        expected = {**compute_progress(progressed).as_dict(), "cost": cost_of(progressed).as_dict()}
        assert {k: v for k, v in body.items() if k != "computed_at"} == {
            k: v for k, v in json.loads(json.dumps(expected)).items() if k != "computed_at"
        }


def _without_role(make_user: Callable[..., User]) -> User:
    user = make_user(Role.VIEWER)
    user.groups.clear()
    return user


def test_the_command_prints_the_same_figures_as_the_api(
    progressed: RecallCase, api_as: Callable[..., Any], manager: User
) -> None:
    out = io.StringIO()
    call_command("recall", "progress", progressed.number, "--json", stdout=out)
    printed = json.loads(out.getvalue())
    api = api_as(manager).get(f"/api/recalls/{progressed.pk}/progress/").json()
    printed.pop("computed_at"), api.pop("computed_at")
    assert printed == api
    lines = io.StringIO()
    call_command("recall", "progress", progressed.number, stdout=lines)
    assert "sent: 500 units (51.5 %), 3 holders (75.0 %)" in lines.getvalue()
    assert "notified: 150 units (15.5 %), 2 holders (50.0 %)" in lines.getvalue()


def test_the_command_names_an_unknown_recall() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="There is no recall numbered RC-NOPE"):
        call_command("recall", "progress", "RC-NOPE")


def test_the_excel_export_holds_the_funnel_and_keeps_user_text_as_text(
    progressed: RecallCase, client: Any, manager: User
) -> None:
    from openpyxl import load_workbook

    Party.objects.filter(code="DIST").update(name='=HYPERLINK("http://evil","x")')
    # DIST has the notice (delivered) and has not answered: silent.
    Notice.objects.filter(recall=progressed, party__code="DIST").update(
        status="delivered", delivered_at=timezone.now()
    )
    client.force_login(manager)
    answer = client.get(reverse("web:recall-cockpit-xlsx", args=[progressed.pk]))
    book = load_workbook(io.BytesIO(answer.content))
    funnel = [list(row) for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert [row[1] for row in funnel] == [970, 500, 500, 500, 150, 30, 0]
    assert [row[3] for row in funnel] == [4, 3, 3, 3, 2, 1, None]
    silent = next(sheet for sheet in book.worksheets if sheet.title == "Silent holders")
    cell = silent["B2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (
        '=HYPERLINK("http://evil","x")',
        "s",
        True,
    )


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_excel_export_opens_in_both_languages(
    language: str, progressed: RecallCase, client: Any, manager: User
) -> None:
    """A translated sheet name may hold a character Excel refuses in sheet names (按国家/地区)."""
    from openpyxl import load_workbook

    manager.language = language
    manager.save(update_fields=["language"])
    client.force_login(manager)
    answer = client.get(reverse("web:recall-cockpit-xlsx", args=[progressed.pk]))
    assert answer.status_code == 200
    titles = load_workbook(io.BytesIO(answer.content)).sheetnames
    by_country = "按国家／地区" if language == "zh-hans" else "By country"
    assert by_country in titles
    assert not [title for title in titles if set(title) & set("/\\?*:[]")]


def test_the_region_table_says_at_the_freeze_and_still_now_with_the_funnels_figures(
    progressed: RecallCase, client: Any, manager: User
) -> None:
    """The table used to be headed "units at holders in the frozen scope" while the page said
    fewer were still at holders: both columns now, headed so, on the page and in the workbook."""
    from openpyxl import load_workbook

    figures = compute_progress(progressed)
    client.force_login(manager)
    page = client.get(reverse("web:recall-cockpit", args=[progressed.pk])).content.decode()
    region = page[page.index('id="rank-country"') :]
    region = region[: region.index("</table>")]
    assert "Units at holders at the freeze" in region
    assert "Units still at holders now" in region
    cn = region[region.index('data-key="CN"') :]
    assert f'data-figure="at-freeze">{figures.by_country[0].units}<' in cn
    assert f'data-figure="still">{figures.by_country[0].still}<' in cn
    assert figures.by_country[0].units != figures.by_country[0].still  # 30 units came back
    answer = client.get(reverse("web:recall-cockpit-xlsx", args=[progressed.pk]))
    sheet = load_workbook(io.BytesIO(answer.content))["By country"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][2:4] == ("Units at holders at the freeze", "Units still at holders now")
    assert {row[0]: row[2:4] for row in rows[1:]} == {
        r.key: (r.units, r.still) for r in figures.by_country
    }


def test_the_pdf_export_is_a_pdf_of_the_figures(
    progressed: RecallCase, client: Any, manager: User
) -> None:
    client.force_login(manager)
    answer = client.get(reverse("web:recall-cockpit-pdf", args=[progressed.pk]))
    assert answer.status_code == 200
    assert answer.content.startswith(b"%PDF")


def _grow(recall: RecallCase, holders: int) -> None:
    """More holders in the frozen scope (lines written straight into the snapshot: volume only)."""
    snapshot = recall.snapshots.order_by("-sequence").first()
    template = AffectedLine.objects.filter(snapshot=snapshot).exclude(party__code="OWN").first()
    assert snapshot is not None
    assert template is not None
    for n in range(holders):
        party = PartyFactory(party_type="hospital", province_code=f"CN-{['BJ', 'SH', 'SC'][n % 3]}")
        location: Location = LocationFactory(party=party, location_type="customer_site")
        AffectedLine.objects.create(
            snapshot=snapshot,
            lot=template.lot,
            location=location,
            party=party,
            on_hand=5,
            category="at_customers",
            echelon=2 + n % 2,
        )


@pytest.mark.parametrize(
    ("name", "query"),
    [*PAGES, ("api", {})],
)
def test_every_cockpit_page_keeps_its_query_count_as_the_scope_grows(
    progressed: RecallCase, client: Any, manager: User, name: str, query: dict
) -> None:
    client.force_login(manager)
    url, query = (
        (f"/api/recalls/{progressed.pk}/progress/", {})
        if name == "api"
        else _url(name, progressed, query)
    )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, query).status_code == 200
        return len(captured)

    small = queries()
    _grow(progressed, 30)
    assert queries() == small


def test_a_region_not_recorded_is_counted_and_listed_as_unknown(
    progressed: RecallCase, client: Any, manager: User
) -> None:
    Location.objects.filter(code="H2").update(country="", province_code="")
    figures = compute_progress(progressed)
    unknown = next(row for row in figures.by_country if row.key == "-")
    assert (unknown.units, unknown.holders) == (50, 1)
    client.force_login(manager)
    url = reverse("web:recall-cockpit-holders", args=[progressed.pk])
    assert _rows(client.get(url, {"country": "-"}).content.decode()) == [("HOSP2", 50)]
    page = client.get(reverse("web:recall-cockpit", args=[progressed.pk])).content.decode()
    assert "Unknown" in page


def test_the_live_banner_and_polling_stop_when_the_send_run_or_receiving_has_gone_quiet(
    progressed: RecallCase, client: Any, manager: User
) -> None:
    """A receipt ten minutes old, a send run left "sending" two hours ago (no worker took its
    batches): nothing is going on, so no banner and no polling. A notice of that run sent a
    minute ago: the run is going on again."""
    from medrecall.notices.models import Notice
    from medrecall.reporting.progress import LIVE_WINDOW, activity

    assert timedelta(minutes=10) > LIVE_WINDOW
    client.force_login(manager)
    url = reverse("web:recall-cockpit-figures", args=[progressed.pk])
    now = timezone.now()
    Receipt.objects.filter(recall=progressed).update(received_at=now - timedelta(minutes=10))
    run = NoticeRun.objects.create(recall=progressed, status=NoticeRun.Status.SENDING, total=3)
    NoticeRun.objects.filter(pk=run.pk).update(created_at=now - timedelta(hours=2))
    Notice.objects.filter(recall=progressed).update(
        run=run,
        created_at=now - timedelta(hours=2),
        sent_at=now - timedelta(hours=2),
        claimed_at=None,
    )
    assert activity(progressed) == {"sending": False, "receiving": False}
    quiet = client.get(url).content.decode()
    assert "hx-get" not in quiet
    assert "hx-trigger" not in quiet
    assert 'id="cockpit-live"' not in quiet
    page = client.get(reverse("web:recall-cockpit", args=[progressed.pk])).content.decode()
    assert 'id="cockpit-live"' not in page
    assert "hx-trigger" not in page
    first = Notice.objects.filter(run=run).order_by("pk").first()
    assert first is not None
    Notice.objects.filter(pk=first.pk).update(sent_at=now - timedelta(minutes=1))
    assert activity(progressed) == {"sending": True, "receiving": False}
    moving = client.get(url).content.decode()
    assert 'hx-trigger="every 5s"' in moving
    assert "A send run is going on" in moving
    assert "Units are being received" not in moving


def test_the_chinese_cockpit_has_no_english_headings_and_next_means_coming_up(
    progressed: RecallCase, client: Any, manager: User
) -> None:
    client.force_login(manager)
    page = client.get(
        reverse("web:recall-cockpit", args=[progressed.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "召回" in page
    for english in ("% of scope", "% of holders", "of scope", "of holders", ">Next<"):
        assert english not in page
    assert "占范围 %" in page
    assert "占持有方 %" in page
    assert "<h3>即将到期</h3>" in page
    assert "下一页" not in page


TEMPLATE_STRING = re.compile(r'{%\s*translate\s+"([^"]+)"(?:\s+context\s+"([^"]+)")?\s*%}')


def test_every_string_of_the_cockpit_home_portfolio_and_queue_pages_is_in_chinese() -> None:
    """Every ``{% translate %}`` of these pages has its Chinese (as the tag looks it up: a
    percent sign doubled)."""
    from pathlib import Path

    from django.utils import translation

    import medrecall

    web = Path(medrecall.__file__).parent / "web" / "templates" / "web"
    pages = [*sorted((web / "cockpit").glob("*.html")), *sorted((web / "home").glob("*.html"))]
    untranslated = []
    with translation.override("zh-hans"):
        for page in pages:
            for msgid, context in TEMPLATE_STRING.findall(page.read_text(encoding="utf-8")):
                if not re.search("[A-Za-z]", msgid):
                    continue
                key = msgid.replace("%", "%%")
                found = translation.pgettext(context, key) if context else translation.gettext(key)
                if found == key:
                    untranslated.append((page.name, msgid))
    assert untranslated == []


def test_provinces_are_named_as_people_write_them_in_english_and_in_chinese() -> None:
    from medrecall.reporting.labels import group_label

    codes = ("CN-SC", "CN-GD", "CN-BJ", "CN-NM", "CN-HK", "CN-XZ")
    assert [group_label("by_province", c, "en") for c in codes] == [
        "Sichuan",
        "Guangdong",
        "Beijing",
        "Inner Mongolia",
        "Hong Kong",
        "Tibet",
    ]
    assert [group_label("by_province", c, "zh-hans") for c in codes] == [
        "四川省",
        "广东省",
        "北京市",
        "内蒙古自治区",
        "香港特别行政区",
        "西藏自治区",
    ]


def test_the_map_the_bars_and_the_export_name_provinces_in_the_readers_language(
    progressed: RecallCase, client: Any, manager: User
) -> None:
    from openpyxl import load_workbook

    client.force_login(manager)
    url = reverse("web:recall-cockpit", args=[progressed.pk])
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Guangdong</a>" in english  # the ranked bars
    assert "Sheng" not in english
    data = json.loads(re.search(r'id="cockpit-data"[^>]*>(.*?)</script>', english, re.S).group(1))
    assert data["province_names"]["CN-NM"] == "Inner Mongolia"  # tooltips of empty provinces
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert ">广东省</a>" in chinese
    assert ">北京市</a>" in chinese
    book = load_workbook(
        io.BytesIO(
            client.get(
                reverse("web:recall-cockpit-xlsx", args=[progressed.pk]),
                HTTP_ACCEPT_LANGUAGE="en",
            ).content
        )
    )
    provinces = next(sheet for sheet in book.worksheets if sheet.title == "By province")
    assert [row[:2] for row in provinces.iter_rows(min_row=2, values_only=True)] == [
        ("CN-GD", "Guangdong"),
        ("CN-BJ", "Beijing"),
    ]


def test_the_china_map_is_vendored_under_a_permissive_licence_with_every_province_coded() -> None:
    from pathlib import Path

    import medrecall
    from medrecall.reporting.labels import PROVINCES

    maps = Path(medrecall.__file__).parent / "web" / "static" / "vendor" / "maps"
    china = json.loads((maps / "china-provinces.json").read_text(encoding="utf-8"))
    assert sorted(f["properties"]["iso"] for f in china["features"]) == sorted(PROVINCES)
    assert "Apache License" in (maps / "LICENSE-echarts-4.9.0").read_text(encoding="utf-8")
    assert not list(maps.glob("*amcharts*"))
    versions = (maps.parent / "VERSIONS.txt").read_text(encoding="utf-8")
    assert "amcharts" not in versions.lower()


def test_the_cockpit_lists_ten_overdue_deadlines_and_links_the_rest(
    progressed: RecallCase, client: Any, manager: User
) -> None:
    figures = compute_progress(progressed)
    assert len(figures.deadlines_overdue) > 10  # a daily progress report, breached since 2025
    client.force_login(manager)
    page = client.get(reverse("web:recall-cockpit", args=[progressed.pk])).content.decode()
    listed = re.search(r'<ul id="deadlines-overdue">(.*?)</ul>', page, re.S).group(1)
    assert listed.count("<li>") == 10
    more = len(figures.deadlines_overdue) - 10
    assert f"and {more} more overdue" in page
    assert 'id="deadlines-overdue-more"' in page


def _more_returns(recall: RecallCase, copies: int) -> None:
    """Copies of the recall's open returns (rows written straight into the table: volume
    only)."""
    from medrecall.execution.models import ReturnAuthorisation

    for ra in list(ReturnAuthorisation.objects.filter(recall=recall)):
        number = ra.number
        for n in range(copies):
            ra.pk, ra.number = None, f"{number}-copy{n}"
            ra.save()


def test_the_cockpit_open_returns_page_keeps_its_query_count_as_the_returns_grow(
    progressed: RecallCase, client: Any, manager: User
) -> None:
    client.force_login(manager)
    url, query = _url("web:recall-cockpit-records", progressed, {"kind": "returns"})

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, query)
        assert response.status_code == 200
        return len(captured), response.context["rows"].page.paginator.count

    small, before = queries()
    _more_returns(progressed, 12)
    grown, after = queries()
    assert (before, after) == (1, 13)
    assert grown == small


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
def test_the_progress_command_keeps_its_query_count_as_the_scope_grows(
    progressed: RecallCase, as_json: bool
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            call_command(
                "recall",
                "progress",
                progressed.number,
                *(["--json"] if as_json else []),
                stdout=io.StringIO(),
            )
        return len(captured)

    small = queries()
    _grow(progressed, 30)
    assert queries() == small


def test_the_cockpit_says_the_suggested_cadence_calmly_instead_of_the_to_do(
    progressed: RecallCase, client: Any, manager: User
) -> None:
    """The case stores no NMPA progress-report cadence: the cockpit lists the deadlines with
    the suggested one and says so ("every day (suggested); change"), not "Set how often…"."""
    RecallCase.objects.filter(pk=progressed.pk).update(progress_interval_days=None)
    progressed.refresh_from_db()
    figures = compute_progress(progressed)
    assert figures.suggested_cadence == 1  # level I: every day
    assert not [m for m in figures.clock_missing if "how often" in m]
    assert figures.as_dict()["deadlines"]["suggested_progress_interval_days"] == 1
    client.force_login(manager)
    page = client.get(reverse("web:recall-cockpit", args=[progressed.pk])).content.decode()
    assert "Set how often NMPA progress reports are due" not in page
    assert 'id="deadlines-cadence"' in page
    assert "Progress reports every day (suggested);" in page
    assert "#recall-edit-form" in page
    zh = client.get(
        reverse("web:recall-cockpit", args=[progressed.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "每天报告一次进展（建议值）" in zh  # not "每 1 天"
    # The recall's tabs reach its filings from the cockpit.
    assert 'id="tab-filings"' in page
    assert reverse("web:filing-list", args=[progressed.pk]) in page
    # A case that stores its cadence: nothing said about a suggestion.
    RecallCase.objects.filter(pk=progressed.pk).update(progress_interval_days=3)
    progressed.refresh_from_db()
    assert compute_progress(progressed).suggested_cadence is None
