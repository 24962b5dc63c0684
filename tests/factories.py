"""Factories that make valid records (GTINs with correct check digits)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from medrecall.catalog.models import DeviceModel, Lot, Serial, TrackingLevel
from medrecall.core.gtin import gtin_check_digit
from medrecall.parties.models import Contact, Location, LocationType, Party, PartyType


def make_gtin(n: int) -> str:
    body = f"0694000{n:06d}"  # a prefix the hand-written test GTINs (0695…, 0690…) never use
    return body + str(gtin_check_digit(body))


class DeviceModelFactory(DjangoModelFactory[DeviceModel]):
    class Meta:
        model = DeviceModel

    udi_di = factory.Sequence(make_gtin)
    model_code = factory.Sequence(lambda n: f"MODEL-{n:04d}")
    name = factory.Sequence(lambda n: f"输液泵 {n}")
    name_en = factory.Sequence(lambda n: f"Infusion pump {n}")
    tracking = TrackingLevel.LOT
    risk_class_nmpa = "II"


class LotFactory(DjangoModelFactory[Lot]):
    class Meta:
        model = Lot

    device_model = factory.SubFactory(DeviceModelFactory)
    number = factory.Sequence(lambda n: f"L{n:06d}")
    manufactured_on = date(2025, 1, 15)
    expires_on = factory.LazyAttribute(lambda lot: lot.manufactured_on + timedelta(days=730))
    quantity_produced = 1000


class SerialFactory(DjangoModelFactory[Serial]):
    class Meta:
        model = Serial

    lot = factory.SubFactory(LotFactory, device_model__tracking=TrackingLevel.SERIAL)
    device_model = factory.SelfAttribute("lot.device_model")
    serial = factory.Sequence(lambda n: f"SN{n:08d}")


class PartyFactory(DjangoModelFactory[Party]):
    class Meta:
        model = Party

    code = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.Sequence(lambda n: f"经销商 {n}")
    party_type = PartyType.DISTRIBUTOR
    country = "CN"
    province = "广东省"
    province_code = "CN-GD"
    city = "广州市"
    latitude = Decimal("23.129100")
    longitude = Decimal("113.264400")


class LocationFactory(DjangoModelFactory[Location]):
    class Meta:
        model = Location

    code = factory.Sequence(lambda n: f"LOC{n:05d}")
    name = factory.Sequence(lambda n: f"仓库 {n}")
    location_type = LocationType.DISTRIBUTOR_STOCK
    party = factory.SubFactory(PartyFactory)
    country = factory.SelfAttribute("party.country")
    province = factory.SelfAttribute("party.province")
    province_code = factory.SelfAttribute("party.province_code")
    city = factory.SelfAttribute("party.city")


class ContactFactory(DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    party = factory.SubFactory(PartyFactory)
    name = factory.Sequence(lambda n: f"联系人 {n}")
    email = factory.Sequence(lambda n: f"contact{n}@example.cn")
    phone = "+86 20 1234 5678"
