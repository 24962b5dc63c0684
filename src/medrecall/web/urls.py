from django.urls import path

from . import trace_views, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("language/", views.set_language, name="set-language"),
    path("imports/", views.import_list, name="import-list"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/rejected.csv", views.import_rejected_rows, name="import-rejected"),
    path("imports/templates/<str:kind>.<str:fmt>", views.import_template, name="import-template"),
    path("trace/", trace_views.trace, name="trace"),
    path("scan/", trace_views.scan, name="scan"),
    path("events/", trace_views.event_list, name="event-list"),
    path("data/<slug:slug>/", views.entity_list, name="entity-list"),
    path("data/<slug:slug>/new/", views.entity_edit, name="entity-create"),
    path("data/<slug:slug>/<int:pk>/", views.entity_detail, name="entity-detail"),
    path("data/<slug:slug>/<int:pk>/edit/", views.entity_edit, name="entity-edit"),
]
