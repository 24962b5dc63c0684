"""Imports of parties, locations (the "locations" template also creates their party and a
contact) and contacts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from medrecall.audit import services as audit
from medrecall.core.importing import (
    Applied,
    Problems,
    RowProblem,
    TableImporter,
    by_row,
    choice,
    parse_bool,
    parse_decimal,
    repeated,
    required,
    upsert,
)
from medrecall.core.regions import country_code, subdivision_code
from medrecall.core.tabular import Columns, SourceRow
from medrecall.core.types import ActorOrSystem

from .models import Channel, Contact, Language, Location, LocationType, Party, PartyType

PARTY_TYPE_ALIASES = {
    "own": "own_site",
    "own site": "own_site",
    "manufacturer": "own_site",
    "site": "own_site",
    "factory": "own_site",
    "sub_distributor": "distributor",
    "subdistributor": "distributor",
    "sub-distributor": "distributor",
    "wholesaler": "distributor",
    "dealer": "distributor",
    "经销商": "distributor",
    "clinic": "hospital",
    "医院": "hospital",
    "end user": "end_user",
    "patient": "end_user",
    "service partner": "service_partner",
    "service": "service_partner",
    "供应商": "supplier",
    "承运商": "carrier",
}
LOCATION_TYPE_ALIASES = {
    "distributor": "distributor_stock",
    "stock": "distributor_stock",
    "distributor stock": "distributor_stock",
    "hospital": "customer_site",
    "customer": "customer_site",
    "site": "customer_site",
    "customer site": "customer_site",
    "dc": "warehouse",
    "仓库": "warehouse",
    "隔离区": "quarantine",
}
LANGUAGE_ALIASES = {
    "zh": "zh-hans",
    "zh-cn": "zh-hans",
    "zh_cn": "zh-hans",
    "zh-hans": "zh-hans",
    "chinese": "zh-hans",
    "中文": "zh-hans",
    "cn": "zh-hans",
    "english": "en",
    "en-us": "en",
    "en-gb": "en",
    "英文": "en",
}
CHANNEL_ALIASES = {
    "e-mail": "email",
    "mail": "email",
    "邮件": "email",
    "电话": "phone",
    "telephone": "phone",
    "post": "letter",
    "信函": "letter",
}


@dataclass(frozen=True, slots=True)
class Place:
    country: str
    province: str
    province_code: str
    city: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None


def parse_place(
    row: SourceRow, problems: list[tuple[str, str, str]], *, country_required: bool
) -> Place:
    v = row.values
    country_text = v.get("country", "")
    country = country_code(country_text) if country_text else ""
    if country_text and not country:
        problems.append(
            (
                "country",
                "country",
                _("%(value)s is not a known country (use an ISO code such as CN or US).")
                % {"value": country_text},
            )
        )
    elif country_required and not country_text:
        problems.append(
            ("country", "required", _("%(column)s is required.") % {"column": "country"})
        )
    province = v.get("province", "")
    return Place(
        country=country or "",
        province=province[:100],
        province_code=subdivision_code(country or "", province),
        city=v.get("city", "")[:100],
        address=v.get("address", "")[:255],
        latitude=parse_decimal(v.get("latitude", ""), "latitude", problems, -90, 90),
        longitude=parse_decimal(v.get("longitude", ""), "longitude", problems, -180, 180),
    )


def language_cell(
    row: SourceRow, problems: list[tuple[str, str, str]], default: str = "zh-hans"
) -> str:
    value = row.values.get("language", "")
    return (
        choice(value, "language", Language.values, problems, LANGUAGE_ALIASES) if value else default
    )


@dataclass(frozen=True, slots=True)
class PartyRecord:
    code: str
    name: str
    party_type: str
    name_en: str
    language: str
    preferred_channel: str
    place: Place
    address_en: str = ""


PLACE_FIELDS = ("country", "province", "province_code", "city", "address", "latitude", "longitude")
"""Where a party or location is: ``Place``'s fields, written to both."""
PARTY_FIELDS = (
    "name",
    "party_type",
    "name_en",
    "language",
    "preferred_channel",
    *PLACE_FIELDS,
    "address_en",
)


def _place_values(place: Place) -> dict[str, Any]:
    return {name: getattr(place, name) for name in PLACE_FIELDS}


def _party_values(record: PartyRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "party_type": record.party_type,
        "name_en": record.name_en,
        "language": record.language,
        "preferred_channel": record.preferred_channel,
        **_place_values(record.place),
        "address_en": record.address_en,
    }


def upsert_parties(
    records: list[PartyRecord], *, actor: ActorOrSystem, source: str, fill_only: bool = False
) -> Applied:
    """Create or update parties by code. ``fill_only``: only create, never overwrite (used when
    a locations file names a party that already exists)."""
    existing = {p.code: p for p in Party.objects.filter(code__in={r.code for r in records})}
    done = upsert(
        Party,
        existing,
        (
            (record.code, {"code": record.code, **_party_values(record)})
            for record in {r.code: r for r in records}.values()
        ),
        fields=PARTY_FIELDS,
        keep=lambda value: value not in ("", None),
        update=not fill_only,
        batch_size=1000,
    )
    if done.wrote:
        audit.record(
            actor=actor,
            action="parties.parties_imported",
            target_type="parties.party",
            target_id="*",
            target_label=source,
            changes=done.changes(lambda party: party.code),
        )
    return done.applied


def _party_cells(row: SourceRow, problems: list[tuple[str, str, str]]) -> tuple[str, str, str]:
    """(code, name, type) of the party a row names; both templates require all three."""
    return (
        required(row, "party_code", problems),
        required(row, "party_name", problems),
        choice(
            required(row, "party_type", problems),
            "party_type",
            PartyType.values,
            problems,
            PARTY_TYPE_ALIASES,
        ),
    )


class PartyImporter(TableImporter[PartyRecord]):
    kind = "parties"
    max_lengths = {"party_code": 64, "party_name": 255, "name_en": 255, "address_en": 255}
    columns = Columns(
        required=("party_code", "party_name", "party_type"),
        optional=(
            "name_en",
            "country",
            "province",
            "city",
            "address",
            "latitude",
            "longitude",
            "language",
            "preferred_channel",
            # Added after the template's first columns: files without it import as before.
            "address_en",
        ),
    )

    def parse_row(self, row: SourceRow) -> PartyRecord:
        problems: list[tuple[str, str, str]] = []
        code, name, party_type = _party_cells(row, problems)
        record = PartyRecord(
            code=code,
            name=name,
            party_type=party_type,
            name_en=row.values.get("name_en", ""),
            language=language_cell(row, problems),
            preferred_channel=choice(
                row.values.get("preferred_channel", "") or "email",
                "preferred_channel",
                Channel.values,
                problems,
                CHANNEL_ALIASES,
            ),
            place=parse_place(row, problems, country_required=False),
            address_en=row.values.get("address_en", "")[:255],
        )
        if problems:
            raise RowProblem(*problems)
        return record

    def check(self, records: list[tuple[int, PartyRecord]]) -> Problems:
        return repeated(
            records,
            lambda r: r.code,
            "party_code",
            lambda r: _("Party %(code)s appears more than once in the file.") % {"code": r.code},
        )

    def apply(self, records: list[PartyRecord], *, actor: ActorOrSystem) -> Applied:
        return upsert_parties(records, actor=actor, source=self.kind)


@dataclass(frozen=True, slots=True)
class LocationRecord:
    code: str
    name: str
    location_type: str
    party: PartyRecord
    contact_name: str
    contact_email: str
    contact_phone: str


LOCATION_FIELDS = ("name", "location_type", *PLACE_FIELDS)
"""What a locations file updates of a recorded location (never its party)."""


def _location_values(record: LocationRecord, party_id: int) -> dict[str, Any]:
    return {
        "code": record.code,
        "name": record.name,
        "location_type": record.location_type,
        "party_id": party_id,
        **_place_values(record.party.place),
    }


class LocationImporter(TableImporter[LocationRecord]):
    kind = "locations"
    max_lengths = {
        "location_code": 64,
        "location_name": 255,
        "party_code": 64,
        "party_name": 255,
        "contact_email": 254,
    }
    columns = Columns(
        required=(
            "location_code",
            "location_name",
            "location_type",
            "party_code",
            "party_name",
            "party_type",
            "country",
            "province",
            "city",
        ),
        optional=(
            "address",
            "latitude",
            "longitude",
            "contact_name",
            "contact_email",
            "contact_phone",
            "language",
        ),
    )

    def parse_row(self, row: SourceRow) -> LocationRecord:
        problems: list[tuple[str, str, str]] = []
        v = row.values
        place = parse_place(row, problems, country_required=True)
        required(row, "city", problems)  # a province may be absent (city states); a city may not
        code, name, party_type = _party_cells(row, problems)
        party = PartyRecord(
            code=code,
            name=name,
            party_type=party_type,
            name_en="",
            language=language_cell(row, problems),
            preferred_channel=Channel.EMAIL,
            place=place,
        )
        email = v.get("contact_email", "")
        if email and ("@" not in email or " " in email.strip()):
            problems.append(
                (
                    "contact_email",
                    "email",
                    _("%(value)s is not an e-mail address.") % {"value": email},
                )
            )
        if (email or v.get("contact_phone")) and not v.get("contact_name"):
            problems.append(
                ("contact_name", "required", _("A contact e-mail or phone needs a contact_name."))
            )
        record = LocationRecord(
            code=required(row, "location_code", problems),
            name=required(row, "location_name", problems),
            location_type=choice(
                required(row, "location_type", problems),
                "location_type",
                LocationType.values,
                problems,
                LOCATION_TYPE_ALIASES,
            ),
            party=party,
            contact_name=v.get("contact_name", "")[:150],
            contact_email=email,
            contact_phone=v.get("contact_phone", "")[:50],
        )
        if problems:
            raise RowProblem(*problems)
        return record

    def check(self, records: list[tuple[int, LocationRecord]]) -> Problems:
        owners = dict(
            Location.objects.filter(code__in={r.code for _n, r in records}).values_list(
                "code", "party__code"
            )
        )
        return by_row(
            repeated(
                records,
                lambda r: r.code,
                "location_code",
                lambda r: (
                    _("Location %(code)s appears more than once in the file.") % {"code": r.code}
                ),
            ),
            [
                (
                    n,
                    "party_code",
                    "conflict",
                    _("Location %(code)s belongs to party %(party)s.")
                    % {"code": r.code, "party": owner},
                )
                for n, r in records
                if (owner := owners.get(r.code)) and owner != r.party.code
            ],
        )

    def apply(self, records: list[LocationRecord], *, actor: ActorOrSystem) -> Applied:
        upsert_parties([r.party for r in records], actor=actor, source=self.kind, fill_only=True)
        parties = dict(
            Party.objects.filter(code__in={r.party.code for r in records}).values_list("code", "pk")
        )
        existing = {
            loc.code: loc for loc in Location.objects.filter(code__in={r.code for r in records})
        }
        done = upsert(
            Location,
            existing,
            ((r.code, _location_values(r, parties[r.party.code])) for r in records),
            fields=LOCATION_FIELDS,
            batch_size=1000,
        )
        contacts = {(parties[r.party.code], r.contact_name): r for r in records if r.contact_name}
        if contacts:
            known = set(
                Contact.objects.filter(party_id__in={k[0] for k in contacts}).values_list(
                    "party_id", "name"
                )
            )
            Contact.objects.bulk_create(
                [
                    Contact(
                        party_id=pid,
                        name=name,
                        email=r.contact_email,
                        phone=r.contact_phone,
                        language=r.party.language,
                        preferred_channel=Channel.EMAIL if r.contact_email else Channel.PHONE,
                    )
                    for (pid, name), r in contacts.items()
                    if (pid, name) not in known
                ]
            )
        if done.wrote:
            audit.record(
                actor=actor,
                action="parties.locations_imported",
                target_type="parties.location",
                target_id="*",
                target_label=self.kind,
                changes=done.changes(lambda location: location.code),
            )
        return done.applied


@dataclass(frozen=True, slots=True)
class ContactRecord:
    party_code: str
    name: str
    title: str
    email: str
    phone: str
    preferred_channel: str
    language: str
    is_primary: bool


class ContactImporter(TableImporter[ContactRecord]):
    kind = "contacts"
    max_lengths = {"party_code": 64, "email": 254}
    columns = Columns(
        required=("party_code", "contact_name"),
        optional=("title", "email", "phone", "preferred_channel", "language", "is_primary"),
    )

    def parse_row(self, row: SourceRow) -> ContactRecord:
        problems: list[tuple[str, str, str]] = []
        v = row.values
        email = v.get("email", "")
        if email and ("@" not in email or " " in email):
            problems.append(
                ("email", "email", _("%(value)s is not an e-mail address.") % {"value": email})
            )
        if not email and not v.get("phone"):
            problems.append(
                ("email", "required", _("A contact needs an e-mail address or a phone number."))
            )
        record = ContactRecord(
            party_code=required(row, "party_code", problems),
            name=required(row, "contact_name", problems)[:150],
            title=v.get("title", "")[:150],
            email=email,
            phone=v.get("phone", "")[:50],
            preferred_channel=choice(
                v.get("preferred_channel", "") or ("email" if email else "phone"),
                "preferred_channel",
                Channel.values,
                problems,
                CHANNEL_ALIASES,
            ),
            language=language_cell(row, problems),
            is_primary=parse_bool(v.get("is_primary", ""), "is_primary", problems),
        )
        if problems:
            raise RowProblem(*problems)
        return record

    def check(self, records: list[tuple[int, ContactRecord]]) -> Problems:
        known = set(
            Party.objects.filter(code__in={r.party_code for _n, r in records}).values_list(
                "code", flat=True
            )
        )
        return by_row(
            [
                (
                    n,
                    "party_code",
                    "unknown_party",
                    _("No party has code %(code)s.") % {"code": r.party_code},
                )
                for n, r in records
                if r.party_code not in known
            ],
            repeated(
                records,
                lambda r: (r.party_code, r.name),
                "contact_name",
                lambda r: (
                    _("Contact %(name)s appears more than once for this party.") % {"name": r.name}
                ),
            ),
        )

    def apply(self, records: list[ContactRecord], *, actor: ActorOrSystem) -> Applied:
        parties = dict(
            Party.objects.filter(code__in={r.party_code for r in records}).values_list("code", "pk")
        )
        existing = {
            (c.party_id, c.name): c for c in Contact.objects.filter(party_id__in=parties.values())
        }
        fields = ["title", "email", "phone", "preferred_channel", "language", "is_primary"]
        done = upsert(
            Contact,
            existing,
            (
                (
                    (parties[r.party_code], r.name),
                    {
                        "party_id": parties[r.party_code],
                        "name": r.name,
                        **{f: getattr(r, f) for f in fields},
                    },
                )
                for r in records
            ),
            fields=fields,
        )
        if done.wrote:
            audit.record(
                actor=actor,
                action="parties.contacts_imported",
                target_type="parties.contact",
                target_id="*",
                target_label=self.kind,
                changes=done.changes(),
            )
        return done.applied
