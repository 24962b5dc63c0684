"""Demo complaints the early-warning detection flags, so that a new user finds a real signal on
the signals page rather than an empty list.

The complaints are entered through the product's own service (customer service, by e-mail):
ten about one lot of the device model with the most lots in the field, made known over the last
eight weeks, and two about other lots of that model earlier in the year. Then the detection runs
(``signals_detect``): the lot's signal is the detector's finding on these data, not a row written
here. A rerun finds the complaints by their references and adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from medrecall.accounts.models import User
from medrecall.catalog.models import Lot
from medrecall.parties.models import Party, PartyType
from medrecall.quality import complaints, signal_services, signals
from medrecall.quality.models import Channel, Complaint, Signal, SignalKind
from medrecall.traceability.models import TraceEvent

REFERENCE = "DEMO-EW-{n:02d}"
PROBLEM_DAYS = (4, 9, 13, 18, 24, 29, 35, 41, 47, 54)  # days before today, the problem lot
BACKGROUND_DAYS = (150, 230)  # days before today, one other lot each
DESCRIPTION = "Leak at the connector after priming (demo complaint)."


@dataclass(frozen=True)
class DemoSignals:
    lot: str  # the lot the complaints are about ("" when the demo has no lots in the field)
    complaints: int  # complaints created by this run
    signals: int  # lot signals active after the detection run


def _problem_lot(as_of: date) -> tuple[Lot, list[Lot]] | None:
    """A lot of the device model with the most lots in the field, with a share of the model's
    exposure small enough for ten complaints to stand out, and the model's other lots."""
    limits = signals.Thresholds.of(signals.policy())
    panel, _rows = signals.panel_load(as_of=as_of, weeks=limits.window_weeks)
    exposure = panel.units.sum(axis=1)
    models = np.asarray(panel.lot_models)
    best: list[int] = []
    for model in sorted(set(panel.lot_models)):
        rows = [
            int(r)
            for r in np.flatnonzero(models == model)
            if panel.units[r, -1] >= limits.min_units
        ]
        if len(rows) > len(best):
            best = rows
    if len(best) < 4:
        return None
    best.sort(key=lambda r: (float(exposure[r]), panel.lot_ids[r]))
    chosen = best[len(best) // 2]  # the median lot: not the smallest, not the largest
    lots = Lot.objects.select_related("device_model").in_bulk([panel.lot_ids[r] for r in best])
    others = [lots[panel.lot_ids[r]] for r in best if r != chosen]
    return lots[panel.lot_ids[chosen]], others


def _holder_of(lot: Lot) -> Party | None:
    """A hospital the trace shows the lot reaching (the first by code), so that the demo's
    complaints come from where the units are, never flagged "lot not shipped to this holder";
    any hospital when the lot reached none."""
    shipped_to = TraceEvent.objects.filter(
        lot=lot, retracted=False, to_location__party__party_type=PartyType.HOSPITAL
    ).values("to_location__party_id")
    hospitals = Party.objects.filter(party_type=PartyType.HOSPITAL).order_by("code")
    return hospitals.filter(pk__in=shipped_to).first() or hospitals.first()


@transaction.atomic
def demo_signals_build() -> DemoSignals:
    """The demo's complaints and the detection run over them (once)."""
    if Complaint.objects.filter(reference=REFERENCE.format(n=1)).exists():
        found = Complaint.objects.filter(reference=REFERENCE.format(n=1)).first()
        active = Signal.objects.filter(kind=SignalKind.LOT, active=True).count()
        return DemoSignals(found.lot_text if found else "", 0, active)
    now = timezone.now()
    picked = _problem_lot(timezone.localtime(now).date())
    if picked is None:
        return DemoSignals("", 0, 0)
    lot, others = picked
    actor = User.objects.get(username="customer_service")
    entries = [(lot, d) for d in PROBLEM_DAYS] + list(zip(others, BACKGROUND_DAYS, strict=False))
    holders = {about.pk: _holder_of(about) for about, _days in entries}
    for n, (about, days) in enumerate(entries, start=1):
        complaints.complaint_receive(
            actor=actor,
            channel=Channel.EMAIL,
            description=DESCRIPTION,
            aware_at=now - timedelta(days=days),
            holder=holders[about.pk],
            reference=REFERENCE.format(n=n),
            unit=complaints.UnitGiven(gtin=about.device_model.udi_di, lot=about.number),
            malfunction=True,
        )
    signal_services.signals_detect(actor="medrecall demo")
    active = Signal.objects.filter(kind=SignalKind.LOT, active=True).count()
    return DemoSignals(lot.number, len(entries), active)
