"""Master-data imports: good, bad (whole-file reject), keep-good, repeated, contract columns."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import cast

import pytest

from medrecall.audit.models import AuditEntry
from medrecall.catalog.importers import LotImporter, ProductImporter, SerialImporter
from medrecall.catalog.models import DeviceModel, Lot, Serial
from medrecall.core.importing import Policy
from medrecall.parties.importers import ContactImporter, LocationImporter, PartyImporter
from medrecall.parties.models import Contact, Location, Party
from tests.factories import DeviceModelFactory, LotFactory, PartyFactory

pytestmark = pytest.mark.django_db

PRODUCTS = """gtin,model_code,name,tracking,name_en,risk_class_nmpa,risk_class_fda,risk_class_eu,registration_no,implantable,unit
06950000000019,PUMP-1,输液泵,serial,Infusion pump,II,2,IIb,国械注准20233140123,no,EA
6950000000026,CATH-1,中心静脉导管,lot,Central venous catheter,三类,Class II,III,国械注准20213030456,否,BX
"""


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_products_import_creates_models_with_normalised_values(tmp_path: Path) -> None:
    outcome = ProductImporter().run(write(tmp_path, "p.csv", PRODUCTS), file_name="p.csv")
    assert (outcome.accepted, outcome.rows, outcome.created, outcome.errors) == (True, 2, 2, [])
    pump = DeviceModel.objects.get(model_code="PUMP-1")
    assert (
        pump.udi_di,
        pump.tracking,
        pump.risk_class_nmpa,
        pump.risk_class_fda,
        pump.risk_class_eu,
    ) == ("06950000000019", "serial", "II", "2", "IIb")
    catheter = DeviceModel.objects.get(model_code="CATH-1")
    assert (catheter.udi_di, catheter.risk_class_nmpa, catheter.risk_class_fda, catheter.unit) == (
        "06950000000026",
        "III",
        "2",
        "BX",
    )
    assert AuditEntry.objects.filter(action="catalog.device_models_imported").count() == 1


def test_reimporting_the_same_file_changes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", PRODUCTS)
    ProductImporter().run(path, file_name="p.csv")
    entries = AuditEntry.objects.count()
    again = ProductImporter().run(path, file_name="p.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert DeviceModel.objects.count() == 2
    assert AuditEntry.objects.count() == entries


def test_changed_name_updates_the_model(tmp_path: Path) -> None:
    ProductImporter().run(write(tmp_path, "p.csv", PRODUCTS), file_name="p.csv")
    changed = PRODUCTS.replace("输液泵", "输液泵 X")
    outcome = ProductImporter().run(write(tmp_path, "p2.csv", changed), file_name="p2.csv")
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 1, 1)
    assert DeviceModel.objects.get(model_code="PUMP-1").name == "输液泵 X"


def test_any_bad_row_rejects_the_whole_file_and_names_row_and_column(tmp_path: Path) -> None:
    bad = PRODUCTS + "06950000000033,BAD-1,坏,sideways,,,,,,,\n12345678901232,BAD-2,坏,lot,,,,,,,\n"
    outcome = ProductImporter().run(write(tmp_path, "bad.csv", bad), file_name="bad.csv")
    assert outcome.accepted is False
    assert [(e.row, e.column, e.code) for e in outcome.errors] == [
        (4, "tracking", "choice"),
        (5, "gtin", "gtin"),
    ]
    assert "check digit 2; it should be 1" in outcome.errors[1].message
    assert DeviceModel.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_keep_good_keeps_good_rows_and_returns_bad_ones_with_reasons(tmp_path: Path) -> None:
    bad = PRODUCTS + "12345678901232,BAD-2,坏,lot,,,,,,,\n"
    outcome = ProductImporter().run(
        write(tmp_path, "bad.csv", bad), file_name="bad.csv", policy=Policy.KEEP_GOOD
    )
    assert (outcome.accepted, outcome.created) == (True, 2)
    rejected = list(csv.DictReader(io.StringIO(outcome.rejected_csv(ProductImporter.columns.all))))
    assert len(rejected) == 1
    assert (rejected[0]["gtin"], rejected[0]["error_row"], rejected[0]["error_column"]) == (
        "12345678901232",
        "4",
        "gtin",
    )
    assert "check digit" in rejected[0]["error"]


def test_duplicate_keys_within_a_file_are_refused(tmp_path: Path) -> None:
    doubled = PRODUCTS + "06950000000019,PUMP-2,输液泵,serial,,,,,,,\n"
    outcome = ProductImporter().run(write(tmp_path, "d.csv", doubled), file_name="d.csv")
    assert outcome.accepted is False
    assert {(e.row, e.code) for e in outcome.errors} == {(2, "duplicate"), (4, "duplicate")}


def test_model_code_taken_by_another_gtin(tmp_path: Path) -> None:
    DeviceModelFactory(model_code="PUMP-1", udi_di="06950000000040")
    outcome = ProductImporter().run(write(tmp_path, "p.csv", PRODUCTS), file_name="p.csv")
    assert [(e.row, e.column, e.code) for e in outcome.errors] == [(2, "model_code", "conflict")]


def test_lots_and_serials(tmp_path: Path) -> None:
    pump = cast(DeviceModel, DeviceModelFactory(tracking="serial"))
    catheter = cast(DeviceModel, DeviceModelFactory(tracking="lot"))
    lots = f"gtin,lot,manufactured,expiry,quantity_produced\n{pump.udi_di},P2501,2025-01-10,2030-01-09,100\n{catheter.udi_di},C2501,2025/02/01,20270201,5000\n"
    outcome = LotImporter().run(write(tmp_path, "l.csv", lots), file_name="l.csv")
    assert (outcome.accepted, outcome.created) == (True, 2)
    assert Lot.objects.get(number="C2501").expires_on == date(2027, 2, 1)
    serials = f"gtin,lot,serial\n{pump.udi_di},P2501,SN0001\n{pump.udi_di},P2502,SN0002\n"
    outcome = SerialImporter().run(write(tmp_path, "s.csv", serials), file_name="s.csv")
    assert (outcome.accepted, outcome.created) == (True, 2)
    assert Lot.objects.filter(device_model=pump).count() == 2  # P2502 created on the way
    assert SerialImporter().run(write(tmp_path, "s.csv", serials), file_name="s.csv").created == 0
    assert Serial.objects.count() == 2


def test_serial_on_lot_tracked_model_and_unknown_gtin_are_refused(tmp_path: Path) -> None:
    catheter = DeviceModelFactory(tracking="lot")
    serials = f"gtin,lot,serial\n{catheter.udi_di},C1,SN1\n06900009999951,C1,SN2\n"
    outcome = SerialImporter().run(write(tmp_path, "s.csv", serials), file_name="s.csv")
    assert [(e.row, e.code) for e in outcome.errors] == [(2, "lot_tracked"), (3, "unknown_product")]
    assert Serial.objects.count() == 0


def test_lot_expiry_before_manufacture(tmp_path: Path) -> None:
    pump = DeviceModelFactory()
    lots = f"gtin,lot,manufactured,expiry\n{pump.udi_di},X1,2025-05-01,2024-05-01\n"
    outcome = LotImporter().run(write(tmp_path, "l.csv", lots), file_name="l.csv")
    assert [(e.row, e.column, e.code) for e in outcome.errors] == [(2, "expiry", "date_order")]


LOCATIONS = """location_code,location_name,location_type,party_code,party_name,party_type,country,province,city,address,latitude,longitude,contact_name,contact_email,contact_phone,language
GZ-DC,广州医疗器械经销仓,distributor_stock,DIST-GZ,广州康达医疗器械有限公司,distributor,CN,广东省,广州市,天河路1号,23.1291,113.2644,王经理,wang@example.cn,+86 20 8888 0000,zh
HZ-H1,杭州市第一人民医院设备科,customer_site,HOSP-HZ1,杭州市第一人民医院,hospital,中国,浙江,杭州市,,30.2741,120.1551,,,,
BOS-1,Boston General stock,customer_site,HOSP-BOS,Boston General Hospital,hospital,US,MA,Boston,,42.3601,-71.0589,Jane Doe,jane@example.com,,en
"""


def test_locations_template_creates_parties_locations_and_contacts(tmp_path: Path) -> None:
    outcome = LocationImporter().run(
        write(tmp_path, "loc.csv", LOCATIONS, "gb18030"), file_name="loc.csv"
    )
    assert (outcome.accepted, outcome.created) == (True, 3)
    hz = Location.objects.get(code="HZ-H1")
    assert (hz.country, hz.province_code, hz.party.code, hz.party.party_type) == (
        "CN",
        "CN-ZJ",
        "HOSP-HZ1",
        "hospital",
    )
    assert Party.objects.get(code="HOSP-BOS").language == "en"
    assert Location.objects.get(code="BOS-1").province_code == "US-MA"
    assert list(Contact.objects.values_list("party__code", "name", "email").order_by("name")) == [
        ("HOSP-BOS", "Jane Doe", "jane@example.com"),
        ("DIST-GZ", "王经理", "wang@example.cn"),
    ]
    again = LocationImporter().run(
        write(tmp_path, "loc.csv", LOCATIONS, "gb18030"), file_name="loc.csv"
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Contact.objects.count() == 2


def test_location_with_bad_values_names_each_problem(tmp_path: Path) -> None:
    text = (
        LOCATIONS.splitlines()[0] + "\nX1,X,garage,P1,P,martian,Atlantis,,,,95,,,not-an-email,,\n"
    )
    outcome = LocationImporter().run(write(tmp_path, "loc.csv", text), file_name="loc.csv")
    assert {(e.column, e.code) for e in outcome.errors} == {
        ("location_type", "choice"),
        ("party_type", "choice"),
        ("country", "country"),
        ("latitude", "range"),
        ("contact_email", "email"),
        ("contact_name", "required"),
        ("city", "required"),
    }
    assert Location.objects.count() == 0


def test_parties_and_contacts(tmp_path: Path) -> None:
    parties = "party_code,party_name,party_type,country,province,city,language\nSP-1,上海医疗设备服务有限公司,service partner,CN,上海市,上海市,中文\n"
    assert PartyImporter().run(write(tmp_path, "p.csv", parties), file_name="p.csv").created == 1
    assert Party.objects.get(code="SP-1").party_type == "service_partner"
    contacts = "party_code,contact_name,email,phone,preferred_channel,is_primary\nSP-1,李工,li@example.cn,,邮件,是\nNOPE,X,x@example.com,,,\n"
    outcome = ContactImporter().run(
        write(tmp_path, "c.csv", contacts), file_name="c.csv", policy=Policy.KEEP_GOOD
    )
    assert outcome.created == 1
    assert [(e.row, e.code) for e in outcome.errors] == [(3, "unknown_party")]
    assert Contact.objects.get(name="李工").is_primary is True


def test_header_only_file_is_rejected(tmp_path: Path) -> None:
    from medrecall.core.errors import ImportRejected

    with pytest.raises(ImportRejected, match="no rows"):
        ProductImporter().run(
            write(tmp_path, "h.csv", "gtin,model_code,name,tracking\n"), file_name="h.csv"
        )


def test_lot_number_uniqueness_is_enforced_by_the_database() -> None:
    from django.db import IntegrityError

    lot = cast(Lot, LotFactory())
    with pytest.raises(IntegrityError):
        Lot.objects.create(device_model=lot.device_model, number=lot.number)


def test_expiry_before_manufacture_is_refused_by_the_database() -> None:
    from datetime import date

    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        LotFactory(manufactured_on=date(2025, 1, 1), expires_on=date(2024, 1, 1))


def test_party_type_must_be_known() -> None:
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        PartyFactory(party_type="alien")
