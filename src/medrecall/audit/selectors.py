"""Reading the audit log."""

from __future__ import annotations

from django.db import models
from django.db.models import QuerySet

from .models import AuditEntry


def history_for(*, target: models.Model) -> QuerySet[AuditEntry]:
    """Every entry about one record, oldest first."""
    return AuditEntry.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk)
    ).select_related("actor")
