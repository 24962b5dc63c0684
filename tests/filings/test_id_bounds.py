"""An id beyond what a column holds, in a filing's URL, is a filing that is not there (404), on
both databases, for every filing endpoint that names one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role

pytestmark = pytest.mark.django_db

BEYOND_64 = 2**70


@pytest.mark.parametrize(
    ("method", "url"),
    [
        pytest.param("get", f"/api/recalls/{BEYOND_64}/filings/{BEYOND_64}/", id="detail"),
        pytest.param("get", f"/api/recalls/1/filings/{BEYOND_64}/", id="detail-filing"),
        pytest.param("post", f"/api/recalls/{BEYOND_64}/filings/7385/check/", id="check"),
        pytest.param("post", f"/api/recalls/{BEYOND_64}/filings/7685/submit/", id="submit"),
    ],
)
def test_an_id_beyond_the_column_is_not_found(
    method: str, url: str, make_user: Callable[..., User]
) -> None:
    client = APIClient()
    client.force_authenticate(make_user(Role.QA_RA_MANAGER))
    response = getattr(client, method)(url)
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"
