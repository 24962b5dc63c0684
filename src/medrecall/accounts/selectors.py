"""Reads about users: who is asking."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from .models import User


def viewer_of(request: Any) -> User:
    """The signed-in user of a request (web or API); anonymous requests are refused."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
