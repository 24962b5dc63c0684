"""Issuing notices: one per recipient with that holder's frozen lines (idempotent on recall x
recipient x kind x sequence), updated notices listing only what a holder was not told yet, and
the content check that refuses a run whose notices would go out incomplete.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.parties.models import Language
from medrecall.recalls.lifecycle import Action, require_action
from medrecall.recalls.models import RecallCase, Regime

from . import content, fsn
from .errors import FsnGateClosed, TemplateMissing
from .models import (
    Kind,
    Notice,
    NoticeEvent,
    NoticeRun,
    NoticeTemplate,
)
from .recipients import holder_lines, recipients, regime_for, urgency
from .template_control import active_templates

# Which recall action each kind of notice is (``recalls.lifecycle.ALLOWED_ACTIONS``).
KIND_ACTIONS: dict[str, Action] = {
    Kind.INITIAL: Action.SEND_NOTICES,
    Kind.REMINDER: Action.SEND_NOTICES,
    Kind.PROGRESS: Action.SEND_PROGRESS,
    Kind.SURVEY: Action.SEND_SURVEY,
}


def _template_for(
    templates: dict[tuple[str, str, str], NoticeTemplate], regime: str, language: str, kind: str
) -> NoticeTemplate | None:
    """The approved template in the reader's language. Chinese falls back to English as
    before; any other language (an EU holder's) has its own template or none (MDR Art. 89(8):
    the FSN in the language of the Member State, never silently in another)."""
    found = templates.get((regime, language, kind))
    if found is None and language in BASE_LANGUAGES:
        found = templates.get((regime, "en", kind))
    return found


BASE_LANGUAGES = ("zh-hans", "en")


def reader_language(language: str) -> str:
    """The language a recipient reads (Chinese when none is recorded)."""
    return language or "zh-hans"


def missing_template(regime: str, language: str, kind: str) -> str:
    return _(
        "No approved %(kind)s template for %(regime)s in %(language)s: approve one, or set the "
        "holder's language to one that has a template."
    ) % {
        "kind": Kind(kind).label if kind in Kind.values else kind,
        "regime": Regime(regime).label if regime in Regime.values else regime,
        "language": Language(language).label if language in Language.values else language,
    }


def run_refusals(
    recall: RecallCase, *, kind: str, party_ids: list[int] | None
) -> tuple[list[str], list[str]]:
    """Why a run may not issue these notices at all: the readers' languages without an
    approved template (each named), and the EU FSN gate (``fsn.gate_problems``)."""
    lines = holder_lines(recall, party_ids or None)
    templates = active_templates()
    pairs = {
        (regime_for(recall, r.country), reader_language(r.language)) for r in recipients(lines)
    }
    missing = [
        missing_template(regime, language, kind)
        for regime, language in sorted(pairs)
        if _template_for(templates, regime, language, kind) is None
    ]
    return missing, fsn.gate_problems(recall, kind=kind, regimes={regime for regime, _l in pairs})


def run_content_problems(
    recall: RecallCase, *, kind: str = Kind.INITIAL, parties: list[int] | None = None
) -> list[str]:
    """Why the notices of a run would go out incomplete or in mixed languages: checked for each
    regime × language the run's recipients get, before anything is created."""
    lines = holder_lines(recall, parties or None)
    templates = active_templates()
    problems: list[str] = []
    for regime, language in sorted(
        {(regime_for(recall, r.country), reader_language(r.language)) for r in recipients(lines)}
    ):
        template = _template_for(templates, regime, language, kind)
        if template is not None:
            problems += [
                p
                for p in content.content_problems(
                    recall=recall, template=template, language=template.language, regime=regime
                )
                if p not in problems
            ]
    return problems


REPLY_KINDS = (
    Kind.INITIAL,
    Kind.REMINDER,
    Kind.UPDATE,
)  # notices that ask for a reply, with a due date


def update_plan(
    recall: RecallCase, lines: dict[int, list[dict[str, Any]]]
) -> tuple[dict[int, list[dict[str, Any]]], dict[str, Notice], int]:
    """For an updated notice: per holder already notified, the lines of ``lines`` (the current
    scope) beyond what its first notice and earlier updates listed, per (lot, serial, location);
    the first notice of each recipient (the update hangs under it, so the reply form shows
    both); and the update's sequence. Holders never notified, or with nothing added, are left out."""
    told: dict[int, dict[tuple[int, int | None, int], int]] = defaultdict(lambda: defaultdict(int))
    parents: dict[str, Notice] = {}
    seen: set[tuple[int, str, int]] = set()
    earlier = Notice.objects.filter(
        recall=recall, party_id__in=list(lines), kind__in=(Kind.INITIAL, Kind.UPDATE)
    )
    for notice in earlier.order_by("pk"):
        if notice.kind == Kind.INITIAL and notice.sequence == 1:
            parents.setdefault(notice.recipient_key, notice)
        if (notice.party_id, notice.kind, notice.sequence) in seen:
            continue  # every recipient of a holder gets the same lines
        seen.add((notice.party_id, notice.kind, notice.sequence))
        for line in notice.lines:
            told[notice.party_id][(line["lot_id"], line["serial_id"], line["location_id"])] += line[
                "quantity"
            ]
    added: dict[int, list[dict[str, Any]]] = {}
    for party_id, holder in lines.items():
        if party_id not in told:
            continue
        left = dict(told[party_id])
        new = []
        for line in holder:
            key = (line["lot_id"], line["serial_id"], line["location_id"])
            extra = line["quantity"] - left.get(key, 0)
            left[key] = max(left.get(key, 0) - line["quantity"], 0)
            if extra > 0:
                new.append({**line, "quantity": extra, "received": extra})
        if new:
            added[party_id] = new
    last = (
        Notice.objects.filter(recall=recall, kind=Kind.UPDATE).aggregate(last=Max("sequence"))[
            "last"
        ]
        or 0
    )
    return added, parents, last + 1


def _reply_due(recall: RecallCase, sequence: int, now: datetime) -> datetime:
    days = settings.MEDRECALL_FOLLOW_UP_DAYS[urgency(recall)]
    return now + timedelta(days=days[min(sequence, len(days)) - 1])


def notices_create(
    *,
    recall: RecallCase,
    run: NoticeRun | None,
    kind: str,
    party_ids: Iterable[int],
    sequence: int = 1,
    parents: dict[str, Notice] | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Create the notices (idempotent on recall × recipient × kind × sequence) with their
    frozen lines; returns the ids created now."""
    require_action(recall, KIND_ACTIONS.get(kind, Action.SEND_NOTICES))
    lines = holder_lines(recall, party_ids)
    if kind == Kind.UPDATE:  # only what each holder was not told yet, under its first notice
        lines, parents, sequence = update_plan(recall, lines)
    now = now or timezone.now()
    templates = active_templates()
    new = []
    readers = recipients(lines)
    if kind == Kind.INITIAL and (
        closed := fsn.gate_problems(
            recall, kind=kind, regimes={regime_for(recall, r.country) for r in readers}
        )
    ):
        raise FsnGateClosed(closed[0], where="fsn", details=closed)
    for recipient in readers:
        regime = regime_for(recall, recipient.country)
        language = reader_language(recipient.language)
        template = _template_for(templates, regime, language, kind)
        if template is None:
            raise TemplateMissing(missing_template(regime, language, kind), where="language")
        holder = lines[recipient.party_id]
        parent = (parents or {}).get(recipient.key)
        new.append(
            Notice(
                recall=recall,
                run=run,
                party_id=recipient.party_id,
                contact_id=recipient.contact_id,
                recipient_key=recipient.key,
                kind=kind,
                sequence=sequence,
                parent=parent,
                template=template,
                regime=regime,
                language=template.language,
                channel=recipient.channel,
                email=recipient.email,
                lines=holder,
                total_units=sum(line["quantity"] for line in holder),
                token_nonce=secrets.token_hex(8),
                reply_due_at=_reply_due(recall, sequence, now) if kind in REPLY_KINDS else None,
            )
        )
    before = set(
        Notice.objects.filter(recall=recall, kind=kind, sequence=sequence).values_list(
            "pk", flat=True
        )
    )
    Notice.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    created = list(
        Notice.objects.filter(recall=recall, kind=kind, sequence=sequence)
        .exclude(pk__in=before)
        .values_list("pk", flat=True)
    )
    if run is not None:
        Notice.objects.filter(pk__in=created).update(run=run)
    NoticeEvent.objects.bulk_create(
        [
            NoticeEvent(
                notice_id=pk, party_id=party, recall=recall, type=NoticeEvent.Type.GENERATED, at=now
            )
            for pk, party in Notice.objects.filter(pk__in=created).values_list("pk", "party_id")
        ],
        batch_size=1000,
    )
    return created
