from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilingsConfig(AppConfig):
    name = "medrecall.filings"
    label = "filings"
    verbose_name = _("Regulatory filings")

    def ready(self) -> None:
        """Register the filings' closure blocker (docs/architecture.md, "Registries")."""
        from medrecall.core.registry import Lazy
        from medrecall.recalls.hooks import (
            CLOSURE_CHECKS,
            DEADLINE_DOCUMENTS,
            DEADLINE_DONE_SOURCES,
        )

        CLOSURE_CHECKS.register(
            "filings.summary_report", Lazy("medrecall.filings.closure.closure_findings")
        )
        CLOSURE_CHECKS.register(
            "filings.termination_request", Lazy("medrecall.filings.closure.termination_findings")
        )
        CLOSURE_CHECKS.register(
            "filings.sold_in_china", Lazy("medrecall.filings.closure.sold_in_china_findings")
        )
        DEADLINE_DOCUMENTS.register(
            "filings.documents", Lazy("medrecall.filings.documents.document_for_deadline")
        )
        DEADLINE_DONE_SOURCES.register(
            "filings.submitted", Lazy("medrecall.filings.selectors.deadlines_done_from_filings")
        )
        from medrecall.notices.fsn import FSCA_RECORDS

        FSCA_RECORDS.register("filings.eu", Lazy("medrecall.filings.eu.fsca_record"))
