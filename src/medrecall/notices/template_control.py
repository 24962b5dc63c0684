"""Notice templates as controlled documents: an edit is saved as a new draft version, someone
other than its author approves it, and the version it replaces is retired. ``active_templates``
is what notices are issued from.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.core.errors import ValidationFailed
from medrecall.parties.models import Language

from . import content, documents, fsn
from .defaults import REQUIRED_SECTIONS
from .errors import FourEyesRequired, TemplateInvalid, TemplateNotDraft
from .models import (
    NoticeTemplate,
    TemplateStatus,
)


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
    if (regime, kind) not in REQUIRED_SECTIONS or language not in Language.values:
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
        raise TemplateNotDraft(
            _("Only a draft can be approved; this version is %(status)s.")
            % {"status": template.get_status_display()}
        )
    if template.created_by_id == actor.pk and not actor.is_superuser:
        raise FourEyesRequired(_("Someone other than the author must approve a template."))
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
    if template.regime == "eu_mdr" and (
        problems := fsn.template_problems(
            kind=template.kind, title=template.title, sections=template.sections
        )
    ):
        raise TemplateInvalid(problems[0], where="sections", details=problems, code="template_fsn")
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
