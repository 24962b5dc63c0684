"""Small shared pieces: document numbers and which locations are ours.

*Ours*: a location whose party is of type ``own_site`` (the same rule the recall scope uses
for "own stock"). *Quarantine*: one of our locations with location type ``quarantine``; each
site can have its own.
"""

from __future__ import annotations

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from medrecall.parties.models import Location, LocationType, PartyType


def next_number(model: type[models.Model], prefix: str) -> str:
    """``PREFIX-YYYY-NNNNN``; the unique column refuses a rare clash between two writers."""
    year = timezone.now().year
    manager = model._default_manager
    seq = manager.filter(number__startswith=f"{prefix}-{year}-").count() + 1
    while manager.filter(number=(number := f"{prefix}-{year}-{seq:05d}")).exists():
        seq += 1
    return number


def own_locations() -> QuerySet[Location]:
    return Location.objects.filter(party__party_type=PartyType.OWN_SITE, is_active=True)


def quarantine_locations() -> QuerySet[Location]:
    return own_locations().filter(location_type=LocationType.QUARANTINE).order_by("code")


def is_ours(location: Location) -> bool:
    return location.party.party_type == PartyType.OWN_SITE


def is_quarantine(location: Location) -> bool:
    return is_ours(location) and location.location_type == LocationType.QUARANTINE
