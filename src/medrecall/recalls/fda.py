"""What FDA sends back about a recall, recorded on the case's FDA regime: FDA's own
classification (21 CFR 7.41: FDA assigns the class), the recall event id and a Z-number per
product (the recall number FDA gives each product in the Enforcement Report). One audited
action; the filings print them once recorded."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.core.presentation import joined

from .errors import FdaRecordInvalid, RegimeMissing
from .models import RecallCase, RecallRegime, Regime

CLASSES = ("I", "II", "III")
# FDA writes a product's recall number as Z-NNNN-YYYY (the sequence, then the fiscal year).
Z_NUMBER = re.compile(r"Z-\d{4}-\d{4}")
EVENT_ID = re.compile(r"\d{1,10}")


def fda_regime(recall: RecallCase) -> RecallRegime | None:
    return next((r for r in recall.regimes.all() if r.regime == Regime.FDA), None)


# What separates one Z-number from the next in a typed list, and a model from its Z-number.
_ITEMS = re.compile(r"[,，;；、\n]+")
_PAIR = re.compile(r"\s*[=＝:：]\s*|\s+")
EXAMPLE_Z = "Z-0001-2027"


def z_number_entries(text: str) -> list[tuple[str, str]]:
    """Z-numbers as people type them: ``MODEL=Z-NNNN-YYYY`` (or ``MODEL: …``, ``MODEL …``),
    separated by commas, semicolons or lines; a Z-number alone gives an empty model code, which
    ``fda_record`` reads as the recall's only device model."""
    found = []
    for item in _ITEMS.split(text):
        if not item.strip():
            continue
        parts = _PAIR.split(item.strip(), maxsplit=1)
        found.append((parts[0], parts[1]) if len(parts) == 2 else ("", parts[0]))
    return found


def _by_model(
    recall: RecallCase, models: list[str], entries: list[tuple[str, str]]
) -> tuple[dict[str, str], list[str]]:
    """The Z-numbers by device model code: one without a model is the only model's; every
    entry that cannot be placed is named, with the form to use and an example."""
    given: dict[str, list[str]] = {}
    found = []
    for model, number in entries:
        if not model and len(models) == 1:
            model = models[0]
        if not model:
            example = f"{models[0] if models else 'MODEL'}={number if Z_NUMBER.fullmatch(number) else EXAMPLE_Z}"
            found.append(
                _(
                    "Z-number %(value)s does not say which device model it is for: write each as"
                    " MODEL=Z-NNNN-YYYY, e.g. %(example)s (device models of recall %(recall)s:"
                    " %(models)s)."
                )
                % {
                    "value": number,
                    "example": example,
                    "recall": recall.number,
                    "models": joined(models) or "—",
                }
            )
            continue
        given.setdefault(model, []).append(number)
    for model, numbers in given.items():
        if len(set(numbers)) > 1:
            found.append(
                _("%(model)s is given %(values)s: FDA gives one Z-number per device model.")
                % {"model": model, "values": joined(sorted(set(numbers)))}
            )
    return {model: numbers[-1] for model, numbers in given.items()}, found


def _problems(
    recall: RecallCase, classification: str, event_id: str, z_numbers: dict[str, str]
) -> list[str]:
    found = []
    if classification and classification not in CLASSES:
        found.append(
            _("FDA classification %(value)s is unknown; use I, II or III.")
            % {"value": classification}
        )
    if event_id and not EVENT_ID.fullmatch(event_id):
        found.append(
            _("The FDA recall event id %(value)s is not a number (e.g. 95123).")
            % {"value": event_id}
        )
    models = set(recall.products.values_list("model_code", flat=True))
    for model, number in sorted(z_numbers.items()):
        if model not in models:
            found.append(
                _("%(model)s is not a device model of recall %(recall)s.")
                % {"model": model, "recall": recall.number}
            )
        if not Z_NUMBER.fullmatch(number):
            found.append(
                _("Z-number %(value)s of %(model)s is not in FDA's form Z-NNNN-YYYY.")
                % {"value": number, "model": model}
            )
    return found


def recorded(regime: RecallRegime) -> dict[str, Any]:
    """What is recorded of FDA's on the regime, as the audit entry writes it (compare two of
    these to know whether a save changed anything)."""
    return {
        "fda_class": regime.fda_class,
        "fda_event_id": regime.fda_event_id,
        "fda_z_numbers": list(regime.fda_z_numbers),
        "fda_classified_on": regime.fda_classified_on.isoformat()
        if regime.fda_classified_on
        else None,
        "fda_class_kept_reason": regime.fda_class_kept_reason,
    }


def class_difference(regime: RecallRegime | None) -> str | None:
    """The warning when FDA's own classification differs from the class the case holds for
    FDA (21 CFR 7.41: FDA's class is the one that stands): the case is not changed silently;
    the RA manager re-classifies it or records why it stays. None when they agree or FDA has
    not classified."""
    if regime is None or not regime.fda_class or regime.fda_class == regime.recall_class:
        return None
    if regime.recall_class and regime.fda_class_kept_reason:
        return None  # why the case keeps its class is recorded: ``class_kept_note``
    if not regime.recall_class:
        return _(
            "FDA classified this recall Class %(fda_class)s; the case has no FDA class yet:"
            " classify the case."
        ) % {"fda_class": regime.fda_class}
    return _(
        "FDA classified this recall Class %(fda_class)s; the case says Class %(case_class)s:"
        " re-classify the case or record why."
    ) % {"fda_class": regime.fda_class, "case_class": regime.recall_class}


def class_kept_note(regime: RecallRegime | None) -> str | None:
    """Where FDA's class differs and the reason the case keeps its own is recorded: a calm note
    quoting it (instead of ``class_difference``'s warning)."""
    if (
        regime is None
        or not regime.fda_class
        or not regime.recall_class
        or regime.fda_class == regime.recall_class
        or not regime.fda_class_kept_reason
    ):
        return None
    return _(
        "FDA classified this recall Class %(fda_class)s; the case keeps Class %(case_class)s."
        " Why: %(reason)s"
    ) % {
        "fda_class": regime.fda_class,
        "case_class": regime.recall_class,
        "reason": regime.fda_class_kept_reason,
    }


@transaction.atomic
def fda_record(
    *,
    recall: RecallCase,
    actor: User,
    classification: str = "",
    event_id: str = "",
    z_numbers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    classified_on: date | None = None,
    class_kept_reason: str = "",
) -> RecallRegime:
    """Record (or correct) what FDA sent: its class, the event id and the Z-numbers by device
    model code (a Z-number with no model code is the recall's only device model's). Refused
    with every problem named, and when nothing at all is given; a value left empty keeps the
    one recorded. FDA's class is recorded as FDA's: the case's own class is not changed
    (``class_difference`` warns when they differ) until the RA manager re-classifies it, or
    records why it stays (``class_kept_reason``, either language; refused while the classes
    agree; cleared when FDA's class changes)."""
    recall = RecallCase.objects.select_for_update().get(pk=recall.pk)
    regime = RecallRegime.objects.select_for_update().filter(recall=recall, regime="fda").first()
    if regime is None:
        raise RegimeMissing(
            _("Recall %(recall)s has no FDA regime: there is nothing of FDA's to record.")
            % {"recall": recall.number},
            where="regime",
        )
    classification = classification.strip().upper()
    event_id = event_id.strip()
    entries = z_numbers.items() if isinstance(z_numbers, Mapping) else (z_numbers or [])
    models = list(recall.products.order_by("model_code").values_list("model_code", flat=True))
    cleaned, unplaced = _by_model(
        recall,
        models,
        [(str(k).strip(), str(v).strip().upper()) for k, v in entries],
    )
    class_kept_reason = class_kept_reason.strip()
    if not (classification or event_id or entries or classified_on or class_kept_reason):
        message = _(
            "Nothing to record: give FDA's classification, the date FDA classified the recall,"
            " the FDA recall event id or a Z-number."
        )
        raise FdaRecordInvalid(message, details=[message])
    found = [*_problems(recall, classification, event_id, cleaned), *unplaced]
    fda_class = classification or regime.fda_class
    if class_kept_reason and (not fda_class or fda_class == regime.recall_class):
        found.append(
            _(
                "FDA's class and the case's class agree (or FDA has not classified): there is no"
                " difference to explain."
            )
        )
    if found:
        raise FdaRecordInvalid(" ".join(found), details=found)
    before = recorded(regime)
    merged = {row["model_code"]: row["z_number"] for row in regime.fda_z_numbers} | cleaned
    if fda_class != regime.fda_class:
        regime.fda_class_kept_reason = ""  # the reason answered FDA's earlier class
    regime.fda_class = fda_class
    regime.fda_class_kept_reason = class_kept_reason or regime.fda_class_kept_reason
    regime.fda_event_id = event_id or regime.fda_event_id
    regime.fda_z_numbers = [{"model_code": k, "z_number": v} for k, v in sorted(merged.items())]
    regime.fda_classified_on = classified_on or regime.fda_classified_on
    after = recorded(regime)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if not changes:
        return regime
    regime.save(
        update_fields=[
            "fda_class",
            "fda_event_id",
            "fda_z_numbers",
            "fda_classified_on",
            "fda_class_kept_reason",
        ]
    )
    audit.record(actor=actor, action="recalls.fda_recorded", target=recall, changes=changes)
    return regime
