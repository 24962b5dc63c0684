"""The one "first or not found" every context's ``*_get_for`` selector uses."""

import pytest

from medrecall.accounts.models import User
from medrecall.core.errors import NotFound
from medrecall.core.selectors import one_or_not_found


@pytest.mark.django_db
def test_the_record_is_answered() -> None:
    user = User.objects.create_user(username="qa.lead", password="x" * 12)

    assert one_or_not_found(User.objects.filter(pk=user.pk), "No such user.") == user


@pytest.mark.django_db
def test_a_record_not_there_is_not_found_with_the_callers_message() -> None:
    with pytest.raises(NotFound) as refusal:
        one_or_not_found(User.objects.filter(pk=999_999), "No such user.")

    assert refusal.value.message == "No such user."
    assert refusal.value.code == "not_found"
    assert refusal.value.status == 404
