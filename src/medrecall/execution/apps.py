from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


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

        from .closure import closure_findings

        on_closure_check("execution.accounting", closure_findings)
        from .baseline import handled_units

        on_scope_baseline("execution.handled", handled_units)
        from medrecall.parties.services import on_merge

        from .holders import on_party_merge, timeline_entries

        on_merge("execution", on_party_merge)

        if timeline_entries not in TIMELINE_SOURCES:
            TIMELINE_SOURCES.append(timeline_entries)
