"""The navigation: the product's areas, each with the pages the user may open."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: Promise
    url_name: str
    permission: str = ""
    kwargs: dict[str, str] = field(default_factory=dict)
    portal: bool = False  # shown to portal users
    portal_only: bool = False  # shown to portal users alone (staff have their own page for it)


@dataclass(frozen=True)
class NavArea:
    """An area of the product in the side menu; shown only with an item the user may open (no
    placeholder for an area that does not exist: reports live where their figures are, the
    portfolio and due list under Recalls, the cockpit's exports on each cockpit, the cost
    reports under Finance)."""

    label: Promise
    items: tuple[NavItem, ...]


AREAS: tuple[NavArea, ...] = (
    NavArea(
        _("Master data"),
        (
            NavItem(
                _("Device models"),
                "web:entity-list",
                "catalog.view_devicemodel",
                {"slug": "devicemodel"},
                portal=True,
            ),
            NavItem(_("Lots"), "web:entity-list", "catalog.view_lot", {"slug": "lot"}),
            NavItem(
                _("Serial numbers"), "web:entity-list", "catalog.view_serial", {"slug": "serial"}
            ),
            NavItem(
                _("Parties"),
                "web:entity-list",
                "parties.view_party",
                {"slug": "party"},
                portal=True,
            ),
            NavItem(_("Reported parties"), "web:party-reported-list", "parties.change_party", {}),
            NavItem(
                _("Locations"),
                "web:entity-list",
                "parties.view_location",
                {"slug": "location"},
                portal=True,
            ),
            NavItem(
                _("Contacts"),
                "web:entity-list",
                "parties.view_contact",
                {"slug": "contact"},
                portal=True,
            ),
            NavItem(
                _("Imports"),
                "web:import-list",
                "catalog.add_devicemodel|parties.add_party|traceability.add_traceevent"
                "|quality.change_complaint",
                {},
            ),
        ),
    ),
    NavArea(
        _("Traceability"),
        (
            NavItem(_("Trace"), "web:trace", "traceability.view_traceevent"),
            NavItem(_("Scan a barcode"), "web:scan", ""),
            NavItem(_("Events"), "web:event-list", "traceability.view_traceevent"),
        ),
    ),
    NavArea(
        _("Recalls"),
        (
            NavItem(_("Recalls"), "web:recall-list", "recalls.view_recallcase"),
            NavItem(_("Open a recall"), "web:recall-open", "recalls.add_recallcase"),
            NavItem(_("Due this week"), "web:recall-due-week", "recalls.view_recallcase"),
            NavItem(_("Portfolio"), "web:portfolio", "recalls.view_recallcase"),
            NavItem(_("Working-day calendar"), "web:calendar", "recalls.view_recallcase"),
            NavItem(
                _("Public FDA recall history"),
                "web:intelligence-search",
                "intelligence.view_publicrecall",
            ),
        ),
    ),
    NavArea(
        _("Notices"),
        (
            NavItem(
                _("Notice templates"), "web:notice-template-list", "notices.view_noticetemplate"
            ),
            NavItem(_("Overdue queue"), "web:notice-overdue", "notices.view_notice"),
            NavItem(_("Customers"), "web:customer-search", "notices.view_notice"),
            NavItem(_("Our recall notices"), "web:portal-notices", portal=True, portal_only=True),
        ),
    ),
    NavArea(
        _("Execution"),
        (
            NavItem(
                _("Recalls in execution"),
                "web:execution-home",
                "execution.view_returnauthorisation",
            ),
            NavItem(_("Warehouse: receive returns"), "web:warehouse", "execution.add_receipt"),
            NavItem(
                _("Work orders"), "web:work-order-list", "execution.view_workorder", portal=True
            ),
        ),
    ),
    NavArea(
        _("Administration"),
        (
            NavItem(_("Locked log-ins"), "web:lockout-list", "axes.view_accessattempt"),
            NavItem(_("Company"), "web:company", "accounts.view_companyidentity"),
        ),
    ),
    NavArea(
        _("Finance"),
        (
            # the cost ledger
            *(
                NavItem(_("Recall costs"), "web:finance-ledgers", "finance.view_costentry"),
                NavItem(_("Exchange rates"), "web:finance-rates", "finance.view_exchangerate"),
                NavItem(
                    _("Disposition costs"), "web:finance-unit-costs", "finance.view_dispositioncost"
                ),
                NavItem(
                    _("Service provider rates"),
                    "web:finance-provider-rates",
                    "finance.view_providerrate",
                ),
                NavItem(_("Finance policy"), "web:finance-policy", "finance.view_financepolicy"),
            ),
            # budget, forecast and reports
            NavItem(_("Cost reports"), "web:finance-reports", "finance.view_costentry"),
            # quotes, refunds and payments
            NavItem(
                _("Refunds and compensation"),
                "web:finance-refund-list",
                "finance.view_refundrequest",
            ),
            NavItem(_("Vendor scorecard"), "web:finance-scorecard", "finance.view_quoterequest"),
            NavItem(
                _("Accounts payable export"),
                "web:finance-ap-exports",
                "finance.export_refundpayment",
            ),
        ),
    ),
    NavArea(
        _("Quality"),
        (
            NavItem(_("Quality dashboard"), "web:quality-dashboard", "quality.view_complaint"),
            NavItem(_("Complaints"), "web:quality-complaints", "quality.view_complaint"),
            NavItem(_("Enter a complaint"), "web:quality-complaint-new", "quality.add_complaint"),
            NavItem(_("CAPAs"), "web:quality-capas", "quality.view_capa"),
            NavItem(_("Early-warning signals"), "web:quality-signals", "quality.view_signal"),
            NavItem(
                _("Report a problem"),
                "web:portal-complaints",
                "quality.view_complaint",
                portal=True,
                portal_only=True,
            ),
        ),
    ),
)


def _address(url_name: str, kwargs: tuple[tuple[str, str], ...]) -> str:
    """A navigation item's address, reversed once per process and script prefix (the URL
    configuration does not change while the process runs): every page shows the navigation,
    and reversing its forty-odd addresses was a tenth of a page's own time."""
    return _reversed(url_name, kwargs, get_script_prefix())


@functools.lru_cache(maxsize=512)
def _reversed(url_name: str, kwargs: tuple[tuple[str, str], ...], prefix: str) -> str:
    return reverse(url_name, kwargs=dict(kwargs))


@receiver(setting_changed)
def _urls_changed(setting: str, **kwargs: Any) -> None:
    """A test that swaps the URL configuration gets addresses of the new one."""
    if setting == "ROOT_URLCONF":
        _reversed.cache_clear()


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_areas": []}
    portal = getattr(user, "party_id", None) is not None
    areas = []
    for area in AREAS:
        items = [
            {
                "label": item.label,
                "url": (url := _address(item.url_name, tuple(item.kwargs.items()))),
                "active": request.path.startswith(url),
            }
            for item in area.items
            if (item.portal if portal else not item.portal_only)
            and (not item.permission or any(user.has_perm(p) for p in item.permission.split("|")))
        ]
        if items:
            areas.append({"label": area.label, "items": items})
    _one_active(areas)
    return {"nav_areas": areas, "is_portal": portal}


def _one_active(areas: list[dict[str, Any]]) -> None:
    """Only the item whose address is the longest start of the page's is highlighted: on
    ``/quality/complaints/`` that is *Complaints*, not also the dashboard at ``/quality/``."""
    matches = [item for area in areas for item in area["items"] if item["active"]]
    best = max(matches, key=lambda item: len(item["url"]), default=None)
    for item in matches:
        item["active"] = item is best
