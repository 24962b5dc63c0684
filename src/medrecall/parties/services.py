"""Writes on parties: the review of sub-consignees that holders reported on a reply form.

A reported party (``Review.UNVERIFIED``) was typed by a holder without a log-in, so nothing
about it is trusted: staff either verify it as a party of its own, or merge it into the
existing party it really is. Parties know nothing of notices or returns; the contexts above
register a *merge step* (``MERGE_STEPS.register(name, step)`` in their ``AppConfig.ready()``)
that moves their rows from the reported party to the target inside the merge's transaction,
and says what it moved. A step that raises a
``DomainError`` refuses the merge and nothing of it is kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.audit import services as audit
from medrecall.core.registry import Registry
from medrecall.core.types import Actor

# re-exported: callers catch these here too
from .errors import MergeRefused as MergeRefused
from .errors import ReviewRefused as ReviewRefused
from .models import HOLDER_TYPES, Location, Party, PartyType, Review

# (source, target, actor) -> {what: how many rows moved}; runs inside the merge's transaction.
MergeStep = Callable[[Party, Party, Actor], dict[str, Any]]

# Run in registration order (``INSTALLED_APPS``: notices, then execution); the name is the
# key of what the step moved in the merge's audit entry.
MERGE_STEPS: Registry[MergeStep] = Registry("party merge step")


def _not_reviewable(party: Party) -> str | None:
    if party.review == Review.UNVERIFIED:
        return None
    if party.review == Review.ESTABLISHED:
        return _("%(party)s was not reported by a holder; only reported parties are reviewed.") % {
            "party": party.code
        }
    return _("%(party)s was already reviewed (%(review)s).") % {
        "party": party.code,
        "review": party.get_review_display(),
    }


def merge_blockers(source: Party, target: Party) -> list[str]:
    """Every reason ``source`` cannot be merged into ``target`` (empty when it can)."""
    if source.pk == target.pk:
        return [_("A party cannot be merged into itself.")]
    problems = []
    if (reason := _not_reviewable(source)) is not None:
        problems.append(reason)
    if target.review in (Review.UNVERIFIED, Review.MERGED):
        problems.append(
            _("%(party)s is itself %(review)s: merge into an established or verified party.")
            % {"party": target.code, "review": target.get_review_display()}
        )
    if target.party_type not in HOLDER_TYPES:
        problems.append(
            _(
                "%(party)s is a %(type)s: a sub-consignee can only be merged into a distributor, hospital, "
                "end user or service partner."
            )
            % {"party": target.code, "type": PartyType(target.party_type).label}
        )
    if not target.is_active:
        problems.append(
            _("%(party)s is inactive: reactivate it before merging into it.")
            % {"party": target.code}
        )
    return problems


def _locked(*pks: int) -> dict[int, Party]:
    """Lock the parties in primary-key order (two merges over the same pair cannot deadlock)."""
    return {p.pk: p for p in Party.objects.select_for_update().filter(pk__in=pks).order_by("pk")}


@transaction.atomic
def party_verify(*, party: Party, actor: Actor, reason: str = "") -> Party:
    """Staff checked the reported party: it is a party of its own, kept as it is."""
    party = _locked(party.pk)[party.pk]
    if (problem := _not_reviewable(party)) is not None:
        raise ReviewRefused(problem)
    party.review, party.reviewed_at, party.reviewed_by_id = (
        Review.VERIFIED,
        timezone.now(),
        actor.pk,
    )
    party.save(update_fields=["review", "reviewed_at", "reviewed_by", "updated_at"])
    audit.record(
        actor=actor,
        action="parties.reported_verified",
        target=party,
        changes={
            "review": [Review.UNVERIFIED, Review.VERIFIED],
            "reported_by": [None, party.reported_by.code if party.reported_by else None],
        },
        reason=reason,
    )
    return party


@transaction.atomic
def party_merge(*, source: Party, target: Party, actor: Actor, reason: str = "") -> Party:
    """Merge the reported party ``source`` into the existing party ``target``.

    Its locations (where the reported units are) move to the target, and every registered
    step moves its rows (the notices context: the scope additions, revoking the reply links
    issued to the reported party and telling the target through its own contacts). Its
    contacts do NOT move: the holder typed them, so they stay with the merged party, which
    is kept, inactive, for the record. One audit entry names both parties and what moved."""
    locked = _locked(source.pk, target.pk)
    if source.pk not in locked or target.pk not in locked:
        raise MergeRefused(_("Party not found."))
    source, target = locked[source.pk], locked[target.pk]
    if problems := merge_blockers(source, target):
        raise MergeRefused(problems[0], details=problems)
    locations = list(source.locations.order_by("code").values_list("code", flat=True))
    Location.objects.filter(party=source).update(party=target, updated_at=timezone.now())
    moved: dict[str, Any] = {"locations": locations}
    for name, step in MERGE_STEPS.items():
        moved[name] = step(source, target, actor)
    kept = list(source.contacts.order_by("name").values_list("name", "email", "phone"))
    source.review, source.merged_into, source.is_active = Review.MERGED, target, False
    source.reviewed_at, source.reviewed_by_id = timezone.now(), actor.pk
    source.save(
        update_fields=[
            "review",
            "merged_into",
            "is_active",
            "reviewed_at",
            "reviewed_by",
            "updated_at",
        ]
    )
    audit.record(
        actor=actor,
        action="parties.reported_merged",
        target=source,
        target_label=f"{source.code} → {target.code}",
        changes={
            "review": [Review.UNVERIFIED, Review.MERGED],
            "merged_into": [None, target.code],
            "target": [None, {"id": target.pk, "code": target.code, "name": target.name}],
            "reported_by": [None, source.reported_by.code if source.reported_by else None],
            "moved": [None, moved],
            "contacts_not_moved": [None, [list(contact) for contact in kept]],
        },
        reason=reason,
    )
    return target
