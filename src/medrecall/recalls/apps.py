from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from medrecall.core.apps import model_migrated

DEFAULT_APPROVAL_STEPS = (
    # regime, class, step, label; Class I and EU FSCAs need QA and RA heads, others QA head
    ("nmpa", "I", "qa_head", "QA head"),
    ("nmpa", "I", "ra_head", "RA head"),
    ("nmpa", "II", "qa_head", "QA head"),
    ("nmpa", "III", "qa_head", "QA head"),
    ("fda", "I", "qa_head", "QA head"),
    ("fda", "I", "ra_head", "RA head"),
    ("fda", "II", "qa_head", "QA head"),
    ("fda", "III", "qa_head", "QA head"),
    ("eu_mdr", "fsca", "qa_head", "QA head"),
    ("eu_mdr", "fsca", "ra_head", "RA head"),
)


def _seed_approval_steps(sender: AppConfig, **kwargs: Any) -> None:
    """Give a new installation the default approval steps once; after that they are the
    administrators' to change (admin → Approval steps)."""
    from .models import ApprovalStep

    if not model_migrated(kwargs, "recalls", "ApprovalStep"):
        return
    using = kwargs.get("using", "default")
    if not ApprovalStep.objects.using(using).exists():
        ApprovalStep.objects.using(using).bulk_create(
            ApprovalStep(
                regime=regime,
                recall_class=recall_class,
                step=step,
                label=label,
                group="qa_ra_manager",
            )
            for regime, recall_class, step, label in DEFAULT_APPROVAL_STEPS
        )


class RecallsConfig(AppConfig):
    name = "medrecall.recalls"
    label = "recalls"
    verbose_name = _("Recalls")

    def ready(self) -> None:
        post_migrate.connect(
            _seed_approval_steps, sender=self, dispatch_uid="medrecall_approval_steps"
        )
