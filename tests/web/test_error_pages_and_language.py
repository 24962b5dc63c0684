"""The HTML error pages (one template, three answers) and the language cookie, which the
language switch and the signed-in user's saved language both write the same way."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory
from django.utils import translation

from medrecall.web import views


@pytest.mark.parametrize(
    ("answer", "status", "title", "message"),
    [
        pytest.param(
            lambda request: views.page_not_found(request, Exception()),
            404,
            "Not found",
            "The page or record does not exist, or you may not see it.",
            id="404",
        ),
        pytest.param(
            lambda request: views.permission_denied(request, Exception()),
            403,
            "Not allowed",
            "Your role does not allow this.",
            id="403",
        ),
        pytest.param(
            views.server_error,
            500,
            "Something went wrong",
            "The error was logged. Please try again or tell your administrator.",
            id="500",
        ),
    ],
)
def test_each_error_page_answers_its_status_title_and_message(
    db: None, answer: Any, status: int, title: str, message: str
) -> None:
    request = RequestFactory().get("/somewhere/")
    request.user = AnonymousUser()

    response = answer(request)

    assert response.status_code == status
    page = response.content.decode()
    assert f"<h1>{title}</h1><p>{message}</p>" in page


def test_an_unknown_page_answers_the_not_found_page(client: Client, manager: Any) -> None:
    client.force_login(manager)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "The page or record does not exist, or you may not see it." in response.content.decode()


def _language_cookie(response: Any) -> tuple[str, int, str]:
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    return cookie.value, cookie["max-age"], cookie["samesite"]


def test_the_language_switch_keeps_the_choice_in_the_cookie(client: Client) -> None:
    response = client.post("/language/", {"language": "zh-hans", "next": "/"})

    assert response.status_code == 302
    assert _language_cookie(response) == ("zh-hans", 365 * 24 * 3600, "Lax")


def test_a_signed_in_users_saved_language_is_written_to_the_cookie(
    client: Client, manager: Any
) -> None:
    manager.language = "zh-hans"
    manager.save(update_fields=["language"])
    client.force_login(manager)

    # The middleware activates the user's language in this thread; give the next test English.
    with translation.override(settings.LANGUAGE_CODE):
        response = client.get("/")
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
        again = client.get("/")

    assert _language_cookie(response) == ("zh-hans", 365 * 24 * 3600, "Lax")
    assert settings.LANGUAGE_COOKIE_NAME not in again.cookies
