"""The execution actions, one module per sub-domain; imported here so callers have one place.

Each is one transaction with its own audit entry: ``hold_place``/``hold_release``,
``return_create``/``return_transition``, ``return_receive``, ``disposition_create``/``_start``/
``_complete``/``_cancel``, ``work_order_create``/``work_order_record``/``evidence_add``,
``work_orders_escalate``."""

from .dispositions import (
    disposition_cancel,
    disposition_complete,
    disposition_create,
    disposition_start,
)
from .fieldwork import evidence_add, work_order_create, work_order_record, work_orders_escalate
from .holds import hold_place, hold_release
from .receiving import ReceiptResult, return_receive
from .returns import return_amend, return_create, return_transition

__all__ = [
    "ReceiptResult",
    "disposition_cancel",
    "disposition_complete",
    "disposition_create",
    "disposition_start",
    "evidence_add",
    "hold_place",
    "hold_release",
    "return_amend",
    "return_create",
    "return_receive",
    "return_transition",
    "work_order_create",
    "work_order_record",
    "work_orders_escalate",
]
