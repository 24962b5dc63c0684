"""The API's one exception handler answers a domain error with its own status and code, so a
look-up's ``NotFound`` is a JSON 404; ``named_in_body`` makes a miss of a record the request
body names a 400 ``invalid`` with the look-up's message and field."""

from __future__ import annotations

import pytest

from medrecall.api.errors import exception_handler, named_in_body
from medrecall.core.errors import DomainError, NotFound, ValidationFailed


class _Refused(DomainError):
    code = "refused_here"
    status = 409


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (
            NotFound("There is no party with code NOPE.", where="holder"),
            404,
            {
                "code": "not_found",
                "message": "There is no party with code NOPE.",
                "where": "holder",
            },
        ),
        (
            _Refused("Not now.", details=[1]),
            409,
            {"code": "refused_here", "message": "Not now.", "details": [1]},
        ),
        (ValidationFailed("Bad."), 400, {"code": "invalid", "message": "Bad."}),
    ],
    ids=["not-found", "a-named-refusal", "invalid"],
)
def test_a_domain_error_answers_its_status_and_code(
    error: DomainError, status: int, body: dict[str, object]
) -> None:
    response = exception_handler(error, {})
    assert response is not None
    assert (response.status_code, response.data) == (status, body)


def test_named_in_body_answers_what_the_look_up_found() -> None:
    assert named_in_body(lambda: "HOSP") == "HOSP"


def test_named_in_body_turns_a_miss_into_an_invalid_request() -> None:
    def lookup() -> str:
        raise NotFound("There is no party with code NOPE.", where="holder")

    with pytest.raises(ValidationFailed) as refused:
        named_in_body(lookup)
    assert (type(refused.value), refused.value.status, refused.value.as_dict()) == (
        ValidationFailed,
        400,
        {"code": "invalid", "message": "There is no party with code NOPE.", "where": "holder"},
    )
    assert isinstance(refused.value.__cause__, NotFound)


def test_named_in_body_lets_other_refusals_through() -> None:
    def lookup() -> str:
        raise _Refused("Not now.")

    with pytest.raises(_Refused):
        named_in_body(lookup)
