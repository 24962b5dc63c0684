"""Reads about users: who is asking, and who signed which record."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet

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
