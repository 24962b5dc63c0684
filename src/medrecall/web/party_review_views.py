"""Staff review of parties that holders reported as sub-consignees on a reply form: the list
(filter by review state, reporting holder, text), one reported party with what was reported
to have reached it and the existing parties it may be, and the two decisions — verify it as
a party of its own, or merge it into an existing party after a confirm step that shows what
will move. Portal users never see these pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from medrecall.accounts.models import User
from medrecall.accounts.selectors import viewer_of
from medrecall.core.errors import DomainError, NotFound
from medrecall.notices.relations import reported_units
from medrecall.parties import selectors, services
from medrecall.parties.models import Party, Review

from .paging import paged

REVIEW_CHOICES = (
    ("unverified", Review.UNVERIFIED.label),
    ("verified", Review.VERIFIED.label),
    ("merged", Review.MERGED.label),
    ("all", gettext_lazy("All")),
)


def _staff(request: HttpRequest, perm: str = "parties.view_party") -> User:
    user = request.user
    if not isinstance(user, User) or user.party_id is not None or not user.has_perm(perm):
        raise PermissionDenied
    return user


def _reported(request: HttpRequest, pk: int) -> Party:
    try:
        return selectors.reported_party_get_for(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing


@login_required
def reported_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    review = request.GET.get("review", "unverified")
    if review not in selectors.REVIEW_FILTERS:
        review = "unverified"
    search, reported_by = (
        request.GET.get("q", "").strip(),
        request.GET.get("reported_by", "").strip(),
    )
    rows = paged(
        request,
        selectors.reported_party_list_for(
            viewer=user, review=review, search=search, reported_by=reported_by
        ),
    )
    return render(
        request,
        "web/party_reported_list.html",
        {
            "rows": rows,
            "review": review,
            "search": search,
            "reported_by": reported_by,
            "choices": REVIEW_CHOICES,
            "can_review": user.has_perm("parties.change_party"),
        },
    )


def _detail(
    request: HttpRequest, party: Party, user: User, *, status: int = 200, **extra: object
) -> HttpResponse:
    return render(
        request,
        "web/party_reported_detail.html",
        {
            "party": party,
            "units": paged(request, reported_units(party.pk), param="units"),
            "contacts": party.contacts.order_by("name"),
            "locations": party.locations.order_by("code"),
            "candidates": selectors.merge_candidates(viewer=user, party=party),
            "can_review": user.has_perm("parties.change_party")
            and party.review == Review.UNVERIFIED,
            **extra,
        },
        status=status,
    )


@login_required
def reported_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    return _detail(request, _reported(request, pk), user)


@login_required
@require_POST
def reported_verify(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request, "parties.change_party")
    party = _reported(request, pk)
    try:
        services.party_verify(
            party=party, actor=user, reason=request.POST.get("reason", "").strip()
        )
    except DomainError as refused:
        return _detail(request, party, user, status=409, error=refused.message)
    messages.success(
        request, _("%(party)s is verified as a party of its own.") % {"party": party.code}
    )
    return redirect("web:party-reported-detail", pk=party.pk)


@login_required
@require_POST
def reported_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """First post: the confirm step (what will move, or why it cannot); second post with
    ``confirm``: the merge."""
    user = _staff(request, "parties.change_party")
    party = _reported(request, pk)
    code, reason = request.POST.get("target", "").strip(), request.POST.get("reason", "").strip()
    try:
        target = selectors.merge_target_for(viewer=user, code=code)
    except NotFound as missing:
        return _detail(
            request, party, user, status=400, error=missing.message, target_code=code, reason=reason
        )
    if request.POST.get("confirm") != "yes":
        return render(
            request,
            "web/party_reported_merge.html",
            {
                "party": party,
                "target": target,
                "reason": reason,
                "blockers": services.merge_blockers(party, target),
                "units": reported_units(party.pk),
                "contacts": party.contacts.order_by("name"),
                "locations": party.locations.order_by("code"),
            },
        )
    try:
        services.party_merge(source=party, target=target, actor=user, reason=reason)
    except DomainError as refused:
        return _detail(
            request, party, user, status=409, error=refused.message, target_code=code, reason=reason
        )
    messages.success(
        request,
        _("%(source)s was merged into %(target)s.") % {"source": party.code, "target": target.code},
    )
    return redirect("web:party-reported-detail", pk=party.pk)
