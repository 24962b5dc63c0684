"""Import of complaints from a CSV or Excel sheet (customer service's log, a distributor's
monthly list). All or nothing: one bad row refuses the whole file, each problem named by row and
column, and nothing is written. Idempotent by the holder's own reference: importing the same
file again changes nothing. A row whose holder and reference name a complaint already here but
whose content differs is the source system's update of that complaint: its fields are updated,
with an audit entry per complaint naming each change; a closed complaint is not changed by an
import, so such a row refuses the file, naming the row and the complaint. An unknown lot or
serial is no error: the complaint is kept with the text as given and flagged for resolution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, ClassVar

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

from .complaints import (
    UnitFound,
    UnitGiven,
    complaint_number_next,
    receipt_checks,
    units_resolve,
)
from .lifecycle import ComplaintStatus
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
        # A row naming a complaint already here: the complaint and the fields that differ.
        self._changed: dict[ComplaintRecord, tuple[Complaint, dict[str, Any]]] = {}
        self._same: set[ComplaintRecord] = set()

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
            self._compare_existing(records),
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

    def _compare_existing(self, records: list[tuple[int, ComplaintRecord]]) -> Problems:
        """Rows naming a complaint already here (one query): the same content is unchanged,
        different content is an update, or a refusal when the complaint is closed."""
        existing = {
            (c.holder.code if c.holder else "", c.reference): c
            for c in Complaint.objects.filter(
                holder__code__in={r.holder for _n, r in records},
                reference__in={r.reference for _n, r in records},
            ).select_related("holder", "device_model", "lot", "serial")
        }
        problems: Problems = []
        for number, record in records:
            complaint = existing.get((record.holder, record.reference))
            if complaint is None or record not in self._found:
                continue
            wanted = _fields(record, self._found[record])
            stored = {name: getattr(complaint, name) for name in wanted}
            stored["aware_at"] = stored["aware_at"].astimezone(UTC)
            changes = audit.diff(stored, {**wanted, "aware_at": wanted["aware_at"].astimezone(UTC)})
            if not changes:
                self._same.add(record)
            elif complaint.status == ComplaintStatus.CLOSED:
                problems.append(
                    (
                        number,
                        "reference",
                        "complaint_closed",
                        _(
                            "Complaint %(number)s (reference %(reference)s of %(holder)s) is "
                            "closed: an import does not change a closed complaint. The row "
                            "differs in: %(fields)s. Enter the new information as a new "
                            "complaint (it may need its own triage), or remove the row."
                        )
                        % {
                            "number": complaint.number,
                            "reference": record.reference,
                            "holder": record.holder,
                            "fields": ", ".join(_label(name) for name in changes),
                        },
                    )
                )
            else:
                self._changed[record] = (complaint, changes)
        return problems

    def _update(self, record: ComplaintRecord, actor: ActorOrSystem) -> str:
        """The source system's newer version of an open complaint: its fields updated, one
        audit entry naming each change."""
        complaint, changes = self._changed[record]
        complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
        for name, value in _fields(record, self._found[record]).items():
            setattr(complaint, name, value)
        changes = {**changes, **receipt_checks(complaint)}
        complaint.save()
        audit.record(
            actor=actor,
            action="quality.complaint_updated_by_import",
            target=complaint,
            changes=changes,
        )
        return complaint.number

    def apply(self, records: list[ComplaintRecord], *, actor: ActorOrSystem) -> Applied:
        holders = {p.code: p for p in Party.objects.filter(code__in={r.holder for r in records})}
        created: list[str] = []
        updated: list[str] = []
        unchanged = 0
        for record in records:
            if record in self._same:
                unchanged += 1
                continue
            if record in self._changed:
                updated.append(self._update(record, actor))
                continue
            found = self._found[record]
            # Numbered one by one: each number comes from the locked counter (core.numbering).
            complaint = Complaint(
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
            receipt_checks(complaint)  # flagged and linked as on every entry path
            complaint.save()
            created.append(complaint.number)
        if created or updated:
            audit.record(
                actor=actor,
                action="quality.complaints_imported",
                target_type="quality.complaint",
                target_id="*",
                target_label=self.kind,
                changes={"created": created[:500], "updated": updated[:500]},
            )
        return Applied(created=len(created), updated=len(updated), unchanged=unchanged)


def _fields(record: ComplaintRecord, found: UnitFound) -> dict[str, Any]:
    """The complaint's fields a row sets (what an update compares and writes)."""
    return {
        "aware_at": record.aware_at,
        "event_date": record.event_date,
        "description": record.description,
        "patient_involved": record.patient_involved or record.injury or record.death,
        "injury": record.injury,
        "death": record.death,
        "malfunction": record.malfunction,
        "reporter_name": record.reporter,
        "reporter_contact": record.reporter_contact,
        "barcode": record.unit.barcode.strip(),
        "gtin_text": found.gtin,
        "lot_text": found.lot,
        "serial_text": found.serial,
        "device_model": found.device_model,
        "lot": found.lot_record,
        "serial": found.serial_record,
        "resolution": found.resolution,
    }


def _label(name: str) -> str:
    """A complaint field's name as the user reads it."""
    field = Complaint._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))
