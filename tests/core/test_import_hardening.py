"""Files that used to crash the table imports, and decompression bombs (issue 14, items 4 and 5):
each is refused with the file, row and column named, through the importer, the command and
the worker, and nothing is written."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook

from medrecall.catalog.importers import LotImporter
from medrecall.catalog.models import Lot
from medrecall.core.errors import ImportRejected, ValidationFailed
from medrecall.core.importing import Policy
from medrecall.core.models import ImportRun, ImportStatus, WorkingDayEntry
from medrecall.core.services import import_run_execute, import_run_start
from medrecall.core.tabular import Columns, TableReader
from medrecall.parties.importers import ContactImporter, LocationImporter, PartyImporter
from medrecall.parties.models import Location, Party
from medrecall.recalls.calendars import calendar_import
from tests.factories import DeviceModelFactory

pytestmark = pytest.mark.django_db

NUMBER = "is not a number: write it with the digits 0-9 and a decimal point, e.g. 31.2304."
WHOLE = "is not a whole number: write it with the digits 0-9 only, e.g. 25."


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("latitude", "message"),
    [
        pytest.param("NaN", f"NaN {NUMBER}", id="nan"),
        pytest.param("sNaN", f"sNaN {NUMBER}", id="signalling-nan"),
        pytest.param("inf", f"inf {NUMBER}", id="inf"),
        pytest.param("-Infinity", f"-Infinity {NUMBER}", id="minus-infinity"),
        pytest.param("1e1", f"1e1 {NUMBER}", id="exponent"),
        pytest.param("٣٠", f"٣٠ {NUMBER}", id="arabic-indic-digits"),
        pytest.param("1" * 5000, f"{'1' * 40}… {NUMBER}", id="5000-digits"),
        pytest.param("90.5", "90.5 is outside -90…90.", id="out-of-range"),
    ],
)
@pytest.mark.parametrize("kind", ["parties", "locations"])
def test_bad_coordinates_are_row_errors(
    tmp_path: Path, kind: str, latitude: str, message: str
) -> None:
    if kind == "parties":
        path = _write(
            tmp_path,
            "p.csv",
            f"party_code,party_name,party_type,latitude,longitude\nP1,Ruijin,hospital,{latitude},121.4\n",
        )
        outcome = PartyImporter().run(path, file_name="p.csv")
    else:
        path = _write(
            tmp_path,
            "p.csv",
            "location_code,location_name,location_type,party_code,party_name,party_type,"
            f"country,province,city,latitude,longitude\nL1,Store,warehouse,P1,Own,own_site,CN,上海,上海,{latitude},1\n",
        )
        outcome = LocationImporter().run(path, file_name="p.csv")
    assert outcome.accepted is False
    assert [(e.file, e.row, e.column, e.code, e.message) for e in outcome.errors] == [
        ("p.csv", 2, "latitude", "range" if "outside" in message else "number", message)
    ]
    assert (Party.objects.count(), Location.objects.count()) == (0, 0)


def test_coordinates_written_plainly_are_kept(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "p.csv",
        "party_code,party_name,party_type,latitude,longitude\nP1,Ruijin,hospital,+31.2,-.5\n",
    )
    assert PartyImporter().run(path, file_name="p.csv").errors == []
    party = Party.objects.get()
    assert (str(party.latitude), str(party.longitude)) == ("31.200000", "-0.500000")


@pytest.mark.parametrize(
    ("quantity", "message", "code"),
    [
        pytest.param("--5", f"--5 {WHOLE}", "integer", id="double-minus"),
        pytest.param("²", f"² {WHOLE}", "integer", id="superscript-two"),
        pytest.param("٣", f"٣ {WHOLE}", "integer", id="arabic-indic-three"),
        pytest.param("1e3", f"1e3 {WHOLE}", "integer", id="exponent"),
        pytest.param("-5", "-5 must be greater than zero.", "quantity", id="negative"),
        pytest.param(
            "2147483648",
            "2147483648 is too large: quantity_produced is at most 2147483647.",
            "range",
            id="int32+1",
        ),
        pytest.param("9" * 5000, f"{'9' * 40}… {WHOLE}", "integer", id="5000-digits"),
    ],
)
def test_bad_lot_quantity_is_a_row_error(
    tmp_path: Path, quantity: str, message: str, code: str
) -> None:
    DeviceModelFactory(udi_di="06950000000019")
    path = _write(
        tmp_path,
        "lots.csv",
        f"gtin,lot,quantity_produced\n06950000000019,L1,{quantity}\n06950000000019,L2,5\n",
    )
    outcome = LotImporter().run(path, file_name="lots.csv", policy=Policy.KEEP_GOOD)
    assert [(e.row, e.column, e.code, e.message) for e in outcome.errors] == [
        (2, "quantity_produced", code, message)
    ]
    assert list(Lot.objects.values_list("number", "quantity_produced")) == [("L2", 5)]


def test_largest_int32_quantity_is_taken(tmp_path: Path) -> None:
    DeviceModelFactory(udi_di="06950000000019")
    path = _write(
        tmp_path, "lots.csv", "gtin,lot,quantity_produced\n06950000000019,L1,2147483647\n"
    )
    assert LotImporter().run(path, file_name="lots.csv").errors == []
    assert Lot.objects.get().quantity_produced == 2147483647


# -- Excel ---------------------------------------------------------------------------------


def _lots_xlsx(tmp_path: Path, sheet_xml: bytes | None = None, name: str = "lots.xlsx") -> Path:
    """A lots workbook; ``sheet_xml`` replaces its sheet's XML."""
    workbook = Workbook()
    workbook.active.append(["gtin", "lot"])
    workbook.active.append(["06950000000019", "L1"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path = tmp_path / name
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for part in source.infolist():
            content = source.read(part.filename)
            if sheet_xml is not None and part.filename == "xl/worksheets/sheet1.xml":
                content = sheet_xml
            target.writestr(part.filename, content)
    return path


SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/'
    b'spreadsheetml/2006/main"><sheetData>'
)
HEADER_ROW = b'<row r="1"><c r="A1" t="inlineStr"><is><t>gtin</t></is></c><c r="B1" t="inlineStr"><is><t>lot</t></is></c></row>'
DATA_ROW = b'<row><c t="inlineStr"><is><t>06950000000019</t></is></c><c t="inlineStr"><is><t>L1</t></is></c></row>'


ENTITIES_REFUSED = (
    "The file lots.xlsx is refused: its XML declares entities (a DOCTYPE), which Excel never writes "
    "and which could expand without limit or read other files. Save it again from Excel as .xlsx."
)


@pytest.mark.parametrize(
    "doctype",
    [
        pytest.param(b'<!DOCTYPE worksheet [<!ENTITY lol "lol">]>', id="internal-entity"),
        pytest.param(
            b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
            id="external-entity",
        ),
    ],
)
def test_xlsx_sheet_declaring_entities_is_refused(tmp_path: Path, doctype: bytes) -> None:
    DeviceModelFactory(udi_di="06950000000019")
    sheet = (
        SHEET_START.replace(b"<worksheet", doctype + b"<worksheet")
        + HEADER_ROW
        + DATA_ROW
        + b"</sheetData></worksheet>"
    )
    with pytest.raises(ImportRejected) as refused:
        LotImporter().run(_lots_xlsx(tmp_path, sheet), file_name="lots.xlsx")
    assert refused.value.message == ENTITIES_REFUSED
    assert [(e.row, e.code) for e in refused.value.errors] == [(1, "excel_entities")]
    assert Lot.objects.count() == 0


def test_xlsx_rows_bomb_is_refused_from_the_zip_directory(tmp_path: Path) -> None:
    sheet = SHEET_START + HEADER_ROW + DATA_ROW * 200_000 + b"</sheetData></worksheet>"
    path = _lots_xlsx(tmp_path, sheet)
    with pytest.raises(ImportRejected) as refused:
        LotImporter().run(path, file_name="lots.xlsx")
    packed = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml")
    assert refused.value.message == (
        f"The workbook lots.xlsx is refused: its part xl/worksheets/sheet1.xml would expand "
        f"{packed.file_size // packed.compress_size} times (from {packed.compress_size // 1024} KB to "
        f"{packed.file_size / (1 << 20):.1f} MB); "
        "spreadsheets expand at most 100 times. It looks like a decompression bomb."
    )
    assert [(e.row, e.code) for e in refused.value.errors] == [(1, "excel_ratio")]


def test_xlsx_single_huge_cell_bomb_is_refused_from_the_zip_directory(tmp_path: Path) -> None:
    sheet = (
        SHEET_START
        + HEADER_ROW
        + b'<row><c t="inlineStr"><is><t>'
        + b"A" * (8 << 20)
        + b"</t></is></c></row>"
    )
    with pytest.raises(ImportRejected) as refused:
        LotImporter().run(
            _lots_xlsx(tmp_path, sheet + b"</sheetData></worksheet>"), file_name="lots.xlsx"
        )
    assert refused.value.errors[0].code == "excel_ratio"


def test_xlsx_larger_than_the_uncompressed_limit_is_refused(tmp_path: Path, settings: Any) -> None:
    settings.MEDRECALL_XLSX_MAX_UNCOMPRESSED_BYTES = 4096
    with pytest.raises(ImportRejected) as refused:
        LotImporter().run(_lots_xlsx(tmp_path), file_name="lots.xlsx")
    assert refused.value.errors[0].code == "excel_size"
    assert refused.value.message.startswith("The workbook lots.xlsx would expand to ")
    assert refused.value.message.endswith(
        " MB; an Excel import takes at most 0 MB once unpacked. Split it into "
        "several files, or import it as CSV."
    )


@pytest.mark.parametrize("declared", [True, False], ids=["dimension-declared", "no-dimension"])
def test_xlsx_with_more_rows_than_the_limit_is_refused_while_streaming(
    tmp_path: Path, settings: Any, declared: bool
) -> None:
    settings.MEDRECALL_XLSX_MAX_ROWS = 50
    DeviceModelFactory(udi_di="06950000000019")
    dimension = b'<dimension ref="A1:B101"/>' if declared else b""
    sheet = (
        SHEET_START.replace(b"<sheetData>", dimension + b"<sheetData>")
        + HEADER_ROW
        + DATA_ROW * 100
    )
    with pytest.raises(ImportRejected) as refused:
        LotImporter().run(
            _lots_xlsx(tmp_path, sheet + b"</sheetData></worksheet>"), file_name="lots.xlsx"
        )
    rows = 101 if declared else 51
    assert refused.value.message == (
        f"The sheet of lots.xlsx has {rows} rows or more; an Excel import takes at most "
        "50 rows. Split it into several files, or import it as CSV."
    )
    assert [(e.row, e.code) for e in refused.value.errors] == [(51, "rows")]
    assert Lot.objects.count() == 0


def test_xlsx_cell_longer_than_the_limit_is_refused_naming_the_cell(tmp_path: Path) -> None:
    DeviceModelFactory(udi_di="06950000000019")
    workbook = Workbook()
    workbook.active.append(["gtin", "lot"])
    workbook.active.append(["06950000000019", "L" * 10_001])
    workbook.save(tmp_path / "lots.xlsx")
    with pytest.raises(ImportRejected) as refused:
        LotImporter().run(tmp_path / "lots.xlsx", file_name="lots.xlsx")
    assert refused.value.message == (
        "The file lots.xlsx, row 2, column lot: it has 10001 characters; a cell holds at "
        "most 10000."
    )
    assert [(e.row, e.column, e.code) for e in refused.value.errors] == [(2, "lot", "cell_size")]
    assert Lot.objects.count() == 0


def test_file_larger_than_the_import_limit_is_refused_before_reading(
    tmp_path: Path, settings: Any
) -> None:
    settings.MEDRECALL_IMPORT_MAX_FILE_BYTES = 1 << 20
    path = tmp_path / "lots.csv"
    path.write_bytes(b"gtin,lot\n" + b"06950000000019,L1\n" * 70_000)
    with pytest.raises(ImportRejected) as refused:
        TableReader(path, file_name="lots.csv", columns=Columns(required=("gtin", "lot")))
    assert refused.value.message == (
        "The file lots.csv is 1.2 MB; this import takes files of at most 1 MB. Split it "
        "into several files."
    )


def test_upload_larger_than_the_web_limit_is_refused_before_it_is_stored(
    settings: Any, manager: Any
) -> None:
    settings.MEDRECALL_MAX_UPLOAD_BYTES = 1024
    upload = SimpleUploadedFile("lots.csv", b"gtin,lot\n" + b"06950000000019,L1\n" * 100)
    with pytest.raises(ValidationFailed) as refused:
        import_run_start(
            kind="lots", upload=upload, file_name="lots.csv", policy="reject", actor=manager
        )
    assert (refused.value.code, refused.value.message) == (
        "file_too_large",
        "The file is larger than 0 MB; import it with the medrecall command.",
    )
    assert ImportRun.objects.count() == 0


# -- what the command and the worker make of a refusal -------------------------------------


def test_command_exits_1_with_the_row_message_and_no_traceback(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "p.csv", "party_code,party_name,party_type,latitude\nP1,Ruijin,hospital,NaN\n"
    )
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("import", "parties", str(path), stdout=out, stderr=err)
    assert exited.value.code == 1
    assert err.getvalue() == f"p.csv, row 2, column latitude: NaN {NUMBER}\n"
    assert Party.objects.count() == 0


def test_worker_records_an_entity_workbook_as_rejected_with_its_message(tmp_path: Path) -> None:
    sheet = (
        SHEET_START.replace(b"<worksheet", b'<!DOCTYPE worksheet [<!ENTITY a "b">]><worksheet')
        + HEADER_ROW
        + b"</sheetData></worksheet>"
    )
    run = ImportRun(kind="lots", file_name="lots.xlsx", policy="reject")
    run.source.save("lots.xlsx", ContentFile(_lots_xlsx(tmp_path, sheet).read_bytes()), save=False)
    run.save()
    finished = import_run_execute(run_id=run.pk)
    assert finished.status == ImportStatus.REJECTED
    assert finished.message == ENTITIES_REFUSED
    assert [e["code"] for e in finished.errors] == ["excel_entities"]
    assert Lot.objects.count() == 0


@pytest.mark.parametrize(
    ("kind", "text", "column", "limit"),
    [
        pytest.param(
            "parties",
            "party_code,party_name,party_type\nP1,{long},hospital\n",
            "party_name",
            255,
            id="party-name",
        ),
        pytest.param(
            "parties",
            "party_code,party_name,party_type\n{long},Ruijin,hospital\n",
            "party_code",
            64,
            id="party-code",
        ),
        pytest.param(
            "locations",
            "location_code,location_name,location_type,party_code,party_name,party_type,country,"
            "province,city\n{long},Store,warehouse,P1,Own,own_site,CN,上海,上海\n",
            "location_code",
            64,
            id="location-code",
        ),
        pytest.param(
            "contacts",
            "party_code,contact_name,email\nP1,Wang,{long}@example.com\n",
            "email",
            254,
            id="contact-email",
        ),
    ],
)
def test_text_longer_than_its_column_is_a_row_error(
    tmp_path: Path, kind: str, text: str, column: str, limit: int
) -> None:
    """PostgreSQL refuses the write (SQLite would store it whole): a row error on both."""
    importers: dict[str, type[PartyImporter | LocationImporter | ContactImporter]] = {
        "parties": PartyImporter,
        "locations": LocationImporter,
        "contacts": ContactImporter,
    }
    importer = importers[kind]
    path = _write(tmp_path, "f.csv", text.format(long="x" * 300))
    outcome = importer().run(path, file_name="f.csv")
    assert [(e.row, e.column, e.code, e.message) for e in outcome.errors] == [
        (2, column, "length", f"{column} is longer than {limit} characters.")
    ]
    assert (Party.objects.count(), Location.objects.count()) == (0, 0)


def test_calendar_csv_with_an_oversized_field_is_refused_with_its_line(manager: Any) -> None:
    content = (
        'calendar,date,kind,name\nCN,2031-10-01,holiday,国庆节\nCN,2031-10-02,holiday,"'
        + "x" * 200_000
        + '"\n'
    ).encode()
    with pytest.raises(ImportRejected) as refused:
        calendar_import(content=content, file_name="calendar.csv", actor=manager)
    assert [(e.row, e.code) for e in refused.value.errors] == [(3, "csv")]
    assert refused.value.message == (
        "The file calendar.csv is not valid CSV near line 3: field larger than field limit (131072)"
    )
    assert WorkingDayEntry.objects.count() == 0


def test_calendar_csv_neither_utf8_nor_gb18030_names_the_line(manager: Any) -> None:
    with pytest.raises(ImportRejected) as refused:
        calendar_import(
            content=b"calendar,date,kind,name\nCN,2031-10-01,holiday,\xff\xff\n",
            file_name="c.csv",
            actor=manager,
        )
    assert [(e.file, e.row, e.code, e.message) for e in refused.value.errors] == [
        ("c.csv", 2, "encoding", "The file is neither UTF-8 nor GB18030 text.")
    ]


def test_products_keep_good_with_every_row_bad_writes_nothing(tmp_path: Path) -> None:
    from medrecall.catalog.importers import ProductImporter
    from medrecall.catalog.models import DeviceModel

    path = _write(tmp_path, "p.csv", "gtin,model_code,name,tracking\n123,M1,Pump,lot\n")
    outcome = ProductImporter().run(path, file_name="p.csv", policy=Policy.KEEP_GOOD)
    assert (outcome.accepted, outcome.created, [(e.row, e.column) for e in outcome.errors]) == (
        True,
        0,
        [(2, "gtin")],
    )
    assert DeviceModel.objects.count() == 0
