from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import trace, views

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
    path("", include(router.urls)),
]
