"""AccessGUDID XML import against 100 real devices of the 2016 release (tests/fixtures/gudid)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from medrecall.audit.models import AuditEntry
from medrecall.catalog.gudid import GudidImporter
from medrecall.catalog.models import DeviceModel
from medrecall.core.errors import ImportRejected
from medrecall.core.importing import ImportOutcome, Policy
from medrecall.core.models import ImportRun, ImportStatus
from medrecall.core.registry import importer_for
from medrecall.core.services import import_run_execute

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "gudid" / "gudid_2016_demo100.xml"


@pytest.fixture
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(path: Path, policy: Policy = Policy.REJECT) -> ImportOutcome:
    return GudidImporter().run(path, file_name=path.name, policy=policy)


def test_the_sample_creates_one_device_model_per_device() -> None:
    outcome = GudidImporter().run(SAMPLE, file_name=SAMPLE.name)
    assert (outcome.accepted, outcome.rows, outcome.created, outcome.updated, outcome.errors) == (
        True,
        100,
        100,
        0,
        [],
    )
    assert DeviceModel.objects.count() == 100
    assert DeviceModel.objects.filter(tracking="serial").count() == 13
    assert DeviceModel.objects.filter(issuing_agency="GS1").count() == 100
    assert (
        AuditEntry.objects.filter(
            action="catalog.device_models_imported", target_label="gudid"
        ).count()
        == 1
    )


def test_lot_tracked_hip_insert_is_mapped_field_by_field() -> None:
    GudidImporter().run(SAMPLE, file_name=SAMPLE.name)
    insert = DeviceModel.objects.get(udi_di="00844588018886")
    assert (insert.issuing_agency, insert.model_code, insert.catalog_number) == (
        "GS1",
        "1107-0-2868",
        "1107-0-2868",
    )
    assert (insert.name, insert.name_en, insert.brand) == ("CS2 Acet. Cup Sys. - VitalitE",) * 3
    assert (insert.manufacturer, insert.description) == (
        "CONSENSUS ORTHOPEDICS, INC.",
        "Acet. Insert, VitalitE",
    )
    assert (insert.tracking, insert.clearance_no, insert.risk_class_fda, insert.implantable) == (
        "lot",
        "",
        "",
        False,
    )


def test_serial_tracked_intraocular_lens_is_mapped_field_by_field() -> None:
    GudidImporter().run(SAMPLE, file_name=SAMPLE.name)
    lens = DeviceModel.objects.get(udi_di="00844369037501")
    assert (lens.model_code, lens.catalog_number, lens.brand, lens.name) == (
        "SOFTECHDO+23.75",
        "SOFTEC HDO",
        "SOFTEC HDO",
        "SOFTEC HDO",
    )
    assert (lens.manufacturer, lens.tracking) == ("Lenstec Barbados Inc", "serial")
    assert lens.description == "IOL - HEMA - 1pc 6.5x5.75/12.5mm (Oval Aspheric Clear)"


def test_device_without_catalogue_number_keeps_it_blank() -> None:
    GudidImporter().run(SAMPLE, file_name=SAMPLE.name)
    piston = DeviceModel.objects.get(udi_di="00844505009546")
    assert (piston.model_code, piston.catalog_number, piston.manufacturer) == (
        "463-525",
        "",
        "Grace Medical, Inc.",
    )


def test_reimporting_the_sample_creates_nothing() -> None:
    GudidImporter().run(SAMPLE, file_name=SAMPLE.name)
    entries = AuditEntry.objects.count()
    again = GudidImporter().run(SAMPLE, file_name=SAMPLE.name)
    assert (again.accepted, again.created, again.updated, again.unchanged) == (True, 0, 0, 100)
    assert DeviceModel.objects.count() == 100
    assert AuditEntry.objects.count() == entries


def test_a_changed_brand_name_updates_only_that_model(tmp_path: Path, sample_text: str) -> None:
    GudidImporter().run(SAMPLE, file_name=SAMPLE.name)
    renamed = sample_text.replace(
        "<brandName>TaperSet™ Reduced Distal Profile</brandName>",
        "<brandName>TaperSet™ RDP</brandName>",
    )
    outcome = run(write(tmp_path, "renamed.xml", renamed))
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 1, 99)
    assert DeviceModel.objects.get(udi_di="00844588018367").brand == "TaperSet™ RDP"


def test_gudid_import_keeps_fields_gudid_does_not_carry(tmp_path: Path) -> None:
    GudidImporter().run(SAMPLE, file_name=SAMPLE.name)
    DeviceModel.objects.filter(udi_di="00844588018886").update(implantable=True, risk_class_fda="2")
    GudidImporter().run(SAMPLE, file_name=SAMPLE.name)
    insert = DeviceModel.objects.get(udi_di="00844588018886")
    assert (insert.implantable, insert.risk_class_fda) == (True, "2")


@pytest.fixture
def bad_check_digit(tmp_path: Path, sample_text: str) -> Path:
    """Device 3 (00844588018367, check digit 7) written with check digit 8."""
    assert (
        sample_text.count("00844588018367") == 3
    )  # the deviceid attribute and two deviceId elements
    return write(tmp_path, "bad-digit.xml", sample_text.replace("00844588018367", "00844588018368"))


def test_a_bad_check_digit_rejects_the_whole_file(bad_check_digit: Path) -> None:
    outcome = run(bad_check_digit)
    assert (outcome.accepted, outcome.rows, outcome.created) == (False, 100, 0)
    assert [(e.file, e.row, e.column, e.code) for e in outcome.errors] == [
        ("bad-digit.xml", 3, "primaryDI", "gtin")
    ]
    assert "check digit 8; it should be 7" in outcome.errors[0].message
    assert DeviceModel.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_keep_good_keeps_99_devices_and_returns_the_bad_one(bad_check_digit: Path) -> None:
    outcome = run(bad_check_digit, Policy.KEEP_GOOD)
    assert (outcome.accepted, outcome.rows, outcome.created) == (True, 100, 99)
    assert outcome.as_dict()["rejected"] == 1
    assert DeviceModel.objects.count() == 99
    assert not DeviceModel.objects.filter(brand="TaperSet™ Reduced Distal Profile").exists()
    rejected = list(csv.DictReader(io.StringIO(outcome.rejected_csv(GudidImporter.columns.all))))
    assert [
        (r["udi_di"], r["model_code"], r["error_row"], r["error_column"]) for r in rejected
    ] == [("00844588018368", "1212-0-0105", "3", "primaryDI")]


def test_malformed_xml_is_refused_with_its_line_number(tmp_path: Path, sample_text: str) -> None:
    broken = sample_text.replace(
        "<brandName>CS2 Acet. Cup Sys. - VitalitE</brandName>",
        "<brandName>CS2 Acet. Cup Sys. - VitalitE</brand>",
        1,
    )
    line = next(n for n, text in enumerate(broken.splitlines(), start=1) if "</brand>" in text)
    assert line == 19
    with pytest.raises(ImportRejected) as rejected:
        run(write(tmp_path, "broken.xml", broken))
    assert [(e.row, e.code) for e in rejected.value.errors] == [(19, "xml")]
    assert "mismatched tag at line 19" in rejected.value.message
    assert DeviceModel.objects.count() == 0


def test_a_file_cut_short_is_refused_whole_even_when_keeping_good_rows(
    tmp_path: Path, sample_text: str
) -> None:
    with pytest.raises(ImportRejected) as rejected:
        run(write(tmp_path, "cut.xml", sample_text[: len(sample_text) // 2]), Policy.KEEP_GOOD)
    assert rejected.value.errors[0].code == "xml"
    assert DeviceModel.objects.count() == 0


def test_empty_file_and_file_without_devices_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportRejected) as empty:
        run(write(tmp_path, "empty.xml", ""))
    with pytest.raises(ImportRejected) as no_devices:
        run(write(tmp_path, "none.xml", '<?xml version="1.0"?>\n<data></data>\n'))
    assert [e.code for e in empty.value.errors + no_devices.value.errors] == ["empty", "empty"]


def test_a_doctype_is_refused_before_any_entity_is_expanded(tmp_path: Path) -> None:
    laughs = (
        '<?xml version="1.0"?>\n<!DOCTYPE data [\n <!ENTITY lol "lol">\n'
        ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
        "<data><device><brandName>&lol2;</brandName></device></data>\n"
    )
    with pytest.raises(ImportRejected) as rejected:
        run(write(tmp_path, "laughs.xml", laughs))
    assert [(e.row, e.code) for e in rejected.value.errors] == [(2, "doctype")]


def test_model_code_falls_back_to_catalogue_number_then_to_the_di(
    tmp_path: Path, sample_text: str
) -> None:
    # Device 2 has no version/model number; devices 63 and 64 share one (and have no catalogue
    # number); 1107-0-2868 (model and catalogue number of device 1) already belongs to another DI.
    DeviceModel.objects.create(
        udi_di="06950000000019", model_code="1107-0-2868", name="Infusion pump"
    )
    changed = sample_text.replace(
        "<versionModelNumber>1106-0-2848</versionModelNumber>", "<versionModelNumber />"
    ).replace(
        "<versionModelNumber>720-375</versionModelNumber>",
        "<versionModelNumber>463-525</versionModelNumber>",
    )
    outcome = run(write(tmp_path, "codes.xml", changed))
    assert (outcome.accepted, outcome.created, outcome.errors) == (True, 100, [])
    codes = dict(DeviceModel.objects.values_list("udi_di", "model_code"))
    assert codes["00844588018558"] == "1106-0-2848"
    assert codes["00844505009546"] == "00844505009546"
    assert codes["00844505009195"] == "00844505009195"
    assert codes["00844588018886"] == "00844588018886"
    assert codes["06950000000019"] == "1107-0-2868"
    again = run(write(tmp_path, "codes.xml", changed))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 100)


def test_a_di_twice_in_the_file_is_refused_for_both_devices(
    tmp_path: Path, sample_text: str
) -> None:
    twice = sample_text.replace("00844588018558", "00844588018886")
    outcome = run(write(tmp_path, "twice.xml", twice), Policy.KEEP_GOOD)
    assert [(e.row, e.column, e.code) for e in outcome.errors] == [
        (1, "primaryDI", "duplicate"),
        (2, "primaryDI", "duplicate"),
    ]
    assert outcome.created == 98


def test_first_premarket_submission_number_becomes_the_clearance(
    tmp_path: Path, sample_text: str
) -> None:
    cleared = sample_text.replace(
        "<submissionNumber></submissionNumber>",
        "<submissionNumber>K881743</submissionNumber><supplementNumber>000</supplementNumber>",
        1,
    )
    run(write(tmp_path, "cleared.xml", cleared))
    assert DeviceModel.objects.get(udi_di="00844588018886").clearance_no == "K881743"
    assert DeviceModel.objects.filter(clearance_no="").count() == 99


def test_hibcc_di_is_kept_as_written_and_unknown_agency_is_a_row_error(
    tmp_path: Path, sample_text: str
) -> None:
    first, second = "<deviceId>00844588018886</deviceId>", "<deviceId>00844588018558</deviceId>"
    hibcc = sample_text.replace(
        f"{first}\n        <deviceIdType>Primary</deviceIdType>\n"
        "        <deviceIdIssuingAgency>GS1</deviceIdIssuingAgency>",
        "<deviceId>+H124CS21107028680</deviceId>\n        <deviceIdType>Primary</deviceIdType>\n"
        "        <deviceIdIssuingAgency>HIBCC</deviceIdIssuingAgency>",
    ).replace(
        f"{second}\n        <deviceIdType>Primary</deviceIdType>\n"
        "        <deviceIdIssuingAgency>GS1</deviceIdIssuingAgency>",
        f"{second}\n        <deviceIdType>Primary</deviceIdType>\n"
        "        <deviceIdIssuingAgency>IFA</deviceIdIssuingAgency>",
    )
    outcome = run(write(tmp_path, "agencies.xml", hibcc), Policy.KEEP_GOOD)
    assert [(e.row, e.column, e.code) for e in outcome.errors] == [
        (2, "deviceIdIssuingAgency", "choice")
    ]
    insert = DeviceModel.objects.get(model_code="1107-0-2868")
    assert (insert.udi_di, insert.issuing_agency) == ("+H124CS21107028680", "HIBCC")


def test_progress_is_reported_every_100_devices_and_at_the_end() -> None:
    calls: list[tuple[int, int]] = []
    GudidImporter().run(
        SAMPLE, file_name=SAMPLE.name, progress=lambda done, total: calls.append((done, total))
    )
    assert len(calls) == 3
    assert 0 < calls[0][0] <= 50
    assert calls[1:] == [(60, 100), (100, 100)]


def test_gudid_is_a_registered_import_kind() -> None:
    assert importer_for("gudid") is GudidImporter


def test_import_command_imports_the_sample_and_prints_json() -> None:
    out = io.StringIO()
    call_command("import", "gudid", str(SAMPLE), "--json", stdout=out, stderr=io.StringIO())
    body = json.loads(out.getvalue())
    assert (body["kind"], body["accepted"], body["rows"], body["created"], body["rejected"]) == (
        "gudid",
        True,
        100,
        100,
        0,
    )
    assert DeviceModel.objects.count() == 100


def test_import_command_exits_1_when_a_device_is_bad(bad_check_digit: Path) -> None:
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command(
            "import", "gudid", str(bad_check_digit), "--json", stdout=out, stderr=io.StringIO()
        )
    assert exited.value.code == 1
    assert json.loads(out.getvalue())["errors"][0]["column"] == "primaryDI"


def test_the_shared_import_worker_runs_gudid_and_stores_the_rejected_device(
    bad_check_digit: Path,
) -> None:
    run_record = ImportRun(kind="gudid", file_name=bad_check_digit.name, policy=Policy.KEEP_GOOD)
    run_record.source.save("bad-digit.xml", ContentFile(bad_check_digit.read_bytes()), save=False)
    run_record.save()
    finished = import_run_execute(run_id=run_record.pk)
    assert (finished.status, finished.rows, finished.created_count, finished.rejected_count) == (
        ImportStatus.PARTIAL,
        100,
        99,
        1,
    )
    with finished.rejected_rows.open("rb") as stored:
        rejected = list(csv.DictReader(io.StringIO(stored.read().decode("utf-8-sig"))))
    assert [(r["udi_di"], r["name"], r["error_column"]) for r in rejected] == [
        ("00844588018368", "TaperSet™ Reduced Distal Profile", "primaryDI")
    ]
