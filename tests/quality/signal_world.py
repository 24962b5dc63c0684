"""Data for the early-warning tests: device models with lots shipped from an own site to a
hospital, and complaints about them at chosen days before the detection date."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from medrecall.accounts.models import User
from medrecall.catalog.models import DeviceModel, Lot
from medrecall.parties.models import Location, LocationType, Party, PartyType
from medrecall.quality.models import Channel, Complaint, Resolution, Signal
from medrecall.recalls.models import AffectedLine, Category, RecallCase, ScopeSnapshot
from medrecall.recalls.services import recall_open
from medrecall.traceability.models import TraceEvent
from tests.factories import DeviceModelFactory, LocationFactory, LotFactory

AS_OF = date(2026, 11, 30)
PROBLEM_WEEKS = [3, 10, 17, 24, 31, 38, 45, 52]  # days before AS_OF of the problem lot's complaints
SHIPPED_ON = date(2025, 10, 1)  # before the 52-week window: every lot is in the field all along


@dataclass
class World:
    models: list[DeviceModel]
    lots: list[list[Lot]]  # per model
    factory: Location
    hospital: Location


def _site(code: str, **fields: object) -> Location:
    return Location.objects.filter(code=code).first() or LocationFactory(code=code, **fields)


def world_build(*, models: int = 2, lots: int = 8, units: int = 500, prefix: str = "EW") -> World:
    factory = _site(
        "EW-FAC",
        party__code="EW-OWN",
        party__party_type=PartyType.OWN_SITE,
        location_type=LocationType.WAREHOUSE,
    )
    hospital = _site(
        "EW-HOSP",
        party__code="EW-H",
        party__party_type=PartyType.HOSPITAL,
        location_type=LocationType.CUSTOMER_SITE,
    )
    built = World([], [], factory, hospital)
    events = []
    for m in range(models):
        model = DeviceModelFactory(model_code=f"{prefix}-M{m}")
        built.models.append(model)
        model_lots = [
            LotFactory(device_model=model, number=f"{prefix}{m}-{n:02d}") for n in range(lots)
        ]
        built.lots.append(model_lots)
        for lot in model_lots:
            moment = datetime.combine(SHIPPED_ON, time(2), tzinfo=UTC)
            events.append(
                TraceEvent(
                    event_id=f"ship-{lot.number}",
                    event_type="shipped",
                    event_time=moment,
                    lot=lot,
                    quantity=units,
                    from_location=factory,
                    to_location=hospital,
                    document_ref=f"DN-{lot.number}",
                )
            )
    TraceEvent.objects.bulk_create(events)
    return built


def complaints_add(lot: Lot, days_before: Sequence[int], *, as_of: date = AS_OF) -> list[Complaint]:
    """One complaint about ``lot`` per entry, made known that many days before ``as_of``."""
    first = Complaint.objects.count()
    rows = [
        Complaint(
            number=f"CMP-EW-{first + i:05d}",
            channel=Channel.EMAIL,
            description="Leak at the hub",
            device_model=lot.device_model,
            lot=lot,
            resolution=Resolution.RESOLVED,
            aware_at=datetime.combine(as_of - timedelta(days=d), time(3), tzinfo=UTC),
        )
        for i, d in enumerate(days_before)
    ]
    return Complaint.objects.bulk_create(rows)


def background(built: World, per_lot: Mapping[int, int] | None = None) -> None:
    """The baseline: two complaints per lot spread over the window (or ``per_lot[i]``)."""
    for lots in built.lots:
        for i, lot in enumerate(lots):
            n = (per_lot or {}).get(i, 2)
            complaints_add(lot, [30 + 120 * k + 7 * i for k in range(n)])


def recall_frozen_on(signal: Signal, manager: User, lot: Lot, units: int = 500) -> RecallCase:
    """A recall of the signal's device model whose frozen scope holds ``units`` of ``lot`` at
    the hospital EW-H."""
    recall = recall_open(
        actor=manager, title="Leak", products=[signal.device_model], reason="Leak at the hub"
    )
    snapshot = ScopeSnapshot.objects.create(
        recall=recall, sequence=1, created_by=manager, total_units=units, total_holders=1
    )
    hospital = Party.objects.get(code="EW-H")
    AffectedLine.objects.create(
        snapshot=snapshot,
        lot=lot,
        location=hospital.locations.get(),
        party=hospital,
        on_hand=units,
        category=Category.AT_CUSTOMERS,
    )
    return recall
