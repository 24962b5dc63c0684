from django.urls import path

from . import (
    account_views,
    calendar_views,
    cockpit_views,
    company_views,
    effectiveness_views,
    file_views,
    fsn_views,
    home_views,
    intelligence_views,
    notice_views,
    party_review_views,
    recall_views,
    reply_views,
    trace_views,
    views,
)
from . import execution_views as ex
from . import filing_views as fv
from . import finance_budget_views as fb
from . import finance_payables_views as fp
from . import finance_views as fin
from . import quality_signal_views as qsv
from . import quality_views as qv

app_name = "web"

urlpatterns = [
    path("", home_views.home, name="home"),
    path("portfolio/", home_views.portfolio, name="portfolio"),
    path("queues/<slug:role>/", home_views.queue, name="queue"),
    path(
        "queues/finance/offers/<int:pk>/", home_views.queue_offer_decide, name="queue-offer-decide"
    ),
    path("language/", views.set_language, name="set-language"),
    path("accounts/lockouts/", account_views.lockout_list, name="lockout-list"),
    path("imports/", views.import_list, name="import-list"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/rejected.csv", views.import_rejected_rows, name="import-rejected"),
    path("imports/templates/<str:kind>.<str:fmt>", views.import_template, name="import-template"),
    path("recalls/", recall_views.recall_list, name="recall-list"),
    path("recalls/new/", recall_views.recall_open, name="recall-open"),
    path("recalls/due-this-week/", recall_views.due_this_week, name="recall-due-week"),
    path("calendar/", calendar_views.calendar_page, name="calendar"),
    path("company/", company_views.company_page, name="company"),
    path("calendar/entries/", calendar_views.calendar_entry_set, name="calendar-entry-set"),
    path(
        "calendar/entries/delete/",
        calendar_views.calendar_entry_delete,
        name="calendar-entry-delete",
    ),
    path(
        "calendar/years/entered/",
        calendar_views.calendar_year_entered,
        name="calendar-year-entered",
    ),
    path("calendar/import/", calendar_views.calendar_import, name="calendar-import"),
    path("calendar/entries.csv", calendar_views.calendar_export, name="calendar-export"),
    path("recalls/<int:pk>/", recall_views.recall_detail, name="recall-detail"),
    path("recalls/<int:pk>/similar/", intelligence_views.recall_similar, name="recall-similar"),
    path("intelligence/", intelligence_views.intelligence_search, name="intelligence-search"),
    path(
        "intelligence/records/<int:pk>/",
        intelligence_views.intelligence_record,
        name="intelligence-record",
    ),
    path("recalls/<int:pk>/cockpit/", cockpit_views.cockpit, name="recall-cockpit"),
    path(
        "recalls/<int:pk>/cockpit/figures/",
        cockpit_views.cockpit_figures,
        name="recall-cockpit-figures",
    ),
    path(
        "recalls/<int:pk>/cockpit/holders/",
        cockpit_views.cockpit_holders,
        name="recall-cockpit-holders",
    ),
    path(
        "recalls/<int:pk>/cockpit/records/<slug:kind>/",
        cockpit_views.cockpit_records,
        name="recall-cockpit-records",
    ),
    path(
        "recalls/<int:pk>/cockpit/progress.xlsx",
        cockpit_views.cockpit_xlsx,
        name="recall-cockpit-xlsx",
    ),
    path(
        "recalls/<int:pk>/cockpit/progress.pdf",
        cockpit_views.cockpit_pdf,
        name="recall-cockpit-pdf",
    ),
    path("recalls/<int:pk>/edit/", recall_views.recall_edit, name="recall-edit"),
    path("recalls/<int:pk>/hazard/", recall_views.recall_hazard, name="recall-hazard"),
    path("recalls/<int:pk>/classify/", recall_views.recall_classify, name="recall-classify"),
    path("recalls/<int:pk>/scope/rules/", recall_views.recall_scope_rule, name="recall-scope-rule"),
    path(
        "recalls/<int:pk>/scope/rules/<int:rule>/remove/",
        recall_views.recall_scope_rule_remove,
        name="recall-scope-rule-remove",
    ),
    path("recalls/<int:pk>/scope/freeze/", recall_views.recall_freeze, name="recall-freeze"),
    path("recalls/<int:pk>/transition/", recall_views.recall_transition, name="recall-transition"),
    path(
        "recalls/<int:pk>/effectiveness/",
        effectiveness_views.effectiveness_page,
        name="recall-effectiveness",
    ),
    path(
        "recalls/<int:pk>/effectiveness/level/",
        effectiveness_views.effectiveness_level,
        name="recall-effectiveness-level",
    ),
    path(
        "recalls/<int:pk>/effectiveness/sample/",
        effectiveness_views.effectiveness_sample,
        name="recall-effectiveness-sample",
    ),
    path(
        "recalls/<int:pk>/effectiveness/check/",
        effectiveness_views.effectiveness_check,
        name="recall-effectiveness-check",
    ),
    path(
        "recalls/<int:pk>/effectiveness/checks/<int:check_pk>/resolve/",
        effectiveness_views.effectiveness_resolve,
        name="recall-effectiveness-resolve",
    ),
    path(
        "recalls/<int:pk>/effectiveness/exception/",
        effectiveness_views.effectiveness_exception,
        name="recall-effectiveness-exception",
    ),
    path(
        "recalls/<int:pk>/effectiveness/sign/",
        effectiveness_views.effectiveness_sign_closure,
        name="recall-effectiveness-sign",
    ),
    path(
        "recalls/<int:pk>/impact.xlsx", recall_views.recall_impact_xlsx, name="recall-impact-xlsx"
    ),
    path("recalls/<int:pk>/sign/", recall_views.recall_sign, name="recall-sign"),
    path(
        "recalls/<int:pk>/closure-exception/",
        recall_views.recall_closure_exception,
        name="recall-closure-exception",
    ),
    path(
        "recalls/<int:pk>/deadlines/done/",
        recall_views.recall_deadline_done,
        name="recall-deadline-done",
    ),
    path("recalls/<int:pk>/filings/", fv.filing_list, name="filing-list"),
    path("recalls/<int:pk>/fsn-gate/", fsn_views.fsn_gate, name="fsn-gate"),
    path("recalls/<int:pk>/filings/generate/", fv.filing_generate, name="filing-generate"),
    path("recalls/<int:pk>/filings/fda-record/", fv.fda_record, name="filing-fda-record"),
    path("recalls/<int:pk>/filings/<int:filing>/", fv.filing_detail, name="filing-detail"),
    path("recalls/<int:pk>/filings/<int:filing>/enter/", fv.filing_enter, name="filing-enter"),
    path("recalls/<int:pk>/filings/<int:filing>/check/", fv.filing_check, name="filing-check"),
    path("recalls/<int:pk>/filings/<int:filing>/sign/", fv.filing_sign, name="filing-sign"),
    path("recalls/<int:pk>/filings/<int:filing>/submit/", fv.filing_submit, name="filing-submit"),
    path("recalls/<int:pk>/filings/<int:filing>/revise/", fv.filing_revise, name="filing-revise"),
    path(
        "recalls/<int:pk>/filings/<int:filing>/files/<str:name>/",
        fv.filing_file,
        name="filing-file",
    ),
    path("recalls/<int:pk>/notices/", notice_views.recall_notices, name="recall-notices"),
    path(
        "recalls/<int:pk>/notices/holders/",
        notice_views.recall_notify_by,
        name="recall-notify-by",
    ),
    path(
        "recalls/<int:pk>/notices/send/",
        notice_views.recall_notices_send,
        name="recall-notices-send",
    ),
    path(
        "recalls/<int:pk>/notices/letters.pdf", notice_views.recall_letters, name="recall-letters"
    ),
    path(
        "recalls/<int:pk>/notices/letters/posted/",
        notice_views.recall_letters_posted,
        name="recall-letters-posted",
    ),
    path("notices/templates/", notice_views.template_list, name="notice-template-list"),
    path(
        "notices/templates/<int:pk>/", notice_views.template_detail, name="notice-template-detail"
    ),
    path(
        "notices/templates/<int:pk>/edit/", notice_views.template_edit, name="notice-template-edit"
    ),
    path(
        "notices/templates/<int:pk>/approve/",
        notice_views.template_approve,
        name="notice-template-approve",
    ),
    path(
        "notices/templates/<int:pk>/preview/",
        notice_views.template_preview,
        name="notice-template-preview",
    ),
    path(
        "notices/templates/<int:pk>/preview.pdf",
        notice_views.template_preview_pdf,
        name="notice-template-preview-pdf",
    ),
    path("notices/runs/<int:pk>/progress/", notice_views.run_progress, name="notice-run-progress"),
    path("notices/overdue/", notice_views.overdue, name="notice-overdue"),
    path("notices/<int:pk>/", notice_views.notice_detail, name="notice-detail"),
    path("notices/<int:pk>/pdf/", notice_views.notice_pdf, name="notice-pdf"),
    path("notices/<int:pk>/contact/", notice_views.notice_contact, name="notice-contact"),
    path("notices/<int:pk>/reply/", notice_views.notice_staff_reply, name="notice-staff-reply"),
    path(
        "notices/<int:pk>/return/",
        notice_views.notice_return_authorise,
        name="notice-return-authorise",
    ),
    path("customers/", notice_views.customer_search, name="customer-search"),
    path("customers/<int:party_pk>/", notice_views.customer_detail, name="customer-detail"),
    path(
        "customers/<int:party_pk>/offers/",
        notice_views.customer_offer_propose,
        name="customer-offer-propose",
    ),
    path(
        "customers/<int:party_pk>/progress/",
        notice_views.customer_progress,
        name="customer-progress",
    ),
    path("offers/<int:pk>/decide/", notice_views.offer_decide, name="offer-decide"),
    path("offers/<int:pk>/fulfil/", notice_views.offer_fulfil, name="offer-fulfil"),
    path("n/r/<str:token>/", reply_views.notice_reply, name="notice-reply"),
    path("n/r/<str:token>/acknowledge/", reply_views.notice_acknowledge, name="notice-acknowledge"),
    path("n/r/<str:token>/notice.pdf", reply_views.notice_reply_pdf, name="notice-reply-pdf"),
    path("n/s/<str:token>/", reply_views.notice_survey, name="notice-survey"),
    path("n/o/<str:token>.gif", reply_views.notice_opened, name="notice-opened"),
    path("portal/notices/", reply_views.portal_notices, name="portal-notices"),
    path("portal/notices/<int:pk>/reply/", reply_views.portal_reply, name="portal-reply"),
    path("execution/", ex.execution_home, name="execution-home"),
    path("execution/recalls/<int:pk>/", ex.execution_recall, name="execution-recall"),
    path("execution/recalls/<int:pk>/holds/", ex.execution_hold, name="execution-hold"),
    path("execution/recalls/<int:pk>/returns/", ex.return_create, name="return-create"),
    path("execution/recalls/<int:pk>/work-orders/", ex.work_order_create, name="work-order-create"),
    path("execution/returns/<int:pk>/", ex.return_detail, name="return-detail"),
    path("execution/returns/<int:pk>/status/", ex.return_status, name="return-status"),
    path("execution/returns/<int:pk>/amend/", ex.return_amend, name="return-amend"),
    path("execution/returns/<int:pk>/waybill.pdf", ex.return_waybill, name="return-waybill"),
    path("execution/warehouse/", ex.warehouse, name="warehouse"),
    path("execution/warehouse/<int:pk>/", ex.warehouse_return, name="warehouse-return"),
    path("execution/dispositions/new/", ex.disposition_create, name="disposition-create"),
    path("execution/dispositions/<int:pk>/", ex.disposition_detail, name="disposition-detail"),
    path("execution/work-orders/", ex.work_order_list, name="work-order-list"),
    path("execution/work-orders/<int:pk>/", ex.work_order_detail, name="work-order-detail"),
    # finance: the cost ledger
    path("finance/recalls/", fin.ledgers, name="finance-ledgers"),
    path("finance/recalls/<int:pk>/", fin.ledger_page, name="finance-ledger"),
    path("finance/recalls/<int:pk>/post/", fin.entry_post, name="finance-entry-post"),
    path("finance/recalls/<int:pk>/post-due/", fin.ledger_post_due, name="finance-post-due"),
    path("finance/entries/<int:pk>/", fin.entry_detail, name="finance-entry"),
    path("finance/entries/<int:pk>/reverse/", fin.entry_reverse, name="finance-entry-reverse"),
    path("finance/entries/<int:pk>/edit/", fin.entry_edit, name="finance-entry-edit"),
    path(
        "finance/entries/<int:pk>/attachment/",
        fin.entry_attachment,
        name="finance-entry-attachment",
    ),
    path("finance/rates/", fin.rates, name="finance-rates"),
    path("finance/unit-costs/", fin.unit_costs, name="finance-unit-costs"),
    path(
        "finance/unit-costs/<int:pk>/delete/", fin.unit_cost_delete, name="finance-unit-cost-delete"
    ),
    path("finance/provider-rates/", fin.provider_rates, name="finance-provider-rates"),
    path("finance/policy/", fin.policy, name="finance-policy"),
    path("trace/", trace_views.trace, name="trace"),
    path("scan/", trace_views.scan, name="scan"),
    path("events/", trace_views.event_list, name="event-list"),
    path("parties/reported/", party_review_views.reported_list, name="party-reported-list"),
    path(
        "parties/reported/<int:pk>/",
        party_review_views.reported_detail,
        name="party-reported-detail",
    ),
    path(
        "parties/reported/<int:pk>/verify/",
        party_review_views.reported_verify,
        name="party-reported-verify",
    ),
    path(
        "parties/reported/<int:pk>/merge/",
        party_review_views.reported_merge,
        name="party-reported-merge",
    ),
    path("quality/", qv.dashboard, name="quality-dashboard"),
    path("quality/complaints/", qv.complaint_list, name="quality-complaints"),
    path("quality/complaints/export.csv", qv.complaint_export, name="quality-complaint-export"),
    path("quality/complaints/new/", qv.complaint_new, name="quality-complaint-new"),
    path("quality/complaints/<int:pk>/", qv.complaint_detail, name="quality-complaint"),
    path(
        "quality/complaints/<int:pk>/unit/", qv.complaint_resolve, name="quality-complaint-resolve"
    ),
    path(
        "quality/complaints/<int:pk>/triage/", qv.complaint_triage, name="quality-complaint-triage"
    ),
    path(
        "quality/complaints/<int:pk>/report/", qv.complaint_report, name="quality-complaint-report"
    ),
    path(
        "quality/complaints/<int:pk>/investigate/",
        qv.complaint_investigate,
        name="quality-complaint-investigate",
    ),
    path("quality/complaints/<int:pk>/close/", qv.complaint_close, name="quality-complaint-close"),
    path(
        "quality/complaints/<int:pk>/recall/",
        qv.complaint_link_recall,
        name="quality-complaint-link-recall",
    ),
    path(
        "quality/complaints/<int:pk>/start-recall/",
        qv.complaint_start_recall,
        name="quality-complaint-start-recall",
    ),
    path("quality/signals/", qsv.signal_list, name="quality-signals"),
    path("quality/signals/detect/", qsv.signal_detect, name="quality-signals-detect"),
    path("quality/signals/policy/", qsv.signal_policy_edit, name="quality-signal-policy"),
    path("quality/signals/<int:pk>/", qsv.signal_detail, name="quality-signal"),
    path(
        "quality/signals/<int:pk>/<slug:action>/",
        qsv.signal_action,
        name="quality-signal-action",
    ),
    path("quality/capas/", qv.capa_list, name="quality-capas"),
    path("quality/capas/new/", qv.capa_new, name="quality-capa-new"),
    path("quality/capas/<int:pk>/", qv.capa_detail, name="quality-capa"),
    path("quality/capas/<int:pk>/root-causes/", qv.capa_root_cause, name="quality-capa-root-cause"),
    path("quality/capas/<int:pk>/actions/", qv.capa_action_add, name="quality-capa-action-add"),
    path(
        "quality/capas/<int:pk>/actions/<int:action>/",
        qv.capa_action_update,
        name="quality-capa-action-update",
    ),
    path("quality/capas/<int:pk>/links/", qv.capa_link, name="quality-capa-link"),
    path("quality/capas/<int:pk>/verify/", qv.capa_verify, name="quality-capa-verify"),
    path("quality/capas/<int:pk>/reopen/", qv.capa_reopen, name="quality-capa-reopen"),
    path("quality/capas/<int:pk>/close/", qv.capa_close, name="quality-capa-close"),
    path("portal/complaints/", qv.portal_complaints, name="portal-complaints"),
    path("n/r/<str:token>/problem/", qv.notice_problem, name="notice-problem"),
    path("data/<slug:slug>/", views.entity_list, name="entity-list"),
    path("data/<slug:slug>/new/", views.entity_edit, name="entity-create"),
    path("data/<slug:slug>/<int:pk>/", views.entity_detail, name="entity-detail"),
    path("data/<slug:slug>/<int:pk>/edit/", views.entity_edit, name="entity-edit"),
    path("files/<slug:kind>/<int:pk>/", file_views.download, name="file"),
    path("finance/recalls/<int:pk>/budget/", fb.finance_budget, name="finance-budget"),
    path("finance/recalls/<int:pk>/report/", fb.finance_report, name="finance-report"),
    path(
        "finance/recalls/<int:pk>/report.xlsx", fb.finance_report_xlsx, name="finance-report-xlsx"
    ),
    path("finance/reports/", fb.finance_reports, name="finance-reports"),
    path("finance/reports.xlsx", fb.finance_reports_xlsx, name="finance-reports-xlsx"),
    # Finance: vendor quotes, refunds and compensation, the AP export (finance_payables_views.py).
    path("recalls/<int:pk>/finance/payables/", fp.recall_payables, name="finance-recall-payables"),
    path(
        "recalls/<int:pk>/finance/quote-requests/new/",
        fp.quote_request_open,
        name="finance-quote-request-open",
    ),
    path("recalls/<int:pk>/finance/refunds/new/", fp.refund_new, name="finance-refund-new"),
    path(
        "finance/quote-requests/<int:pk>/",
        fp.quote_request_detail,
        name="finance-quote-request",
    ),
    path("finance/quote-requests/<int:pk>/quotes/", fp.quote_add, name="finance-quote-add"),
    path("finance/quote-requests/<int:pk>/award/", fp.quote_award, name="finance-quote-award"),
    path("finance/quote-requests/<int:pk>/cancel/", fp.quote_cancel, name="finance-quote-cancel"),
    path("finance/vendor-scorecard/", fp.scorecard, name="finance-scorecard"),
    path("finance/refunds/", fp.refund_list, name="finance-refund-list"),
    path("finance/refunds/<int:pk>/", fp.refund_detail, name="finance-refund-detail"),
    path("finance/refunds/<int:pk>/approve/", fp.refund_approve, name="finance-refund-approve"),
    path("finance/refunds/<int:pk>/reject/", fp.refund_reject, name="finance-refund-reject"),
    path("finance/refunds/<int:pk>/pay/", fp.refund_pay, name="finance-refund-pay"),
    path("finance/ap-exports/", fp.ap_exports, name="finance-ap-exports"),
    path("finance/ap-exports/<int:pk>/file/", fp.ap_export_file, name="finance-ap-export-file"),
]
