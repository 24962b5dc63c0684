"""Quality writes: complaint actions (``complaints.py``) and CAPA actions (``capas.py``), each one
transaction with its own audit entry. Imported from here by the interfaces."""

from __future__ import annotations

from .capas import (
    capa_action_add,
    capa_action_update,
    capa_close,
    capa_link,
    capa_open,
    capa_reopen,
    capa_verify,
    past_due_warning,
    root_cause_add,
    verify_blockers,
)
from .complaints import (
    Harm,
    Triage,
    UnitGiven,
    close_blockers,
    complaint_close,
    complaint_investigate,
    complaint_link_recall,
    complaint_mark_reported,
    complaint_receive,
    complaint_resolve_unit,
    complaint_start_recall,
    complaint_triage,
    overlap_warning,
    unit_resolve,
)

__all__ = [
    "Harm",
    "Triage",
    "UnitGiven",
    "capa_action_add",
    "capa_action_update",
    "capa_close",
    "capa_link",
    "capa_open",
    "capa_reopen",
    "capa_verify",
    "close_blockers",
    "complaint_close",
    "complaint_investigate",
    "complaint_link_recall",
    "complaint_mark_reported",
    "complaint_receive",
    "complaint_resolve_unit",
    "complaint_start_recall",
    "complaint_triage",
    "overlap_warning",
    "past_due_warning",
    "root_cause_add",
    "unit_resolve",
    "verify_blockers",
]
