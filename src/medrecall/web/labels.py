"""The words a page shows for a stored code that has no ``get_FOO_display`` of its own.

Model fields with choices use ``get_FOO_display``; values that reach a template without their
model (selector rows, dataclasses, dict keys of a summary, codes stored as plain text such as
an approval step or a regime class) are looked up here, by vocabulary. Every vocabulary reuses
the labels its context defines (``TextChoices``, ``TRACE_CATEGORIES``, the importer registry);
only codes that have no label elsewhere are labelled in this module."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from medrecall.accounts.roles import ROLE_LABELS
from medrecall.core.registry import importer_kinds
from medrecall.parties.models import LocationType, PartyType
from medrecall.recalls.approvals import STEP_LABELS
from medrecall.recalls.models import REGIME_CLASSES, Category, Regime
from medrecall.traceability.models import EventType
from medrecall.traceability.selectors import TRACE_CATEGORIES

__all__ = ["VOCABULARIES", "approval_step_label", "label_for"]

# Approval steps are rows administrators may add; the seeded ones get words here, others show
# the label stored with the step.
APPROVAL_STEPS: dict[str, Promise] = STEP_LABELS

# A deadline's state on a recall's clock (recalls.clock.Status).
DEADLINE_STATES: dict[str, Promise] = {
    "done": pgettext_lazy("deadline state", "Met"),
    "open": pgettext_lazy("deadline state", "Pending"),
    "due_soon": pgettext_lazy("deadline state", "Due soon"),
    "breached": pgettext_lazy("deadline state", "Overdue"),
    "not_owed": pgettext_lazy("deadline state", "Not owed"),
}

# A recall class under each regime; NMPA levels and FDA classes are Roman numerals already.
REGIME_CLASS_LABELS: dict[str, Promise] = {
    "fsca": _("FSCA (field safety corrective action)"),
}


def _regime_classes() -> Mapping[str, Promise | str]:
    found: dict[str, Promise | str] = {
        code: code for classes in REGIME_CLASSES.values() for code, _label in classes
    }
    found.update(REGIME_CLASS_LABELS)
    return found


VOCABULARIES: dict[str, Callable[[], Mapping[str, Promise | str]]] = {
    "party_type": lambda: dict(PartyType.choices),
    "location_type": lambda: dict(LocationType.choices),
    "event_type": lambda: dict(EventType.choices),
    "trace_category": lambda: {**dict(Category.choices), **TRACE_CATEGORIES},
    "regime": lambda: dict(Regime.choices),
    "regime_class": _regime_classes,
    "approval_step": lambda: APPROVAL_STEPS,
    "deadline_state": lambda: DEADLINE_STATES,
    "role": lambda: ROLE_LABELS,
    "import_kind": lambda: {
        kind: label for kind, (_importer, label, _permission) in importer_kinds().items()
    },
}


def approval_step_label(step: object) -> str:
    """An approval step row: the words for a seeded step, else the label stored with it."""
    code = getattr(step, "step", "")
    return label_for("approval_step", code, default=str(getattr(step, "label", "") or code))


def label_for(vocabulary: str, code: object, *, default: str | None = None) -> str:
    """The label of ``code`` in ``vocabulary``; ``default`` (or the code) when it has none."""
    if code is None or code == "":
        return ""
    labels = VOCABULARIES[vocabulary]()
    label = labels.get(str(code))
    if label is None:
        return default if default is not None else str(code)
    return str(label)
