"""Writing to the audit log. Every service that changes a regulated record calls
``record`` inside its own transaction, so the entry commits or rolls back with the change.

Chain versions: entries written before the keyed chain (``LEGACY``, version 1) keep their
plain SHA-256; every later entry (``KEYED``, version 2) is an HMAC-SHA-256 with the audit key
(``anchors.audit_key``), which lives outside the database. A legacy entry after a keyed one is
a downgrade and fails verification. ``docs/audit.md`` says what this protects against.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from medrecall.core.types import Actor, ActorOrSystem

from . import anchors
from .models import AuditEntry

GENESIS_HASH = "0" * 64
LEGACY = 1  # SHA-256 over previous hash + canonical JSON (entries written before 0002_chain_anchor)
KEYED = 2  # HMAC-SHA-256 of the same text with the audit key


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


def entry_digest(
    *, previous_hash: str, fields: dict[str, Any], version: int = LEGACY, key: bytes | None = None
) -> str:
    """The entry's hash under its chain version (``key`` defaults to the audit key)."""
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    text = (previous_hash + canonical).encode("utf-8")
    if version == KEYED:
        return hmac.new(key or anchors.audit_key(), text, hashlib.sha256).hexdigest()
    if version == LEGACY:
        return hashlib.sha256(text).hexdigest()
    raise ValueError(f"Unknown audit chain version {version}")


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
    actor: ActorOrSystem,
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
    # A signed-in user is linked; a label ("medrecall demo") or None is the system's work.
    person = actor if isinstance(actor, Actor) and actor.pk else None
    with transaction.atomic():
        # Serialise writers on the chain head: the last entry is locked (PostgreSQL) or the
        # whole database is (SQLite, IMMEDIATE transactions).
        last = AuditEntry.objects.select_for_update().order_by("-sequence").first()
        entry = AuditEntry(
            sequence=(last.sequence + 1) if last else 1,
            recorded_at=timezone.now(),
            actor_id=person.pk if person else None,
            actor_name=(person.get_username() if person else str(actor or "system"))[:150],
            action=action,
            target_type=target_type,
            target_id=target_id,
            target_label=target_label[:255],
            changes=_plain(changes or {}),
            reason=reason,
            previous_hash=last.entry_hash if last else GENESIS_HASH,
            chain_version=KEYED,
        )
        entry.entry_hash = entry_digest(
            previous_hash=entry.previous_hash, fields=hashed_fields(entry), version=KEYED
        )
        entry.save(force_insert=True)
        if anchors.checkpoint_due(
            entry.sequence, first_keyed=last is None or last.chain_version != KEYED
        ):
            # Anchor only what committed; the head we know needs no query.
            sequence, head_hash = entry.sequence, entry.entry_hash
            transaction.on_commit(
                lambda: anchors.checkpoint_append(
                    sequence=sequence, head_hash=head_hash, count=sequence
                )
            )
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
    """Where verification failed and why.

    ``problem``: ``missing`` (a gap), ``previous_hash``/``content`` (an edited entry),
    ``downgrade`` (an unkeyed entry after a keyed one), ``truncated`` (the table ends before
    the last checkpoint: ``sequence`` is the first entry gone), ``checkpoint_mismatch`` (the
    entry a checkpoint anchored has another hash now: the chain was recomputed), and
    ``checkpoint_forged`` (a checkpoint line not signed with this key, or unreadable)."""

    sequence: int
    problem: str


def _checkpoint_problem() -> tuple[list[anchors.Checkpoint], ChainBreak | None]:
    try:
        found = list(anchors.checkpoints())
    except anchors.CheckpointUnreadable as damaged:
        return [], ChainBreak(damaged.line_number, "checkpoint_forged")
    for checkpoint in found:
        if not anchors.checkpoint_is_authentic(checkpoint):
            return found, ChainBreak(checkpoint.sequence, "checkpoint_forged")
    return found, None


def verify_chain(*, batch_size: int = 5000) -> ChainBreak | None:
    """Recompute every hash and hold the chain against the checkpoints; return the first
    problem, or ``None``. One pass over the table, checkpoints held in memory by sequence."""
    found, problem = _checkpoint_problem()
    if problem is not None:
        return problem
    anchored: dict[int, set[str]] = {}
    for checkpoint in found:
        anchored.setdefault(checkpoint.sequence, set()).add(checkpoint.head_hash)
    key = anchors.audit_key()
    previous_hash = GENESIS_HASH
    expected_sequence = 1
    keyed_seen = False
    for entry in AuditEntry.objects.order_by("sequence").iterator(chunk_size=batch_size):
        if entry.sequence != expected_sequence:
            return ChainBreak(expected_sequence, "missing")
        if entry.previous_hash != previous_hash:
            return ChainBreak(entry.sequence, "previous_hash")
        if keyed_seen and entry.chain_version != KEYED:
            return ChainBreak(entry.sequence, "downgrade")
        keyed_seen = keyed_seen or entry.chain_version == KEYED
        try:
            digest = entry_digest(
                previous_hash=previous_hash,
                fields=hashed_fields(entry),
                version=entry.chain_version,
                key=key,
            )
        except ValueError:
            return ChainBreak(entry.sequence, "content")
        if not hmac.compare_digest(digest, entry.entry_hash):
            return ChainBreak(entry.sequence, "content")
        if entry.sequence in anchored and anchored[entry.sequence] != {entry.entry_hash}:
            return ChainBreak(entry.sequence, "checkpoint_mismatch")
        previous_hash = entry.entry_hash
        expected_sequence += 1
    if found and max(c.sequence for c in found) >= expected_sequence:
        return ChainBreak(expected_sequence, "truncated")
    return None


def checkpoint_write() -> anchors.Checkpoint | None:
    """Anchor the current head now (``audit checkpoint``, ``audit verify``); ``None`` if the
    log is empty. Anchors what is committed: call it outside a larger transaction."""
    head = AuditEntry.objects.order_by("-sequence").values_list("sequence", "entry_hash").first()
    if head is None:
        return None
    return anchors.checkpoint_append(sequence=head[0], head_hash=head[1], count=head[0])


def audited_save(
    *, instance: models.Model, actor: ActorOrSystem, action: str, reason: str = ""
) -> models.Model:
    """Validate and save one record, logging old → new for the fields that changed.

    For the plain create/edit of master data; business actions with rules of their own
    write their own service and call ``record`` themselves.
    """
    from django.core.exceptions import ValidationError

    from medrecall.core.errors import ValidationFailed

    with transaction.atomic():
        before: dict[str, Any] = {}
        if instance.pk is not None:
            current = (
                type(instance)._default_manager.select_for_update().filter(pk=instance.pk).first()
            )
            before = snapshot(current) if current is not None else {}
        try:
            instance.full_clean()
        except ValidationError as error:
            field, messages = next(iter(error.message_dict.items()))
            raise ValidationFailed(
                f"{field}: {' '.join(messages)}", where=field, details=error.message_dict
            ) from error
        created = instance.pk is None
        instance.save()
        changes = diff(before, snapshot(instance))
        changes.pop("updated_at", None)
        changes.pop("created_at", None)
        if created or changes:
            record(
                actor=actor,
                action=f"{action}.{'created' if created else 'changed'}",
                target=instance,
                changes=changes,
                reason=reason,
            )
    return instance
