"""openFDA imports: the real samples parsed into exact values, idempotency, repeated records,
and whole-file refusals that write nothing."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

from medrecall.audit.models import AuditEntry
from medrecall.core.errors import ImportRejected
from medrecall.intelligence.importers import FdaEnforcementImporter, FdaRecallImporter
from medrecall.intelligence.models import PublicRecall, Source
from medrecall.intelligence.parsing_process import ParsingProcessFailed
from tests.intelligence.samples import (
    ONE_2004,
    RECALL_CSV,
    WEEKLY_REPORT,
    DyingRecallImporter,
    ExplodingRecallImporter,
    download,
    enforcement_example,
    recall_example,
    varied,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["in-process", "child-process"])
def either_process(request, settings):
    """The test run twice: the file parsed in the importing process, and in a child process
    (``parsing_process``, the path of files of ``MEDRECALL_FDA_IMPORT_PROCESS_BYTES`` or more)."""
    settings.MEDRECALL_FDA_IMPORT_PROCESS_BYTES = 10**15 if request.param == "in-process" else 0
    return request.param


def _recalls(path: Path, **kwargs):
    return FdaRecallImporter().run(path, file_name=path.name, **kwargs)


def _enforcement(path: Path, **kwargs):
    return FdaEnforcementImporter().run(path, file_name=path.name, **kwargs)


def _nothing_written():
    assert PublicRecall.objects.count() == 0
    assert not AuditEntry.objects.filter(action__startswith="intelligence.").exists()


@pytest.mark.usefixtures("either_process")
def test_the_real_csv_extract_imports_with_exact_values():
    outcome = _recalls(RECALL_CSV)

    assert (outcome.accepted, outcome.rows, outcome.created, outcome.errors) == (True, 100, 100, [])
    penumbra = PublicRecall.objects.get(source=Source.RECALL, key="85486")
    assert (
        penumbra.firm,
        penumbra.product_code,
        penumbra.root_cause,
        penumbra.quantity,
        penumbra.quantity_unit,
        penumbra.quantity_text,
        penumbra.device_class,
        penumbra.status,
        penumbra.city,
        penumbra.postal_code,
    ) == (
        "Penumbra Inc.",
        "DQY",
        "Device Design",
        2246,
        "units",
        "2246 units",
        2,
        "Terminated",
        "Alameda",
        "94502-6541",
    )
    biosense = PublicRecall.objects.get(key="140078")
    assert (biosense.quantity, biosense.quantity_unit, biosense.firm_key) == (
        1035,
        "",
        "biosense webster",
    )
    philips = PublicRecall.objects.get(key="158770")
    assert (philips.quantity, philips.quantity_text) == (606, "US-  606")
    hospira = PublicRecall.objects.get(key="84763")
    assert (hospira.quantity, hospira.root_cause) == (204999, "Component design/selection")


def test_importing_the_same_file_again_changes_nothing():
    _recalls(RECALL_CSV)
    first = dict(PublicRecall.objects.values_list("key", "updated_at"))

    again = _recalls(RECALL_CSV)

    assert (again.accepted, again.created, again.updated, again.unchanged) == (True, 0, 0, 100)
    assert PublicRecall.objects.count() == 100
    assert dict(PublicRecall.objects.values_list("key", "updated_at")) == first
    assert AuditEntry.objects.filter(action="intelligence.fda_recalls_imported").count() == 2


@pytest.mark.usefixtures("either_process")
def test_the_openfda_download_shape_is_parsed_into_structured_fields(tmp_path):
    path = download(tmp_path / "device-recall-0001-of-0001.json", [recall_example()])

    outcome = _recalls(path)

    assert (outcome.accepted, outcome.created, outcome.code_info_unread) == (True, 1, 0)
    record = PublicRecall.objects.get()
    assert (record.source, record.key, record.recall_number, record.event_number) == (
        "recall",
        "177049",
        "Z-0053-2020",
        "82984",
    )
    assert (record.initiated_on, record.classified_on, record.terminated_on, record.days_open) == (
        date(2019, 5, 17),
        date(2019, 10, 7),
        date(2020, 9, 24),
        496,
    )
    assert (record.quantity, record.quantity_text) == (3143, "3,143")
    assert record.codes == {
        "lots": [
            "13F18C0374",
            "13F18H0580",
            "13F18D0504",
            "13F18L0507",
            "13F18E0380",
            "13F18L0714",
            "13F18G0180",
            "13F18L0936",
            "13F18G0480",
        ]
    }
    assert record.code_info.startswith("Lot/Batch Numbers: 13F18C0374")
    assert (record.nationwide, record.worldwide, record.states, record.countries) == (
        True,
        False,
        [],
        ["US"],
    )
    assert record.distribution_text == "US Nationwide Distribution"
    assert (record.device_class, record.device_name, record.k_numbers) == (
        2,
        "Catheter, Intravascular, Therapeutic, Short-Term Less Than 30 Days",
        ["K900263"],
    )
    assert (record.product_code, record.root_cause, record.firm) == (
        "FOZ",
        "Employee error",
        "Arrow International Inc",
    )


def test_meta_after_the_results_and_a_bare_list_are_read_too(tmp_path):
    path = download(tmp_path / "late-meta.json", [recall_example()], meta_last=True)
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([varied(recall_example(), "cfres_id", "2")]))

    assert _recalls(path).created == 1
    assert _recalls(listed).created == 1
    assert sorted(PublicRecall.objects.values_list("key", flat=True)) == ["177049", "2"]


@pytest.mark.usefixtures("either_process")
def test_a_zipped_download_is_read(tmp_path):
    inner = download(tmp_path / "device-recall-0001-of-0001.json", [recall_example()])
    packed = tmp_path / "device-recall-0001-of-0001.json.zip"
    with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(inner, inner.name)

    assert _recalls(packed).created == 1


def test_the_enforcement_example_with_yyyymmdd_dates(tmp_path):
    path = download(tmp_path / "device-enforcement.json", [enforcement_example()])

    outcome = _enforcement(path)

    assert (outcome.accepted, outcome.created) == (True, 1)
    record = PublicRecall.objects.get()
    assert (record.source, record.key, record.recall_class, record.status) == (
        "enforcement",
        "Z-2201-2012",
        2,
        "Ongoing",
    )
    assert (record.initiated_on, record.posted_on) == (date(2012, 7, 16), date(2012, 8, 15))
    assert (record.quantity, record.quantity_unit) == (18, "devices")
    assert record.codes == {"lots": ["007A1037"], "models": ["010-55-25"]}
    assert (record.nationwide, record.states, record.countries) == (
        True,
        ["AR", "CA", "FL", "ID", "OK", "PA", "TX", "UT"],
        ["US"],
    )
    assert record.event_number == "62561"


@pytest.mark.usefixtures("either_process")
def test_the_weekly_report_keeps_devices_and_counts_unread_code_info():
    outcome = _enforcement(WEEKLY_REPORT)

    assert (outcome.accepted, outcome.rows, outcome.created) == (True, 72, 9)
    assert (outcome.not_devices, outcome.code_info_unread) == (63, 3)
    assert outcome.as_dict()["code_info_unread"] == 3
    assert "3 records' code information could not be read (kept as text)." in outcome.notes
    sterrad = PublicRecall.objects.get(key="Z-1773-2012")
    assert sterrad.codes == {"lots": ["214117", "216117", "217117", "227117", "227118", "228117"]}
    assert (sterrad.quantity, sterrad.quantity_unit, sterrad.posted_on) == (
        2284,
        "cases",
        date(2012, 6, 13),
    )
    unread = PublicRecall.objects.filter(code_info_parsed=False).order_by("key")
    assert [(r.key, r.codes, r.code_info[:6]) for r in unread] == [
        ("V-077-2012", {}, "Units:"),
        ("Z-1707-2012", {}, "513602"),
        ("Z-1793-2012", {}, "NR068K"),
    ]
    audit = AuditEntry.objects.get(action="intelligence.fda_enforcement_imported")
    assert audit.changes["code_info_unread"] == 3


def test_the_2004_recall_file_imports():
    outcome = _enforcement(ONE_2004)

    assert (outcome.accepted, outcome.created) == (True, 1)
    record = PublicRecall.objects.get()
    assert (record.key, record.codes, record.quantity) == ("Z-1004-04", {"lots": ["20118000"]}, 33)
    assert (record.nationwide, record.worldwide) == (True, True)


@pytest.mark.usefixtures("either_process")
def test_a_file_that_repeats_records_ends_with_each_once(tmp_path):
    record = recall_example()
    path = download(
        tmp_path / "repeated.json", [record, varied(record, "cfres_id", "9"), record, record]
    )

    outcome = _recalls(path)

    assert (outcome.accepted, outcome.rows, outcome.created, outcome.repeated) == (True, 4, 2, 2)
    assert PublicRecall.objects.count() == 2


@pytest.mark.usefixtures("either_process")
def test_reimporting_a_changed_record_updates_it(tmp_path):
    _recalls(download(tmp_path / "first.json", [recall_example()]))
    changed = varied(
        recall_example(), "recall_status", "Open, Classified", event_date_terminated=""
    )

    outcome = _recalls(download(tmp_path / "second.json", [changed]))

    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 1, 0)
    record = PublicRecall.objects.get()
    assert (record.status, record.terminated_on, record.days_open) == (
        "Open, Classified",
        None,
        None,
    )


@pytest.mark.usefixtures("either_process")
def test_a_bad_date_refuses_the_file_naming_record_and_field(tmp_path):
    records = [
        recall_example(),
        varied(recall_example(), "cfres_id", "2", event_date_initiated="20190231"),
    ]
    path = download(tmp_path / "bad-date.json", records)

    outcome = _recalls(path)

    assert outcome.accepted is False
    assert [(e.row, e.column, e.code, e.message) for e in outcome.errors] == [
        (2, "event_date_initiated", "date", "20190231 is not a date (openFDA writes YYYYMMDD).")
    ]
    _nothing_written()


@pytest.mark.usefixtures("either_process")
def test_a_bad_record_after_a_written_batch_still_writes_nothing(tmp_path):
    base = recall_example()
    records = [varied(base, "cfres_id", str(n)) for n in range(1, 2101)]
    records.append(varied(base, "cfres_id", "x", event_date_terminated="2020-99-01"))
    path = download(tmp_path / "late-error.json", records)

    outcome = _recalls(path)

    assert (outcome.accepted, outcome.rows, [e.row for e in outcome.errors]) == (
        False,
        2101,
        [2101],
    )
    _nothing_written()


@pytest.mark.usefixtures("either_process")
def test_a_duplicate_with_conflicting_content_refuses_the_file(tmp_path):
    record = recall_example()
    path = download(tmp_path / "conflict.json", [record, varied(record, "product_quantity", "12")])

    outcome = _recalls(path)

    assert outcome.accepted is False
    assert [(e.row, e.column, e.code, e.message) for e in outcome.errors] == [
        (
            2,
            "cfres_id",
            "duplicate",
            "cfres_id 177049 is in the file twice with different content (first at row 1).",
        )
    ]
    _nothing_written()


def test_a_record_without_its_key_is_refused(tmp_path):
    record = recall_example()
    del record["cfres_id"]

    outcome = _recalls(download(tmp_path / "no-key.json", [record]))

    assert [(e.row, e.column, e.code) for e in outcome.errors] == [(1, "cfres_id", "required")]
    _nothing_written()


@pytest.mark.usefixtures("either_process")
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"meta": {}, "results": [1, 2]}', None),
        ("<html>not json</html>", "is not an openFDA JSON file"),
        ('{"meta": {}, "results": [{"cfres_id": "1"}, {"cfres_id": ', "line 1: not valid JSON"),
        (
            '{"meta": {}, "results": [{"cfres_id": "1"} {"cfres_id": "2"}]}',
            "a comma or ] was expected",
        ),
        ('{"meta": {}, "results": []}', "holds no records"),
    ],
    ids=["records-not-objects", "not-json", "cut-short", "missing-comma", "empty"],
)
def test_a_file_of_the_wrong_shape_is_refused_whole(tmp_path, content, message):
    path = tmp_path / "wrong.json"
    path.write_text(content)

    if message is None:
        outcome = _recalls(path)
        assert outcome.accepted is False
        assert [(e.row, e.code) for e in outcome.errors] == [(1, "shape"), (2, "shape")]
    else:
        with pytest.raises(ImportRejected) as refused:
            _recalls(path)
        assert message in refused.value.message
    _nothing_written()


def test_a_csv_with_a_bad_date_names_the_row_and_column(tmp_path):
    path = tmp_path / "recalls.csv"
    path.write_text("cfres_id,recalling_firm,event_date_initiated\n1,A,20200101\n2,B,2020-02-30\n")

    outcome = _recalls(path)

    assert [(e.row, e.column, e.code) for e in outcome.errors] == [
        (3, "event_date_initiated", "date")
    ]
    _nothing_written()


@pytest.mark.usefixtures("either_process")
def test_a_csv_with_an_unknown_column_is_refused_before_reading(tmp_path):
    path = tmp_path / "recalls.csv"
    path.write_text("cfres_id,colour\n1,red\n")

    with pytest.raises(ImportRejected) as refused:
        _recalls(path)

    assert refused.value.errors[0].column == "colour"
    _nothing_written()


def test_the_import_command_prints_the_summary_with_unread_code_info(capsys):
    out, err = io.StringIO(), io.StringIO()

    call_command("import", "fda-enforcement", str(WEEKLY_REPORT), stdout=out, stderr=err)

    lines = out.getvalue().splitlines()
    assert lines[0] == (
        "fda_enforcement_report_2012-06-13_ucm308307.jsonl: accepted. rows=72 created=9 "
        "updated=0 unchanged=0 rejected=0"
    )
    assert lines[1] == (
        "3 records' code information could not be read (kept as text). "
        "63 records are not devices and were left out."
    )
    assert "import fda-enforcement fda_enforcement_report_2012-06-13_ucm308307.jsonl: 100%" in (
        capsys.readouterr().err
    )


def test_the_import_command_json_and_refusal_exit_status(tmp_path):
    bad = download(tmp_path / "bad.json", [varied(recall_example(), "event_date_posted", "2020")])
    out = io.StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("import", "fda-recalls", str(bad), "--json", stdout=out, stderr=io.StringIO())

    assert exited.value.code == 1
    body = json.loads(out.getvalue())
    assert (body["accepted"], body["errors"][0]["column"], body["errors"][0]["row"]) == (
        False,
        "event_date_posted",
        1,
    )
    _nothing_written()


def test_an_importer_that_maps_no_fields_cannot_be_made() -> None:
    from medrecall.intelligence.importers import FdaImporter

    class Unmapped(FdaImporter):
        kind = "unmapped"

    with pytest.raises(TypeError, match=r"abstract method.*fields_of"):
        Unmapped()  # type: ignore[abstract]


def test_new_records_are_inserted_500_to_a_statement(tmp_path: Path) -> None:
    """One row an INSERT made SQLite's full-text trigger flush an index segment per record;
    a file's new records go in statements of 500 rows (plus the remainder)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    records = [varied(recall_example(), "cfres_id", str(300000 + n)) for n in range(1200)]
    path = download(tmp_path / "many.json", records)

    table = connection.ops.quote_name(PublicRecall._meta.db_table)
    if connection.vendor == "sqlite":  # written on the driver's cursor: SQLite's own trace,
        statements: list[str] = []  # which repeats a statement for each row its trigger fires
        connection.ensure_connection()
        connection.connection.set_trace_callback(statements.append)
        try:
            outcome = _recalls(path)
        finally:
            connection.connection.set_trace_callback(None)
    else:
        with CaptureQueriesContext(connection) as queries:
            outcome = _recalls(path)
        statements = [q["sql"] for q in queries]

    inserts = [sql for sql in statements if sql.startswith(f"INSERT INTO {table}")]
    inserts = [sql for n, sql in enumerate(inserts) if n == 0 or sql != inserts[n - 1]]
    assert [sql.count("), (") + 1 for sql in inserts] == [500, 500, 200]
    assert outcome.created == 1200
    assert PublicRecall.objects.count() == 1200


def _zipped(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


RECORD_JSON = json.dumps({"results": [{"cfres_id": "1", "recalling_firm": "Firm"}]}).encode()


@pytest.mark.parametrize(
    "members",
    [
        pytest.param({"recalls.csv": b"cfres_id\n1\n"}, id="no-json"),
        pytest.param({"a.json": RECORD_JSON, "b.json": RECORD_JSON}, id="two-json"),
        pytest.param({}, id="empty-zip"),
    ],
)
def test_a_zip_without_exactly_one_json_file_is_refused(tmp_path, members):
    path = _zipped(tmp_path / "download.zip", members)

    with pytest.raises(ImportRejected) as refused:
        _recalls(path)

    assert refused.value.message == "The zip file download.zip must hold exactly one JSON file."
    assert [(e.row, e.code) for e in refused.value.errors] == [(1, "json")]
    _nothing_written()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    """20 MB of spaces pack into about 20 kB: no JSON packs a thousand times."""
    body = b'{"results": [' + b" " * (20 << 20) + b"]}"
    path = _zipped(tmp_path / "bomb.zip", {"bomb.json": body})
    packed = zipfile.ZipFile(path).getinfo("bomb.json").compress_size

    with pytest.raises(ImportRejected) as refused:
        _recalls(path)

    assert refused.value.message == (
        f"The zip file bomb.zip is refused: bomb.json would unpack to 20.0 MB from "
        f"{round(packed / 1024**2, 1)} MB (this import takes at most 4096 MB, packed at most "
        "200 times)."
    )
    _nothing_written()


@pytest.mark.usefixtures("either_process")
def test_a_zipped_json_larger_than_the_import_takes_is_refused(tmp_path, settings):
    settings.MEDRECALL_IMPORT_MAX_FILE_BYTES = 1024**2
    body = json.dumps({"results": [{"cfres_id": str(n)} for n in range(60000)]}).encode()
    path = _zipped(tmp_path / "big.zip", {"big.json": body})

    with pytest.raises(ImportRejected) as refused:
        _recalls(path)

    assert refused.value.message.startswith(
        "The zip file big.zip is refused: big.json would unpack to 1.3 MB"
    )
    _nothing_written()


def test_a_damaged_zip_is_refused_with_a_message(tmp_path):
    path = _zipped(tmp_path / "damaged.zip", {"d.json": RECORD_JSON * 50})
    raw = bytearray(path.read_bytes())
    start = 30 + len("d.json")  # the first member's data, after its local header
    raw[start + 10 : start + 20] = b"\x00" * 10
    path.write_bytes(bytes(raw))

    with pytest.raises(ImportRejected) as refused:
        _recalls(path)

    assert refused.value.message.startswith("The zip file damaged.zip cannot be read (")
    _nothing_written()


def _large_download(path: Path, count: int) -> Path:
    """A download of ``count`` records of about 2 kB each, written record by record."""
    record = recall_example()
    record["product_description"] = "Catheter " * 200
    with path.open("w", encoding="utf-8") as out:
        out.write('{"meta": {"disclaimer": "openFDA"}, "results": [\n')
        for n in range(count):
            out.write(("," if n else "") + json.dumps({**record, "cfres_id": str(n)}) + "\n")
        out.write("]}\n")
    return path


def _reading_peak(path: Path) -> tuple[int, int]:
    """Records read and the reader's peak of allocated memory (tracemalloc)."""
    import tracemalloc

    from medrecall.intelligence.reading import JsonRecords

    tracemalloc.start()
    try:
        count = sum(1 for _ in JsonRecords(path, file_name=path.name).records())
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_large_download_is_read_in_flat_memory(tmp_path):
    """Four times the file, the same memory: one chunk and one record, never the file."""
    small = _large_download(tmp_path / "small.json", 3000)
    large = _large_download(tmp_path / "large.json", 12000)

    small_count, small_peak = _reading_peak(small)
    large_count, large_peak = _reading_peak(large)

    assert (small_count, large_count) == (3000, 12000)
    assert large.stat().st_size > 4 * small.stat().st_size * 0.99
    assert large_peak < small_peak * 1.25
    assert large_peak < large.stat().st_size / 4


@pytest.mark.usefixtures("either_process")
def test_the_import_reports_its_progress_as_it_reads(tmp_path):
    path = _large_download(tmp_path / "progress.json", 4500)
    reported: list[tuple[int, int]] = []

    outcome = _recalls(path, progress=lambda done, total: reported.append((done, total)))

    assert outcome.created == 4500
    assert len(reported) == 3
    assert [total for _done, total in reported] == [100, 100, 100]
    done = [d for d, _total in reported]
    assert done == sorted(done)
    assert 0 < done[0] < done[1] < 95
    assert done[-1] == 100


DATA = Path(__file__).parent / "data"


LABELS = {
    "fda-recalls": "FDA device recalls (openFDA JSON or CSV)",
    "fda-enforcement": "FDA enforcement reports (openFDA JSON or CSV)",
}


def _example_message(file_name: str, endpoint: str, kind: str) -> str:
    return (
        f"{file_name} is openFDA's documentation example of a {endpoint} record, not a download "
        f"of records: import a {endpoint} download (open.fda.gov/data/downloads) as "
        f"“{LABELS[kind]}” (on the Imports page; with the command, medrecall import {kind} FILE)."
    )


@pytest.mark.parametrize(
    ("importer", "file_name", "column", "code", "message"),
    [
        pytest.param(
            FdaRecallImporter,
            "openfda_device_enforcement_example.json",
            "",
            "example",
            _example_message(
                "openfda_device_enforcement_example.json", "device/enforcement", "fda-enforcement"
            ),
            id="enforcement-example-to-recalls",
        ),
        pytest.param(
            FdaEnforcementImporter,
            "openfda_device_recall_example.json",
            "",
            "example",
            _example_message("openfda_device_recall_example.json", "device/recall", "fda-recalls"),
            id="recall-example-to-enforcement",
        ),
        pytest.param(
            FdaRecallImporter,
            "openfda_device_recall_example.json",
            "",
            "example",
            _example_message("openfda_device_recall_example.json", "device/recall", "fda-recalls"),
            id="recall-example-to-recalls",
        ),
        pytest.param(
            FdaEnforcementImporter,
            "openfda_device_recall_class2_demo100.csv",
            "recall_number",
            "wrong_import",
            "openfda_device_recall_class2_demo100.csv holds openFDA device/recall records "
            "(cfres_id), not what this import reads: import it as “FDA device recalls (openFDA "
            "JSON or CSV)” (on the Imports page; with the command, medrecall import fda-recalls "
            "FILE).",
            id="recall-csv-to-enforcement",
        ),
    ],
)
def test_an_example_file_given_to_an_import_names_the_import_it_is_for(
    importer, file_name, column, code, message
):
    path = DATA / file_name

    with pytest.raises(ImportRejected) as refused:
        importer().run(path, file_name=file_name)

    assert refused.value.message == message
    assert [(e.row, e.column, e.code) for e in refused.value.errors] == [(1, column, code)]
    _nothing_written()


@pytest.mark.usefixtures("either_process")
def test_an_enforcement_download_given_to_the_recall_import_names_the_import(tmp_path):
    path = download(tmp_path / "device-enforcement.json", [enforcement_example()])

    with pytest.raises(ImportRejected) as refused:
        _recalls(path)

    assert refused.value.message == (
        "device-enforcement.json holds openFDA device/enforcement records (recall_number), not "
        "what this import reads: import it as “FDA enforcement reports (openFDA JSON or CSV)” (on "
        "the Imports page; with the command, medrecall import fda-enforcement FILE)."
    )
    _nothing_written()


@pytest.mark.usefixtures("either_process")
def test_errors_are_listed_by_row_then_field(tmp_path):
    records = [
        recall_example(),
        varied(
            recall_example(),
            "cfres_id",
            "2",
            event_date_posted="2019-13-01",
            event_date_created="20190231",
        ),
        varied(recall_example(), "cfres_id", "3", event_date_terminated="x"),
    ]
    path = download(tmp_path / "two-bad.json", records)

    outcome = _recalls(path)

    assert [(e.row, e.column) for e in outcome.errors] == [
        (2, "event_date_created"),
        (2, "event_date_posted"),
        (3, "event_date_terminated"),
    ]
    _nothing_written()


def _imported() -> list[tuple]:
    fields = [
        f.name
        for f in PublicRecall._meta.get_fields()
        if f.concrete and f.name not in ("id", "created_at", "updated_at")
    ]
    return list(PublicRecall.objects.order_by("source", "key").values_list(*fields))


def test_the_child_process_imports_exactly_what_the_importing_process_does(tmp_path, settings):
    base = recall_example()
    records = [varied(base, "cfres_id", str(n), product_quantity=f"{n} units") for n in range(2500)]
    path = download(tmp_path / "device-recall.json", [*records, records[7]])
    runs = []
    for threshold in (10**15, 0):
        settings.MEDRECALL_FDA_IMPORT_PROCESS_BYTES = threshold
        reported: list[tuple[int, int]] = []
        outcomes = [
            _recalls(path, progress=lambda done, total, seen=reported: seen.append((done, total))),
            _enforcement(WEEKLY_REPORT),
            _recalls(RECALL_CSV),
        ]
        audit = list(
            AuditEntry.objects.filter(action__startswith="intelligence.")
            .order_by("-id")
            .values_list("action", "changes")[:3]
        )
        runs.append(([o.as_dict() for o in outcomes], reported, _imported(), audit[::-1]))
        PublicRecall.objects.all().delete()

    assert runs[0][1]
    assert runs[0][2]
    assert runs[1] == runs[0]


def test_a_refused_file_lists_the_same_errors_in_the_child_process(tmp_path, settings):
    base = recall_example()
    records = [varied(base, "cfres_id", str(n)) for n in range(1, 2201)]
    records[2100] = varied(base, "cfres_id", "2101", event_date_terminated="2020-99-01")
    records.append(varied(base, "cfres_id", "5", product_quantity="12"))
    records.append(varied(base, "cfres_id", "", event_date_posted="x"))
    path = download(tmp_path / "bad.json", records)
    errors = []
    for threshold in (10**15, 0):
        settings.MEDRECALL_FDA_IMPORT_PROCESS_BYTES = threshold
        outcome = _recalls(path)
        assert (outcome.accepted, outcome.rows) == (False, 2202)
        errors.append(outcome.errors)

    assert len(errors[0]) == 4
    assert errors[1] == errors[0]
    _nothing_written()


def test_a_child_process_that_raises_is_a_clear_error_and_writes_nothing(tmp_path, settings):
    settings.MEDRECALL_FDA_IMPORT_PROCESS_BYTES = 0
    base = recall_example()
    path = download(
        tmp_path / "bug.json", [varied(base, "cfres_id", str(n)) for n in range(1, 4001)]
    )

    with pytest.raises(ParsingProcessFailed) as failed:
        ExplodingRecallImporter().run(path, file_name=path.name)

    assert str(failed.value) == (
        "Reading bug.json in a separate process failed: ValueError: a parser's bug"
    )
    _nothing_written()


def test_a_child_process_that_dies_is_a_clear_error_not_a_wait(tmp_path, settings):
    settings.MEDRECALL_FDA_IMPORT_PROCESS_BYTES = 0
    path = download(tmp_path / "dies.json", [recall_example()])

    with pytest.raises(ParsingProcessFailed) as failed:
        DyingRecallImporter().run(path, file_name=path.name)

    assert str(failed.value) == (
        "Reading dies.json in a separate process failed: the process ended (exit code 3) "
        "before it finished."
    )
    _nothing_written()
