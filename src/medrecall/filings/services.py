"""Writes of filings: generate, enter a section, check, sign, submit, make a new version.
Each is one action with its audit entry; a refusal changes nothing.

States: draft → checked → signed → submitted. A change after signing (a section entered, the
values generated again) takes the filing back to draft: the signature stays on the record and
shows as no longer matching (its content hash). A submitted version is never changed: a
change is the next version, with what changed."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.core import files
from medrecall.core.presentation import joined
from medrecall.recalls import deadlines
from medrecall.recalls.models import RecallCase

from . import content, rendering
from .documents import DOCUMENT_TYPES, DocumentType, problems, types_for
from .errors import (
    ChangeNoteRefused,
    DocumentTypeUnknown,
    FilingAlreadySubmitted,
    FilingIncomplete,
    FilingNotCurrent,
    FilingNotSigned,
    SubmissionIncomplete,
)
from .models import Filing, FilingStatus, FilingSubmission
from .selectors import (
    addressee_named,
    authority_name,
    latest,
    next_deadline,
    signature_state,
    signing_content,
    submission_progress,
    submitted_to_name,
)

ACKNOWLEDGEMENT_TYPES = (files.PDF, files.JPEG, files.PNG, files.TIFF, files.DOCX)


def _kind(recall: RecallCase, doc_type: str) -> DocumentType:
    kind = DOCUMENT_TYPES.find(doc_type)
    if kind is None or kind not in types_for(recall):
        raise DocumentTypeUnknown(
            _("“%(doc_type)s” is not a document this recall files. It files: %(known)s.")
            % {
                "doc_type": doc_type,
                "known": joined(k.code for k in types_for(recall)) or "-",
            },
            where="doc_type",
        )
    return kind


def _store_files(filing: Filing) -> None:
    """Render the four files and keep them on the filing (replacing the earlier ones)."""
    stem = f"{filing.recall.number}-{filing.doc_type}-{filing.sequence}-v{filing.version}"
    for name, data in rendering.render(filing).items():
        extension = "pdf" if name.startswith("pdf") else "docx"
        getattr(filing, name).save(f"{stem}-{name[-2:]}.{extension}", ContentFile(data), save=False)


def _current(filing: Filing) -> Filing:
    """The filing locked, refused when a later version replaced it."""
    filing = (
        Filing.objects.select_for_update(of=("self",))
        .select_related("recall", "signature")
        .get(pk=filing.pk)
    )
    newer = Filing.objects.filter(
        recall_id=filing.recall_id,
        doc_type=filing.doc_type,
        sequence=filing.sequence,
        version__gt=filing.version,
    ).exists()
    if newer:
        raise FilingNotCurrent(
            _("Version %(version)s was replaced by a later version: act on the latest one.")
            % {"version": filing.version}
        )
    return filing


def _refuse_submitted(filing: Filing) -> None:
    if filing.status == FilingStatus.SUBMITTED:
        raise FilingAlreadySubmitted(
            _(
                "This version was submitted on %(date)s and is not changed: make a new version "
                "with what changed."
            )
            % {"date": timezone.localtime(filing.submitted_at).strftime("%Y-%m-%d")}
            if filing.submitted_at
            else _("This version was submitted and is not changed: make a new version.")
        )


@transaction.atomic
def filing_generate(*, recall: RecallCase, doc_type: str, actor: User) -> Filing:
    """Generate the document from the recall's data: the first version, the next report of a
    recurring document once the last one was submitted, or the values of the current draft
    generated again (entered sections kept)."""
    recall = RecallCase.objects.select_for_update().get(pk=recall.pk)
    kind = _kind(recall, doc_type)
    values = kind.generate(recall)
    now = timezone.now()
    found = latest(recall, doc_type)
    if found is not None and found.status != FilingStatus.SUBMITTED:
        filing = _current(found)
        before = filing.content
        filing.content = values
        filing.generated_at, filing.generated_by = now, actor
        if before != values:
            filing.status = FilingStatus.DRAFT
        _store_files(filing)
        filing.save()
        audit.record(
            actor=actor,
            action="filings.generated",
            target=filing,
            changes={"doc_type": [doc_type, doc_type], "values_changed": [None, before != values]},
        )
        return filing
    if found is not None and not kind.recurring:
        _refuse_submitted(found)
    filing = Filing.objects.create(
        recall=recall,
        doc_type=doc_type,
        sequence=found.sequence + 1 if found is not None else 1,
        version=1,
        content=values,
        addressees=kind.addressed_to(recall)
        if kind.addressed_to
        else content.addressees(recall, with_places=kind.with_places),
        generated_at=now,
        generated_by=actor,
    )
    _store_files(filing)
    filing.save()
    audit.record(
        actor=actor,
        action="filings.generated",
        target=filing,
        changes={
            "doc_type": [None, doc_type],
            "sequence": [None, filing.sequence],
            "version": [None, 1],
        },
    )
    return filing


def _changed(filing: Filing, actor: User, action: str, changes: dict[str, Any]) -> Filing:
    """After an edit: back to draft (a signature no longer matches), files rendered again."""
    was = filing.status
    filing.status = FilingStatus.DRAFT
    _store_files(filing)
    filing.save()
    audit.record(
        actor=actor,
        action=action,
        target=filing,
        changes={**changes, "status": [was, filing.status]},
    )
    return filing


@transaction.atomic
def filing_enter(
    *,
    filing: Filing,
    actor: User,
    sections: dict[str, dict[str, str]] | None = None,
    addressees: list[dict[str, str]] | None = None,
    change_note: dict[str, str] | None = None,
) -> Filing:
    """Write sections (``{key: {"zh": …, "en": …}}``), the authorities addressed and/or, on a
    later version, what changed (``{"zh": …, "en": …}``; a language left out is kept)."""
    filing = _current(filing)
    _refuse_submitted(filing)
    if change_note is not None and filing.version == 1:
        raise ChangeNoteRefused(
            _("Version 1 has no change note: what changed is written on a new version."),
            where="change_note",
        )
    kind = DOCUMENT_TYPES.get(filing.doc_type)
    known = {s.key for s in kind.sections}
    unknown = sorted(set(sections or {}) - known)
    if unknown:
        raise DocumentTypeUnknown(
            _("%(document)s has no section %(sections)s.")
            % {"document": kind.label, "sections": joined(unknown)},
            where="sections",
        )
    before = _entered_state(filing)
    if change_note is not None:
        filing.change_note = str(change_note.get("zh", filing.change_note)).strip()
        filing.change_note_en = str(change_note.get("en", filing.change_note_en)).strip()
    entered = dict(filing.entered)
    for key, text in (sections or {}).items():
        entered[key] = {
            "zh": str(text.get("zh", "")).strip(),
            "en": str(text.get("en", "")).strip(),
        }
    filing.entered = entered
    if addressees is not None:
        filing.addressees = [
            {"zh": a.get("zh", "").strip(), "en": (a.get("en") or a.get("zh", "")).strip()}
            for a in addressees
            if a.get("zh", "").strip() or a.get("en", "").strip()
        ]
    after = _entered_state(filing)
    if after == before:
        return filing
    return _changed(
        filing,
        actor,
        "filings.edited",
        {k: [before[k], after[k]] for k in after if before[k] != after[k]},
    )


def _entered_state(filing: Filing) -> dict[str, Any]:
    """What the user writes on a filing, to tell what an edit changed."""
    return {
        "entered": filing.entered,
        "addressees": filing.addressees,
        "change_note": filing.change_note,
        "change_note_en": filing.change_note_en,
    }


def filing_problems(filing: Filing) -> list[str]:
    """What the filing still lacks (empty: the check passes)."""
    kind = DOCUMENT_TYPES.get(filing.doc_type)
    note = {"zh": filing.change_note, "en": filing.change_note_en} if filing.version > 1 else None
    return problems(kind, filing.content, filing.entered, filing.addressees, note)


@transaction.atomic
def filing_check(*, filing: Filing, actor: User) -> Filing:
    """Check the required content; refused with every missing item named, else checked."""
    filing = _current(filing)
    if filing.status == FilingStatus.SUBMITTED:
        return filing
    found = filing_problems(filing)
    if found:
        raise FilingIncomplete(
            _("%(document)s is not complete: %(count)s item(s) missing.")
            % {"document": DOCUMENT_TYPES.get(filing.doc_type).label, "count": len(found)},
            details=found,
        )
    if filing.status == FilingStatus.DRAFT:
        filing.status = FilingStatus.CHECKED
        filing.save(update_fields=["status", "updated_at"])
        audit.record(
            actor=actor,
            action="filings.checked",
            target=filing,
            changes={"status": [FilingStatus.DRAFT, FilingStatus.CHECKED]},
        )
    return filing


def filing_sign(
    *,
    filing: Filing,
    actor: User,
    password: str,
    username: str | None = None,
    session: Any = None,
) -> Filing:
    """E-sign a checked filing (meaning: authored); the manifestation is printed in its files.

    Like ``approvals.approval_sign`` not one transaction: a refused signature (wrong password)
    stays in the audit trail; the filing is changed in a transaction of its own."""
    from medrecall.accounts.signatures import signature_apply

    with transaction.atomic():
        filing = _current(filing)
        _refuse_submitted(filing)
        if found := filing_problems(filing):
            raise FilingIncomplete(
                _("The check must pass before the filing is signed."), details=found
            )
        if filing.status == FilingStatus.DRAFT:
            raise FilingIncomplete(
                _("Run the check first: the filing is signed once the check passed."),
                where="status",
            )
        if filing.status == FilingStatus.SIGNED and signature_state(filing) == "valid":
            raise FilingAlreadySubmitted(
                _("This version is already signed."), code="filing_already_signed"
            )
    signature = signature_apply(
        actor=actor,
        target=filing,
        content=signing_content(filing),
        meaning=DOCUMENT_TYPES.get(filing.doc_type).signature_meaning,
        password=password,
        username=username,
        session=session,
        step="filing",
    )
    with transaction.atomic():
        filing = _current(filing)
        filing.signature = signature
        filing.status = FilingStatus.SIGNED
        _store_files(filing)
        filing.save()
        audit.record(
            actor=actor,
            action="filings.signed",
            target=filing,
            changes={
                "status": [FilingStatus.CHECKED, FilingStatus.SIGNED],
                "signature": [None, signature.pk],
            },
        )
    return filing


def max_acknowledgement_bytes() -> int:
    return int(getattr(settings, "MEDRECALL_FILING_ACK_MAX_BYTES", 10 * 1024 * 1024))


def _acknowledgement(name: str, upload: Any) -> tuple[bytes, files.FileType]:
    if upload is None:
        raise SubmissionIncomplete(
            _("Attach the authority's acknowledgement (PDF, scan or photo)."),
            where="acknowledgement",
        )
    limit = max_acknowledgement_bytes()
    data = upload.read(limit + 1) if hasattr(upload, "read") else bytes(upload)
    if len(data) > limit:
        raise SubmissionIncomplete(
            _("%(name)s is larger than %(limit)s bytes.") % {"name": name, "limit": limit},
            where="acknowledgement",
            code="file_too_large",
        )
    try:
        kind = files.check_type(io.BytesIO(data), name=name, allowed=ACKNOWLEDGEMENT_TYPES)
    except files.UploadRefused as refused:
        raise SubmissionIncomplete(
            refused.message, where="acknowledgement", code="wrong_type"
        ) from refused
    return data, kind


def _mark_deadline(filing: Filing, actor: User, submitted_at: datetime, reference: str) -> None:
    """The clock's deadline for this document done (the recall's own service, audited there),
    citing ``reference``: the one of the submission that completed the filing."""
    kind = DOCUMENT_TYPES.get(filing.doc_type)
    if not kind.deadline:
        return
    rows, _missing = deadlines.deadlines_for(filing.recall)
    row = next_deadline(rows, kind.deadline)
    if row is None or not row.waiting:  # done already, or not owed
        return
    deadlines.deadline_mark_done(
        recall=filing.recall,
        key=row.key,
        due_at=row.due_at,
        actor=actor,
        note=_("Filed: %(document)s, version %(version)s, reference %(reference)s")
        % {"document": kind.label, "version": filing.version, "reference": reference},
        done_at=submitted_at,
    )
    filing.deadline_key, filing.deadline_due_at = row.key, row.due_at


def _refuse_time(filing: Filing, when: datetime) -> None:
    """A submission happens after the signature it carries and not after now. Times are
    entered to the minute: a submission in the signature's own minute is accepted."""
    from medrecall.core.presentation import written_time

    signed_at = filing.signature.signed_at if filing.signature else None
    if signed_at is not None and when < signed_at.replace(second=0, microsecond=0):
        raise SubmissionIncomplete(
            _(
                "The submission time %(when)s is before the signature (%(signed)s): a filing "
                "is submitted after it is signed."
            )
            % {"when": written_time(when), "signed": written_time(signed_at)},
            where="submitted_at",
        )
    if when > timezone.now():
        raise SubmissionIncomplete(
            _("The submission time %(when)s is in the future.") % {"when": written_time(when)},
            where="submitted_at",
        )


def _refuse_authority(filing: Filing, authority: str, submissions: list[FilingSubmission]) -> None:
    """A filing addressed to several authorities is submitted to each of them once: the
    authority must be one it is addressed to, and not one it was already submitted to."""
    addressee = addressee_named(filing, authority)
    if len(filing.addressees) > 1 and addressee is None:
        raise SubmissionIncomplete(
            _("%(authority)s is not an authority this filing is addressed to: %(known)s.")
            % {
                "authority": authority,
                "known": joined(authority_name(a) for a in filing.addressees),
            },
            where="authority",
        )
    names = {authority, *(addressee.values() if addressee else ())}
    earlier = next(
        (
            s
            for s in submissions
            if any(s.authority.strip().casefold() == n.strip().casefold() for n in names if n)
        ),
        None,
    )
    if earlier is not None:
        raise FilingAlreadySubmitted(
            _(
                "This version was already submitted to %(authority)s on %(date)s: submitting "
                "twice to the same authority is refused."
            )
            % {
                "authority": submitted_to_name(filing, earlier.authority),
                "date": timezone.localtime(earlier.submitted_at).strftime("%Y-%m-%d"),
            },
            where="authority",
        )


@transaction.atomic
def filing_submit(
    *,
    filing: Filing,
    actor: User,
    authority: str,
    reference: str,
    acknowledgement: Any,
    acknowledgement_name: str = "",
    submitted_at: datetime | None = None,
) -> Filing:
    """Record one submission (to one authority the filing is addressed to: its date, reference
    number and acknowledgement). The first submission freezes the version; once every
    authority addressed has its submission, the recall's deadline for the document is done."""
    filing = _current(filing)
    submissions = list(filing.submissions.order_by("submitted_at", "pk"))
    progress = submission_progress(filing, submissions)
    if filing.status == FilingStatus.SUBMITTED and progress.complete:
        raise FilingAlreadySubmitted(
            _("This version is already submitted.")
            if progress.total == 1
            else _("This version is already submitted to every authority it is addressed to.")
        )
    state = signature_state(filing)
    if filing.status != FilingStatus.SUBMITTED and (
        filing.status != FilingStatus.SIGNED or state != "valid"
    ):
        raise FilingNotSigned(
            _("The signature no longer matches the filing: check and sign it again.")
            if state == "content_changed"
            else _("Sign the filing before it is submitted."),
            where="status",
        )
    missing = [
        message
        for value, message in (
            (authority.strip(), _("Say which authority it was submitted to.")),
            (reference.strip(), _("Give the authority's reference number.")),
        )
        if not value
    ]
    if missing:
        raise SubmissionIncomplete(" ".join(missing), details=missing)
    authority, reference = authority.strip()[:255], reference.strip()[:100]
    _refuse_authority(filing, authority, submissions)
    when = submitted_at or timezone.now()
    if timezone.is_naive(when):
        raise SubmissionIncomplete(
            _("The submission time needs its time zone."), where="submitted_at"
        )
    _refuse_time(filing, when)
    name = (acknowledgement_name or getattr(acknowledgement, "name", "") or "acknowledgement")[:255]
    data, kind = _acknowledgement(name, acknowledgement)
    submission = FilingSubmission(
        filing=filing,
        authority=authority,
        reference=reference,
        submitted_at=when,
        submitted_by=actor,
        acknowledgement_name=name,
        acknowledgement_type=kind.content_type,
    )
    submission.acknowledgement.save(files.stored_name(kind), ContentFile(data), save=False)
    submission.save()
    was = filing.status
    if was != FilingStatus.SUBMITTED:  # the first submission: the version is frozen from now
        filing.authority, filing.reference = authority, reference
        filing.submitted_at, filing.submitted_by = when, actor
        filing.status = FilingStatus.SUBMITTED
        filing.acknowledgement.name = submission.acknowledgement.name
        filing.acknowledgement_name, filing.acknowledgement_type = name, kind.content_type
    submissions.append(submission)
    progress = submission_progress(filing, submissions)
    if progress.complete:
        last = max(submissions, key=lambda s: (s.submitted_at, s.pk))
        filing.submitted_to_all_at = last.submitted_at
        _mark_deadline(filing, actor, last.submitted_at, last.reference)
    filing.save()
    audit.record(
        actor=actor,
        action="filings.submitted",
        target=filing,
        changes={
            "status": [was, filing.status],
            "authority": [None, authority],
            "reference": [None, reference],
            "submitted_at": [None, when.isoformat()],
            "acknowledgement_sha256": [None, hashlib.sha256(data).hexdigest()],
            "authorities_submitted": [progress.done - 1, progress.done],
            "authorities_addressed": [progress.total, progress.total],
            "deadline": [None, filing.deadline_key or None],
        },
    )
    return filing


@transaction.atomic
def filing_revise(
    *, filing: Filing, actor: User, change_note: str = "", change_note_en: str = ""
) -> Filing:
    """A submitted version changed: the next version, generated afresh from the data, with the
    sections and authorities of the one before and what changed (a plan change is filed again).
    No submission carries over: the new version is submitted to every authority addressed
    again (a deadline an earlier version met, submitted to all, stays met):
    ``change_note`` in Chinese, ``change_note_en`` in English — one is enough to start the
    version, the check asks for both before it can be signed."""
    filing = _current(filing)
    if filing.status != FilingStatus.SUBMITTED:
        raise FilingNotCurrent(
            _("Only a submitted version gets a new version; change this one directly."),
            where="status",
        )
    change_note, change_note_en = change_note.strip(), change_note_en.strip()
    if not change_note and not change_note_en:
        raise SubmissionIncomplete(_("Say what changed in the new version."), where="change_note")
    kind = DOCUMENT_TYPES.get(filing.doc_type)
    new = Filing.objects.create(
        recall=filing.recall,
        doc_type=filing.doc_type,
        sequence=filing.sequence,
        version=filing.version + 1,
        content=kind.generate(filing.recall),
        entered=filing.entered,
        addressees=filing.addressees,
        change_note=change_note,
        change_note_en=change_note_en,
        previous=filing,
        generated_at=timezone.now(),
        generated_by=actor,
    )
    _store_files(new)
    new.save()
    audit.record(
        actor=actor,
        action="filings.new_version",
        target=new,
        reason=" / ".join(n for n in (change_note, change_note_en) if n),
        changes={"version": [filing.version, new.version]},
    )
    return new
