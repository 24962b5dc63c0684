from typing import TYPE_CHECKING, Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from medrecall.core.apps import model_migrated

if TYPE_CHECKING:
    from medrecall.accounts.models import User
    from medrecall.core.types import Actor
    from medrecall.parties.models import Party
    from medrecall.recalls.models import RecallCase


def _seed_templates(sender: AppConfig, **kwargs: Any) -> None:
    """Give a new installation the approved standard templates once (regime × language ×
    kind); from then on QA/RA edit them as new versions."""
    from .defaults import seed_templates

    if not model_migrated(kwargs, "notices", "NoticeTemplate"):
        return
    seed_templates(using=kwargs.get("using", "default"))


# The hooks below import their module when they first run: notices.services (and the mail,
# document and content code it loads) is not needed to start a command that never uses it.
def _tell_holders(recall: "RecallCase", actor: "User") -> None:
    from .updates import on_scope_frozen

    on_scope_frozen(recall, actor)


def _merge_relations(source: "Party", target: "Party", actor: "Actor") -> dict[str, Any]:
    from .relations import on_party_merge

    return on_party_merge(source, target, actor)


class NoticesConfig(AppConfig):
    name = "medrecall.notices"
    label = "notices"
    verbose_name = _("Notices")

    def ready(self) -> None:
        post_migrate.connect(
            _seed_templates, sender=self, dispatch_uid="medrecall_notice_templates"
        )
        from medrecall.parties.services import MERGE_STEPS
        from medrecall.recalls.hooks import CLOSURE_CHECKS, SCOPE_HOOKS

        from . import closure

        CLOSURE_CHECKS.register("notices.replies", closure.closure_findings)
        SCOPE_HOOKS.register("notices.updates", _tell_holders)
        MERGE_STEPS.register("notices", _merge_relations)
