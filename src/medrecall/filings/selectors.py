"""Reads of filings, scoped to the viewer: a portal user never sees a filing (the recall
itself answers "not found"), staff need the view permission."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from medrecall.accounts.signatures import SignatureState, signature_status
from medrecall.core.errors import NotFound
from medrecall.core.types import Viewer
from medrecall.recalls import selectors as recall_selectors
from medrecall.recalls.deadlines import DeadlineRow, deadlines_for
from medrecall.recalls.hooks import DeadlineRecord, NotOwed, Partly
from medrecall.recalls.models import RecallCase

from . import content
from .documents import DOCUMENT_TYPES, DocumentType, required, types_for
from .models import Filing, FilingStatus, FilingSubmission

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
        # Only once written: a signature made before the English note existed still matches.
        **({"change_note_en": filing.change_note_en} if filing.change_note_en else {}),
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
        .prefetch_related("submissions__submitted_by")
        .order_by("doc_type", "sequence", "version")
    )


def _same(one: str, other: str) -> bool:
    return one.strip().casefold() == other.strip().casefold()


def addressee_named(filing: Filing, authority: str) -> dict[str, str] | None:
    """The authority the filing is addressed to that ``authority`` names (its Chinese or its
    English name), or None."""
    return next(
        (
            a
            for a in filing.addressees
            if any(_same(authority, a.get(language, "")) for language in ("zh", "en"))
        ),
        None,
    )


def authority_name(addressee: dict[str, str], language: str | None = None) -> str:
    """An authority's name in the page's language (the Chinese one when there is no other)."""
    language = language or get_language() or "zh-hans"
    if language.startswith("en") and addressee.get("en"):
        return addressee["en"]
    return addressee.get("zh") or addressee.get("en", "")


def submitted_to_name(filing: Filing, authority: str, language: str | None = None) -> str:
    """The name of the authority a submission went to in the page's language: the addressee's
    name when the typed one names an addressee, else what was typed."""
    addressee = addressee_named(filing, authority)
    return authority_name(addressee, language) if addressee else authority


@dataclass(frozen=True)
class SubmissionProgress:
    """How many of the authorities a filing is addressed to have its submission; the document's
    deadline is met once every one has (a filing addressed to none counts as one authority)."""

    done: int
    total: int
    waiting: tuple[dict[str, str], ...]

    @property
    def complete(self) -> bool:
        return self.done >= self.total

    @property
    def label(self) -> str:
        return _("Submitted to %(done)s of %(total)s authorities") % {
            "done": self.done,
            "total": self.total,
        }


def submission_progress(
    filing: Filing, submissions: list[FilingSubmission] | None = None
) -> SubmissionProgress:
    """Per authority addressed, whether a submission names it (reads ``filing.submissions``,
    prefetched on lists)."""
    found = list(filing.submissions.all()) if submissions is None else submissions
    if len(filing.addressees) <= 1:
        waiting = () if found else tuple(filing.addressees)
        return SubmissionProgress(done=min(len(found), 1), total=1, waiting=waiting)
    waiting = tuple(
        a
        for a in filing.addressees
        if not any(
            _same(s.authority, a.get(language, "")) for s in found for language in ("zh", "en")
        )
    )
    total = len(filing.addressees)
    return SubmissionProgress(done=total - len(waiting), total=total, waiting=waiting)


def next_authority(filing: Filing, language: str | None = None) -> str:
    """What the submit form pre-fills: the first authority still waiting, in the page's
    language."""
    waiting = submission_progress(filing).waiting
    return authority_name(waiting[0], language) if waiting else ""


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

    @property
    def progress(self) -> SubmissionProgress | None:
        """Of a submitted filing: how many authorities addressed have their submission."""
        if self.filing is None or self.filing.status != FilingStatus.SUBMITTED:
            return None
        return submission_progress(self.filing)


def next_deadline(rows: list[DeadlineRow], key: str) -> DeadlineRow | None:
    """The deadline a submission fulfils: the earliest one of ``key`` not yet done (for
    recurring reports, the oldest period still open); else the last one done."""
    mine = [row for row in rows if row.key == key]
    open_rows = [row for row in mine if row.waiting]
    if open_rows:
        return min(open_rows, key=lambda row: row.due_at)
    return max(mine, key=lambda row: row.due_at) if mine else None


def filings_overview(recall: RecallCase) -> list[OverviewRow]:
    """Per document type of the recall's regimes: latest filing and due date (two queries
    for the filings and the clock's own reads, whatever the number of filings)."""
    found: dict[str, Filing] = {}
    for filing in (
        Filing.objects.filter(recall=recall)
        .prefetch_related("submissions")
        .order_by("doc_type", "sequence", "version")
    ):
        found[filing.doc_type] = filing
    rows, _missing = deadlines_for(recall)
    level = content.level(recall)
    fda = fda_owed(recall)
    return [
        OverviewRow(
            kind=kind,
            owed=required(kind, level) and (fda or kind.code not in FDA_DOCUMENTS),
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


def deadlines_done_from_filings(
    recalls: list[RecallCase],
) -> dict[tuple[int, str], DeadlineRecord]:
    """The deadlines submitted filings fulfil, per (recall id, deadline key) (registered in
    ``recalls.hooks.DEADLINE_DONE_SOURCES``):

    - a one-off deadline is done once the first version was submitted to every authority it is
      addressed to (the earliest ``submitted_to_all_at``). Read whenever the deadline exists,
      so a document submitted before its deadline started (an 806 report sent before the first
      notice fixed ``initiated_at``) counts as met once the deadline appears. Recurring reports
      (progress, status) are marked per period at submission;
    - a deadline whose document is submitted to some of its authorities only is partly met
      (``Partly``: "Submitted to 1 of 4 authorities", the counts of ``submission_progress``;
      a recurring one's lowest report number still waiting, its latest version): it stays open;
    - a recall with the FDA regime and no US consignee owes FDA nothing: every FDA deadline is
      not owed (``NotOwed``; back as soon as a re-scope brings a US consignee in).

    Four queries for any number of recalls."""
    codes = {kind.code: kind.deadline for kind in DOCUMENT_TYPES if kind.deadline}
    recurring = {kind.code for kind in DOCUMENT_TYPES if kind.deadline and kind.recurring}
    found: dict[tuple[int, str], DeadlineRecord] = {}
    # Per deadline: the filing submitted to some authorities only, as (report no., -version).
    partly: dict[tuple[int, str], tuple[tuple[int, int], Partly]] = {}
    for recall_id, doc_type, sequence, version, addressees, to_all_at, submitted in (
        Filing.objects.filter(
            recall_id__in=[recall.pk for recall in recalls],
            doc_type__in=list(codes),
            status=FilingStatus.SUBMITTED,
        )
        # One submission per authority addressed (``filing_submit`` refuses a second one to
        # the same authority and one to an authority not addressed): the count is how many
        # authorities have theirs, as ``submission_progress`` counts them.
        .annotate(submitted=Count("submissions"))
        .values_list(
            "recall_id",
            "doc_type",
            "sequence",
            "version",
            "addressees",
            "submitted_to_all_at",
            "submitted",
        )
        .order_by()
    ):
        key = (recall_id, codes[doc_type])
        if to_all_at is not None:
            if doc_type in recurring:
                continue  # each period marked done at submission
            known = found.get(key)
            if not isinstance(known, datetime) or to_all_at < known:
                found[key] = to_all_at
            continue
        of = max(len(addressees or ()), 1)
        if 0 < submitted < of:
            rank = (sequence, -version)
            if key not in partly or rank < partly[key][0]:
                partly[key] = (rank, Partly(done=submitted, of=of))
    for key, (_rank, progress) in partly.items():
        found.setdefault(key, progress)  # a deadline done stays done
    for recall_id in without_us_consignees(recalls):
        # Nothing owed to FDA (no US consignee): none of its deadlines is owed, none is "met".
        for deadline in FDA_DEADLINES:
            found[(recall_id, deadline)] = NotOwed("no_us_consignees")
    return found


def deadline_note(filing: Filing) -> str:
    """What the submission did to the clock, in words: the deadline it marked done, a deadline
    met before, or no deadline yet (it counts as met when it starts); "" for a document the
    clock has no deadline for, or one not submitted."""
    from medrecall.core.presentation import local_time

    kind = DOCUMENT_TYPES.find(filing.doc_type)
    if kind is None or not kind.deadline or filing.status != FilingStatus.SUBMITTED:
        return ""
    progress = submission_progress(filing)
    if not progress.complete:
        return _(
            "%(progress)s: the deadline stays open until every authority has its submission."
        ) % {"progress": progress.label}
    if filing.deadline_key and filing.deadline_due_at is not None:
        return _("The deadline due %(due)s is marked done.") % {
            "due": local_time(filing.deadline_due_at)
        }
    rows, _missing = deadlines_for(filing.recall)
    if any(row.key == kind.deadline for row in rows):
        return _("The deadline for this document was already met.")
    return _("There is no deadline for this document yet: it will count as met when it starts.")


FDA = "fda"
# The clock's FDA deadlines (recalls.clock ``_fda``): none is owed without a US consignee.
FDA_DEADLINES = ("fda.notify_holders", "fda.status_report", "fda.report_806")
# The FDA documents a recall owes only when some consignee of its frozen scope is under FDA.
FDA_DOCUMENTS = (
    "fda.report_806",
    "fda.record_806_20",
    "fda.status_report",
    "fda.termination_request",
)


def without_us_consignees(recalls: list[RecallCase]) -> dict[int, datetime]:
    """The recalls with the FDA regime whose frozen scope has no consignee under FDA (notices'
    rule by the holder's country: ``recipients.regime_covering``; a holder in a country
    under none of the recall's regimes is no US consignee), with when that scope was frozen.

    Such a recall owes FDA no 806 report, no status report and no termination request: 21 CFR
    806.10(a) and Part 7 Subpart C (7.3 "recall": a marketed product FDA considers violative;
    7.53, 7.55) concern devices in US commerce (regulations.md, sections 2.1 and 2.2); with no
    US consignee nothing of the recall is there. Before the first freeze nothing is known and
    the documents stay owed. Three queries for any number of recalls."""
    from medrecall.effectiveness.selectors import NOT_CONSIGNEES
    from medrecall.notices.recipients import regime_covering
    from medrecall.recalls.models import AffectedLine, RecallRegime, ScopeSnapshot

    ids = [recall.pk for recall in recalls]
    regimes: dict[int, list[str]] = {}
    for recall_id, regime in RecallRegime.objects.filter(recall_id__in=ids).values_list(
        "recall_id", "regime"
    ):
        regimes.setdefault(recall_id, []).append(regime)
    with_fda = [pk for pk, found in regimes.items() if FDA in found]
    if not with_fda:
        return {}
    latest: dict[int, tuple[int, datetime]] = {}
    for recall_id, pk, created_at in (
        ScopeSnapshot.objects.filter(recall_id__in=with_fda)
        .order_by("recall_id", "sequence")
        .values_list("recall_id", "pk", "created_at")
    ):
        latest[recall_id] = (pk, created_at)
    under_fda: set[int] = set()
    for recall_id, country in (
        AffectedLine.objects.filter(snapshot_id__in=[pk for pk, _at in latest.values()])
        .exclude(party__party_type__in=NOT_CONSIGNEES)
        .values_list("snapshot__recall_id", "location__country")
        .distinct()
    ):
        if regime_covering(regimes[recall_id], country) == FDA:
            under_fda.add(recall_id)
    return {pk: at for pk, (_snapshot, at) in latest.items() if pk not in under_fda}


def fda_owed(recall: RecallCase) -> bool:
    """Whether the recall owes FDA its documents (see ``without_us_consignees``)."""
    return recall.pk not in without_us_consignees([recall])


def no_fda_filings_note() -> str:
    return _("No US consignees: no FDA filings owed.")
