"""The actor protocol: what every service may ask of whoever acts."""

import pytest

from medrecall.accounts.models import User
from medrecall.core.types import Actor


@pytest.mark.django_db
def test_a_user_is_an_actor() -> None:
    user: Actor = User.objects.create_user(username="qa.lead", password="x" * 12)

    assert isinstance(user, Actor)
    assert user.get_username() == "qa.lead"
    assert user.has_perm("recalls.view_recallcase") is False


def test_a_label_is_not_an_actor() -> None:
    assert not isinstance("medrecall demo", Actor)
    assert not isinstance(None, Actor)
