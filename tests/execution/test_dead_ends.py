"""Dead ends found by a new user in the warehouse and the demo: an open redirect, units sent
over what was expected, returns that never showed as received."""

from __future__ import annotations

from typing import Any

import pytest

from medrecall.audit.models import AuditEntry
from medrecall.execution import services
from medrecall.execution.models import Disposition
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.execution.test_pages import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("case", "target", "lands_on"), [
    ("scheme-relative URL to another host", "//evil.example/login", "/execution/"),
    ("absolute URL to another host", "https://evil.example/login", "/execution/"),
    ("back-slash trick", "/\\evil.example", "/execution/"),
    ("a page of this site", "/execution/warehouse/", "/execution/warehouse/"),
])
def test_disposition_next_only_redirects_within_the_site(recall: RecallCase, manager: Any, warehouse_user: Any,
                                                          case: str, target: str, lands_on: str) -> None:
    client = client_for(warehouse_user)
    response = client.post("/execution/dispositions/new/", {"recall": recall.pk, "kind": "destroy", "next": target})
    assert (response.status_code, response["Location"]) == (302, lands_on)
    assert Disposition.objects.count() == 0
