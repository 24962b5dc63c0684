"""Look-ups of parties and locations by the codes users type (``parties.selectors``)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from medrecall.core.errors import NotFound
from medrecall.parties import selectors
from medrecall.parties.models import Location, Party
from tests.factories import LocationFactory, PartyFactory

pytestmark = pytest.mark.django_db


def test_party_coded_finds_the_party_by_its_exact_code() -> None:
    party = cast(Party, PartyFactory(code="HOSP"))
    assert selectors.party_coded(code="HOSP") == party


@pytest.mark.parametrize(("code", "label"), [("hosp", "other case"), ("", "blank")])
def test_party_coded_refuses_a_code_that_is_no_partys(code: str, label: str) -> None:
    PartyFactory(code="HOSP")
    with pytest.raises(NotFound) as missing:
        selectors.party_coded(code=code, where="holder")
    assert (type(missing.value), missing.value.code, missing.value.status) == (
        NotFound,
        "not_found",
        404,
    )
    assert missing.value.as_dict() == {
        "code": "not_found",
        "message": f"There is no party with code {code}.",
        "where": "holder",
    }


def test_parties_coded_answers_each_party_once_in_the_order_given_in_one_query(
    django_assert_num_queries: Any,
) -> None:
    a, b = cast(Party, PartyFactory(code="A")), cast(Party, PartyFactory(code="B"))
    with django_assert_num_queries(1):
        assert selectors.parties_coded(codes=["B", "A", "B"]) == [b, a]
    assert selectors.parties_coded(codes=[]) == []


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        (["A", "X"], "There is no party with code X."),
        (["Y", "A", "X", "Y"], "There are no parties with codes Y, X."),
    ],
)
def test_parties_coded_names_every_unknown_code(codes: list[str], message: str) -> None:
    PartyFactory(code="A")
    with pytest.raises(NotFound) as missing:
        selectors.parties_coded(codes=codes)
    assert (missing.value.message, missing.value.where) == (message, "parties")


def test_location_coded_finds_the_location_with_its_party(
    django_assert_num_queries: Any,
) -> None:
    location = cast(Location, LocationFactory(code="H1", party=PartyFactory(code="HOSP")))
    with django_assert_num_queries(1):
        found = selectors.location_coded(code="H1", where="quarantine")
        assert (found, found.party.code) == (location, "HOSP")
    with pytest.raises(NotFound) as missing:
        selectors.location_coded(code="H9", where="quarantine")
    assert (missing.value.message, missing.value.where) == (
        "There is no location with code H9.",
        "quarantine",
    )
