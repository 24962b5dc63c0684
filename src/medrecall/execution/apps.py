from typing import TYPE_CHECKING, Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from medrecall.notices.selectors import TimelineEntry
    from medrecall.parties.models import Party
    from medrecall.recalls.hooks import Finding
    from medrecall.recalls.models import RecallCase


# The hooks below import their module when they first run: the accounting selectors and the
# holders' code (with notices' services, which it calls) are not needed to start a command.
def _closure_findings(recall: "RecallCase") -> "list[Finding]":
    from .closure import closure_findings

    return closure_findings(recall)


def _merge_holders(source: "Party", target: "Party", actor: Any) -> dict[str, Any]:
    from .holders import on_party_merge

    return on_party_merge(source, target, actor)


def _timeline_entries(party_id: int) -> "list[TimelineEntry]":
    from .holders import timeline_entries

    return timeline_entries(party_id)


class ExecutionConfig(AppConfig):
    name = "medrecall.execution"
    label = "execution"
    verbose_name = _("Execution")

    def ready(self) -> None:
        from medrecall.notices.selectors import TIMELINE_SOURCES
        from medrecall.recalls.hooks import on_scope_baseline, on_scope_frozen, on_transition
        from medrecall.traceability import custody

        from .holds import HOLD_GUARD, QUARANTINE_GUARD, on_recall_transition
        from .holds import on_scope_frozen as hold_new_scope

        custody.register(HOLD_GUARD)
        custody.register(QUARANTINE_GUARD)
        on_transition("execution.holds", on_recall_transition)
        on_scope_frozen("execution.holds", hold_new_scope)
        from medrecall.recalls.hooks import on_closure_check

        on_closure_check("execution.accounting", _closure_findings)
        from .baseline import handled_units

        on_scope_baseline("execution.handled", handled_units)
        from medrecall.parties.services import on_merge

        on_merge("execution", _merge_holders)

        if _timeline_entries not in TIMELINE_SOURCES:
            TIMELINE_SOURCES.append(_timeline_entries)
