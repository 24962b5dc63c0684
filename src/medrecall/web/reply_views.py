"""The holder's side of a notice, reachable without an account through the signed link in
the notice (and from the portal): the reply form with sub-consignees, acknowledging
receipt, the open-tracking image and the satisfaction survey."""

from __future__ import annotations

import contextlib
import functools
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from medrecall.accounts.models import User
from medrecall.accounts.selectors import viewer_of
from medrecall.core.errors import DomainError, ImportRejected, NotFound
from medrecall.core.files import file_response
from medrecall.notices import delivery, links, replies, selectors
from medrecall.notices.errors import LinkInvalid
from medrecall.notices.models import Kind, Notice, Reply, SurveyResponse
from medrecall.recalls.lifecycle import Action, action_blockers

from .paging import paged

PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
    b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
SUB_ROWS = 3
SUB_FIELDS = (
    "name",
    "type",
    "country",
    "province",
    "city",
    "address",
    "contact_name",
    "phone",
    "email",
    "lot",
    "serial",
    "quantity",
)


RATE_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _rate_window(rate: str) -> int:
    """Seconds of a "count/period" rate ("60/10m" → 600)."""
    found = re.fullmatch(r"\s*\d+\s*/\s*(\d*)\s*([smhd])\s*", rate)
    if found is None:
        return 60
    return int(found.group(1) or 1) * RATE_PERIODS[found.group(2)]


def rate_limited(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Reply-link pages answer at most ``MEDRECALL_REPLY_RATE_PER_LINK`` requests per link and
    ``MEDRECALL_REPLY_RATE_PER_ADDRESS`` per client address (GET and POST alike; counted in the
    shared cache, before the token is checked, so that guessing links is throttled too). Over
    either limit: a translated 429 page with Retry-After, and the view does not run."""

    @functools.wraps(view)
    def limited(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
        per_link, per_address = (
            settings.MEDRECALL_REPLY_RATE_PER_LINK,
            settings.MEDRECALL_REPLY_RATE_PER_ADDRESS,
        )
        over = [
            rate
            for rate, group, key in (
                (per_link, "reply-link", lambda _group, _request: token),
                (per_address, "reply-address", "ip"),
            )
            if is_ratelimited(request, group=group, key=key, rate=rate, increment=True)
        ]
        if over:
            wait = max(_rate_window(rate) for rate in over)
            response = render(
                request,
                "web/rate_limited.html",
                {
                    "message": _(
                        "Too many requests for this link. Please wait %(minutes)s minutes and try again."
                    )
                    % {"minutes": max(1, wait // 60)},
                    "company": settings.MEDRECALL_COMPANY,
                },
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response
        return view(request, token, *args, **kwargs)

    return limited


def _holder_language(request: HttpRequest, notice: Notice) -> str:
    """The language the holder chose on the page, else the notice's."""
    return request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or notice.language


def _link_error(request: HttpRequest, problem: DomainError) -> HttpResponse:
    return render(
        request,
        "web/link_error.html",
        {"message": problem.message, "company": settings.MEDRECALL_COMPANY},
        status=problem.status,
    )


def _linked(
    purpose: str,
) -> Callable[
    [Callable[[HttpRequest, Notice, str], HttpResponseBase]], Callable[..., HttpResponseBase]
]:
    """A view behind a signed link: it gets the notice the token names; a token not valid (or
    expired) answers the page saying so, with its status, and the view does not run."""

    def wrap(
        view: Callable[[HttpRequest, Notice, str], HttpResponseBase],
    ) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def linked(request: HttpRequest, token: str) -> HttpResponseBase:
            try:
                notice = links.notice_for_token(token, purpose)
            except DomainError as problem:
                return _link_error(request, problem)
            return view(request, notice, token)

        return linked

    return wrap


def _quantities(
    request: HttpRequest, lines: list[replies.ExpectedLine]
) -> tuple[dict[str, dict[str, int]], list[str]]:
    found: dict[str, dict[str, int]] = {}
    problems = []
    for line in lines:
        found[line.key] = {}
        for field in replies.QUANTITIES:
            raw = request.POST.get(f"q-{line.key}-{field}", "").strip()
            if not raw:
                continue
            try:
                value = int(raw)
            except ValueError:
                problems.append(
                    _("Lot %(lot)s: “%(value)s” is not a whole number.")
                    % {"lot": line.lot, "value": raw}
                )
                continue
            if value < 0:
                problems.append(
                    _("Lot %(lot)s: a quantity cannot be negative.") % {"lot": line.lot}
                )
                continue
            found[line.key][field] = value
    return found, problems


def _typed_sub_consignees(
    request: HttpRequest,
) -> tuple[list[replies.SubConsigneeInput], list[str]]:
    entries, problems = [], []
    try:
        count = min(int(request.POST.get("sc-rows", SUB_ROWS) or SUB_ROWS), 50)
    except ValueError:
        count = SUB_ROWS
    for index in range(count):
        values = {
            field: request.POST.get(f"sc-{index}-{field}", "").strip() for field in SUB_FIELDS
        }
        if not any(values[f] for f in ("name", "address", "lot", "quantity")):
            continue
        try:
            quantity = int(values["quantity"] or 0)
        except ValueError:
            problems.append(
                _("Sub-consignee %(row)s: “%(value)s” is not a whole number.")
                % {"row": index + 1, "value": values["quantity"]}
            )
            quantity = 0
        entries.append(
            replies.SubConsigneeInput(
                name=values["name"],
                country=values["country"],
                city=values["city"],
                address=values["address"],
                lot=values["lot"],
                quantity=quantity,
                type=values["type"] or "hospital",
                province=values["province"],
                contact_name=values["contact_name"],
                phone=values["phone"],
                email=values["email"],
                serial=values["serial"],
                row=index + 1,
            )
        )
    return entries, problems


def _uploaded_sub_consignees(request: HttpRequest) -> list[replies.SubConsigneeInput]:
    upload = request.FILES.get("sub_consignee_file")
    if upload is None:
        return []
    if upload.size and upload.size > settings.MEDRECALL_SUB_CONSIGNEE_FILE_BYTES:
        raise DomainError(
            _("The sub-consignee file is larger than %(limit)s MB.")
            % {"limit": settings.MEDRECALL_SUB_CONSIGNEE_FILE_BYTES // (1024 * 1024)},
            where="sub_consignee_file",
        )
    name = Path(upload.name or "sub-consignees.csv").name
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        with path.open("wb") as target:
            for chunk in upload.chunks():
                target.write(chunk)
        return replies.sub_consignees_from_file(path, file_name=name)


def _reply_closed(
    request: HttpRequest, root: Notice, existing: Reply | None, refused: str = ""
) -> HttpResponse:
    """A recall that no longer takes replies (closed, terminated, cancelled): what the holder
    replied, read-only, never a form; a POST is refused with 409 and changes nothing."""
    context = {
        "notice": root,
        "existing": existing,
        "company": settings.MEDRECALL_COMPANY,
        "refused": refused,
        "reply_lines": list(existing.lines.select_related("lot", "serial")) if existing else [],
        "sub_consignees": list(existing.sub_consignees.select_related("party", "lot", "serial"))
        if existing
        else [],
    }
    return render(
        request, "web/reply_closed.html", context, status=409 if request.method == "POST" else 200
    )


def _reply_page(
    request: HttpRequest, notice: Notice, *, via: str, actor: User | None = None
) -> HttpResponse:
    root = notice.root
    existing = Reply.objects.filter(recall=root.recall, party=root.party).first()
    if closed := action_blockers(root.recall, Action.RECORD_REPLY):
        return _reply_closed(request, root, existing, closed[0] if request.method == "POST" else "")
    lines = replies.expected_lines(root)
    context = _reply_form(request, root, lines, existing)
    if request.method == "POST" and existing is None:
        problems = _reply_submitted(request, root, lines, via=via, actor=actor)
        if not problems:
            return render(
                request,
                "web/reply_thanks.html",
                {"notice": root, "reply": Reply.objects.get(recall=root.recall, party=root.party)},
            )
        context["errors"] = problems
        return render(request, "web/reply.html", context, status=400)
    return render(request, "web/reply.html", context)


def _reply_form(
    request: HttpRequest, root: Notice, lines: list[replies.ExpectedLine], existing: Reply | None
) -> dict[str, Any]:
    """The reply form: a row of quantities per line and the sub-consignee rows, as posted."""
    labels = dict(
        zip(
            replies.QUANTITIES,
            (
                _("On hand"),
                _("Returned / to return"),
                _("Destroyed"),
                _("Used / implanted"),
                _("Passed on"),
            ),
            strict=True,
        )
    )
    rows = [
        {
            "line": line,
            "fields": [
                (field, request.POST.get(f"q-{line.key}-{field}", ""), labels[field])
                for field in replies.QUANTITIES
            ],
        }
        for line in lines
    ]
    sub_count = SUB_ROWS
    if request.method == "POST" and request.POST.get("sc-rows", "").isdigit():
        sub_count = max(SUB_ROWS, int(request.POST["sc-rows"]))
    sub_rows = [
        {"index": index, "values": {f: request.POST.get(f"sc-{index}-{f}", "") for f in SUB_FIELDS}}
        for index in range(min(sub_count, 50))
    ]
    return {
        "notice": root,
        "rows": rows,
        "existing": existing,
        "errors": [],
        "sub_rows": sub_rows,
        "post": request.POST,
        "lots": sorted({line.lot for line in lines}),
    }


def _reply_submitted(
    request: HttpRequest,
    root: Notice,
    lines: list[replies.ExpectedLine],
    *,
    via: str,
    actor: User | None,
) -> list[str]:
    """Submit the posted reply; the problems that refused it (none: accepted)."""
    quantities, problems = _quantities(request, lines)
    typed, typed_problems = _typed_sub_consignees(request)
    problems += typed_problems
    try:
        uploaded = _uploaded_sub_consignees(request)
    except ImportRejected as rejected:
        problems += [
            f"{e.file}, {_('row')} {e.row}, {e.column}: {e.message}" for e in rejected.errors
        ]
        uploaded = []
    except DomainError as refused:
        problems.append(refused.message)
        uploaded = []
    if problems:
        return problems
    try:
        replies.reply_submit(
            notice=root,
            respondent_name=request.POST.get("respondent_name", ""),
            quantities=quantities,
            sub_consignees=typed + uploaded,
            via=via,
            actor=actor,
            respondent_title=request.POST.get("respondent_title", ""),
            respondent_email=request.POST.get("respondent_email", ""),
            respondent_phone=request.POST.get("respondent_phone", ""),
            read_and_understood=bool(request.POST.get("read_and_understood")),
            users_informed=bool(request.POST.get("users_informed")),
            comment=request.POST.get("comment", ""),
        )
    except DomainError as refused:
        details = refused.details if isinstance(refused.details, list) else []
        return [d["message"] for d in details] or [refused.message]
    return []


@rate_limited
@csrf_protect
@_linked("reply")
def notice_reply(request: HttpRequest, notice: Notice, token: str) -> HttpResponse:
    """The reply form behind the signed link in a notice: no account needed."""
    with translation.override(_holder_language(request, notice)):
        return _reply_page(request, notice, via=Reply.Via.LINK)


@rate_limited
@_linked("reply")
def notice_reply_pdf(request: HttpRequest, notice: Notice, token: str) -> HttpResponseBase:
    """The holder's own notice as PDF, from the reply page (the link is the key)."""
    root = notice.root
    if not root.pdf:
        raise Http404
    return file_response(
        root.pdf.open("rb"),
        content_type="application/pdf",
        inline=True,
        filename=f"{root.recall.number}-{root.pk}.pdf",
    )


@rate_limited
@require_POST
@csrf_protect
@_linked("reply")
def notice_acknowledge(request: HttpRequest, notice: Notice, token: str) -> HttpResponse:
    try:
        delivery.notice_acknowledge(notice=notice, note=_("Confirmed on the reply page"))
    except DomainError as refused:
        root = notice.root
        with translation.override(_holder_language(request, notice)):
            return _reply_closed(
                request,
                root,
                Reply.objects.filter(recall=root.recall, party=root.party).first(),
                refused.message,
            )
    return redirect("web:notice-reply", token=token)


@rate_limited
def notice_opened(request: HttpRequest, token: str) -> HttpResponse:
    """The 1×1 image in the e-mail: loading it marks the notice opened."""
    with contextlib.suppress(
        DomainError
    ):  # an image never shows an error: a bad token counts nothing
        delivery.notice_opened(notice=links.notice_for_token(token, "open"))
    return HttpResponse(PIXEL, content_type="image/gif", headers={"Cache-Control": "no-store"})


@rate_limited
@csrf_protect
@_linked("survey")
def notice_survey(request: HttpRequest, notice: Notice, token: str) -> HttpResponse:
    if notice.kind != Kind.SURVEY:
        return _link_error(request, LinkInvalid(_("This link is not a survey link.")))
    answered = SurveyResponse.objects.filter(notice=notice).first()
    errors = []
    if request.method == "POST" and answered is None:
        try:
            rating, clarity = (
                int(request.POST.get("rating", "")),
                int(request.POST.get("clarity", "")),
            )
        except ValueError:
            rating = clarity = 0
        if not (1 <= rating <= 5 and 1 <= clarity <= 5):
            errors.append(_("Choose a score from 1 to 5 for both questions."))
        else:
            answered = SurveyResponse.objects.create(
                notice=notice,
                rating=rating,
                clarity=clarity,
                comment=request.POST.get("comment", "")[:4000],
            )
    with translation.override(_holder_language(request, notice)):
        return render(
            request,
            "web/survey.html",
            {"notice": notice, "answered": answered, "errors": errors, "scale": range(1, 6)},
            status=400 if errors else 200,
        )


@login_required
def portal_notices(request: HttpRequest) -> HttpResponse:
    """A portal user's own notices, with their replies."""
    viewer = viewer_of(request)
    notices = selectors.notice_list_for(viewer=viewer).filter(
        kind__in=(Kind.INITIAL, Kind.REMINDER), sequence=1
    )
    if viewer.party_id is None and not viewer.has_perm("notices.view_notice"):
        raise Http404
    return render(request, "web/portal_notices.html", {"notices": paged(request, notices)})


@login_required
def portal_reply(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    try:
        notice = selectors.notice_get_for(viewer=viewer, pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    if viewer.party_id is None:
        raise Http404(
            _("The portal reply is for holders; staff enter replies from the notice page.")
        )
    return _reply_page(request, notice, via=Reply.Via.PORTAL, actor=viewer)
