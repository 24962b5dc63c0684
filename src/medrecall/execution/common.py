"""Small shared pieces: which locations are ours (document numbers: ``core/numbering.py``).

*Ours*: a location whose party is of type ``own_site`` (the same rule the recall scope uses
for "own stock"). *Quarantine*: one of our locations with location type ``quarantine``; each
site can have its own.
"""

from __future__ import annotations

from django.db.models import QuerySet

from medrecall.core.errors import DomainError
from medrecall.parties.models import Location, LocationType, PartyType
from medrecall.recalls.lifecycle import Action, Status, require_action
from medrecall.recalls.models import RecallCase


def own_locations() -> QuerySet[Location]:
    return Location.objects.filter(party__party_type=PartyType.OWN_SITE, is_active=True)


def quarantine_locations() -> QuerySet[Location]:
    return own_locations().filter(location_type=LocationType.QUARANTINE).order_by("code")


def is_ours(location: Location) -> bool:
    return location.party.party_type == PartyType.OWN_SITE


def is_quarantine(location: Location) -> bool:
    return is_ours(location) and location.location_type == LocationType.QUARANTINE


def recall_locked_in_execution(
    recall: RecallCase,
    action: Action,
    *,
    refused: type[DomainError],
    message: str,
    where: str = "",
) -> RecallCase:
    """Check the recall's status allows ``action``, then lock its row and check it is still in
    execution: one writer per recall at a time (two returns for the same units, two work
    orders). ``message`` (translated, with ``%(status)s``) says why it is refused."""
    require_action(recall, action)
    recall = RecallCase.objects.select_for_update(of=("self",)).get(pk=recall.pk)
    if recall.status != Status.IN_EXECUTION:
        raise refused(message % {"status": recall.get_status_display()}, where=where)
    return recall
