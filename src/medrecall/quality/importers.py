"""Import of complaints from a CSV or Excel sheet (customer service's log, a distributor's
monthly list). All or nothing: one bad row refuses the whole file, each problem named by row and
column, and nothing is written. Idempotent by the holder's own reference: importing the same
file again changes nothing. An unknown lot or serial is no error: the complaint is kept with the
text as given and flagged for resolution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import ClassVar

from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.core.errors import DomainError
from medrecall.core.importing import (
    Applied,
    Problems,
    RowProblem,
    TableImporter,
    by_row,
    parse_bool,
    parse_date,
    repeated,
    required,
)
from medrecall.core.tabular import Columns, SourceRow
from medrecall.core.types import ActorOrSystem
from medrecall.parties.models import Party

from .complaints import UnitFound, UnitGiven, complaint_number_next, units_resolve
from .models import Channel, Complaint


@dataclass(frozen=True, slots=True)
class ComplaintRecord:
    holder: str
    reference: str
    aware_at: datetime
    event_date: date | None
    description: str
    unit: UnitGiven
    patient_involved: bool
    injury: bool
    death: bool
    malfunction: bool
    reporter: str
    reporter_contact: str


def _aware_at(value: str, problems: list[tuple[str, str, str]]) -> datetime | None:
    """``YYYY-MM-DD`` (the start of that day, local time: the clock's earliest reading) or
    ``YYYY-MM-DD HH:MM``, in the configured time zone unless an offset is given."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        day = parse_date(text, "aware_date", problems)
        if day is None:
            return None
        moment = datetime.combine(day, time.min)
    if moment.tzinfo is None:
        moment = timezone.make_aware(moment)
    if moment > timezone.now():
        problems.append(("aware_date", "future", _("The awareness date cannot be in the future.")))
    return moment


class ComplaintImporter(TableImporter[ComplaintRecord]):
    kind = "complaints"
    columns = Columns(
        required=("holder", "reference", "aware_date", "description"),
        optional=(
            "event_date",
            "barcode",
            "gtin",
            "lot",
            "serial",
            "patient_involved",
            "injury",
            "death",
            "malfunction",
            "reporter",
            "reporter_contact",
        ),
    )
    offers_keep_good: ClassVar[bool] = False  # a complaint is never half imported, never lost
    max_lengths = {
        "holder": 64,
        "reference": 100,
        "barcode": 255,
        "gtin": 64,
        "lot": 40,
        "serial": 40,
        "reporter": 150,
        "reporter_contact": 255,
    }

    def __init__(self) -> None:
        self._found: dict[ComplaintRecord, UnitFound] = {}

    def parse_row(self, row: SourceRow) -> ComplaintRecord:
        problems: list[tuple[str, str, str]] = []
        values = row.values
        holder = required(row, "holder", problems)
        reference = required(row, "reference", problems)
        description = required(row, "description", problems)
        aware_at = (
            _aware_at(required(row, "aware_date", problems), problems)
            if values.get("aware_date")
            else None
        )
        event_date = parse_date(values.get("event_date", ""), "event_date", problems)
        if aware_at and event_date and event_date > timezone.localtime(aware_at).date():
            problems.append(
                (
                    "event_date",
                    "date_order",
                    _("The event date is after the awareness date."),
                )
            )
        flags = {
            name: parse_bool(values.get(name, ""), name, problems)
            for name in ("patient_involved", "injury", "death", "malfunction")
        }
        if problems or aware_at is None:
            raise RowProblem(*problems)
        return ComplaintRecord(
            holder=holder,
            reference=reference,
            aware_at=aware_at,
            event_date=event_date,
            description=description,
            unit=UnitGiven(
                values.get("barcode", ""),
                values.get("gtin", ""),
                values.get("lot", ""),
                values.get("serial", ""),
            ),
            reporter=values.get("reporter", ""),
            reporter_contact=values.get("reporter_contact", ""),
            **flags,
        )

    def check(self, records: list[tuple[int, ComplaintRecord]]) -> Problems:
        known = set(
            Party.objects.filter(code__in={r.holder for _n, r in records}).values_list(
                "code", flat=True
            )
        )
        holders = [
            (
                number,
                "holder",
                "unknown_party",
                _("There is no party with code %(code)s.") % {"code": r.holder},
            )
            for number, r in records
            if r.holder not in known
        ]
        units: Problems = []
        for (number, record), found in zip(
            records, units_resolve([r.unit for _n, r in records]), strict=True
        ):
            if isinstance(found, DomainError):
                units.append((number, found.where or "barcode", found.code, found.message))
            else:
                self._found[record] = found
        problems = by_row(
            holders,
            units,
            repeated(
                records,
                lambda r: (r.holder, r.reference),
                "reference",
                lambda r: (
                    _("Reference %(reference)s of %(holder)s appears more than once in the file.")
                    % {"reference": r.reference, "holder": r.holder}
                ),
            ),
        )
        return sorted(problems, key=lambda p: (p[0], p[1]))  # by row, then column

    def apply(self, records: list[ComplaintRecord], *, actor: ActorOrSystem) -> Applied:
        holders = {p.code: p for p in Party.objects.filter(code__in={r.holder for r in records})}
        existing = set(
            Complaint.objects.filter(
                holder__in=holders.values(), reference__in={r.reference for r in records}
            ).values_list("holder__code", "reference")
        )
        created: list[str] = []
        unchanged = 0
        for record in records:
            if (record.holder, record.reference) in existing:
                unchanged += 1
                continue
            found = self._found[record]
            # Numbered one by one: each number comes from the locked counter (core.numbering).
            complaint = Complaint.objects.create(
                number=complaint_number_next(),
                channel=Channel.IMPORT,
                holder=holders[record.holder],
                reference=record.reference,
                reporter_name=record.reporter,
                reporter_contact=record.reporter_contact,
                event_date=record.event_date,
                aware_at=record.aware_at,
                description=record.description,
                patient_involved=record.patient_involved or record.injury or record.death,
                injury=record.injury,
                death=record.death,
                malfunction=record.malfunction,
                entered_by=actor if isinstance(actor, User) else None,
                barcode=record.unit.barcode.strip(),
                gtin_text=found.gtin,
                lot_text=found.lot,
                serial_text=found.serial,
                device_model=found.device_model,
                lot=found.lot_record,
                serial=found.serial_record,
                resolution=found.resolution,
            )
            created.append(complaint.number)
        if created:
            audit.record(
                actor=actor,
                action="quality.complaints_imported",
                target_type="quality.complaint",
                target_id="*",
                target_label=self.kind,
                changes={"created": created[:500]},
            )
        return Applied(created=len(created), unchanged=unchanged)
