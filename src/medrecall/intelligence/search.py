"""Full-text ranking of public recall records, one function over two databases.

SQLite: the FTS5 table ``intelligence_publicrecall_fts`` (porter stemmer, kept in step by
triggers; migration 0001), ranked by ``bm25``. PostgreSQL: ``ts_rank`` with the English
configuration over a limited set of candidates (``_postgresql``) read from the stored
generated column ``search_vector``
(``to_tsvector('english', COALESCE(search_document, ''))``, GIN-indexed; migration 0001). Both take the query's words joined
by OR (any word matches; records with more and rarer words rank higher) and answer the best
``limit`` records with a score where higher is better.
"""

from __future__ import annotations

from django.db import connection

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


COMMON_SHARE = 0.02
"""A word whose lexeme is in more than this share of the records (PostgreSQL's own statistics of
the column, ``pg_stats.most_common_elem_freqs``) does not pick candidates on its own: it still
counts in every candidate's rank."""
CANDIDATES = 2000
"""How many records holding every word of a query the PostgreSQL candidates take (see
``_postgresql``)."""
LATEST = 500
"""How many of the latest records holding any word join the candidates when every word of the
query is common and fewer than the ``limit`` records hold them all."""

_WORD_SHARES = f"""
WITH s AS (
    SELECT most_common_elems::text::text[] AS elems, most_common_elem_freqs AS freqs
    FROM pg_stats WHERE tablename = '{PublicRecall._meta.db_table}' AND attname = 'search_vector'
), f AS (
    SELECT u.elem, u.freq FROM s, unnest(s.elems, s.freqs) AS u(elem, freq)
)
SELECT word, COALESCE(MAX(f.freq), 0)
FROM unnest(%s::text[]) AS word
CROSS JOIN LATERAL unnest(tsvector_to_array(to_tsvector('english', word))) AS lexeme
LEFT JOIN f ON f.elem = lexeme
GROUP BY word
"""  # noqa: S608 - a fixed table name

_RANKED = f"""
WITH candidates AS MATERIALIZED ({{candidates}})
SELECT r.id, ts_rank(r.search_vector, to_tsquery('english', %(any)s)) AS rank
FROM {PublicRecall._meta.db_table} r JOIN candidates c ON c.id = r.id
ORDER BY rank DESC, r.id DESC LIMIT %(limit)s
"""  # noqa: S608 - fixed names
_MATCHING = (
    f"SELECT id FROM {PublicRecall._meta.db_table} "  # noqa: S608 - a fixed table name
    "WHERE search_vector @@ to_tsquery('english', %({query})s)"
)


def _postgresql(words: list[str], limit: int) -> dict[int, float]:
    """Rank only a limited set of candidates: ``ts_rank`` must read (and decompress) the stored
    vector of every record it ranks, and a query of common words matches a large share of the
    table (a seq scan of it all: 0.5–1 s over 100,000 records, ``bench/README.md``); every
    record the candidates' statement reads costs alike (the rows are wide: about two a page).

    - With a *rare* word (found through the GIN index): the records holding any rare word,
      and those holding every word (up to ``CANDIDATES``; only for a query of several words).
    - With common words only: first the records holding every word (up to ``CANDIDATES``);
      when they are at least ``limit``, they are the candidates (a record holding every word
      of the query outranks, as a rule, one holding some). Else, and for one common word, the
      latest ``LATEST`` holding any word join them (a backward scan of the primary key
      that reads rows until it has found them: the costly part, now only when needed).
    - With rare words that no record holds (a word PostgreSQL's statistics do not list is
      "rare": it may be in none) and common ones: as with common words only, so that
      "surgical pump" over records that never say "pump" finds the surgical ones, as SQLite's
      ranking of every match does (it found nothing: 21 of the bench's 100 queries).

    Each candidate is ranked with the whole query. Without statistics (a table never
    analysed, or a small one) every word is rare: all matches are ranked."""
    with connection.cursor() as cursor:
        cursor.execute(_WORD_SHARES, [words])
        shares = dict(cursor.fetchall())
    known = [w for w in words if w in shares]  # stop words have no lexeme
    if not known:
        return {}
    rare = [w for w in known if shares[w] <= COMMON_SHARE]
    params: dict[str, str | int] = {
        "any": " | ".join(known),
        "every": " & ".join(known),
        "rare": " | ".join(rare),
        "limit": limit,
    }
    every = [f"({_MATCHING.format(query='every')} LIMIT {CANDIDATES})"] if len(known) > 1 else []
    if rare:
        ranked = _ranked([*every, _MATCHING.format(query="rare")], params)
        if ranked or len(rare) == len(known):
            return ranked
        every = []  # the rare words are in no record: neither are all the words
    elif every:
        ranked = _ranked(every, params)
        if len(ranked) >= limit:
            return ranked
    latest = f"({_MATCHING.format(query='any')} ORDER BY id DESC LIMIT {LATEST})"
    return _ranked([*every, latest], params)


def _ranked(branches: list[str], params: dict[str, str | int]) -> dict[int, float]:
    with connection.cursor() as cursor:
        cursor.execute(_RANKED.format(candidates=" UNION ".join(branches)), params)
        return {row_id: float(rank) for row_id, rank in cursor.fetchall()}
