"""Reads of parties, contacts and locations, scoped to the viewer.

Portal users (``viewer.party_id`` set) see their own party and nothing else; staff see
everything their role may view. Missing and forbidden rows look the same: not found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from medrecall.core.errors import NotFound
from medrecall.core.selectors import one_or_not_found
from medrecall.core.types import Viewer

from .models import HOLDER_TYPES, Contact, Location, Party, Review


def _search(queryset: QuerySet[Any], text: str, fields: tuple[str, ...]) -> QuerySet[Any]:
    if not text:
        return queryset
    query = Q()
    for field in fields:
        query |= Q(**{f"{field}__icontains": text})
    return queryset.filter(query)


def party_list_for(*, viewer: Viewer, search: str = "", party_type: str = "") -> QuerySet[Party]:
    parties = Party.objects.select_related("reported_by", "merged_into")
    if viewer.party_id is not None:
        parties = parties.filter(pk=viewer.party_id)
    if party_type:
        parties = parties.filter(party_type=party_type)
    found: QuerySet[Party] = _search(
        parties, search, ("code", "name", "name_en", "city", "province")
    )
    return found.annotate(location_count=Count("locations", distinct=True)).order_by("code")


def party_get_for(*, viewer: Viewer, pk: int) -> Party:
    party = Party.objects.select_related("reported_by", "merged_into").filter(pk=pk)
    if viewer.party_id is not None:
        party = party.filter(pk=viewer.party_id)
    return one_or_not_found(party, _("Party not found."))


def location_list_for(
    *, viewer: Viewer, search: str = "", party_id: int | None = None
) -> QuerySet[Location]:
    locations = Location.objects.select_related("party")
    if viewer.party_id is not None:
        locations = locations.filter(party_id=viewer.party_id)
    if party_id is not None:
        locations = locations.filter(party_id=party_id)
    return _search(
        locations, search, ("code", "name", "city", "province", "party__name", "party__code")
    )


def location_get_for(*, viewer: Viewer, pk: int) -> Location:
    return one_or_not_found(
        location_list_for(viewer=viewer).filter(pk=pk), _("Location not found.")
    )


def contact_list_for(
    *, viewer: Viewer, search: str = "", party_id: int | None = None
) -> QuerySet[Contact]:
    contacts = Contact.objects.select_related("party")
    if viewer.party_id is not None:
        contacts = contacts.filter(party_id=viewer.party_id)
    if party_id is not None:
        contacts = contacts.filter(party_id=party_id)
    return _search(contacts, search, ("name", "email", "phone", "party__name", "party__code"))


def contact_get_for(*, viewer: Viewer, pk: int) -> Contact:
    return one_or_not_found(contact_list_for(viewer=viewer).filter(pk=pk), _("Contact not found."))


REVIEW_FILTERS = ("unverified", "verified", "merged", "all")


def reported_party_list_for(
    *, viewer: Viewer, review: str = "unverified", search: str = "", reported_by: str = ""
) -> QuerySet[Party]:
    """Sub-consignees holders reported on reply forms, for staff review; a portal user sees
    none (not even its own reports: they are staff's to judge). ``review`` is one of
    ``REVIEW_FILTERS``; ``reported_by`` a reporting party's code."""
    if viewer.party_id is not None or not viewer.has_perm("parties.view_party"):
        return Party.objects.none()
    parties = Party.objects.exclude(review=Review.ESTABLISHED)
    if review in (Review.UNVERIFIED, Review.VERIFIED, Review.MERGED):
        parties = parties.filter(review=review)
    if reported_by:
        parties = parties.filter(reported_by__code__iexact=reported_by)
    if search:
        # The typed e-mail through a subquery: a join would narrow the contact count below.
        typed = Contact.objects.filter(email__icontains=search).values("party_id")
        parties = _search(
            parties, search, ("code", "name", "city", "reported_by__code", "reported_by__name")
        ) | parties.filter(pk__in=typed)
    return (
        parties.select_related("reported_by", "merged_into", "reviewed_by")
        .annotate(
            location_count=Count("locations", distinct=True),
            contact_count=Count("contacts", distinct=True),
        )
        .order_by("-created_at", "code")
    )


def reported_party_get_for(*, viewer: Viewer, pk: int) -> Party:
    return one_or_not_found(
        reported_party_list_for(viewer=viewer, review="all").filter(pk=pk), _("Party not found.")
    )


def merge_candidates(*, viewer: Viewer, party: Party, limit: int = 10) -> QuerySet[Party]:
    """Existing parties the reported one may really be: same name, or same country and city
    (what staff check before merging). Never suggested automatically as a match."""
    if viewer.party_id is not None:
        return Party.objects.none()
    near = Q(name__iexact=party.name) | Q(name_en__iexact=party.name)
    if party.city:
        near |= Q(country=party.country, city__iexact=party.city)
    return (
        Party.objects.filter(
            near,
            review__in=(Review.ESTABLISHED, Review.VERIFIED),
            is_active=True,
            party_type__in=HOLDER_TYPES,
        )
        .exclude(pk=party.pk)
        .order_by("code")[:limit]
    )


def merge_target_for(*, viewer: Viewer, code: str) -> Party:
    """The party named by its code as a merge target (any staff-visible party; the merge
    service says why one cannot be a target)."""
    found = (
        party_list_for(viewer=viewer).filter(code__iexact=code.strip()).first()
        if code.strip()
        else None
    )
    if found is None:
        raise NotFound(
            _("There is no party with code %(code)s.") % {"code": code.strip()}, where="target"
        )
    return found


# --- Look-ups by natural key: the codes a user types in the API, on a page or in a command.
# Each answers the record or refuses with ``NotFound`` naming what was looked for and the key.


def party_coded(*, code: str, where: str = "party") -> Party:
    """The party with this code (codes are exact: ``HOSP`` is not ``hosp``)."""
    found = Party.objects.filter(code=code).first() if code else None
    if found is None:
        raise NotFound(_("There is no party with code %(code)s.") % {"code": code}, where=where)
    return found


def parties_coded(*, codes: Sequence[str], where: str = "parties") -> list[Party]:
    """The parties with these codes, once each in the order given; one query, and a refusal
    naming every code that is not a party's."""
    found = {party.code: party for party in Party.objects.filter(code__in=set(codes))}
    unknown = [code for code in dict.fromkeys(codes) if code not in found]
    if unknown:
        raise NotFound(
            ngettext(
                "There is no party with code %(codes)s.",
                "There are no parties with codes %(codes)s.",
                len(unknown),
            )
            % {"codes": ", ".join(unknown)},
            where=where,
        )
    return [found[code] for code in dict.fromkeys(codes)]


def location_coded(*, code: str, where: str = "location") -> Location:
    """The location with this code, with its party."""
    found = Location.objects.select_related("party").filter(code=code).first() if code else None
    if found is None:
        raise NotFound(_("There is no location with code %(code)s.") % {"code": code}, where=where)
    return found
