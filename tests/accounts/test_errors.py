"""The accounts context's named errors (``accounts.errors``): raised by their actions with the
exact class and code; the modules that raised them before still name the same classes."""

from __future__ import annotations

import pytest

from medrecall.accounts import errors, lockout, signatures
from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_unlocking_a_user_name_that_is_not_locked_is_not_locked(manager: User) -> None:
    with pytest.raises(errors.NotLocked) as refused:
        lockout.login_unlock(username="nobody", actor=manager, reason="called the help desk")
    assert (type(refused.value), refused.value.code, refused.value.status) == (
        errors.NotLocked,
        "not_locked",
        404,
    )
    assert refused.value.as_dict() == {
        "code": "not_locked",
        "message": "The account “nobody” is not locked.",
        "where": "username",
    }
    assert AuditEntry.objects.count() == 0


def test_a_signature_locked_is_a_signature_refused_with_its_own_code_and_status() -> None:
    locked = errors.SignatureLocked("Paused.")
    assert isinstance(locked, errors.SignatureRefused)
    assert (locked.code, locked.status) == ("signature_locked", 429)
    assert (errors.SignatureRefused.code, errors.SignatureRefused.status) == (
        "signature_refused",
        400,
    )


def test_the_modules_that_raise_them_name_the_same_classes() -> None:
    assert (lockout.NotLocked, signatures.SignatureRefused, signatures.SignatureLocked) == (
        errors.NotLocked,
        errors.SignatureRefused,
        errors.SignatureLocked,
    )
