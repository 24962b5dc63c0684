"""Statuses of complaints and CAPAs, their allowed moves, and which actions each status allows
(read by ``core.states``, the mechanism the recall case uses too). A quality service checks
its record's table before it writes anything, so a refusal leaves no row and no audit entry."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from medrecall.core.states import state_blockers, state_require


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("complaint status", "Received")
    TRIAGED = "triaged", _("Triaged")
    INVESTIGATING = "investigating", _("Under investigation")
    CLOSED = "closed", _("Closed")


COMPLAINT_TRANSITIONS: Mapping[str, frozenset[str]] = {
    ComplaintStatus.RECEIVED: frozenset({ComplaintStatus.TRIAGED}),
    ComplaintStatus.TRIAGED: frozenset({ComplaintStatus.INVESTIGATING, ComplaintStatus.CLOSED}),
    ComplaintStatus.INVESTIGATING: frozenset({ComplaintStatus.CLOSED}),
    ComplaintStatus.CLOSED: frozenset(),
}


class ComplaintAction(models.TextChoices):
    """What can be done to a complaint; ``COMPLAINT_ACTIONS`` says in which status."""

    RESOLVE_UNIT = "resolve_unit", _("Resolving the device, lot or serial")
    TRIAGE = "triage", _("Triage (reportability)")
    MARK_REPORTED = "mark_reported", _("Recording a regulatory report as submitted")
    INVESTIGATE = "investigate", _("Recording the investigation")
    LINK_RECALL = "link_recall", _("Linking a recall")
    CLOSE = "close", _("Closing the complaint")


COMPLAINT_ACTIONS: Mapping[str, frozenset[str]] = {
    ComplaintStatus.RECEIVED: frozenset(
        {ComplaintAction.RESOLVE_UNIT, ComplaintAction.TRIAGE, ComplaintAction.LINK_RECALL}
    ),
    ComplaintStatus.TRIAGED: frozenset(
        {
            ComplaintAction.RESOLVE_UNIT,
            ComplaintAction.TRIAGE,
            ComplaintAction.MARK_REPORTED,
            ComplaintAction.INVESTIGATE,
            ComplaintAction.LINK_RECALL,
            ComplaintAction.CLOSE,
        }
    ),
    ComplaintStatus.INVESTIGATING: frozenset(
        {
            ComplaintAction.RESOLVE_UNIT,
            ComplaintAction.TRIAGE,
            ComplaintAction.MARK_REPORTED,
            ComplaintAction.INVESTIGATE,
            ComplaintAction.LINK_RECALL,
            ComplaintAction.CLOSE,
        }
    ),
    # A report filed late is still recorded after closure; nothing else changes.
    ComplaintStatus.CLOSED: frozenset({ComplaintAction.MARK_REPORTED}),
}


class CapaStatus(models.TextChoices):
    OPEN = "open", _("Open")
    VERIFIED = "verified", _("Effectiveness verified")
    CLOSED = "closed", _("Closed")


CAPA_TRANSITIONS: Mapping[str, frozenset[str]] = {
    CapaStatus.OPEN: frozenset({CapaStatus.VERIFIED}),
    CapaStatus.VERIFIED: frozenset({CapaStatus.CLOSED, CapaStatus.OPEN}),
    CapaStatus.CLOSED: frozenset(),
}


class CapaAction(models.TextChoices):
    """What can be done to a CAPA; ``CAPA_ACTIONS`` says in which status."""

    ADD_ROOT_CAUSE = "add_root_cause", _("Recording a root cause")
    ADD_ACTION = "add_action", _("Adding an action")
    UPDATE_ACTION = "update_action", _("Updating an action")
    LINK = "link", _("Linking recalls, complaints and lots")
    VERIFY = "verify", _("Verifying effectiveness")
    REOPEN = "reopen", _("Reopening")
    CLOSE = "close", _("Closing the CAPA")


CAPA_ACTIONS: Mapping[str, frozenset[str]] = {
    CapaStatus.OPEN: frozenset(
        {
            CapaAction.ADD_ROOT_CAUSE,
            CapaAction.ADD_ACTION,
            CapaAction.UPDATE_ACTION,
            CapaAction.LINK,
            CapaAction.VERIFY,
        }
    ),
    CapaStatus.VERIFIED: frozenset({CapaAction.LINK, CapaAction.REOPEN, CapaAction.CLOSE}),
    CapaStatus.CLOSED: frozenset(),
}


def complaint_blockers(status: str, action: ComplaintAction, number: str) -> list[str]:
    return state_blockers(
        allowed=COMPLAINT_ACTIONS,
        statuses=ComplaintStatus,
        status=status,
        action=action,
        record=str(_("complaint %(number)s") % {"number": number}),
    )


def complaint_require(status: str, action: ComplaintAction, number: str) -> None:
    state_require(
        allowed=COMPLAINT_ACTIONS,
        statuses=ComplaintStatus,
        status=status,
        action=action,
        record=str(_("complaint %(number)s") % {"number": number}),
    )


def capa_blockers(status: str, action: CapaAction, number: str) -> list[str]:
    return state_blockers(
        allowed=CAPA_ACTIONS,
        statuses=CapaStatus,
        status=status,
        action=action,
        record=str(_("CAPA %(number)s") % {"number": number}),
    )


def capa_require(status: str, action: CapaAction, number: str) -> None:
    state_require(
        allowed=CAPA_ACTIONS,
        statuses=CapaStatus,
        status=status,
        action=action,
        record=str(_("CAPA %(number)s") % {"number": number}),
    )
