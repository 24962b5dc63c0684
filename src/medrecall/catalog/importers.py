"""Imports of device models ("products" template), lots and serial numbers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from medrecall.audit import services as audit
from medrecall.core.gtin import gtin_problem, normalise_gtin
from medrecall.core.importing import (
    Applied,
    Problems,
    RowProblem,
    TableImporter,
    by_row,
    choice,
    parse_bool,
    parse_date,
    parse_positive_int,
    repeated,
    required,
    upsert,
)
from medrecall.core.tabular import Columns, SourceRow
from medrecall.core.types import ActorOrSystem

from .models import DeviceModel, Lot, Serial, TrackingLevel

NMPA_ALIASES = {
    "1": "i",
    "2": "ii",
    "3": "iii",
    "一类": "i",
    "二类": "ii",
    "三类": "iii",
    "\u2170": "i",
    "\u2171": "ii",
    "\u2172": "iii",  # Roman numeral characters
    "class i": "i",
    "class ii": "ii",
    "class iii": "iii",
    "第一类": "i",
    "第二类": "ii",
    "第三类": "iii",
}
FDA_ALIASES = {
    "i": "1",
    "ii": "2",
    "iii": "3",
    "class i": "1",
    "class ii": "2",
    "class iii": "3",
    "class 1": "1",
    "class 2": "2",
    "class 3": "3",
}
EU_ALIASES = {
    "class i": "i",
    "class iia": "iia",
    "class iib": "iib",
    "class iii": "iii",
    "2a": "iia",
    "2b": "iib",
    "1": "i",
    "3": "iii",
}
RISK_CLASSES = (
    ("risk_class_nmpa", ("", "i", "ii", "iii"), NMPA_ALIASES),
    ("risk_class_fda", ("", "1", "2", "3"), FDA_ALIASES),
    ("risk_class_eu", ("", "i", "iia", "iib", "iii"), EU_ALIASES),
)
"""The risk-class columns: what each may hold (blank: not classed there) and the other ways of
writing it."""
TRACKING_ALIASES = {
    "lots": "lot",
    "batch": "lot",
    "批号": "lot",
    "serials": "serial",
    "sn": "serial",
    "序列号": "serial",
}


def gtin_cell(row: SourceRow, column: str, problems: list[tuple[str, str, str]]) -> str:
    """A GTIN cell: required, digits, right check digit; stored as GTIN-14."""
    value = required(row, column, problems)
    if value and (problem := gtin_problem(value)):
        problems.append((column, "gtin", problem))
        return value
    return normalise_gtin(value) if value else value


@dataclass(frozen=True, slots=True)
class ProductRecord:
    udi_di: str
    model_code: str
    name: str
    tracking: str
    name_en: str
    risk_class_nmpa: str
    risk_class_fda: str
    risk_class_eu: str
    registration_no: str
    implantable: bool
    unit: str
    brand: str
    manufacturer: str
    clearance_no: str
    catalog_number: str


class ProductImporter(TableImporter[ProductRecord]):
    kind = "products"
    max_lengths = {"brand": 255, "manufacturer": 255, "clearance_no": 100, "catalog_number": 100}
    columns = Columns(
        required=("gtin", "model_code", "name", "tracking"),
        optional=(
            "name_en",
            "risk_class_nmpa",
            "risk_class_fda",
            "risk_class_eu",
            "registration_no",
            "implantable",
            "unit",
            "brand",
            "manufacturer",
            "clearance_no",
            "catalog_number",
        ),
    )

    def parse_row(self, row: SourceRow) -> ProductRecord:
        problems: list[tuple[str, str, str]] = []
        v = row.values
        udi_di = gtin_cell(row, "gtin", problems)
        model_code = required(row, "model_code", problems)
        name = required(row, "name", problems)
        tracking = choice(
            required(row, "tracking", problems) or "lot",
            "tracking",
            TrackingLevel.values,
            problems,
            TRACKING_ALIASES,
        )
        nmpa, fda, eu = (
            choice(v.get(column, ""), column, allowed, problems, aliases)
            for column, allowed, aliases in RISK_CLASSES
        )
        implantable = parse_bool(v.get("implantable", ""), "implantable", problems)
        for column, limit in (
            ("model_code", 100),
            ("name", 255),
            ("name_en", 255),
            ("registration_no", 100),
        ):
            if len(v.get(column, "")) > limit:
                problems.append(
                    (
                        column,
                        "length",
                        _("%(column)s is longer than %(limit)s characters.")
                        % {"column": column, "limit": limit},
                    )
                )
        if problems:
            raise RowProblem(*problems)
        return ProductRecord(
            udi_di=udi_di,
            model_code=model_code,
            name=name,
            tracking=tracking,
            name_en=v.get("name_en", ""),
            risk_class_nmpa=nmpa.upper(),
            risk_class_fda=fda,
            risk_class_eu={"i": "I", "iia": "IIa", "iib": "IIb", "iii": "III", "": ""}[eu],
            registration_no=v.get("registration_no", ""),
            implantable=implantable,
            unit=(v.get("unit", "") or "EA")[:20],
            brand=v.get("brand", ""),
            manufacturer=v.get("manufacturer", ""),
            clearance_no=v.get("clearance_no", ""),
            catalog_number=v.get("catalog_number", ""),
        )

    def check(self, records: list[tuple[int, ProductRecord]]) -> Problems:
        codes = {r.model_code for _n, r in records}
        code_owner = dict(
            DeviceModel.objects.filter(model_code__in=codes).values_list("model_code", "udi_di")
        )
        return by_row(
            repeated(
                records,
                lambda r: r.udi_di,
                "gtin",
                lambda r: (
                    _("GTIN %(gtin)s appears more than once in the file.") % {"gtin": r.udi_di}
                ),
            ),
            repeated(
                records,
                lambda r: r.model_code,
                "model_code",
                lambda r: (
                    _("Model code %(code)s appears more than once in the file.")
                    % {"code": r.model_code}
                ),
            ),
            [
                (
                    number,
                    "model_code",
                    "conflict",
                    _("Model code %(code)s already belongs to GTIN %(gtin)s.")
                    % {"code": r.model_code, "gtin": owner},
                )
                for number, r in records
                if (owner := code_owner.get(r.model_code)) and owner != r.udi_di
            ],
        )

    def apply(self, records: list[ProductRecord], *, actor: ActorOrSystem) -> Applied:
        return upsert_device_models([asdict(r) for r in records], actor=actor, source=self.kind)


def upsert_device_models(
    rows: list[dict[str, Any]], *, actor: ActorOrSystem, source: str
) -> Applied:
    """Create or update device models by UDI-DI; unchanged rows are left alone."""
    existing = {
        m.udi_di: m for m in DeviceModel.objects.filter(udi_di__in=[r["udi_di"] for r in rows])
    }
    fields = [f for f in rows[0] if f != "udi_di"] if rows else []
    done = upsert(
        DeviceModel,
        existing,
        ((row["udi_di"], row) for row in rows),
        fields=fields,
        batch_size=1000,
    )
    if done.wrote:
        audit.record(
            actor=actor,
            action="catalog.device_models_imported",
            target_type="catalog.devicemodel",
            target_id="*",
            target_label=source,
            changes=done.changes(lambda model: model.udi_di),
        )
    return done.applied


@dataclass(frozen=True, slots=True)
class LotRecord:
    udi_di: str
    number: str
    manufactured_on: date | None
    expires_on: date | None
    quantity_produced: int | None


class LotImporter(TableImporter[LotRecord]):
    kind = "lots"
    columns = Columns(
        required=("gtin", "lot"), optional=("manufactured", "expiry", "quantity_produced")
    )

    def parse_row(self, row: SourceRow) -> LotRecord:
        problems: list[tuple[str, str, str]] = []
        udi_di = gtin_cell(row, "gtin", problems)
        number = required(row, "lot", problems)
        if len(number) > 20:
            problems.append(
                ("lot", "length", _("A lot number has at most 20 characters (GS1 AI 10)."))
            )
        made = parse_date(row.values.get("manufactured", ""), "manufactured", problems)
        expiry = parse_date(row.values.get("expiry", ""), "expiry", problems)
        if made and expiry and expiry < made:
            problems.append(
                ("expiry", "date_order", _("The expiry date is before the manufacture date."))
            )
        quantity = parse_positive_int(
            row.values.get("quantity_produced", ""), "quantity_produced", problems
        )
        if problems:
            raise RowProblem(*problems)
        return LotRecord(udi_di, number, made, expiry, quantity)

    def check(self, records: list[tuple[int, LotRecord]]) -> Problems:
        return by_row(
            _unknown_models(records),
            repeated(
                records,
                lambda r: (r.udi_di, r.number),
                "lot",
                lambda r: _("Lot %(lot)s appears more than once in the file.") % {"lot": r.number},
            ),
        )

    def apply(self, records: list[LotRecord], *, actor: ActorOrSystem) -> Applied:
        models = dict(
            DeviceModel.objects.filter(udi_di__in={r.udi_di for r in records}).values_list(
                "udi_di", "pk"
            )
        )
        rows = [
            {
                "device_model_id": models[r.udi_di],
                "number": r.number,
                "manufactured_on": r.manufactured_on,
                "expires_on": r.expires_on,
                "quantity_produced": r.quantity_produced,
            }
            for r in records
        ]
        return upsert_lots(rows, actor=actor, source=self.kind)


def upsert_lots(rows: list[dict[str, Any]], *, actor: ActorOrSystem, source: str) -> Applied:
    """Create or update lots by (device model, number); empty cells never erase known values."""
    existing = {
        (lot.device_model_id, lot.number): lot
        for lot in Lot.objects.filter(
            device_model_id__in={r["device_model_id"] for r in rows},
            number__in={r["number"] for r in rows},
        )
    }
    done = upsert(
        Lot,
        existing,
        (((row["device_model_id"], row["number"]), row) for row in rows),
        fields=["manufactured_on", "expires_on", "quantity_produced"],
        keep=lambda value: value is not None,
        batch_size=2000,
    )
    if done.wrote:
        audit.record(
            actor=actor,
            action="catalog.lots_imported",
            target_type="catalog.lot",
            target_id="*",
            target_label=source,
            changes=done.changes(),
        )
    return done.applied


def _unknown_models(records: Iterable[tuple[int, LotRecord]]) -> Problems:
    """Rows naming a GTIN no device model has."""
    records = list(records)
    known = set(
        DeviceModel.objects.filter(udi_di__in={r.udi_di for _n, r in records}).values_list(
            "udi_di", flat=True
        )
    )
    return [_unknown_gtin(number, r.udi_di) for number, r in records if r.udi_di not in known]


def _unknown_gtin(number: int, gtin: str) -> tuple[int, str, str, str]:
    return (
        number,
        "gtin",
        "unknown_product",
        _("No device model has GTIN %(gtin)s; import it first.") % {"gtin": gtin},
    )


@dataclass(frozen=True, slots=True)
class SerialRecord:
    udi_di: str
    lot: str
    serial: str
    manufactured_on: date | None


class SerialImporter(TableImporter[SerialRecord]):
    kind = "serials"
    columns = Columns(required=("gtin", "lot", "serial"), optional=("manufactured",))

    def parse_row(self, row: SourceRow) -> SerialRecord:
        problems: list[tuple[str, str, str]] = []
        udi_di = gtin_cell(row, "gtin", problems)
        lot = required(row, "lot", problems)
        serial = required(row, "serial", problems)
        if len(serial) > 20:
            problems.append(
                ("serial", "length", _("A serial number has at most 20 characters (GS1 AI 21)."))
            )
        if len(lot) > 20:
            problems.append(
                ("lot", "length", _("A lot number has at most 20 characters (GS1 AI 10)."))
            )
        made = parse_date(row.values.get("manufactured", ""), "manufactured", problems)
        if problems:
            raise RowProblem(*problems)
        return SerialRecord(udi_di, lot, serial, made)

    def check(self, records: list[tuple[int, SerialRecord]]) -> Problems:
        models = dict(
            DeviceModel.objects.filter(udi_di__in={r.udi_di for _n, r in records}).values_list(
                "udi_di", "tracking"
            )
        )
        existing_lot = {
            (gtin, serial): lot
            for gtin, serial, lot in Serial.objects.filter(
                device_model__udi_di__in=set(models), serial__in={r.serial for _n, r in records}
            ).values_list("device_model__udi_di", "serial", "lot__number")
        }
        return by_row(
            [
                _serial_model_problem(number, r.udi_di, models.get(r.udi_di))
                for number, r in records
                if models.get(r.udi_di) != TrackingLevel.SERIAL
            ],
            repeated(
                records,
                lambda r: (r.udi_di, r.serial),
                "serial",
                lambda r: (
                    _("Serial %(serial)s appears more than once in the file.")
                    % {"serial": r.serial}
                ),
            ),
            [
                (
                    number,
                    "lot",
                    "conflict",
                    _("Serial %(serial)s is already recorded in lot %(lot)s.")
                    % {"serial": r.serial, "lot": known_lot},
                )
                for number, r in records
                if (known_lot := existing_lot.get((r.udi_di, r.serial))) and known_lot != r.lot
            ],
        )

    def apply(self, records: list[SerialRecord], *, actor: ActorOrSystem) -> Applied:
        models = dict(
            DeviceModel.objects.filter(udi_di__in={r.udi_di for r in records}).values_list(
                "udi_di", "pk"
            )
        )
        upsert_lots(
            [
                {
                    "device_model_id": models[r.udi_di],
                    "number": r.lot,
                    "manufactured_on": None,
                    "expires_on": None,
                    "quantity_produced": None,
                }
                for r in {(r.udi_di, r.lot): r for r in records}.values()
            ],
            actor=actor,
            source=self.kind,
        )
        lots = {
            (m, n): pk
            for pk, m, n in Lot.objects.filter(
                device_model_id__in=models.values(), number__in={r.lot for r in records}
            ).values_list("pk", "device_model_id", "number")
        }
        existing = set(
            Serial.objects.filter(
                device_model_id__in=models.values(), serial__in={r.serial for r in records}
            ).values_list("device_model_id", "serial")
        )
        new = [
            Serial(
                device_model_id=models[r.udi_di],
                lot_id=lots[(models[r.udi_di], r.lot)],
                serial=r.serial,
                manufactured_on=r.manufactured_on,
            )
            for r in records
            if (models[r.udi_di], r.serial) not in existing
        ]
        Serial.objects.bulk_create(new, batch_size=5000, ignore_conflicts=True)
        if new:
            audit.record(
                actor=actor,
                action="catalog.serials_imported",
                target_type="catalog.serial",
                target_id="*",
                target_label=self.kind,
                changes={"created": len(new)},
            )
        return Applied(created=len(new), unchanged=len(records) - len(new))


def _serial_model_problem(
    number: int, gtin: str, tracking: str | None
) -> tuple[int, str, str, str]:
    """A serial's device model is unknown, or tracked by lot."""
    if tracking is None:
        return _unknown_gtin(number, gtin)
    return (
        number,
        "serial",
        "lot_tracked",
        _("Device model %(gtin)s is tracked by lot; it has no serial numbers.") % {"gtin": gtin},
    )
