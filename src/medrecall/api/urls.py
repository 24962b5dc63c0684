from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import execution, recalls, trace, views

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

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("imports/start/", views.ImportStartView.as_view(), name="import-start"),
    path("trace/forward/", trace.TraceForwardView.as_view(), name="trace-forward"),
    path("trace/backward/", trace.TraceBackwardView.as_view(), name="trace-backward"),
    path("udi/parse/", trace.UdiParseView.as_view(), name="udi-parse"),
    path("events/capture/", trace.EventCaptureView.as_view(), name="event-capture"),
    path("epcis/capture/", trace.EpcisCaptureView.as_view(), name="epcis-capture"),
    path("recalls/", recalls.RecallListView.as_view(), name="recall-list"),
    path("recalls/<int:pk>/", recalls.RecallDetailView.as_view(), name="recall-detail"),
    path("recalls/<int:pk>/hazard-evaluation/", recalls.HazardView.as_view(), name="recall-hazard"),
    path("recalls/<int:pk>/classify/", recalls.ClassifyView.as_view(), name="recall-classify"),
    path("recalls/<int:pk>/scope-rules/", recalls.ScopeRuleView.as_view(), name="recall-scope-rules"),
    path("recalls/<int:pk>/scope/freeze/", recalls.ScopeFreezeView.as_view(), name="recall-scope-freeze"),
    path("recalls/<int:pk>/impact/", recalls.ImpactView.as_view(), name="recall-impact"),
    path("recalls/<int:pk>/transition/", recalls.TransitionView.as_view(), name="recall-transition"),
    path("recalls/<int:pk>/sign/", recalls.SignView.as_view(), name="recall-sign"),
    path("recalls/<int:pk>/deadlines/", recalls.DeadlinesView.as_view(), name="recall-deadlines"),
    path("recalls/due-this-week/", recalls.DueThisWeekView.as_view(), name="recall-due-week"),
    path("execution/recalls/<int:pk>/accounting/", execution.AccountingView.as_view(), name="execution-accounting"),
    path("execution/recalls/<int:pk>/holds/", execution.HoldsView.as_view(), name="execution-holds"),
    path("execution/recalls/<int:pk>/holds/release/", execution.HoldReleaseView.as_view(), name="execution-hold-release"),
    path("execution/returns/", execution.ReturnListView.as_view(), name="return-list"),
    path("execution/returns/<int:pk>/", execution.ReturnDetailView.as_view(), name="return-detail"),
    path("execution/returns/<int:pk>/status/", execution.ReturnStatusView.as_view(), name="return-status"),
    path("execution/returns/<int:pk>/receive/", execution.ReceiveView.as_view(), name="return-receive"),
    path("execution/returns/<int:pk>/waybill/", execution.WaybillView.as_view(), name="return-waybill"),
    path("execution/dispositions/", execution.DispositionListView.as_view(), name="disposition-list"),
    path("execution/dispositions/<int:pk>/complete/", execution.DispositionCompleteView.as_view(),
         name="disposition-complete"),
    path("execution/work-orders/", execution.WorkOrderListView.as_view(), name="work-order-list"),
    path("execution/work-orders/<int:pk>/units/<int:unit>/result/", execution.UnitResultView.as_view(),
         name="work-order-result"),
    path("execution/work-orders/<int:pk>/evidence/", execution.EvidenceView.as_view(), name="work-order-evidence"),
    path("", include(router.urls)),
]
