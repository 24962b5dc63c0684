"""Importing through the web page: the file waits on the real database queue, a worker runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from medrecall.accounts.models import User
from medrecall.catalog.models import DeviceModel
from medrecall.core.models import ImportRun
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

GOOD = "gtin,model_code,name,tracking\n06950000000019,PUMP-1,输液泵,serial\n"
BAD = GOOD + "12345678901232,BAD,坏,lot\n"


def upload(client: Client, text: str, **extra: str) -> ImportRun:
    response = client.post(
        "/imports/",
        {"kind": "products", "file": SimpleUploadedFile("p.csv", text.encode()), **extra},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return ImportRun.objects.latest("pk")


def test_upload_queues_and_worker_imports(analyst: User) -> None:
    client = Client()
    client.login(username=analyst.username, password=PASSWORD)
    run = upload(client, GOOD)
    assert run.status == "queued"
    assert DeviceModel.objects.count() == 0
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    run.refresh_from_db()
    assert (run.status, run.rows, run.created_count) == ("accepted", 1, 1)
    page = client.get(f"/imports/{run.pk}/").content.decode()
    assert "Accepted" in page
    assert DeviceModel.objects.get().model_code == "PUMP-1"


def test_rejected_upload_shows_errors_and_rejected_rows(analyst: User) -> None:
    client = Client()
    client.login(username=analyst.username, password=PASSWORD)
    run = upload(client, BAD, keep_good="1")
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    run.refresh_from_db()
    assert (run.status, run.created_count, run.rejected_count) == ("partial", 1, 1)
    assert (run.errors[0]["row"], run.errors[0]["column"]) == (3, "gtin")
    page = client.get(f"/imports/{run.pk}/").content.decode()
    assert "check digit" in page
    rejected = client.get(f"/imports/{run.pk}/rejected.csv")
    import csv
    import io

    text = b"".join(rejected.streaming_content).decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert (row["gtin"], row["model_code"], row["error_row"], row["error_column"]) == (
        "12345678901232",
        "BAD",
        "3",
        "gtin",
    )
    assert row["error"] == "The GTIN 12345678901232 has check digit 2; it should be 1."


def test_templates_download(analyst: User) -> None:
    client = Client()
    client.login(username=analyst.username, password=PASSWORD)
    csv_response = client.get("/imports/templates/locations.csv")
    assert csv_response.content.decode("utf-8-sig").strip() == (
        "location_code,location_name,location_type,party_code,party_name,party_type,country,province,city,"
        "address,latitude,longitude,contact_name,contact_email,contact_phone,language"
    )
    xlsx = client.get("/imports/templates/products.xlsx")
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"


def percent_seen_elsewhere(run_id: int) -> int:
    """``percent`` as another connection reads it (the page and the API are other processes)."""
    import threading

    from django.db import connections

    seen: list[int] = []

    def read() -> None:
        try:
            seen.append(ImportRun.objects.get(pk=run_id).percent)
        finally:
            connections.close_all()

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(30)
    return seen[0]


def test_progress_is_seen_from_elsewhere_while_the_events_import_runs(
    analyst: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The events import writes its rows in one transaction; its progress still shows."""
    from medrecall.cli.demo import demo_build, write_demo_events
    from medrecall.core import services
    from medrecall.traceability.importing import direct

    demo_build(events=False)
    path = tmp_path / "history.csv"
    rows = write_demo_events(path, limit=9000)
    monkeypatch.setattr(direct, "BLOCK_BYTES", 256 * 1024)  # a few blocks, each reported
    client = Client()
    client.login(username=analyst.username, password=PASSWORD)
    response = client.post(
        "/imports/", {"kind": "events", "file": SimpleUploadedFile(path.name, path.read_bytes())}
    )
    assert response.status_code == 302
    run = ImportRun.objects.latest("pk")
    seen: list[tuple[int, int]] = []
    writer = services._progress_writer

    def observed(observed_run: ImportRun) -> object:
        write = writer(observed_run)

        def progress(done: int, total: int) -> None:
            write(done, total)
            seen.append((100 * done // total, percent_seen_elsewhere(observed_run.pk)))

        return progress

    monkeypatch.setattr(services, "_progress_writer", observed)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    run.refresh_from_db()
    assert (run.status, run.created_count) == ("accepted", rows)
    assert len(seen) >= 5
    assert any(0 < reported < 100 for reported, _ in seen)
    assert [elsewhere for _, elsewhere in seen] == [reported for reported, _ in seen]
    assert run.percent == 100
    assert not run.progress_path.exists()


@pytest.mark.parametrize(
    ("browser", "preference", "expected_error", "expected_message"),
    [
        pytest.param(
            "zh-hans",
            "",
            "GTIN 12345678901232 的校验位为 2，应为 1。",
            "已导入 1 行；1 行被拒绝（请下载这些行，更正后重新导入）。",
            id="browser-chinese",
        ),
        pytest.param(
            "en",
            "zh-hans",
            "GTIN 12345678901232 的校验位为 2，应为 1。",
            "已导入 1 行；1 行被拒绝（请下载这些行，更正后重新导入）。",
            id="user-prefers-chinese",
        ),
        pytest.param(
            "en",
            "",
            "The GTIN 12345678901232 has check digit 2; it should be 1.",
            "1 row imported; 1 row rejected (download them, correct and import again).",
            id="english",
        ),
    ],
)
def test_worker_writes_errors_in_the_language_the_import_was_started_in(
    make_user: object,
    browser: str,
    preference: str,
    expected_error: str,
    expected_message: str,
) -> None:
    """The worker has no request; it used to write every row error in English."""
    from medrecall.accounts.roles import Role

    user = make_user(Role.TRACEABILITY_ANALYST, language=preference)  # type: ignore[operator]
    client = Client(HTTP_ACCEPT_LANGUAGE=browser)
    client.login(username=user.username, password=PASSWORD)
    run = upload(client, BAD, keep_good="1")
    from django.utils import translation

    translation.activate(
        "en"
    )  # a worker process starts in the site's language, whatever the upload's was
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    finally:
        translation.deactivate()
    run.refresh_from_db()
    assert (run.status, run.errors[0]["message"], run.message) == (
        "partial",
        expected_error,
        expected_message,
    )


@pytest.mark.parametrize(
    ("started_in", "read_in", "expected"),
    [
        pytest.param(
            "zh-hans",
            "en",
            (
                "1 row imported; 1 row rejected (download them, correct and import again).",
                "The GTIN 12345678901232 has check digit 2; it should be 1.",
            ),
            id="chinese-upload-english-reader",
        ),
        pytest.param(
            "en",
            "zh-hans",
            ("已导入 1 行；1 行被拒绝（请下载这些行，更正后重新导入）。", "应为 1"),
            id="english-upload-chinese-reader",
        ),
    ],
)
def test_result_shown_in_the_readers_language(
    analyst: User, started_in: str, read_in: str, expected: tuple[str, str]
) -> None:
    """A stored result is shown in the language of whoever reads it, page and API alike."""
    uploader = Client(HTTP_ACCEPT_LANGUAGE=started_in)
    uploader.login(username=analyst.username, password=PASSWORD)
    run = upload(uploader, BAD, keep_good="1")
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    reader = Client(HTTP_ACCEPT_LANGUAGE=read_in)
    reader.login(username=analyst.username, password=PASSWORD)

    page = reader.get(f"/imports/{run.pk}/").content.decode()
    body = reader.get(f"/api/imports/{run.pk}/").json()

    message, error = expected
    assert message in page
    assert body["message"] == message
    assert error in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "gtin,model_code,name,tracking\n12345678901232,BAD,坏,lot\n",
            "1 row has a problem; nothing was imported.",
            id="one",
        ),
        pytest.param(
            "gtin,model_code,name,tracking\n12345678901232,BAD,坏,lot\n"
            "12345678901233,BAD2,坏,lot\n",
            "2 rows have problems; nothing was imported.",
            id="two",
        ),
    ],
)
def test_refused_run_counts_rows_in_both_languages(analyst: User, text: str, expected: str) -> None:
    uploader = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    uploader.login(username=analyst.username, password=PASSWORD)
    run = upload(uploader, text)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    reader = Client(HTTP_ACCEPT_LANGUAGE="en")
    reader.login(username=analyst.username, password=PASSWORD)

    page = reader.get(f"/imports/{run.pk}/").content.decode()

    assert expected in page
    assert "check digit" in page


def test_a_refused_file_larger_than_the_recheck_bound_is_not_read_again(
    analyst: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above ``RECHECK_BYTES`` the file is read once: its row problems stay in the uploader's
    language, its summary line is in the reader's all the same."""
    from medrecall.core import services as core_services

    monkeypatch.setattr(core_services, "RECHECK_BYTES", 10)
    uploader = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    uploader.login(username=analyst.username, password=PASSWORD)
    run = upload(uploader, "gtin,model_code,name,tracking\n12345678901232,BAD,坏,lot\n")
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    reader = Client(HTTP_ACCEPT_LANGUAGE="en")
    reader.login(username=analyst.username, password=PASSWORD)

    page = reader.get(f"/imports/{run.pk}/").content.decode()
    body = reader.get(f"/api/imports/{run.pk}/").json()

    assert "1 row has a problem; nothing was imported." in page
    assert "check digit" not in body["errors"][0]["message"]  # as written, in Chinese
    assert "messages" not in body["errors"][0] or "en" not in body["errors"][0]["messages"]
