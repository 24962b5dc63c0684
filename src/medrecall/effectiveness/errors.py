"""Refusals of the effectiveness context (docs/effectiveness.md)."""

from __future__ import annotations

from medrecall.core.errors import DomainError, ValidationFailed


class LevelInvalid(ValidationFailed):
    """A level outside A–E, or a share for level B outside 10–100 %."""

    code = "effectiveness_level_invalid"


class SampleRefused(ValidationFailed):
    """A sample that cannot be drawn: no level, level E, no consignees, a size larger than the
    consignees, a sample already checked."""

    code = "effectiveness_sample_refused"


class CheckRefused(ValidationFailed):
    """A check record that cannot be written: a consignee not in the sample, bad units."""

    code = "effectiveness_check_refused"


class ExceptionRefused(ValidationFailed):
    """A unit exception over more units than are outstanding at that holder and lot."""

    code = "unit_exception_refused"


class ClosingSignRefused(DomainError):
    code = "closing_signature_refused"
    status = 409
