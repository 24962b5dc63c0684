"""The API checks a country and a currency with the same functions as the web forms, so both
refuse with the same translated message and nothing is written."""

from __future__ import annotations

from typing import Any

from medrecall.execution.models import Carrier, CarrierRate
from medrecall.parties.models import Party
from tests.factories import PartyFactory


def _post_party(client: Any, **headers: str) -> Any:
    return client.post(
        "/api/parties/",
        {
            "code": "P-ATL",
            "name": "Atlantis Medical",
            "party_type": "hospital",
            "country": "Atlantis",
        },
        format="json",
        **headers,
    )


def test_an_unknown_country_of_a_party_is_refused_with_the_pages_message(
    manager: Any, api_as: Any
) -> None:
    before = Party.objects.count()

    response = _post_party(api_as(manager))

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "country": ["Atlantis is not a known country (use an ISO code such as CN or US)."]
    }
    assert Party.objects.count() == before


def test_the_country_message_is_translated(manager: Any, api_as: Any) -> None:
    response = _post_party(api_as(manager), HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "country": ["Atlantis 不是已知的国家/地区（请使用 ISO 代码，如 CN 或 US）。"]
    }


def _post_rate(client: Any, *, country: str, currency: str) -> Any:
    carrier = Carrier.objects.create(
        code="RHX", name="Rheinpaket", party=PartyFactory(party_type="carrier")
    )
    return client.post(
        "/api/execution/carrier-rates/",
        {
            "carrier": carrier.pk,
            "country": country,
            "base_fee": "14",
            "per_kg": "1.8",
            "currency": currency,
            "transit_days": 1,
        },
        format="json",
    )


def test_a_currency_that_is_not_three_letters_is_refused_with_the_pages_message(
    manager: Any, api_as: Any
) -> None:
    response = _post_rate(api_as(manager), country="DE", currency="E1R")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "currency": ["Give the currency as a three-letter ISO code, e.g. CNY, USD, EUR."]
    }
    assert CarrierRate.objects.count() == 0


def test_a_lower_case_currency_is_stored_upper_case(manager: Any, api_as: Any) -> None:
    response = _post_rate(api_as(manager), country="Germany", currency=" eur ")

    assert response.status_code == 201, response.json()
    assert list(CarrierRate.objects.values_list("country", "currency")) == [("DE", "EUR")]
