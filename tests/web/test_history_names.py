"""The history on a recall's page (and on a master-data page, by the same template code) names people by their full name
(the user name only where none is recorded), as the filing, complaint and CAPA histories do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from tests.notices.conftest import approved_recall

pytestmark = pytest.mark.django_db


def test_the_recall_history_names_people_by_full_name(
    tmp_path: Path, make_user: Callable[..., User]
) -> None:
    manager = make_user(Role.QA_RA_MANAGER, username="qa_lead")
    User.objects.filter(pk=manager.pk).update(first_name="Fang", last_name="Wang")
    recall = approved_recall(tmp_path, manager, make_user)
    client = Client()
    client.force_login(manager)

    page = client.get(f"/recalls/{recall.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "<td>Fang Wang</td>" in page
    assert "<td>qa_lead</td>" not in page
