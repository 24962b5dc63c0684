"""Carriers with rates and service providers for the demo, so that a demo user can authorise a
return and open a work order for any holder of the demo, in China and abroad.

Why here and not in ``execution``: the providers stand on the demo's own parties (the service
partners of ``cli/demo.py``) and are qualified for the demo's device models; a real installation
enters its carriers and providers on their pages (``/data/carrier/``, ``/data/serviceprovider/``).

Every country the demo has holders in gets carriers whose rates cover it, with a transit time
that also serves urgent (Class I / 一级) returns; every such country gets a service provider
qualified for every demo device model and every field action: the demo's service partners
(Shanghai, Chengdu, Los Angeles) and, where no partner works, one of our own technicians.
Records are matched by natural keys (carrier code, rate region, rule and provider name), so a
rerun adds only what is missing and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit import services as audit
from medrecall.catalog.models import DeviceModel
from medrecall.execution.lifecycle import FieldAction
from medrecall.execution.models import Carrier, CarrierRate, CarrierRule, ServiceProvider
from medrecall.parties.models import Party, PartyType

from .demo import CITIES, FOREIGN_MARKETS, OWN_CODE, PRODUCTS, SERVICE_PARTNERS


@dataclass(frozen=True, slots=True)
class CarrierPlan:
    code: str
    name: str
    country: str  # the carrier's home; its party is created there if missing
    max_weight_kg: Decimal | None
    rates: tuple[
        tuple[str, str, Decimal, Decimal, str, int], ...
    ]  # country, province code, base, per kg, currency, days


CARRIERS = (
    CarrierPlan(
        "SF",
        "顺丰速运 SF Express",
        "CN",
        Decimal(100),
        (
            ("CN", "", Decimal(20), Decimal(8), "CNY", 1),
            ("CN", "CN-XZ", Decimal(60), Decimal(16), "CNY", 4),
        ),
    ),
    CarrierPlan(
        "JD",
        "京东物流 JD Logistics",
        "CN",
        Decimal(200),
        (
            ("CN", "", Decimal(15), Decimal(6), "CNY", 2),
            ("CN", "CN-XZ", Decimal(45), Decimal(12), "CNY", 5),
        ),
    ),
    CarrierPlan(
        "DB",
        "德邦快递 Deppon",
        "CN",
        None,
        (
            ("CN", "", Decimal(30), Decimal(2), "CNY", 4),
            ("CN", "CN-XZ", Decimal(90), Decimal(4), "CNY", 7),
        ),
    ),
    CarrierPlan(
        "LSP",
        "Lone Star Parcel",
        "US",
        Decimal(10000),
        (("US", "", Decimal(18), Decimal("2.40"), "USD", 2),),
    ),
    CarrierPlan(
        "RHX",
        "Rheinpaket Express",
        "DE",
        Decimal(10000),
        (("DE", "", Decimal(14), Decimal("1.80"), "EUR", 1),),
    ),
    CarrierPlan(
        "MLC",
        "Merlion Courier",
        "SG",
        Decimal(10000),
        (("SG", "", Decimal(12), Decimal("1.50"), "SGD", 1),),
    ),
)
RULES = (("Tibet: JD Logistics", 10, "CN", "CN-XZ", "JD"),)
PROVIDER_CAPACITY = 20


def demo_countries() -> tuple[str, ...]:
    """Every country the demo has holders in: China and the export markets."""
    return tuple(sorted({"CN", *(CITIES[m.distributor_city].country for m in FOREIGN_MARKETS)}))


def _own_technician_cities() -> tuple[str, ...]:
    """A city per export market without a service partner: where our own technician is based."""
    served = {CITIES[city_key].country for city_key, _name, _name_en in SERVICE_PARTNERS}
    cities: dict[str, str] = {}
    for market in FOREIGN_MARKETS:
        city = CITIES[market.distributor_city]
        if city.country not in served:
            cities.setdefault(city.country, city.key)
    return tuple(cities.values())


@transaction.atomic
def demo_execution_seed() -> dict[str, int]:
    """Create the demo's carriers, rates, rule and service providers that are missing."""
    created = {"carriers": 0, "rates": 0, "rules": 0, "providers": 0}
    carriers = {c.code: c for c in Carrier.objects.filter(code__in=[p.code for p in CARRIERS])}
    for plan in CARRIERS:
        carrier = carriers.get(plan.code)
        if carrier is None:
            party, _new = Party.objects.get_or_create(
                code=f"CARRIER-{plan.code}",
                defaults={
                    "name": plan.name,
                    "name_en": plan.name,
                    "party_type": PartyType.CARRIER,
                    "country": plan.country,
                },
            )
            carrier = carriers[plan.code] = Carrier.objects.create(
                party=party, code=plan.code, name=plan.name, max_weight_kg=plan.max_weight_kg
            )
            created["carriers"] += 1
        for country, province, base, per_kg, currency, days in plan.rates:
            _rate, new = CarrierRate.objects.get_or_create(
                carrier=carrier,
                country=country,
                province_code=province,
                defaults={
                    "base_fee": base,
                    "per_kg": per_kg,
                    "currency": currency,
                    "transit_days": days,
                },
            )
            created["rates"] += int(new)
    for name, priority, country, province, code in RULES:
        _rule, new = CarrierRule.objects.get_or_create(
            name=name,
            defaults={
                "priority": priority,
                "country": country,
                "province_code": province,
                "carrier": carriers[code],
            },
        )
        created["rules"] += int(new)
    created["providers"] = _seed_providers()
    if any(created.values()):
        audit.record(
            actor="medrecall demo",
            action="execution.demo_seeded",
            target_type="demo",
            target_id="execution",
            target_label="demo carriers and service providers",
            changes={k: [0, v] for k, v in created.items() if v},
        )
    return created


def _seed_providers() -> int:
    models = list(DeviceModel.objects.filter(udi_di__in=[p.gtin for p in PRODUCTS]))
    skills = list(FieldAction.values)
    existing = set(ServiceProvider.objects.values_list("name", flat=True))
    partners = {
        p.code: p
        for p in Party.objects.filter(code__in=[f"SP-{key}" for key, _n, _e in SERVICE_PARTNERS])
    }
    wanted: list[dict[str, Any]] = []
    for city_key, _name, _name_en in SERVICE_PARTNERS:
        party = partners.get(f"SP-{city_key}")
        if party is None:  # the demo's parties are not loaded: nothing to stand on
            continue
        city = CITIES[city_key]
        wanted.append(
            {
                "name": party.name,
                "party": party,
                "technician": None,
                "latitude": party.latitude
                if party.latitude is not None
                else Decimal(str(city.latitude)),
                "longitude": party.longitude
                if party.longitude is not None
                else Decimal(str(city.longitude)),
            }
        )
    own = Party.objects.filter(code=OWN_CODE).first()
    technician = User.objects.filter(username=Role.FIELD_SERVICE).first()
    if own is not None:
        for city_key in _own_technician_cities():
            city = CITIES[city_key]
            wanted.append(
                {
                    "name": f"Own field service, {city.city_en}",
                    "party": own,
                    "technician": technician,
                    "latitude": Decimal(str(city.latitude)),
                    "longitude": Decimal(str(city.longitude)),
                }
            )
    count = 0
    for fields in wanted:
        if fields["name"] in existing:
            continue
        provider = ServiceProvider.objects.create(
            skills=skills, capacity=PROVIDER_CAPACITY, **fields
        )
        provider.device_models.set(models)
        count += 1
    return count
