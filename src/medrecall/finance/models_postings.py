"""What the automatic postings need beyond the ledger."""

from __future__ import annotations
