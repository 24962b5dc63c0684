from django.urls import path

from . import recall_views, reply_views, trace_views, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("language/", views.set_language, name="set-language"),
    path("imports/", views.import_list, name="import-list"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/rejected.csv", views.import_rejected_rows, name="import-rejected"),
    path("imports/templates/<str:kind>.<str:fmt>", views.import_template, name="import-template"),
    path("recalls/", recall_views.recall_list, name="recall-list"),
    path("recalls/new/", recall_views.recall_open, name="recall-open"),
    path("recalls/due-this-week/", recall_views.due_this_week, name="recall-due-week"),
    path("recalls/<int:pk>/", recall_views.recall_detail, name="recall-detail"),
    path("recalls/<int:pk>/edit/", recall_views.recall_edit, name="recall-edit"),
    path("recalls/<int:pk>/hazard/", recall_views.recall_hazard, name="recall-hazard"),
    path("recalls/<int:pk>/classify/", recall_views.recall_classify, name="recall-classify"),
    path("recalls/<int:pk>/scope/rules/", recall_views.recall_scope_rule, name="recall-scope-rule"),
    path("recalls/<int:pk>/scope/rules/<int:rule>/remove/", recall_views.recall_scope_rule_remove,
         name="recall-scope-rule-remove"),
    path("recalls/<int:pk>/scope/freeze/", recall_views.recall_freeze, name="recall-freeze"),
    path("recalls/<int:pk>/transition/", recall_views.recall_transition, name="recall-transition"),
    path("recalls/<int:pk>/impact.xlsx", recall_views.recall_impact_xlsx, name="recall-impact-xlsx"),
    path("recalls/<int:pk>/sign/", recall_views.recall_sign, name="recall-sign"),
    path("recalls/<int:pk>/deadlines/done/", recall_views.recall_deadline_done, name="recall-deadline-done"),
    path("n/r/<str:token>/", reply_views.notice_reply, name="notice-reply"),
    path("n/r/<str:token>/acknowledge/", reply_views.notice_acknowledge, name="notice-acknowledge"),
    path("n/s/<str:token>/", reply_views.notice_survey, name="notice-survey"),
    path("n/o/<str:token>.gif", reply_views.notice_opened, name="notice-opened"),
    path("portal/notices/", reply_views.portal_notices, name="portal-notices"),
    path("portal/notices/<int:pk>/reply/", reply_views.portal_reply, name="portal-reply"),
    path("trace/", trace_views.trace, name="trace"),
    path("scan/", trace_views.scan, name="scan"),
    path("events/", trace_views.event_list, name="event-list"),
    path("data/<slug:slug>/", views.entity_list, name="entity-list"),
    path("data/<slug:slug>/new/", views.entity_edit, name="entity-create"),
    path("data/<slug:slug>/<int:pk>/", views.entity_detail, name="entity-detail"),
    path("data/<slug:slug>/<int:pk>/edit/", views.entity_edit, name="entity-edit"),
]
