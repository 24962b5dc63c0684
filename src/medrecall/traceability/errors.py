"""Refusals of the traceability context. Look-ups that miss (a GTIN, lot or serial not known)
raise ``core.errors.NotFound``."""

from __future__ import annotations

from django.utils.translation import gettext as _

from medrecall.core.errors import DomainError, RowError, ValidationFailed


class CustodyRefused(DomainError):
    """A custody guard (e.g. a stock hold) refuses the movement."""

    code = "custody_refused"
    status = 409


class TraceSetRejected(DomainError):
    """A list of units refused whole; ``errors`` names each bad row and why. Nothing is traced."""

    code = "trace_set_rejected"

    def __init__(self, errors: list[RowError]) -> None:
        message = _("%(count)s of the listed units cannot be traced; nothing was traced.") % {
            "count": len(errors)
        }
        super().__init__(message, details=[e.as_dict() for e in errors[:1000]])
        self.errors = errors


class SerialNotInLot(ValidationFailed):
    """A serial asked about together with a lot it does not belong to."""

    code = "serial_not_in_lot"

    def __init__(self, *, serial: str, lot: str, given: str) -> None:
        super().__init__(
            _("Serial %(serial)s belongs to lot %(lot)s, not %(given)s.")
            % {"serial": serial, "lot": lot, "given": given},
            where="lot",
        )
