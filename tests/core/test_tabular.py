"""Reading CSV/Excel: encodings, delimiters, header contract, empty files."""

from pathlib import Path

import pytest
from openpyxl import Workbook

from medrecall.core.errors import ImportRejected
from medrecall.core.tabular import Columns, TableReader

COLUMNS = Columns(required=("gtin", "name"), optional=("unit",))


def read(path: Path, name: str | None = None) -> list[tuple[int, dict[str, str]]]:
    reader = TableReader(path, file_name=name or path.name, columns=COLUMNS)
    return [(r.number, r.values) for r in reader.rows()]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        pytest.param("utf-8", b"", id="utf8"),
        pytest.param("utf-8", b"\xef\xbb\xbf", id="utf8-bom"),
        pytest.param("gb18030", b"", id="gb18030"),
    ],
)
def test_csv_encodings(tmp_path: Path, encoding: str, bom: bytes) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(bom + "gtin,name\n12345678901231,输液泵\n".encode(encoding))
    assert read(path) == [(2, {"gtin": "12345678901231", "name": "输液泵"})]


def test_semicolon_and_header_case(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("GTIN; Name ;unit\n1;a;EA\n\n2;b;\n", encoding="utf-8")
    assert read(path) == [
        (2, {"gtin": "1", "name": "a", "unit": "EA"}),
        (4, {"gtin": "2", "name": "b", "unit": ""}),
    ]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_quotes_inside_quoted_cells_as_excel_writes_them(tmp_path: Path, delimiter: str) -> None:
    """A quote inside a quoted cell is written twice; a delimiter or a line break inside one stays."""
    path = tmp_path / "p.csv"
    path.write_text(
        delimiter.join(["gtin", "name", "unit"])
        + "\n"
        + delimiter.join(["1", '"Pump ""Alpha"", 2nd\ngeneration"', "EA"])
        + "\n",
        encoding="utf-8",
    )
    assert [values for _line, values in read(path)] == [
        {"gtin": "1", "name": 'Pump "Alpha", 2nd\ngeneration', "unit": "EA"}
    ]
    assert TableReader(path, file_name="p.csv", columns=COLUMNS).csv_layout() is not None


def test_unknown_and_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("gtin,colour\n1,red\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as rejected:
        read(path)
    problems = {(e.column, e.code) for e in rejected.value.errors}
    assert problems == {("colour", "unknown_column"), ("name", "missing_column")}
    assert all(e.row == 1 and e.file == "p.csv" for e in rejected.value.errors)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(ImportRejected, match="empty"):
        read(path)


def test_binary_garbage_is_rejected_with_encoding_message(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"gtin,name\n" + bytes(range(128, 256)) * 2000)
    with pytest.raises(ImportRejected) as rejected:
        read(path)
    assert (
        rejected.value.errors[0].code in {"encoding", "row_width", "csv"}
        or "UTF-8" in rejected.value.message
    )


def test_excel_numbers_and_dates_read_as_typed(tmp_path: Path) -> None:
    from datetime import datetime

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["gtin", "name", "unit"])
    sheet.append([12345678901231, "导管", datetime(2025, 3, 1)])  # noqa: DTZ001 - Excel cells have no time zone
    sheet.append([None, None, None])
    path = tmp_path / "p.xlsx"
    workbook.save(path)
    assert read(path) == [(2, {"gtin": "12345678901231", "name": "导管", "unit": "2025-03-01"})]


def test_not_an_excel_file(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("gtin,name\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match="Excel"):
        read(path)
