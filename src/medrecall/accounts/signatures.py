"""Electronic signatures on any record (21 CFR 11.50, 11.70, 11.200, 11.300; statements 40 to 43).

A record is signed through its canonical content (``signing_content``), so every context
signs its own records without this module knowing their models.

Decisions:

- Two components. The first signature of a signing session needs the user ID and the
  password; later ones in the same session need the password only. The session key
  ``medrecall_signing_session`` holds who signed with both components and when; the
  signing session ends ``MEDRECALL_SIGNING_SESSION_MINUTES`` (default 30) after that, with
  the login session, or at the first refusal — then both components are needed again.
- Failed attempts are traceable. A wrong user ID or password writes one
  ``accounts.signature_refused`` audit entry and nothing else. ``signature_apply`` runs its
  writes in an atomic block of its own and raises the refusal *after* that block, so the
  entry commits although the signing did not. A caller that wraps ``signature_apply`` in a
  larger transaction and lets the refusal propagate rolls the entry back with its own work:
  sign in a transaction of its own (as views do without ``ATOMIC_REQUESTS``).
- Lock-out is read from the audit log, not from a counter column: three refusals in a row
  for one user within 15 minutes lock that user's signing for 15 minutes after the third.
  Attempts during the lock are refused without checking the password and logged as
  ``accounts.signature_locked``; they do not extend the lock.
- A missing component (empty password, or no user ID when both are needed) is not an
  attempt: nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal, Protocol
from uuid import UUID

from django.conf import settings
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from medrecall.audit import services as audit
from medrecall.audit.models import AuditEntry
from medrecall.core.errors import ValidationFailed

# re-exported: callers catch these here too
from .errors import SignatureLocked as SignatureLocked
from .errors import SignatureRefused as SignatureRefused
from .models import Signature, SignatureMeaning, User
from .selectors import signatures_for as signatures_for  # signing callers find the reader here too

SESSION_KEY = "medrecall_signing_session"
DEFAULT_SIGNING_SESSION_MINUTES = 30
FAILURES_BEFORE_LOCK = 3
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)

APPLIED = "accounts.signature_applied"
REFUSED = "accounts.signature_refused"
LOCKED = "accounts.signature_locked"

SUPERSEDED = "accounts.signatures_superseded"

SignatureState = Literal["valid", "content_changed", "superseded"]


class SessionLike(Protocol):
    """The part of a Django session signing uses; a plain ``dict`` does as well."""

    def get(self, key: str, /) -> Any: ...

    def __setitem__(self, key: str, value: Any, /) -> None: ...

    def pop(self, key: str, default: Any, /) -> Any: ...


def _json_safe(value: Any) -> Any:
    """A stable JSON form of a value; aware datetimes in UTC so the zone they were read in
    (database UTC, form input +08:00) never changes a hash."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if timezone.is_aware(value) else value).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID | Promise):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, models.Model):
        return _json_safe(value.pk)
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((_json_safe(item) for item in value), key=canonical_json)
    return value


def canonical_json(content: Any) -> str:
    """One byte-exact text per content: sorted keys, no spaces, UTF-8 as is."""
    return json.dumps(
        _json_safe(content),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    )


def content_digest(content: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON: what a signature is bound to (21 CFR 11.70)."""
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def signing_content(instance: models.Model, fields: Sequence[str]) -> dict[str, Any]:
    """The canonical content of a record: its model label, pk and exactly the named fields.

    The caller names the fields because what a signature vouches for is a business choice
    (a CAPA's root cause and actions, not its ``updated_at``). Foreign keys give their pk,
    many-to-many fields their sorted pks, decimals their value at the field's precision.
    """
    values: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if isinstance(field, models.ManyToManyField):
            related = getattr(instance, field.name).order_by("pk").values_list("pk", flat=True)
            values[name] = [_json_safe(pk) for pk in related]
        elif isinstance(field, models.Field) and field.concrete:
            value = getattr(instance, field.attname)
            if (
                isinstance(field, models.DecimalField)
                and isinstance(value, Decimal)
                and value.is_finite()
            ):
                # 1.5 in memory and 1.500000 read back are the same value: hash them alike.
                value = value.quantize(Decimal(1).scaleb(-(field.decimal_places or 0)))
            values[name] = _json_safe(value)
        else:
            raise ValueError(f"{instance._meta.label}.{name} is not a field of the record itself")
    return {"model": instance._meta.label_lower, "pk": _json_safe(instance.pk), "fields": values}


def signing_session_length() -> timedelta:
    """How long after a two-component signing the password alone suffices."""
    return timedelta(
        minutes=getattr(
            settings, "MEDRECALL_SIGNING_SESSION_MINUTES", DEFAULT_SIGNING_SESSION_MINUTES
        )
    )


def _in_signing_session(session: SessionLike | None, actor: User, now: datetime) -> bool:
    """Whether ``actor`` signed with both components in this session recently enough."""
    stamp = session.get(SESSION_KEY) if session is not None else None
    if not isinstance(stamp, dict) or stamp.get("user") != actor.pk:
        return False
    try:
        started = datetime.fromisoformat(stamp["at"])
    except (KeyError, TypeError, ValueError):
        return False
    return timezone.is_aware(started) and started <= now < started + signing_session_length()


def signing_needs_user_id(session: SessionLike | None, actor: User) -> bool:
    """Whether the next signature of ``actor`` in this session needs the user ID typed as well
    as the password (11.200(a)(1)): forms show an empty user-ID field when it does, and none
    when a two-component signing of this session is recent enough."""
    return not _in_signing_session(session, actor, timezone.now())


def _locked_until(signer: User, now: datetime) -> datetime | None:
    """The end of a running lock-out, from the signer's latest signing outcomes in the log."""
    outcomes = list(
        AuditEntry.objects.filter(
            actor=signer,
            action__in=(APPLIED, REFUSED),
            recorded_at__gte=now - FAILURE_WINDOW - LOCK_DURATION,
        )
        .order_by("-sequence")
        .values_list("action", "recorded_at")[:FAILURES_BEFORE_LOCK]
    )
    if len(outcomes) < FAILURES_BEFORE_LOCK or any(action != REFUSED for action, _at in outcomes):
        return None
    latest, earliest = outcomes[0][1], outcomes[-1][1]
    if latest - earliest > FAILURE_WINDOW:
        return None
    until = latest + LOCK_DURATION
    return until if now < until else None


def _locked_message(until: datetime, now: datetime) -> str:
    """Whole minutes, rounded up, so the user never retries a moment too early."""
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    return ngettext(
        "Signing is locked after %(count)d wrong attempts. Try again in %(minutes)d minute.",
        "Signing is locked after %(count)d wrong attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"count": FAILURES_BEFORE_LOCK, "minutes": minutes}


@transaction.atomic
def _attempt(
    *,
    actor: User,
    target: models.Model,
    content: dict[str, Any],
    meaning: str,
    password: str,
    username: str | None,
    step: str,
    reason: str,
    now: datetime,
) -> Signature | SignatureRefused:
    """Check and write in one transaction; a refusal is returned, not raised, so its audit
    entry is not rolled back."""
    # One attempt per user at a time: the lock-out count cannot race.
    signer = User.objects.select_for_update().get(pk=actor.pk)
    components = "user_id+password" if username else "password"
    about = {"meaning": meaning, "step": step, "components": components}
    if (until := _locked_until(signer, now)) is not None:
        audit.record(
            actor=signer, action=LOCKED, target=target, changes={**about, "locked_until": until}
        )
        return SignatureLocked(_locked_message(until, now), where="password")
    if username and username != signer.get_username():
        other = User.objects.filter(username=username, is_active=True).first()
        # Someone else's valid log-in: say so (a signature is the logged-in person's own).
        problem = "other_user" if other and other.check_password(password) else "user_id"
    elif not (signer.is_active and signer.check_password(password)):
        problem = "password"
    else:
        problem = ""
    if problem:
        audit.record(
            actor=signer, action=REFUSED, target=target, changes={**about, "problem": problem}
        )
        if problem == "other_user":
            return SignatureRefused(
                _(
                    "That is another user's log-in. Sign with your own user ID and password "
                    "(you are logged in as %(user)s). The record was not signed."
                )
                % {"user": signer.get_username()},
                where="username",
            )
        return SignatureRefused(
            _("The user ID or password is not correct. The record was not signed."),
            where="password",
        )
    digest = content_digest(content)
    signature = Signature.objects.create(
        signer=signer,
        signer_name=(signer.get_full_name() or signer.get_username())[:301],
        signed_at=now,
        meaning=meaning,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        content_hash=digest,
        content=content,
        reason=reason,
        step=step,
    )
    audit.record(
        actor=signer,
        action=APPLIED,
        target=target,
        reason=reason,
        changes={**about, "signature": signature.pk, "content_hash": digest},
    )
    return signature


def signature_apply(
    *,
    actor: User,
    target: models.Model,
    content: Mapping[str, Any],
    meaning: str,
    password: str,
    username: str | None = None,
    session: SessionLike | None = None,
    step: str = "",
    reason: str = "",
) -> Signature:
    """Sign ``target`` as ``actor``, bound to the hash of ``content`` (``signing_content``'s
    or a context's own decision record).

    Not decorated with ``@transaction.atomic``: the writes run in ``_attempt``'s own atomic
    block and a refusal is raised after it, so a failed attempt stays in the audit log.
    """
    if meaning not in SignatureMeaning.values:
        raise ValidationFailed(
            _("“%(meaning)s” is not a meaning of a signature.") % {"meaning": meaning},
            where="meaning",
        )
    signed = _json_safe(content)
    names = (str(signed.get("model", target._meta.label_lower)), str(signed.get("pk", target.pk)))
    if names != (target._meta.label_lower, str(target.pk)):
        # 11.70: content that names its record (as ``signing_content``'s does) must name the target.
        raise ValueError(
            f"The signed content does not name {target._meta.label_lower} {target.pk}."
        )
    if not password:
        raise SignatureRefused(
            _("Enter your password to sign."),
            code="signature_credentials_required",
            where="password",
        )
    now = timezone.now()
    if not username and not _in_signing_session(session, actor, now):
        raise SignatureRefused(
            _("Enter your user ID and your password: the first signature of a session needs both."),
            code="signature_credentials_required",
            where="username",
        )
    outcome = _attempt(
        actor=actor,
        target=target,
        content=signed,
        meaning=meaning,
        password=password,
        username=username,
        step=step,
        reason=reason,
        now=now,
    )
    if isinstance(outcome, SignatureRefused):
        if session is not None:
            session.pop(SESSION_KEY, None)
        raise outcome
    if username and session is not None:
        session[SESSION_KEY] = {"user": actor.pk, "at": now.isoformat()}
    return outcome


def signature_status(signature: Signature, current_content: Mapping[str, Any]) -> SignatureState:
    """Whether the record still says what was signed (statement 42): any change shows; a
    superseded signature (the record went back for signing) no longer counts either way."""
    if signature.superseded_at is not None:
        return "superseded"
    return (
        "valid" if content_digest(current_content) == signature.content_hash else "content_changed"
    )


@transaction.atomic
def signatures_supersede(
    *, target: models.Model, actor: User, reason: str, meaning: str = ""
) -> list[int]:
    """Mark every signature still in force on ``target`` (of ``meaning``, if given) as
    superseded: the record goes back for signing and they no longer count. The rows stay,
    with when and why, and one audit entry names them. Returns the ids superseded."""
    current = Signature.objects.select_for_update().filter(
        target_type=target._meta.label_lower, target_id=str(target.pk), superseded_at__isnull=True
    )
    if meaning:
        current = current.filter(meaning=meaning)
    ids = sorted(current.values_list("pk", flat=True))
    if ids:
        Signature.objects.filter(pk__in=ids).update(
            superseded_at=timezone.now(), superseded_reason=reason
        )
        audit.record(
            actor=actor,
            action=SUPERSEDED,
            target=target,
            changes={"signatures": [ids, None]},
            reason=reason,
        )
    return ids


def signature_manifest(signature: Signature) -> dict[str, str]:
    """What every page, print and export shows with a signature (21 CFR 11.50, statement 40).

    The time carries its offset twice — in the site's zone (``TIME_ZONE``, Asia/Shanghai) and
    in UTC — so a reader in another zone cannot misread it. ``meaning`` is in the active language.
    """
    local = timezone.localtime(signature.signed_at, timezone.get_default_timezone())
    signed_at = local.isoformat(timespec="seconds")
    signed_at_utc = signature.signed_at.astimezone(UTC).isoformat(timespec="seconds")
    meaning = str(SignatureMeaning(signature.meaning).label)
    return {
        "signer_name": signature.signer_name,
        "signed_at": signed_at,
        "signed_at_utc": signed_at_utc,
        "time_zone": timezone.get_default_timezone_name(),
        "meaning": meaning,
        "meaning_code": signature.meaning,
        "step": signature.step,
        "reason": signature.reason,
        "target_type": signature.target_type,
        "target_id": signature.target_id,
        "content_hash": signature.content_hash,
        "statement": _(
            "Signed by %(name)s on %(signed_at)s (%(signed_at_utc)s). Meaning: %(meaning)s."
        )
        % {
            "name": signature.signer_name,
            "signed_at": signed_at,
            "signed_at_utc": signed_at_utc,
            "meaning": meaning,
        },
    }
