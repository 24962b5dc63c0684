"""Keeping the ledger's daily rollup (``CostRollup``) equal to a ``GROUP BY`` over the entries.

Set-based: the entries just written are summed by the rollup's key in SQL and added to the
rows with one ``INSERT … SELECT … ON CONFLICT DO UPDATE`` (PostgreSQL and SQLite ≥ 3.24 both
have it). The addition happens in the database, under the row's lock on PostgreSQL, so two
transactions posting to the same row at once both count and neither twice; a rolled-back
posting rolls its addition back with it."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

_KEY = "recall_id, day, category, source, currency, vendor_pk, holder_pk"
_SUMMED = (
    "SELECT e.recall_id, e.incurred_on, e.category, e.source, e.currency, "
    "COALESCE(e.vendor_id, 0), COALESCE(e.holder_id, 0), COUNT(*), SUM(e.amount), "
    "SUM(e.company_amount) FROM finance_costentry e WHERE {where} "
    "GROUP BY e.recall_id, e.incurred_on, e.category, e.source, e.currency, "
    "COALESCE(e.vendor_id, 0), COALESCE(e.holder_id, 0)"
)
_ADD = (
    f"INSERT INTO finance_costrollup ({_KEY}, entries, amount, company_amount) {{summed}} "
    f"ON CONFLICT ({_KEY}) DO UPDATE SET "
    "entries = finance_costrollup.entries + excluded.entries, "
    "amount = finance_costrollup.amount + excluded.amount, "
    "company_amount = finance_costrollup.company_amount + excluded.company_amount"
)


def rollup_add(entry_ids: Iterable[int]) -> None:
    """Add entries just posted (in this transaction) to the rollup: one statement."""
    ids = sorted(set(entry_ids))
    if not ids:
        return
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(_ADD.format(summed=_SUMMED.format(where=f"e.id IN ({marks})")), ids)


def rollup_rebuild(recall_ids: Iterable[int] | None = None) -> None:
    """Sum the rollup again from the entries (the migration's backfill; entries written in
    bulk outside the ledger, as the benchmark does): the recalls named, or every recall."""
    ids = None if recall_ids is None else sorted(set(recall_ids))
    with connection.cursor() as cursor:
        if ids is None:
            cursor.execute("DELETE FROM finance_costrollup")
            cursor.execute(_ADD.format(summed=_SUMMED.format(where="1 = 1")))
            return
        if not ids:
            return
        marks = ", ".join(["%s"] * len(ids))
        cursor.execute(f"DELETE FROM finance_costrollup WHERE recall_id IN ({marks})", ids)  # noqa: S608
        cursor.execute(_ADD.format(summed=_SUMMED.format(where=f"e.recall_id IN ({marks})")), ids)
