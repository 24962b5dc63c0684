"""Full-text ranking of public recall records, one function over two databases.

SQLite: the FTS5 table ``intelligence_publicrecall_fts`` (porter stemmer, kept in step by
triggers; migration 0001), ranked by ``bm25``. PostgreSQL: ``SearchQuery`` / ``SearchRank``
with the English configuration over the stored generated column ``search_vector``
(``to_tsvector('english', COALESCE(search_document, ''))``, GIN-indexed; migration 0001). Both take the query's words joined
by OR (any word matches; records with more and rarer words rank higher) and answer the best
``limit`` records with a score where higher is better.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import BooleanField, Expression, Func

from .models import PublicRecall

FTS_TABLE = "intelligence_publicrecall_fts"


def text_ranks(words: list[str], *, limit: int) -> dict[int, float]:
    """Record id -> text score (> 0) for the best ``limit`` records matching any of ``words``
    (lower-case letters and digits only: ``glossary.english_words`` makes them)."""
    if not words:
        return {}
    if connection.vendor == "postgresql":
        return _postgresql(words, limit)
    return _sqlite(words, limit)


def _sqlite(words: list[str], limit: int) -> dict[int, float]:
    match = " OR ".join(f'"{word}"' for word in words)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, -bm25({FTS_TABLE}) FROM {FTS_TABLE} "  # noqa: S608 - fixed names
            f"WHERE {FTS_TABLE} MATCH %s ORDER BY bm25({FTS_TABLE}) LIMIT %s",
            [match, limit],
        )
        return {row_id: float(score) for row_id, score in cursor.fetchall()}


def _postgresql(words: list[str], limit: int) -> dict[int, float]:
    vector = SearchVectorColumn()
    query = SearchQuery(" | ".join(words), search_type="raw", config="english")
    rows = (
        PublicRecall.objects.annotate(rank=SearchRank(vector, query))
        .filter(Matches(vector, query))
        .order_by("-rank")
        .values_list("id", "rank")[:limit]
    )
    return {row_id: float(rank) for row_id, rank in rows}


class SearchVectorColumn(Expression):
    """The stored ``search_vector`` column (PostgreSQL only, made by migration 0001 as
    ``to_tsvector('english', COALESCE(search_document, ''))``; not a model field, since
    SQLite has no such type)."""

    output_field = SearchVectorField()

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[str | int, ...]]:
        table = connection.ops.quote_name(PublicRecall._meta.db_table)
        return f"{table}.search_vector", ()


class Matches(Func):
    """``vector @@ query``: the GIN index's operator, as a condition."""

    template = "%(expressions)s"
    arg_joiner = " @@ "
    output_field = BooleanField()
