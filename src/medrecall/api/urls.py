from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("device-models", views.DeviceModelViewSet, basename="devicemodel")
router.register("lots", views.LotViewSet, basename="lot")
router.register("serials", views.SerialViewSet, basename="serial")
router.register("parties", views.PartyViewSet, basename="party")
router.register("locations", views.LocationViewSet, basename="location")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("imports", views.ImportRunViewSet, basename="importrun")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("imports/start/", views.ImportStartView.as_view(), name="import-start"),
    path("", include(router.urls)),
]
