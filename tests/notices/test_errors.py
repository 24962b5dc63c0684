"""The notices context's named refusals (``notices/errors.py``, issue 13): each is raised by
its own class with its own code, keeps its message and HTTP status, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.core.errors import DomainError, NotFound, ValidationFailed
from medrecall.notices import (
    delivery,
    errors,
    issuing,
    postal,
    recipients,
    relations,
    rendering,
    replies,
    send_runs,
    template_control,
)
from medrecall.notices.models import Kind, Notice, NoticeEvent, NoticeRun, NoticeTemplate, Offer
from medrecall.parties.models import Party
from medrecall.recalls import services as recall_services
from medrecall.recalls.models import RecallCase, RecallRegime

pytestmark = pytest.mark.django_db


def refused(call: Callable[[], object], error: type[DomainError]) -> DomainError:
    """Run ``call``; it must raise exactly ``error`` (not a subclass, not a parent)."""
    with pytest.raises(error) as caught:
        call()
    assert type(caught.value) is error
    return caught.value


def hosp(recall: RecallCase) -> Party:
    return Party.objects.get(code="HOSP")


@pytest.mark.parametrize(
    ("error", "parent", "code", "status"),
    [
        (errors.TemplateInvalid, ValidationFailed, "template_invalid", 400),
        (errors.TemplateNotDraft, ValidationFailed, "template_not_draft", 400),
        (errors.FourEyesRequired, ValidationFailed, "four_eyes", 400),
        (errors.TemplateMissing, ValidationFailed, "template_missing", 400),
        (errors.NoticeWithoutTemplate, ValidationFailed, "notice_without_template", 400),
        (errors.NoticeContentMissing, ValidationFailed, "notice_content", 400),
        (errors.RecallWithoutRegime, ValidationFailed, "recall_without_regime", 400),
        (errors.ScopeNotFrozen, ValidationFailed, "scope_not_frozen", 400),
        (errors.RecallNotApproved, ValidationFailed, "not_approved", 400),
        (errors.HolderNotAffected, ValidationFailed, "holder_not_affected", 400),
        (errors.MessageUnknown, NotFound, "message_unknown", 404),
        (errors.NoLettersToPrint, ValidationFailed, "no_letters", 400),
        (errors.OfferClosed, ValidationFailed, "offer_closed", 400),
        (errors.OfferNotApproved, ValidationFailed, "offer_not_approved", 400),
        (errors.RecallClosedForReplies, ValidationFailed, "recall_not_open", 400),
        (errors.AlreadyReplied, DomainError, "already_replied", 409),
        (errors.LinkInvalid, DomainError, "link_invalid", 404),
        (errors.LinkExpired, DomainError, "link_expired", 410),
    ],
)
def test_each_error_has_its_code_and_status(
    error: type[DomainError], parent: type[DomainError], code: str, status: int
) -> None:
    raised = error("message")
    assert isinstance(raised, parent)
    assert (raised.code, raised.status, raised.message) == (code, status, "message")
    assert raised.as_dict() == {"code": code, "message": "message"}


def test_approving_an_approved_template_is_refused(manager: User) -> None:
    template = NoticeTemplate.objects.filter(status="approved").order_by("pk").first()
    assert template is not None
    entries = AuditEntry.objects.count()
    error = refused(
        lambda: template_control.template_approve(template=template, actor=manager),
        errors.TemplateNotDraft,
    )
    assert error.message == "Only a draft can be approved; this version is Approved."
    template.refresh_from_db()
    assert (template.status, AuditEntry.objects.count()) == ("approved", entries)


def test_the_author_cannot_approve_their_own_template(make_user: Callable[..., User]) -> None:
    author = make_user(Role.QA_RA_MANAGER)
    approved = NoticeTemplate.objects.get(
        regime="nmpa", language="zh-hans", kind="initial", status="approved"
    )
    draft = template_control.template_save(
        actor=author,
        regime="nmpa",
        language="zh-hans",
        kind="initial",
        title=approved.title,
        subject=approved.subject,
        sections=approved.sections,
    )
    entries = AuditEntry.objects.count()
    error = refused(
        lambda: template_control.template_approve(template=draft, actor=author),
        errors.FourEyesRequired,
    )
    assert error.message == "Someone other than the author must approve a template."
    draft.refresh_from_db()
    assert (draft.status, AuditEntry.objects.count()) == ("draft", entries)


def test_notices_without_an_approved_template_are_refused(recall: RecallCase) -> None:
    NoticeTemplate.objects.filter(regime="nmpa", kind="initial").update(status="retired")
    error = refused(
        lambda: issuing.notices_create(
            recall=recall, run=None, kind=Kind.INITIAL, party_ids=[hosp(recall).pk]
        ),
        errors.TemplateMissing,
    )
    assert error.message == (
        "No approved Recall notice template for China NMPA in Simplified Chinese: approve one, "
        "or set the holder's language to one that has a template."
    )
    assert (Notice.objects.count(), NoticeEvent.objects.count()) == (0, 0)


def test_a_notice_without_its_template_is_not_rendered(recall: RecallCase) -> None:
    [pk] = issuing.notices_create(
        recall=recall, run=None, kind=Kind.INITIAL, party_ids=[hosp(recall).pk]
    )
    Notice.objects.filter(pk=pk).update(template=None)
    notice = Notice.objects.get(pk=pk)
    error = refused(lambda: rendering.notice_render(notice), errors.NoticeWithoutTemplate)
    assert error.message == "The notice has no template."
    notice.refresh_from_db()
    assert (notice.body_html, notice.status) == ("", "generated")


def test_a_recall_without_a_regime_has_no_notice_to_send(recall: RecallCase) -> None:
    RecallRegime.objects.filter(recall=recall).delete()
    recall = RecallCase.objects.get(pk=recall.pk)
    error = refused(lambda: recipients.regime_for(recall, "CN"), errors.RecallWithoutRegime)
    assert error.message == "The recall has no regime, so there is no notice template to use."


def test_notices_need_a_frozen_scope(manager: User) -> None:
    draft = recall_services.recall_open(actor=manager, title="t", products=[], reason="r")
    error = refused(lambda: recipients.holder_lines(draft), errors.ScopeNotFrozen)
    assert (error.message, error.where) == ("Freeze the scope before sending notices.", "scope")


def test_first_notices_wait_for_the_approval(
    recall: RecallCase, manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second line of defence behind the lifecycle's allowed actions."""
    monkeypatch.setattr(send_runs, "require_action", lambda recall, action: None)
    RecallCase.objects.filter(pk=recall.pk).update(status="assessment")
    entries = AuditEntry.objects.count()
    error = refused(
        lambda: send_runs.notice_run_start(recall=recall, actor=manager), errors.RecallNotApproved
    )
    assert error.message == "Notices go out once the recall is approved (now: Assessment)."
    assert (NoticeRun.objects.count(), AuditEntry.objects.count()) == (0, entries)


def test_a_progress_update_to_a_party_without_units_is_refused(
    recall: RecallCase, manager: User
) -> None:
    own = Party.objects.get(code="OWN")
    error = refused(
        lambda: relations.progress_update_send(
            recall=recall, party=own, message="On its way", actor=manager
        ),
        errors.HolderNotAffected,
    )
    assert error.message == f"{own.name} has no affected units in this recall."
    assert Notice.objects.count() == 0


def test_a_delivery_report_for_an_unknown_message_answers_404(manager: User, api_as: Any) -> None:
    error = refused(
        lambda: delivery.notice_delivery_report(message_id="<nope@x>", outcome="delivered"),
        errors.MessageUnknown,
    )
    assert error.message == "No notice was sent with the message id <nope@x>."
    answer = api_as(manager).post(
        "/api/notices/delivery/", {"message_id": "<nope@x>", "outcome": "delivered"}, format="json"
    )
    assert (answer.status_code, answer.json()) == (
        404,
        {
            "code": "message_unknown",
            "message": "No notice was sent with the message id <nope@x>.",
            "where": "message_id",
        },
    )


def test_no_letters_to_print() -> None:
    error = refused(lambda: postal.letters_bundle([]), errors.NoLettersToPrint)
    assert error.message == "There are no letters to print."


def offer(recall: RecallCase, manager: User) -> Offer:
    return relations.offer_propose(
        recall=recall, party=hosp(recall), kind="replacement", description="New unit", actor=manager
    )


def test_the_proposer_cannot_approve_their_own_offer(recall: RecallCase, manager: User) -> None:
    proposed = offer(recall, manager)
    error = refused(
        lambda: relations.offer_decide(offer=proposed, approve=True, actor=manager),
        errors.FourEyesRequired,
    )
    assert error.message == "Someone other than the proposer must approve an offer."
    proposed.refresh_from_db()
    assert proposed.status == "proposed"


def test_a_decided_offer_is_closed(
    recall: RecallCase, manager: User, make_user: Callable[..., User]
) -> None:
    proposed = offer(recall, manager)
    relations.offer_decide(offer=proposed, approve=False, actor=manager, note="Out of warranty")
    entries = AuditEntry.objects.count()
    decided = refused(
        lambda: relations.offer_decide(
            offer=proposed, approve=True, actor=make_user(Role.QA_RA_MANAGER)
        ),
        errors.OfferClosed,
    )
    cancelled = refused(
        lambda: relations.offer_cancel(offer=proposed, actor=manager, note="x"), errors.OfferClosed
    )
    assert decided.message == cancelled.message == "This offer is already Rejected."
    proposed.refresh_from_db()
    assert (proposed.status, AuditEntry.objects.count()) == ("rejected", entries)


def test_only_an_approved_offer_is_fulfilled(recall: RecallCase, manager: User) -> None:
    proposed = offer(recall, manager)
    error = refused(
        lambda: relations.offer_fulfil(offer=proposed, actor=manager), errors.OfferNotApproved
    )
    assert error.message == "Only an approved offer can be fulfilled (this one is Proposed)."
    proposed.refresh_from_db()
    assert proposed.status == "proposed"


def test_a_recall_no_longer_open_takes_no_reply(
    recall: RecallCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second line of defence behind the lifecycle's allowed actions."""
    [pk] = issuing.notices_create(
        recall=recall, run=None, kind=Kind.INITIAL, party_ids=[hosp(recall).pk]
    )
    monkeypatch.setattr(replies, "require_action", lambda recall, action: None)
    RecallCase.objects.filter(pk=recall.pk).update(status="closed")
    notice = Notice.objects.get(pk=pk)
    error = refused(
        lambda: replies.reply_submit(notice=notice, respondent_name="Li", quantities={}),
        errors.RecallClosedForReplies,
    )
    assert error.message == (
        f"Recall {recall.number} is no longer taking replies (Closed); please contact us."
    )
    assert notice.replies.count() == 0
