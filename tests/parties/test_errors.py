"""The parties context's named errors (``parties.errors``), each raised by its action with its
exact class and code, and nothing changed."""

from __future__ import annotations

from typing import cast

import pytest

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.parties import errors, services
from medrecall.parties.models import Party
from tests.factories import PartyFactory
from tests.parties.test_review_pages import reported_party

pytestmark = pytest.mark.django_db


def test_verifying_a_party_nobody_reported_is_a_review_refused(manager: User) -> None:
    party = cast(Party, PartyFactory(code="EST"))
    with pytest.raises(errors.ReviewRefused) as refused:
        services.party_verify(party=party, actor=manager)
    assert (type(refused.value), refused.value.code, refused.value.status) == (
        errors.ReviewRefused,
        "review_refused",
        409,
    )
    assert refused.value.message == (
        "EST was not reported by a holder; only reported parties are reviewed."
    )
    party.refresh_from_db()
    assert (party.review, AuditEntry.objects.count()) == ("established", 0)


def test_merging_a_party_into_itself_is_a_merge_refused(manager: User) -> None:
    party = reported_party(cast(Party, PartyFactory(code="B", party_type="distributor")), 1)
    with pytest.raises(errors.MergeRefused) as refused:
        services.party_merge(source=party, target=party, actor=manager)
    assert (type(refused.value), refused.value.code, refused.value.status) == (
        errors.MergeRefused,
        "merge_refused",
        409,
    )
    assert refused.value.message == "A party cannot be merged into itself."
    party.refresh_from_db()
    assert (party.review, party.merged_into_id, AuditEntry.objects.count()) == (
        "unverified",
        None,
        0,
    )


def test_the_services_module_still_names_the_same_errors() -> None:
    assert (services.MergeRefused, services.ReviewRefused) == (
        errors.MergeRefused,
        errors.ReviewRefused,
    )
