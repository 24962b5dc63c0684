"""What FDA sends back about a recall, recorded on the case's FDA regime: FDA's own
classification (21 CFR 7.41: FDA assigns the class), the recall event id and a Z-number per
product (the recall number FDA gives each product in the Enforcement Report). One audited
action; the filings print them once recorded."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit

from .errors import FdaRecordInvalid, RegimeMissing
from .models import RecallCase, RecallRegime, Regime

CLASSES = ("I", "II", "III")
# FDA writes a product's recall number as Z-NNNN-YYYY (the sequence, then the fiscal year).
Z_NUMBER = re.compile(r"Z-\d{4}-\d{4}")
EVENT_ID = re.compile(r"\d{1,10}")


def fda_regime(recall: RecallCase) -> RecallRegime | None:
    return next((r for r in recall.regimes.all() if r.regime == Regime.FDA), None)


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


@transaction.atomic
def fda_record(
    *,
    recall: RecallCase,
    actor: User,
    classification: str = "",
    event_id: str = "",
    z_numbers: dict[str, str] | None = None,
    classified_on: date | None = None,
) -> RecallRegime:
    """Record (or correct) what FDA sent: its class, the event id and the Z-numbers by device
    model code. Refused with every problem named; a value left empty keeps the one recorded."""
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
    cleaned = {str(k).strip(): str(v).strip().upper() for k, v in (z_numbers or {}).items()}
    if found := _problems(recall, classification, event_id, cleaned):
        raise FdaRecordInvalid(" ".join(found), details=found)
    before: dict[str, Any] = {
        "fda_class": regime.fda_class,
        "fda_event_id": regime.fda_event_id,
        "fda_z_numbers": regime.fda_z_numbers,
        "fda_classified_on": regime.fda_classified_on.isoformat()
        if regime.fda_classified_on
        else None,
    }
    merged = {row["model_code"]: row["z_number"] for row in regime.fda_z_numbers} | cleaned
    regime.fda_class = classification or regime.fda_class
    regime.fda_event_id = event_id or regime.fda_event_id
    regime.fda_z_numbers = [{"model_code": k, "z_number": v} for k, v in sorted(merged.items())]
    regime.fda_classified_on = classified_on or regime.fda_classified_on
    after: dict[str, Any] = {
        "fda_class": regime.fda_class,
        "fda_event_id": regime.fda_event_id,
        "fda_z_numbers": regime.fda_z_numbers,
        "fda_classified_on": regime.fda_classified_on.isoformat()
        if regime.fda_classified_on
        else None,
    }
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if not changes:
        return regime
    regime.save(update_fields=["fda_class", "fda_event_id", "fda_z_numbers", "fda_classified_on"])
    audit.record(actor=actor, action="recalls.fda_recorded", target=recall, changes=changes)
    return regime
