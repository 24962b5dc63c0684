"""What each audit action code means, in words (the audit trail shows these, never the code).

Codes are ``<app>.<what happened>``; generic edits written by ``audited_save`` are
``<app>.<model>.created|changed|deleted`` and are described with the model's verbose name.
An unknown code (an action added without a label) is shown as it is, so nothing is hidden;
``tests/audit/test_action_labels.py`` fails when a code written by the code base has no label."""

from __future__ import annotations

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

__all__ = ["ACTION_LABELS", "action_label"]

ACTION_LABELS: dict[str, Promise] = {
    "accounts.signature_applied": _("Electronic signature applied"),
    "accounts.signature_refused": _("Electronic signature refused"),
    "accounts.signature_locked": _("Signing locked after failed attempts"),
    "accounts.login_locked": _("Log-in locked after failed attempts"),
    "accounts.login_unlocked": _("Log-in unlocked by an administrator"),
    "accounts.company_identity_changed": _("Company identity changed"),
    "catalog.device_models_imported": _("Device models imported"),
    "catalog.lots_imported": _("Lots imported"),
    "catalog.serials_imported": _("Serial numbers imported"),
    "cli.demo_built": _("Demo data created"),
    "execution.disposition_cancelled": _("Disposition cancelled"),
    "execution.disposition_created": _("Disposition created"),
    "execution.disposition_done": _("Disposition completed"),
    "execution.disposition_started": _("Disposition started"),
    "execution.evidence_added": _("Evidence added"),
    "finance.budget_set": _("Recall budget set"),
    "filings.generated": _("Filing generated from the recall's data"),
    "filings.edited": _("Filing sections or addressees changed"),
    "filings.checked": _("Filing checked: nothing missing"),
    "filings.signed": _("Filing signed"),
    "filings.submitted": _("Filing submitted to the authority"),
    "filings.new_version": _("New version of a filing"),
    "recalls.fda_recorded": _("FDA's classification, event id or Z-numbers recorded"),
    "notices.fsn_override": _("Urgent override of the FSN gate signed"),
    "execution.hold_placed": _("Hold placed"),
    "execution.hold_released": _("Hold released"),
    "execution.return_amended": _("Return amended"),
    "execution.return_authorised": _("Return authorised"),
    "execution.return_received": _("Return received"),
    "execution.return_status": _("Return status changed"),
    "execution.work_order_escalated": _("Work order escalated"),
    "execution.work_order_opened": _("Work order opened"),
    "execution.work_order_result": _("Work order result recorded"),
    "intelligence.fda_enforcement_imported": _("FDA enforcement reports imported"),
    "intelligence.fda_recalls_imported": _("FDA device recalls imported"),
    "notices.contact_logged": _("Contact with a holder logged"),
    "notices.offer_cancelled": _("Offer cancelled"),
    "notices.offer_decided": _("Offer decided"),
    "notices.offer_fulfilled": _("Offer fulfilled"),
    "notices.offer_proposed": _("Offer proposed"),
    "notices.progress_update": _("Progress update sent"),
    "notices.reply_received": _("Holder's reply received"),
    "notices.run_started": _("Notice run started"),
    "notices.template_approved": _("Notice template approved"),
    "notices.template_saved": _("Notice template saved"),
    "parties.contacts_imported": _("Contacts imported"),
    "parties.locations_imported": _("Locations imported"),
    "parties.parties_imported": _("Parties imported"),
    "parties.reported_merged": _("Reported party merged into an existing party"),
    "parties.reported_verified": _("Reported party verified"),
    "quality.capa_action_added": _("CAPA action added"),
    "quality.capa_action_updated": _("CAPA action updated"),
    "quality.capa_closed": _("CAPA closed"),
    "quality.capa_linked": _("Recalls, complaints or lots linked to a CAPA"),
    "quality.capa_opened": _("CAPA opened"),
    "quality.capa_reopened": _("CAPA reopened"),
    "quality.capa_verified": _("CAPA effectiveness verified"),
    "quality.complaint_closed": _("Complaint closed"),
    "quality.complaint_investigated": _("Complaint investigation recorded"),
    "quality.complaint_received": _("Complaint received"),
    "quality.complaint_recall_linked": _("Complaint linked to a recall"),
    "quality.complaints_linked_to_recall": _("Complaints linked to a recall by its scope"),
    "quality.complaint_triaged": _("Complaint triaged for reporting"),
    "quality.complaint_unit_resolved": _("Complaint's device, lot or serial resolved"),
    "quality.complaints_imported": _("Complaints imported"),
    "quality.complaint_updated_by_import": _("Complaint updated by an import"),
    "quality.recall_started": _("Recall started from a complaint"),
    "quality.report_submitted": _("Regulatory report recorded as filed"),
    "quality.root_cause_added": _("Root cause recorded"),
    "quality.signal_dismissed": _("Early-warning signal dismissed"),
    "quality.signal_linked": _("Early-warning signal linked to a CAPA or recall"),
    "quality.signal_policy_changed": _("Early-warning thresholds changed"),
    "quality.signal_reopened": _("Early-warning signal reopened"),
    "quality.signal_reviewed": _("Early-warning signal taken under review"),
    "quality.signals_detected": _("Early-warning detection run"),
    "recalls.classified": _("Recall classified"),
    "recalls.deadline_done": _("Deadline marked as met"),
    "recalls.hazard_evaluated": _("Hazard evaluated"),
    "recalls.recall_changed": _("Recall changed"),
    "recalls.recall_opened": _("Recall opened"),
    "recalls.regime_added": _("Regulatory regime added"),
    "core.calendar_entry_delete": _("Working-day calendar entry deleted"),
    "core.calendar_entry_set": _("Working-day calendar entry saved"),
    "core.calendar_import": _("Working-day calendar imported"),
    "core.calendar_year_entered": _("Working-day calendar year marked entered"),
    "execution.carrier": _("Carrier saved"),
    "execution.carrierrate": _("Carrier rate saved"),
    "execution.demo_seeded": _("Demo carriers and service providers added"),
    "execution.serviceprovider": _("Service provider saved"),
    "execution.serviceprovider.qualified": _("Service provider qualification changed"),
    "execution.shipment_closed_on_return": _("Open shipment closed by a return"),
    "recalls.closure_exception_signed": _("Closure exception signed"),
    "effectiveness.level_set": _("Effectiveness-check level set"),
    "effectiveness.sample_drawn": _("Effectiveness-check sample drawn"),
    "effectiveness.check_recorded": _("Effectiveness check recorded"),
    "effectiveness.check_resolved": _("Failed effectiveness check resolved"),
    "effectiveness.unit_exception_signed": _("Unit exception signed"),
    "effectiveness.closing_signed": _("Closure signed"),
    "effectiveness.completed": _("Recall complete: every unit accounted for"),
    "recalls.scope_frozen": _("Scope frozen"),
    "recalls.scope_rule_added": _("Scope rule added"),
    "recalls.scope_rule_removed": _("Scope rule removed"),
    "recalls.transition": _("Status changed"),
    "traceability.events_imported": _("Trace events imported"),
    "traceability.events_retracted": _("Trace events retracted"),
    # finance: the cost ledger
    "finance.cost_posted": _("Cost posted"),
    "finance.cost_reversed": _("Cost entry reversed"),
    "finance.rate_set": _("Exchange rate saved"),
    "finance.rates_imported": _("Exchange rates imported"),
    "finance.unit_cost_set": _("Disposition cost saved"),
    "finance.unit_cost_deleted": _("Disposition cost deleted"),
    "finance.provider_rate_set": _("Service provider rate saved"),
    "finance.policy_updated": _("Finance policy changed"),
    # finance: quotes, refunds and payments
    "finance.quote_request_opened": _("Request for quotes opened"),
    "finance.quote_added": _("Quote entered"),
    "finance.quote_awarded": _("Quote chosen"),
    "finance.quote_request_cancelled": _("Request for quotes cancelled"),
    "finance.refund_requested": _("Refund or compensation requested"),
    "finance.refund_approved": _("Refund or compensation approved"),
    "finance.refund_rejected": _("Refund or compensation rejected"),
    "finance.refund_paid": _("Refund or compensation paid"),
    "finance.ap_exported": _("Payments exported for accounts payable"),
}

_GENERIC = {
    "created": _("%(record)s created"),
    "changed": _("%(record)s changed"),
    "deleted": _("%(record)s deleted"),
}


def action_label(code: str) -> str:
    """The words for an audit action code in the active language; the code if it has none."""
    if (label := ACTION_LABELS.get(code)) is not None:
        return str(label)
    app_label, _dot, rest = code.partition(".")
    model_name, _dot, what = rest.rpartition(".")
    if what in _GENERIC and model_name:
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            return code
        record = str(model._meta.verbose_name)
        return str(_GENERIC[what]) % {"record": record[:1].upper() + record[1:]}
    return code
