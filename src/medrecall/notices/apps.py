from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from medrecall.core.apps import model_migrated


def _seed_templates(sender: AppConfig, **kwargs: Any) -> None:
    """Give a new installation the approved standard templates once (regime × language ×
    kind); from then on QA/RA edit them as new versions."""
    from .defaults import seed_templates

    if not model_migrated(kwargs, "notices", "NoticeTemplate"):
        return
    seed_templates(using=kwargs.get("using", "default"))


class NoticesConfig(AppConfig):
    name = "medrecall.notices"
    label = "notices"
    verbose_name = _("Notices")

    def ready(self) -> None:
        post_migrate.connect(
            _seed_templates, sender=self, dispatch_uid="medrecall_notice_templates"
        )
        from medrecall.core.registry import Lazy
        from medrecall.parties.services import MERGE_STEPS
        from medrecall.recalls.hooks import CLOSURE_CHECKS, DEADLINE_DONE_SOURCES, SCOPE_HOOKS

        from . import closure

        # Lazy: updates and relations load the mail and document code, which a command that
        # never tells holders or merges parties does not need at start-up.
        CLOSURE_CHECKS.register("notices.replies", closure.closure_findings)
        SCOPE_HOOKS.register("notices.updates", Lazy("medrecall.notices.updates.on_scope_frozen"))
        MERGE_STEPS.register("notices", Lazy("medrecall.notices.relations.on_party_merge"))
        DEADLINE_DONE_SOURCES.register(
            "notices.notify_by", Lazy("medrecall.notices.notify_by.done_from_records")
        )
