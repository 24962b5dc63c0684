"""The working-day calendar through the web page, the REST API and ``medrecall calendar``:
administrators change it, staff read it, portal users and anonymous callers get nothing."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.core.models import CalendarYear, WorkingDayEntry
from tests.conftest import PASSWORD
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db

CSV = (
    "calendar,date,kind,name\nCN,2027-01-01,holiday,元旦\nCN,2027-02-20,workday,春节调休\n".encode()
)


def user_for(kind: str, make_user: Any) -> Any:
    if kind == "anonymous":
        return None
    if kind == "portal":
        return make_user(Role.PORTAL, party=PartyFactory())
    return make_user(
        {"viewer": Role.VIEWER, "manager": Role.QA_RA_MANAGER, "admin": Role.ADMINISTRATOR}[kind]
    )


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        assert client.login(username=user.username, password=PASSWORD)
    return client


def nothing_changed() -> None:
    assert WorkingDayEntry.objects.count() == 0
    assert CalendarYear.objects.count() == 0
    assert AuditEntry.objects.filter(action__startswith="core.calendar").count() == 0


@pytest.mark.parametrize(
    ("kind", "status"),
    [("anonymous", 302), ("portal", 403), ("viewer", 200), ("manager", 200), ("admin", 200)],
)
def test_calendar_page_is_for_staff(kind: str, status: int, make_user: Any) -> None:
    response = client_for(user_for(kind, make_user)).get("/calendar/?calendar=CN&year=2027")
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert 'id="coverage-list"' in page
        assert ('id="entry-form"' in page) is (kind == "admin")
        assert ("calendar-warning" in page) is (
            kind == "admin"
        )  # CN known up to 2026; today is past 2 Oct


@pytest.mark.parametrize("kind", ["anonymous", "portal", "viewer", "manager"])
def test_only_administrators_change_the_calendar_on_the_page(kind: str, make_user: Any) -> None:
    client = client_for(user_for(kind, make_user))
    posts = [
        client.post(
            "/calendar/entries/",
            {"calendar": "CN", "date": "2027-01-01", "kind": "holiday", "name": "元旦"},
        ),
        client.post("/calendar/years/entered/", {"calendar": "CN", "year": "2027"}),
        client.post("/calendar/import/", {"file": SimpleUploadedFile("c.csv", CSV, "text/csv")}),
    ]
    assert {p.status_code for p in posts} == ({302} if kind == "anonymous" else {403})
    nothing_changed()


def test_administrator_edits_the_calendar_on_the_page(make_user: Any) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    client = client_for(admin)
    client.post(
        "/calendar/import/",
        {"calendar": "CN", "year": "2027", "file": SimpleUploadedFile("c.csv", CSV, "text/csv")},
    )
    client.post(
        "/calendar/entries/",
        {
            "calendar": "CN",
            "year": "2027",
            "date": "2027-01-01",
            "kind": "holiday",
            "name": "元旦（改）",
        },
    )
    client.post(
        "/calendar/entries/delete/", {"calendar": "CN", "year": "2027", "date": "2027-02-20"}
    )
    client.post("/calendar/years/entered/", {"calendar": "CN", "year": "2027"})
    assert list(WorkingDayEntry.objects.values_list("calendar", "date", "kind", "name")) == [
        ("CN", date(2027, 1, 1), "holiday", "元旦（改）")
    ]
    assert list(CalendarYear.objects.values_list("calendar", "year", "entered_by")) == [
        ("CN", 2027, admin.pk)
    ]
    page = client.get("/calendar/?calendar=CN&year=2027").content.decode()
    assert "元旦（改）" in page
    edit = client.get("/calendar/?calendar=CN&year=2027&edit=2027-01-01").content.decode()
    assert 'value="元旦（改）"' in edit
    assert "calendar-warning" not in page  # 2027 entered: the known calendar now ends in 2027
    assert 'id="package-days"' not in page  # the package knows nothing of 2027
    assert "2026-02-14 Sat" in client.get("/calendar/?calendar=CN&year=2026").content.decode()


def test_a_refused_import_on_the_page_names_row_and_column(make_user: Any) -> None:
    client = client_for(make_user(Role.ADMINISTRATOR))
    response = client.post(
        "/calendar/import/",
        {
            "file": SimpleUploadedFile(
                "bad.csv", b"calendar,date,kind,name\nCN,2027-02-30,holiday,x\n", "text/csv"
            )
        },
        follow=True,
    )
    assert "bad.csv, row 2, column date: 2027-02-30 is not a date in the form YYYY-MM-DD." in (
        response.content.decode()
    )
    nothing_changed()


def test_due_list_warns_administrators_only(make_user: Any) -> None:
    admin_page = (
        client_for(make_user(Role.ADMINISTRATOR)).get("/recalls/due-this-week/").content.decode()
    )
    manager_page = (
        client_for(make_user(Role.QA_RA_MANAGER)).get("/recalls/due-this-week/").content.decode()
    )
    assert "The CN working-day calendar is known up to 2026 only." in admin_page
    assert "calendar-warning" not in manager_page


@pytest.mark.parametrize(
    ("kind", "read", "write"),
    [
        ("anonymous", 401, 401),
        ("portal", 403, 403),
        ("viewer", 200, 403),
        ("manager", 200, 403),
        ("admin", 200, 201),
    ],
)
def test_api_permission_matrix(
    kind: str, read: int, write: int, make_user: Any, api_as: Any
) -> None:
    api = api_as(user_for(kind, make_user))
    assert api.get("/api/calendar/entries/").status_code == read
    assert api.get("/api/calendar/years/").status_code == read
    created = api.post(
        "/api/calendar/entries/",
        {"calendar": "CN", "date": "2027-01-01", "kind": "holiday", "name": "元旦"},
        format="json",
    )
    assert created.status_code == write
    if write != 201:
        assert (
            api.post(
                "/api/calendar/years/", {"calendar": "CN", "year": 2027}, format="json"
            ).status_code
            == write
        )
        assert (
            api.post(
                "/api/calendar/import/",
                {"file": SimpleUploadedFile("c.csv", CSV)},
                format="multipart",
            ).status_code
            == write
        )
        nothing_changed()


def test_api_entries_years_and_import(make_user: Any, api_as: Any) -> None:
    api = api_as(make_user(Role.ADMINISTRATOR))
    imported = api.post(
        "/api/calendar/import/", {"file": SimpleUploadedFile("c.csv", CSV)}, format="multipart"
    )
    assert imported.json() == {"created": 2, "updated": 0, "unchanged": 0}
    listed = api.get("/api/calendar/entries/?calendar=CN&year=2027").json()
    assert [(e["date"], e["kind"], e["name"]) for e in listed] == [
        ("2027-01-01", "holiday", "元旦"),
        ("2027-02-20", "workday", "春节调休"),
    ]
    assert api.delete("/api/calendar/entries/CN/2027-02-20/").status_code == 204
    assert api.delete("/api/calendar/entries/CN/2027-02-20/").status_code == 404
    year = api.post(
        "/api/calendar/years/",
        {"calendar": "CN", "year": 2027, "note": "国办发明电"},
        format="json",
    )
    assert (year.status_code, year.json()["source"], year.json()["entries"]) == (201, "entered", 1)
    again = api.post("/api/calendar/years/", {"calendar": "CN", "year": 2027}, format="json")
    assert (again.status_code, again.json()["message"]) == (
        400,
        "CN 2027 is already marked entered.",
    )
    refused = api.post(
        "/api/calendar/import/",
        {"file": SimpleUploadedFile("b.csv", b"calendar,date,kind,name\nCN,x,holiday,y\n")},
        format="multipart",
    )
    assert refused.status_code == 400
    assert [(d["row"], d["column"]) for d in refused.json()["details"]] == [(2, "date")]
    coverage = {
        (c["year"], c["source"])
        for c in api.get("/api/calendar/years/").json()
        if c["calendar"] == "CN"
    }
    assert {(2026, "package"), (2027, "entered")} <= coverage


def test_cli_sets_lists_imports_and_marks_entered(make_user: Any, tmp_path: Any) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    source = tmp_path / "cn-2027.csv"
    source.write_bytes(CSV)
    out = StringIO()
    call_command("calendar", "import", str(source), "--user", admin.username, "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"created": 2, "updated": 0, "unchanged": 0}
    call_command(
        "calendar",
        "set",
        "2027-02-06",
        "--kind",
        "holiday",
        "--name",
        "春节",
        "--user",
        admin.username,
        stdout=StringIO(),
    )
    call_command("calendar", "delete", "2027-02-20", "--user", admin.username, stdout=StringIO())
    call_command("calendar", "mark-entered", "2027", "--user", admin.username, stdout=StringIO())
    listed = StringIO()
    call_command("calendar", "list", "--year", "2027", "--json", stdout=listed)
    assert json.loads(listed.getvalue()) == [
        {"calendar": "CN", "date": "2027-01-01", "kind": "holiday", "name": "元旦"},
        {"calendar": "CN", "date": "2027-02-06", "kind": "holiday", "name": "春节"},
    ]
    coverage = StringIO()
    call_command("calendar", "coverage", "--json", stdout=coverage)
    assert {(c["year"], c["source"]) for c in json.loads(coverage.getvalue())} == {
        (2025, "package"),
        (2026, "package"),
        (2027, "entered"),
        (2028, "not_covered"),
    }


def test_cli_refuses_bad_input_without_a_traceback(make_user: Any, tmp_path: Any) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"calendar,date,kind,name\nCN,2027-01-01,rest,x\n")
    err = StringIO()
    with pytest.raises(CommandError, match="The file was refused: 1 problem"):
        call_command("calendar", "import", str(bad), "--user", admin.username, stderr=err)
    assert (
        "bad.csv, row 2, column kind: Unknown kind rest; use holiday or workday." in err.getvalue()
    )
    with pytest.raises(
        CommandError, match=r"Choose the kind: holiday or workday \(make-up working day\)\."
    ):
        call_command("calendar", "set", "2027-01-01", "--name", "x", "--user", admin.username)
    with pytest.raises(CommandError, match="has no entry on 2027-01-01"):
        call_command("calendar", "delete", "2027-01-01", "--user", admin.username)
    nothing_changed()


def test_calendar_page_query_count_does_not_grow_with_entries(make_user: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from medrecall.recalls import calendars as calendar_services

    admin = make_user(Role.ADMINISTRATOR)
    client = client_for(admin)
    calendar_services.calendar_entry_set(
        calendar="CN", day=date(2027, 1, 1), kind="holiday", name="元旦", actor=admin
    )
    with CaptureQueriesContext(connection) as one:
        assert client.get("/calendar/?calendar=CN&year=2027").status_code == 200
    for day in range(2, 22):
        calendar_services.calendar_entry_set(
            calendar="CN",
            day=date(2027, 2, day),
            kind="holiday",
            name="春节",
            actor=make_user(Role.ADMINISTRATOR),
        )
    calendar_services.calendar_year_mark_entered(calendar="CN", year=2027, actor=admin)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/calendar/?calendar=CN&year=2027")
    assert page.content.decode().count("春节") == 20
    assert len(many.captured_queries) == len(one.captured_queries)
