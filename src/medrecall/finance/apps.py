from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "medrecall.finance"
    label = "finance"
    verbose_name = _("Finance")

    def ready(self) -> None:
        """Register what finance adds to the lower contexts' registries (docs/architecture.md,
        "Registries"): the costs of returns, dispositions, work orders, offers and letters are
        posted by a task queued once their change has committed."""
        from medrecall.core.registry import Lazy
        from medrecall.execution.hooks import AFTER_COMMIT as EXECUTION_DONE
        from medrecall.notices.hooks import AFTER_COMMIT as NOTICES_DONE

        # Lazy: the task module (and the postings it reads) loads when a cost is first due.
        EXECUTION_DONE.register("finance.postings", Lazy("medrecall.finance.tasks.on_happened"))
        NOTICES_DONE.register("finance.postings", Lazy("medrecall.finance.tasks.on_happened"))
