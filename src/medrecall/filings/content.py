"""The values a filing is generated from, read from the recall's own data: the frozen scope
(latest snapshot), the catalogue, the hazard evaluation, the cockpit's figures
(``reporting.progress``, never counted again here) and the parties' provinces. Everything
returned is plain JSON (codes, numbers, both languages of a text) and is frozen on the filing;
the words around the values come in the reader's language when the filing is rendered."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import F, Sum

from medrecall.accounts.company import company_identity
from medrecall.core.numbering import counter_next
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
    company = company_identity()
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
    import pycountry  # its tables take ~40 ms to load: when a document is filled

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


def notified_in_scope(recall: RecallCase) -> tuple[int, int]:
    """Holders of the frozen scope *notified* and their units, by the one definition the
    notify-by page uses (``notices.notify_by``): a notice delivered, acknowledged or replied
    to, the holder's reply, or a phone call logged; a notice only sent does not count (NMPA
    Art. 15: the holder must *have* the notice). Three statements besides notify-by's."""
    from medrecall.notices.notify_by import NOT_AT_HOLDERS, holders_notify_by

    snapshot = _snapshot(recall)
    if snapshot is None:
        return 0, 0
    parties = {
        row.party_id
        for row in holders_notify_by([recall])[recall.pk]
        if row.in_scope and row.notified_at is not None
    }
    units = (
        AffectedLine.objects.filter(snapshot=snapshot, party_id__in=parties)
        .exclude(category__in=NOT_AT_HOLDERS)
        .aggregate(units=Sum(F("on_hand") + F("in_transit")))["units"]
    )
    return len(parties), int(units or 0)


def progress_values(recall: RecallCase) -> dict[str, Any]:
    """The cockpit's figures (``reporting.progress.recall_progress``), as they are now, with
    the holders notified counted as the notify-by page counts them (``notified_in_scope``)."""
    from medrecall.reporting.progress import recall_progress

    figures = recall_progress(recall)
    holders_notified, units_notified = notified_in_scope(recall)
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
        "holders_notified": holders_notified,
        "holders_sent": holders("sent"),
        "holders_delivered": holders("delivered"),
        "holders_acknowledged": holders("acknowledged"),
        "units_notified": units_notified,
        "units_recovered": units("recovered"),
        "units_dispositioned": units("dispositioned"),
        "still_at_holders": figures.still_at_holders,
        "by_party_type": dict(by_type),
    }


# --- FDA (21 CFR 806, 21 CFR 7.53 and 7.55) -------------------------------------------------

FDA = "fda"
US_EASTERN = "America/New_York"


def fda_record(recall: RecallCase) -> dict[str, Any]:
    """What FDA sent back (``recalls.fda.fda_record``): its class, event id and Z-numbers."""
    regime = next((r for r in recall.regimes.all() if r.regime == FDA), None)
    if regime is None:
        return {"class": "", "event_id": "", "z_numbers": [], "classified_on": ""}
    return {
        "class": regime.fda_class,
        "proposed_class": regime.recall_class,
        "event_id": regime.fda_event_id,
        "z_numbers": list(regime.fda_z_numbers),
        "classified_on": regime.fda_classified_on.isoformat() if regime.fda_classified_on else "",
    }


def _consignee_rows(recall: RecallCase) -> list[Any]:
    from medrecall.effectiveness.selectors import consignees

    return consignees(recall, FDA)


def fda_consignees(recall: RecallCase) -> list[dict[str, Any]]:
    """The 806 report's consignees (806.10(c)(11): "all domestic and foreign consignees"):
    every holder of the frozen scope, whatever regime its notice goes under, marked domestic
    (a US location) or foreign, with its address, phone (primary contact), and the shipments of
    the lots in scope to it (date and quantity, from the trace). The status reports' counts stay
    with the FDA regime's consignees (``_consignee_rows``). Four queries whatever the number."""
    from medrecall.effectiveness.selectors import consignees
    from medrecall.parties.models import Contact
    from medrecall.traceability.models import EventType, TraceEvent

    snapshot = _snapshot(recall)
    found = consignees(recall, None)
    if snapshot is None or not found:
        return []
    ids = [c.party_id for c in found]
    parties = {p.pk: p for p in Party.objects.filter(pk__in=ids)}
    phones: dict[int, str] = {}
    for party_id, phone in (
        Contact.objects.filter(party_id__in=ids)
        .exclude(phone="")
        .order_by("party_id", "-is_primary", "name")
        .values_list("party_id", "phone")
    ):
        phones.setdefault(party_id, phone)
    lot_ids = AffectedLine.objects.filter(snapshot=snapshot).values("lot_id")
    shipped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    events = (
        TraceEvent.objects.filter(
            event_type=EventType.SHIPPED,
            retracted=False,
            lot_id__in=lot_ids,
            to_location__party_id__in=ids,
        )
        .values("to_location__party_id", "lot__number", "event_time__date")
        .annotate(quantity=Sum("quantity"))
        .order_by("to_location__party_id", "event_time__date", "lot__number")
    )
    for row in events:
        shipped[row["to_location__party_id"]].append(
            {
                "date": row["event_time__date"].isoformat(),
                "lot": row["lot__number"],
                "quantity": row["quantity"],
            }
        )
    rows = []
    for consignee in found:
        party = parties[consignee.party_id]
        rows.append(
            {
                "code": consignee.code,
                "name": party.name_en or party.name,
                # Both names and the address's parts: each language's document writes its own.
                "name_zh": party.name,
                "name_en": party.name_en,
                "address_parts": {
                    "address": party.address,
                    "address_en": party.address_en,
                    "city": party.city,
                    "province": party.province,
                    "province_code": party.province_code,
                    "postal_code": party.postal_code,
                    "country": party.country,
                },
                "address": ", ".join(
                    part
                    for part in (
                        party.address,
                        party.city,
                        party.province,
                        party.postal_code,
                        party.country,
                    )
                    if part
                ),
                "phone": phones.get(consignee.party_id, ""),
                "units": consignee.units,
                "domestic": consignee.country == "US",
                "shipments": shipped.get(consignee.party_id, []),
            }
        )
    return rows


def fda_report_number(recall: RecallCase, registration: str, action_type: str) -> str:
    """21 CFR 806.10(c)(1): registration number, the date of the report (M/D/YY, US Eastern),
    a three-digit sequence of the firm's reports that day, C (correction) or R (removal).

    A recall keeps its number once a version is submitted (an amendment carries it on); a draft
    generated again on a later day takes that day's date and the day's next sequence."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from .models import Filing, FilingStatus

    if not registration:
        return ""
    mine = Filing.objects.filter(recall=recall, doc_type="fda.report_806").order_by(
        "-sequence", "-version"
    )
    kept = [f.content.get("report_number", "") for f in mine if f.content.get("report_number")]
    if any(f.status == FilingStatus.SUBMITTED for f in mine) and kept:
        return str(kept[0])
    today = timezone.now().astimezone(ZoneInfo(US_EASTERN)).date()
    prefix = f"{registration}-{today.month}/{today.day}/{today:%y}-"
    suffix = "C" if action_type == "correction" else "R"
    if kept and kept[0].startswith(prefix) and kept[0].endswith(f"-{suffix}"):
        return str(kept[0])

    def stored() -> int:
        """The day's highest sequence among stored reports (numbers given before the counter)."""
        taken = Filing.objects.filter(
            doc_type="fda.report_806", content__report_number__startswith=prefix
        ).values_list("content__report_number", flat=True)
        return max((int(n[len(prefix) :].split("-")[0]) for n in taken if n), default=0)

    # The firm's reports of the day are counted by a locked counter (core.numbering): two
    # reports generated at once never get the same number.
    sequence = counter_next(
        series=f"filings.fda_806.{registration}.{today:%Y%m%d}"[:100],
        year=today.year,
        start=stored,
    )
    return f"{prefix}{sequence:03d}-{suffix}"


def added_lots(recall: RecallCase, lots_now: list[dict[str, Any]]) -> list[str]:
    """Lots of the frozen scope that the last submitted 806 report did not name: what an
    amendment adds (806.10: more lots later, an amendment of the report)."""
    from .models import Filing, FilingStatus

    last = (
        Filing.objects.filter(
            recall=recall, doc_type="fda.report_806", status=FilingStatus.SUBMITTED
        )
        .order_by("-version")
        .first()
    )
    if last is None:
        return []
    before = {(lot["model_code"], lot["lot"]) for lot in last.content.get("lots", [])}
    return [
        f"{lot['model_code']} {lot['lot']}"
        for lot in lots_now
        if (lot["model_code"], lot["lot"]) not in before
    ]


def fda_806_values(recall: RecallCase) -> dict[str, Any]:
    """The 806 report's values (806.10(c)(1)-(13)); the words the firm writes are sections."""
    registration = str(company_identity().get("fda_registration", "")).strip()
    scope = scope_values(recall)
    evaluation = assessment(recall)
    return {
        "registration": registration,
        "report_number": fda_report_number(recall, registration, recall.action_type),
        "added_lots": added_lots(recall, scope["lots"]),
        "fda": fda_record(recall),
        "injuries_reported": evaluation["injuries_reported"] if evaluation else None,
        "deaths_reported": evaluation["deaths_reported"] if evaluation else None,
        "consignees": fda_consignees(recall),
        **scope,
    }


def fda_806_20_values(recall: RecallCase) -> dict[str, Any]:
    """The 806.20 record: the device and its identification, the event and the action."""
    return {"fda": fda_record(recall), **scope_values(recall)}


def _first_notices(recall: RecallCase, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per consignee: when it was notified, by notices' one definition (``notify_by``: a notice
    delivered, opened, acknowledged or replied to, its reply, or a call logged; a notice only
    sent does not count), the method (its first notice's channel; the phone when a logged call
    notified it) and whether it answered. Five statements whatever the number of consignees."""
    from medrecall.notices.models import Notice, Reply
    from medrecall.notices.notify_by import notified_times
    from medrecall.parties.models import Channel

    channels: dict[int, str] = {}
    responded: set[int] = set()
    for party_id, channel, acknowledged_at, replied_at in (
        Notice.objects.filter(recall=recall, party_id__in=ids, sent_at__isnull=False)
        .order_by("party_id", "sent_at", "pk")
        .values_list("party_id", "channel", "acknowledged_at", "replied_at")
    ):
        channels.setdefault(party_id, channel)
        if acknowledged_at or replied_at:
            responded.add(party_id)
    found: dict[int, dict[str, Any]] = {}
    for (_recall, party_id), (at, how) in notified_times([recall.pk]).items():
        if party_id in ids and at is not None:
            found[party_id] = {
                "notified_at": at.isoformat(),
                "method": Channel.PHONE if how == "call" else channels.get(party_id, ""),
                "responded": party_id in responded,
            }
    on_hand = dict(
        Reply.objects.filter(recall=recall, party_id__in=ids)
        .values("party_id")
        .annotate(units=Sum("lines__on_hand"))
        .values_list("party_id", "units")
    )
    for party_id, units in on_hand.items():
        row = found.setdefault(party_id, {"notified_at": "", "method": "", "responded": False})
        row["responded"] = True
        row["on_hand_at_response"] = int(units or 0)
    return found


def _returned_and_corrected(recall: RecallCase) -> tuple[dict[int, int], dict[int, int]]:
    """Units received back per party (receipts of its returns) and corrected on site per party
    (work-order units with result corrected), for the whole recall."""
    from medrecall.execution.lifecycle import UnitResult
    from medrecall.execution.models import Receipt, WorkOrderUnit

    returned = dict(
        Receipt.objects.filter(recall=recall)
        .values("ra__party_id")
        .annotate(units=Sum("quantity"))
        .values_list("ra__party_id", "units")
    )
    corrected = dict(
        WorkOrderUnit.objects.filter(work_order__recall=recall, result=UnitResult.CORRECTED)
        .values("work_order__party_id")
        .annotate(units=Sum("quantity"))
        .values_list("work_order__party_id", "units")
    )
    return returned, corrected


def fda_status_values(recall: RecallCase) -> dict[str, Any]:
    """The six counts of 21 CFR 7.53(b), per FDA consignee and in total, with what they must
    reconcile with: the frozen scope (consignees, units) and execution (every unit received
    back or corrected on the recall, whoever it came from)."""
    from medrecall.effectiveness.selectors import plans_of, results_of

    snapshot = _snapshot(recall)
    consignees = _consignee_rows(recall)
    ids = [c.party_id for c in consignees]
    notices = _first_notices(recall, ids)
    returned, corrected = _returned_and_corrected(recall)
    names_en = dict(Party.objects.filter(pk__in=ids).values_list("pk", "name_en"))
    rows = []
    for c in consignees:
        notice = notices.get(c.party_id, {})
        rows.append(
            {
                "code": c.code,
                "name": c.name,
                "name_en": names_en.get(c.party_id, ""),
                "units": c.units,
                "notified_at": notice.get("notified_at", ""),
                "method": notice.get("method", ""),
                "responded": bool(notice.get("responded")),
                "on_hand_at_response": notice.get("on_hand_at_response"),
                "returned": int(returned.get(c.party_id, 0)),
                "corrected": int(corrected.get(c.party_id, 0)),
            }
        )
    notified = [r for r in rows if r["notified_at"]]
    responding = [r for r in notified if r["responded"]]
    plan = next((p for p in plans_of(recall) if p.regime == FDA), None)
    checks = results_of(plan).as_dict() if plan is not None else None
    return {
        "snapshot": snapshot.sequence if snapshot else None,
        "fda": fda_record(recall),
        "consignees": rows,
        "counts": {
            "consignees": len(rows),
            "notified": len(notified),
            "not_notified": len(rows) - len(notified),
            "responding": len(responding),
            "not_responding": len(notified) - len(responding),
            "on_hand_at_response": sum(r["on_hand_at_response"] or 0 for r in responding),
            "units": sum(r["units"] for r in rows),
            "returned": sum(r["returned"] for r in rows),
            "corrected": sum(r["corrected"] for r in rows),
            "accounted": sum(r["returned"] + r["corrected"] for r in rows),
        },
        "execution": {
            "returned_all": int(sum(returned.values())),
            "corrected_all": int(sum(corrected.values())),
            "returned_elsewhere": int(sum(v for k, v in returned.items() if k not in ids)),
            "corrected_elsewhere": int(sum(v for k, v in corrected.items() if k not in ids)),
        },
        "effectiveness": checks,
    }


def fda_termination_values(recall: RecallCase) -> dict[str, Any]:
    """21 CFR 7.55: the latest status report's counts, the effectiveness checks done and how
    the recalled units were disposed of (execution's accounting and completion)."""
    from medrecall.effectiveness.selectors import completion_of
    from medrecall.execution.models import Disposition

    from .models import Filing, FilingStatus

    completion = completion_of(recall).as_dict()
    dispositions = {
        kind: int(units or 0)
        for kind, units in Disposition.objects.filter(recall=recall, status="done")
        .values("kind")
        .annotate(units=Sum("quantity"))
        .values_list("kind", "units")
    }
    latest = (
        Filing.objects.filter(
            recall=recall, doc_type="fda.status_report", status=FilingStatus.SUBMITTED
        )
        .order_by("-submitted_at", "-pk")
        .values("sequence", "version", "reference", "submitted_at")
        .first()
    )
    status = fda_status_values(recall)
    return {
        "fda": status["fda"],
        "status": status,
        "completion": completion,
        "dispositions": dispositions,
        "latest_status_report": {
            "sequence": latest["sequence"],
            "version": latest["version"],
            "reference": latest["reference"],
            "submitted_at": latest["submitted_at"].isoformat() if latest["submitted_at"] else "",
        }
        if latest
        else None,
    }
