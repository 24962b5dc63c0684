"""Administration → Company: the company's identifiers the filings and notices print (FDA
establishment registration number, EU SRN, the registrant as registered with NMPA). QA/RA
managers and administrators change them; the change is audited."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from medrecall.accounts.company import CHANGE, FIELDS, company_identity, company_identity_set
from medrecall.accounts.selectors import viewer_of
from medrecall.core.errors import DomainError

VIEW = "accounts.view_companyidentity"


@login_required
@require_http_methods(["GET", "POST"])
def company_page(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    if request.method == "POST":
        if not request.user.has_perm(CHANGE):
            raise PermissionDenied
        try:
            company_identity_set(
                actor=viewer_of(request),
                values={key: request.POST[key] for key in FIELDS if key in request.POST},
            )
        except DomainError as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Saved."))
        return redirect("web:company")
    company = company_identity()
    return render(
        request,
        "web/company.html",
        {
            "fields": [(key, label, company.get(key, "")) for key, label in FIELDS.items()],
            "can_change": request.user.has_perm(CHANGE),
        },
    )
