"""Writing to the audit log. Every service that changes a regulated record calls
``record`` inside its own transaction, so the entry commits or rolls back with the change."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .models import AuditEntry

GENESIS_HASH = "0" * 64


def _plain(value: Any) -> Any:
    """JSON-safe, stable form of a field value for the log."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def entry_digest(*, previous_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((previous_hash + canonical).encode("utf-8")).hexdigest()


def hashed_fields(entry: AuditEntry) -> dict[str, Any]:
    """The fields the hash covers, in the form they had when recorded."""
    return {
        "sequence": entry.sequence,
        "recorded_at": entry.recorded_at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "target_label": entry.target_label,
        "changes": entry.changes,
        "reason": entry.reason,
    }


def record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    target_label: str = "",
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry to the chain. Must run inside the caller's transaction."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
        target_label = target_label or str(target)[:255]
    with transaction.atomic():
        # Serialise writers on the chain head: the last entry is locked (PostgreSQL) or the
        # whole database is (SQLite, IMMEDIATE transactions).
        last = AuditEntry.objects.select_for_update().order_by("-sequence").first()
        entry = AuditEntry(
            sequence=(last.sequence + 1) if last else 1,
            recorded_at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_name=(actor.get_username() if getattr(actor, "pk", None) else str(actor or "system"))[:150],
            action=action,
            target_type=target_type,
            target_id=target_id,
            target_label=target_label[:255],
            changes=_plain(changes or {}),
            reason=reason,
            previous_hash=last.entry_hash if last else GENESIS_HASH,
        )
        entry.entry_hash = entry_digest(previous_hash=entry.previous_hash, fields=hashed_fields(entry))
        entry.save(force_insert=True)
    return entry


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields that changed."""
    return {
        name: [_plain(before.get(name)), _plain(value)]
        for name, value in after.items()
        if _plain(before.get(name)) != _plain(value)
    }


def snapshot(instance: models.Model) -> dict[str, Any]:
    """Concrete field values of a row, by attribute name, for ``diff``."""
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


@dataclass(frozen=True)
class ChainBreak:
    sequence: int
    problem: str


def verify_chain(*, batch_size: int = 5000) -> ChainBreak | None:
    """Recompute every hash; return the first entry that does not match, or ``None``."""
    previous_hash = GENESIS_HASH
    expected_sequence = 1
    for entry in AuditEntry.objects.order_by("sequence").iterator(chunk_size=batch_size):
        if entry.sequence != expected_sequence:
            return ChainBreak(expected_sequence, "missing")
        if entry.previous_hash != previous_hash:
            return ChainBreak(entry.sequence, "previous_hash")
        if entry_digest(previous_hash=previous_hash, fields=hashed_fields(entry)) != entry.entry_hash:
            return ChainBreak(entry.sequence, "content")
        previous_hash = entry.entry_hash
        expected_sequence += 1
    return None


def audited_save(*, instance: models.Model, actor: Any, action: str, reason: str = "") -> models.Model:
    """Validate and save one record, logging old → new for the fields that changed.

    For the plain create/edit of master data; business actions with rules of their own
    write their own service and call ``record`` themselves.
    """
    from django.core.exceptions import ValidationError

    from medrecall.core.errors import ValidationFailed

    with transaction.atomic():
        before: dict[str, Any] = {}
        if instance.pk is not None:
            current = type(instance)._default_manager.select_for_update().filter(pk=instance.pk).first()
            before = snapshot(current) if current is not None else {}
        try:
            instance.full_clean()
        except ValidationError as error:
            field, messages = next(iter(error.message_dict.items()))
            raise ValidationFailed(f"{field}: {' '.join(messages)}", where=field, details=error.message_dict) from error
        created = instance.pk is None
        instance.save()
        changes = diff(before, snapshot(instance))
        changes.pop("updated_at", None)
        changes.pop("created_at", None)
        if created or changes:
            record(actor=actor, action=f"{action}.{'created' if created else 'changed'}", target=instance,
                   changes=changes, reason=reason)
    return instance
