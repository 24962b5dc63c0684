"""PDF documents of execution: the return waybill (with a QR barcode of the waybill and RA
numbers) and the destruction certificate. HTML templates rendered by WeasyPrint; Chinese
needs ``fonts-noto-cjk`` and ``lang="zh-CN"`` (set by the templates)."""

from __future__ import annotations

from typing import Any

import segno
from django.template.loader import render_to_string
from django.utils import translation

from .models import DestructionCertificate, ReturnAuthorisation
from .selectors import return_reconciliation


def render_pdf(template: str, context: dict[str, Any], language: str = "zh-hans") -> bytes:
    from weasyprint import HTML

    with translation.override(language):
        html = render_to_string(
            template, {**context, "pdf_lang": "zh-CN" if language.startswith("zh") else "en"}
        )
    return bytes(HTML(string=html).write_pdf())


def qr_data_uri(text: str) -> str:
    return str(segno.make(text, error="m").svg_data_uri(scale=4, border=2))


def waybill_pdf(ra: ReturnAuthorisation, language: str | None = None) -> bytes:
    """The return waybill: shipper (holder), consignee (our quarantine), carrier, expected cost, contents."""
    return render_pdf(
        "execution/pdf/waybill.html",
        {
            "ra": ra,
            "lines": return_reconciliation(ra),
            "units": sum(line.expected for line in ra.lines.all()),
            "barcode": qr_data_uri(f"{ra.waybill_number}|{ra.number}"),
        },
        language or ra.party.language or "zh-hans",
    )


def certificate_pdf(certificate: DestructionCertificate, language: str = "zh-hans") -> bytes:
    d = certificate.disposition
    return render_pdf(
        "execution/pdf/certificate.html",
        {
            "certificate": certificate,
            "disposition": d,
            "barcode": qr_data_uri(certificate.number),
        },
        language,
    )
