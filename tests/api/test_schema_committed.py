"""The OpenAPI schema in docs/openapi.yaml is the one the code serves on the embedded default
(SQLite): regenerate it with `medrecall spectacular --file docs/openapi.yaml` when an endpoint
changes. (Integer ranges in the schema follow the database backend, so the comparison runs on
SQLite, as the file was made.)"""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the committed schema is the SQLite one")
def test_committed_schema_matches_the_code() -> None:
    generated = StringIO()
    call_command("spectacular", stdout=generated, stderr=StringIO())
    assert generated.getvalue() == COMMITTED.read_text(encoding="utf-8"), (
        "docs/openapi.yaml is stale: run `medrecall spectacular --file docs/openapi.yaml`"
    )
