"""GUDID XML in encodings other than UTF-8 (issue 14, item 4): decoded as declared, or refused
with the file and line named; never a crash."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from medrecall.catalog.gudid import GudidImporter
from medrecall.catalog.models import DeviceModel
from medrecall.core.errors import ImportRejected
from medrecall.core.models import ImportRun, ImportStatus
from medrecall.core.services import import_run_execute

pytestmark = pytest.mark.django_db

DEVICE = """<?xml version="1.0" encoding="{encoding}"?>
<data><device xmlns="http://www.fda.gov/cdrh/gudid">
<identifiers><identifier><deviceId>06950000000019</deviceId><deviceIdType>Primary</deviceIdType>
<deviceIdIssuingAgency>GS1</deviceIdIssuingAgency></identifier></identifiers>
<brandName>{brand}</brandName><versionModelNumber>CATH-1</versionModelNumber>
<companyName>{company}</companyName></device></data>
"""


def _file(
    tmp_path: Path, encoding: str, brand: str = "中心静脉导管", company: str = "深圳迈瑞"
) -> Path:
    path = tmp_path / f"gudid-{encoding}.xml"
    path.write_bytes(
        DEVICE.format(encoding=encoding, brand=brand, company=company).encode(encoding)
    )
    return path


@pytest.mark.parametrize(
    ("encoding", "brand", "company"),
    [
        ("GB18030", "中心静脉导管", "深圳迈瑞"),
        ("GBK", "中心静脉导管", "深圳迈瑞"),
        ("Big5", "中心靜脈導管", "台灣醫材"),
        ("Shift_JIS", "中心静脈カテーテル", "株式会社"),
        ("UTF-16", "中心静脉导管", "深圳迈瑞"),
        ("ISO-8859-1", "Cathéter central", "Société Médicale"),
        ("windows-1252", "Cathéter central", "Société Médicale"),
    ],
)
def test_gudid_in_a_declared_encoding_is_decoded(
    tmp_path: Path, encoding: str, brand: str, company: str
) -> None:
    outcome = GudidImporter().run(_file(tmp_path, encoding, brand, company), file_name="gudid.xml")
    assert (outcome.accepted, outcome.created, outcome.errors) == (True, 1, [])
    model = DeviceModel.objects.get()
    assert (model.udi_di, model.name, model.manufacturer) == ("06950000000019", brand, company)


def test_gb18030_gudid_through_the_command_and_the_worker(tmp_path: Path) -> None:
    path = _file(tmp_path, "GB18030")
    out = io.StringIO()
    call_command("import", "gudid", str(path), "--json", stdout=out, stderr=io.StringIO())
    assert json.loads(out.getvalue())["created"] == 1
    DeviceModel.objects.all().delete()
    run = ImportRun(kind="gudid", file_name="gudid.xml", policy="reject")
    run.source.save("gudid.xml", ContentFile(path.read_bytes()), save=False)
    run.save()
    assert import_run_execute(run_id=run.pk).status == ImportStatus.ACCEPTED
    assert DeviceModel.objects.get().name == "中心静脉导管"


def test_unknown_declared_encoding_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gudid.xml"
    path.write_bytes(DEVICE.format(encoding="x-klingon", brand="a", company="b").encode())
    with pytest.raises(ImportRejected) as refused:
        GudidImporter().run(path, file_name="gudid.xml")
    assert refused.value.message == (
        "The file gudid.xml declares the encoding x-klingon, which is not known; save it as UTF-8."
    )
    assert [(e.row, e.code) for e in refused.value.errors] == [(1, "encoding")]
    assert DeviceModel.objects.count() == 0


def test_bytes_not_in_the_declared_encoding_are_refused_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "gudid.xml"
    path.write_bytes(
        DEVICE.format(encoding="GB18030", brand="x", company="y")
        .encode()
        .replace(b">x<", b">\x81\x20<")
    )
    with pytest.raises(ImportRejected) as refused:
        GudidImporter().run(path, file_name="gudid.xml")
    assert refused.value.message == (
        "The file gudid.xml is not valid GB18030 text (line 5), the encoding its XML "
        "declaration names."
    )
    assert DeviceModel.objects.count() == 0


def test_command_exits_1_without_traceback_on_a_codec_that_is_no_encoding(tmp_path: Path) -> None:
    path = tmp_path / "gudid.xml"
    path.write_bytes(DEVICE.format(encoding="rot13", brand="a", company="b").encode())
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("import", "gudid", str(path), stdout=out, stderr=err)
    assert exited.value.code == 1
    assert err.getvalue() == (
        "gudid.xml, row 1: The file gudid.xml declares the encoding rot13, which is not known; "
        "save it as UTF-8.\n"
    )
    assert DeviceModel.objects.count() == 0
