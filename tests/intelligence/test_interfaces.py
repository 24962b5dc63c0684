"""The public recall history through the pages, the API and the command: content in both
languages, permissions, constant query counts, imports through the import runner."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from medrecall.accounts.roles import Role
from medrecall.core.models import ImportRun, ImportStatus
from medrecall.core.services import import_run_execute
from medrecall.intelligence.importers import FdaRecallImporter
from medrecall.intelligence.models import PublicRecall
from medrecall.recalls.services import recall_open
from tests.conftest import PASSWORD
from tests.factories import DeviceModelFactory, PartyFactory
from tests.intelligence.samples import download, recall_example, search_records, varied

pytestmark = pytest.mark.django_db


def _client(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert client.login(username=user.username, password=PASSWORD)
    client.cookies["django_language"] = language
    return client


@pytest.fixture
def records(tmp_path):
    path = download(tmp_path / "search.json", search_records())
    assert FdaRecallImporter().run(path, file_name=path.name).created == 6


def _grow(tmp_path, count):
    many = [varied(search_records()[0], "cfres_id", f"7{n:05d}") for n in range(count)]
    FdaRecallImporter().run(download(tmp_path / "grow.json", many), file_name="grow.json")


def test_the_search_page_shows_the_similar_recall_and_the_charts_data(records, make_user):
    response = _client(make_user(Role.VIEWER)).get(
        "/intelligence/", {"q": "infusion pump software dose", "product_code": "FRN"}
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="similar-results"' in body
    first_row = body.split('<tr data-key="')[1]
    assert first_row.startswith("900001")
    assert "1,200 pumps; 1 serial; US nationwide; CA" in first_row
    assert 'id="intelligence-stats-data"' in body
    stats = response.context["chart_data"]
    assert stats["records"] == 2  # the product code FRN
    assert stats["by_root_cause"] == [
        {"value": "Component design/selection", "count": 1},
        {"value": "Software design", "count": 1},
    ]


def test_the_search_page_in_chinese(records, make_user):
    response = _client(make_user(Role.VIEWER, language="zh-hans"), "zh-hans").get(
        "/intelligence/", {"q": "输液泵软件剂量错误"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "FDA 公开召回记录" in body
    assert body.split('<tr data-key="')[1].startswith("900001")
    assert "软件设计" in body  # the root cause in Chinese
    assert {r["value"] for r in response.context["chart_data"]["by_root_cause"]} >= {"软件设计"}


def test_a_bad_product_code_is_a_message_not_an_error(records, make_user):
    response = _client(make_user(Role.VIEWER)).get("/intelligence/", {"product_code": "X" * 12})

    assert response.status_code == 200
    assert "is not an FDA product code" in response.content.decode()


def test_the_search_page_runs_a_constant_number_of_queries(tmp_path, records, make_user):
    client = _client(make_user(Role.VIEWER))
    query = {"q": "infusion pump software dose", "product_code": "FRN", "firm": "Firm 900002"}
    client.get("/intelligence/")  # the session and the user's permissions, loaded once
    with CaptureQueriesContext(connection) as few:
        client.get("/intelligence/", query)
    _grow(tmp_path, 60)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/intelligence/", query)

    assert len(response.context["found"].results) == 50
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_record_page_shows_the_parsed_fields(records, make_user):
    record = PublicRecall.objects.get(key="900001")

    body = (
        _client(make_user(Role.VIEWER)).get(f"/intelligence/records/{record.pk}/").content.decode()
    )

    assert "Serial ranges: IP7-0001 – IP7-1200" in body
    assert "Software versions: 2.1" in body
    assert "«US Nationwide and Canada»" in body


def test_portal_users_see_nothing_of_it(records):
    from django.contrib.auth.models import Group

    from medrecall.accounts.models import User

    portal = User.objects.create_user(username="p", password=PASSWORD, party=PartyFactory())
    portal.groups.add(Group.objects.get(name=Role.PORTAL))
    client = _client(portal)

    assert client.get("/intelligence/").status_code == 403
    assert client.get("/api/intelligence/similar/", {"q": "pump"}).status_code == 403
    assert client.get("/api/intelligence/statistics/").status_code == 403


def test_a_recall_page_links_to_recalls_like_it_and_the_page_lists_them(records, make_user):
    manager = make_user(Role.QA_RA_MANAGER)
    pump = DeviceModelFactory(name="输液泵", name_en="Infusion pump")
    recall = recall_open(
        actor=manager,
        title="输液泵剂量错误",
        products=[pump],
        reason_en="The pump software miscalculates the dose.",
    )
    client = _client(manager)

    detail = client.get(f"/recalls/{recall.pk}/").content.decode()
    similar = client.get(f"/recalls/{recall.pk}/similar/")

    assert f'href="/recalls/{recall.pk}/similar/" id="recall-similar-link"' in detail
    assert similar.status_code == 200
    assert similar.content.decode().split('<tr data-key="')[1].startswith("900001")


def test_the_api_answers_similar_recalls_and_statistics(records, make_user, api_as):
    api = api_as(make_user(Role.FINANCE))

    similar = api.get("/api/intelligence/similar/", {"q": "输液泵 软件 剂量", "limit": 2}).json()
    stats = api.get("/api/intelligence/statistics/", {"product_code": "FRN,DQY"}).json()

    assert [r["record"]["key"] for r in similar["results"]] == ["900001", "900002"]
    assert similar["results"][0]["record"]["codes"] == {
        "serial_ranges": [["IP7-0001", "IP7-1200"]],
        "versions": ["2.1"],
    }
    assert similar["results"][0]["record"]["countries"] == ["US", "CA"]
    assert similar["unknown"] == []
    assert stats["records"] == 4
    assert stats["by_year"] == [{"value": "2019", "count": 3}, {"value": "2024", "count": 1}]


def test_the_api_refuses_bad_input_with_a_message(make_user, api_as):
    api = api_as(make_user(Role.VIEWER))

    limit = api.get("/api/intelligence/similar/", {"q": "pump", "limit": 0})
    source = api.get("/api/intelligence/statistics/", {"source": "drugs"})
    missing = api.get("/api/intelligence/records/999999/")

    assert (limit.status_code, limit.json()["code"]) == (400, "invalid")
    assert (source.status_code, source.json()["code"]) == (400, "search_invalid")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_the_api_runs_a_constant_number_of_queries(tmp_path, records, make_user, api_as):
    api = api_as(make_user(Role.VIEWER))
    api.get("/api/intelligence/statistics/")  # the user's permissions, loaded once
    with CaptureQueriesContext(connection) as few:
        api.get("/api/intelligence/similar/", {"q": "pump dose", "product_code": "FRN"})
    _grow(tmp_path, 40)
    with CaptureQueriesContext(connection) as many:
        answer = api.get(
            "/api/intelligence/similar/", {"q": "pump dose", "product_code": "FRN", "limit": 40}
        )

    assert len(answer.json()["results"]) == 40
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.QA_RA_MANAGER, 202), (Role.ADMINISTRATOR, 202), (Role.VIEWER, 403), (Role.FINANCE, 403)],
)
def test_only_qa_ra_and_administrators_import(tmp_path, make_user, api_as, role, status):
    path = download(tmp_path / "device-recall.json", [recall_example()])
    api = api_as(make_user(role))

    response = api.post(
        "/api/imports/start/",
        {
            "kind": "fda-recalls",
            "policy": "reject",
            "file": SimpleUploadedFile(path.name, path.read_bytes()),
        },
    )

    assert response.status_code == status
    if status == 202:
        run = import_run_execute(run_id=response.json()["id"])
        assert (run.status, run.created_count) == (ImportStatus.ACCEPTED, 1)
        assert run.message == "1 row: 1 created, 0 updated, 0 unchanged."  # no "0 records'…"
        assert PublicRecall.objects.get().key == "177049"
    else:
        assert ImportRun.objects.count() == 0


def test_the_command_searches_and_counts(records):
    search, stats = io.StringIO(), io.StringIO()

    call_command("intelligence", "search", "--q", "输液泵软件剂量", "--json", stdout=search)
    call_command("intelligence", "stats", "--product-code", "FRN", "--json", stdout=stats)

    found = json.loads(search.getvalue())
    assert found["results"][0]["record"]["key"] == "900001"
    assert found["results"][0]["record"]["initiated_on"] == "2024-03-01"
    assert json.loads(stats.getvalue())["records"] == 2


def test_the_command_shows_recalls_like_a_case(records, make_user):
    recall = recall_open(
        actor=make_user(Role.QA_RA_MANAGER),
        title="泵",
        products=[DeviceModelFactory()],
        reason_en="Infusion pump software miscalculates the dose",
    )
    out = io.StringIO()

    call_command("intelligence", "similar", recall.number, stdout=out)

    assert out.getvalue().splitlines()[1].split()[1] == "Z-9001-2024"


def _zip_upload(tmp_path, members):
    import zipfile

    path = tmp_path / "device-recall-0001-of-0001.json.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="application/zip")


def _download_bytes(tmp_path):
    return download(tmp_path / "inner.json", [recall_example()]).read_bytes()


def test_the_api_takes_the_zipped_download(tmp_path, make_user, api_as):
    api = api_as(make_user(Role.QA_RA_MANAGER))
    upload = _zip_upload(tmp_path, {"device-recall-0001-of-0001.json": _download_bytes(tmp_path)})

    response = api.post(
        "/api/imports/start/", {"kind": "fda-recalls", "policy": "reject", "file": upload}
    )

    assert response.status_code == 202
    run = import_run_execute(run_id=response.json()["id"])
    assert (run.status, run.rows, run.created_count) == (ImportStatus.ACCEPTED, 1, 1)
    assert run.source.name.endswith(".zip")
    assert PublicRecall.objects.get().key == "177049"


def test_the_imports_page_takes_the_zipped_download(tmp_path, make_user):
    client = _client(make_user(Role.QA_RA_MANAGER))
    upload = _zip_upload(tmp_path, {"device-recall.json": _download_bytes(tmp_path)})

    response = client.post("/imports/", {"kind": "fda-recalls", "policy": "reject", "file": upload})

    assert response.status_code == 302
    run = import_run_execute(run_id=ImportRun.objects.get().pk)
    assert (run.status, run.created_count) == (ImportStatus.ACCEPTED, 1)
    assert 'accept=".csv,.txt,.xlsx,.xlsm,.xml,.json,.jsonld,.jsonl,.zip"' in (
        client.get("/imports/").content.decode()
    )


def test_an_uploaded_zip_with_two_json_files_is_refused_whole(tmp_path, make_user, api_as):
    api = api_as(make_user(Role.QA_RA_MANAGER))
    body = _download_bytes(tmp_path)
    upload = _zip_upload(tmp_path, {"a.json": body, "b.json": body})

    response = api.post(
        "/api/imports/start/", {"kind": "fda-recalls", "policy": "reject", "file": upload}
    )

    run = import_run_execute(run_id=response.json()["id"])
    assert (run.status, run.created_count) == (ImportStatus.REJECTED, 0)
    assert run.message == (
        "The zip file device-recall-0001-of-0001.json.zip must hold exactly one JSON file."
    )
    assert PublicRecall.objects.count() == 0


def test_other_imports_still_refuse_a_zip(tmp_path, make_user, api_as):
    api = api_as(make_user(Role.ADMINISTRATOR))
    upload = _zip_upload(tmp_path, {"products.csv": b"gtin,model_code\n"})

    response = api.post(
        "/api/imports/start/", {"kind": "products", "policy": "reject", "file": upload}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "wrong_type"
    assert ImportRun.objects.count() == 0


def test_command_refusals_under_json_answer_json() -> None:
    from django.core.management.base import CommandError

    out = io.StringIO()

    with pytest.raises(CommandError):
        call_command("intelligence", "show", "999999", "--json", stdout=out)

    assert json.loads(out.getvalue()) == {
        "error": {
            "code": "not_found",
            "message": "There is no public recall record 999999.",
            "where": "record",
        }
    }
