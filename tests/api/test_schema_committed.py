"""The OpenAPI schema in docs/openapi.yaml is the one the code serves: regenerate it with
`medrecall spectacular --file docs/openapi.yaml` when an endpoint changes."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from django.core.management import call_command

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def test_committed_schema_matches_the_code() -> None:
    generated = StringIO()
    call_command("spectacular", stdout=generated, stderr=StringIO())
    assert generated.getvalue() == COMMITTED.read_text(encoding="utf-8"), (
        "docs/openapi.yaml is stale: run `medrecall spectacular --file docs/openapi.yaml`")
