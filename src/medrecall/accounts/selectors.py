"""Reads about users: who is asking, and who signed which record."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from medrecall.core.errors import NotFound

from .models import Signature, User


def viewer_of(request: Any) -> User:
    """The signed-in user of a request (web or API); anonymous requests are refused."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def signatures_for(target: models.Model) -> QuerySet[Signature]:
    """Every signature on one record, oldest first, with the signer for printing."""
    return (
        Signature.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
        .select_related("signer")
        .order_by("signed_at", "pk")
    )


def user_named(*, username: str) -> User:
    """The account with this user name (exact), e.g. the one a command's action is recorded under."""
    found = User.objects.filter(username=username).first() if username else None
    if found is None:
        raise NotFound(_("There is no user %(username)s.") % {"username": username}, where="user")
    return found
