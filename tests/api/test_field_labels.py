"""A 400's message names the field as the pages do, by its label in the reader's language; the
``errors`` part keeps the field's key for clients ("cluster_days: A valid integer is required."
was the message before)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.api.errors import InvalidInput, _first_message
from medrecall.api.quality import TriageSerializer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Grouping period (days): A valid integer is required."),
        ("zh-hans", "合并期（天）：请填写合法的整数值。"),
    ],
)
def test_signal_policy_400_names_the_field_by_its_label(
    make_user: Callable[..., User], language: str, message: str
) -> None:
    api = APIClient()
    api.force_authenticate(make_user(Role.ADMINISTRATOR))

    response = api.patch(
        "/api/quality/signals/policy/",
        {"cluster_days": "soon"},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["message"]) == ("invalid", message)
    assert list(body["errors"]) == ["cluster_days"]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Awareness date: Datetime has wrong format."),
        ("zh-hans", "获知日期：日期时间格式错误。"),
    ],
)
def test_complaint_400_names_the_field_by_its_label(
    make_user: Callable[..., User], language: str, message: str
) -> None:
    api = APIClient()
    api.force_authenticate(make_user(Role.QA_RA_MANAGER))

    response = api.post(
        "/api/quality/complaints/",
        {"aware_at": "yesterday", "description": "Tip broke"},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 400
    body = response.json()
    assert body["message"].startswith(message)
    assert list(body["errors"]) == ["aware_at"]


def test_nested_fields_are_named_one_after_the_other_from_the_first_bad_item() -> None:
    payload = TriageSerializer(
        data={
            "decisions": [
                {"regime": "nmpa", "reportable": False, "rationale": "Not sold in China"},
                {"regime": "fda", "reportable": False},
            ]
        }
    )

    with pytest.raises(InvalidInput) as refused:
        payload.is_valid(raise_exception=True)

    assert _first_message(refused.value.detail, refused.value.serializer) == (
        "Triage decisions: item 2: Rationale: This field is required."
    )
