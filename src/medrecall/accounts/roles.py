"""Roles as data: each role is a group with a fixed set of model permissions.

Later contexts add their permissions here as they arrive; ``roles_sync`` runs after every
migrate, so a deployment's groups always match this table.
"""

from __future__ import annotations

from typing import Final

from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Role:
    QA_RA_MANAGER: Final = "qa_ra_manager"
    TRACEABILITY_ANALYST: Final = "traceability_analyst"
    CUSTOMER_SERVICE: Final = "customer_service"
    WAREHOUSE: Final = "warehouse"
    FIELD_SERVICE: Final = "field_service"
    FINANCE: Final = "finance"
    VIEWER: Final = "viewer"
    ADMINISTRATOR: Final = "administrator"
    PORTAL: Final = "portal"


ROLE_LABELS: dict[str, Promise] = {
    Role.QA_RA_MANAGER: _("QA/RA manager"),
    Role.TRACEABILITY_ANALYST: _("Traceability analyst"),
    Role.CUSTOMER_SERVICE: _("Customer service"),
    Role.WAREHOUSE: _("Warehouse"),
    Role.FIELD_SERVICE: _("Field service"),
    Role.FINANCE: _("Finance"),
    Role.VIEWER: _("Viewer"),
    Role.ADMINISTRATOR: _("Administrator"),
    Role.PORTAL: _("Portal user (distributor, hospital, service partner)"),
}

MASTER_DATA = (
    "catalog.devicemodel",
    "catalog.lot",
    "catalog.serial",
    "parties.party",
    "parties.contact",
    "parties.location",
)
EVENTS = ("traceability.traceevent", "traceability.position", "core.importrun")
RECALLS = (
    "recalls.recallcase",
    "recalls.recallregime",
    "recalls.hazardevaluation",
    "recalls.scoperule",
    "recalls.scopesnapshot",
    "recalls.approvalstep",
)
NOTICES = (
    "notices.noticetemplate",
    "notices.noticerun",
    "notices.notice",
    "notices.noticeevent",
    "notices.reply",
    "notices.subconsignee",
    "notices.offer",
    "notices.surveyresponse",
)
# Customer service works the notices: sends runs, logs calls and letters, enters replies, proposes offers.
NOTICE_WORK = (
    "notices.noticerun",
    "notices.notice",
    "notices.noticeevent",
    "notices.reply",
    "notices.offer",
)
EXECUTION = (
    "execution.hold",
    "execution.returnauthorisation",
    "execution.receipt",
    "execution.disposition",
    "execution.destructioncertificate",
    "execution.workorder",
    "execution.evidence",
)
EXECUTION_SETUP = (
    "execution.carrier",
    "execution.carrierrate",
    "execution.carrierrule",
    "execution.serviceprovider",
)
# The public recall history (openFDA): every staff role reads it; QA/RA and administrators import.
INTELLIGENCE = ("intelligence.publicrecall",)
# The working-day calendars behind the compliance clock (holidays, make-up working days).
CALENDAR = ("core.workingdayentry", "core.calendaryear")
# The quality loop: complaints (with their reportability decisions) and CAPAs.
QUALITY = (
    "quality.complaint",
    "quality.reportdecision",
    "quality.capa",
    "quality.rootcause",
    "quality.capatask",
    "quality.verification",
    "quality.signal",
)
# Effectiveness checks and completion: QA/RA sets levels, draws samples, signs exceptions and the
# closure; customer service records the checks; the viewer reads.
EFFECTIVENESS = (
    "effectiveness.checkplan",
    "effectiveness.sample",
    "effectiveness.checkrecord",
    "effectiveness.unitexception",
    "effectiveness.closingsignature",
)
RECEIVING = ("execution.receipt", "execution.disposition", "execution.destructioncertificate")
FIELD_WORK = ("execution.workorder", "execution.evidence")
# The cost ledger: finance posts (a correction is a reversal, itself a posting) and keeps the
# day's exchange rates; every recall role reads.
FINANCE_LEDGER = ("finance.costentry", "finance.exchangerate")
FINANCE_POLICY = ("finance.financepolicy",)
# What automatic postings multiply: cost per unit by disposition path, service providers' rates.
FINANCE_UNIT_COSTS = ("finance.dispositioncost", "finance.providerrate")
# Vendor quotes, refunds and payments: finance requests, approves and pays; others read.
FINANCE_PAYABLES = (
    "finance.quoterequest",
    "finance.quote",
    "finance.refundrequest",
    "finance.refundpayment",
    "finance.apexportbatch",
)
POST = ("view", "add")
# A recall's budget and its alerts: finance sets the budget (the owner is measured against it,
# so does not set it); the roles that read the ledger read the budget, forecast and reports.
FINANCE_BUDGET = ("finance.recallbudget", "finance.budgetline", "finance.budgetalert")
# Regulatory filings: QA/RA generate, sign and submit them; every other staff role reads.
FILINGS = ("filings.filing",)


def _perms(models: tuple[str, ...], actions: tuple[str, ...]) -> set[str]:
    return {
        f"{label.split('.')[0]}.{action}_{label.split('.')[1]}"
        for label in models
        for action in actions
    }


VIEW = ("view",)
EDIT = ("view", "add", "change")
ALL = ("view", "add", "change", "delete")

# role -> set of "app_label.codename"
# The company's identifiers the documents print (Administration → Company): QA/RA and administrators.
COMPANY = ("accounts.companyidentity",)

ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.QA_RA_MANAGER: _perms(MASTER_DATA, EDIT)
    | _perms(COMPANY, ("view", "change"))
    | _perms(INTELLIGENCE, EDIT)
    | _perms(EVENTS, VIEW)
    | _perms(RECALLS, ALL)
    | _perms(NOTICES, EDIT)
    | {"notices.approve_noticetemplate", "notices.approve_offer"}
    | _perms(EXECUTION, ALL)
    | _perms(EXECUTION_SETUP, ALL)
    | _perms(FINANCE_LEDGER, VIEW)
    | _perms(FINANCE_BUDGET, VIEW)
    | _perms(QUALITY, ALL)
    | {"quality.triage_complaint", "quality.review_signal"}
    # QA/RA owns the early-warning thresholds it acts on (API, command); no new row, no delete.
    | _perms(("quality.signalpolicy",), ("view", "change"))
    | _perms(EFFECTIVENESS, ALL)
    | _perms(FINANCE_UNIT_COSTS, VIEW)
    | _perms(FINANCE_PAYABLES, VIEW)
    | _perms(FILINGS, EDIT),
    Role.TRACEABILITY_ANALYST: _perms(MASTER_DATA, ALL)
    | _perms(INTELLIGENCE, VIEW)
    | _perms(EVENTS, EDIT)
    | _perms(RECALLS, VIEW)
    | _perms(("recalls.scoperule", "recalls.scopesnapshot"), EDIT)
    | _perms(QUALITY, VIEW)
    | _perms(FILINGS, VIEW),
    Role.CUSTOMER_SERVICE: _perms(MASTER_DATA, VIEW)
    | _perms(INTELLIGENCE, VIEW)
    | _perms(("parties.party", "parties.contact"), EDIT)
    | _perms(RECALLS, VIEW)
    | _perms(NOTICES, VIEW)
    | _perms(NOTICE_WORK, EDIT)
    | _perms(EFFECTIVENESS, VIEW)
    | _perms(("effectiveness.checkrecord",), EDIT)
    | _perms(EXECUTION, VIEW)
    # Customer service enters complaints (from e-mails, calls, imports) and reads the rest.
    | _perms(QUALITY, VIEW)
    | _perms(("quality.complaint",), EDIT)
    | _perms(("finance.refundrequest",), VIEW)
    | {"finance.request_refund_from_reply"}
    | _perms(FILINGS, VIEW),
    Role.WAREHOUSE: _perms(MASTER_DATA, VIEW)
    | _perms(INTELLIGENCE, VIEW)
    | _perms(EVENTS, VIEW)
    | _perms(RECALLS, VIEW)
    | _perms(EXECUTION, VIEW)
    | _perms(RECEIVING, EDIT)
    | _perms(("execution.returnauthorisation",), ("change",))
    | _perms(QUALITY, VIEW)
    | _perms(FILINGS, VIEW),
    Role.FIELD_SERVICE: _perms(MASTER_DATA, VIEW)
    | _perms(INTELLIGENCE, VIEW)
    | _perms(RECALLS, VIEW)
    | _perms(FIELD_WORK, EDIT)
    | _perms(QUALITY, VIEW)
    | _perms(FILINGS, VIEW),
    Role.FINANCE: _perms(MASTER_DATA, VIEW)
    | _perms(INTELLIGENCE, VIEW)
    | _perms(RECALLS, VIEW)
    | _perms(("notices.offer",), VIEW)
    | {"notices.approve_offer"}
    | _perms(FINANCE_LEDGER, POST)
    | _perms(("finance.exchangerate",), EDIT)
    | _perms(FINANCE_POLICY, VIEW)
    | _perms(FINANCE_BUDGET, EDIT)
    | _perms(QUALITY, VIEW)
    | _perms(FINANCE_UNIT_COSTS, ALL)
    | _perms(FINANCE_PAYABLES, EDIT)
    | {
        "finance.approve_refundrequest",
        "finance.request_refund_from_reply",
        "finance.export_refundpayment",
    }
    | _perms(FILINGS, VIEW),
    Role.VIEWER: _perms(MASTER_DATA, VIEW)
    | _perms(INTELLIGENCE, VIEW)
    | _perms(EVENTS, VIEW)
    | _perms(RECALLS, VIEW)
    | _perms(NOTICES, VIEW)
    | _perms(EXECUTION, VIEW)
    | _perms(EFFECTIVENESS, VIEW)
    | _perms(FINANCE_LEDGER, VIEW)
    | _perms(FINANCE_BUDGET, VIEW)
    | _perms(QUALITY, VIEW)
    | _perms(FINANCE_UNIT_COSTS, VIEW)
    | _perms(FINANCE_PAYABLES, VIEW)
    | _perms(FILINGS, VIEW),
    Role.ADMINISTRATOR: _perms(MASTER_DATA, ALL)
    | _perms(COMPANY, ("view", "change"))
    | _perms(INTELLIGENCE, EDIT)
    | _perms(EVENTS, ALL)
    | _perms(RECALLS, ALL)
    | _perms(NOTICES, ALL)
    | _perms(EXECUTION_SETUP, ALL)
    | _perms(("accounts.user",), ALL)
    | _perms(CALENDAR, ALL)
    # Data the product does not maintain runs out: an administrator fills a missing day's rate.
    | _perms(("finance.exchangerate",), EDIT)
    | _perms(FINANCE_POLICY, EDIT)
    # The early-warning thresholds (quality/signals.py), kept in the admin.
    | _perms(("quality.signalpolicy",), EDIT)
    | _perms(FINANCE_UNIT_COSTS, ALL)
    | _perms(FINANCE_LEDGER, VIEW)
    | _perms(FILINGS, VIEW)
    # Log-in lock-outs: see who is locked, unlock (accounts/lockout.py, audited).
    | {"axes.view_accessattempt", "axes.delete_accessattempt"},
    # Portal users see records of their own party only; querysets enforce the scope.
    Role.PORTAL: _perms(
        (
            "parties.party",
            "parties.contact",
            "parties.location",
            "catalog.devicemodel",
            "traceability.traceevent",
            "traceability.position",
            "notices.notice",
        ),
        VIEW,
    )
    # Service partners' technicians record their work orders (selectors scope them to their party).
    | _perms(FIELD_WORK, EDIT)
    # Holders report problems: their own party's complaints only (selectors scope them).
    | _perms(("quality.complaint",), ("view", "add")),
}


def roles_sync(*, using: str = "default") -> None:
    """Create or update every role group with exactly its permissions."""
    wanted = set().union(*ROLE_PERMISSIONS.values())
    query = Q()
    for perm in wanted:
        app_label, codename = perm.split(".")
        query |= Q(content_type__app_label=app_label, codename=codename)
    available = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.using(using).filter(query).select_related("content_type")
    }
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set([available[p] for p in perms if p in available])
