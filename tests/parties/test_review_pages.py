"""The review pages of reported parties: who sees them, the marker on party pages in both
languages, the verify and merge (confirm step) forms, and a query count that does not grow
with the rows."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import cast

import pytest
from django.test import Client
from django.utils import translation

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.parties.models import Party
from tests.budgets import count_queries
from tests.factories import ContactFactory, LocationFactory, PartyFactory


def _party(**fields: object) -> Party:
    return cast(Party, PartyFactory(**fields))


pytestmark = pytest.mark.django_db


def reported_party(reporter: Party, n: int, **overrides: object) -> Party:
    party = _party(
        code=f"SC-R-{reporter.code}-{n}",
        name=f"Harbour Hospital {n}",
        party_type="hospital",
        review="unverified",
        reported_by=reporter,
        **overrides,
    )
    LocationFactory(code=f"{party.code}-1", party=party, location_type="customer_site")
    ContactFactory(party=party, name=f"Typed {n}", email=f"typed{n}@example.com")
    return party


@pytest.fixture
def holder() -> Party:
    return _party(code="B", name="Holder B", party_type="distributor")


@pytest.fixture
def existing() -> Party:
    party = _party(code="A", name="Existing A", party_type="hospital")
    ContactFactory(party=party, name="Own contact", email="own@a.example")
    return party


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("role", "portal", "status"),
    [
        ("anonymous", False, 302),
        (Role.PORTAL, True, 403),
        (Role.FINANCE, False, 200),
        (Role.CUSTOMER_SERVICE, False, 200),
        (Role.QA_RA_MANAGER, False, 200),
    ],
)
def test_who_sees_the_review_list(
    holder: Party, make_user: Callable[..., User], role: str, portal: bool, status: int
) -> None:
    party = reported_party(holder, 1)
    client = (
        Client()
        if role == "anonymous"
        else client_for(make_user(role, party=holder if portal else None))
    )
    for url in ("/parties/reported/", f"/parties/reported/{party.pk}/"):
        assert client.get(url).status_code == status


def test_the_list_filters_and_shows_the_marker_in_both_languages(
    holder: Party, existing: Party, manager: User
) -> None:
    first, second = reported_party(holder, 1), reported_party(existing, 2)
    client = client_for(manager)
    page = client.get("/parties/reported/").content.decode()
    assert (first.code in page, second.code in page) == (True, True)
    assert "Reported by Holder B, unverified" in page
    only_b = client.get("/parties/reported/?reported_by=b").content.decode()
    assert (first.code in only_b, second.code in only_b) == (True, False)
    assert second.code in client.get("/parties/reported/?q=typed2").content.decode()
    assert first.code not in client.get("/parties/reported/?review=verified").content.decode()
    client.cookies["medrecall_language"] = "zh-hans"
    manager.language = "zh-hans"
    manager.save()
    chinese = client.get(f"/data/party/{first.pk}/").content.decode()
    assert "由 Holder B 上报，未核实" in chinese
    assert "由 Holder B 上报，未核实" in client.get("/data/party/").content.decode()


def test_the_party_pages_mark_a_reported_party(holder: Party, manager: User) -> None:
    party = reported_party(holder, 1)
    client = client_for(manager)
    client.cookies["medrecall_language"] = "en"
    assert "Reported by Holder B, unverified" in client.get("/data/party/").content.decode()
    detail = client.get(f"/data/party/{party.pk}/").content.decode()
    assert "Reported by Holder B, unverified" in detail
    assert f"/parties/reported/{party.pk}/" in detail


def test_verify_through_the_page(holder: Party, make_user: Callable[..., User]) -> None:
    party = reported_party(holder, 1)
    service = make_user(Role.CUSTOMER_SERVICE)
    response = client_for(service).post(
        f"/parties/reported/{party.pk}/verify/", {"reason": "Called them"}
    )
    assert response.status_code == 302
    party.refresh_from_db()
    assert (party.review, party.reviewed_by) == ("verified", service)


def test_a_role_without_party_editing_cannot_verify_or_merge(
    holder: Party, existing: Party, make_user: Callable[..., User]
) -> None:
    party = reported_party(holder, 1)
    client = client_for(make_user(Role.FINANCE))
    assert client.post(f"/parties/reported/{party.pk}/verify/").status_code == 403
    assert (
        client.post(
            f"/parties/reported/{party.pk}/merge/", {"target": "A", "confirm": "yes"}
        ).status_code
        == 403
    )
    party.refresh_from_db()
    assert party.review == "unverified"
    assert AuditEntry.objects.filter(action__startswith="parties.reported").count() == 0


def test_merge_through_the_page_confirms_first(
    holder: Party, existing: Party, manager: User
) -> None:
    party = reported_party(holder, 1)
    client = client_for(manager)
    client.cookies["medrecall_language"] = "en"
    confirm = client.post(
        f"/parties/reported/{party.pk}/merge/", {"target": "a", "reason": "Same site"}
    )
    text = confirm.content.decode()
    assert confirm.status_code == 200
    assert "1 contact typed by the holder does not move" in text
    assert 'name="confirm" value="yes"' in text
    party.refresh_from_db()
    assert party.review == "unverified"  # nothing happens before the confirm
    done = client.post(
        f"/parties/reported/{party.pk}/merge/",
        {"target": "A", "reason": "Same site", "confirm": "yes"},
    )
    assert done.status_code == 302
    party.refresh_from_db()
    assert (party.review, party.merged_into_id) == ("merged", existing.pk)
    assert list(existing.contacts.values_list("email", flat=True)) == ["own@a.example"]
    assert list(existing.locations.values_list("code", flat=True)) == [f"{party.code}-1"]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("NOPE", "There is no party with code NOPE."),
        ("SELF", "A party cannot be merged into itself."),
        ("B-OWN", "can only be merged into a distributor, hospital, end user or service partner."),
    ],
)
def test_a_refused_merge_on_the_page_says_why(
    holder: Party, manager: User, target: str, message: str
) -> None:
    party = reported_party(holder, 1)
    _party(code="B-OWN", party_type="own_site")
    code = party.code if target == "SELF" else target
    client = client_for(manager)
    client.cookies["medrecall_language"] = "en"
    response = client.post(
        f"/parties/reported/{party.pk}/merge/", {"target": code, "confirm": "yes"}
    )
    assert response.status_code in (400, 409)
    assert message in response.content.decode()
    party.refresh_from_db()
    assert party.review == "unverified"
    assert AuditEntry.objects.filter(action__startswith="parties.reported").count() == 0


def test_the_review_pages_run_the_same_number_of_queries_for_one_row_and_many(
    holder: Party, existing: Party, manager: User, make_user: Callable[..., User]
) -> None:
    client = client_for(manager)
    first = reported_party(holder, 1)
    urls = (
        "/parties/reported/",
        "/parties/reported/?review=all&q=Harbour",
        f"/parties/reported/{first.pk}/",
        "/data/party/",
    )
    small = [count_queries(partial(client.get, url))[0] for url in urls]
    for n in range(2, 8):
        other = _party(code=f"R{n}", name=f"Reporter {n}")
        reported_party(other, n)
    reviewer = make_user(Role.QA_RA_MANAGER)
    from medrecall.parties import services

    services.party_verify(party=Party.objects.get(code="SC-R-R2-2"), actor=reviewer)
    services.party_merge(
        source=Party.objects.get(code="SC-R-R3-3"), target=existing, actor=reviewer
    )
    large = [count_queries(partial(client.get, url))[0] for url in urls]
    assert large == small


def test_the_review_filter_is_in_the_user_s_language(
    holder: Party, make_user: Callable[..., User]
) -> None:
    reported_party(holder, 1)
    user = make_user(Role.QA_RA_MANAGER)
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    try:
        page = client_for(user).get("/parties/reported/").content.decode()
    finally:
        translation.deactivate()  # the user's language stays active on this thread otherwise
    assert '<option value="all"' in page
    assert ">全部</option>" in page
    assert ">All</option>" not in page
