"""The quality closure finding: a recall that no CAPA names is flagged on its closure page
(information, not blocking: ISO 13485 8.5.2 wants the CAPA, the recall's units do not wait
for it). Registered in ``recalls.hooks.CLOSURE_CHECKS`` by ``QualityConfig.ready``."""

from __future__ import annotations

from django.utils.translation import gettext as _

from medrecall.recalls.hooks import Finding
from medrecall.recalls.models import RecallCase

from .models import Capa


def closure_findings(recall: RecallCase) -> list[Finding]:
    if Capa.objects.filter(recalls=recall).exists():
        return []
    return [
        Finding(
            "quality",
            _(
                "No CAPA is linked to this recall: open one (or link an existing one) with the "
                "root cause, the actions and their verification (ISO 13485 8.5.2)."
            ),
            blocking=False,
        )
    ]
