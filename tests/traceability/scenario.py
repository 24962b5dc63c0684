"""A small distribution network and helpers to import events as CSV text."""

from __future__ import annotations

from pathlib import Path

from medrecall.catalog.models import DeviceModel
from medrecall.core.importing import ImportOutcome
from medrecall.traceability.importing.events import EventImporter
from tests.factories import DeviceModelFactory, LocationFactory, PartyFactory

HEADER = "event_id,event_type,event_time,gtin,lot,serial,quantity,from_location,to_location,document_ref,manufactured,expiry,into_gtin,into_lot\n"


def network() -> dict[str, object]:
    """Factory (own) → distributor → sub-distributor → hospital, plus a second hospital."""
    own = PartyFactory(code="OWN", party_type="own_site")
    dist = PartyFactory(code="DIST", party_type="distributor")
    sub = PartyFactory(code="SUB", party_type="distributor")
    hosp = PartyFactory(code="HOSP", party_type="hospital")
    hosp2 = PartyFactory(code="HOSP2", party_type="hospital")
    for code, party, kind in (
        ("FAC", own, "warehouse"),
        ("QUAR", own, "quarantine"),
        ("D1", dist, "distributor_stock"),
        ("S1", sub, "distributor_stock"),
        ("H1", hosp, "customer_site"),
        ("H2", hosp2, "customer_site"),
    ):
        LocationFactory(code=code, party=party, location_type=kind)
    catheter = DeviceModelFactory(udi_di="06950000000019", model_code="CATH", tracking="lot")
    pump = DeviceModelFactory(udi_di="06950000000026", model_code="PUMP", tracking="serial")
    tubing = DeviceModelFactory(udi_di="06950000000033", model_code="TUBE", tracking="lot")
    return {"catheter": catheter, "pump": pump, "tubing": tubing}


def run_events(tmp_path: Path, lines: str, name: str = "events.csv") -> ImportOutcome:
    path = tmp_path / name
    path.write_text(HEADER + lines, encoding="utf-8")
    return EventImporter().run(path, file_name=name)


CATH = "06950000000019"
PUMP = "06950000000026"
TUBE = "06950000000033"


def gtin_of(model: DeviceModel) -> str:
    return model.udi_di
