"""EU field safety notices (MDR Art. 87(1)(b), 89(8)): the gate before the first FSN, the
urgent override, and the values of the sentence that the competent authority was informed.

The first FSN to a holder in the EEA (a recall notice of regime ``eu_mdr``) goes out only once
(1) the FSCA report was submitted to the competent authority and (2) the draft FSN was sent to
it for comment, both records of ``filings`` (registered in :data:`FSCA_RECORDS` from
``FilingsConfig.ready``: notices sits below filings and never imports it), or once an urgent
override was signed (reason, the authority told at the same time and how). Every send path
(the page, the API, the command, the system's own runs and the task) goes through
``send_runs.notice_run_start`` and ``issuing.notices_create``, which both ask
:func:`gate_problems`; a refused run creates nothing.

The FSN's closing sentence prints ``{{ fsca_authority }}``, ``{{ fsca_reported_on }}`` and
``{{ fsca_reference }}`` from the record (the submitted FSCA report, else the override), never
typed text; an EU notice template that does not use them, or the manufacturer's SRN
(``{{ company_srn }}``), is refused at approval and when it would go out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from medrecall.accounts.company import company_identity
from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.core.errors import DomainError
from medrecall.core.registry import Registry
from medrecall.recalls.models import RecallCase

from .errors import FsnOverrideRefused
from .models import FsnOverride, Kind, Notice

EU = "eu_mdr"
# Placeholders an EU FSN (the first notice and an update) must use: the authority sentence
# from the record and the manufacturer's SRN (Art. 89(8)).
RECORD_PLACEHOLDERS = ("fsca_authority", "fsca_reported_on", "fsca_reference")
FSN_PLACEHOLDERS = (*RECORD_PLACEHOLDERS, "company_srn")
FSN_KINDS = (Kind.INITIAL, Kind.UPDATE, Kind.REMINDER)  # notices that carry the SRN


@dataclass(frozen=True)
class FscaRecord:
    """What filings knows of a recall's EU documents: the submitted FSCA report (authority,
    time, reference) and the draft FSN sent to the authority (authority, time)."""

    authority: str = ""
    submitted_at: datetime | None = None
    reference: str = ""
    draft_authority: str = ""
    draft_sent_at: datetime | None = None


FscaRecordSource = Callable[[RecallCase], FscaRecord]
FSCA_RECORDS: Registry[FscaRecordSource] = Registry("FSCA record source")


def fsca_record(recall: RecallCase) -> FscaRecord:
    """The first registered source's record (an empty one when none is registered)."""
    for source in FSCA_RECORDS:
        return source(recall)
    return FscaRecord()


def override_for(recall: RecallCase) -> FsnOverride | None:
    return FsnOverride.objects.filter(recall=recall, signature__isnull=False).first()


def srn() -> str:
    return str(company_identity().get("srn", "")).strip()


def srn_problem() -> list[str]:
    if srn():
        return []
    return [
        _(
            "The manufacturer's single registration number (SRN) is not set: every field safety "
            "notice must carry it (MDR Art. 89(8)). Set it under Administration → Company."
        )
    ]


def gate_problems(recall: RecallCase, *, kind: str, regimes: set[str]) -> list[str]:
    """Why the first FSN may not go out yet; empty when it may (or it is not a first FSN)."""
    if kind != Kind.INITIAL or EU not in regimes:
        return []
    if Notice.objects.filter(recall=recall, regime=EU, kind=Kind.INITIAL).exists():
        return []  # the first FSN already passed the gate; the rest follow it
    if override_for(recall) is not None:
        return []
    record = fsca_record(recall)
    found = []
    if record.submitted_at is None:
        found.append(
            _(
                "The FSCA report to the competent authority is not submitted: the first field "
                "safety notice goes out after it (MDR Art. 87(1)(b)). Submit the FSCA report "
                "(Regulatory filings), or sign an urgent override with the reason."
            )
        )
    if record.draft_sent_at is None:
        found.append(
            _(
                "The draft field safety notice has not been sent to the competent authority for "
                "comment (MDR Art. 89(8)). Record it (Regulatory filings: draft FSN to the "
                "authority), or sign an urgent override with the reason."
            )
        )
    return found


def record_values(recall: RecallCase, language: str) -> dict[str, str]:
    """``fsca_authority``, ``fsca_reported_on``, ``fsca_reference`` in the reader's language:
    from the submitted FSCA report, else from the urgent override; empty when neither."""
    record = fsca_record(recall)
    if record.submitted_at is not None:
        authority, when, reference = record.authority, record.submitted_at, record.reference
    elif (override := override_for(recall)) is not None:
        authority, when, reference = override.authority, override.created_at, override.reference
    else:
        return dict.fromkeys(RECORD_PLACEHOLDERS, "")
    with translation.override(language):
        day = formats.date_format(timezone.localtime(when), "DATE_FORMAT")
    return {"fsca_authority": authority, "fsca_reported_on": day, "fsca_reference": reference}


def content_problems(recall: RecallCase, template: Any) -> list[str]:
    """What an EU FSN from ``template`` lacks to go out: the SRN, the authority record, the
    placeholders that print them."""
    if template.kind not in FSN_KINDS:
        return []
    found = template_problems(kind=template.kind, title=template.title, sections=template.sections)
    found += srn_problem()
    if template.kind == Kind.INITIAL and not any(record_values(recall, "en").values()):
        found.append(
            _(
                "The field safety notice cannot say that the competent authority was informed: "
                "no FSCA report is submitted and no urgent override is signed."
            )
        )
    return found


def template_problems(*, kind: str, title: str, sections: list[Any]) -> list[str]:
    """An EU FSN template must print the SRN and take the authority sentence from the record."""
    if kind not in FSN_KINDS:
        return []
    from .content import used_placeholders  # content imports this module

    used: set[str] = used_placeholders(title)
    for section in sections:
        if isinstance(section, dict):
            used |= used_placeholders(str(section.get("body", "")))
    if kind != Kind.INITIAL:
        return []  # follow-ups print the SRN in their header (documents: company block)
    wanted = FSN_PLACEHOLDERS
    return [
        _(
            "An EU field safety notice must use {{ %(name)s }} (MDR Art. 89(8): the manufacturer's "
            "SRN, and that the competent authority was informed, from the FSCA record)."
        )
        % {"name": name}
        for name in wanted
        if name not in used
    ]


def fsn_override_sign(
    *,
    recall: RecallCase,
    actor: User,
    reason: str,
    authority: str,
    reference: str,
    password: str,
    username: str | None = None,
    session: Any = None,
) -> FsnOverride:
    """Sign the urgent override (meaning: responsible). Refused without a reason, authority or
    reference, for a recall without the EU regime, or a second time; a wrong password leaves no
    override (the refused signature stays in the audit trail, as ``accounts`` records it)."""
    from medrecall.accounts.signatures import signature_apply

    reason, authority, reference = reason.strip(), authority.strip(), reference.strip()
    missing = [
        message
        for value, message in (
            (reason, _("Say why the field safety notice cannot wait for the FSCA report.")),
            (authority, _("Name the competent authority informed.")),
            (reference, _("Say how and when the authority was informed (the reference).")),
        )
        if not value
    ]
    if EU not in {r.regime for r in recall.regimes.all()}:
        missing.insert(0, _("The recall is not under the EU MDR: there is no FSN gate."))
    if FsnOverride.objects.filter(recall=recall).exists():
        missing.insert(0, _("An urgent override is already signed for this recall."))
    if missing:
        raise FsnOverrideRefused(missing[0], details=missing)
    with transaction.atomic():
        override = FsnOverride.objects.create(
            recall=recall,
            reason=reason,
            authority=authority[:255],
            reference=reference[:255],
            created_by=actor,
        )
    content = {
        "model": "notices.fsnoverride",
        "pk": override.pk,
        "recall": recall.number,
        "reason": reason,
        "authority": override.authority,
        "reference": override.reference,
    }
    try:
        signature = signature_apply(
            actor=actor,
            target=override,
            content=content,
            meaning="responsible",
            password=password,
            username=username,
            session=session,
            step="fsn_override",
        )
    except DomainError:
        FsnOverride.objects.filter(pk=override.pk).delete()
        raise
    with transaction.atomic():
        FsnOverride.objects.filter(pk=override.pk).update(signature=signature)
        override.signature = signature
        audit.record(
            actor=actor,
            action="notices.fsn_override",
            target=recall,
            reason=reason,
            changes={
                "fsn_override": [None, override.pk],
                "authority": [None, override.authority],
                "reference": [None, override.reference],
                "signature": [None, signature.pk],
            },
        )
    return override


def gate_state(recall: RecallCase) -> dict[str, Any]:
    """Where the recall's FSN gate stands (the page, the API and the command show it): the
    FSCA report and the draft FSN as submitted, the override, and what still blocks."""
    record = fsca_record(recall)
    override = override_for(recall)
    return {
        "fsca_report": None
        if record.submitted_at is None
        else {
            "authority": record.authority,
            "submitted_at": record.submitted_at,
            "reference": record.reference,
        },
        "draft_fsn": None
        if record.draft_sent_at is None
        else {"authority": record.draft_authority, "sent_at": record.draft_sent_at},
        "override": None
        if override is None or override.signature is None
        else {
            "reason": override.reason,
            "authority": override.authority,
            "reference": override.reference,
            "signed_by": override.signature.signer_name,
            "signed_at": override.signature.signed_at,
        },
        "srn": srn(),
        "blocked_by": gate_problems(recall, kind=Kind.INITIAL, regimes={EU}) + srn_problem(),
    }
