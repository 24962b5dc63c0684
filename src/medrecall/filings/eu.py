"""EU MDR documents (Regulation (EU) 2017/745, Art. 87 and 89; the MEDDEV 2.12/1 FSCA report
form used until EUDAMED vigilance is live): the FSCA report to the competent authority, the
draft FSN sent to the authority for comment, and the final FSCA report with the reconciliation
per country. Values come from the recall's own data like the NMPA documents'; the sections
are what only the manufacturer can write. ``fsca_record`` tells ``notices`` (the FSN gate and
the FSN's "the competent authority was informed" sentence) what was submitted, through
``notices.fsn.FSCA_RECORDS``."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.company import company_identity
from medrecall.execution.lifecycle import UnitResult
from medrecall.execution.models import Receipt, WorkOrderUnit
from medrecall.notices.fsn import FscaRecord
from medrecall.notices.models import ReplyLine
from medrecall.notices.recipients import EU_COUNTRIES
from medrecall.recalls.models import RecallCase
from medrecall.reporting.progress import current_scope, scope_holders

from . import content

FSCA_REPORT = "eu_mdr.fsca_report"
DRAFT_FSN = "eu_mdr.draft_fsn"
FSCA_FINAL = "eu_mdr.fsca_final"
FIGURES = ("in_scope", "notified", "returned", "corrected", "used_or_destroyed")


def _country_name(code: str) -> str:
    import pycountry

    found = pycountry.countries.get(alpha_2=code)
    return str(found.name) if found is not None else code


def eu_values(recall: RecallCase) -> dict[str, Any]:
    """What every EU document carries beyond the common header: the SRN, the incident data,
    the EEA countries with units in the frozen scope."""
    scope = content.scope_values(recall)
    return {
        "srn": str(company_identity().get("srn", "")).strip(),
        "aware_at": recall.aware_at.isoformat() if recall.aware_at else "",
        "eu_incident": recall.eu_incident,
        "eu_countries": [c for c in scope["distribution"]["countries"] if c in EU_COUNTRIES],
    }


def fsca_report(recall: RecallCase) -> dict[str, Any]:
    return content.header(recall) | content.scope_values(recall) | {"eu": eu_values(recall)}


def fsca_final(recall: RecallCase) -> dict[str, Any]:
    return fsca_report(recall) | {"reconciliation": reconciliation(recall)}


def reconciliation(recall: RecallCase) -> list[dict[str, Any]]:
    """Per EEA country (the holder's country): units in the frozen scope at holders, units at
    holders notified (the cockpit's ``scope_holders``), returned (receipts), corrected on site
    (work-order units corrected), used or destroyed as the holders replied; accounted = the
    last three. One statement per figure, whatever the number of holders."""
    snapshot = current_scope(recall)
    if snapshot is None:
        return []
    rows: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for row in (
        scope_holders(recall, snapshot)
        .order_by()
        .values("country")
        .annotate(units_in=Sum("units"), units_notified=Sum("units", filter=Q(notified=True)))
    ):
        rows[row["country"]]["in_scope"] += int(row["units_in"] or 0)
        rows[row["country"]]["notified"] += int(row["units_notified"] or 0)
    figures = (
        ("returned", Receipt.objects.filter(recall=recall), "ra__party__country", "quantity"),
        (
            "corrected",
            WorkOrderUnit.objects.filter(work_order__recall=recall, result=UnitResult.CORRECTED),
            "work_order__party__country",
            "quantity",
        ),
        (
            "used_or_destroyed",
            ReplyLine.objects.filter(reply__recall=recall),
            "reply__party__country",
            F("used") + F("destroyed"),
        ),
    )
    for key, rows_of, country, quantity in figures:
        for country_code, total in (
            rows_of.order_by().values_list(country).annotate(total=Sum(quantity))
        ):
            rows[country_code][key] += int(total or 0)
    return [
        {
            "country": code,
            **rows[code],
            "accounted": rows[code]["returned"]
            + rows[code]["corrected"]
            + rows[code]["used_or_destroyed"],
        }
        for code in sorted(rows)
        if code in EU_COUNTRIES
    ]


# --- checks --------------------------------------------------------------------------------


def check_srn(values: dict[str, Any]) -> list[str]:
    """The SRN the document was generated with; when the setting has one since, the document
    only needs generating again (its values are frozen at generation)."""
    if values.get("eu", {}).get("srn"):
        return []
    if str(company_identity().get("srn", "")).strip():
        return [
            _(
                "The manufacturer's single registration number (SRN) is set now, but this "
                "document was generated before: generate the document again to take the SRN in."
            )
        ]
    return [
        _(
            "The manufacturer's single registration number (SRN) is not set: set it under "
            "Administration → Company."
        )
    ]


def check_countries(values: dict[str, Any]) -> list[str]:
    if values.get("snapshot") is None or values.get("eu", {}).get("eu_countries"):
        return []
    return [_("No unit of the frozen scope is in an EEA country: name the countries affected.")]


def check_reason_en(values: dict[str, Any]) -> list[str]:
    return [] if values["reason"]["en"] else [_("The reason for the recall (English) is empty.")]


def check_reconciled(values: dict[str, Any]) -> list[str]:
    """The final report reconciles per country: every holder notified, every unit accounted."""
    found = []
    for row in values.get("reconciliation", []):
        name = f"{_country_name(row['country'])} ({row['country']})"
        if row["notified"] != row["in_scope"]:
            found.append(
                _(
                    "%(country)s: %(notified)s of %(units)s units in scope are at holders that "
                    "were notified."
                )
                % {"country": name, "notified": row["notified"], "units": row["in_scope"]}
            )
        if row["accounted"] != row["in_scope"]:
            found.append(
                _(
                    "%(country)s: %(units)s units in scope, %(accounted)s accounted (returned "
                    "%(returned)s, corrected %(corrected)s, used or destroyed %(used)s): the "
                    "figures do not reconcile."
                )
                % {
                    "country": name,
                    "units": row["in_scope"],
                    "accounted": row["accounted"],
                    "returned": row["returned"],
                    "corrected": row["corrected"],
                    "used": row["used_or_destroyed"],
                }
            )
    return found


# --- rendering -----------------------------------------------------------------------------


def _when(value: str) -> str:
    if not value:
        return ""
    return timezone.localtime(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M %Z")


def header(
    values: dict[str, Any], language: str, text: Any, company_line: Any, countries: Any
) -> dict[str, Any]:
    """The FSCA report form's administrative part: manufacturer with SRN, recall, incident;
    the company and the countries as the document's language names them (``rendering``)."""
    from medrecall.recalls.models import ActionType, IncidentCategory

    company, eu = values["company"], values.get("eu", {})
    incident = eu.get("eu_incident") or ""
    rows = [
        [_("Manufacturer's reference (recall no.)"), values["recall_number"]],
        [_("Recall"), text(values["title"], language)],
        [_("Manufacturer"), company_line(company, language)],
        [_("Phone / e-mail"), f"{company['phone']} / {company['email']}"],
        [_("Single registration number (SRN)"), eu.get("srn", "")],
        [_("Decision date"), _when(values["decision_at"])],
        [
            _("Type of action"),
            str(ActionType(values["action_type"]).label) if values["action_type"] else "",
        ],
        [_("Aware of the serious incident at"), _when(eu.get("aware_at", ""))],
        [
            _("Serious-incident category"),
            str(IncidentCategory(incident).label) if incident in IncidentCategory.values else "",
        ],
        [_("Background and reason for the FSCA"), text(values["reason"], language)],
        [_("Affected EEA countries"), countries(eu.get("eu_countries", []), language)],
    ]
    products = {
        "heading": _("Devices"),
        "table": {
            "columns": [_("Model / catalogue no."), _("Name"), _("UDI-DI")],
            "rows": [
                [
                    p["model_code"],
                    (p["name_en"] or p["name"])
                    if language == "en"
                    else (p["name"] or p["name_en"]),
                    p["udi_di"],
                ]
                for p in values["products"]
            ],
        },
    }
    return {"rows": rows, "blocks": [products]}


def reconciliation_block(values: dict[str, Any], country: Any) -> dict[str, Any]:
    """The reconciliation table; ``country`` names a country code in the document's language."""
    return {
        "heading": _("Reconciliation per country"),
        "table": {
            "columns": [
                _("Country"),
                _("Units in scope"),
                _("Notified"),
                _("Returned"),
                _("Corrected"),
                _("Used or destroyed"),
                _("Accounted"),
            ],
            "rows": [
                [
                    country(row["country"]),
                    str(row["in_scope"]),
                    str(row["notified"]),
                    str(row["returned"]),
                    str(row["corrected"]),
                    str(row["used_or_destroyed"]),
                    str(row["accounted"]),
                ]
                for row in values.get("reconciliation", [])
            ],
        },
    }


# --- what notices asks -------------------------------------------------------------------


def fsca_record(recall: RecallCase) -> FscaRecord:
    """The first submitted FSCA report (authority, time, reference) and the draft FSN sent to
    the authority (authority, time), read for the FSN gate and the FSN's closing sentence."""
    from .models import Filing, FilingStatus

    submitted = {
        doc_type: filing
        for filing in Filing.objects.filter(
            recall=recall, doc_type__in=(FSCA_REPORT, DRAFT_FSN), status=FilingStatus.SUBMITTED
        ).order_by("-submitted_at", "-pk")
        for doc_type in (filing.doc_type,)
    }
    report, draft = submitted.get(FSCA_REPORT), submitted.get(DRAFT_FSN)
    return FscaRecord(
        authority=report.authority if report else "",
        submitted_at=report.submitted_at if report else None,
        reference=report.reference if report else "",
        draft_authority=draft.authority if draft else "",
        draft_sent_at=draft.submitted_at if draft else None,
    )
