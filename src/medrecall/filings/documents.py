"""The documents a recall may owe, as data: each document type declares its regime, its
legal basis, the deadline of the compliance clock it fulfils, how its values are generated,
the sections the user writes, and what its check requires. ``DOCUMENT_TYPES`` is the registry
(``core.registry.Registry``); ``problems`` says exactly what is missing, each item named."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from medrecall.accounts.company import company_identity
from medrecall.core.registry import Registry
from medrecall.recalls.models import RecallCase

from . import content, eu


@dataclass(frozen=True)
class Section:
    """A part of a document the data cannot fill: the user writes it (one form per section)."""

    key: str
    label: Promise
    required: bool = True


@dataclass(frozen=True)
class DocumentType:
    code: str
    regime: str
    title_zh: str  # the document's name as the regulator writes it
    label: Promise  # its name in the reader's language
    article: Promise  # legal basis
    generate: Callable[[RecallCase], dict[str, Any]]
    deadline: str = ""  # the clock's deadline key it fulfils
    recurring: bool = False  # one report per period (each its own sequence)
    sections: tuple[Section, ...] = ()
    with_places: bool = False  # addressed also to the MPAs of the provinces affected
    levels: tuple[str, ...] = ()  # only for these NMPA levels (empty: every level)
    checks: tuple[Callable[[dict[str, Any]], list[str]], ...] = field(default=())
    signature_meaning: str = "authored"  # what the signer declares (accounts.SignatureMeaning)
    # The authorities a new filing is addressed to (default: the NMPA provincial MPAs).
    addressed_to: Callable[[RecallCase], list[dict[str, str]]] | None = None


DOCUMENT_TYPES: Registry[DocumentType] = Registry("document type")


# --- what each document's check asks of the generated values -------------------------------


def _products(values: dict[str, Any]) -> list[str]:
    found = []
    if not values.get("products"):
        found.append(_("No device model is named on the recall."))
    found += [
        _("Device model %(model)s has no NMPA registration number.") % {"model": p["model_code"]}
        for p in values.get("products", [])
        if not p["registration_no"]
    ]
    return found


def _reason(values: dict[str, Any]) -> list[str]:
    return [] if values["reason"]["zh"] else [_("The reason for the recall (Chinese) is empty.")]


def _level(values: dict[str, Any]) -> list[str]:
    return [] if values.get("level") else [_("The recall has no NMPA level (I, II or III).")]


def _identification(values: dict[str, Any]) -> list[str]:
    if values.get("snapshot") is None:
        return [_("The scope is not frozen: no lots, serials or UDIs to identify the devices.")]
    if not values.get("identification"):
        return [_("The frozen scope identifies no lot, serial or UDI.")]
    return []


def _quantity_produced(values: dict[str, Any]) -> list[str]:
    return [
        _("Lot %(lot)s of %(model)s has no quantity produced.")
        % {"lot": lot["lot"], "model": lot["model_code"]}
        for lot in values.get("lots", [])
        if lot["quantity_produced"] is None
    ]


def _assessment(values: dict[str, Any]) -> list[str]:
    return (
        []
        if values.get("assessment")
        else [_("The health hazard evaluation (the assessment result) is not recorded.")]
    )


def _progress(values: dict[str, Any]) -> list[str]:
    return (
        []
        if values.get("progress", {}).get("snapshot") is not None
        else [_("The scope is not frozen: there are no figures to report.")]
    )


def _completed(values: dict[str, Any]) -> list[str]:
    return (
        []
        if values.get("completed_at")
        else [
            _(
                "The recall's completion is not recorded yet: the summary reports on a completed recall."
            )
        ]
    )


# --- how each document's values are generated ----------------------------------------------


def _with_scope(recall: RecallCase) -> dict[str, Any]:
    return content.header(recall) | content.scope_values(recall)


def _with_assessment(recall: RecallCase) -> dict[str, Any]:
    return _with_scope(recall) | {"assessment": content.assessment(recall)}


def _with_progress(recall: RecallCase) -> dict[str, Any]:
    return content.header(recall) | {"progress": content.progress_values(recall)}


def _header_only(recall: RecallCase) -> dict[str, Any]:
    return content.header(recall)


DOCUMENT_TYPES.register(
    "nmpa.event_report",
    DocumentType(
        code="nmpa.event_report",
        regime="nmpa",
        title_zh="医疗器械召回事件报告表",
        label=gettext_lazy("Recall event report"),
        article=gettext_lazy("NMPA Order No. 29, Art. 16(1): immediately on deciding to recall"),
        generate=_with_scope,
        deadline="nmpa.event_report",
        with_places=True,
        sections=(
            Section("responsible", gettext_lazy("Responsible unit in China, person and contact")),
            Section("contact", gettext_lazy("Recall contact person and contact (mobile phone)")),
            Section("intended_use", gettext_lazy("Scope of use of the product")),
            Section(
                "corrective_action", gettext_lazy("Brief description of the corrective action")
            ),
        ),
        checks=(_products, _reason, _level, _identification, _quantity_produced),
    ),
)
DOCUMENT_TYPES.register(
    "nmpa.assessment_report",
    DocumentType(
        code="nmpa.assessment_report",
        regime="nmpa",
        title_zh="调查评估报告",
        label=gettext_lazy("Investigation and assessment report"),
        article=gettext_lazy(
            "NMPA Order No. 29, Art. 16: within 5 working days of the decision; content: the "
            "device (name, lots), the reason, the assessment result, the level"
        ),
        generate=_with_assessment,
        deadline="nmpa.assessment_report",
        with_places=True,
        sections=(
            Section("investigation", gettext_lazy("Investigation carried out"), required=False),
        ),
        checks=(_products, _reason, _level, _identification, _assessment),
    ),
)
DOCUMENT_TYPES.register(
    "nmpa.recall_plan",
    DocumentType(
        code="nmpa.recall_plan",
        regime="nmpa",
        title_zh="召回计划",
        label=gettext_lazy("Recall plan"),
        article=gettext_lazy(
            "NMPA Order No. 29, Art. 16: within 5 working days of the decision, with its five "
            "sections; a changed plan is filed again (Art. 19)"
        ),
        generate=_with_scope,
        deadline="nmpa.recall_plan",
        with_places=True,
        sections=(
            Section(
                "measures",
                gettext_lazy("2. The recall measures: organisation, scope and time limits"),
            ),
            Section("publication", gettext_lazy("3. How and where the recall is published")),
            Section("expected_effect", gettext_lazy("4. The expected effect of the recall")),
            Section("after_recall", gettext_lazy("5. Handling of the devices after the recall")),
        ),
        checks=(_products, _reason, _level, _identification, _quantity_produced),
    ),
)
DOCUMENT_TYPES.register(
    "nmpa.progress_report",
    DocumentType(
        code="nmpa.progress_report",
        regime="nmpa",
        title_zh="召回计划实施情况报告",
        label=gettext_lazy("Recall plan implementation (progress) report"),
        article=gettext_lazy("NMPA Order No. 29, Art. 20: periodically, as the recall plan says"),
        generate=_with_progress,
        deadline="nmpa.progress_report",
        recurring=True,
        sections=(
            Section("notification_method", gettext_lazy("How holders were notified")),
            Section("effectiveness", gettext_lazy("Effectiveness checks")),
            Section("handling", gettext_lazy("Handling of the recalled devices")),
            Section("estimated_completion", gettext_lazy("Time estimated to complete the recall")),
        ),
        checks=(_products, _level, _progress),
    ),
)
DOCUMENT_TYPES.register(
    "nmpa.summary_report",
    DocumentType(
        code="nmpa.summary_report",
        regime="nmpa",
        title_zh="召回总结评估报告",
        label=gettext_lazy("Recall summary evaluation report"),
        article=gettext_lazy(
            "NMPA Order No. 29, Art. 22: within 10 working days after the recall is completed"
        ),
        generate=_with_progress,
        deadline="nmpa.summary_report",
        sections=(
            Section("plan_followed", gettext_lazy("Was the recall plan carried out as filed?")),
            Section("notification", gettext_lazy("Were all means of reaching the holders used?")),
            Section("effect", gettext_lazy("Is the defect removed or the risk controlled?")),
        ),
        checks=(_products, _level, _progress, _completed),
    ),
)
DOCUMENT_TYPES.register(
    "nmpa.publication",
    DocumentType(
        code="nmpa.publication",
        regime="nmpa",
        title_zh="召回信息发布记录",
        label=gettext_lazy("Record of the recall's publication"),
        article=gettext_lazy(
            "NMPA Order No. 29, Art. 14: level I on the NMPA website and in central media, "
            "levels II and III on the provincial MPA's website"
        ),
        generate=_header_only,
        levels=("I", "II", "III"),
        sections=(
            Section("channel", gettext_lazy("Where it was published")),
            Section("url", gettext_lazy("Address (URL) of the publication")),
            Section("published_on", gettext_lazy("Date of publication")),
        ),
        checks=(_products, _level),
    ),
)


# --- EU MDR (filings/eu.py) ---------------------------------------------------------------


def _no_authority_yet(recall: RecallCase) -> list[dict[str, str]]:
    """The competent authority is not in the data: the user names it (the check asks)."""
    return []


DOCUMENT_TYPES.register(
    "eu_mdr.fsca_report",
    DocumentType(
        code="eu_mdr.fsca_report",
        regime="eu_mdr",
        title_zh="现场安全纠正措施（FSCA）报告",
        label=gettext_lazy("Field safety corrective action (FSCA) report"),
        article=gettext_lazy(
            "MDR (EU) 2017/745 Art. 87(1)(b) and 89(8): to the competent authority before the "
            "FSCA is undertaken (MEDDEV 2.12/1 FSCA report form)"
        ),
        generate=eu.fsca_report,
        deadline="eu_mdr.fsca_report",
        addressed_to=_no_authority_yet,
        sections=(
            Section("justification", gettext_lazy("Justification and analysis of the FSCA")),
            Section("advice", gettext_lazy("Advice on actions to distributors and users")),
            Section("time_schedule", gettext_lazy("Time schedule of the FSCA")),
            Section(
                "authorised_rep",
                gettext_lazy("Authorised representative and national contact point"),
                required=False,
            ),
        ),
        checks=(_identification, _reason, eu.check_reason_en, eu.check_srn, eu.check_countries),
    ),
)
DOCUMENT_TYPES.register(
    "eu_mdr.draft_fsn",
    DocumentType(
        code="eu_mdr.draft_fsn",
        regime="eu_mdr",
        title_zh="现场安全通知（FSN）草稿送主管当局",
        label=gettext_lazy("Draft field safety notice sent to the competent authority"),
        article=gettext_lazy(
            "MDR (EU) 2017/745 Art. 89(8): the draft FSN goes to the competent authority for "
            "comment before it is sent to users, except in urgency"
        ),
        generate=eu.fsca_report,
        addressed_to=_no_authority_yet,
        sections=(
            Section(
                "authority_comments",
                gettext_lazy("The authority's comments and how they were taken up"),
                required=False,
            ),
        ),
        checks=(_identification, eu.check_srn),
    ),
)
DOCUMENT_TYPES.register(
    "eu_mdr.fsca_final",
    DocumentType(
        code="eu_mdr.fsca_final",
        regime="eu_mdr",
        title_zh="现场安全纠正措施（FSCA）最终报告",
        label=gettext_lazy("Final FSCA report with reconciliation per country"),
        article=gettext_lazy(
            "MDR (EU) 2017/745 Art. 89: final report to the competent authority; reconciliation "
            "data are mandatory in the final FSCA report (MEDDEV 2.12/1 form)"
        ),
        generate=eu.fsca_final,
        addressed_to=_no_authority_yet,
        sections=(
            Section("findings", gettext_lazy("Findings of the investigation and conclusion")),
            Section("effectiveness", gettext_lazy("Effectiveness of the FSCA")),
        ),
        checks=(_identification, eu.check_srn, eu.check_countries, eu.check_reconciled),
    ),
)


def types_for(recall: RecallCase) -> list[DocumentType]:
    """The document types the recall's regimes call for, in the registry's order."""
    regimes = {r.regime for r in recall.regimes.all()}
    return [kind for kind in DOCUMENT_TYPES if kind.regime in regimes]


def required(kind: DocumentType, level: str) -> bool:
    """Whether the document is owed at this level (the publication record: levels I and II;
    III only where the recall was published)."""
    if kind.code == "nmpa.publication":
        return level in ("I", "II")
    # The 806.20 record is kept instead of the 806 report, for an action not required to be
    # reported: it is never owed on its own.
    return kind.code != "fda.record_806_20"


def _empty_in(text: dict[str, Any]) -> list[str]:
    """The languages (by name) a bilingual text is empty in."""
    return [
        str(name)
        for language, name in (("zh", _("Chinese")), ("en", _("English")))
        if not str(text.get(language, "")).strip()
    ]


def change_note_problems(note: dict[str, str]) -> list[str]:
    """A later version prints what changed in each document: the Chinese note in the Chinese
    files, the English note in the English ones; each language's note is required."""
    empty = _empty_in(note)
    if len(empty) == 2:
        return [_("The change note (what changed in this version) is empty.")]
    if empty:
        return [
            _("The change note (what changed in this version) is empty in %(language)s.")
            % {"language": empty[0]}
        ]
    return []


def problems(
    kind: DocumentType,
    values: dict[str, Any],
    entered: dict[str, Any],
    addressees: list[dict[str, str]],
    change_note: dict[str, str] | None = None,
) -> list[str]:
    """Everything the document still lacks, each item named in the reader's language. A
    filing is produced in Chinese and in English (its PDF and Word files in each): every
    required section is checked in both, so no file prints the other language's text; so is
    the change note of a later version (``change_note``: None for a first version)."""
    found = [message for check in kind.checks for message in check(values)]
    if change_note is not None:
        found += change_note_problems(change_note)
    for section in kind.sections:
        if not section.required:
            continue
        empty = _empty_in(entered.get(section.key) or {})
        if len(empty) == 2:
            found.append(_("Section “%(section)s” is empty.") % {"section": section.label})
        elif empty:
            found.append(
                _("Section “%(section)s” is empty in %(language)s.")
                % {"section": section.label, "language": empty[0]}
            )
    if not addressees:
        found.append(_("The filing is addressed to no authority."))
    return found


# --- FDA: 21 CFR 806 (corrections and removals), 7.53 (status reports), 7.55 (termination) ---


FDA_CDRH = {
    "zh": "美国食品药品监督管理局器械与放射健康中心（FDA CDRH）",
    "en": "U.S. Food and Drug Administration, Center for Devices and Radiological Health (CDRH)",
}
FDA_RECORDS = {
    "zh": "企业质量记录（供 FDA 检查时查阅）",
    "en": "The firm's quality records (available to FDA on inspection)",
}


def _to_fda_cdrh(recall: RecallCase) -> list[dict[str, str]]:
    """FDA's reports go to CDRH (the district's recall coordinator), not to a provincial MPA."""
    return [dict(FDA_CDRH)]


def _to_fda_records(recall: RecallCase) -> list[dict[str, str]]:
    """An 806.20 record stays in the company's files: no authority receives it."""
    return [dict(FDA_RECORDS)]


def _fda_registration(values: dict[str, Any]) -> list[str]:
    """The registration number the document was generated with; when the company's identity
    has one since, the document only needs generating again (its values are frozen)."""
    if values.get("registration"):
        return []
    if str(company_identity().get("fda_registration", "")).strip():
        return [
            _(
                "The firm's FDA establishment registration number was not set when this "
                "version was generated: it is set now — generate the document again."
            )
        ]
    return [
        _(
            "The firm's FDA establishment registration number is not set: the report number "
            "needs it. Set it under Administration → Company."
        )
    ]


def _fda_products(values: dict[str, Any]) -> list[str]:
    return [] if values.get("products") else [_("No device model is named on the recall.")]


def _fda_identification(values: dict[str, Any]) -> list[str]:
    found = _identification(values)
    found += [
        _("Lot %(lot)s of %(model)s has no expiry date (or expected life).")
        % {"lot": row["lot"], "model": row["model_code"]}
        for row in values.get("identification", [])
        if not row["expires_on"]
    ]
    return found


def _fda_event(values: dict[str, Any]) -> list[str]:
    found = []
    if not values["reason"]["en"]:
        found.append(_("The reason for the recall (English) is empty: FDA reads English."))
    if values.get("injuries_reported") is None:
        found.append(
            _(
                "The health hazard evaluation is not recorded: the illnesses and injuries are unknown."
            )
        )
    return found


def _fda_consignees(values: dict[str, Any]) -> list[str]:
    rows = values.get("consignees", [])
    if not rows:
        return [
            _(
                "No consignee of the frozen scope is in the United States (the FDA regime): "
                "the report lists the US consignees, so there is none to list."
            )
        ]
    found = []
    for row in rows:
        if not row["address"]:
            found.append(_("Consignee %(code)s has no address.") % {"code": row["code"]})
        if not row["phone"]:
            found.append(
                _("Consignee %(code)s has no phone number (no contact with a phone).")
                % {"code": row["code"]}
            )
        if not row["shipments"]:
            found.append(
                _(
                    "No shipment to consignee %(code)s is in the trace: dates and quantities unknown."
                )
                % {"code": row["code"]}
            )
    return found


def _status_reconciles(values: dict[str, Any]) -> list[str]:
    """The 7.53(b) counts must add up with each other, the frozen scope and execution."""
    if values.get("snapshot") is None:
        return [_("The scope is not frozen: there are no figures to report.")]
    counts, execution, rows = values["counts"], values["execution"], values["consignees"]
    found = []
    if counts["notified"] + counts["not_notified"] != counts["consignees"]:
        found.append(
            _(
                "Consignees notified (%(notified)s) and not notified (%(not_notified)s) do not add "
                "up to the %(consignees)s consignees of the frozen scope."
            )
            % counts
        )
    if counts["responding"] + counts["not_responding"] != counts["notified"]:
        found.append(
            _(
                "Consignees responding (%(responding)s) and not responding (%(not_responding)s) do "
                "not add up to the %(notified)s notified."
            )
            % counts
        )
    if len(rows) != counts["consignees"] or sum(r["units"] for r in rows) != counts["units"]:
        found.append(_("The consignee list does not add up to the totals of the report."))
    for key, label in (
        ("returned", _("returned")),
        ("corrected", _("corrected")),
    ):
        by_consignee = sum(r[key] for r in rows)
        if by_consignee + execution[f"{key}_elsewhere"] != execution[f"{key}_all"]:
            found.append(
                _(
                    "Units %(what)s do not reconcile with execution: %(consignees)s by the "
                    "consignees listed and %(elsewhere)s elsewhere, but %(all)s on the recall."
                )
                % {
                    "what": label,
                    "consignees": by_consignee,
                    "elsewhere": execution[f"{key}_elsewhere"],
                    "all": execution[f"{key}_all"],
                }
            )
    found += [
        _(
            "Consignee %(code)s: %(accounted)s units returned or corrected, but %(units)s in the "
            "frozen scope."
        )
        % {"code": r["code"], "accounted": r["returned"] + r["corrected"], "units": r["units"]}
        for r in rows
        if r["returned"] + r["corrected"] > r["units"]
    ]
    checks = values.get("effectiveness")
    if checks and checks["passed"] + checks["failed"] != checks["checked"]:
        found.append(
            _(
                "Effectiveness checks passed (%(passed)s) and failed (%(failed)s) do not add up "
                "to the %(checked)s checked."
            )
            % checks
        )
    return found


def _termination_ready(values: dict[str, Any]) -> list[str]:
    """7.55: all reasonable efforts made, the units removed or corrected and disposed of."""
    found = []
    completion = values["completion"]
    if not completion["complete"]:
        found.append(
            _(
                "Not every unit of the frozen scope is accounted: %(outstanding)s still at "
                "holders, %(quarantine)s in quarantine, %(transit)s in transit, %(own)s in our "
                "stock, %(unexplained)s unexplained."
            )
            % {
                "outstanding": completion["outstanding_at_holders"],
                "quarantine": completion["in_quarantine"],
                "transit": completion["in_transit"],
                "own": completion["own_stock"],
                "unexplained": completion["unexplained"],
            }
        )
    checks = values["status"].get("effectiveness")
    if checks is None:
        found.append(_("No effectiveness-check level is set for the FDA regime."))
    elif not checks["criteria_met"]:
        found.append(
            _(
                "The FDA effectiveness checks are not done: %(pending)s sampled consignees not "
                "checked, %(failed)s failed."
            )
            % checks
        )
    if values.get("latest_status_report") is None:
        found.append(
            _("No recall status report is submitted: the request attaches the latest one.")
        )
    return found


def _with_806(recall: RecallCase) -> dict[str, Any]:
    return content.header(recall) | content.fda_806_values(recall)


def _with_806_20(recall: RecallCase) -> dict[str, Any]:
    return content.header(recall) | content.fda_806_20_values(recall)


def _with_fda_status(recall: RecallCase) -> dict[str, Any]:
    return content.header(recall) | content.fda_status_values(recall)


def _with_termination(recall: RecallCase) -> dict[str, Any]:
    return content.header(recall) | content.fda_termination_values(recall)


DOCUMENT_TYPES.register(
    "fda.report_806",
    DocumentType(
        code="fda.report_806",
        regime="fda",
        title_zh="医疗器械纠正和移除报告（21 CFR 806）",
        label=gettext_lazy("Report of correction or removal (21 CFR 806)"),
        article=gettext_lazy(
            "21 CFR 806.10: within 10 working days of initiating the correction or removal; "
            "content 806.10(c)(1)-(13); more lots later: an amendment"
        ),
        addressed_to=_to_fda_cdrh,
        generate=_with_806,
        deadline="fda.report_806",
        sections=(
            Section(
                "responsible",
                gettext_lazy(
                    "Person responsible for the correction or removal: name, title, address, phone"
                ),
            ),
            Section(
                "device_names",
                gettext_lazy("Brand, common and classification name, product code"),
            ),
            Section("intended_use", gettext_lazy("Intended use of the device")),
            Section(
                "marketing_status",
                gettext_lazy("Marketing status (510(k), PMA, preamendment) and listing number"),
            ),
            Section(
                "manufacturer",
                gettext_lazy("Manufacturer, if not the reporting firm"),
                required=False,
            ),
            Section(
                "actions",
                gettext_lazy("The event and the corrective or removal actions taken and planned"),
            ),
            Section(
                "mdr_reports",
                gettext_lazy("Illnesses or injuries and the MDR report numbers (or: none)"),
            ),
            Section(
                "communications",
                gettext_lazy("Copies of all communications and any further recipients"),
            ),
            Section(
                "not_available",
                gettext_lazy("Information not yet available: why, and when it will follow"),
                required=False,
            ),
        ),
        checks=(
            _fda_registration,
            _fda_products,
            _fda_event,
            _fda_identification,
            _quantity_produced,
            _fda_consignees,
        ),
    ),
)
DOCUMENT_TYPES.register(
    "fda.record_806_20",
    DocumentType(
        code="fda.record_806_20",
        regime="fda",
        title_zh="未报告的纠正或移除记录（21 CFR 806.20）",
        label=gettext_lazy("Record of a correction or removal not reported (21 CFR 806.20)"),
        article=gettext_lazy(
            "21 CFR 806.20: a record of a correction or removal not required to be reported, "
            "with the justification reviewed by a designated person; kept 2 years beyond the "
            "device's expected life"
        ),
        addressed_to=_to_fda_records,
        generate=_with_806_20,
        deadline="fda.report_806",
        signature_meaning="reviewed",
        sections=(
            Section(
                "justification",
                gettext_lazy("Why the correction or removal is not reported (the justification)"),
            ),
            Section("actions", gettext_lazy("The event and the action taken")),
            Section(
                "communications",
                gettext_lazy("Copies of the communications"),
                required=False,
            ),
        ),
        checks=(_fda_products, _identification),
    ),
)
DOCUMENT_TYPES.register(
    "fda.status_report",
    DocumentType(
        code="fda.status_report",
        regime="fda",
        title_zh="召回状态报告（21 CFR 7.53）",
        label=gettext_lazy("Recall status report (21 CFR 7.53)"),
        article=gettext_lazy("21 CFR 7.53: at the interval FDA sets; the six counts of 7.53(b)"),
        addressed_to=_to_fda_cdrh,
        generate=_with_fda_status,
        deadline="fda.status_report",
        recurring=True,
        sections=(
            Section(
                "estimated_completion",
                gettext_lazy("7.53(b)(6) Estimated time frame for completing the recall"),
            ),
            Section("remarks", gettext_lazy("Remarks"), required=False),
        ),
        checks=(_fda_products, _status_reconciles),
    ),
)
DOCUMENT_TYPES.register(
    "fda.termination_request",
    DocumentType(
        code="fda.termination_request",
        regime="fda",
        title_zh="召回终止申请（21 CFR 7.55）",
        label=gettext_lazy("Request to terminate the recall (21 CFR 7.55)"),
        article=gettext_lazy(
            "21 CFR 7.55: a written request once the recall is effective, with the latest status "
            "report and how the recalled product was disposed of"
        ),
        addressed_to=_to_fda_cdrh,
        generate=_with_termination,
        sections=(
            Section(
                "disposition",
                gettext_lazy("Description of the disposition of the recalled product"),
            ),
            Section("request", gettext_lazy("The request (why the recall can be terminated)")),
        ),
        checks=(_fda_products, _termination_ready),
    ),
)


def document_for_deadline(key: str) -> str:
    """The code of the document whose submission meets the clock's deadline ``key`` (the first
    registered, e.g. the 806 report rather than the 806.20 record), "" if none does."""
    return next((d.code for d in DOCUMENT_TYPES if d.deadline and d.deadline == key), "")
