"""Recall intelligence: reads. Similar recalls (criteria or a recall case), statistics, one
record. The public history is the same for every staff viewer; portal users see none of it
(``can_view``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Avg, CharField, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models import Case as SqlCase
from django.db.models.functions import Cast, Coalesce, ExtractYear, Substr
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.core.errors import NotFound
from medrecall.recalls.models import RecallCase

from . import parsing
from .errors import SearchInvalid
from .glossary import ReadQuery, read_query
from .models import PublicRecall, Source
from .search import text_ranks

VIEW_PERMISSION = "intelligence.view_publicrecall"
IMPORT_PERMISSION = "intelligence.add_publicrecall"
TEXT_CANDIDATES = 200
KEY_CANDIDATES = 100
MAX_RESULTS = 100
# How much each kind of likeness weighs in the score (text is scaled to 0…3 first).
WEIGHTS = {"text": 3.0, "product_code": 2.0, "k_number": 2.0, "root_cause": 1.5, "firm": 1.0}
WEIGHTS |= {"model": 1.0}


def can_view(user: User | Any) -> bool:
    """Staff with the view permission; portal users (a party) never."""
    return bool(
        getattr(user, "is_authenticated", False)
        and not getattr(user, "party_id", None)
        and user.has_perm(VIEW_PERMISSION)
    )


@dataclass(frozen=True)
class Criteria:
    """What "similar" means for one search; every list may be empty."""

    text: str = ""
    product_codes: tuple[str, ...] = ()
    root_causes: tuple[str, ...] = ()
    firm: str = ""
    k_numbers: tuple[str, ...] = ()
    models: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.text.strip() or self.product_codes or self.root_causes or self.firm)


@dataclass(frozen=True)
class SimilarRecall:
    record: PublicRecall
    score: float
    matched: tuple[str, ...]  # "text", "product_code", "root_cause", "firm", "k_number", "model"


@dataclass
class SimilarResult:
    criteria: Criteria
    read: ReadQuery
    results: list[SimilarRecall] = field(default_factory=list)


def criteria_from(
    *, text: str = "", product_code: str = "", root_cause: str = "", firm: str = ""
) -> Criteria:
    """Criteria from what a user typed: product codes separated by commas or spaces."""
    codes = tuple(c for c in product_code.replace(",", " ").upper().split() if c)
    if any(len(c) > 8 for c in codes):
        raise SearchInvalid(
            _("%(value)s is not an FDA product code (three letters, e.g. FRN).")
            % {"value": next(c for c in codes if len(c) > 8)[:20]},
            where="product_code",
        )
    causes = (root_cause.strip(),) if root_cause.strip() else ()
    return Criteria(text=text.strip()[:500], product_codes=codes, root_causes=causes, firm=firm)


def similar_recalls(criteria: Criteria, *, limit: int = 20) -> SimilarResult:
    """Public records like the criteria, best first. Candidates: the best text matches and the
    latest records sharing a product code, a root cause or the firm (a fixed number of
    queries whatever the table's size); each is scored by what it shares (``WEIGHTS``) and
    the most alike come first, the most recent among equals."""
    read = read_query(criteria.text)
    causes = tuple(dict.fromkeys((*criteria.root_causes, *read.root_causes)))
    criteria = Criteria(
        text=criteria.text,
        product_codes=criteria.product_codes,
        root_causes=causes,
        firm=criteria.firm,
        k_numbers=criteria.k_numbers,
        models=criteria.models,
    )
    outcome = SimilarResult(criteria=criteria, read=read)
    text = text_ranks(read.words, limit=TEXT_CANDIDATES)
    ids = set(text)
    firm = parsing.firm_key(criteria.firm)
    keyed: list[Q] = []
    if criteria.product_codes:
        keyed.append(Q(product_code__in=criteria.product_codes))
    if causes:
        keyed.append(Q(root_cause__in=causes))
    if firm:
        keyed.append(Q(firm_key=firm))
    for condition in keyed:
        ids.update(
            PublicRecall.objects.filter(condition)
            .order_by("-initiated_on", "-id")
            .values_list("id", flat=True)[:KEY_CANDIDATES]
        )
    if not ids:
        return outcome
    best = max(text.values(), default=0.0) or 1.0
    scored = []
    shown = PublicRecall.objects.filter(id__in=ids).defer("search_document")
    for record in shown:
        matched, score = _likeness(record, criteria, firm, text.get(record.id, 0.0) / best)
        scored.append(SimilarRecall(record=record, score=round(score, 3), matched=matched))
    scored.sort(key=lambda s: (-s.score, -(s.record.initiated_on or date.min).toordinal()))
    outcome.results = scored[: max(1, min(limit, MAX_RESULTS))]
    return outcome


def _likeness(
    record: PublicRecall, criteria: Criteria, firm: str, text: float
) -> tuple[tuple[str, ...], float]:
    shares = {
        "text": text,
        "product_code": float(record.product_code in criteria.product_codes),
        "root_cause": float(bool(record.root_cause) and record.root_cause in criteria.root_causes),
        "firm": float(bool(firm) and record.firm_key == firm),
        "k_number": float(bool(set(record.k_numbers) & set(criteria.k_numbers))),
        "model": float(bool(set(record.codes.get("models", [])) & set(criteria.models))),
    }
    matched = tuple(name for name, share in shares.items() if share > 0)
    return matched, sum(WEIGHTS[name] * share for name, share in shares.items())


def similar_to_case(recall: RecallCase, *, limit: int = 20) -> SimilarResult:
    """Public recalls like an open recall case: its reason and defect (both languages; the
    Chinese through the glossary), its device models' names, FDA clearances (510(k) numbers)
    and model and catalogue numbers."""
    products = list(
        recall.products.only("name", "name_en", "model_code", "catalog_number", "clearance_no")
    )
    text = " ".join(
        part
        for part in (
            recall.reason_en,
            recall.defect_description_en,
            recall.reason,
            recall.defect_description,
            recall.title_en,
            recall.title,
            *(p.name_en for p in products),
        )
        if part
    )
    criteria = Criteria(
        text=text,
        k_numbers=tuple(p.clearance_no.upper() for p in products if p.clearance_no),
        models=tuple(code for p in products for code in (p.model_code, p.catalog_number) if code),
    )
    return similar_recalls(criteria, limit=limit)


def public_recall_get(*, pk: int) -> PublicRecall:
    record = PublicRecall.objects.filter(pk=pk).first()
    if record is None:
        raise NotFound(_("There is no public recall record %(id)s.") % {"id": pk}, where="record")
    return record


# -- statistics -----------------------------------------------------------------------------

Buckets = tuple[tuple[int, int | None], ...]
DURATION_BUCKETS: Buckets = ((0, 30), (31, 90), (91, 180), (181, 365), (366, 730), (731, None))
QUANTITY_BUCKETS: Buckets = ((0, 10), (11, 100), (101, 1000), (1001, 10_000), (10_001, 100_000))
QUANTITY_BUCKETS += ((100_001, None),)


@dataclass(frozen=True)
class Filters:
    product_codes: tuple[str, ...] = ()
    root_cause: str = ""
    firm: str = ""
    source: str = ""
    year_from: int | None = None
    year_to: int | None = None

    def queryset(self) -> QuerySet[PublicRecall]:
        records = PublicRecall.objects.all()
        if self.product_codes:
            records = records.filter(product_code__in=self.product_codes)
        if self.root_cause:
            records = records.filter(root_cause=self.root_cause)
        if firm := parsing.firm_key(self.firm):
            records = records.filter(firm_key=firm)
        if self.source:
            if self.source not in Source.values:
                raise SearchInvalid(
                    _("%(value)s is not a source (recall or enforcement).")
                    % {"value": self.source[:20]},
                    where="source",
                )
            records = records.filter(source=self.source)
        if self.year_from or self.year_to:
            records = records.annotate(year_date=YEAR_DATE)
        if self.year_from:
            records = records.filter(Q(year_date__gte=date(self.year_from, 1, 1)))
        if self.year_to:
            records = records.filter(Q(year_date__lte=date(self.year_to, 12, 31)))
        return records


YEAR_DATE = Coalesce("initiated_on", "classified_on", "posted_on")
"""The date a record's year is counted by: the initiation date; without one, the center
classification date (enforcement) or creation date (recall); without either, the report or
posting date (the weekly reports before openFDA have only that)."""


def _bucketed(records: QuerySet[PublicRecall], column: str, buckets: Buckets) -> list[Any]:
    whens = []
    for index, (low, high) in enumerate(buckets):
        condition = Q(**{f"{column}__gte": low})
        if high is not None:
            condition &= Q(**{f"{column}__lte": high})
        whens.append(When(condition, then=Value(index)))
    rows = (
        records.exclude(**{f"{column}__isnull": True})
        .annotate(bucket=SqlCase(*whens, output_field=IntegerField()))
        .values("bucket")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {row["bucket"]: row["n"] for row in rows}
    return [
        {"from": low, "to": high, "count": counts.get(index, 0)}
        for index, (low, high) in enumerate(buckets)
    ]


def _counted(records: QuerySet[PublicRecall], column: str) -> list[dict[str, Any]]:
    rows = records.values(column).annotate(n=Count("id")).order_by("-n", column)
    return [{"value": row[column], "count": row["n"]} for row in rows]


def _median(records: QuerySet[PublicRecall], column: str, count: int) -> int | None:
    if not count:
        return None
    values = list(
        records.exclude(**{f"{column}__isnull": True})
        .order_by(column)
        .values_list(column, flat=True)[count // 2 : count // 2 + 1]
    )
    return values[0] if values else None


def _year(field: str) -> Any:
    """The year of a date column. SQLite: the first four characters of its stored ISO text, in
    SQL (Django's ``ExtractYear`` calls a Python function per row there: 1.3 s of 3.7 s over
    100,000 records)."""
    if connection.vendor == "sqlite":
        return Cast(Substr(Cast(field, CharField()), 1, 4), IntegerField())
    return ExtractYear(field)


def recall_statistics(filters: Filters) -> dict[str, Any]:
    """Counts by root cause, recall class, device class and year (of initiation, else of
    classification, else of the report: ``YEAR_DATE``, with how many records each date gave in
    ``year_dates``); days from initiation to termination and quantities in buckets, with
    average and median. A fixed number of queries."""
    records = filters.queryset()
    totals = records.aggregate(
        records=Count("id"),
        terminated=Count("days_open"),
        days_average=Avg("days_open"),
        with_quantity=Count("quantity"),
        quantity_total=Sum("quantity"),
        code_info_unread=Count("id", filter=Q(code_info_parsed=False)),
        dated_initiated=Count("initiated_on"),
        dated_classified=Count(
            "id", filter=Q(initiated_on__isnull=True, classified_on__isnull=False)
        ),
        dated_posted=Count(
            "id",
            filter=Q(
                initiated_on__isnull=True, classified_on__isnull=True, posted_on__isnull=False
            ),
        ),
    )
    by_year = (
        records.annotate(year_date=YEAR_DATE)
        .exclude(year_date__isnull=True)
        .annotate(year=_year("year_date"))
        .values("year")
        .annotate(n=Count("id"))
        .order_by("year")
    )
    return {
        "records": totals["records"],
        "by_root_cause": _counted(records.exclude(root_cause=""), "root_cause")[:25],
        "by_recall_class": _counted(records.exclude(recall_class=None), "recall_class"),
        "by_device_class": _counted(records.exclude(device_class=None), "device_class"),
        "by_year": [{"value": row["year"], "count": row["n"]} for row in by_year],
        "year_dates": {
            "initiated": totals["dated_initiated"],
            "classified": totals["dated_classified"],
            "posted": totals["dated_posted"],
            "undated": totals["records"]
            - totals["dated_initiated"]
            - totals["dated_classified"]
            - totals["dated_posted"],
        },
        "duration": {
            "terminated": totals["terminated"],
            "average_days": round(totals["days_average"], 1) if totals["days_average"] else None,
            "median_days": _median(records, "days_open", totals["terminated"]),
            "buckets": _bucketed(records, "days_open", DURATION_BUCKETS),
        },
        "quantity": {
            "with_quantity": totals["with_quantity"],
            "total": totals["quantity_total"] or 0,
            "median": _median(records, "quantity", totals["with_quantity"]),
            "buckets": _bucketed(records, "quantity", QUANTITY_BUCKETS),
        },
        "code_info_unread": totals["code_info_unread"],
    }


def root_causes_recorded() -> list[str]:
    """The root causes the imported records use, for the search form's choice list."""
    return list(
        PublicRecall.objects.exclude(root_cause="")
        .order_by("root_cause")
        .values_list("root_cause", flat=True)
        .distinct()
    )


def history_recorded() -> bool:
    """Whether any public recall record was imported: the pages say how to fill an empty
    history instead of showing zeros and "nothing similar". One query."""
    return PublicRecall.objects.exists()
