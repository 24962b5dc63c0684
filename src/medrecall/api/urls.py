from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from . import (
    accounts,
    calendar,
    company,
    execution,
    home,
    intelligence,
    notices,
    partners,
    party_review,
    quality,
    quality_signals,
    recalls,
    trace,
    views,
)
from . import effectiveness as eff
from . import filings as filings_api
from . import finance as finance_api
from . import finance_budget as fb
from . import fsn as fsn_api
from .progress import ProgressView

router = DefaultRouter()
router.register("device-models", views.DeviceModelViewSet, basename="devicemodel")
router.register("lots", views.LotViewSet, basename="lot")
router.register("serials", views.SerialViewSet, basename="serial")
router.register("parties", views.PartyViewSet, basename="party")
router.register("locations", views.LocationViewSet, basename="location")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("imports", views.ImportRunViewSet, basename="importrun")
router.register("events", trace.TraceEventViewSet, basename="traceevent")
router.register("positions", trace.PositionViewSet, basename="position")
router.register("execution/carriers", partners.CarrierViewSet, basename="carrier")
router.register("execution/carrier-rates", partners.CarrierRateViewSet, basename="carrierrate")
router.register(
    "execution/service-providers", partners.ServiceProviderViewSet, basename="serviceprovider"
)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The API reference pages are third-party templates: Swagger UI loads its script from a second
    # request (no inline script) and keeps its inline <style>; ReDoc needs inline script and styles
    # and a blob: worker. Only these two pages relax the policy (docs/security.md).
    path(
        "docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    path(
        "redoc/",
        csp_update(
            {"script-src": [UNSAFE_INLINE], "style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]}
        )(SpectacularRedocView.as_view(url_name="api-schema")),
        name="api-redoc",
    ),
    path("imports/start/", views.ImportStartView.as_view(), name="import-start"),
    path("home/", home.HomeView.as_view(), name="home"),
    path("home/recalls/", home.OpenRecallsView.as_view(), name="home-recalls"),
    path("home/deadlines/", home.HomeDeadlinesView.as_view(), name="home-deadlines"),
    path("portfolio/", home.PortfolioView.as_view(), name="portfolio"),
    path("portfolio/products/", home.PortfolioProductsView.as_view(), name="portfolio-products"),
    path("queues/<slug:role>/", home.QueueView.as_view(), name="queue"),
    path("trace/forward/", trace.TraceForwardView.as_view(), name="trace-forward"),
    path("trace/forward/set/", trace.TraceForwardSetView.as_view(), name="trace-forward-set"),
    path("trace/backward/", trace.TraceBackwardView.as_view(), name="trace-backward"),
    path("trace/backward/set/", trace.TraceBackwardSetView.as_view(), name="trace-backward-set"),
    path("udi/parse/", trace.UdiParseView.as_view(), name="udi-parse"),
    path(
        "intelligence/similar/",
        intelligence.SimilarRecallsView.as_view(),
        name="intelligence-similar",
    ),
    path(
        "intelligence/statistics/",
        intelligence.StatisticsView.as_view(),
        name="intelligence-statistics",
    ),
    path(
        "intelligence/records/<int:pk>/",
        intelligence.PublicRecallDetailView.as_view(),
        name="intelligence-record",
    ),
    path(
        "recalls/<int:pk>/similar/",
        intelligence.RecallSimilarView.as_view(),
        name="recall-similar",
    ),
    path("events/capture/", trace.EventCaptureView.as_view(), name="event-capture"),
    path("epcis/capture/", trace.EpcisCaptureView.as_view(), name="epcis-capture"),
    # finance: the cost ledger
    path(
        "finance/recalls/<int:pk>/entries/",
        finance_api.RecallEntriesView.as_view(),
        name="finance-recall-entries",
    ),
    path(
        "finance/recalls/<int:pk>/totals/",
        finance_api.RecallTotalsView.as_view(),
        name="finance-recall-totals",
    ),
    path(
        "finance/recalls/<int:pk>/due/",
        finance_api.RecallDueView.as_view(),
        name="finance-recall-due",
    ),
    path("finance/entries/<int:pk>/", finance_api.EntryView.as_view(), name="finance-entry"),
    path(
        "finance/entries/<int:pk>/reverse/",
        finance_api.EntryReverseView.as_view(),
        name="finance-entry-reverse",
    ),
    path(
        "finance/entries/<int:pk>/attachment/",
        finance_api.EntryAttachmentView.as_view(),
        name="finance-entry-attachment",
    ),
    path("finance/postings/sweep/", finance_api.SweepView.as_view(), name="finance-sweep"),
    path("finance/rates/", finance_api.RatesView.as_view(), name="finance-rates"),
    path(
        "finance/rates/import/", finance_api.RatesImportView.as_view(), name="finance-rates-import"
    ),
    path("finance/unit-costs/", finance_api.UnitCostsView.as_view(), name="finance-unit-costs"),
    path(
        "finance/unit-costs/<int:pk>/", finance_api.UnitCostView.as_view(), name="finance-unit-cost"
    ),
    path(
        "finance/provider-rates/",
        finance_api.ProviderRatesView.as_view(),
        name="finance-provider-rates",
    ),
    path("recalls/", recalls.RecallListView.as_view(), name="recall-list"),
    path("recalls/<int:pk>/", recalls.RecallDetailView.as_view(), name="recall-detail"),
    path("recalls/<int:pk>/hazard-evaluation/", recalls.HazardView.as_view(), name="recall-hazard"),
    path("recalls/<int:pk>/classify/", recalls.ClassifyView.as_view(), name="recall-classify"),
    path(
        "recalls/<int:pk>/scope-rules/", recalls.ScopeRuleView.as_view(), name="recall-scope-rules"
    ),
    path(
        "recalls/<int:pk>/scope/freeze/",
        recalls.ScopeFreezeView.as_view(),
        name="recall-scope-freeze",
    ),
    path("recalls/<int:pk>/impact/", recalls.ImpactView.as_view(), name="recall-impact"),
    path("recalls/<int:pk>/progress/", ProgressView.as_view(), name="recall-progress"),
    path(
        "recalls/<int:pk>/transition/", recalls.TransitionView.as_view(), name="recall-transition"
    ),
    path("recalls/<int:pk>/sign/", recalls.SignView.as_view(), name="recall-sign"),
    path("recalls/<int:pk>/closure/", recalls.ClosureView.as_view(), name="recall-closure"),
    path(
        "recalls/<int:pk>/effectiveness/",
        eff.ResultsView.as_view(),
        name="recall-effectiveness",
    ),
    path(
        "recalls/<int:pk>/effectiveness/sample/",
        eff.SampleView.as_view(),
        name="recall-effectiveness-sample",
    ),
    path(
        "recalls/<int:pk>/effectiveness/sample/<str:regime>/",
        eff.SampleMembersView.as_view(),
        name="recall-effectiveness-members",
    ),
    path(
        "recalls/<int:pk>/effectiveness/checks/",
        eff.ChecksView.as_view(),
        name="recall-effectiveness-checks",
    ),
    path(
        "recalls/<int:pk>/effectiveness/checks/<int:check>/resolve/",
        eff.ResolveView.as_view(),
        name="recall-effectiveness-resolve",
    ),
    path(
        "recalls/<int:pk>/effectiveness/completion/",
        eff.CompletionView.as_view(),
        name="recall-effectiveness-completion",
    ),
    path(
        "recalls/<int:pk>/effectiveness/completion/outstanding/",
        eff.OutstandingView.as_view(),
        name="recall-effectiveness-outstanding",
    ),
    path(
        "recalls/<int:pk>/effectiveness/exceptions/",
        eff.ExceptionView.as_view(),
        name="recall-effectiveness-exceptions",
    ),
    path(
        "recalls/<int:pk>/effectiveness/close-blockers/",
        eff.CloseBlockersView.as_view(),
        name="recall-effectiveness-blockers",
    ),
    path(
        "recalls/<int:pk>/effectiveness/closing-signature/",
        eff.ClosingSignView.as_view(),
        name="recall-effectiveness-sign",
    ),
    path(
        "recalls/<int:pk>/closure/exception/",
        recalls.ClosureExceptionView.as_view(),
        name="recall-closure-exception",
    ),
    path("recalls/<int:pk>/deadlines/", recalls.DeadlinesView.as_view(), name="recall-deadlines"),
    path("recalls/<int:pk>/filings/", filings_api.FilingListView.as_view(), name="filing-list"),
    path("recalls/<int:pk>/fsn-gate/", fsn_api.FsnGateView.as_view(), name="fsn-gate"),
    path("recalls/<int:pk>/fda-record/", filings_api.FdaRecordView.as_view(), name="fda-record"),
    path(
        "recalls/<int:pk>/filings/<int:filing>/",
        filings_api.FilingDetailView.as_view(),
        name="filing-detail",
    ),
    path(
        "recalls/<int:pk>/filings/<int:filing>/check/",
        filings_api.FilingCheckView.as_view(),
        name="filing-check",
    ),
    path(
        "recalls/<int:pk>/filings/<int:filing>/sign/",
        filings_api.FilingSignView.as_view(),
        name="filing-sign",
    ),
    path(
        "recalls/<int:pk>/filings/<int:filing>/submit/",
        filings_api.FilingSubmitView.as_view(),
        name="filing-submit",
    ),
    path(
        "recalls/<int:pk>/filings/<int:filing>/versions/",
        filings_api.FilingReviseView.as_view(),
        name="filing-revise",
    ),
    path(
        "recalls/<int:pk>/filings/<int:filing>/files/<str:name>/",
        filings_api.FilingFileView.as_view(),
        name="filing-file",
    ),
    path("recalls/due-this-week/", recalls.DueThisWeekView.as_view(), name="recall-due-week"),
    path("accounts/lockouts/", accounts.LockoutListView.as_view(), name="lockout-list"),
    path("accounts/lockouts/unlock/", accounts.LockoutUnlockView.as_view(), name="lockout-unlock"),
    path("calendar/entries/", calendar.CalendarEntriesView.as_view(), name="calendar-entries"),
    path("company/", company.CompanyView.as_view(), name="company"),
    path(
        "calendar/entries/<str:calendar>/<str:day>/",
        calendar.CalendarEntryView.as_view(),
        name="calendar-entry",
    ),
    path("calendar/years/", calendar.CalendarYearsView.as_view(), name="calendar-years"),
    path("calendar/import/", calendar.CalendarImportView.as_view(), name="calendar-import"),
    path("recalls/<int:pk>/notices/send/", notices.RunStartView.as_view(), name="notice-run-start"),
    path(
        "recalls/<int:pk>/notices/letters/",
        notices.RecallLettersView.as_view(),
        name="notice-letters",
    ),
    path(
        "recalls/<int:pk>/progress-updates/",
        notices.ProgressUpdateView.as_view(),
        name="notice-progress-update",
    ),
    path("notices/", notices.NoticeListView.as_view(), name="notice-list"),
    path("notices/overdue/", notices.OverdueView.as_view(), name="notice-overdue"),
    path(
        "recalls/<int:pk>/notices/holders/",
        notices.NotifyByView.as_view(),
        name="recall-notify-by",
    ),
    path("recalls/<int:pk>/replies/", notices.RecallRepliesView.as_view(), name="recall-replies"),
    path("notices/delivery/", notices.DeliveryView.as_view(), name="notice-delivery"),
    path("notices/runs/<int:pk>/", notices.RunDetailView.as_view(), name="notice-run"),
    path("notices/<int:pk>/", notices.NoticeDetailView.as_view(), name="notice-detail"),
    path("notices/<int:pk>/pdf/", notices.NoticePdfView.as_view(), name="notice-pdf"),
    path(
        "notices/<int:pk>/contact-log/", notices.ContactLogView.as_view(), name="notice-contact-log"
    ),
    path("notices/<int:pk>/reply/", notices.ReplyView.as_view(), name="notice-reply"),
    path("notice-templates/", notices.TemplateListView.as_view(), name="notice-template-list"),
    path(
        "notice-templates/<int:pk>/",
        notices.TemplateDetailView.as_view(),
        name="notice-template-detail",
    ),
    path(
        "notice-templates/<int:pk>/approve/",
        notices.TemplateApproveView.as_view(),
        name="notice-template-approve",
    ),
    path("customers/", notices.CustomerSearchView.as_view(), name="customer-search"),
    path("customers/<int:pk>/timeline/", notices.TimelineView.as_view(), name="customer-timeline"),
    path("offers/", notices.OfferListView.as_view(), name="offer-list"),
    path("offers/<int:pk>/decision/", notices.OfferDecisionView.as_view(), name="offer-decision"),
    path(
        "execution/recalls/<int:pk>/accounting/",
        execution.AccountingView.as_view(),
        name="execution-accounting",
    ),
    path(
        "execution/recalls/<int:pk>/holds/", execution.HoldsView.as_view(), name="execution-holds"
    ),
    path(
        "execution/recalls/<int:pk>/holds/release/",
        execution.HoldReleaseView.as_view(),
        name="execution-hold-release",
    ),
    path("execution/returns/", execution.ReturnListView.as_view(), name="return-list"),
    path("execution/returns/<int:pk>/", execution.ReturnDetailView.as_view(), name="return-detail"),
    path(
        "execution/returns/<int:pk>/status/",
        execution.ReturnStatusView.as_view(),
        name="return-status",
    ),
    path(
        "execution/returns/<int:pk>/amend/",
        execution.ReturnAmendView.as_view(),
        name="return-amend",
    ),
    path(
        "execution/returns/<int:pk>/receive/",
        execution.ReceiveView.as_view(),
        name="return-receive",
    ),
    path(
        "execution/returns/<int:pk>/waybill/",
        execution.WaybillView.as_view(),
        name="return-waybill",
    ),
    path(
        "execution/dispositions/", execution.DispositionListView.as_view(), name="disposition-list"
    ),
    path(
        "execution/dispositions/<int:pk>/complete/",
        execution.DispositionCompleteView.as_view(),
        name="disposition-complete",
    ),
    path("execution/work-orders/", execution.WorkOrderListView.as_view(), name="work-order-list"),
    path(
        "execution/work-orders/<int:pk>/units/<int:unit>/result/",
        execution.UnitResultView.as_view(),
        name="work-order-result",
    ),
    path(
        "execution/work-orders/<int:pk>/evidence/",
        execution.EvidenceView.as_view(),
        name="work-order-evidence",
    ),
    path(
        "execution/work-orders/<int:pk>/evidence/<int:evidence>/",
        execution.EvidenceFileView.as_view(),
        name="work-order-evidence-file",
    ),
    path(
        "execution/dispositions/<int:pk>/certificate/",
        execution.CertificateView.as_view(),
        name="disposition-certificate",
    ),
    path("parties/reported/", party_review.ReportedListView.as_view(), name="party-reported-list"),
    path(
        "parties/reported/<int:pk>/",
        party_review.ReportedDetailView.as_view(),
        name="party-reported-detail",
    ),
    path(
        "parties/reported/<int:pk>/verify/",
        party_review.ReportedVerifyView.as_view(),
        name="party-reported-verify",
    ),
    path(
        "parties/reported/<int:pk>/merge/",
        party_review.ReportedMergeView.as_view(),
        name="party-reported-merge",
    ),
    path("finance/recalls/<int:pk>/budget/", fb.BudgetView.as_view(), name="finance-budget"),
    path("finance/recalls/<int:pk>/forecast/", fb.ForecastView.as_view(), name="finance-forecast"),
    path("finance/recalls/<int:pk>/report/", fb.RecallReportView.as_view(), name="finance-report"),
    path(
        "finance/recalls/<int:pk>/budget-alerts/",
        fb.AlertsView.as_view(),
        name="finance-budget-alerts",
    ),
    path("finance/reports/recalls/", fb.RecallCostsView.as_view(), name="finance-recall-costs"),
    path("finance/reports/by/<str:by>/", fb.CostsByView.as_view(), name="finance-costs-by"),
    path("quality/dashboard/", quality.DashboardView.as_view(), name="quality-dashboard"),
    path("quality/signals/", quality_signals.SignalListView.as_view(), name="quality-signals"),
    path(
        "quality/signals/detect/",
        quality_signals.SignalDetectView.as_view(),
        name="quality-signals-detect",
    ),
    path(
        "quality/signals/policy/",
        quality_signals.SignalPolicyView.as_view(),
        name="quality-signals-policy",
    ),
    path(
        "quality/signals/<int:pk>/",
        quality_signals.SignalDetailView.as_view(),
        name="quality-signal",
    ),
    path(
        "quality/signals/<int:pk>/review/",
        quality_signals.SignalActionView.as_view(),
        {"action": "review"},
        name="quality-signal-review",
    ),
    path(
        "quality/signals/<int:pk>/dismiss/",
        quality_signals.SignalActionView.as_view(),
        {"action": "dismiss"},
        name="quality-signal-dismiss",
    ),
    path(
        "quality/signals/<int:pk>/link/",
        quality_signals.SignalActionView.as_view(),
        {"action": "link"},
        name="quality-signal-link",
    ),
    path(
        "quality/signals/<int:pk>/reopen/",
        quality_signals.SignalActionView.as_view(),
        {"action": "reopen"},
        name="quality-signal-reopen",
    ),
    path("quality/complaints/", quality.ComplaintListView.as_view(), name="quality-complaints"),
    path(
        "quality/complaints/<int:pk>/",
        quality.ComplaintDetailView.as_view(),
        name="quality-complaint",
    ),
    path(
        "quality/complaints/<int:pk>/unit/",
        quality.ComplaintUnitView.as_view(),
        name="quality-complaint-unit",
    ),
    path(
        "quality/complaints/<int:pk>/triage/",
        quality.ComplaintTriageView.as_view(),
        name="quality-complaint-triage",
    ),
    path(
        "quality/complaints/<int:pk>/report/",
        quality.ComplaintReportView.as_view(),
        name="quality-complaint-report",
    ),
    path(
        "quality/complaints/<int:pk>/investigate/",
        quality.ComplaintInvestigateView.as_view(),
        name="quality-complaint-investigate",
    ),
    path(
        "quality/complaints/<int:pk>/close/",
        quality.ComplaintCloseView.as_view(),
        name="quality-complaint-close",
    ),
    path(
        "quality/complaints/<int:pk>/recall/",
        quality.ComplaintRecallView.as_view(),
        name="quality-complaint-recall",
    ),
    path(
        "quality/complaints/<int:pk>/start-recall/",
        quality.ComplaintStartRecallView.as_view(),
        name="quality-complaint-start-recall",
    ),
    path("quality/capas/", quality.CapaListView.as_view(), name="quality-capas"),
    path("quality/capas/<int:pk>/", quality.CapaDetailView.as_view(), name="quality-capa"),
    path(
        "quality/capas/<int:pk>/root-causes/",
        quality.CapaRootCauseView.as_view(),
        name="quality-capa-root-causes",
    ),
    path(
        "quality/capas/<int:pk>/actions/",
        quality.CapaActionsView.as_view(),
        name="quality-capa-actions",
    ),
    path(
        "quality/capas/<int:pk>/actions/<int:action>/",
        quality.CapaActionView.as_view(),
        name="quality-capa-action",
    ),
    path(
        "quality/capas/<int:pk>/links/", quality.CapaLinkView.as_view(), name="quality-capa-links"
    ),
    path(
        "quality/capas/<int:pk>/verify/",
        quality.CapaVerifyView.as_view(),
        name="quality-capa-verify",
    ),
    path(
        "quality/capas/<int:pk>/reopen/",
        quality.CapaReopenView.as_view(),
        name="quality-capa-reopen",
    ),
    path(
        "quality/capas/<int:pk>/close/", quality.CapaCloseView.as_view(), name="quality-capa-close"
    ),
    path("", include(router.urls)),
]

# Finance: vendor quotes, refunds and compensation, the AP export (api/finance_payables.py).
from . import finance_payables  # noqa: E402

urlpatterns += [
    path(
        "finance/recalls/<int:pk>/quote-requests/",
        finance_payables.QuoteRequestsView.as_view(),
        name="finance-quote-requests",
    ),
    path(
        "finance/quote-requests/<int:pk>/",
        finance_payables.QuoteRequestDetailView.as_view(),
        name="finance-quote-request",
    ),
    path(
        "finance/quote-requests/<int:pk>/quotes/",
        finance_payables.QuoteAddView.as_view(),
        name="finance-quote-add",
    ),
    path(
        "finance/quote-requests/<int:pk>/award/",
        finance_payables.QuoteAwardView.as_view(),
        name="finance-quote-award",
    ),
    path(
        "finance/quote-requests/<int:pk>/cancel/",
        finance_payables.QuoteCancelView.as_view(),
        name="finance-quote-cancel",
    ),
    path(
        "finance/vendor-scorecard/",
        finance_payables.VendorScorecardView.as_view(),
        name="finance-vendor-scorecard",
    ),
    path("finance/refunds/", finance_payables.RefundListView.as_view(), name="finance-refund-list"),
    path(
        "finance/recalls/<int:pk>/refunds/",
        finance_payables.RefundCreateView.as_view(),
        name="finance-refund-create",
    ),
    path(
        "finance/refunds/<int:pk>/",
        finance_payables.RefundDetailView.as_view(),
        name="finance-refund-detail",
    ),
    path(
        "finance/refunds/<int:pk>/approve/",
        finance_payables.RefundApproveView.as_view(),
        name="finance-refund-approve",
    ),
    path(
        "finance/refunds/<int:pk>/reject/",
        finance_payables.RefundRejectView.as_view(),
        name="finance-refund-reject",
    ),
    path(
        "finance/refunds/<int:pk>/pay/",
        finance_payables.RefundPayView.as_view(),
        name="finance-refund-pay",
    ),
    path(
        "finance/ap-exports/", finance_payables.ApExportsView.as_view(), name="finance-ap-exports"
    ),
    path(
        "finance/ap-exports/<int:pk>/file/",
        finance_payables.ApExportFileView.as_view(),
        name="finance-ap-export-file",
    ),
]
