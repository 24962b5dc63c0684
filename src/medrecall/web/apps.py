from django.apps import AppConfig
from django.contrib.admin.apps import SimpleAdminConfig
from django.contrib.admin.checks import check_admin_app, check_dependencies
from django.core import checks
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "medrecall.web"
    label = "web"
    verbose_name = _("Web interface")


class AdminConfig(SimpleAdminConfig):
    """Django's admin, whose ``admin.py`` modules load with the URL conf (``medrecall/urls.py``
    calls ``admin.autodiscover()``) instead of at every start: a command (``medrecall trace``)
    then does not import every context's admin, its forms and the services they call.

    The admin's system checks still see every registered model: they discover first."""

    def ready(self) -> None:
        # SimpleAdminConfig.ready, with the app check discovering the admin modules first.
        checks.register(check_dependencies, checks.Tags.admin)
        checks.register(check_discovered_admin, checks.Tags.admin)


def check_discovered_admin(
    app_configs: object = None, **kwargs: object
) -> list[checks.CheckMessage]:
    from django.contrib import admin

    admin.autodiscover()
    return check_admin_app(app_configs, **kwargs)  # type: ignore[arg-type]
