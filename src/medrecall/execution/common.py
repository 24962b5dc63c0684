"""Small shared pieces: which locations are ours (document numbers: ``core/numbering.py``).

*Ours*: a location whose party is of type ``own_site`` (the same rule the recall scope uses
for "own stock"). *Quarantine*: one of our locations with location type ``quarantine``; each
site can have its own.
"""

from __future__ import annotations

from django.db.models import QuerySet

from medrecall.parties.models import Location, LocationType, PartyType


def own_locations() -> QuerySet[Location]:
    return Location.objects.filter(party__party_type=PartyType.OWN_SITE, is_active=True)


def quarantine_locations() -> QuerySet[Location]:
    return own_locations().filter(location_type=LocationType.QUARANTINE).order_by("code")


def is_ours(location: Location) -> bool:
    return location.party.party_type == PartyType.OWN_SITE


def is_quarantine(location: Location) -> bool:
    return is_ours(location) and location.location_type == LocationType.QUARANTINE
