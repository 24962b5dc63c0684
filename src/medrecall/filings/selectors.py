"""Reads of filings, scoped to the viewer: a portal user never sees a filing (the recall
itself answers "not found"), staff need the view permission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from medrecall.accounts.signatures import SignatureState, signature_status
from medrecall.core.errors import NotFound
from medrecall.core.types import Viewer
from medrecall.recalls import selectors as recall_selectors
from medrecall.recalls.deadlines import DeadlineRow, deadlines_for
from medrecall.recalls.models import RecallCase

from . import content
from .documents import DocumentType, required, types_for
from .models import Filing

VIEW = "filings.view_filing"


def signing_content(filing: Filing) -> dict[str, Any]:
    """What a filing's signature vouches for: the document, its version and every value and
    section it prints (21 CFR 11.70: bound by hash; a change shows as no longer matching)."""
    return {
        "model": "filings.filing",
        "pk": filing.pk,
        "recall": filing.recall.number,
        "doc_type": filing.doc_type,
        "sequence": filing.sequence,
        "version": filing.version,
        "content": filing.content,
        "entered": filing.entered,
        "addressees": filing.addressees,
        "change_note": filing.change_note,
    }


def signature_state(filing: Filing) -> SignatureState | None:
    """valid, content_changed or superseded; None when not signed."""
    if filing.signature is None:
        return None
    return signature_status(filing.signature, signing_content(filing))


def _visible(viewer: Viewer) -> None:
    if viewer.party_id is not None or not viewer.has_perm(VIEW):
        raise NotFound(_("Filing not found."))


def filing_list_for(*, viewer: Viewer, recall_id: int) -> QuerySet[Filing]:
    """Every version of every filing of a recall the viewer may see."""
    recall = recall_selectors.recall_get_for(viewer=viewer, pk=recall_id)
    _visible(viewer)
    return (
        Filing.objects.filter(recall=recall)
        .select_related("recall", "signature", "generated_by", "submitted_by")
        .order_by("doc_type", "sequence", "version")
    )


# The largest id a column holds (64-bit): a larger one in a URL is a filing that is not there,
# not a database error.
LARGEST_ID = 2**63 - 1


def filing_get_for(*, viewer: Viewer, pk: int, recall_id: int | None = None) -> Filing:
    _visible(viewer)
    if not 0 < pk <= LARGEST_ID or (recall_id is not None and not 0 < recall_id <= LARGEST_ID):
        raise NotFound(_("Filing not found."))
    found = Filing.objects.select_related("recall", "signature").filter(pk=pk)
    if recall_id is not None:
        found = found.filter(recall_id=recall_id)
    filing = found.first()
    if filing is None:
        raise NotFound(_("Filing not found."))
    recall_selectors.recall_get_for(viewer=viewer, pk=filing.recall_id)
    return filing


def latest(recall: RecallCase, doc_type: str) -> Filing | None:
    """The latest version of the latest report of a document type."""
    return (
        Filing.objects.filter(recall=recall, doc_type=doc_type)
        .order_by("-sequence", "-version")
        .first()
    )


def versions(filing: Filing) -> QuerySet[Filing]:
    return Filing.objects.filter(
        recall_id=filing.recall_id, doc_type=filing.doc_type, sequence=filing.sequence
    ).order_by("version")


@dataclass(frozen=True)
class OverviewRow:
    """A document the recall owes (or may file), its latest filing and its due date."""

    kind: DocumentType
    owed: bool
    filing: Filing | None
    due: DeadlineRow | None

    @property
    def label(self) -> str:
        return str(self.kind.label)

    @property
    def status(self) -> str:
        return self.filing.status if self.filing else "missing"


def next_deadline(rows: list[DeadlineRow], key: str) -> DeadlineRow | None:
    """The deadline a submission fulfils: the earliest one of ``key`` not yet done (for
    recurring reports, the oldest period still open); else the last one done."""
    mine = [row for row in rows if row.key == key]
    open_rows = [row for row in mine if row.status != "done"]
    if open_rows:
        return min(open_rows, key=lambda row: row.due_at)
    return max(mine, key=lambda row: row.due_at) if mine else None


def filings_overview(recall: RecallCase) -> list[OverviewRow]:
    """Per document type of the recall's regimes: latest filing and due date (two queries
    for the filings and the clock's own reads, whatever the number of filings)."""
    found: dict[str, Filing] = {}
    for filing in Filing.objects.filter(recall=recall).order_by("doc_type", "sequence", "version"):
        found[filing.doc_type] = filing
    rows, _missing = deadlines_for(recall)
    level = content.level(recall)
    return [
        OverviewRow(
            kind=kind,
            owed=required(kind, level),
            filing=found.get(kind.code),
            due=next_deadline(rows, kind.deadline) if kind.deadline else None,
        )
        for kind in types_for(recall)
    ]


def due_note(row: OverviewRow) -> str:
    """The due date in words where the clock has none yet."""
    if row.due is not None:
        return ""
    if row.kind.code == "nmpa.summary_report":
        return _("When the completion is recorded: 10 working days after it.")
    return _("No deadline of the clock.")
