"""Uploads are stored under a generated name with the extension of the type their content
shows; the client's name is only shown. Web pages, SVG and programs are refused."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.core import files, services
from medrecall.core.models import ImportRun
from tests.conftest import PASSWORD

GENERATED = re.compile(r"[0-9a-f]{32}\.[a-z]+")


def _zip(names: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in names.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _xlsx() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["gtin", "model_code"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSM = _zip(
    {
        "[Content_Types].xml": b"<Types/>",
        "xl/workbook.xml": b"<workbook/>",
        "xl/vbaProject.bin": b"\0",
    }
)
DOCM = _zip(
    {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>", "word/vbaProject.bin": b"\0"}
)

DETECTED = [
    pytest.param(b"%PDF-1.7\n%...", "pdf", id="pdf"),
    pytest.param(b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg", id="jpeg"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", "png", id="png"),
    pytest.param(b"II*\x00\x08\x00\x00\x00", "tiff", id="tiff-little-endian"),
    pytest.param(b"MM\x00*\x00\x00\x00\x08", "tiff", id="tiff-big-endian"),
    pytest.param(_xlsx(), "xlsx", id="xlsx"),
    pytest.param(XLSM, "xlsm", id="xlsm"),
    pytest.param(DOCX, "docx", id="docx"),
    pytest.param(b"gtin,model_code\n06950000000019,PUMP-1\n", "csv", id="csv"),
    pytest.param("\ufeff批号,数量\nC1,3\n".encode(), "csv", id="csv-utf8-bom"),
    pytest.param("批号,数量\nC1,3\n".encode("gb18030"), "csv", id="csv-gb18030"),
    pytest.param("\ufefflot,qty\nC1,3\n".encode("utf-16"), "csv", id="csv-utf16-bom"),
    pytest.param(
        b'<?xml version="1.0" encoding="GB18030"?>\n<gudid><device/></gudid>', "xml", id="xml"
    ),
    pytest.param(
        b'  {"@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"}',
        "json",
        id="json",
    ),
    pytest.param(b"[1, 2]", "json", id="json-array"),
    # a plain zip is named for what it is; only the openFDA imports allow it (upload_types)
    pytest.param(_zip({"readme.txt": b"hello"}), "zip", id="plain-zip"),
]

REFUSED = [
    pytest.param(b"<!DOCTYPE html><html><script>alert(1)</script></html>", id="html-doctype"),
    pytest.param(b"\xef\xbb\xbf  <html><body>hi</body></html>", id="html-bom"),
    pytest.param(b"<script>alert(1)</script>", id="html-script"),
    pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', id="svg"),
    pytest.param(
        b'<?xml version="1.0"?>\n<!-- x -->\n<svg onload="alert(1)"/>', id="svg-with-declaration"
    ),
    pytest.param(
        b'<?xml version="1.0"?><doc><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>'
        b"</doc>",
        id="xhtml-inside-xml",
    ),
    pytest.param("<html>".encode("utf-16"), id="html-utf16"),
    pytest.param(b"MZ\x90\x00\x03\x00\x00\x00", id="windows-program"),
    pytest.param(b"\x7fELF\x02\x01\x01", id="linux-program"),
    pytest.param(b"\x00\x01\x02\x03binary", id="unknown-binary"),
    pytest.param(b"", id="empty"),
    pytest.param(DOCM, id="word-with-macros"),
]


@pytest.mark.parametrize(("content", "code"), DETECTED)
def test_the_type_comes_from_the_content(content: bytes, code: str) -> None:
    upload = io.BytesIO(content)
    detected = files.detect(upload)
    assert detected is not None
    assert detected.code == code
    assert upload.tell() == 0  # rewound for whoever stores it


@pytest.mark.parametrize("content", REFUSED)
def test_web_pages_svg_programs_and_unknown_content_are_not_recognised(content: bytes) -> None:
    assert files.detect(io.BytesIO(content)) is None


def test_a_type_outside_the_allow_list_is_refused_with_the_list() -> None:
    with pytest.raises(files.UploadRefused) as refused:
        files.check_type(io.BytesIO(b"a,b\n1,2\n"), name="site.jpg", allowed=files.EVIDENCE_TYPES)
    assert refused.value.code == "wrong_type"
    assert refused.value.where == "file"
    assert refused.value.message == (
        "site.jpg is not a file we accept here (its content is not one of: PDF, JPEG photo, PNG picture, TIFF scan, "
        "Excel workbook (.xlsx), Word document (.docx)). Web pages, pictures with scripts (SVG) and programs are "
        "never accepted."
    )


def test_stored_names_are_random_with_the_detected_extension() -> None:
    first, second = files.stored_name(files.PNG), files.stored_name(files.PNG)
    assert GENERATED.fullmatch(first)
    assert first.endswith(".png")
    assert first != second


@pytest.mark.django_db
def test_an_import_is_stored_under_a_generated_name_and_keeps_the_clients_name(
    analyst: User,
) -> None:
    run = services.import_run_start(
        kind="products",
        upload=ContentFile(b"gtin,model_code,name,tracking\n"),
        file_name="x.html",
        policy="reject",
        actor=analyst,
    )
    assert run.source.name is not None
    stored = Path(run.source.name)
    assert stored.parent.parts[0] == "imports"
    assert GENERATED.fullmatch(stored.name)
    assert stored.suffix == ".csv"
    assert run.file_name == "x.html"
    client = Client()
    assert client.login(username=analyst.username, password=PASSWORD)
    response = client.get(f"/files/import-source/{run.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_an_html_import_is_refused_and_nothing_is_kept(analyst: User, settings: Any) -> None:
    before = (
        sorted(Path(settings.MEDIA_ROOT).rglob("*")) if Path(settings.MEDIA_ROOT).exists() else []
    )
    with pytest.raises(files.UploadRefused) as refused:
        services.import_run_start(
            kind="products",
            upload=ContentFile(b"<html><script>alert(1)</script></html>"),
            file_name="products.csv",
            policy="reject",
            actor=analyst,
        )
    assert refused.value.message.startswith(
        "products.csv is not a file we accept here (its content is not one "
        "of: CSV or text file, Excel workbook (.xlsx), Excel workbook with macros, "
        "XML file, JSON file)."
    )
    assert ImportRun.objects.count() == 0
    after = (
        sorted(Path(settings.MEDIA_ROOT).rglob("*")) if Path(settings.MEDIA_ROOT).exists() else []
    )
    assert after == before


@pytest.mark.django_db
def test_the_import_page_shows_the_refusal(make_user: Callable[..., User]) -> None:
    user = make_user(Role.TRACEABILITY_ANALYST)
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    upload = SimpleUploadedFile("products.csv", b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    response = client.post("/imports/", {"kind": "products", "file": upload}, follow=True)
    assert response.status_code == 200
    assert "products.csv is not a file we accept here" in response.content.decode()
    assert ImportRun.objects.count() == 0
    assert not AuditEntry.objects.filter(action__startswith="import").exists()


def test_the_refusal_lists_the_types_in_chinese_with_the_chinese_separator() -> None:
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(files.UploadRefused) as refused:
        files.check_type(io.BytesIO(b"<svg></svg>"), name="a.svg", allowed=(files.PDF, files.PNG))
    assert refused.value.message == (
        "此处不接受文件 a.svg（其内容不属于以下类型：PDF、PNG 图片）。"
        "网页、带脚本的图片（SVG）和程序一律不予接受。"
    )
