"""Rendering stored notices: the placeholders' values in the reader's language, the batch
rendered to subject, HTML, text and PDF (``documents``), stored on each notice with its stable
Message-ID; a notice whose content may not go out stays unrendered with the reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from medrecall.core.presentation import postal_address
from medrecall.core.regions import country_name
from medrecall.parties.models import Channel

from . import content, documents, fsn, links
from .errors import NoticeWithoutTemplate
from .issuing import REPLY_KINDS
from .models import (
    Kind,
    Notice,
    NoticeEvent,
    NoticeRun,
    NoticeStatus,
)

NMPA_LEVELS_ZH = {"I": "一", "II": "二", "III": "三"}


def _class_words(notice: Notice, classes: dict[str, str]) -> str:
    """The class as the notice's readers write it: 一/二/三(级召回) in a Chinese NMPA notice."""
    value = classes.get(notice.regime, "")
    if notice.regime == "nmpa" and notice.language == "zh-hans":
        return NMPA_LEVELS_ZH.get(value, value)
    return value


def notice_values(
    notice: Notice, *, base_url: str | None = None, fsca: dict[str, str] | None = None
) -> dict[str, Any]:
    """The placeholders' values for one notice, in the recipient's language. ``fsca``: the
    FSCA record's values in this language when the caller read them once for a batch."""
    recall, party = notice.recall, notice.party
    base = (base_url or settings.MEDRECALL_BASE_URL).rstrip("/")
    company = documents.company_for(notice.language)
    classes = {r.regime: r.recall_class for r in recall.regimes.all()}
    with translation.override(notice.language):
        root = notice.root
        values = {
            # The recall's words in the reader's language only (``content`` refuses a notice
            # where one it uses is missing): never the other language's text.
            "recall_number": recall.number,
            "recall_title": recall.text_for("title", content.case_language(notice.language)),
            "reason": recall.text_for("reason", content.case_language(notice.language)),
            "defect": recall.text_for("defect_description", content.case_language(notice.language)),
            "hazard": recall.text_for("hazard_description", content.case_language(notice.language)),
            # Mid-sentence in the templates ("(removal) at our cost"): lower case in English.
            "action": str(recall.get_action_type_display()).lower(),
            "action_heading": content.action_heading(recall, notice.language),
            "recall_class": _class_words(notice, classes),
            "holder_name": party.name
            if notice.language == "zh-hans" or not party.name_en
            else party.name_en,
            "holder_address": postal_address(
                address=party.address,
                city=party.city,
                province=party.province,
                country=country_name(party.country, notice.language) if party.country else "",
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
            "company_srn": "",
            **dict.fromkeys(fsn.RECORD_PLACEHOLDERS, ""),
        }
        if notice.regime == fsn.EU:  # an FSN: the SRN (printed in its header too), the record
            values["company_srn"] = fsn.srn()
            values.update(fsca if fsca is not None else fsn.record_values(recall, notice.language))
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


def _input(
    notice: Notice, progress_message: str = "", fsca: dict[str, str] | None = None
) -> documents.NoticeInput:
    template = notice.template
    if template is None:
        raise NoticeWithoutTemplate(_("The notice has no template."))
    values = notice_values(notice, fsca=fsca) | (
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
        regime=notice.regime,
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
    # The FSCA record (the FSN's authority sentence) read once per recall and language of the
    # batch, not once per notice.
    records: dict[tuple[int, str], dict[str, str]] = {}
    for notice in notices:
        key = (notice.recall_id, notice.language)
        if notice.regime == fsn.EU and key not in records:
            records[key] = fsn.record_values(notice.recall, notice.language)
    everything = documents.render_notices(
        [
            _input(notice, progress_message, records.get((notice.recall_id, notice.language)))
            for notice in notices
        ]
    )
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
