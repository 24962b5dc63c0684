"""The demo data set: exact volume, valid master data, traceable events, reproducible, idempotent,
and log-ins that work."""

# Chinese names are written with full-width punctuation, which RUF001 flags as confusable.

from __future__ import annotations

import csv
import itertools
import json
from collections import Counter
from dataclasses import asdict, fields
from datetime import date, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.test import Client

from medrecall.accounts.models import User
from medrecall.accounts.roles import ROLE_LABELS, Role
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import DeviceModel, Lot, Serial, TrackingLevel
from medrecall.cli.demo import (
    DEMO_PASSWORD,
    EVENT_FIELDS,
    OWN_FACTORY,
    DemoCounts,
    DemoSummary,
    demo_build,
    demo_chains,
    demo_event_rows,
    demo_events,
    demo_network,
    demo_url,
    write_demo_events,
)
from medrecall.core.gtin import gtin_problem
from medrecall.core.regions import subdivision_code
from medrecall.parties.models import (
    Channel,
    Contact,
    Language,
    Location,
    LocationType,
    Party,
    PartyType,
)
from medrecall.traceability.importing.events import EVENT_COLUMNS, import_event_rows
from medrecall.traceability.models import Position, TraceEvent
from medrecall.traceability.selectors import trace_backward, trace_forward

pytestmark = pytest.mark.django_db

# Derived once from seed 2026; a change to the generator must show up here.
SCALE_ONE = DemoCounts(
    parties=155,
    locations=229,
    contacts=235,
    device_models=6,
    lots=57,
    serials=3916,
    users=13,
    events=27185,
)
MASTER_ONLY = DemoCounts(**{**asdict(SCALE_ONE), "events": 0})
PARTY_TYPES_AT_SCALE_ONE = {
    "own_site": 1,
    "distributor": 21,
    "hospital": 127,
    "service_partner": 3,
    "carrier": 2,
    "supplier": 1,
}


@pytest.fixture
def demo() -> DemoSummary:
    return demo_build(seed=2026, scale=1)


@pytest.fixture
def master() -> DemoSummary:
    """Master data only, for the tests that do not look at events (faster)."""
    return demo_build(seed=2026, scale=1, events=False)


def stored_counts() -> DemoCounts:
    return DemoCounts(
        parties=Party.objects.count(),
        locations=Location.objects.count(),
        contacts=Contact.objects.count(),
        device_models=DeviceModel.objects.count(),
        lots=Lot.objects.count(),
        serials=Serial.objects.count(),
        users=User.objects.count(),
        events=TraceEvent.objects.count(),
    )


def replay(
    rows: list[tuple[str, ...]],
) -> tuple[Counter[tuple[str, str, str]], Counter[tuple[str, str, str, str]]]:
    """Stock per (lot, serial, location) and quantity in transit per shipment, event by event in
    file order, failing on the first balance that would go negative."""
    stock: Counter[tuple[str, str, str]] = Counter()
    transit: Counter[tuple[str, str, str, str]] = Counter()
    for row in rows:
        event = dict(zip(EVENT_FIELDS, row, strict=True))
        kind, lot, serial, quantity = (
            event["event_type"],
            event["lot"],
            event["serial"],
            int(event["quantity"]),
        )
        source, target = (lot, serial, event["from_location"]), (lot, serial, event["to_location"])
        if kind in ("produced", "received", "returned"):
            stock[target] += quantity
        if kind in ("shipped", "consumed", "destroyed", "transformed", "returned"):
            stock[source] -= quantity
            assert stock[source] >= 0, row
        if kind in ("shipped", "received"):
            shipment = (lot, serial, event["to_location"], event["document_ref"])
            transit[shipment] += quantity if kind == "shipped" else -quantity
            assert transit[shipment] >= 0, row
    return stock, transit


def test_scale_one_creates_the_expected_rows(demo: DemoSummary) -> None:
    assert demo.created == SCALE_ONE
    assert demo.planned == SCALE_ONE
    assert stored_counts() == SCALE_ONE
    by_type = dict(Party.objects.values_list("party_type").annotate(n=Count("id")))
    assert by_type == PARTY_TYPES_AT_SCALE_ONE
    assert set(Party.objects.values_list("country", flat=True)) == {"CN", "US", "DE", "SG"}
    provinces = set(
        Party.objects.filter(country="CN", party_type=PartyType.HOSPITAL).values_list(
            "province_code", flat=True
        )
    )
    assert len(provinces) >= 10


def test_device_models_carry_valid_gtins_and_classes(master: DemoSummary) -> None:
    for gtin in DeviceModel.objects.values_list("udi_di", flat=True):
        assert len(gtin) == 14
        assert gtin_problem(gtin) is None, gtin
    pump = DeviceModel.objects.get(udi_di=master.pump.gtin)
    assert (pump.tracking, pump.risk_class_nmpa, pump.risk_class_fda, pump.risk_class_eu) == (
        "serial",
        "II",
        "2",
        "IIb",
    )
    assert pump.registration_no.startswith("苏械注准")
    assert len(pump.registration_no) == 15
    implants = DeviceModel.objects.filter(implantable=True)
    assert [
        (m.tracking, m.risk_class_nmpa, m.risk_class_fda, m.risk_class_eu) for m in implants
    ] == [("serial", "III", "3", "III")]
    assert DeviceModel.objects.filter(tracking=TrackingLevel.LOT, risk_class_nmpa="III").exists()
    assert DeviceModel.objects.filter(tracking=TrackingLevel.LOT, risk_class_eu="IIa").exists()
    assert DeviceModel.objects.filter(tracking=TrackingLevel.SERIAL).count() == 3


def test_every_party_is_coded_placed_and_reachable(master: DemoSummary) -> None:
    for party in Party.objects.all():
        assert party.latitude is not None, party.code
        assert party.longitude is not None, party.code
        assert all((party.city, party.address, party.postal_code)), party.code
        assert party.province_code.startswith(party.country + "-"), party.code
        assert party.province_code == subdivision_code(
            party.country, party.province
        )  # a real ISO 3166-2 code
        if party.country == "CN":
            assert party.province_code.startswith("CN-")
            assert party.language == Language.ZH_HANS
        elif party.country == "DE":  # field safety notices in the Member State's language
            assert party.language == Language.DE
        else:
            assert party.language == Language.EN
    assert not Location.objects.filter(latitude__isnull=True).exists()
    assert not Location.objects.exclude(country__in=["CN", "US", "DE", "SG"]).exists()
    served = (PartyType.DISTRIBUTOR, PartyType.HOSPITAL, PartyType.SERVICE_PARTNER)
    for party in Party.objects.filter(party_type__in=served).annotate(
        sites=Count("locations", distinct=True), people=Count("contacts", distinct=True)
    ):
        assert 1 <= party.sites <= 2, party.code
        assert 1 <= party.people <= 2, party.code
    assert set(
        Location.objects.filter(party__party_type=PartyType.HOSPITAL).values_list(
            "location_type", flat=True
        )
    ) == {LocationType.CUSTOMER_SITE}
    assert set(
        Location.objects.filter(party__party_type=PartyType.DISTRIBUTOR).values_list(
            "location_type", flat=True
        )
    ) == {LocationType.DISTRIBUTOR_STOCK}
    for contact in Contact.objects.select_related("party"):
        assert contact.email.endswith(".example.com"), contact
        assert contact.phone, contact
        assert contact.language == contact.party.language
    channels = set(Contact.objects.values_list("preferred_channel", flat=True))
    assert {Channel.EMAIL, Channel.PHONE, Channel.LETTER} <= channels


def test_own_sites_include_quarantine_and_an_overseas_warehouse(master: DemoSummary) -> None:
    own = Location.objects.filter(party__code="OWN")
    assert sorted(own.values_list("code", "location_type", "province_code")) == [
        ("OWN-SH-DC", "warehouse", "CN-SH"),
        ("OWN-SH-QA", "quarantine", "CN-SH"),
        ("OWN-SUZ-QA", "quarantine", "CN-JS"),
        ("OWN-SUZ-WH", "warehouse", "CN-JS"),
        ("OWN-US-WH", "warehouse", "US-CA"),
    ]
    assert master.own_locations == (
        "OWN-SUZ-WH",
        "OWN-SUZ-QA",
        "OWN-SH-DC",
        "OWN-SH-QA",
        "OWN-US-WH",
    )


def test_lots_and_serials_fit_gs1_and_their_dates(master: DemoSummary) -> None:
    for lot in Lot.objects.select_related("device_model"):
        assert len(lot.number) <= 20
        assert lot.manufactured_on is not None
        assert lot.expires_on is not None
        assert date(2024, 1, 1) <= lot.manufactured_on <= date(2025, 12, 31)
        years = lot.expires_on.year - lot.manufactured_on.year
        assert 2 <= years <= 5, lot
    assert not Serial.objects.filter(device_model__tracking=TrackingLevel.LOT).exists()
    for lot in Lot.objects.filter(device_model__tracking=TrackingLevel.SERIAL).annotate(
        units=Count("serials")
    ):
        assert 20 <= lot.units <= 200
        assert lot.quantity_produced == lot.units
    assert max(len(s) for s in Serial.objects.values_list("serial", flat=True)) <= 20
    assert not Serial.objects.exclude(manufactured_on__isnull=False).exists()


def test_a_second_run_creates_nothing(demo: DemoSummary) -> None:
    entries = AuditEntry.objects.count()
    positions = sorted(
        Position.objects.values_list("lot_id", "serial_id", "location_id", "on_hand", "in_transit")
    )
    again = demo_build(seed=2026, scale=1)
    assert again.created == DemoCounts()
    assert again.planned == SCALE_ONE
    assert stored_counts() == SCALE_ONE
    # One entry for the build, one for the events' import; a rerun imports nothing new.
    assert AuditEntry.objects.count() == entries == 2
    assert AuditEntry.objects.filter(action="cli.demo_built").count() == 1
    assert (
        sorted(
            Position.objects.values_list(
                "lot_id", "serial_id", "location_id", "on_hand", "in_transit"
            )
        )
        == positions
    )


def test_the_same_seed_gives_the_same_records(demo: DemoSummary) -> None:
    parties = sorted(Party.objects.values_list("code", "name", "latitude"))
    lots = sorted(
        Lot.objects.values_list("device_model__udi_di", "number", "expires_on", "quantity_produced")
    )
    serials = sorted(Serial.objects.values_list("serial", flat=True))
    events = sorted(
        TraceEvent.objects.values_list(
            "event_id",
            "event_type",
            "event_time",
            "lot__number",
            "serial__serial",
            "quantity",
            "document_ref",
        )
    )
    TraceEvent.objects.all().delete()
    User.objects.all().delete()
    Serial.objects.all().delete()
    Lot.objects.all().delete()
    DeviceModel.objects.all().delete()
    Location.objects.all().delete()
    Party.objects.all().delete()
    assert stored_counts() == DemoCounts()
    rebuilt = demo_build(seed=2026, scale=1)
    assert rebuilt.created == SCALE_ONE
    assert sorted(Party.objects.values_list("code", "name", "latitude")) == parties
    assert (
        sorted(
            Lot.objects.values_list(
                "device_model__udi_di", "number", "expires_on", "quantity_produced"
            )
        )
        == lots
    )
    assert sorted(Serial.objects.values_list("serial", flat=True)) == serials
    assert (
        sorted(
            TraceEvent.objects.values_list(
                "event_id",
                "event_type",
                "event_time",
                "lot__number",
                "serial__serial",
                "quantity",
                "document_ref",
            )
        )
        == events
    )
    # Anchors that would move if the random streams changed between processes or versions.
    assert (demo.pump.gtin, demo.pump.first_lot, demo.pump.first_serial) == (
        "06951234100018",
        "IP24010001",
        "CHP240001001",
    )
    assert demo.chains[0] == ("OWN-SH-DC", "ND-BJ-W1", "H-BJ-01-S1")


def test_demo_network_is_plain_and_deterministic() -> None:
    network = demo_network(2026, 1)
    assert {type(link) for link in network} == {tuple}
    assert {len(link) for link in network} == {2}
    assert {type(code) for link in network for code in link} == {str}
    assert network == demo_network(2026, 1)
    assert network != demo_network(7, 1)
    assert set(demo_network(2026, 1)) < set(demo_network(2026, 2))


def test_network_runs_our_warehouse_to_distributors_to_hospitals(master: DemoSummary) -> None:
    network = demo_network(2026, 1)
    codes = set(Location.objects.values_list("code", flat=True))
    assert {code for link in network for code in link} <= codes
    suppliers: dict[str, set[str]] = {}
    for source, target in network:
        suppliers.setdefault(target, set()).add(source)
    assert all(len(sources) == 1 for sources in suppliers.values())  # one supplier per holder
    national = {t for s, t in network if s == "OWN-SH-DC" and t.startswith("ND-")}
    subs = {t for s, t in network if s in national and t.startswith("SD-")}
    assert len(national) == 6
    assert len(subs) == 14
    hospitals = [t for _s, t in network if t.startswith("H-")]
    assert len(hospitals) == PARTY_TYPES_AT_SCALE_ONE["hospital"]
    assert {suppliers[h].pop()[:3] for h in hospitals} == {"ND-", "SD-"}
    chains = demo_chains(2026, 1)
    assert master.chains == chains
    assert master.network_links == len(network)
    assert len(chains) == len(hospitals)
    for chain in chains:
        assert all(link in set(network) for link in itertools.pairwise(chain))
    assert ("OWN-SH-DC", "ND-SH-W1", "SD-HZ-W1", "H-HZ-01-S1") in chains
    assert ("OWN-US-WH", "ND-DAL-W1", "H-CHI-01-S1") in chains
    notes = Party.objects.get(code="SD-HZ").notes
    assert "ND-SH" in notes


def test_scale_two_adds_a_second_copy_on_top(demo: DemoSummary) -> None:
    codes = set(Party.objects.values_list("code", flat=True))
    two = demo_build(seed=2026, scale=2)
    for name in ("parties", "locations", "contacts", "lots", "serials"):
        assert getattr(two.planned, name) > getattr(SCALE_ONE, name), name
    assert two.planned.device_models == SCALE_ONE.device_models
    assert stored_counts() == two.planned
    assert {f.name: getattr(two.created, f.name) for f in fields(DemoCounts)} == {
        f.name: getattr(two.planned, f.name) - getattr(SCALE_ONE, f.name)
        for f in fields(DemoCounts)
    }
    assert codes < set(Party.objects.values_list("code", flat=True))
    campus = Party.objects.get(code="H-HZ-01-2")
    assert campus.name == Party.objects.get(code="H-HZ-01").name + "（第2院区）"


def test_each_demo_user_logs_in_with_its_role(master: DemoSummary) -> None:
    usernames = {login.username for login in master.logins}
    assert {role for role in ROLE_LABELS if role != Role.PORTAL} <= usernames
    assert {"admin", "ra_manager", "portal_distributor", "portal_hospital"} <= usernames
    for login in master.logins:
        assert login.password == DEMO_PASSWORD
        assert Client().login(username=login.username, password=login.password), login.username
        user = User.objects.get(username=login.username)
        assert list(user.groups.values_list("name", flat=True)) == [login.role]
        assert user.language in ("zh-hans", "en")
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.groups.filter(name=Role.ADMINISTRATOR).exists()
    distributor = User.objects.get(username="portal_distributor").party
    hospital = User.objects.get(username="portal_hospital").party
    assert distributor is not None
    assert hospital is not None
    assert (distributor.code, distributor.party_type) == ("ND-SH", PartyType.DISTRIBUTOR)
    assert (hospital.code, hospital.party_type) == ("H-HZ-01", PartyType.HOSPITAL)
    assert (
        not User.objects.filter(party__isnull=False)
        .exclude(groups=Group.objects.get(name=Role.PORTAL))
        .exists()
    )
    assert {u.language for u in User.objects.all()} == {"zh-hans", "en"}


def test_the_command_prints_json_with_the_log_ins() -> None:
    out = StringIO()
    call_command("demo", "--json", stdout=out, stderr=StringIO())
    body = json.loads(out.getvalue())
    assert body["created"] == asdict(SCALE_ONE)
    assert {trace["direction"] for trace in body["traces"]} == {"forward", "backward"}
    assert {(row["username"], row["role"], row["password"]) for row in body["logins"]} >= {
        ("qa_ra_manager", "qa_ra_manager", DEMO_PASSWORD),
        ("admin", "administrator", DEMO_PASSWORD),
    }
    assert body["url"] == "http://127.0.0.1:8000/"
    assert body["products"][0]["gtin"] == "06951234100018"


def test_the_command_prints_counts_log_ins_and_the_url() -> None:
    out = StringIO()
    call_command("demo", "--seed", "2026", "--scale", "1", stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "http://127.0.0.1:8000/" in text
    assert "portal_hospital" in text
    assert DEMO_PASSWORD in text
    assert ["serials", str(SCALE_ONE.serials), str(SCALE_ONE.serials)] in [
        line.split() for line in text.splitlines()
    ]
    assert ["events", str(SCALE_ONE.events), str(SCALE_ONE.events)] in [
        line.split() for line in text.splitlines()
    ]
    assert "medrecall trace backward --gtin 06951234100032 --serial " in text


def test_the_command_can_leave_the_events_out() -> None:
    out = StringIO()
    call_command("demo", "--no-events", "--json", stdout=out, stderr=StringIO())
    assert json.loads(out.getvalue())["created"] == asdict(MASTER_ONLY)
    assert not TraceEvent.objects.exists()
    from medrecall.execution.models import Carrier

    assert Carrier.objects.count() == 6  # returns can be authorised in every demo country
    call_command("demo", "--no-events", "--json", stdout=StringIO(), stderr=StringIO())
    assert Carrier.objects.count() == 6


def test_a_scale_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="scale"):
        demo_build(scale=0)
    with pytest.raises(CommandError):
        call_command("demo", "--scale", "0", stdout=StringIO())


# --- events ---------------------------------------------------------------------------------------


def test_events_fill_the_template_and_follow_the_supply_links() -> None:
    rows = list(demo_events(seed=2026, scale=1))
    assert len(rows) == SCALE_ONE.events
    assert set(EVENT_FIELDS) == set(EVENT_COLUMNS.all)
    assert all(tuple(row) == EVENT_FIELDS for row in rows[:10])
    assert len({row["event_id"] for row in rows}) == len(rows)
    assert {row["event_type"] for row in rows} == {
        "produced",
        "shipped",
        "received",
        "installed",
        "consumed",
        "returned",
        "destroyed",
        "transformed",
    }
    for row in rows[::97]:
        moment = datetime.fromisoformat(row["event_time"])
        assert row["event_time"].endswith("+08:00"), row
        assert date(2024, 1, 1) <= moment.date() <= date(2026, 12, 31), row
    links = set(demo_network(2026, 1))
    shipped = [row for row in rows if row["event_type"] == "shipped"]
    assert {(row["from_location"], row["to_location"]) for row in shipped} <= links
    assert all(row["document_ref"].startswith("DN") for row in shipped)
    assert len({row["document_ref"] for row in shipped}) > 100
    assert list(demo_events(seed=2026, scale=1)) == rows
    assert list(demo_events(seed=7, scale=1))[:50] != rows[:50]


def test_production_is_one_row_per_serial_or_one_per_lot(master: DemoSummary) -> None:
    produced: Counter[tuple[str, str]] = Counter()
    for row in demo_events(seed=2026, scale=1):
        if row["event_type"] == "produced":
            produced[(row["gtin"], row["lot"])] += int(row["quantity"])
            assert row["to_location"] in (OWN_FACTORY, "SUP-CZ-W1"), row
            assert (row["serial"] != "") == (
                row["quantity"] == "1" and row["gtin"] != "06958765200019"
            ), row
    lots = {
        (gtin, number): quantity
        for gtin, number, quantity in Lot.objects.values_list(
            "device_model__udi_di", "number", "quantity_produced"
        )
    }
    assert produced == lots
    assert (
        sum(
            1
            for row in demo_events(seed=2026, scale=1)
            if row["event_type"] == "produced" and row["serial"]
        )
        == SCALE_ONE.serials
    )


def test_no_balance_ever_goes_negative() -> None:
    stock, transit = replay(list(demo_event_rows(seed=2026, scale=2)))
    assert sum(transit.values()) > 0  # some shipments are still on their way
    quarantined = sum(
        q for (_lot, _serial, location), q in stock.items() if location.endswith("-QA")
    )
    assert quarantined > 0


def test_a_catheter_lot_accounts_for_every_unit(demo: DemoSummary) -> None:
    catheter = next(p for p in demo.products if p.model_code == "CVC-3L-7F")
    lots = Lot.objects.filter(device_model__udi_di=catheter.gtin)
    assert lots.count() > 3
    for lot in lots:
        trace = trace_forward(gtin=catheter.gtin, lot=lot.number)
        assert sum(trace.summary.values()) == lot.quantity_produced, (lot.number, trace.summary)
        assert trace.summary["at_customers"] + trace.summary["consumed"] > 0
        assert any(holder.location.startswith("H-") for holder in trace.holders)
    example = demo.traces[0]
    assert (example.direction, example.gtin, example.serial) == ("forward", catheter.gtin, "")
    assert trace_forward(gtin=example.gtin, lot=example.lot).total_received > 0


def test_an_implanted_pacemaker_traces_back_to_the_factory(demo: DemoSummary) -> None:
    example = next(t for t in demo.traces if t.direction == "backward")
    assert example.serial
    assert (
        example.command
        == f"medrecall trace backward --gtin {example.gtin} --serial {example.serial}"
    )
    back = trace_backward(gtin=example.gtin, serial=example.serial)
    assert back["holders"][0] == OWN_FACTORY
    assert back["chain"][0]["event_type"] == "produced"
    assert back["chain"][-1]["event_type"] == "consumed"
    assert back["holders"][-1].startswith("H-")
    assert back["current_location"] is None  # implanted
    assert len(back["holders"]) >= 4  # factory, central warehouse, distributor(s), hospital


def test_a_battery_lot_reaches_pump_lots_through_genealogy(demo: DemoSummary) -> None:
    example = next(t for t in demo.traces if "genealogy" in t.purpose)
    trace = trace_forward(gtin=example.gtin, lot=example.lot)
    assert trace.lots[0] == example.lot
    pump_lots = [d["lot"] for d in trace.lot_details if d["gtin"] == demo.pump.gtin]
    assert len(pump_lots) >= 2
    assert trace.summary["transformed"] > 0
    back = trace_backward(gtin=demo.pump.gtin, lot=pump_lots[0])
    assert example.lot in {c["lot"] for c in back["components"]}


def test_more_lots_and_a_row_limit_still_import(master: DemoSummary) -> None:
    assert len(list(demo_event_rows(seed=2026, scale=1, limit=2500))) == 2500
    own = set(Lot.objects.values_list("number", flat=True))
    # Lots beyond the demo's own come in blocks of their own: any prefix of a block is a valid file.
    extra = list(
        itertools.islice(
            (
                row
                for row in demo_event_rows(seed=2026, scale=1, lots_per_model=14)
                if row[4] not in own
            ),
            2500,
        )
    )
    assert len(extra) == 2500
    numbers = {row[4] for row in extra}
    stock, _transit = replay(extra)
    assert stock
    outcome = import_event_rows(
        enumerate((dict(zip(EVENT_FIELDS, row, strict=True)) for row in extra), start=2),
        file_name="more.csv",
        kind="events",
    )
    assert outcome.accepted, outcome.errors[:3]
    assert outcome.created == 2500
    assert Lot.objects.filter(number__in=numbers).count() == len(numbers)


def test_the_fast_csv_reads_back_as_the_same_rows(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    assert write_demo_events(path, seed=2026, scale=1, lots_per_model=3, limit=3000) == 3000
    with path.open(encoding="utf-8", newline="") as source:
        assert list(csv.DictReader(source)) == list(
            demo_events(seed=2026, scale=1, lots_per_model=3, limit=3000)
        )


def test_the_demo_names_the_address_it_is_served_on(settings: Any) -> None:
    settings.MEDRECALL_BASE_URL = "http://127.0.0.1:8765"

    assert demo_url() == "http://127.0.0.1:8765/"


def test_the_demo_complaints_raise_a_lot_signal_found_by_the_detector() -> None:
    from medrecall.quality.models import Complaint, Signal, SignalKind

    out = StringIO()
    call_command("demo", "--json", stdout=out, stderr=StringIO())
    again = StringIO()
    call_command("demo", "--json", stdout=again, stderr=StringIO())

    body = json.loads(out.getvalue())["signals"]
    lot_signal = Signal.objects.select_related("lot").get(kind=SignalKind.LOT)
    assert lot_signal.lot is not None
    assert body == {"lot": lot_signal.lot.number, "complaints": 12, "signals": 1}
    assert lot_signal.complaints_count == 10
    assert lot_signal.complaints.count() == 10
    assert lot_signal.active is True
    assert Complaint.objects.count() == 12
    # From where the units are: none flagged "lot not shipped to this holder".
    assert not Complaint.objects.filter(holder_not_shipped=True).exists()
    assert json.loads(again.getvalue())["signals"]["complaints"] == 0
