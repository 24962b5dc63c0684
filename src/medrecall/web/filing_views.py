"""Filing pages: the recall's filings (each document with its status and due date) and one
filing (values, check results, sections to write, sign, submit, versions, downloads). Portal
users never reach them (404, like the recall); QA/RA act, other staff read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from medrecall.accounts.models import User
from medrecall.accounts.selectors import viewer_of
from medrecall.accounts.signatures import signature_manifest, signing_needs_user_id
from medrecall.audit.selectors import history_for
from medrecall.core.errors import DomainError, NotFound
from medrecall.core.presentation import written_time
from medrecall.filings import selectors, services
from medrecall.filings.documents import DOCUMENT_TYPES
from medrecall.filings.downloads import served_file
from medrecall.filings.models import Filing
from medrecall.filings.rendering import blocks
from medrecall.recalls import selectors as recall_selectors
from medrecall.recalls.models import RecallCase

CHANGE = "filings.change_filing"


def _recall(request: HttpRequest, pk: int) -> RecallCase:
    viewer = viewer_of(request)
    try:
        recall = recall_selectors.recall_get_for(viewer=viewer, pk=pk)
        selectors.filing_list_for(viewer=viewer, recall_id=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    return recall


def _filing(request: HttpRequest, pk: int, filing: int) -> Filing:
    try:
        return selectors.filing_get_for(viewer=viewer_of(request), pk=filing, recall_id=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing


@login_required
def filing_list(request: HttpRequest, pk: int) -> HttpResponse:
    recall = _recall(request, pk)
    rows = selectors.filings_overview(recall)
    return render(
        request,
        "web/filings/recall.html",
        {
            "recall": recall,
            "rows": [{"row": row, "due_note": selectors.due_note(row)} for row in rows],
            "filings": _named(selectors.filing_list_for(viewer=viewer_of(request), recall_id=pk)),
            "can_change": request.user.has_perm(CHANGE),
            "fda": next((r for r in recall.regimes.all() if r.regime == "fda"), None),
            "no_fda_filings": not selectors.fda_owed(recall),
            **_fda_form(recall),
        },
    )


def _submission_named(filing: Filing, changes: dict[str, Any]) -> str:
    """ "authority · reference" of a submission's audit entry ("" for an entry without them)."""
    authority = (changes.get("authority") or [None, ""])[1] or ""
    reference = (changes.get("reference") or [None, ""])[1] or ""
    named = [selectors.submitted_to_name(filing, authority) if authority else "", reference]
    return " · ".join(n for n in named if n)


def _fda_form(recall: RecallCase) -> dict[str, Any]:
    """What the FDA record form says about its fields: the classes in the reader's words, and
    how to write the Z-numbers with an example from the recall's own device models."""
    from medrecall.core.presentation import joined
    from medrecall.recalls.fda import CLASSES, EXAMPLE_Z, class_difference, class_kept_note

    models = [p.model_code for p in recall.products.all()]
    example = f"{models[0] if models else 'MODEL'}={EXAMPLE_Z}"
    hint = _(
        "One per device model, separated by commas: MODEL=Z-NNNN-YYYY, e.g. %(example)s"
        " (device models: %(models)s)."
    ) % {"example": example, "models": joined(models) or "—"}
    if len(models) == 1:
        # Chinese sentences follow each other without a space.
        space = "" if (get_language() or "").startswith("zh") else " "
        hint += space + _("With one device model the Z-number alone is enough.")
    fda = next((r for r in recall.regimes.all() if r.regime == "fda"), None)
    colon = "：" if (get_language() or "").startswith("zh") else ": "
    return {
        "fda_classes": CLASSES,
        "fda_z_example": example,
        "fda_z_hint": hint,
        "fda_z_numbers": [
            f"{z['model_code']}{colon}{z['z_number']}" for z in (fda.fda_z_numbers if fda else [])
        ],
        # The form shows what is stored, written as it is typed (MODEL=Z-NNNN-YYYY, …).
        "fda_z_input": ", ".join(
            f"{z['model_code']}={z['z_number']}" for z in (fda.fda_z_numbers if fda else [])
        ),
        "fda_class_warning": class_difference(fda),
        "fda_class_note": class_kept_note(fda),
    }


def _named(filings: Any) -> list[Filing]:
    """The filings, each with ``doc_name``: its document's name in the reader's language (the
    code stays in ``doc_type``)."""
    found = list(filings)
    for filing in found:
        filing.doc_name = str(DOCUMENT_TYPES.get(filing.doc_type).label)
    return found


@login_required
def filing_detail(request: HttpRequest, pk: int, filing: int) -> HttpResponse:
    found = _filing(request, pk, filing)
    kind = DOCUMENT_TYPES.get(found.doc_type)
    sections = [
        {
            "key": s.key,
            "label": s.label,
            "required": s.required,
            "zh": found.entered.get(s.key, {}).get("zh", ""),
            "en": found.entered.get(s.key, {}).get("en", ""),
        }
        for s in kind.sections
    ]
    submissions = list(found.submissions.select_related("submitted_by"))
    progress = selectors.submission_progress(found, submissions)
    return render(
        request,
        "web/filings/detail.html",
        {
            # Each submission with the name of its acknowledgement's file and the authority's
            # name in the page's language (what was typed when it names no addressee).
            "submissions": [
                (s, f"acknowledgement-{s.pk}", selectors.submitted_to_name(found, s.authority))
                for s in submissions
            ],
            "progress": progress,
            "waiting_names": [selectors.authority_name(a) for a in progress.waiting],
            # The next authority still waiting, in the page's language.
            "next_authority": selectors.authority_name(progress.waiting[0])
            if progress.waiting
            else "",
            # Every authority addressed shows (a line more to add one).
            "addressee_rows": max(3, len(found.addressees) + 1),
            "recall": found.recall,
            "filing": found,
            "kind": kind,
            "sections": sections,
            "addressees": "\n".join(
                f"{a.get('zh', '')} | {a.get('en', '')}" for a in found.addressees
            ),
            "problems": services.filing_problems(found),
            "signature": signature_manifest(found.signature) if found.signature else None,
            "signature_statement": _signature_statement(found),
            # What the PDF and Word file print from the data, to read before signing.
            "generated": blocks(found, get_language() or "en"),
            "signature_state": selectors.signature_state(found),
            "versions": selectors.versions(found),
            "is_latest": not selectors.versions(found).filter(version__gt=found.version).exists(),
            "can_change": request.user.has_perm(CHANGE),
            "signing_needs_user_id": signing_needs_user_id(request.session, viewer_of(request)),
            # Each entry with what a submission's line names: the authority (in the page's
            # language) and its reference.
            "history": [
                (e, _submission_named(found, e.changes) if e.action == "filings.submitted" else "")
                for e in history_for(target=found)[:50]
            ],
            "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "is_chinese": (get_language() or "").startswith("zh"),
        },
    )


def _signature_statement(filing: Filing) -> str:
    """The manifestation as people write it: name, date and time with the zone, meaning."""
    if filing.signature is None:
        return ""
    manifest = signature_manifest(filing.signature)
    return _("Signed by %(name)s on %(when)s. Meaning: %(meaning)s.") % {
        "name": manifest["signer_name"],
        "when": written_time(filing.signature.signed_at),
        "meaning": manifest["meaning"],
    }


def _act(
    request: HttpRequest, pk: int, action: Callable[[User], Any], filing: int | None = None
) -> HttpResponse:
    """One action: 404 for what the user may not see, 403 for what they may not change; a
    refusal is shown with every item it names, and changes nothing."""
    if filing is None:
        _recall(request, pk)
    else:
        _filing(request, pk, filing)
    if not request.user.has_perm(CHANGE):
        raise PermissionDenied
    try:
        result = action(viewer_of(request))
    except DomainError as refused:
        details = refused.details if isinstance(refused.details, list) else []
        messages.error(request, " ".join([refused.message, *[str(d) for d in details]]))
        return (
            redirect("web:filing-detail", pk=pk, filing=filing)
            if filing
            else redirect("web:filing-list", pk=pk)
        )
    messages.success(request, result[1])
    return redirect("web:filing-detail", pk=pk, filing=result[0].pk)


@login_required
@require_POST
def filing_generate(request: HttpRequest, pk: int) -> HttpResponse:
    def act(actor: User) -> tuple[Filing, str]:
        recall = recall_selectors.recall_get_for(viewer=actor, pk=pk)
        found = services.filing_generate(
            recall=recall, doc_type=request.POST.get("doc_type", ""), actor=actor
        )
        return found, _("Generated from the recall's data.")

    return _act(request, pk, act)


def _addressees(text: str) -> list[dict[str, str]]:
    found = []
    for line in text.splitlines():
        zh, _sep, en = line.partition("|")
        if zh.strip() or en.strip():
            found.append({"zh": zh.strip(), "en": en.strip()})
    return found


@login_required
@require_POST
def filing_enter(request: HttpRequest, pk: int, filing: int) -> HttpResponse:
    def act(actor: User) -> tuple[Filing, str]:
        found = _filing(request, pk, filing)
        kind = DOCUMENT_TYPES.get(found.doc_type)
        sections = {
            s.key: {
                "zh": request.POST.get(f"{s.key}_zh", ""),
                "en": request.POST.get(f"{s.key}_en", ""),
            }
            for s in kind.sections
            if f"{s.key}_zh" in request.POST or f"{s.key}_en" in request.POST
        }
        addressees = (
            _addressees(request.POST["addressees"]) if "addressees" in request.POST else None
        )
        note = {
            language: request.POST[f"change_note_{language}"]
            for language in ("zh", "en")
            if f"change_note_{language}" in request.POST
        }
        changed = services.filing_enter(
            filing=found,
            actor=actor,
            sections=sections,
            addressees=addressees,
            change_note=note or None,
        )
        return changed, _("Saved.")

    return _act(request, pk, act, filing)


@login_required
@require_POST
def filing_check(request: HttpRequest, pk: int, filing: int) -> HttpResponse:
    def act(actor: User) -> tuple[Filing, str]:
        checked = services.filing_check(filing=_filing(request, pk, filing), actor=actor)
        return checked, _("The check passed: the filing may be signed.")

    return _act(request, pk, act, filing)


@login_required
@require_POST
def filing_sign(request: HttpRequest, pk: int, filing: int) -> HttpResponse:
    def act(actor: User) -> tuple[Filing, str]:
        signed = services.filing_sign(
            filing=_filing(request, pk, filing),
            actor=actor,
            password=request.POST.get("password", ""),
            username=request.POST.get("username") or None,
            session=request.session,
        )
        return signed, _("Signed.")

    return _act(request, pk, act, filing)


@login_required
@require_POST
def filing_submit(request: HttpRequest, pk: int, filing: int) -> HttpResponse:
    def act(actor: User) -> tuple[Filing, str]:
        text = request.POST.get("submitted_at", "").strip()
        try:
            when = datetime.fromisoformat(text) if text else None
        except ValueError as error:
            raise DomainError(
                _("The submission time is not a date and time."), where="submitted_at"
            ) from error
        if when is not None and timezone.is_naive(when):
            when = timezone.make_aware(when)
        upload = request.FILES.get("acknowledgement")
        submitted = services.filing_submit(
            filing=_filing(request, pk, filing),
            actor=actor,
            authority=request.POST.get("authority", ""),
            reference=request.POST.get("reference", ""),
            submitted_at=when,
            acknowledgement=upload,
            acknowledgement_name=(upload.name or "") if upload else "",
        )
        note = selectors.deadline_note(submitted)
        return submitted, " ".join(filter(None, [_("Submission recorded."), note]))

    return _act(request, pk, act, filing)


@login_required
@require_POST
def filing_revise(request: HttpRequest, pk: int, filing: int) -> HttpResponse:
    def act(actor: User) -> tuple[Filing, str]:
        new = services.filing_revise(
            filing=_filing(request, pk, filing),
            actor=actor,
            change_note=request.POST.get("change_note", ""),
            change_note_en=request.POST.get("change_note_en", ""),
        )
        return new, _("New version made: check, sign and submit it.")

    return _act(request, pk, act, filing)


@login_required
def filing_file(request: HttpRequest, pk: int, filing: int, name: str) -> FileResponse:
    served = served_file(_filing(request, pk, filing), name)
    if served is None:
        raise Http404
    return served


@login_required
@require_http_methods(["GET", "POST"])
def fda_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record what FDA sent (its class, the recall event id, Z-numbers) on the recall (POST);
    GET shows the record where it is kept: the filings page's FDA section (404 without the
    FDA regime)."""
    from medrecall.recalls.fda import class_difference, fda_regime, recorded, z_number_entries
    from medrecall.recalls.fda import fda_record as record

    recall = _recall(request, pk)
    if request.method == "GET":
        if not recall.regimes.filter(regime="fda").exists():
            raise Http404(_("This recall has no FDA regime, so FDA has no record of it."))
        return redirect(reverse("web:filing-list", kwargs={"pk": pk}) + "#fda-record")
    if not request.user.has_perm(CHANGE):
        raise PermissionDenied
    classified_on = None
    regime = fda_regime(recall)
    before = recorded(regime) if regime is not None else None
    try:
        if raw := request.POST.get("classified_on", "").strip():
            classified_on = datetime.strptime(raw, "%Y-%m-%d").date()  # noqa: DTZ007
        regime = record(
            recall=recall,
            actor=viewer_of(request),
            classification=request.POST.get("fda_class", ""),
            event_id=request.POST.get("event_id", ""),
            z_numbers=z_number_entries(request.POST.get("z_numbers", "")),
            classified_on=classified_on,
            class_kept_reason=request.POST.get("class_kept_reason", ""),
        )
    except ValueError:
        messages.error(request, _("Give the date as YYYY-MM-DD."))
        return redirect("web:filing-list", pk=pk)
    except DomainError as refused:
        details = refused.details if isinstance(refused.details, list) else []
        messages.error(request, " ".join(str(d) for d in details) or refused.message)
        return redirect("web:filing-list", pk=pk)
    if recorded(regime) == before:
        messages.info(request, _("Nothing changed: FDA's record already holds these values."))
    else:
        messages.success(request, _("FDA's record of the recall is saved."))
    if warning := class_difference(regime):
        messages.warning(request, warning)
    return redirect("web:filing-list", pk=pk)
