"""Reads of parties, contacts and locations, scoped to the viewer.

Portal users (``viewer.party_id`` set) see their own party and nothing else; staff see
everything their role may view. Missing and forbidden rows look the same: not found.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from medrecall.core.errors import NotFound
from medrecall.core.types import Viewer

from .models import Contact, Location, Party


def _search(queryset: QuerySet[Any], text: str, fields: tuple[str, ...]) -> QuerySet[Any]:
    if not text:
        return queryset
    query = Q()
    for field in fields:
        query |= Q(**{f"{field}__icontains": text})
    return queryset.filter(query)


def party_list_for(*, viewer: Viewer, search: str = "", party_type: str = "") -> QuerySet[Party]:
    parties = Party.objects.all()
    if viewer.party_id is not None:
        parties = parties.filter(pk=viewer.party_id)
    if party_type:
        parties = parties.filter(party_type=party_type)
    found: QuerySet[Party] = _search(parties, search, ("code", "name", "name_en", "city", "province"))
    return found.annotate(
        location_count=Count("locations", distinct=True)
    ).order_by("code")


def party_get_for(*, viewer: Viewer, pk: int) -> Party:
    party = Party.objects.filter(pk=pk)
    if viewer.party_id is not None:
        party = party.filter(pk=viewer.party_id)
    found = party.first()
    if found is None:
        raise NotFound(_("Party not found."))
    return found


def location_list_for(*, viewer: Viewer, search: str = "", party_id: int | None = None) -> QuerySet[Location]:
    locations = Location.objects.select_related("party")
    if viewer.party_id is not None:
        locations = locations.filter(party_id=viewer.party_id)
    if party_id is not None:
        locations = locations.filter(party_id=party_id)
    return _search(locations, search, ("code", "name", "city", "province", "party__name", "party__code"))


def location_get_for(*, viewer: Viewer, pk: int) -> Location:
    found = location_list_for(viewer=viewer).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Location not found."))
    return found


def contact_list_for(*, viewer: Viewer, search: str = "", party_id: int | None = None) -> QuerySet[Contact]:
    contacts = Contact.objects.select_related("party")
    if viewer.party_id is not None:
        contacts = contacts.filter(party_id=viewer.party_id)
    if party_id is not None:
        contacts = contacts.filter(party_id=party_id)
    return _search(contacts, search, ("name", "email", "phone", "party__name", "party__code"))


def contact_get_for(*, viewer: Viewer, pk: int) -> Contact:
    found = contact_list_for(viewer=viewer).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Contact not found."))
    return found
