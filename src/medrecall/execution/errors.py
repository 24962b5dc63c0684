"""Refusals of the execution context."""

from __future__ import annotations

from medrecall.core.errors import DomainError


class HoldRefused(DomainError):
    code = "hold_refused"


class ReturnRefused(DomainError):
    code = "return_refused"


class ReceiptRefused(DomainError):
    """A scan or entry that changes nothing; ``code`` is the reconciliation outcome
    (unparseable, wrong_item, unknown_serial, serial_required, already_received, not_receiving,
    not_quarantine, bad_quantity); more than expected is not refused but received as ``over``."""

    code = "receipt_refused"
    status = 409


class DispositionRefused(DomainError):
    code = "disposition_refused"


class WorkOrderRefused(DomainError):
    code = "work_order_refused"


class EvidenceRefused(DomainError):
    code = "evidence_refused"
