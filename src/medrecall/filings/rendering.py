"""A filing in words: the same blocks (rows of label and value, tables, sections the user
wrote, the signature) rendered as PDF (Typst, the engine of the notices, with the CJK fonts
of ``MEDRECALL_FONT_PATHS``) and as an editable Word file (python-docx), in Chinese and in
English. Every figure printed is a value of ``filing.content`` as generated."""

from __future__ import annotations

import io
import json
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from medrecall.core.presentation import joined, written_time
from medrecall.core.regions import country_name
from medrecall.recalls.models import ActionType, HazardEvaluation
from medrecall.reporting.labels import group_label

from . import eu
from .documents import DOCUMENT_TYPES, DocumentType
from .models import Filing

if TYPE_CHECKING:
    import typst

LAYOUT = Path(__file__).parent / "typst" / "filing.typ"
LANGUAGES = ("zh-hans", "en")


def _text(pair: dict[str, str] | None, language: str) -> str:
    """A bilingual value in ``language``; the other language's text when this one is empty."""
    pair = pair or {}
    first, second = ("en", "zh") if language == "en" else ("zh", "en")
    return str(pair.get(first) or pair.get(second) or "")


def _when(value: str) -> str:
    if not value:
        return ""
    moment = timezone.localtime(datetime.fromisoformat(value))
    return moment.strftime("%Y-%m-%d %H:%M %Z")


def _company_name(company: dict[str, str], language: str) -> str:
    return (
        company.get("name_zh") or company["name"] if language.startswith("zh") else company["name"]
    )


def _zh(language: str) -> bool:
    return language.startswith("zh")


def _colon(language: str) -> str:
    """The colon after a label: full-width in Chinese text."""
    return "：" if _zh(language) else ": "


def listed(items: Any, language: str) -> str:
    """A list as the document's language writes it: 四川省、陕西省 in Chinese, "Sichuan, Shaanxi"
    in English (``core.presentation.joined``); every list a filing prints goes through it."""
    return joined(items, language=language)


def _separator(language: str) -> str:
    """Between items that are themselves lists or phrases (authorities, shipments): a
    semicolon, full-width in Chinese."""
    return "；" if _zh(language) else "; "


def countries(codes: list[str], language: str) -> str:
    """Countries by name in the document's language (中国、新加坡; China, Singapore)."""
    return listed((country_name(code, language) for code in codes), language)


def level_words(level: str, language: str) -> str:
    """The NMPA level as the reader writes it: 一级/二级/三级 in Chinese, I/II/III in English."""
    if not level:
        return ""
    return _("Level %(level)s") % {
        "level": NMPA_LEVELS_ZH.get(level, level) if _zh(language) else level
    }


NMPA_LEVELS_ZH = {"I": "一", "II": "二", "III": "三"}


def fda_class(value: str) -> str:
    """An FDA recall class as Chinese RA staff write it (I 类) or Class I in English."""
    return _("Class %(fda_class)s") % {"fda_class": value} if value else ""


def party_name(row: dict[str, Any], language: str) -> str:
    """A consignee's name in the document's language: the English name in English where the
    party has one, the name as recorded (Chinese) otherwise; filings generated before carried
    one name only."""
    if "name_en" not in row:
        return str(row["name"])
    if _zh(language):
        return str(row.get("name_zh") or row["name"] or row["name_en"])
    return str(row["name_en"] or row.get("name_zh") or row["name"])


def party_address(row: dict[str, Any], language: str) -> str:
    """A consignee's address as the document's language writes it: province and country by
    name; in English the party's English address (street, district and city) where it has one,
    with the recorded city when that is written in Latin letters and not already in it, else the
    street and city as recorded, as in Chinese."""
    parts = row.get("address_parts")
    if not parts:
        return str(row["address"])
    from medrecall.core.presentation import postal_address
    from medrecall.core.regions import subdivision_name

    province = (
        subdivision_name(parts["province_code"], language)
        if parts.get("province_code")
        else parts.get("province", "")
    )
    english = "" if _zh(language) else parts.get("address_en", "")
    city = parts.get("city", "")
    if english and (not city.isascii() or city.casefold() in english.casefold()):
        city = ""  # a city recorded in Chinese is part of the English address, or already in it
    written = postal_address(
        address=english or parts.get("address", ""),
        city=city,
        province=province,
        country=country_name(parts["country"], language) if parts.get("country") else "",
        language=language,
    )
    postal = parts.get("postal_code", "")
    return (
        f"{written} {postal}".strip()
        if _zh(language)
        else ", ".join(p for p in (written, postal) if p)
    )


def _company(company: dict[str, str], language: str) -> str:
    """The registrant as the reader's language names it: the Chinese name and address on a
    Chinese document (the English ones where none is set, or in filings generated before)."""
    if language.startswith("zh") and company.get("name_zh"):
        return f"{company['name_zh']}，{company.get('address_zh') or company['address']}"
    return f"{company['name']}, {company['address']}"


def _header(values: dict[str, Any], language: str, regime: str = "nmpa") -> dict[str, Any]:
    company = values["company"]
    rows = [
        [_("Recall no."), values["recall_number"]],
        [_("Recall"), _text(values["title"], language)],
        [_("Manufacturer (registrant)"), _company(company, language)],
        [_("Phone / e-mail"), f"{company['phone']} / {company['email']}"],
        # The NMPA level only where the NMPA regime applies (an FDA document has its class).
        *([[_("NMPA level"), level_words(values["level"], language)]] if regime == "nmpa" else []),
        [_("Decision date"), _when(values["decision_at"])],
        [
            _("Corrective action"),
            str(ActionType(values["action_type"]).label) if values["action_type"] else "",
        ],
        [_("Reason for the recall"), _text(values["reason"], language)],
    ]
    products = {
        "heading": _("Devices"),
        "table": {
            "columns": [_("Model / specification"), _("Name"), _("Registration no."), _("UDI-DI")],
            "rows": [
                [
                    p["model_code"],
                    (p["name_en"] or p["name"])
                    if language == "en"
                    else (p["name"] or p["name_en"]),
                    p["registration_no"],
                    p["udi_di"],
                ]
                for p in values["products"]
            ],
        },
    }
    return {"rows": rows, "blocks": [products]}


def _identification(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "heading": _("Identification (lots, serials, UDI) from the frozen scope"),
        "table": {
            "columns": [
                _("Model"),
                _("Lot"),
                _("Serial"),
                _("UDI"),
                _("Production date"),
                _("Expiry date"),
                _("Units"),
            ],
            "rows": [
                [
                    i["model_code"],
                    i["lot"],
                    i["serial"],
                    i["udi"],
                    i["manufactured_on"],
                    i["expires_on"],
                    str(i["units"]),
                ]
                for i in values["identification"]
            ],
        },
    }


def _distribution(values: dict[str, Any]) -> dict[str, Any]:
    language = translation.get_language() or "en"  # set by ``blocks``
    d = values["distribution"]
    produced = [lot["quantity_produced"] for lot in values["lots"]]
    total_produced = "" if not produced or None in produced else str(sum(produced))
    return {
        "heading": _("Production, sales and quantity to recall"),
        "rows": [
            [_("Quantity produced (lots in scope)"), total_produced],
            [_("Units in scope (quantity to recall)"), str(d["units"])],
            [_("Units in China"), str(d["units_china"])],
            [_("Units at holders (sold)"), str(d["units_sold"])],
            [_("Holders"), str(d["holders"])],
            [_("Countries and regions"), countries(d["countries"], language)],
            [
                _("Provinces in China"),
                listed(
                    (
                        group_label("province", p["code"], language) if p["code"] else p["name"]
                        for p in d["provinces"]
                    ),
                    language,
                ),
            ],
        ],
        "table": {
            "columns": [_("Model"), _("Lot"), _("Quantity produced"), _("Units in scope")],
            "rows": [
                [
                    lot["model_code"],
                    lot["lot"],
                    "" if lot["quantity_produced"] is None else str(lot["quantity_produced"]),
                    str(lot["units"]),
                ]
                for lot in values["lots"]
            ],
        },
    }


def _assessment(values: dict[str, Any], language: str) -> dict[str, Any]:
    found = values.get("assessment") or {}
    severity = HazardEvaluation.Severity
    likelihood = HazardEvaluation.Likelihood
    return {
        "heading": _("Assessment result"),
        "rows": [
            [_("Defect"), _text(values["defect"], language)],
            [_("Possible harm"), _text(values["hazard"], language)],
            [
                _("Worst credible harm"),
                str(severity(found["severity"]).label) if found.get("severity") else "",
            ],
            [
                _("Likelihood"),
                str(likelihood(found["likelihood"]).label) if found.get("likelihood") else "",
            ],
            [_("Injuries reported"), str(found.get("injuries_reported", ""))],
            [_("Deaths reported"), str(found.get("deaths_reported", ""))],
            [_("Populations at risk"), found.get("populations_at_risk", "")],
            [_("Consequences"), found.get("consequences", "")],
            [_("Recall level"), level_words(values["level"], language)],
        ],
    }


def _progress(values: dict[str, Any]) -> dict[str, Any]:
    p = values["progress"]
    return {
        "heading": _("Figures as of %(when)s") % {"when": _when(p["computed_at"])},
        "rows": [
            [_("Holders to notify"), str(p["holders"])],
            [_("Holders notified"), str(p["holders_notified"])],
            [_("Holders the notice reached"), str(p["holders_delivered"])],
            [_("Holders that acknowledged or replied"), str(p["holders_acknowledged"])],
            [_("Units to recall"), str(p["units"])],
            [_("Units returned or corrected"), str(p["units_recovered"])],
            [_("Units dispositioned"), str(p["units_dispositioned"])],
            [_("Units still at holders"), str(p["still_at_holders"])],
        ],
        "table": {
            "columns": [_("Holder type"), _("Holders"), _("Acknowledged"), _("Units")],
            "rows": [
                [_party_type(key), str(row["holders"]), str(row["acknowledged"]), str(row["units"])]
                for key, row in sorted(p["by_party_type"].items())
            ],
        },
    }


def _party_type(key: str) -> str:
    from medrecall.parties.models import PartyType

    return str(PartyType(key).label) if key in PartyType.values else key


def _specific(kind: DocumentType, values: dict[str, Any], language: str) -> list[dict[str, Any]]:
    if kind.regime == "eu_mdr":
        found = [_identification(values)]
        if kind.code != eu.FSCA_FINAL:
            return found
        return [*found, eu.reconciliation_block(values, lambda code: country_name(code, language))]
    if kind.code == "nmpa.event_report":
        return [_distribution(values), _identification(values)]
    if kind.code == "nmpa.assessment_report":
        return [_identification(values), _assessment(values, language)]
    if kind.code == "nmpa.recall_plan":
        plan = _distribution(values)
        plan["heading"] = _("1. Production and sales of the device and the quantity to recall")
        return [plan, _identification(values)]
    if kind.code in ("nmpa.progress_report", "nmpa.summary_report"):
        found = [_progress(values)]
        if kind.code == "nmpa.summary_report":
            found[0]["rows"].insert(0, [_("Completed at"), _when(values["completed_at"])])
        return found
    if kind.code in FDA_BLOCKS:
        return FDA_BLOCKS[kind.code](values, language)
    return []


def blocks(filing: Filing, language: str) -> dict[str, Any]:
    """Everything the PDF and the Word file print, in ``language``."""
    from medrecall.accounts.signatures import signature_manifest

    from .selectors import signature_state

    kind = DOCUMENT_TYPES.get(filing.doc_type)
    values = filing.content
    with translation.override(language):
        head = (
            eu.header(values, language, _text, _company, countries)
            if kind.regime == "eu_mdr"
            else _header(values, language, kind.regime)
        )
        sections = [
            {
                "heading": str(section.label),
                "paragraphs": [
                    p
                    for p in _text(filing.entered.get(section.key), language).splitlines()
                    if p.strip()
                ],
            }
            for section in kind.sections
        ]
        signed = []
        if filing.signature is not None and signature_state(filing) == "valid":
            manifest = signature_manifest(filing.signature)
            signed = [
                [_("Signed by"), manifest["signer_name"]],
                [_("Signed at"), written_time(filing.signature.signed_at)],
                [_("Meaning"), manifest["meaning"]],
            ]
        return {
            "lang": "zh" if language.startswith("zh") else "en",
            "region": "cn" if language.startswith("zh") else "us",
            "title": kind.title_zh if language.startswith("zh") else str(kind.label),
            "subtitle": str(kind.article),
            # Only a recurring report (progress, status) has periods; the others have versions.
            "version": _("Report no. %(sequence)s, version %(version)s")
            % {"sequence": filing.sequence, "version": filing.version}
            if kind.recurring
            else _("Version %(version)s") % {"version": filing.version},
            # Each file prints the change note of its own language (the check asks for both).
            "change_note": filing.change_note if _zh(language) else filing.change_note_en,
            "change_label": _("What changed"),
            "to_label": _("To"),
            "colon": _colon(language),
            "separator": _separator(language),
            "addressees": [_text(a, language) for a in filing.addressees],
            "rows": head["rows"],
            "blocks": [
                _with_widths(b) for b in [*head["blocks"], *_specific(kind, values, language)]
            ],
            "sections": sections,
            "signature_label": _("Electronic signature"),
            "signature": signed,
            "unsigned": _("Not signed") if not signed else "",
            "footer": f"{_company_name(values['company'], language)} · {values['recall_number']}",
        }


def _with_widths(block: dict[str, Any]) -> dict[str, Any]:
    """A table block with its column widths (the PDF and the Word file set the same)."""
    if not block.get("table"):
        return block
    return block | {"table": block["table"] | {"widths": column_widths(block["table"])}}


class _Typesetter:
    """One Typst compiler per process, like the notices'."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._compiler: typst.Compiler | None = None

    def pdf(self, document: dict[str, Any]) -> bytes:
        with self._lock:
            if self._compiler is None:
                import typst

                self._compiler = typst.Compiler(
                    str(LAYOUT),
                    root=str(LAYOUT.parent),
                    font_paths=list(settings.MEDRECALL_FONT_PATHS),
                )
            found = self._compiler.compile(
                sys_inputs={"filing": json.dumps(document, ensure_ascii=False)}
            )
        if not isinstance(found, bytes):
            raise RuntimeError("Typst did not set the filing")
        return found


TYPESETTER = _Typesetter()


def pdf(document: dict[str, Any]) -> bytes:
    return TYPESETTER.pdf(document)


def docx(document: dict[str, Any]) -> bytes:
    """The same blocks as an editable Word document."""
    from docx import Document
    from docx.oxml.ns import qn

    word = Document()
    style = word.styles["Normal"]
    style.font.name = "Noto Sans CJK SC"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")
    word.add_heading(document["title"], level=1)
    word.add_paragraph(document["subtitle"])
    word.add_paragraph(document["version"])
    if document["change_note"]:
        word.add_paragraph(document["change_label"] + document["colon"] + document["change_note"])
    if document["addressees"]:
        word.add_paragraph(
            document["to_label"]
            + document["colon"]
            + document["separator"].join(document["addressees"])
        )
    _rows(word, document["rows"])
    for block in document["blocks"]:
        word.add_heading(block["heading"], level=2)
        if block.get("rows"):
            _rows(word, block["rows"])
        if block.get("table"):
            table = block["table"]
            grid = word.add_table(rows=1, cols=len(table["columns"]))
            grid.style = "Table Grid"
            for cell, text in zip(grid.rows[0].cells, table["columns"], strict=True):
                cell.text = str(text)
            for row in table["rows"]:
                cells = grid.add_row().cells
                for cell, text in zip(cells, row, strict=True):
                    cell.text = str(text)
            _widths(grid, column_widths(table))
    for section in document["sections"]:
        word.add_heading(section["heading"], level=2)
        for paragraph in section["paragraphs"]:
            word.add_paragraph(paragraph)
    word.add_heading(document["signature_label"], level=2)
    if document["signature"]:
        _rows(word, document["signature"])
    else:
        word.add_paragraph(document["unsigned"])
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


PAGE_WIDTH_CM = 16.0  # A4 less Word's default margins
MIN_COLUMN_CM = 1.6  # two Chinese characters and a cell's padding: no column one character wide


def _span(text: str) -> int:
    """How wide a text sets: a Chinese character twice a Latin one."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def column_widths(table: dict[str, Any]) -> list[float]:
    """Column widths (cm) in proportion to each column's longest cell (capped), never below
    ``MIN_COLUMN_CM``: short Chinese headings and codes do not wrap one character a line."""
    wanted = []
    for index, heading in enumerate(table["columns"]):
        cells = [str(heading), *(str(row[index]) for row in table["rows"])]
        wanted.append(min(max(_span(c) for c in cells), 40) + 2)
    free = PAGE_WIDTH_CM - MIN_COLUMN_CM * len(wanted)
    if free <= 0:
        return [PAGE_WIDTH_CM / len(wanted)] * len(wanted)
    return [MIN_COLUMN_CM + free * w / sum(wanted) for w in wanted]


def _widths(grid: Any, widths: list[float]) -> None:
    from docx.shared import Cm

    grid.autofit = False
    for index, width in enumerate(widths):
        grid.columns[index].width = Cm(width)
        for cell in grid.columns[index].cells:
            cell.width = Cm(width)


def _rows(word: Any, rows: list[list[str]]) -> None:
    grid = word.add_table(rows=0, cols=2)
    grid.style = "Table Grid"
    for label, value in rows:
        cells = grid.add_row().cells
        cells[0].text = str(label)
        cells[1].text = str(value)
    _widths(grid, [5.5, PAGE_WIDTH_CM - 5.5])


def render(filing: Filing) -> dict[str, bytes]:
    """The four files of a filing: PDF and Word, Chinese and English."""
    found: dict[str, bytes] = {}
    for language in LANGUAGES:
        document = blocks(filing, language)
        suffix = "zh" if language.startswith("zh") else "en"
        found[f"pdf_{suffix}"] = pdf(document)
        found[f"docx_{suffix}"] = docx(document)
    return found


# --- FDA documents ------------------------------------------------------------------------


def _fda_rows(values: dict[str, Any], language: str) -> list[list[str]]:
    """FDA's own record of the recall (once FDA sent it)."""
    fda = values.get("fda") or {}
    return [
        [_("FDA classification"), fda_class(fda.get("class", ""))],
        [_("FDA recall event id"), fda.get("event_id", "")],
        [
            _("FDA Z-numbers"),
            listed(
                (
                    f"{z['model_code']}{_colon(language)}{z['z_number']}"
                    for z in fda.get("z_numbers", [])
                ),
                language,
            ),
        ],
    ]


def _consignee_table(values: dict[str, Any], language: str) -> dict[str, Any]:
    return {
        "heading": _("Consignees (806.10(c)(11)): names, addresses, phones, shipments"),
        "table": {
            "columns": [
                _("Consignee"),
                _("Domestic or foreign"),
                _("Address"),
                _("Phone"),
                _("Shipped (date, lot, quantity)"),
                _("Units in scope"),
            ],
            "rows": [
                [
                    f"{c['code']} {party_name(c, language)}",
                    _("Domestic") if c.get("domestic") else _("Foreign"),
                    party_address(c, language),
                    c["phone"],
                    _separator(language).join(
                        f"{s['date']} {s['lot']} ×{s['quantity']}" for s in c["shipments"]
                    ),
                    str(c["units"]),
                ]
                for c in values["consignees"]
            ],
        },
    }


def _consignee_count(rows: list[dict[str, Any]]) -> str:
    domestic = sum(1 for c in rows if c.get("domestic"))
    return f"{len(rows)} ({domestic} / {len(rows) - domestic})"


def _report_806(values: dict[str, Any], language: str) -> list[dict[str, Any]]:
    d = values["distribution"]
    produced = [lot["quantity_produced"] for lot in values["lots"]]
    report = {
        "heading": _("Report"),
        "rows": [
            [_("Report number"), values["report_number"]],
            [_("Lots added by this amendment"), listed(values.get("added_lots", []), language)],
            [_("FDA establishment registration number"), values["registration"]],
            *_fda_rows(values, language),
            [_("Defect"), _text(values["defect"], language)],
            [_("Possible harm"), _text(values["hazard"], language)],
            [_("Injuries reported"), str(values["injuries_reported"] or 0)],
            [_("Deaths reported"), str(values["deaths_reported"] or 0)],
            [
                _("Devices manufactured (lots in scope)"),
                "" if not produced or None in produced else str(sum(produced)),
            ],
            [_("Devices subject to the action (frozen scope)"), str(d["units"])],
            [_("Consignees (domestic / foreign)"), _consignee_count(values["consignees"])],
        ],
        "table": _distribution(values)["table"],
    }
    return [report, _identification(values), _consignee_table(values, language)]


def _record_806_20(values: dict[str, Any], language: str) -> list[dict[str, Any]]:
    return [
        {
            "heading": _("Record"),
            "rows": [
                *_fda_rows(values, language),
                [_("Defect"), _text(values["defect"], language)],
                [_("Possible harm"), _text(values["hazard"], language)],
            ],
        },
        _identification(values),
    ]


def _method(code: str) -> str:
    from medrecall.parties.models import Channel

    return str(Channel(code).label) if code in Channel.values else code


def _status_report(values: dict[str, Any], language: str) -> list[dict[str, Any]]:
    c = values["counts"]
    checks = values.get("effectiveness") or {}
    counts = {
        "heading": _("The counts of 21 CFR 7.53(b)"),
        "rows": [
            *_fda_rows(values, language),
            [_("(1) Consignees notified"), f"{c['notified']} / {c['consignees']}"],
            [
                _("(2) Consignees responding; quantity on hand when notified"),
                f"{c['responding']}{_separator(language)}{c['on_hand_at_response']}",
            ],
            [_("(3) Consignees not responding"), str(c["not_responding"])],
            [
                _("(4) Units returned or corrected; accounted for"),
                f"{c['returned']} + {c['corrected']} = {c['accounted']} / {c['units']}",
            ],
            [
                _("(5) Effectiveness checks: checked, passed, failed"),
                listed((str(checks.get(k, 0)) for k in ("checked", "passed", "failed")), language)
                if checks
                else _("No effectiveness-check level set"),
            ],
        ],
    }
    per_consignee = {
        "heading": _("Per consignee"),
        "table": {
            "columns": [
                _("Consignee"),
                _("Notified (date, method)"),
                _("Responded"),
                _("On hand at response"),
                _("Returned"),
                _("Corrected"),
                _("Units in scope"),
            ],
            "rows": [
                [
                    f"{r['code']} {party_name(r, language)}",
                    f"{_when(r['notified_at'])} {_method(r['method'])}".strip(),
                    _("yes") if r["responded"] else _("no"),
                    "" if r["on_hand_at_response"] is None else str(r["on_hand_at_response"]),
                    str(r["returned"]),
                    str(r["corrected"]),
                    str(r["units"]),
                ]
                for r in values["consignees"]
            ],
        },
    }
    return [counts, per_consignee]


def _termination(values: dict[str, Any], language: str) -> list[dict[str, Any]]:
    from medrecall.execution.lifecycle import DispositionKind

    done = values["completion"]
    latest = values.get("latest_status_report") or {}
    request = {
        "heading": _("Effectiveness and disposition"),
        "rows": [
            *_fda_rows(values, language),
            [_("Every unit accounted"), _("yes") if done["complete"] else _("no")],
            [_("Units in scope"), str(done["affected"])],
            [_("Units dispositioned"), str(done["dispositioned"])],
            [_("Units corrected at holders"), str(done["corrected"])],
            [_("Units reported used"), str(done["used"])],
            [_("Units under a signed exception"), str(done["excepted"])],
            [
                _("Latest status report"),
                f"#{latest['sequence']} v{latest['version']} {latest['reference']}"
                if latest
                else "",
            ],
        ],
        "table": {
            "columns": [_("Disposition"), _("Units")],
            "rows": [
                [
                    str(DispositionKind(kind).label) if kind in DispositionKind.values else kind,
                    str(units),
                ]
                for kind, units in sorted(values["dispositions"].items())
            ],
        },
    }
    return [request, *_status_report(values["status"], language)]


FDA_BLOCKS = {
    "fda.report_806": _report_806,
    "fda.record_806_20": _record_806_20,
    "fda.status_report": _status_report,
    "fda.termination_request": _termination,
}
