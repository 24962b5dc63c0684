"""Complaint actions: receive, resolve the unit, triage, record a report as filed, investigate,
close, link to a recall or start one. Each is one transaction with its own audit entry; each
checks the complaint's state first (``lifecycle.COMPLAINT_ACTIONS``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.catalog.models import DeviceModel, Lot, Serial
from medrecall.core.errors import DomainError
from medrecall.core.gtin import gtin_problem, normalise_gtin
from medrecall.core.numbering import number_next
from medrecall.core.presentation import local_time
from medrecall.parties.models import Party, PartyType
from medrecall.recalls.models import RecallCase, Regime, ScopeRule
from medrecall.recalls.services import recall_open, scope_rule_add
from medrecall.traceability.errors import SerialNotInLot
from medrecall.traceability.udi import parse_udi

from . import clock
from .errors import (
    ComplaintAlreadyReceived,
    ComplaintCloseRefused,
    ComplaintInvalid,
    ComplaintRecallAlreadyLinked,
    RecallFromComplaintRefused,
    RecallOverlapUnconfirmed,
    ReportAlreadySubmitted,
    TriageHarmConflict,
    TriageInvalid,
)
from .lifecycle import ComplaintAction, ComplaintStatus, complaint_require
from .models import Channel, Complaint, ReportCategory, ReportDecision, Resolution
from .selectors import (
    RECALL_OPEN,
    lot_not_shipped_to_holder,
    open_recall_covering,
    recalls_covering,
)

# The holder's own forms (portal, recall reply link): the same report sent twice (Back, then
# Submit again) is the complaint received the first time, not a second one.
SENT_BY_HOLDER = (Channel.PORTAL, Channel.REPLY)

COMPLAINT_NUMBER_PATTERN = "CMP-{year}-{seq:05d}"
# A clock a few minutes fast on the entering machine must not refuse "now".
FUTURE_TOLERANCE = timedelta(minutes=5)
# No device complaint predates this; earlier times also have no ISO offset in local time zones.
EARLIEST_YEAR = 1990


@dataclass(frozen=True)
class UnitGiven:
    """The device as the reporter named it: a scanned UDI, or GTIN, lot and serial typed."""

    barcode: str = ""
    gtin: str = ""
    lot: str = ""
    serial: str = ""


@dataclass(frozen=True)
class UnitFound:
    """What ``UnitGiven`` resolved to; the typed values are kept whatever was found."""

    gtin: str
    lot: str
    serial: str
    device_model: DeviceModel | None
    lot_record: Lot | None
    serial_record: Serial | None
    resolution: Resolution


def _from_barcode(given: UnitGiven) -> UnitGiven:
    """The barcode's fields, with the typed ones only where the barcode has none; a typed value
    that contradicts the barcode is refused (one of them is wrong, and we cannot tell which)."""
    parsed = parse_udi(given.barcode)
    if not parsed.valid:
        raise ComplaintInvalid(
            _("The scanned UDI does not read: %(reason)s") % {"reason": parsed.error},
            where="barcode",
        )
    fields = {"gtin": parsed.gtin or "", "lot": parsed.lot or "", "serial": parsed.serial or ""}
    typed = {"gtin": given.gtin.strip(), "lot": given.lot.strip(), "serial": given.serial.strip()}
    for name, value in typed.items():
        scanned = fields[name]
        same = (
            normalise_gtin(value) == normalise_gtin(scanned) if name == "gtin" else value == scanned
        )
        if value and scanned and not same:
            raise ComplaintInvalid(
                _("The %(field)s typed (%(typed)s) differs from the scanned UDI's (%(scanned)s).")
                % {"field": name, "typed": value, "scanned": scanned},
                where=name,
            )
        fields[name] = scanned or value
    return UnitGiven(given.barcode.strip(), fields["gtin"], fields["lot"], fields["serial"])


def _typed(given: UnitGiven) -> tuple[str, str, str]:
    """GTIN (normalised), lot and serial named, the barcode read first; refuses a barcode that
    does not read and a GTIN with a wrong check digit. No database access."""
    if given.barcode.strip():
        given = _from_barcode(given)
    gtin, lot, serial = given.gtin.strip(), given.lot.strip(), given.serial.strip()
    if gtin:
        if problem := gtin_problem(gtin):
            raise ComplaintInvalid(problem, where="gtin")
        gtin = normalise_gtin(gtin)
    return gtin, lot, serial


def _found(
    typed: tuple[str, str, str],
    models: dict[str, DeviceModel],
    lots: dict[tuple[int, str], Lot],
    serials: dict[tuple[int, str], Serial],
    by_number: dict[tuple[str, str], DeviceModel | None],
) -> UnitFound:
    gtin, lot, serial = typed
    if not (gtin or lot or serial):
        return UnitFound("", "", "", None, None, None, Resolution.NOT_GIVEN)
    model = models.get(gtin) if gtin else None
    if model is None and not gtin:  # no GTIN: the serial's or the lot's own device model
        model = by_number.get(("serial", serial)) or by_number.get(("lot", lot))
    if model is None:
        return UnitFound(gtin, lot, serial, None, None, None, Resolution.UNKNOWN_MODEL)
    found_serial = serials.get((model.pk, serial)) if serial else None
    if found_serial is not None and lot and found_serial.lot.number != lot:
        raise SerialNotInLot(serial=serial, lot=found_serial.lot.number, given=lot)
    found_lot = found_serial.lot if found_serial is not None else lots.get((model.pk, lot))
    if serial and found_serial is None:
        resolution = Resolution.UNKNOWN_SERIAL
    elif found_lot is None:  # a lot not known, or a device model alone: the lot is still to find
        resolution = Resolution.UNKNOWN_LOT
    else:
        resolution = Resolution.RESOLVED
    lot = lot or (found_lot.number if found_lot else "")
    return UnitFound(gtin, lot, serial, model, found_lot, found_serial, resolution)


def _models_by_number(
    named: list[tuple[str, str, str]],
) -> dict[tuple[str, str], DeviceModel | None]:
    """For units named without a GTIN: the device model of each lot or serial number the
    catalogue knows under one device model only (``None`` when several models share it: the
    model stays to find). Two queries, only when such units are given."""
    lot_numbers = {lot for gtin, lot, _serial in named if not gtin and lot}
    serial_numbers = {serial for gtin, _lot, serial in named if not gtin and serial}
    found: dict[tuple[str, str], DeviceModel | None] = {}
    pairs: list[tuple[str, str, DeviceModel]] = []
    if lot_numbers:
        pairs += [
            ("lot", lot.number, lot.device_model)
            for lot in Lot.objects.select_related("device_model").filter(number__in=lot_numbers)
        ]
    if serial_numbers:
        pairs += [
            ("serial", s.serial, s.device_model)
            for s in Serial.objects.select_related("device_model").filter(serial__in=serial_numbers)
        ]
    for kind, number, model in pairs:
        key = (kind, number)
        found[key] = model if key not in found or found[key] == model else None
    return found


def units_resolve(givens: Sequence[UnitGiven]) -> list[UnitFound | DomainError]:
    """Find the device models, lots and serials named: three queries for any number of units
    (two more when units are named by lot or serial without a GTIN: ``_models_by_number``).
    What is not known is kept as text and named in ``resolution``; input that cannot be right
    (a barcode that does not read, a wrong check digit, a serial of another lot) answers its
    error in that unit's place."""
    typed: list[tuple[str, str, str] | DomainError] = []
    for given in givens:
        try:
            typed.append(_typed(given))
        except DomainError as error:
            typed.append(error)
    named = [t for t in typed if not isinstance(t, DomainError)]
    models = {
        m.udi_di: m for m in DeviceModel.objects.filter(udi_di__in={t[0] for t in named if t[0]})
    }
    by_number = _models_by_number(named)
    ids = [m.pk for m in models.values()] + [m.pk for m in by_number.values() if m is not None]
    lot_numbers = {t[1] for t in named if t[1]}
    serial_numbers = {t[2] for t in named if t[2]}
    lots = (
        {
            (lot.device_model_id, lot.number): lot
            for lot in Lot.objects.filter(device_model_id__in=ids, number__in=lot_numbers)
        }
        if ids and lot_numbers
        else {}
    )
    serials = (
        {
            (s.device_model_id, s.serial): s
            for s in Serial.objects.select_related("lot").filter(
                device_model_id__in=ids, serial__in=serial_numbers
            )
        }
        if ids and serial_numbers
        else {}
    )
    found: list[UnitFound | DomainError] = []
    for item in typed:
        if isinstance(item, DomainError):
            found.append(item)
            continue
        try:
            found.append(_found(item, models, lots, serials, by_number))
        except DomainError as error:
            found.append(error)
    return found


def unit_resolve(given: UnitGiven) -> UnitFound:
    """One unit resolved (``units_resolve``), or its refusal raised."""
    found = units_resolve([given])[0]
    if isinstance(found, DomainError):
        raise found
    return found


def _check_dates(aware_at: datetime, event_date: date | None) -> None:
    if aware_at.tzinfo is None or aware_at.utcoffset() is None:
        raise ComplaintInvalid(_("The awareness time must carry a time zone."), where="aware_at")
    if aware_at.year < EARLIEST_YEAR:
        raise ComplaintInvalid(
            _("The awareness date cannot be before %(year)s.") % {"year": EARLIEST_YEAR},
            where="aware_at",
        )
    now = timezone.now()
    if aware_at > now + FUTURE_TOLERANCE:
        raise ComplaintInvalid(_("The awareness date cannot be in the future."), where="aware_at")
    if event_date is not None:
        aware_day = timezone.localtime(aware_at).date()
        if event_date > aware_day:
            raise ComplaintInvalid(
                _("The event date (%(event)s) is after the awareness date (%(aware)s).")
                % {"event": event_date.isoformat(), "aware": aware_day.isoformat()},
                where="event_date",
            )


def _unit_fields(found: UnitFound, barcode: str) -> dict[str, Any]:
    return {
        "barcode": barcode.strip(),
        "gtin_text": found.gtin,
        "lot_text": found.lot,
        "serial_text": found.serial,
        "device_model": found.device_model,
        "lot": found.lot_record,
        "serial": found.serial_record,
        "resolution": found.resolution,
    }


def receipt_checks(complaint: Complaint) -> dict[str, Any]:
    """What every entry path (portal, customer service, import, API, a corrected unit) checks
    on the complaint before it is saved: a lot the records show going elsewhere and never to
    the holder is flagged "lot not shipped to this holder" (kept, to resolve); a lot in an open
    recall links the complaint to that recall. Returns the changes for the audit entry."""
    changes: dict[str, Any] = {}
    own_site = complaint.holder is not None and complaint.holder.party_type == PartyType.OWN_SITE
    flag = not own_site and lot_not_shipped_to_holder(complaint)
    if flag != complaint.holder_not_shipped:
        changes["holder_not_shipped"] = [complaint.holder_not_shipped, flag]
        complaint.holder_not_shipped = flag
    if complaint.recall_id is None and (recall := open_recall_covering(complaint)) is not None:
        complaint.recall = recall
        changes["recall"] = [None, recall.number]
    return changes


def complaint_number_next() -> str:
    return number_next(model=Complaint, pattern=COMPLAINT_NUMBER_PATTERN)


def _check_received(
    *, actor: User | str, channel: str, description: str, holder: Party | None
) -> None:
    """Who may enter the complaint, by which channel, with a description."""
    if channel not in Channel.values:
        raise ComplaintInvalid(
            _("Unknown channel %(channel)s.") % {"channel": channel}, where="channel"
        )
    if not description.strip():
        raise ComplaintInvalid(_("Describe what happened."), where="description")
    if isinstance(actor, str) and holder is None:
        raise ComplaintInvalid(_("A complaint from a reply link names its holder."), where="holder")
    party_id = actor.party_id if isinstance(actor, User) else None
    if party_id is not None and (holder is None or holder.pk != party_id):
        raise ComplaintInvalid(
            _("A portal user enters complaints for its own organisation only."), where="holder"
        )


@transaction.atomic
def complaint_receive(
    *,
    actor: User | str,
    channel: str,
    description: str,
    aware_at: datetime,
    holder: Party | None = None,
    unit: UnitGiven | None = None,
    reference: str = "",
    reporter_name: str = "",
    reporter_contact: str = "",
    event_date: date | None = None,
    patient_involved: bool = False,
    injury: bool = False,
    death: bool = False,
    malfunction: bool = False,
) -> Complaint:
    """Record a complaint as received. The unit is resolved now; an unknown lot or serial is
    kept as typed and flagged (``resolution``), never refused. A portal user enters complaints
    for its own party only. ``actor`` is the signed-in user, or a label for a holder without an
    account (a signed reply link: ``"holder HOSP (reply link)"``), who must name the holder."""
    _check_received(actor=actor, channel=channel, description=description, holder=holder)
    _check_dates(aware_at, event_date)
    unit = unit or UnitGiven()
    found = unit_resolve(unit)
    complaint = Complaint(
        number=complaint_number_next(),
        channel=channel,
        holder=holder,
        reference=reference.strip(),
        reporter_name=reporter_name.strip(),
        reporter_contact=reporter_contact.strip(),
        event_date=event_date,
        aware_at=aware_at,
        description=description.strip(),
        # A death or a serious injury happened to a patient.
        patient_involved=patient_involved or injury or death,
        injury=injury,
        death=death,
        malfunction=malfunction,
        entered_by=actor if isinstance(actor, User) else None,
        **_unit_fields(found, unit.barcode),
    )
    if channel in SENT_BY_HOLDER and holder is not None:
        _refuse_if_sent_before(complaint, holder)
    checked = receipt_checks(complaint)
    try:
        with transaction.atomic():
            complaint.save()
    except IntegrityError as error:
        raise ComplaintInvalid(
            _("%(holder)s already has a complaint with reference %(reference)s.")
            % {"holder": holder.code if holder else "", "reference": reference},
            where="reference",
        ) from error
    audit.record(
        actor=actor,
        action="quality.complaint_received",
        target=complaint,
        changes={
            "channel": [None, channel],
            "holder": [None, holder.code if holder else None],
            "device_model": [None, found.gtin or None],
            "lot": [None, found.lot or None],
            "serial": [None, found.serial or None],
            "resolution": [None, str(found.resolution)],
            "aware_at": [None, aware_at.isoformat()],
            "death": [None, death],
            "injury": [None, complaint.injury],
            **checked,
        },
    )
    return complaint


# What makes two reports from a holder's form the same report.
SAME_REPORT = (
    "channel",
    "reference",
    "reporter_name",
    "reporter_contact",
    "barcode",
    "gtin_text",
    "lot_text",
    "serial_text",
    "event_date",
    "aware_at",
    "description",
    "patient_involved",
    "injury",
    "death",
    "malfunction",
)


def _refuse_if_sent_before(complaint: Complaint, holder: Party) -> None:
    """The same report already received from this holder through the same form: refused
    naming the complaint received then. The holder's row is locked first, so that two
    submissions at once are decided one after the other."""
    Party.objects.select_for_update().filter(pk=holder.pk).first()
    earlier = (
        Complaint.objects.filter(holder=holder, **{f: getattr(complaint, f) for f in SAME_REPORT})
        .order_by("pk")
        .first()
    )
    if earlier is not None:
        raise ComplaintAlreadyReceived(
            _("This report was already received on %(date)s as complaint %(number)s.")
            % {"date": local_time(earlier.created_at), "number": earlier.number},
            complaint=earlier,
        )


def _locked(complaint: Complaint, action: ComplaintAction) -> Complaint:
    """The complaint as stored now, locked for the transaction, after its state allows ``action``."""
    fresh = Complaint.objects.select_for_update().get(pk=complaint.pk)
    complaint_require(fresh.status, action, fresh.number)
    return fresh


@transaction.atomic
def complaint_resolve_unit(*, complaint: Complaint, actor: User, unit: UnitGiven) -> Complaint:
    """Name the unit again (a corrected lot, the lot imported since): resolved anew."""
    complaint = _locked(complaint, ComplaintAction.RESOLVE_UNIT)
    before = (complaint.gtin_text, complaint.lot_text, complaint.serial_text, complaint.resolution)
    found = unit_resolve(unit)
    for name, value in _unit_fields(found, unit.barcode).items():
        setattr(complaint, name, value)
    checked = receipt_checks(complaint)
    complaint.save()
    audit.record(
        actor=actor,
        action="quality.complaint_unit_resolved",
        target=complaint,
        changes={
            "gtin": [before[0], found.gtin],
            "lot": [before[1], found.lot],
            "serial": [before[2], found.serial],
            "resolution": [before[3], str(found.resolution)],
            **checked,
        },
    )
    return complaint


@dataclass(frozen=True)
class Triage:
    """One regime's decision as a user gives it."""

    regime: str
    reportable: bool
    category: str
    rationale: str


def _check_triage(decisions: Sequence[Triage]) -> None:
    if not decisions:
        raise TriageInvalid(_("Decide reportability for at least one regime."), where="regime")
    seen: set[str] = set()
    for decision in decisions:
        if decision.regime not in Regime.values:
            raise TriageInvalid(
                _("Unknown regulatory regime %(regime)s.") % {"regime": decision.regime},
                where="regime",
            )
        if decision.regime in seen:
            raise TriageInvalid(
                _("Regime %(regime)s is decided twice.") % {"regime": decision.regime},
                where="regime",
            )
        seen.add(decision.regime)
        regime_label = Regime(decision.regime).label
        if (
            decision.reportable
            and decision.category not in clock.CATEGORIES_BY_REGIME[decision.regime]
        ):
            raise TriageInvalid(
                _("Choose the %(regime)s reporting category (it sets the clock).")
                % {"regime": regime_label},
                where="category",
            )
        if not decision.reportable and decision.category:
            raise TriageInvalid(
                _("A decision not to report to %(regime)s has no reporting category.")
                % {"regime": regime_label},
                where="category",
            )
        if not decision.rationale.strip():
            raise TriageInvalid(
                _("Give the rationale for the %(regime)s decision.") % {"regime": regime_label},
                where="rationale",
            )


@dataclass(frozen=True)
class Harm:
    """The complaint's harm flags as the triaging user corrects them."""

    death: bool
    injury: bool


def harm_conflicts(decisions: Sequence[Triage], *, death: bool, injury: bool) -> list[str]:
    """Each reporting category that contradicts the recorded harm, in words naming both
    (docs/quality.md, "Triage against the recorded harm"). A death category needs a recorded
    death; a serious-injury or serious-deterioration category needs a recorded death or serious
    injury; a recorded death cannot go into a category with a longer clock than the death one."""
    problems: list[str] = []
    for decision in decisions:
        if not decision.reportable or decision.category not in clock.RULES:
            continue
        label = ReportCategory(decision.category).label
        if decision.category == ReportCategory.NMPA_DEATH and not death:
            problems.append(
                _("The category “%(category)s” needs a death, but the complaint records no death.")
                % {"category": label}
            )
        elif decision.category in SERIOUS_HARM_CATEGORIES and not (death or injury):
            problems.append(
                _(
                    "The category “%(category)s” needs a death or serious injury, but the "
                    "complaint records neither."
                )
                % {"category": label}
            )
        elif decision.category in SLOWER_THAN_DEATH and death:
            problems.append(
                _(
                    "The complaint records a death, but “%(category)s” is not the death category "
                    "(its clock is longer)."
                )
                % {"category": label}
            )
    return problems


# Categories that presuppose a death or serious injury / serious deterioration of health.
SERIOUS_HARM_CATEGORIES = frozenset(
    {ReportCategory.NMPA_SERIOUS_INJURY, ReportCategory.EU_DEATH_OR_SERIOUS_DETERIORATION}
)
# Categories whose clock is longer than the same regime's death category.
SLOWER_THAN_DEATH = frozenset({ReportCategory.NMPA_SERIOUS_INJURY, ReportCategory.EU_OTHER})


def _settle_harm(
    complaint: Complaint,
    decisions: Sequence[Triage],
    harm: Harm | None,
    harm_confirmation: str,
    changes: dict[str, Any],
) -> None:
    """Correct the harm flags when the user gave them, then refuse a category that still
    contradicts them unless the user confirmed it with a reason (kept in the audit entry)."""
    if harm is not None:
        for field, value in (("death", harm.death), ("injury", harm.injury)):
            if getattr(complaint, field) != value:
                changes[field] = [getattr(complaint, field), value]
                setattr(complaint, field, value)
    problems = harm_conflicts(decisions, death=complaint.death, injury=complaint.injury)
    if not problems:
        return
    if not harm_confirmation.strip():
        raise TriageHarmConflict(
            " ".join(
                [
                    *problems,
                    _(
                        "Correct the complaint's death and injury flags, or confirm the "
                        "category with a reason."
                    ),
                ]
            ),
            where="category",
        )
    changes["harm_conflict_confirmed"] = {
        "conflicts": problems,
        "reason": harm_confirmation.strip(),
    }


@transaction.atomic
def complaint_triage(
    *,
    complaint: Complaint,
    actor: User,
    decisions: Sequence[Triage],
    harm: Harm | None = None,
    harm_confirmation: str = "",
) -> Complaint:
    """Decide, per regime, whether the complaint is reportable and in which category; the
    category starts that regime's reporting clock from the awareness date. A decision whose
    report was already filed is not changed.

    A category that contradicts the recorded harm (``harm_conflicts``) is refused unless the
    same triage corrects the flags (``harm``) or confirms the category with a reason
    (``harm_confirmation``); both are audited with the triage."""
    complaint = _locked(complaint, ComplaintAction.TRIAGE)
    _check_triage(decisions)
    changes: dict[str, Any] = {}
    _settle_harm(complaint, decisions, harm, harm_confirmation, changes)
    existing = {d.regime: d for d in complaint.decisions.all()}
    now = timezone.now()
    for given in decisions:
        current = existing.get(given.regime)
        if current is not None and current.submitted_at is not None:
            raise ReportAlreadySubmitted(
                _("The %(regime)s report was already filed; its decision stays as it is.")
                % {"regime": Regime(given.regime).label},
                where="regime",
            )
        # The rationale goes with the decision into the audit log: the history says why.
        before = [current.reportable, current.category, current.rationale] if current else None
        ReportDecision.objects.update_or_create(
            complaint=complaint,
            regime=given.regime,
            defaults={
                "reportable": given.reportable,
                "category": given.category if given.reportable else "",
                "rationale": given.rationale.strip(),
                "decided_by": actor,
                "decided_at": now,
            },
        )
        changes[given.regime] = [
            before,
            [given.reportable, given.category if given.reportable else "", given.rationale.strip()],
        ]
    source = complaint.status
    if complaint.status == ComplaintStatus.RECEIVED:
        complaint.status = ComplaintStatus.TRIAGED
        complaint.triaged_at = now
        changes["status"] = [source, complaint.status]
    complaint.save(update_fields=["status", "triaged_at", "death", "injury", "updated_at"])
    audit.record(actor=actor, action="quality.complaint_triaged", target=complaint, changes=changes)
    return complaint


def _filed_at(complaint: Complaint, reference: str, submitted_at: datetime | None) -> datetime:
    """When the report was filed, refused without it (the record says when, it does not
    guess "now"), without the regulator's reference, in the future, or before the company knew
    of the complaint."""
    if not reference.strip():
        raise TriageInvalid(
            _("Give the reference the regulator gave the filed report."), where="reference"
        )
    if submitted_at is None:
        raise TriageInvalid(_("Give the date and time the report was filed."), where="submitted_at")
    now = timezone.now()
    filed = submitted_at
    if filed > now + FUTURE_TOLERANCE:
        raise TriageInvalid(_("The filing date cannot be in the future."), where="submitted_at")
    if filed < complaint.aware_at:
        raise TriageInvalid(
            _("The report cannot be filed (%(filed)s) before the awareness date (%(aware)s).")
            % {
                "filed": local_time(filed),
                "aware": local_time(complaint.aware_at),
            },
            where="submitted_at",
        )
    return filed


@transaction.atomic
def complaint_mark_reported(
    *,
    complaint: Complaint,
    actor: User,
    regime: str,
    reference: str,
    submitted_at: datetime | None,
) -> ReportDecision:
    """Record that the report to ``regime`` was filed (when, under which reference; both
    required): its clock stops."""
    complaint = _locked(complaint, ComplaintAction.MARK_REPORTED)
    decision = complaint.decisions.filter(regime=regime).first()
    if decision is None or not decision.reportable:
        raise TriageInvalid(
            _("Complaint %(number)s is not triaged as reportable to %(regime)s.")
            % {"number": complaint.number, "regime": regime},
            where="regime",
        )
    if decision.submitted_at is not None:
        raise ReportAlreadySubmitted(
            _("The %(regime)s report was already recorded as filed.")
            % {"regime": decision.get_regime_display()},
            where="regime",
        )
    decision.submitted_at = _filed_at(complaint, reference, submitted_at)
    decision.submitted_by = actor
    decision.submission_reference = reference.strip()
    decision.save(update_fields=["submitted_at", "submitted_by", "submission_reference"])
    audit.record(
        actor=actor,
        action="quality.report_submitted",
        target=complaint,
        changes={
            regime: [None, decision.submitted_at.isoformat()],
            "reference": [None, decision.submission_reference],
        },
    )
    return decision


@transaction.atomic
def complaint_investigate(*, complaint: Complaint, actor: User, findings: str) -> Complaint:
    """Record the investigation's findings so far; the complaint is then under investigation."""
    complaint = _locked(complaint, ComplaintAction.INVESTIGATE)
    if not findings.strip():
        raise ComplaintInvalid(_("Write the findings."), where="findings")
    before = [complaint.status, complaint.findings]
    complaint.findings = findings.strip()
    complaint.status = ComplaintStatus.INVESTIGATING
    complaint.save(update_fields=["findings", "status", "updated_at"])
    audit.record(
        actor=actor,
        action="quality.complaint_investigated",
        target=complaint,
        changes={
            "status": [before[0], complaint.status],
            "findings": [before[1], complaint.findings],
        },
    )
    return complaint


def close_blockers(complaint: Complaint) -> list[str]:
    """Why the complaint cannot close yet (empty: it can)."""
    problems = []
    if not complaint.findings.strip():
        problems.append(_("Record the investigation findings (or why no investigation is needed)."))
    unfiled = [
        d.get_regime_display()
        for d in complaint.decisions.all()
        if d.reportable and d.submitted_at is None
    ]
    if unfiled:
        problems.append(
            _("Reports still to file: %(regimes)s.")
            % {"regimes": ", ".join(str(r) for r in unfiled)}
        )
    return problems


@transaction.atomic
def complaint_close(*, complaint: Complaint, actor: User) -> Complaint:
    complaint = _locked(complaint, ComplaintAction.CLOSE)
    if problems := close_blockers(complaint):
        raise ComplaintCloseRefused(problems[0], where="status", details=problems)
    source = complaint.status
    complaint.status = ComplaintStatus.CLOSED
    complaint.closed_at = timezone.now()
    complaint.save(update_fields=["status", "closed_at", "updated_at"])
    audit.record(
        actor=actor,
        action="quality.complaint_closed",
        target=complaint,
        changes={"status": [source, complaint.status]},
    )
    return complaint


@transaction.atomic
def complaint_link_recall(*, complaint: Complaint, actor: User, recall: RecallCase) -> Complaint:
    complaint = _locked(complaint, ComplaintAction.LINK_RECALL)
    if complaint.recall_id == recall.pk:
        return complaint
    _refuse_if_linked(complaint)
    before = None
    complaint.recall = recall
    complaint.save(update_fields=["recall", "updated_at"])
    audit.record(
        actor=actor,
        action="quality.complaint_recall_linked",
        target=complaint,
        changes={"recall": [before, recall.number]},
    )
    return complaint


def overlap_warning(covering: Sequence[RecallCase]) -> str:
    """What the user is told before starting a recall on a lot other recalls already cover."""
    return _(
        "This lot is already covered by %(recalls)s. Link the complaint to that recall, or "
        "confirm that another recall is needed."
    ) % {
        "recalls": ", ".join(
            f"{recall.number} ({recall.get_status_display()})" for recall in covering
        )
    }


@transaction.atomic
def complaint_start_recall(
    *, complaint: Complaint, actor: User, confirm_overlap: bool = False
) -> RecallCase:
    """Open a draft recall from the complaint: its device model as the product, its lot (or
    serial) as the first scope rule, its description as the reason; the complaint is linked.
    When other recalls (open or closed) already cover the lot, it is refused naming them unless
    ``confirm_overlap`` says another recall is meant."""
    complaint = _locked(complaint, ComplaintAction.LINK_RECALL)
    _refuse_if_linked(complaint)
    model = complaint.device_model
    if model is None:
        raise RecallFromComplaintRefused(
            _("Resolve the complaint's device model first: a recall needs a product."),
            where="device_model",
        )
    covering = recalls_covering(complaint)
    if covering and not confirm_overlap:
        raise RecallOverlapUnconfirmed(
            overlap_warning(covering),
            where="confirm_overlap",
            details=[recall.number for recall in covering],
        )
    recall = recall_open(
        actor=actor,
        title=f"{model.name}（投诉 {complaint.number}）",
        title_en=f"{model.name_en or model.name} (complaint {complaint.number})",
        products=[model],
        reason=complaint.description,
    )
    if complaint.serial is not None:
        scope_rule_add(
            recall=recall,
            actor=actor,
            kind=ScopeRule.Kind.SERIALS,
            device_model=model,
            values=[complaint.serial.serial],
        )
    elif complaint.lot is not None:
        scope_rule_add(
            recall=recall,
            actor=actor,
            kind=ScopeRule.Kind.LOTS,
            device_model=model,
            values=[complaint.lot.number],
        )
    complaint.recall = recall
    complaint.save(update_fields=["recall", "updated_at"])
    audit.record(
        actor=actor,
        action="quality.recall_started",
        target=complaint,
        changes={"recall": [None, recall.number]},
        reason=(
            _("Started although %(recalls)s already cover the lot.")
            % {"recalls": ", ".join(r.number for r in covering)}
            if covering
            else ""
        ),
    )
    return recall


def _refuse_if_linked(complaint: Complaint) -> None:
    """A complaint names at most one recall; an existing link is never replaced silently."""
    if complaint.recall is not None:
        raise ComplaintRecallAlreadyLinked(
            _(
                "Complaint %(complaint)s is already linked to recall %(recall)s: "
                "open that recall instead of starting or linking another."
            )
            % {"complaint": complaint.number, "recall": complaint.recall.number},
            where="recall",
        )


def complaints_link_to_frozen_scope(recall: RecallCase, actor: User) -> list[str]:
    """A scope hook (``recalls.hooks.SCOPE_HOOKS``): complaints received before the recall
    existed, or before its scope named their lot, about a lot of its frozen scope (the
    complaint's lot, or its serial's) and linked to no recall yet, are linked to it; at receipt
    ``receipt_checks`` does the same for later ones. A cancelled recall links nothing. One
    update whatever the number of complaints, and one audit entry on the recall naming them.
    Returns the complaint numbers linked."""
    snapshot = recall.current_snapshot
    if snapshot is None or recall.status not in RECALL_OPEN:
        return []
    lots = snapshot.lines.values("lot_id")
    unlinked = Complaint.objects.filter(recall__isnull=True).filter(
        Q(lot_id__in=lots) | Q(lot__isnull=True, serial__lot_id__in=lots)
    )
    found = list(unlinked.order_by("number").values_list("pk", "number"))
    if not found:
        return []
    Complaint.objects.filter(pk__in=[pk for pk, _number in found]).update(
        recall=recall, updated_at=timezone.now()
    )
    numbers = [number for _pk, number in found]
    audit.record(
        actor=actor,
        action="quality.complaints_linked_to_recall",
        target=recall,
        changes={"complaints": numbers, "snapshot": snapshot.sequence},
    )
    return numbers
