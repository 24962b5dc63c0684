from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender: AppConfig, **kwargs: Any) -> None:
    from django.apps import apps

    from .roles import roles_sync

    # Permissions are created app by app after migrate; sync once the last app has its own.
    with_models = [
        config.label for config in apps.get_app_configs() if config.models_module is not None
    ]
    if sender.label == with_models[-1]:
        roles_sync(using=kwargs.get("using", "default"))


# These receivers import their module when a signal first arrives (a log-in, a lock-out):
# the lock-out code and the session middleware are not needed to start a command.
def _locked_out(sender: Any, **kwargs: Any) -> None:
    from .lockout import on_user_locked_out

    on_user_locked_out(sender, **kwargs)


def _logged_in(sender: Any, **kwargs: Any) -> None:
    from .middleware import session_started

    session_started(sender, **kwargs)


class AccountsConfig(AppConfig):
    name = "medrecall.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Groups need the permissions Django creates after migrating; keep them in step.
        post_migrate.connect(_sync_roles, dispatch_uid="medrecall_roles_sync")
        from axes.signals import user_locked_out

        user_locked_out.connect(_locked_out, dispatch_uid="medrecall_login_locked")
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_logged_in, dispatch_uid="medrecall_session_started")
