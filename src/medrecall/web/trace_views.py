"""Traceability pages: the trace (table, graph, Excel export), the scan box and the events list."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from medrecall.accounts.selectors import viewer_of
from medrecall.catalog.models import device_name
from medrecall.core.errors import DomainError, RowError
from medrecall.core.exports import append_row, sheet_title
from medrecall.core.types import Viewer
from medrecall.parties.models import Location
from medrecall.recalls import selectors as recall_selectors
from medrecall.traceability import engine, selectors, trace_sets
from medrecall.traceability.udi import parse_udi
from medrecall.web.labels import label_for

TRACE_PERMISSION = "traceability.view_traceevent"


def _graph(
    trace: selectors.ForwardTrace,
    viewer: Viewer,
    links: list[tuple[int | None, int, int]] | None = None,
) -> dict[str, Any]:
    """Nodes and links for the ECharts graph: locations and the quantities that moved between them
    (for a portal user only the moves into or out of its own locations, between locations it may
    see: ``trace.visible_locations``; never a move between two of its consignees).
    ``links``: a set trace's moves (``trace_sets.set_flows``); else those of the traced lot or serial."""
    if links is None:
        seed_lot_ids = list(trace.seed_lot_ids)
        lot_ids = (
            engine.genealogy_lots(seed_lot_ids) if trace.visible_locations is None else seed_lot_ids
        )
        links = engine.flows(lot_ids, serial_id=trace.serial_id, seed_lot_ids=seed_lot_ids)
    if (visible := trace.visible_locations) is not None:
        own = (
            set(Location.objects.filter(party_id=viewer.party_id).values_list("pk", flat=True))
            if viewer.party_id is not None
            else set()
        )
        links = [
            (a, b, qty)
            for a, b, qty in links
            if b in visible and (a is None or a in visible) and (a in own or b in own)
        ]
    ids = {loc for link in links for loc in link[:2] if loc is not None}
    index = {loc.pk: loc for loc in Location.objects.select_related("party").filter(pk__in=ids)}
    holders = {h.location: h for h in trace.holders}
    source = _("Production / outside")
    nodes = [{"name": source, "category": 0, "value": 0}]
    categories = {"own_site": 1, "distributor": 2}
    for loc in index.values():
        holder = holders.get(loc.code)
        nodes.append(
            {
                "name": loc.code,
                "category": categories.get(loc.party.party_type, 3),
                "value": holder.on_hand if holder else 0,
                "tooltip": f"{loc.name} · {loc.party.name}",
            }
        )
    return {
        "nodes": nodes,
        "links": [
            {
                "source": index[a].code if a in index else source,
                "target": index[b].code,
                "value": qty,
            }
            for a, b, qty in links
            if b in index
        ],
        "categories": [
            {"name": source},
            {"name": _("Own site")},
            {"name": _("Distributor")},
            {"name": _("Customer")},
        ],
    }


@login_required
@permission_required(TRACE_PERMISSION, raise_exception=True)
def trace(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _trace_set(request)
    gtin = request.GET.get("gtin", "").strip()
    lot = request.GET.get("lot", "").strip()
    serial = request.GET.get("serial", "").strip()
    direction = request.GET.get("direction", "forward")
    context: dict[str, Any] = {"gtin": gtin, "lot": lot, "serial": serial, "direction": direction}
    if gtin and (lot or serial):
        viewer = viewer_of(request)
        try:
            if direction == "backward":
                context["backward"] = selectors.trace_backward_for(
                    viewer=viewer, gtin=gtin, lot=lot, serial=serial
                )
            else:
                result = selectors.trace_forward_for(
                    viewer=viewer, gtin=gtin, lot=lot, serial=serial
                )
                if request.GET.get("format") == "xlsx":
                    return _trace_xlsx(result, gtin, lot or serial)
                context["forward"] = result
                context["graph"] = _graph(result, viewer)
        except DomainError as refused:
            context["error"] = refused.message
    return render(request, "web/trace.html", context)


# What a pasted or uploaded list may hold; larger lists go through the command line or the API.
MAX_LIST_BYTES = 2 * 1024 * 1024


def _trace_set(request: HttpRequest) -> HttpResponse:
    """A forward trace of a pasted or uploaded list of lots and serials (gtin,lot[,serial] per line),
    answered as one trace; a bad line refuses the list, each bad line named with its reason."""
    pasted = request.POST.get("units", "")
    upload = request.FILES.get("file")
    context: dict[str, Any] = {"direction": "forward", "units_text": pasted, "set_mode": True}
    try:
        units = trace_sets.read_unit_list(pasted, source=_("pasted list")) if pasted.strip() else []
        if upload is not None:
            if upload.size is not None and upload.size > MAX_LIST_BYTES:
                raise trace_sets.TraceSetRejected(
                    [
                        RowError(
                            upload.name or "",
                            0,
                            "",
                            "too_large",
                            _(
                                "The file is larger than %(size)s MB; trace larger lists with the command line or the API."
                            )
                            % {"size": MAX_LIST_BYTES // (1024 * 1024)},
                        )
                    ]
                )
            units += trace_sets.read_unit_list(
                upload.read(), source=upload.name or _("uploaded file")
            )
        viewer = viewer_of(request)
        result = trace_sets.trace_forward_set_for(viewer=viewer, units=units)
    except trace_sets.TraceSetRejected as refused:
        context["error"] = refused.message
        context["row_errors"] = refused.errors
        return render(request, "web/trace.html", context, status=400)
    if request.POST.get("format") == "xlsx":
        return _trace_xlsx(result.trace, "set", str(result.units))
    context.update(
        {
            "forward": result.trace,
            "graph": _graph(result.trace, viewer, trace_sets.set_flows(result)),
            "units_text": _as_csv(units),
            "set_units": result.units,
        }
    )
    return render(request, "web/trace.html", context)


def _as_csv(units: list[trace_sets.UnitRequest]) -> str:
    """The list as the export form sends it back: gtin,lot,serial per line."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows((u.gtin, u.lot, u.serial) for u in units)
    return out.getvalue()


def _place_header() -> list[str]:
    """The first columns of a sheet of locations: the location and its party."""
    return [_("Location"), _("Location name"), _("Party"), _("Party name"), _("Party type")]


def _holders_sheet(sheet: Any, result: selectors.ForwardTrace) -> None:
    """Every holder line with its location and party, then the totals."""
    from openpyxl.styles import Font

    sheet.append(
        [
            *_place_header(),
            _("Country"),
            _("Province/state"),
            _("City"),
            _("Received"),
            _("On hand"),
            _("In transit"),
        ]
    )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for h in result.holders:
        append_row(
            sheet,
            [
                h.location,
                h.location_name,
                h.party,
                h.party_name,
                label_for("party_type", h.party_type),
                h.country,
                h.province,
                h.city,
                h.received,
                h.on_hand,
                h.in_transit,
            ],
        )
    totals = [result.total_received, result.total_on_hand, result.total_in_transit]
    sheet.append([_("Total"), *[""] * 7, *totals])


def _shipped_to_sheet(sheet: Any, result: selectors.ForwardTrace) -> None:
    """A portal user's own shipments: where they went and how many."""
    sheet.append([*_place_header(), _("Quantity")])
    for row in result.shipped_to:
        append_row(
            sheet,
            [
                row["location"],
                row["location_name"],
                row["party"],
                row["party_name"],
                label_for("party_type", row["party_type"]),
                row["quantity"],
            ],
        )


def _lots_sheet(sheet: Any, result: selectors.ForwardTrace) -> None:
    sheet.append(["GTIN", _("Lot"), _("Device model")])
    for lot in result.lot_details:
        append_row(
            sheet,
            [
                lot["gtin"],
                lot["lot"],
                device_name(lot.get("device_model", ""), lot.get("device_model_en", "")),
            ],
        )


def _trace_xlsx(result: selectors.ForwardTrace, gtin: str, key: str) -> HttpResponse:
    """The trace as a workbook: holders, where the units are, (portal users) where their own
    shipments went, and the lots in scope; one sheet each."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title(_("Holders"))
    _holders_sheet(sheet, result)
    summary = workbook.create_sheet(sheet_title(_("Where the units are")))
    for key_name, value in result.summary.items():
        summary.append([label_for("trace_category", key_name), value])
    if result.shipped_to:
        _shipped_to_sheet(workbook.create_sheet(sheet_title(_("Shipped to"))), result)
    _lots_sheet(workbook.create_sheet(sheet_title(_("Lots in scope"))), result)
    out = io.BytesIO()
    workbook.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="trace-{gtin}-{key}.xlsx"'
    return response


@login_required
def scan(request: HttpRequest) -> HttpResponse:
    """A scan box: a barcode scanner types into it and ends with Enter."""
    barcode = request.POST.get("barcode", "") if request.method == "POST" else ""
    context: dict[str, Any] = {"barcode": barcode}
    if barcode:
        parsed = parse_udi(barcode)
        context["parsed"] = parsed
        if parsed.valid and not getattr(request.user, "party_id", None):
            context["match"] = match = selectors.udi_match(parsed)
            context["recalls"] = list(
                recall_selectors.recalls_holding(
                    viewer=viewer_of(request), lot_id=match["lot_id"], serial_id=match["serial_id"]
                )
            )
    if getattr(request, "htmx", False):  # set by django-htmx middleware
        return render(request, "web/scan.html#result", context)
    return render(request, "web/scan.html", context)


@login_required
@permission_required(TRACE_PERMISSION, raise_exception=True)
def event_list(request: HttpRequest) -> HttpResponse:
    events = selectors.event_list_for(viewer=viewer_of(request))
    kind = request.GET.get("event_type", "")
    document = request.GET.get("document_ref", "").strip()
    if kind:
        events = events.filter(event_type=kind)
    if document:
        events = events.filter(document_ref=document)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    from medrecall.traceability.models import EventType

    return render(
        request,
        "web/events.html",
        {
            "page": page,
            "event_type": kind,
            "document_ref": document,
            "event_types": EventType.choices,
        },
    )
