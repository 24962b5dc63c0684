"""The API answers JSON, also to a browser: DRF's browsable pages need inline scripts that the
Content-Security-Policy refuses. The schema keeps its own formats."""

from __future__ import annotations

from collections.abc import Callable

from rest_framework.test import APIClient

from medrecall.accounts.models import User


def test_a_browser_asking_for_html_gets_json(
    api_as: Callable[[User | None], APIClient], manager: User
) -> None:
    response = api_as(manager).get("/api/recalls/", HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["results"] == []


def test_the_browsable_format_is_not_offered(
    api_as: Callable[[User | None], APIClient], manager: User
) -> None:
    response = api_as(manager).get("/api/recalls/?format=api")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_the_schema_is_still_yaml_and_json(
    api_as: Callable[[User | None], APIClient], manager: User
) -> None:
    client = api_as(manager)
    assert client.get("/api/schema/")["Content-Type"].startswith("application/vnd.oai.openapi")
    assert client.get("/api/schema/?format=json")["Content-Type"].startswith(
        "application/vnd.oai.openapi+json"
    )
