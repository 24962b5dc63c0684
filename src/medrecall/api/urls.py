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
    execution,
    home,
    notices,
    partners,
    party_review,
    recalls,
    trace,
    views,
)

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
    path("events/capture/", trace.EventCaptureView.as_view(), name="event-capture"),
    path("epcis/capture/", trace.EpcisCaptureView.as_view(), name="epcis-capture"),
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
    path(
        "recalls/<int:pk>/transition/", recalls.TransitionView.as_view(), name="recall-transition"
    ),
    path("recalls/<int:pk>/sign/", recalls.SignView.as_view(), name="recall-sign"),
    path("recalls/<int:pk>/closure/", recalls.ClosureView.as_view(), name="recall-closure"),
    path(
        "recalls/<int:pk>/closure/exception/",
        recalls.ClosureExceptionView.as_view(),
        name="recall-closure-exception",
    ),
    path("recalls/<int:pk>/deadlines/", recalls.DeadlinesView.as_view(), name="recall-deadlines"),
    path("recalls/due-this-week/", recalls.DueThisWeekView.as_view(), name="recall-due-week"),
    path("accounts/lockouts/", accounts.LockoutListView.as_view(), name="lockout-list"),
    path("accounts/lockouts/unlock/", accounts.LockoutUnlockView.as_view(), name="lockout-unlock"),
    path("calendar/entries/", calendar.CalendarEntriesView.as_view(), name="calendar-entries"),
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
    path("", include(router.urls)),
]
