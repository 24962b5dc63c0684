"""Per-request account handling: session time limits (below) and the language.

Language per user: the saved choice wins, then the language cookie (set by the switch),
then the browser's Accept-Language (Django's LocaleMiddleware handles those two)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _


def remember_language(response: HttpResponse, language: str) -> None:
    """Keep the language in the language cookie (the switch, and a signed-in user's saved choice)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
    )


class UserLanguageActivationMiddleware:
    """After authentication: activate the signed-in user's saved language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = (
            getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        )
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if language and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            remember_language(response, language)
        return response


SESSION_STARTED = "medrecall_session_started"
SESSION_SEEN = "medrecall_session_seen"
SEEN_RESOLUTION = 60  # seconds: the last-seen time is saved at most once a minute


class SessionTimeoutMiddleware:
    """Idle log-off and an absolute session lifetime (docs/security.md).

    A signed-in session ends when no request came for ``MEDRECALL_SESSION_IDLE_MINUTES`` or
    ``MEDRECALL_SESSION_MAX_HOURS`` after it began, whatever the activity. The user is logged
    out (Django's ``logout``: session flushed) and a page request is sent to the log-in page
    with a message; an API request continues as anonymous and is refused there.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.setdefault(SESSION_STARTED, now)
            seen = session.get(SESSION_SEEN, now)
            idle = now - seen > settings.MEDRECALL_SESSION_IDLE_MINUTES * 60
            expired = now - started > settings.MEDRECALL_SESSION_MAX_HOURS * 3600
            if idle or expired:
                logout(request)
                if not request.path.startswith("/api/"):
                    messages.info(
                        request,
                        _("You were logged out after %(minutes)s minutes without activity.")
                        % {"minutes": settings.MEDRECALL_SESSION_IDLE_MINUTES}
                        if idle
                        else _("Your session reached its limit of %(hours)s hours: log in again.")
                        % {"hours": settings.MEDRECALL_SESSION_MAX_HOURS},
                    )
                    return redirect_to_login(request.get_full_path())
            elif now - seen >= SEEN_RESOLUTION or SESSION_SEEN not in session:
                session[SESSION_SEEN] = now
        return self.get_response(request)


def session_started(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """On every log-in (``user_logged_in``): the session's clocks start now, also when the
    same user logs in again on a session that survived."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SESSION_STARTED] = request.session[SESSION_SEEN] = now
