"""Project URL wiring only: each context's pages and API live in its own module."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from medrecall.web import views as web_views

# Every context's admin.py registers its models here, when the URL conf loads (the web server,
# the tests' client, the system checks), not at every start of a command (web/apps.py).
admin.autodiscover()

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("medrecall.api.urls")),
    path("", include("medrecall.web.urls")),
]

# Under /api/ these answer JSON (medrecall.api.errors), elsewhere the web's HTML pages.
handler400 = "medrecall.handlers.bad_request"
handler403 = "medrecall.handlers.permission_denied"
handler404 = "medrecall.handlers.page_not_found"
handler500 = "medrecall.handlers.server_error"
