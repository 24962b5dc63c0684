"""Turning a template and one recipient's facts into the notice: subject, HTML e-mail,
plain text and PDF.

Template bodies are Django template text limited to placeholders (``{{ reply_url }}``);
``template_problems`` refuses unknown placeholders and tags before a template is saved.
PDFs are set by Typst (``typst/notice.typ``): one compiler per process, fonts loaded once,
about 5 ms a notice, so bulk runs need no headless browser.
"""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.template.base import FilterExpression, VariableNode
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from medrecall.accounts.company import company_identity
from medrecall.catalog.models import device_name

from .defaults import PLACEHOLDERS, REQUIRED_PLACEHOLDERS, REQUIRED_SECTIONS

if TYPE_CHECKING:  # typst, pikepdf and segno load when a letter is set, not with every command
    import typst

LAYOUT = Path(__file__).parent / "typst" / "notice.typ"
_ENGINE = Engine(autoescape=True, libraries={}, builtins=["django.template.defaultfilters"])
_ALLOWED_FILTERS = {"default", "date", "upper", "lower", "title"}


def _placeholder_nodes(template: Template) -> list[Any]:
    return list(template.nodelist.get_nodes_by_type(VariableNode))


def template_problems(
    *, regime: str, kind: str, title: str, subject: str, sections: list[Any]
) -> list[str]:
    """Everything wrong with a template, each naming the section and the placeholder."""
    problems: list[str] = []
    if not all(isinstance(s, dict) for s in sections):
        return [_("Sections must be a list of {key, heading, body}.")]
    keys = [str(s.get("key", "")).strip() for s in sections]
    problems += [
        _("Section “%(key)s” is required for this regime and kind.") % {"key": key}
        for key in REQUIRED_SECTIONS.get((regime, kind), ())
        if key not in keys
    ]
    if len(set(keys)) != len(keys):
        problems.append(_("Each section key may appear once."))
    parts = [(_("title"), title), (_("subject"), subject)]
    parts += [
        (
            _("section “%(key)s”") % {"key": key or "?"},
            str(s.get("heading", "")) + "\n" + str(s.get("body", "")),
        )
        for key, s in zip(keys, sections, strict=True)
    ]
    for key, section in zip(keys, sections, strict=True):
        if not key:
            problems.append(_("A section has no key."))
        elif not str(section.get("body", "")).strip():
            problems.append(_("Section “%(key)s” has no text.") % {"key": key})
    used: set[str] = set()
    for where, text in parts:
        if "{%" in text:
            problems.append(
                _("%(where)s: only placeholders like {{ reply_url }} are allowed, no {%% tags %%}.")
                % {"where": where}
            )
            continue
        try:
            compiled = _ENGINE.from_string(text)
        except TemplateSyntaxError as error:
            problems.append(_("%(where)s: %(error)s") % {"where": where, "error": error})
            continue
        for node in _placeholder_nodes(compiled):
            expression: FilterExpression = node.filter_expression
            name = str(getattr(expression.var, "var", expression.var)).split(".")[0]
            used.add(name)
            if name not in PLACEHOLDERS:
                problems.append(
                    _("%(where)s: unknown placeholder {{ %(name)s }}; use one of: %(known)s.")
                    % {"where": where, "name": name, "known": ", ".join(sorted(PLACEHOLDERS))}
                )
            for filter_function, _args in expression.filters:
                if filter_function.__name__ not in _ALLOWED_FILTERS:
                    problems.append(
                        _("%(where)s: the filter “%(filter)s” is not allowed.")
                        % {"where": where, "filter": filter_function.__name__}
                    )
    problems += [
        _(
            "The placeholder {{ %(name)s }} is missing: this kind of notice must use it (%(meaning)s)."
        )
        % {"name": name, "meaning": PLACEHOLDERS[name]}
        for name in REQUIRED_PLACEHOLDERS.get(kind, ())
        if name not in used
    ]
    return problems


@lru_cache(maxsize=512)
def _compiled(text: str) -> Template:
    return _ENGINE.from_string(text)


def fill(text: str, values: dict[str, Any], *, html: bool) -> str:
    return _compiled(text).render(Context(values, autoescape=html))


def paragraphs(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\r\n", "\n").split("\n\n") if part.strip()]


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str
    pdf: bytes


# The line columns of an NMPA notice (召回管理办法 Art. 15: the notice identifies the device by
# name, model/specification, registration no., lot/serial and dates), in ``cells`` order.
NMPA_COLUMNS = (
    "model",
    "model_code",
    "registration_no",
    "udi_di",
    "location",
    "lot",
    "serial",
    "manufactured_on",
    "expires_on",
)
COLUMNS = ("model", "udi_di", "location", "lot", "serial")
NMPA_ONLY = ("model_code", "registration_no", "manufactured_on", "expires_on")


def _columns(regime: str) -> tuple[str, ...]:
    return NMPA_COLUMNS if regime == "nmpa" else COLUMNS


def _column_labels(regime: str) -> list[Any]:
    names = {
        "model": _("Device model"),
        "model_code": _("Model/specification"),
        "registration_no": _("Registration no."),
        "udi_di": _("UDI-DI"),
        "location": _("Location"),
        "lot": _("Lot"),
        "serial": _("Serial"),
        "manufactured_on": _("Production date"),
        "expires_on": _("Expiry date"),
    }
    return [names[key] for key in _columns(regime)] + [_("Quantity")]


def _labels(language: str, regime: str = "") -> dict[str, Any]:
    with translation.override(language):
        return {
            "number": _("Recall no."),
            "date": _("Date"),
            "to": _("To"),
            "devices": _("Affected devices you hold"),
            "columns": _column_labels(regime),
            "lot": _("Lot"),
            "total": _("Total units"),
            "reply": _("Reply online (scan or open the link)"),
            "reply_by": _("Reply by"),
            "button": _("Open the reply form"),
            "page": _("Page"),
        }


class _Typesetter:
    """One Typst compiler per process: fonts and the layout are loaded once, and a batch of
    notices is set in one compile (about 1.5 ms a notice instead of 5 one by one), then cut
    into one PDF per notice at the pages the layout marks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._compiler: typst.Compiler | None = None

    def pdfs(self, documents: list[dict[str, Any]]) -> list[bytes]:
        if not documents:
            return []
        with self._lock:
            if self._compiler is None:
                import typst

                self._compiler = typst.Compiler(
                    str(LAYOUT),
                    root=str(LAYOUT.parent),
                    font_paths=list(settings.MEDRECALL_FONT_PATHS),
                )
            whole = self._compiler.compile(
                sys_inputs={"notices": json.dumps(documents, ensure_ascii=False)}
            )
            ends = json.loads(self._compiler.query("<notice-end>", field="value"))
        if not isinstance(whole, bytes) or len(ends) != len(documents):
            raise RuntimeError("Typst did not set every notice")
        if len(documents) == 1:
            return [whole]
        import pikepdf

        found: list[bytes] = []
        with pikepdf.open(io.BytesIO(whole)) as batch:
            first = 0
            for end in ends:
                single = pikepdf.new()
                single.pages.extend(batch.pages[first:end])
                single.docinfo["/Title"] = documents[len(found)]["title"]
                out = io.BytesIO()
                single.save(out, compress_streams=True)
                found.append(out.getvalue())
                first = end
        return found


TYPESETTER = _Typesetter()


@dataclass(frozen=True)
class NoticeInput:
    """Everything one notice needs to be rendered."""

    template_title: str
    template_subject: str
    sections: list[dict[str, str]]
    values: dict[str, Any]
    lines: list[dict[str, Any]]
    language: str
    urgent: bool
    printed: bool = False  # a letter: the reply link also as a QR code to scan
    regime: str = ""  # NMPA notices print model/specification, registration no. and dates


def render_notice(
    *,
    template_title: str,
    template_subject: str,
    sections: list[dict[str, str]],
    values: dict[str, Any],
    lines: list[dict[str, Any]],
    language: str,
    urgent: bool,
    with_pdf: bool = True,
    regime: str = "",
) -> Rendered:
    """One notice (previews, single follow-ups)."""
    return render_notices(
        [
            NoticeInput(
                template_title,
                template_subject,
                sections,
                values,
                lines,
                language,
                urgent,
                regime=regime,
            )
        ],
        with_pdf=with_pdf,
    )[0]


def company_for(language: str) -> dict[str, Any]:
    """Our company as a reader of ``language`` names it: the Chinese name and address
    (``accounts.company`` ``name_zh``/``address_zh``, as the NMPA filings print) in Chinese,
    where they are set."""
    company = company_identity()
    if language.startswith("zh"):
        company["name"] = company.get("name_zh") or company.get("name", "")
        company["address"] = company.get("address_zh") or company.get("address", "")
    return company


# The line a German or French FSN prints where the case's own words (title, reason, defect,
# harm, action) follow in English: the recall keeps them in Chinese and English only
# (``content.case_language``). Written here, not in the .po: the product's locales are
# Chinese and English, the FSN templates' own words are in ``defaults``.
CASE_TEXTS_IN_ENGLISH = {
    "de": "Hinweis: Die Angaben zu diesem Rückruf (Titel, Grund, Fehler, mögliche Gefährdung, "
    "Maßnahme) liegen nur auf Englisch und Chinesisch vor und folgen auf Englisch.",
    "fr": "Remarque : les informations propres à ce rappel (titre, motif, défaut, danger "
    "possible, mesure) n'existent qu'en anglais et en chinois ; elles figurent en anglais.",
}


def case_texts_note(language: str) -> str:
    """The line saying the case's texts follow in English (any language but Chinese and
    English; empty for those two)."""
    code = language.split("-")[0]
    if code in ("zh", "en"):
        return ""
    return CASE_TEXTS_IN_ENGLISH.get(
        code,
        "Note: the information specific to this recall (title, reason, defect, possible harm, "
        "action) is kept in English and Chinese only and follows in English.",
    )


def render_notices(inputs: list[NoticeInput], *, with_pdf: bool = True) -> list[Rendered]:
    """Each recipient's notice in their language: subject, HTML, text, and (in one Typst
    batch) the PDF."""
    parts, documents = [], []
    for item in inputs:
        values, language = item.values, item.language
        company = company_for(language)
        note = case_texts_note(language)
        lines = _reader_lines(item)
        subject = " ".join(fill(item.template_subject, values, html=False).split())
        title = fill(item.template_title, values, html=False)
        text_sections = [
            {
                "heading": fill(s["heading"], values, html=False),
                "paragraphs": paragraphs(fill(s["body"], values, html=False)),
            }
            for s in item.sections
        ]
        if note and text_sections:
            text_sections[0] = text_sections[0] | {
                "paragraphs": [note, *text_sections[0]["paragraphs"]]
            }
        labels = _labels(language, item.regime)
        with translation.override(language):
            html = render_to_string(
                "notices/email.html",
                {
                    "title": title,
                    "urgent": item.urgent,
                    "sections": text_sections,
                    "lines": lines,
                    "labels": labels,
                    "values": values,
                    "company": company,
                    "language": language,
                },
            )
        text = _plain_text(title, text_sections, lines, labels, values)
        parts.append((subject, html, text))
        if with_pdf:
            documents.append(_pdf_document(item, title, text_sections, lines, labels, company))
    pdfs = _typeset(documents) if with_pdf else [b""] * len(parts)
    return [
        Rendered(subject=subject, html=html, text=text, pdf=pdf)
        for (subject, html, text), pdf in zip(parts, pdfs, strict=True)
    ]


def _reader_lines(item: NoticeInput) -> list[dict[str, Any]]:
    """Each line's device name in the reader's language (the frozen line keeps both)."""
    named = [
        line
        | {
            "model": device_name(
                str(line.get("model") or ""), str(line.get("model_en") or ""), item.language
            )
        }
        for line in item.lines
    ]
    # Every output prints the same cells in the order of the column labels (quantity last).
    return [
        line
        | {
            "cells": [str(line.get(key) or "") for key in _columns(item.regime)],
            "regime": item.regime,
        }
        for line in named
    ]


def _plain_text(
    title: str,
    sections: list[dict[str, Any]],
    lines: list[dict[str, Any]],
    labels: dict[str, Any],
    values: dict[str, Any],
) -> str:
    """The e-mail's plain-text part: the sections, the devices and the reply link."""
    text_parts: list[str] = [title, ""]
    for section in sections:
        text_parts += [str(section["heading"]), *section["paragraphs"], ""]
    if lines:
        text_parts.append(labels["devices"])
        text_parts += [
            f"- {line['model']} {line['udi_di']} {labels['lot']} {line['lot']}"
            f"{' ' + line['serial'] if line['serial'] else ''} @ {line['location']}: {line['quantity']}"
            + "".join(
                f" · {label}: {cell}"
                for key, label, cell in zip(
                    _columns(line["regime"]), labels["columns"], line["cells"], strict=False
                )
                if cell and key in NMPA_ONLY
            )
            for line in lines
        ]
        text_parts.append(f"{labels['total']}: {values.get('units_total', '')}")
    if values.get("reply_url"):
        text_parts += ["", f"{labels['reply']}: {values['reply_url']}"]
    return "\n".join(text_parts)


def _pdf_document(
    item: NoticeInput,
    title: str,
    sections: list[dict[str, Any]],
    lines: list[dict[str, Any]],
    labels: dict[str, Any],
    company: dict[str, Any],
) -> dict[str, Any]:
    """What the Typst template sets for one notice."""
    import segno

    values, language = item.values, item.language
    # Letters carry the reply link as a QR code as well (e-mail has the link to click; a
    # code costs 6 ms a notice). A fixed mask: choosing the best of eight costs 20 ms.
    qr = (
        segno.make(
            values["reply_url"], error="m", mask=0, boost_error=False, micro=False
        ).svg_inline(scale=3)
        if values.get("reply_url") and item.printed
        else ""
    )
    return {
        "lang": typst_language(language),
        "region": REGIONS.get(typst_language(language), "us"),
        "title": title,
        "urgent": item.urgent,
        "recall_title": values.get("recall_title", ""),
        "number": values.get("recall_number", ""),
        "date": values.get("notice_date", ""),
        "company": {k: str(company.get(k, "")) for k in ("name", "address", "phone", "email")}
        | {"srn": str(values.get("company_srn") or "")},
        "holder": {
            "name": values.get("holder_name", ""),
            "contact": values.get("contact_name", ""),
            "address": values.get("holder_address", ""),
        },
        "sections": sections,
        "units_total": str(values.get("units_total", "")),
        "lines": [
            {k: str(line.get(k) or "") for k in ("model", "udi_di", "location", "lot", "serial")}
            | {"quantity": line["quantity"], "cells": line["cells"]}
            for line in lines
        ],
        "reply_url": values.get("reply_url", ""),
        "reply_by": values.get("reply_by", ""),
        "qr": qr,
        "labels": labels,
        "footer": f"{company.get('name', '')} · {values.get('recall_number', '')}",
    }


# The region Typst sets a notice's text for (hyphenation, quotes), per ISO 639-1 language: the
# EU Member State where the language is official (English: US, as before).
REGIONS = {
    "zh": "cn",
    "en": "us",
    "bg": "bg",
    "cs": "cz",
    "da": "dk",
    "de": "de",
    "el": "gr",
    "es": "es",
    "et": "ee",
    "fi": "fi",
    "fr": "fr",
    "ga": "ie",
    "hr": "hr",
    "hu": "hu",
    "it": "it",
    "lt": "lt",
    "lv": "lv",
    "mt": "mt",
    "nl": "nl",
    "pl": "pl",
    "pt": "pt",
    "ro": "ro",
    "sk": "sk",
    "sl": "si",
    "sv": "se",
}


def typst_language(language: str) -> str:
    """The ISO 639-1 code Typst sets a notice in: ``zh`` for Simplified Chinese, else the
    notice's own language (German and French notices hyphenate and quote as such)."""
    return "zh" if language.startswith("zh") else language.split("-")[0]


def _typeset(documents: list[dict[str, Any]]) -> list[bytes]:
    """The PDFs in the documents' order. One compile per language: a batch's PDFs carry the
    glyphs of the whole batch, and English notices need not carry the Chinese template's."""
    pdfs: list[bytes] = [b""] * len(documents)
    for language in sorted({document["lang"] for document in documents}):
        indexes = [i for i, document in enumerate(documents) if document["lang"] == language]
        for index, pdf in zip(
            indexes, TYPESETTER.pdfs([documents[i] for i in indexes]), strict=True
        ):
            pdfs[index] = pdf
    return pdfs
