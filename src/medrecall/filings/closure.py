"""What filings say about closing a recall (registered in ``recalls.hooks.CLOSURE_CHECKS``).

A recall with the NMPA regime closes only once its 召回总结评估报告 (document
``nmpa.summary_report``, NMPA Order No. 29, Art. 22) is submitted: some version of it marked
submitted with the authority's acknowledgement. The finding is listed with every other reason."""

from __future__ import annotations

from django.utils.translation import gettext as _

from medrecall.recalls.hooks import Finding
from medrecall.recalls.models import RecallCase
from medrecall.recalls.selectors import sold_in_china_warning

from .models import Filing, FilingStatus
from .selectors import fda_owed, no_fda_filings_note

SUMMARY = "nmpa.summary_report"


def closure_findings(recall: RecallCase) -> list[Finding]:
    if not recall.regimes.filter(regime="nmpa").exists():
        return []
    if Filing.objects.filter(
        recall=recall, doc_type=SUMMARY, status=FilingStatus.SUBMITTED
    ).exists():
        return []
    return [
        Finding(
            "filings",
            _(
                "The NMPA recall summary evaluation report (召回总结评估报告) is not submitted: "
                "generate it, check, sign and submit it."
            ),
        )
    ]


TERMINATION = "fda.termination_request"


def termination_findings(recall: RecallCase) -> list[Finding]:
    """A recall with the FDA regime is closed (or terminated) only once its request to
    terminate (21 CFR 7.55) is submitted; one with no US consignee in its frozen scope owes FDA
    nothing (``selectors.without_us_consignees``): said, not blocking."""
    if not recall.regimes.filter(regime="fda").exists():
        return []
    if not fda_owed(recall):
        return [Finding("filings", no_fda_filings_note(), blocking=False)]
    if Filing.objects.filter(
        recall=recall, doc_type=TERMINATION, status=FilingStatus.SUBMITTED
    ).exists():
        return []
    return [
        Finding(
            "filings",
            _(
                "The request to terminate the FDA recall (21 CFR 7.55) is not submitted: "
                "generate it, check, sign and submit it."
            ),
        )
    ]


def sold_in_china_findings(recall: RecallCase) -> list[Finding]:
    """A recall without the NMPA regime of a device also sold in China: for information (the
    NMPA event report is due even with zero Chinese units), listed with the closure findings."""
    warning = sold_in_china_warning(recall)
    return [Finding("filings", warning, blocking=False)] if warning else []
