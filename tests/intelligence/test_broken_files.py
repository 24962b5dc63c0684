"""Broken files said for what they are: an empty file is "empty" (upload page, API, command),
a JSON file that is not openFDA is "not an openFDA … file", not a missing key on each row."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from medrecall.accounts.roles import Role
from medrecall.core.errors import ImportRejected
from medrecall.core.models import ImportRun
from medrecall.intelligence.importers import FdaEnforcementImporter, FdaRecallImporter
from medrecall.intelligence.models import PublicRecall
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NOT_OPENFDA = {
    FdaRecallImporter: "This is not an openFDA device/recall file",
    FdaEnforcementImporter: "This is not an openFDA device/enforcement file",
}


@pytest.fixture(params=["in-process", "child-process"])
def either_process(request, settings):
    settings.MEDRECALL_FDA_IMPORT_PROCESS_BYTES = 10**15 if request.param == "in-process" else 0


@pytest.mark.usefixtures("either_process")
@pytest.mark.parametrize("importer", [FdaRecallImporter, FdaEnforcementImporter])
@pytest.mark.parametrize(
    "content",
    [
        pytest.param('{"foo": 1}', id="object"),
        pytest.param('[{"a": 1}, {"b": 2}]', id="list-of-other-objects"),
        pytest.param('{"meta": {}, "results": [{"name": "x"}]}', id="download-of-other-records"),
    ],
)
def test_json_that_is_not_openfda_is_refused_as_such(tmp_path: Path, importer, content) -> None:
    path = tmp_path / "other.json"
    path.write_text(content)

    with pytest.raises(ImportRejected) as refused:
        importer().run(path, file_name=path.name)

    assert refused.value.message.startswith(NOT_OPENFDA[importer])
    assert [(e.row, e.code) for e in refused.value.errors] == [(1, "not_openfda")]
    assert PublicRecall.objects.count() == 0


@pytest.mark.parametrize("name", ["empty.json", "empty.csv"])
def test_an_empty_file_is_refused_as_empty(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")

    with pytest.raises(ImportRejected) as refused:
        FdaRecallImporter().run(path, file_name=name)

    assert refused.value.message == f"The file {name} is empty."


def test_the_command_says_empty_and_not_openfda(tmp_path: Path) -> None:
    empty, other = tmp_path / "empty.json", tmp_path / "other.json"
    empty.write_bytes(b"")
    other.write_text('{"foo": 1}')

    answers = []
    for path in (empty, other):
        out = io.StringIO()
        with pytest.raises(SystemExit):
            call_command(
                "import", "fda-recalls", str(path), "--json", stdout=out, stderr=io.StringIO()
            )
        answers.append(json.loads(out.getvalue())["errors"][0]["message"])

    assert answers[0] == "The file empty.json is empty."
    assert answers[1].startswith(NOT_OPENFDA[FdaRecallImporter])


@pytest.mark.parametrize("kind", ["complaints", "fda-recalls", "fda-enforcement"])
def test_an_empty_upload_is_refused_as_empty_on_the_page_and_the_api(
    make_user, api_as, kind: str
) -> None:
    user = make_user(Role.QA_RA_MANAGER)
    client = Client()
    client.login(username=user.username, password=PASSWORD)

    page = client.post(
        "/imports/", {"kind": kind, "file": SimpleUploadedFile("empty.csv", b"")}
    ).content.decode()
    answer = api_as(user).post(
        "/api/imports/start/", {"kind": kind, "file": SimpleUploadedFile("empty.json", b"")}
    )

    assert "The file empty.csv is empty." in page
    assert "not a file we accept" not in page
    assert answer.status_code == 400
    assert (answer.json()["code"], answer.json()["message"]) == (
        "empty_file",
        "The file empty.json is empty.",
    )
    assert ImportRun.objects.count() == 0
