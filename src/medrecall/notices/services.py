"""Notice templates and send runs: editing and approving templates, generating one notice
per recipient from the frozen scope, rendering them in batches and handing them to SMTP
exactly once.

Sending is at-least-once made exactly-once in practice: a batch *claims* its notices with
one conditional UPDATE (status queued/failed-and-due/stale-sending → sending, with a claim
token), and each notice is marked sent in its own statement right after the SMTP server
accepted it. A worker killed mid-batch leaves at most the one notice it was handing over in
``sending``; the lease (``MEDRECALL_SEND_LEASE_SECONDS``) returns it to the sweep, and the
stable Message-ID lets mail systems drop the rare duplicate of that single message.
"""

from __future__ import annotations

import contextlib
import io
import secrets
import smtplib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import connection, transaction
from django.db.models import F, Max, Q, QuerySet
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.core.errors import NotFound, ValidationFailed
from medrecall.core.presentation import postal_address
from medrecall.core.states import ActionNotAllowed
from medrecall.parties.models import Channel, Contact, Party, PartyType
from medrecall.recalls.lifecycle import Action, require_action
from medrecall.recalls.models import AffectedLine, Category, RecallCase

from . import content, documents, links, mail
from .defaults import REQUIRED_SECTIONS
from .models import (
    OPEN_FOR_NOTICES,
    STATUS_RANK,
    Kind,
    Notice,
    NoticeEvent,
    NoticeRun,
    NoticeStatus,
    NoticeTemplate,
    SubConsignee,
    TemplateStatus,
)

# Which recall action each kind of notice is (``recalls.lifecycle.ALLOWED_ACTIONS``).
KIND_ACTIONS: dict[str, Action] = {
    Kind.INITIAL: Action.SEND_NOTICES,
    Kind.REMINDER: Action.SEND_NOTICES,
    Kind.PROGRESS: Action.SEND_PROGRESS,
    Kind.SURVEY: Action.SEND_SURVEY,
}

EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
        "CH",
        "TR",
    ]
)


class TemplateInvalid(ValidationFailed):
    code = "template_invalid"


class NoticeContentMissing(ValidationFailed):
    """A notice would go out with a section empty or in the wrong language (see ``content``)."""

    code = "notice_content"


# --- templates -------------------------------------------------------------------------


@transaction.atomic
def template_save(
    *,
    actor: User,
    regime: str,
    language: str,
    kind: str,
    title: str,
    subject: str,
    sections: list[Any],
    change_note: str = "",
) -> NoticeTemplate:
    """Save an edit as a new draft version; the approved version stays in use until the
    draft is approved."""
    if (regime, kind) not in REQUIRED_SECTIONS or language not in ("zh-hans", "en"):
        raise ValidationFailed(
            _("There is no template kind %(kind)s for %(regime)s in %(language)s.")
            % {"kind": kind, "regime": regime, "language": language},
            where="regime",
        )
    sections = [
        {
            "key": str(s.get("key", "")).strip(),
            "heading": str(s.get("heading", "")),
            "body": str(s.get("body", "")),
        }
        if isinstance(s, dict)
        else s
        for s in sections
    ]
    if problems := documents.template_problems(
        regime=regime, kind=kind, title=title, subject=subject, sections=sections
    ):
        raise TemplateInvalid(problems[0], where="sections", details=problems)
    latest = (
        NoticeTemplate.objects.select_for_update()
        .filter(regime=regime, language=language, kind=kind)
        .aggregate(version=Max("version"))["version"]
        or 0
    )
    template = NoticeTemplate.objects.create(
        regime=regime,
        language=language,
        kind=kind,
        version=latest + 1,
        title=title,
        subject=subject,
        sections=sections,
        change_note=change_note,
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="notices.template_saved",
        target=template,
        changes={"version": [latest or None, template.version]},
        reason=change_note,
    )
    return template


@transaction.atomic
def template_approve(*, template: NoticeTemplate, actor: User) -> NoticeTemplate:
    """Make a draft the version in use; the one before is retired."""
    template = NoticeTemplate.objects.select_for_update().get(pk=template.pk)
    if template.status != TemplateStatus.DRAFT:
        raise ValidationFailed(
            _("Only a draft can be approved; this version is %(status)s.")
            % {"status": template.get_status_display()}
        )
    if template.created_by_id == actor.pk and not actor.is_superuser:
        raise ValidationFailed(
            _("Someone other than the author must approve a template."), code="four_eyes"
        )
    if problems := documents.template_problems(
        regime=template.regime,
        kind=template.kind,
        title=template.title,
        subject=template.subject,
        sections=template.sections,
    ):
        raise TemplateInvalid(problems[0], where="sections", details=problems)
    if problems := content.marking_problems(
        regime=template.regime, kind=template.kind, title=template.title, subject=template.subject
    ):
        raise TemplateInvalid(problems[0], where="title", details=problems, code="template_marking")
    previous = NoticeTemplate.objects.filter(
        regime=template.regime,
        language=template.language,
        kind=template.kind,
        status=TemplateStatus.APPROVED,
    ).first()
    if previous:
        previous.status = TemplateStatus.RETIRED
        previous.save(update_fields=["status", "updated_at"])
    template.status, template.approved_by, template.approved_at = (
        TemplateStatus.APPROVED,
        actor,
        timezone.now(),
    )
    template.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    audit.record(
        actor=actor,
        action="notices.template_approved",
        target=template,
        changes={"approved": [previous.version if previous else None, template.version]},
    )
    return template


def active_templates() -> dict[tuple[str, str, str], NoticeTemplate]:
    return {
        (t.regime, t.language, t.kind): t
        for t in NoticeTemplate.objects.filter(status=TemplateStatus.APPROVED)
    }


# --- who gets what ---------------------------------------------------------------------


def urgency(recall: RecallCase) -> str:
    """The strictest class across the recall's regimes: I, II or III (an EU FSCA alone counts as II)."""
    classes = {r.recall_class for r in recall.regimes.all() if r.recall_class}
    if "I" in classes:
        return "I"
    if "II" in classes or "fsca" in classes:
        return "II"
    return "III"


def regime_for(recall: RecallCase, country: str) -> str:
    """The regime whose notice a holder in ``country`` gets, among the recall's regimes."""
    regimes = [r.regime for r in recall.regimes.all()]
    preferred = (
        "nmpa"
        if country == "CN"
        else "fda"
        if country == "US"
        else "eu_mdr"
        if country in EU_COUNTRIES
        else ""
    )
    if preferred in regimes:
        return preferred
    for regime in ("nmpa", "fda", "eu_mdr"):
        if regime in regimes:
            return regime
    raise ValidationFailed(_("The recall has no regime, so there is no notice template to use."))


def holder_lines(
    recall: RecallCase, party_ids: Iterable[int] | None = None
) -> dict[int, list[dict[str, Any]]]:
    """Each holder's affected lines: from the frozen scope (outside our own sites) plus the
    sub-consignees reported in replies, in one query each."""
    snapshot = recall.current_snapshot
    if snapshot is None:
        raise ValidationFailed(_("Freeze the scope before sending notices."), where="scope")
    wanted = set(party_ids) if party_ids is not None else None
    frozen = AffectedLine.objects.filter(snapshot=snapshot).exclude(
        category__in=(Category.OWN_STOCK, Category.QUARANTINE, Category.DISPOSITIONED)
    )
    added = SubConsignee.objects.filter(recall=recall)
    if wanted is not None:
        frozen, added = frozen.filter(party_id__in=wanted), added.filter(party_id__in=wanted)
    # The device name in both languages ("model" Chinese, "model_en" English): each output
    # prints the reader's (catalog.models.device_name).
    fields = (
        "party_id",
        "lot_id",
        "serial_id",
        "location_id",
        "lot__number",
        "lot__device_model__name",
        "lot__device_model__name_en",
        "lot__device_model__udi_di",
        "serial__serial",
        "location__name",
    )
    lines: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in frozen.values_list(*fields, "on_hand", "in_transit", "received").order_by(
        "party_id", "lot_id", "serial_id"
    ):
        (
            party,
            lot,
            serial,
            location,
            lot_no,
            model,
            model_en,
            udi_di,
            serial_no,
            where,
            on_hand,
            in_transit,
            received,
        ) = row
        lines[party].append(
            {
                "lot_id": lot,
                "serial_id": serial,
                "location_id": location,
                "lot": lot_no,
                "model": model,
                "model_en": model_en,
                "udi_di": udi_di,
                "serial": serial_no or "",
                "location": where,
                "quantity": on_hand + in_transit,
                "received": max(received, on_hand + in_transit),
            }
        )
    for row in added.values_list(*fields, "quantity"):
        (
            party,
            lot,
            serial,
            location,
            lot_no,
            model,
            model_en,
            udi_di,
            serial_no,
            where,
            quantity,
        ) = row
        lines[party].append(
            {
                "lot_id": lot,
                "serial_id": serial,
                "location_id": location,
                "lot": lot_no,
                "model": model,
                "model_en": model_en,
                "udi_di": udi_di,
                "serial": serial_no or "",
                "location": where,
                "quantity": quantity,
                "received": quantity,
            }
        )
    return lines


@dataclass(frozen=True)
class Recipient:
    party_id: int
    contact_id: int | None
    email: str
    channel: str
    language: str
    country: str

    @property
    def key(self) -> str:
        return f"{self.party_id}:{self.contact_id or 0}"


def recipients(party_ids: Iterable[int]) -> list[Recipient]:
    """One recipient per contact of each holder (e-mail where they have an address); a holder
    without any gets one letter or call to its address, as it prefers."""
    parties = {
        p.pk: p
        for p in Party.objects.filter(pk__in=list(party_ids)).exclude(party_type=PartyType.OWN_SITE)
    }
    contacts: dict[int, list[Contact]] = defaultdict(list)
    for contact in Contact.objects.filter(party_id__in=parties).order_by("-is_primary", "pk"):
        contacts[contact.party_id].append(contact)
    found = []
    for party_id, party in sorted(parties.items()):
        with_email = [
            c for c in contacts[party_id] if c.email and c.preferred_channel != Channel.LETTER
        ]
        if with_email:
            found += [
                Recipient(
                    party_id,
                    c.pk,
                    c.email,
                    Channel.EMAIL,
                    c.language or party.language,
                    party.country,
                )
                for c in with_email
            ]
            continue
        first = contacts[party_id][0] if contacts[party_id] else None
        channel = (
            Channel.PHONE
            if (first and first.preferred_channel == Channel.PHONE)
            or (party.preferred_channel == Channel.PHONE)
            else Channel.LETTER
        )
        found.append(
            Recipient(
                party_id,
                first.pk if first else None,
                "",
                channel,
                (first.language if first else "") or party.language,
                party.country,
            )
        )
    return found


# --- runs ------------------------------------------------------------------------------


@transaction.atomic
def notice_run_start(
    *,
    recall: RecallCase,
    actor: User | None,
    kind: str = Kind.INITIAL,
    parties: list[int] | None = None,
    reason: str = "",
) -> NoticeRun:
    """Queue the generation and sending of notices to every holder in scope (or ``parties``)."""
    require_action(recall, KIND_ACTIONS.get(kind, Action.SEND_NOTICES))
    recall = RecallCase.objects.select_for_update().get(pk=recall.pk)
    if kind in (Kind.INITIAL, Kind.UPDATE) and recall.status not in OPEN_FOR_NOTICES:
        raise ValidationFailed(
            _("Notices go out once the recall is approved (now: %(status)s).")
            % {"status": recall.get_status_display()},
            code="not_approved",
        )
    if recall.current_snapshot is None:
        raise ValidationFailed(_("Freeze the scope before sending notices."), where="scope")
    if actor is not None and (problems := run_content_problems(recall, kind=kind, parties=parties)):
        raise NoticeContentMissing(problems[0], where="content", details=problems)
    run = NoticeRun.objects.create(
        recall=recall, kind=kind, parties=sorted(parties or []), reason=reason, started_by=actor
    )
    if actor is not None:
        audit.record(
            actor=actor,
            action="notices.run_started",
            target=recall,
            changes={"run": [None, run.pk], "kind": [None, kind]},
            reason=reason,
        )
    from .tasks import notice_run_task

    transaction.on_commit(lambda: notice_run_task.enqueue(run.pk))
    return run


def _template_for(
    templates: dict[tuple[str, str, str], NoticeTemplate], regime: str, language: str, kind: str
) -> NoticeTemplate | None:
    return templates.get((regime, language, kind)) or templates.get((regime, "en", kind))


def run_content_problems(
    recall: RecallCase, *, kind: str = Kind.INITIAL, parties: list[int] | None = None
) -> list[str]:
    """Why the notices of a run would go out incomplete or in mixed languages: checked for each
    regime × language the run's recipients get, before anything is created."""
    lines = holder_lines(recall, parties or None)
    templates = active_templates()
    problems: list[str] = []
    for regime, language in sorted(
        {
            (
                regime_for(recall, r.country),
                r.language if r.language in ("zh-hans", "en") else "zh-hans",
            )
            for r in recipients(lines)
        }
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
    for recipient in recipients(lines):
        regime = regime_for(recall, recipient.country)
        language = recipient.language if recipient.language in ("zh-hans", "en") else "zh-hans"
        template = _template_for(templates, regime, language, kind)
        if template is None:
            raise ValidationFailed(
                _("No approved %(kind)s template for %(regime)s.")
                % {"kind": kind, "regime": regime}
            )
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


def notice_run_execute(run_id: int) -> NoticeRun:
    """Create the run's notices, then hand them to batch tasks (render + send)."""
    run = NoticeRun.objects.select_related("recall").get(pk=run_id)
    if run.status not in (NoticeRun.Status.QUEUED, NoticeRun.Status.GENERATING):
        return run
    NoticeRun.objects.filter(pk=run.pk).update(status=NoticeRun.Status.GENERATING)
    try:
        with transaction.atomic():
            party_ids = run.parties or list(holder_lines(run.recall).keys())
            notices_create(recall=run.recall, run=run, kind=run.kind, party_ids=party_ids)
    except (ValidationFailed, ActionNotAllowed) as problem:
        NoticeRun.objects.filter(pk=run.pk).update(
            status=NoticeRun.Status.FAILED, error=problem.message, finished_at=timezone.now()
        )
        return NoticeRun.objects.get(pk=run.pk)
    ids = list(Notice.objects.filter(run=run).order_by("pk").values_list("pk", flat=True))
    NoticeRun.objects.filter(pk=run.pk).update(total=len(ids), status=NoticeRun.Status.SENDING)
    from .tasks import notices_batch_task

    size = settings.MEDRECALL_SEND_BATCH
    for start in range(0, len(ids), size):
        notices_batch_task.enqueue(run.pk, ids[start : start + size])
    if not ids:
        _run_finish_if_done(run.pk)
    return NoticeRun.objects.get(pk=run.pk)


def _run_finish_if_done(run_id: int) -> None:
    pending = Notice.objects.filter(
        run_id=run_id,
        status=NoticeStatus.GENERATED,
        channel=Channel.EMAIL,
        body_html="",
        last_error="",
    ).exists()
    if not pending:
        NoticeRun.objects.filter(
            pk=run_id, finished_at__isnull=True, rendered__gte=F("total")
        ).update(status=NoticeRun.Status.DONE, finished_at=timezone.now())


# --- rendering -------------------------------------------------------------------------

NMPA_LEVELS_ZH = {"I": "一", "II": "二", "III": "三"}


def _class_words(notice: Notice, classes: dict[str, str]) -> str:
    """The class as the notice's readers write it: 一/二/三(级召回) in a Chinese NMPA notice."""
    value = classes.get(notice.regime, "")
    if notice.regime == "nmpa" and notice.language == "zh-hans":
        return NMPA_LEVELS_ZH.get(value, value)
    return value


def notice_values(notice: Notice, *, base_url: str | None = None) -> dict[str, Any]:
    """The placeholders' values for one notice, in the recipient's language."""
    recall, party = notice.recall, notice.party
    base = (base_url or settings.MEDRECALL_BASE_URL).rstrip("/")
    company = settings.MEDRECALL_COMPANY
    classes = {r.regime: r.recall_class for r in recall.regimes.all()}
    with translation.override(notice.language):
        root = notice.root
        values = {
            # The recall's words in the reader's language only (``content`` refuses a notice
            # where one it uses is missing): never the other language's text.
            "recall_number": recall.number,
            "recall_title": recall.text_for("title", notice.language),
            "reason": recall.text_for("reason", notice.language),
            "defect": recall.text_for("defect_description", notice.language),
            "hazard": recall.text_for("hazard_description", notice.language),
            "action": recall.get_action_type_display(),
            "action_heading": content.action_heading(recall, notice.language),
            "recall_class": _class_words(notice, classes),
            "holder_name": party.name
            if notice.language == "zh-hans" or not party.name_en
            else party.name_en,
            "holder_address": postal_address(
                address=party.address,
                city=party.city,
                province=party.province,
                country=party.country,
                language=notice.language,
            ),
            "contact_name": notice.contact.name if notice.contact else "",
            "units_total": notice.total_units,
            "reply_url": "",
            "reply_by": "",
            "survey_url": "",
            "open_url": "",
            "notice_date": formats.date_format(timezone.localdate(), "DATE_FORMAT"),
            "sequence": notice.sequence,
            "company_name": company.get("name", ""),
            "company_address": company.get("address", ""),
            "company_phone": company.get("phone", ""),
            "company_email": company.get("email", ""),
            "progress_message": "",
        }
        if notice.kind in REPLY_KINDS:
            values["reply_url"] = base + links.reply_path(root)
            due = notice.reply_due_at or root.reply_due_at
            values["reply_by"] = (
                formats.date_format(timezone.localtime(due), "DATE_FORMAT") if due else ""
            )
        if notice.kind == Kind.SURVEY:
            values["survey_url"] = base + links.survey_path(notice)
    return values


def _urgent(notice: Notice) -> bool:
    classes = {r.regime: r.recall_class for r in notice.recall.regimes.all()}
    return notice.regime == "eu_mdr" or classes.get(notice.regime) in ("I", "II")


def _input(notice: Notice, progress_message: str = "") -> documents.NoticeInput:
    template = notice.template
    if template is None:
        raise ValidationFailed(_("The notice has no template."))
    values = notice_values(notice) | (
        {"progress_message": progress_message} if progress_message else {}
    )
    return documents.NoticeInput(
        template.title,
        template.subject,
        template.sections,
        values,
        notice.lines,
        notice.language,
        _urgent(notice),
        printed=notice.channel != Channel.EMAIL,
    )


def notice_render(
    notice: Notice, *, progress_message: str = "", with_pdf: bool = True
) -> documents.Rendered:
    return documents.render_notices([_input(notice, progress_message)], with_pdf=with_pdf)[0]


def _pdf_name(notice: Notice) -> str:
    return f"notices/{notice.recall.number}/{notice.pk}-{notice.kind}-{notice.sequence}.pdf"


def notices_render(notice_ids: list[int], *, progress_message: str = "") -> dict[int, bytes]:
    """Render notices not rendered yet; e-mail ones become queued. Returns the PDFs made."""
    notices = list(
        Notice.objects.filter(pk__in=notice_ids, body_html="")
        .select_related("recall", "party", "contact", "template", "parent")
        .prefetch_related("recall__regimes")
    )
    pdfs: dict[int, bytes] = {}
    now = timezone.now()
    notices = _content_checked(notices, now)
    everything = documents.render_notices([_input(notice, progress_message) for notice in notices])
    for notice, rendered in zip(notices, everything, strict=True):
        name = _pdf_name(notice)
        if default_storage.exists(name):
            default_storage.delete(name)
        notice.pdf.name = default_storage.save(name, ContentFile(rendered.pdf))
        notice.subject, notice.body_html, notice.body_text = (
            rendered.subject[:255],
            rendered.html,
            rendered.text,
        )
        if notice.channel == Channel.EMAIL:
            notice.status = NoticeStatus.QUEUED
        notice.message_id = _message_id(notice)
        pdfs[notice.pk] = rendered.pdf
    # One prepared UPDATE for the batch (bulk_update builds a CASE per column: 2 ms a notice).
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {Notice._meta.db_table} SET pdf = %s, subject = %s, body_html = %s, body_text = %s, "  # noqa: S608
            "status = %s, message_id = %s WHERE id = %s",
            [
                (n.pdf.name, n.subject, n.body_html, n.body_text, n.status, n.message_id, n.pk)
                for n in notices
            ],
        )
    NoticeEvent.objects.bulk_create(
        [
            NoticeEvent(
                notice=n,
                party_id=n.party_id,
                recall_id=n.recall_id,
                type=NoticeEvent.Type.QUEUED,
                at=now,
            )
            for n in notices
            if n.channel == Channel.EMAIL
        ]
    )
    return pdfs


def _content_checked(notices: list[Notice], now: datetime) -> list[Notice]:
    """The notices whose content may go out. The others stay unrendered with the reason
    (``last_error``, an event, the run's error); the sweep renders them once the text is
    entered (``follow-up: retries_due``)."""
    verdicts: dict[tuple[int, int | None, str, str], list[str]] = {}
    fine, refused = [], []
    for notice in notices:
        key = (notice.recall_id, notice.template_id, notice.language, notice.regime)
        if key not in verdicts:
            verdicts[key] = (
                content.content_problems(
                    recall=notice.recall,
                    template=notice.template,
                    language=notice.language,
                    regime=notice.regime,
                )
                if notice.template is not None
                else []
            )
        if verdicts[key]:
            refused.append((notice, " ".join(verdicts[key])[:2000]))
        else:
            fine.append(notice)
    for notice, reason in refused:
        if notice.last_error != reason:
            Notice.objects.filter(pk=notice.pk).update(last_error=reason)
            NoticeEvent.objects.create(
                notice=notice,
                party_id=notice.party_id,
                recall_id=notice.recall_id,
                type=NoticeEvent.Type.FAILED,
                at=now,
                note=reason,
            )
        if notice.run_id:
            NoticeRun.objects.filter(pk=notice.run_id, error="").update(error=reason)
    if fine:
        Notice.objects.filter(pk__in=[n.pk for n in fine]).exclude(last_error="").filter(
            status=NoticeStatus.GENERATED
        ).update(last_error="")
    return fine


def _message_id(notice: Notice) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "medrecall.local"
    return f"<notice-{notice.pk}.{notice.token_nonce}@{domain}>"


def notices_batch(run_id: int | None, notice_ids: list[int]) -> int:
    """Render and send one batch of a run; returns how many were sent now."""
    pdfs = notices_render(notice_ids)
    if run_id is not None:
        NoticeRun.objects.filter(pk=run_id).update(rendered=F("rendered") + len(notice_ids))
    sent = notices_send(notice_ids, pdfs=pdfs)
    if run_id is not None:
        _run_finish_if_done(run_id)
    return sent


# --- sending ---------------------------------------------------------------------------


def _backoff(attempts: int, now: datetime) -> datetime | None:
    if attempts >= settings.MEDRECALL_SEND_MAX_ATTEMPTS:
        return None
    seconds = settings.MEDRECALL_SEND_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return now + timedelta(seconds=min(seconds, 6 * 3600))


def sendable() -> Q:
    """Notices a send may claim now: queued, failed and due, or stuck in a lapsed claim."""
    now = timezone.now()
    lease = now - timedelta(seconds=settings.MEDRECALL_SEND_LEASE_SECONDS)
    return (
        Q(status=NoticeStatus.QUEUED)
        | Q(status=NoticeStatus.FAILED, next_attempt_at__lte=now)
        | Q(status=NoticeStatus.SENDING, claimed_at__lt=lease)
    )


def _fail(notice: Notice, claim: str, error: str, *, permanent: bool) -> None:
    now = timezone.now()
    retry = None if permanent else _backoff(notice.attempts, now)
    status = NoticeStatus.BOUNCED if permanent else NoticeStatus.FAILED
    Notice.objects.filter(pk=notice.pk, claim=claim).update(
        status=status, next_attempt_at=retry, last_error=error[:2000]
    )
    NoticeEvent.objects.create(
        notice=notice,
        party_id=notice.party_id,
        recall_id=notice.recall_id,
        type=NoticeEvent.Type.BOUNCED if permanent else NoticeEvent.Type.FAILED,
        at=now,
        note=error[:2000],
    )


def _message(notice: Notice, pdf: bytes) -> bytes:
    """The notice as an e-mail. The open-tracking image goes into the sent copy only: staff
    viewing the stored notice must not count as the holder opening it."""
    pixel = f'<img src="{settings.MEDRECALL_BASE_URL}{links.open_path(notice)}" width="1" height="1" alt="">'
    return mail.compose(
        sender=settings.DEFAULT_FROM_EMAIL,
        recipient=notice.email,
        subject=notice.subject,
        message_id=notice.message_id,
        text=notice.body_text,
        html=notice.body_html.replace("</body>", pixel + "</body>", 1),
        attachment_name=f"{notice.recall.number}-{notice.pk}.pdf",
        attachment=pdf,
        extra_headers={"X-MedRecall-Notice": str(notice.pk)},
    )


def _mark_sent(notice: Notice, claim: str) -> None:
    """Record one accepted message at once (plain SQL: this runs per notice). On PostgreSQL one
    statement marks the notice and logs it; SQLite, in-process, takes two in a transaction."""
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    notices, events = Notice._meta.db_table, NoticeEvent._meta.db_table
    mark = (
        f"UPDATE {notices} SET status = %s, sent_at = %s, next_attempt_at = NULL, last_error = '' "  # noqa: S608
        "WHERE id = %s AND claim = %s"
    )
    log = (
        f"INSERT INTO {events} (notice_id, party_id, recall_id, type, at, actor_id, note) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s, NULL, %s)"
    )
    marked: list[Any] = [NoticeStatus.SENT.value, at, notice.pk, claim]
    logged: list[Any] = [
        notice.pk,
        notice.party_id,
        notice.recall_id,
        NoticeEvent.Type.SENT.value,
        at,
        notice.email,
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH marked AS ({mark} RETURNING id) INSERT INTO {events} "  # noqa: S608
                "(notice_id, party_id, recall_id, type, at, actor_id, note) "
                "SELECT id, %s, %s, %s, %s, NULL, %s FROM marked",
                marked + logged[1:],
            )
        else:
            with transaction.atomic():
                cursor.execute(mark, marked)
                cursor.execute(log, logged)


def notices_send(
    notice_ids: list[int] | None = None, *, pdfs: dict[int, bytes] | None = None
) -> int:
    """Claim and send e-mail notices (these, or every sendable one); each is marked sent the
    moment the server accepts it. Returns how many were sent."""
    claim = uuid4().hex
    now = timezone.now()
    candidates = Notice.objects.filter(sendable(), channel=Channel.EMAIL).exclude(body_html="")
    if notice_ids is not None:
        candidates = candidates.filter(pk__in=notice_ids)
    Notice.objects.filter(pk__in=candidates.values("pk")).update(
        status=NoticeStatus.SENDING, claim=claim, claimed_at=now, attempts=F("attempts") + 1
    )
    claimed = list(
        Notice.objects.filter(claim=claim, status=NoticeStatus.SENDING)
        .select_related("recall")
        .order_by("pk")
    )
    if not claimed:
        return 0
    mailer = get_connection(fail_silently=False)
    try:
        mailer.open()
    except (OSError, smtplib.SMTPException) as error:
        for notice in claimed:
            _fail(
                notice,
                claim,
                _("The mail server is unreachable: %(error)s") % {"error": error},
                permanent=False,
            )
        return 0
    sent = 0
    try:
        for index, notice in enumerate(claimed):
            pdf = (pdfs or {}).get(notice.pk)
            if pdf is None and notice.pdf:
                with notice.pdf.open("rb") as stored:
                    pdf = stored.read()
            try:
                raw = _message(notice, pdf or b"")
                if isinstance(mailer, SmtpBackend) and mailer.connection is not None:
                    mailer.connection.sendmail(settings.DEFAULT_FROM_EMAIL, [notice.email], raw)
                else:  # the console, file or in-memory backends of development set-ups
                    mailer.send_messages(
                        [
                            mail.RawEmail(
                                raw, sender=settings.DEFAULT_FROM_EMAIL, recipient=notice.email
                            )
                        ]
                    )
            except smtplib.SMTPRecipientsRefused as error:
                _fail(
                    notice,
                    claim,
                    _("The recipient was refused: %(error)s") % {"error": error},
                    permanent=True,
                )
                continue
            except smtplib.SMTPResponseException as error:
                _fail(
                    notice,
                    claim,
                    _("The mail server answered %(code)s: %(error)s")
                    % {
                        "code": error.smtp_code,
                        "error": error.smtp_error.decode(errors="replace")
                        if isinstance(error.smtp_error, bytes)
                        else error.smtp_error,
                    },
                    permanent=500 <= error.smtp_code < 600,
                )
                if not 500 <= error.smtp_code < 600:
                    for rest in claimed[index + 1 :]:
                        _fail(
                            rest,
                            claim,
                            _("Not attempted: the mail server refused to continue."),
                            permanent=False,
                        )
                    break
                continue
            except (OSError, smtplib.SMTPException) as error:
                for rest in claimed[index:]:
                    _fail(
                        rest,
                        claim,
                        _("The connection to the mail server failed: %(error)s") % {"error": error},
                        permanent=False,
                    )
                break
            _mark_sent(notice, claim)
            sent += 1
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            mailer.close()
    if sent:
        RecallCase.objects.filter(
            pk__in={n.recall_id for n in claimed}, initiated_at__isnull=True
        ).update(initiated_at=timezone.now())
    return sent


# --- status changes from outside -------------------------------------------------------


def advance(
    notices: list[Notice] | QuerySet[Notice],
    status: str,
    at_field: str,
    *,
    at: datetime | None = None,
) -> int:
    """Move notices forward to ``status`` (never back) and stamp ``at_field`` once."""
    at = at or timezone.now()
    lower = [s for s, rank in STATUS_RANK.items() if rank < STATUS_RANK[status]]
    ids: Any = [n.pk for n in notices] if isinstance(notices, list) else notices.values("pk")
    Notice.objects.filter(pk__in=ids, **{f"{at_field}__isnull": True}).update(**{at_field: at})
    return Notice.objects.filter(pk__in=ids, status__in=lower).update(status=status)


@transaction.atomic
def notice_delivery_report(
    *, message_id: str, outcome: str, detail: str = "", actor: User | None = None
) -> Notice:
    """What the mail system later says about a message: delivered, or bounced."""
    notice = Notice.objects.select_for_update().filter(message_id=message_id.strip()).first()
    if notice is None:
        raise NotFound(
            _("No notice was sent with the message id %(id)s.") % {"id": message_id},
            where="message_id",
        )
    now = timezone.now()
    if outcome == "delivered":
        advance([notice], NoticeStatus.DELIVERED, "delivered_at", at=now)
        kind = NoticeEvent.Type.DELIVERED
    elif outcome == "bounced":
        if STATUS_RANK[notice.status] <= STATUS_RANK[NoticeStatus.DELIVERED]:
            Notice.objects.filter(pk=notice.pk).update(
                status=NoticeStatus.BOUNCED, last_error=detail[:2000], next_attempt_at=None
            )
        kind = NoticeEvent.Type.BOUNCED
    else:
        raise ValidationFailed(
            _("The outcome must be delivered or bounced, not %(value)s.") % {"value": outcome},
            where="outcome",
        )
    NoticeEvent.objects.create(
        notice=notice,
        party_id=notice.party_id,
        recall_id=notice.recall_id,
        type=kind,
        at=now,
        actor=actor,
        note=detail[:2000],
    )
    notice.refresh_from_db()
    return notice


CONTACT_TYPES = {
    "call": NoticeEvent.Type.CALL,
    "letter": NoticeEvent.Type.LETTER,
    "note": NoticeEvent.Type.NOTE,
    "email": NoticeEvent.Type.SENT,
}


@transaction.atomic
def notice_contact_log(
    *,
    notice: Notice,
    actor: User,
    channel: str,
    note: str = "",
    acknowledged: bool = False,
    at: datetime | None = None,
) -> NoticeEvent:
    """Log a call, a posted letter or a note with who and when; a posted letter or a call
    that reached the holder counts as the notice sent (acknowledged if they confirmed)."""
    if channel not in CONTACT_TYPES:
        raise ValidationFailed(
            _("The channel must be one of %(allowed)s.") % {"allowed": ", ".join(CONTACT_TYPES)},
            where="channel",
        )
    if channel == "call" and not note.strip():
        raise ValidationFailed(_("Say what the call achieved."), where="note")
    require_action(notice.recall, Action.FILE_NOTE if channel == "note" else Action.LOG_CONTACT)
    at = at or timezone.now()
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    event = NoticeEvent.objects.create(
        notice=notice,
        party_id=notice.party_id,
        recall_id=notice.recall_id,
        type=CONTACT_TYPES[channel],
        at=at,
        actor=actor,
        note=note,
    )
    if channel in ("call", "letter", "email"):
        advance([notice], NoticeStatus.SENT, "sent_at", at=at)
        RecallCase.objects.filter(pk=notice.recall_id, initiated_at__isnull=True).update(
            initiated_at=at
        )
    if acknowledged:
        notice_acknowledge(notice=notice, actor=actor, note=note)
    audit.record(
        actor=actor,
        action="notices.contact_logged",
        target=notice,
        changes={"channel": [None, channel], "acknowledged": [None, acknowledged]},
        reason=note,
    )
    return event


def notice_acknowledge(*, notice: Notice, actor: User | None = None, note: str = "") -> None:
    """The holder confirmed receiving the notice (reply page, portal or by phone)."""
    require_action(notice.recall, Action.ACKNOWLEDGE)
    root = notice.root
    group = Notice.objects.filter(
        recall_id=root.recall_id, party_id=root.party_id, kind__in=(Kind.INITIAL, Kind.REMINDER)
    )
    changed = advance(group, NoticeStatus.ACKNOWLEDGED, "acknowledged_at")
    if changed:
        NoticeEvent.objects.create(
            notice=root,
            party_id=root.party_id,
            recall_id=root.recall_id,
            type=NoticeEvent.Type.ACKNOWLEDGED,
            at=timezone.now(),
            actor=actor,
            note=note,
        )


def notice_opened(*, notice: Notice) -> None:
    if advance([notice], NoticeStatus.OPENED, "opened_at"):
        NoticeEvent.objects.create(
            notice=notice,
            party_id=notice.party_id,
            recall_id=notice.recall_id,
            type=NoticeEvent.Type.OPENED,
            at=timezone.now(),
        )


# --- letters ---------------------------------------------------------------------------


def letters_to_post(recall: RecallCase) -> QuerySet[Notice]:
    """Letters rendered and not posted yet: the print queue of a recall."""
    return (
        Notice.objects.filter(recall=recall, channel=Channel.LETTER, status=NoticeStatus.GENERATED)
        .exclude(pdf="")
        .select_related("party")
        .order_by("party__code", "sequence", "pk")
    )


def letters_bundle(notices: QuerySet[Notice] | list[Notice]) -> bytes:
    """The letters as one PDF to print, each starting on a new page in the order given."""
    import pikepdf

    bundle = pikepdf.new()
    for notice in notices:
        with notice.pdf.open("rb") as stored, pikepdf.open(io.BytesIO(stored.read())) as letter:
            bundle.pages.extend(letter.pages)
    if not len(bundle.pages):
        raise ValidationFailed(_("There are no letters to print."))
    out = io.BytesIO()
    bundle.save(out)
    return out.getvalue()


@transaction.atomic
def letters_posted(*, notices: list[Notice], actor: User, note: str = "") -> int:
    """Log the letters as posted (who and when), as if one by one from each notice page."""
    for notice in notices:
        notice_contact_log(notice=notice, actor=actor, channel="letter", note=note)
    return len(notices)
