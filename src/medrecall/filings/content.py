"""The values a filing is generated from, read from the recall's own data: the frozen scope
(latest snapshot), the catalogue, the hazard evaluation, the cockpit's figures
(``reporting.progress``, never counted again here) and the parties' provinces. Everything
returned is plain JSON (codes, numbers, both languages of a text) and is frozen on the filing;
the words around the values come in the reader's language when the filing is rendered."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pycountry
from django.conf import settings
from django.db.models import F, Sum

from medrecall.parties.models import Party, PartyType
from medrecall.recalls.models import AffectedLine, HazardEvaluation, RecallCase, ScopeSnapshot

CN = "CN"


def _both(recall: RecallCase, field: str) -> dict[str, str]:
    return {"zh": recall.text_for(field, "zh-hans"), "en": recall.text_for(field, "en")}


def _snapshot(recall: RecallCase) -> ScopeSnapshot | None:
    return recall.snapshots.order_by("-sequence").first()


def level(recall: RecallCase) -> str:
    """The recall's NMPA level (I, II, III), or "" when not classified."""
    return next(
        (r.recall_class for r in recall.regimes.all() if r.regime == "nmpa" and r.recall_class), ""
    )


def header(recall: RecallCase) -> dict[str, Any]:
    """What every document carries: the recall, the company, the device models, the level."""
    company = settings.MEDRECALL_COMPANY
    return {
        "recall_number": recall.number,
        "title": _both(recall, "title"),
        "reason": _both(recall, "reason"),
        "defect": _both(recall, "defect_description"),
        "hazard": _both(recall, "hazard_description"),
        "action_type": recall.action_type,
        "level": level(recall),
        "decision_at": recall.decision_at.isoformat() if recall.decision_at else "",
        "completed_at": recall.completed_at.isoformat() if recall.completed_at else "",
        "company": {
            k: str(company.get(k, ""))
            for k in ("name", "address", "phone", "email", "name_zh", "address_zh")
        },
        "products": [
            {
                "model_code": m.model_code,
                "name": m.name,
                "name_en": m.name_en,
                "registration_no": m.registration_no,
                "udi_di": m.udi_di,
            }
            for m in recall.products.order_by("model_code")
        ],
    }


def _udi(udi_di: str, lot: str, serial: str) -> str:
    """The UDI in GS1 human-readable form: DI with the lot or serial that identifies the unit."""
    pi = f"(21){serial}" if serial else f"(10){lot}"
    return f"(01){udi_di}{pi}" if udi_di else ""


def identification(snapshot: ScopeSnapshot | None) -> list[dict[str, Any]]:
    """Lots, serials and UDIs of the frozen scope, with units per lot/serial (one query)."""
    if snapshot is None:
        return []
    rows = (
        AffectedLine.objects.filter(snapshot=snapshot)
        .values(
            model_code=F("lot__device_model__model_code"),
            udi_di=F("lot__device_model__udi_di"),
            lot_number=F("lot__number"),
            serial_number=F("serial__serial"),
            manufactured_on=F("lot__manufactured_on"),
            expires_on=F("lot__expires_on"),
        )
        .annotate(units=Sum(F("on_hand") + F("in_transit")))
        .order_by("model_code", "lot_number", "serial_number")
    )
    return [
        {
            "model_code": r["model_code"],
            "udi_di": r["udi_di"],
            "lot": r["lot_number"],
            "serial": r["serial_number"] or "",
            "udi": _udi(r["udi_di"], r["lot_number"], r["serial_number"] or ""),
            "manufactured_on": r["manufactured_on"].isoformat() if r["manufactured_on"] else "",
            "expires_on": r["expires_on"].isoformat() if r["expires_on"] else "",
            "units": r["units"] or 0,
        }
        for r in rows
    ]


def lots(snapshot: ScopeSnapshot | None) -> list[dict[str, Any]]:
    """Each lot of the frozen scope with its quantity produced (None when not recorded)."""
    if snapshot is None:
        return []
    rows = (
        AffectedLine.objects.filter(snapshot=snapshot)
        .values(
            model_code=F("lot__device_model__model_code"),
            lot_number=F("lot__number"),
            produced=F("lot__quantity_produced"),
        )
        .annotate(units=Sum(F("on_hand") + F("in_transit")))
        .order_by("model_code", "lot_number")
    )
    return [
        {
            "model_code": r["model_code"],
            "lot": r["lot_number"],
            "quantity_produced": r["produced"],
            "units": r["units"] or 0,
        }
        for r in rows
    ]


def distribution(snapshot: ScopeSnapshot | None) -> dict[str, Any]:
    """Units in scope, in China, at holders (sold), and the countries and Chinese provinces."""
    if snapshot is None:
        return {
            "units": 0,
            "units_china": 0,
            "units_sold": 0,
            "holders": 0,
            "countries": [],
            "provinces": [],
        }
    lines = AffectedLine.objects.filter(snapshot=snapshot)
    units = F("on_hand") + F("in_transit")
    china = lines.filter(location__country=CN).aggregate(n=Sum(units))["n"] or 0
    sold = lines.exclude(party__party_type=PartyType.OWN_SITE)
    countries = sorted(
        {c for c in lines.values_list("location__country", flat=True).distinct() if c}
    )
    provinces = sorted(
        {
            (code, name)
            for code, name in lines.filter(location__country=CN)
            .values_list("location__province_code", "location__province")
            .distinct()
            if code
        }
    )
    return {
        "units": snapshot.total_units,
        "units_china": china,
        "units_sold": sold.aggregate(n=Sum(units))["n"] or 0,
        "holders": sold.values("party_id").distinct().count(),
        "countries": countries,
        "provinces": [{"code": code, "name": name} for code, name in provinces],
    }


def assessment(recall: RecallCase) -> dict[str, Any] | None:
    """The hazard evaluation as the assessment result (None when not evaluated)."""
    evaluation = HazardEvaluation.objects.filter(recall=recall).first()
    if evaluation is None:
        return None
    return {
        "severity": evaluation.severity,
        "likelihood": evaluation.likelihood,
        "injuries_reported": evaluation.injuries_reported,
        "deaths_reported": evaluation.deaths_reported,
        "populations_at_risk": evaluation.populations_at_risk,
        "consequences": evaluation.consequences,
    }


def _province_en(code: str, fallback: str) -> str:
    found = pycountry.subdivisions.get(code=code) if code else None  # type: ignore[no-untyped-call]
    if found is None:
        return fallback
    name = str(found.name)
    for suffix in (" Sheng", " Shi", " Zizhiqu"):
        name = name.removesuffix(suffix)
    return name


def authority(code: str, name: str) -> dict[str, str]:
    """The provincial medical products administration of a Chinese province."""
    return {
        "zh": f"{name}药品监督管理局",
        "en": f"{_province_en(code, name)} Medical Products Administration",
        "province": code,
    }


def registrant_province() -> tuple[str, str] | None:
    """Where the registrant sits: the province of our own site (the first by code in China)."""
    own = (
        Party.objects.filter(party_type=PartyType.OWN_SITE, country=CN)
        .exclude(province_code="")
        .order_by("code")
        .values_list("province_code", "province")
        .first()
    )
    return (own[0], own[1]) if own else None


def addressees(recall: RecallCase, *, with_places: bool) -> list[dict[str, str]]:
    """The provincial MPA of the registrant and, where different (``with_places``), those of
    the provinces where the affected units are (Art. 16: the authorities a filing goes to)."""
    found: dict[str, dict[str, str]] = {}
    if (home := registrant_province()) is not None:
        found[home[0]] = authority(*home)
    if with_places:
        snapshot = _snapshot(recall)
        for place in distribution(snapshot)["provinces"] if snapshot else []:
            found.setdefault(place["code"], authority(place["code"], place["name"]))
    return list(found.values())


def scope_values(recall: RecallCase) -> dict[str, Any]:
    snapshot = _snapshot(recall)
    return {
        "snapshot": snapshot.sequence if snapshot else None,
        "identification": identification(snapshot),
        "lots": lots(snapshot),
        "distribution": distribution(snapshot),
    }


def progress_values(recall: RecallCase) -> dict[str, Any]:
    """The cockpit's figures (``reporting.progress.recall_progress``), as they are now."""
    from medrecall.reporting.progress import recall_progress

    figures = recall_progress(recall)
    stages = {stage.key: stage for stage in figures.funnel}

    def units(key: str) -> int:
        return stages[key].units if key in stages else 0

    def holders(key: str) -> int:
        found = stages[key].holders if key in stages else 0
        return found or 0

    by_type: dict[str, dict[str, int]] = defaultdict(dict)
    for row in figures.by_party_type:
        by_type[row.key] = {
            "holders": row.holders,
            "units": row.units,
            "acknowledged": row.acknowledged,
        }
    return {
        "computed_at": figures.computed_at.isoformat(),
        "snapshot": figures.snapshot,
        "units": figures.units,
        "holders": figures.holders,
        "holders_notified": holders("notified"),
        "holders_delivered": holders("delivered"),
        "holders_acknowledged": holders("acknowledged"),
        "units_notified": units("notified"),
        "units_recovered": units("recovered"),
        "units_dispositioned": units("dispositioned"),
        "still_at_holders": figures.still_at_holders,
        "by_party_type": dict(by_type),
    }
