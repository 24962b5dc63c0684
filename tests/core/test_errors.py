"""Core's named errors (``core.errors``): each raised by its action with the exact class and
code, and the request refused leaves nothing behind."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models

from medrecall.accounts.models import User
from medrecall.core import calendars, errors, files, states
from medrecall.core.models import ImportRun
from medrecall.core.services import import_run_start


class _Door(models.TextChoices):
    OPEN = "open", "Open"
    SHUT = "shut", "Shut"


class _Move(models.TextChoices):
    ENTER = "enter", "Enter"


@pytest.mark.django_db
def test_keeping_good_rows_of_an_all_or_nothing_import_is_keep_good_not_offered(
    manager: User,
) -> None:
    upload = SimpleUploadedFile("events.csv", b"event_id\n")
    with pytest.raises(errors.KeepGoodNotOffered) as refused:
        import_run_start(
            kind="events", upload=upload, file_name="events.csv", policy="keep_good", actor=manager
        )
    assert (type(refused.value), refused.value.code, refused.value.status) == (
        errors.KeepGoodNotOffered,
        "keep_good_not_offered",
        400,
    )
    assert (refused.value.where, ImportRun.objects.count()) == ("policy", 0)


@pytest.mark.django_db
def test_an_upload_beyond_the_limit_is_upload_too_large(settings: Any, manager: User) -> None:
    settings.MEDRECALL_MAX_UPLOAD_BYTES = 1024
    upload = SimpleUploadedFile("lots.csv", b"gtin,lot\n" + b"06950000000019,L1\n" * 100)
    with pytest.raises(errors.UploadTooLarge) as refused:
        import_run_start(
            kind="lots", upload=upload, file_name="lots.csv", policy="reject", actor=manager
        )
    assert (type(refused.value), refused.value.code, refused.value.where) == (
        errors.UploadTooLarge,
        "file_too_large",
        "file",
    )
    assert ImportRun.objects.count() == 0


def test_a_program_uploaded_as_a_picture_is_upload_refused() -> None:
    with pytest.raises(errors.UploadRefused) as refused:
        files.check_type(
            io.BytesIO(b"MZ\x90\x00 a program"), name="site.jpg", allowed=files.EVIDENCE_TYPES
        )
    assert (type(refused.value), refused.value.code, refused.value.where) == (
        errors.UploadRefused,
        "wrong_type",
        "file",
    )


def test_an_action_the_state_does_not_allow_is_action_not_allowed() -> None:
    with pytest.raises(errors.ActionNotAllowed) as refused:
        states.state_require(
            allowed={_Door.OPEN: frozenset({_Move.ENTER})},
            statuses=_Door,
            status=_Door.SHUT,
            action=_Move.ENTER,
            record="door 1",
        )
    assert (type(refused.value), refused.value.code, refused.value.status) == (
        errors.ActionNotAllowed,
        "action_not_allowed",
        409,
    )
    assert refused.value.details == [
        "Enter is not possible while door 1 is Shut (possible when it is: Open)."
    ]


def test_an_unknown_calendar_is_calendar_input_invalid() -> None:
    with pytest.raises(errors.CalendarInputInvalid) as refused:
        calendars.check_calendar("XX")
    assert (type(refused.value), refused.value.code, refused.value.where) == (
        errors.CalendarInputInvalid,
        "calendar_input_invalid",
        "calendar",
    )


def test_the_modules_that_raised_them_name_the_same_classes() -> None:
    assert (states.ActionNotAllowed, files.UploadRefused, calendars.CalendarInputInvalid) == (
        errors.ActionNotAllowed,
        errors.UploadRefused,
        errors.CalendarInputInvalid,
    )
