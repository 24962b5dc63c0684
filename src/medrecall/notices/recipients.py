"""Who gets which notice: each holder's affected lines (frozen scope plus reported
sub-consignees), one recipient per contact on the channel it prefers, the regime whose notice a
holder's country gets, and the recall's urgency (its strictest class).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from medrecall.parties.models import Channel, Contact, Party, PartyType
from medrecall.recalls.models import AffectedLine, Category, RecallCase

from .errors import RecallWithoutRegime, ScopeNotFrozen
from .models import (
    SubConsignee,
)

EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
        "CH",
        "TR",
    ]
)


# The official language of a country where a standard template exists in it (German and
# French FSNs ship approved, ``defaults``): what a holder there reads when neither its contact
# nor the party records a language.
NATIONAL_LANGUAGES = {"AT": "de", "DE": "de", "LI": "de", "FR": "fr", "LU": "fr", "CN": "zh-hans"}


def reader_language(contact_language: str, party_language: str, country: str) -> str:
    """The language a notice goes out in (docs/notices.md): the contact's language if set,
    else the party's, else the country's official language among those with a template,
    else English."""
    return contact_language or party_language or NATIONAL_LANGUAGES.get(country, "en")


def urgency(recall: RecallCase) -> str:
    """The strictest class across the recall's regimes: I, II or III (an EU FSCA alone counts as II)."""
    classes = {r.recall_class for r in recall.regimes.all() if r.recall_class}
    if "I" in classes:
        return "I"
    if "II" in classes or "fsca" in classes:
        return "II"
    return "III"


def regime_for(recall: RecallCase, country: str) -> str:
    """The regime whose notice a holder in ``country`` gets, among the recall's regimes."""
    return regime_among([r.regime for r in recall.regimes.all()], country)


def regime_of_country(country: str) -> str:
    """The regime a country falls under (NMPA: China, FDA: the United States, EU MDR: the EEA,
    Switzerland and Turkey), or "" for any other country."""
    if country == "CN":
        return "nmpa"
    if country == "US":
        return "fda"
    return "eu_mdr" if country in EU_COUNTRIES else ""


def regime_covering(regimes: list[str], country: str) -> str:
    """The recall's regime that ``country`` falls under, or "" when it falls under none of
    ``regimes`` (a holder in Singapore on an NMPA recall): no regulator's clock applies to it.
    What notify-by and the "owed to FDA" rule count by; never a fallback."""
    found = regime_of_country(country)
    return found if found in regimes else ""


def regime_among(regimes: list[str], country: str) -> str:
    """``regime_for`` over a list of regimes already read (no query): the regime covering the
    country, else (for the notice's words only) the first of the recall's regimes."""
    if preferred := regime_covering(regimes, country):
        return preferred
    for regime in ("nmpa", "fda", "eu_mdr"):
        if regime in regimes:
            return regime
    raise RecallWithoutRegime(_("The recall has no regime, so there is no notice template to use."))


# What a notice line says about a lot or serial at a holder's location. The device name in
# both languages ("model" Chinese, "model_en" English): each output prints the reader's
# (catalog.models.device_name).
LINE_FIELDS = (
    "party_id",
    "lot_id",
    "serial_id",
    "location_id",
    "lot__number",
    "lot__device_model__name",
    "lot__device_model__name_en",
    "lot__device_model__udi_di",
    "serial__serial",
    "location__name",
    # What an NMPA notice prints on every line (型号规格, 注册证编号, 生产日期, 失效日期).
    "lot__device_model__model_code",
    "lot__device_model__registration_no",
    "lot__manufactured_on",
    "serial__manufactured_on",
    "lot__expires_on",
)


def holder_lines(
    recall: RecallCase, party_ids: Iterable[int] | None = None
) -> dict[int, list[dict[str, Any]]]:
    """Each holder's affected lines: from the frozen scope (outside our own sites) plus the
    sub-consignees reported in replies, in one query each."""
    snapshot = recall.current_snapshot
    if snapshot is None:
        raise ScopeNotFrozen(_("Freeze the scope before sending notices."), where="scope")
    frozen = AffectedLine.objects.filter(snapshot=snapshot).exclude(
        category__in=(Category.OWN_STOCK, Category.QUARANTINE, Category.DISPOSITIONED)
    )
    added = SubConsignee.objects.filter(recall=recall)
    if party_ids is not None:
        wanted = set(party_ids)
        frozen, added = frozen.filter(party_id__in=wanted), added.filter(party_id__in=wanted)
    lines: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for *where, on_hand, in_transit, received in frozen.values_list(
        *LINE_FIELDS, "on_hand", "in_transit", "received"
    ).order_by("party_id", "lot_id", "serial_id"):
        held = on_hand + in_transit
        party, line = _line(where, quantity=held, received=max(received, held))
        lines[party].append(line)
    for *where, quantity in added.values_list(*LINE_FIELDS, "quantity"):
        party, line = _line(where, quantity=quantity, received=quantity)
        lines[party].append(line)
    return lines


def _line(values: list[Any], *, quantity: int, received: int) -> tuple[int, dict[str, Any]]:
    """One row of ``LINE_FIELDS`` as the holder and its notice line."""
    party, lot, serial, location, lot_no, model, model_en, udi_di, serial_no, where, *nmpa = values
    model_code, registration_no, lot_made, serial_made, expires = nmpa
    made = serial_made or lot_made
    return party, {
        "lot_id": lot,
        "serial_id": serial,
        "location_id": location,
        "lot": lot_no,
        "model": model,
        "model_en": model_en,
        "udi_di": udi_di,
        "serial": serial_no or "",
        "location": where,
        "quantity": quantity,
        "received": received,
        "model_code": model_code,
        "registration_no": registration_no,
        "manufactured_on": made.isoformat() if made else "",
        "expires_on": expires.isoformat() if expires else "",
    }


@dataclass(frozen=True)
class Recipient:
    party_id: int
    contact_id: int | None
    email: str
    channel: str
    language: str
    country: str

    @property
    def key(self) -> str:
        return f"{self.party_id}:{self.contact_id or 0}"


def recipients(party_ids: Iterable[int]) -> list[Recipient]:
    """One recipient per contact of each holder (e-mail where they have an address); a holder
    without any gets one letter or call to its address, as it prefers."""
    parties = {
        p.pk: p
        for p in Party.objects.filter(pk__in=list(party_ids)).exclude(party_type=PartyType.OWN_SITE)
    }
    contacts: dict[int, list[Contact]] = defaultdict(list)
    for contact in Contact.objects.filter(party_id__in=parties).order_by("-is_primary", "pk"):
        contacts[contact.party_id].append(contact)
    found = []
    for party_id, party in sorted(parties.items()):
        with_email = [
            c for c in contacts[party_id] if c.email and c.preferred_channel != Channel.LETTER
        ]
        if with_email:
            found += [
                Recipient(
                    party_id,
                    c.pk,
                    c.email,
                    Channel.EMAIL,
                    reader_language(c.language, party.language, party.country),
                    party.country,
                )
                for c in with_email
            ]
            continue
        first = contacts[party_id][0] if contacts[party_id] else None
        channel = (
            Channel.PHONE
            if (first and first.preferred_channel == Channel.PHONE)
            or (party.preferred_channel == Channel.PHONE)
            else Channel.LETTER
        )
        found.append(
            Recipient(
                party_id,
                first.pk if first else None,
                "",
                channel,
                reader_language(first.language if first else "", party.language, party.country),
                party.country,
            )
        )
    return found
