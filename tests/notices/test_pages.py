"""Staff pages of notices: templates (edit, approve, preview), a recall's notices with the
send button and run progress, one notice with its log, the overdue queue, the customer
search and timeline with offers and progress updates; permissions and portal isolation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.notices import followup, replies, send_runs, template_control
from medrecall.notices.models import Notice, NoticeEvent, NoticeRun, NoticeTemplate, Offer, Reply
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.factories import ContactFactory
from tests.notices.conftest import work_off_queue

pytestmark = pytest.mark.django_db(transaction=True)


def logged_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def texts(response: Any) -> list[str]:
    from django.contrib.messages import get_messages

    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def sent(recall: RecallCase, manager: User, smtp: Any) -> RecallCase:
    """The recall with its first notices generated and sent."""
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    return recall


def notice_of(code: str, **filters: Any) -> Notice:
    return Notice.objects.filter(party__code=code, **filters).order_by("pk").first()  # type: ignore[return-value]


def nmpa_zh(kind: str = "initial") -> NoticeTemplate:
    return NoticeTemplate.objects.get(
        regime="nmpa", language="zh-hans", kind=kind, status="approved"
    )


def edit_post(template: NoticeTemplate, **changes: Any) -> dict[str, Any]:
    sections = changes.pop("sections", template.sections)
    return {
        "title": template.title,
        "subject": template.subject,
        "section-key": [s["key"] for s in sections] + [""],
        "section-heading": [s["heading"] for s in sections] + [""],
        "section-body": [s["body"] for s in sections] + [""],
        "change_note": "Clearer wording",
    } | changes


# --- templates -------------------------------------------------------------------------


def test_template_list_shows_every_template_and_filters_by_status(manager: User) -> None:
    client = logged_in(manager)
    page = client.get("/notices/templates/").content.decode()
    assert page.count("<tr>") - 1 == NoticeTemplate.objects.count() == 40  # with EU de, fr
    assert "医疗器械召回通知" in page
    template_control.template_save(
        actor=manager,
        regime="nmpa",
        language="en",
        kind="reminder",
        title="Reminder",
        subject="Reminder {{ recall_number }}",
        sections=[
            {"key": "reminder", "heading": "R", "body": "Reply by {{ reply_by }}: {{ reply_url }}"},
            {"key": "contact", "heading": "C", "body": "{{ company_phone }}"},
        ],
    )
    drafts = client.get("/notices/templates/?status=draft").content.decode()
    assert drafts.count(">v2<") == 1  # (a bare "v2" can occur in the random CSRF token)
    assert "医疗器械召回通知" not in drafts


def test_template_detail_lists_sections_placeholders_and_versions(manager: User) -> None:
    template = nmpa_zh()
    page = logged_in(manager).get(f"/notices/templates/{template.pk}/").content.decode()
    assert "召回原因" in page
    assert "{{ reply_url }}" in page
    assert "the holder&#x27;s personal reply link" in page
    assert 'id="template-versions"' in page
    assert "v1" in page
    assert 'id="template-approve"' not in page  # approved already


def test_edit_with_an_unknown_placeholder_shows_the_problem_and_saves_nothing(
    manager: User,
) -> None:
    template = nmpa_zh()
    sections = [dict(s) for s in template.sections]
    sections[0]["body"] += " {{ holder_fax }}"
    before = (NoticeTemplate.objects.count(), AuditEntry.objects.count())
    response = logged_in(manager).post(
        f"/notices/templates/{template.pk}/edit/",
        edit_post(template, sections=sections, title="Changed title"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "unknown placeholder {{ holder_fax }}" in page
    assert 'value="Changed title"' in page  # the input is kept
    assert "{{ holder_fax }}</textarea>" in page
    assert (NoticeTemplate.objects.count(), AuditEntry.objects.count()) == before


def test_edit_reports_every_problem(manager: User) -> None:
    template = nmpa_zh()
    sections = [s for s in template.sections if s["key"] != "contact"]
    sections[0] = sections[0] | {"body": "{{ nope }}"}
    page = (
        logged_in(manager)
        .post(f"/notices/templates/{template.pk}/edit/", edit_post(template, sections=sections))
        .content.decode()
    )
    assert "Section “contact” is required" in page
    assert "unknown placeholder {{ nope }}" in page


def test_edit_saves_a_draft_that_a_second_user_approves_and_the_author_cannot(
    manager: User, make_user: Callable[..., User]
) -> None:
    template = nmpa_zh("reminder")
    sections = [dict(s) for s in template.sections]
    sections.append({"key": "extra", "heading": "另请注意", "body": "请保留本通知。"})
    client = logged_in(manager)
    response = client.post(
        f"/notices/templates/{template.pk}/edit/", edit_post(template, sections=sections)
    )
    draft = NoticeTemplate.objects.get(
        regime="nmpa", language="zh-hans", kind="reminder", version=2
    )
    assert response.status_code == 302
    assert response["Location"] == f"/notices/templates/{draft.pk}/"
    assert draft.status == "draft"
    assert [s["key"] for s in draft.sections] == ["reminder", "contact", "extra"]
    assert draft.created_by == manager
    assert draft.change_note == "Clearer wording"

    refused = client.post(f"/notices/templates/{draft.pk}/approve/", follow=True)
    assert any("other than the author" in m for m in texts(refused))
    draft.refresh_from_db()
    assert draft.status == "draft"

    other = make_user(Role.QA_RA_MANAGER)
    approved = logged_in(other).post(f"/notices/templates/{draft.pk}/approve/", follow=True)
    assert any("Version 2 approved" in m for m in texts(approved))
    draft.refresh_from_db()
    template.refresh_from_db()
    assert (draft.status, draft.approved_by, template.status) == ("approved", other, "retired")


def test_template_preview_as_html_and_pdf(manager: User) -> None:
    template = nmpa_zh()
    client = logged_in(manager)
    page = client.get(f"/notices/templates/{template.pk}/preview/").content.decode()
    assert "<iframe sandbox srcdoc=" in page
    assert "RC-2025-0001" in page
    assert "L-SAMPLE-1" in page
    assert "SN-0001" in page
    assert "召回原因" in page
    response = client.get(f"/notices/templates/{template.pk}/preview.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


# --- a recall's notices ----------------------------------------------------------------


def test_send_button_starts_a_run_and_the_page_shows_the_notices(
    recall: RecallCase, manager: User, smtp: Any
) -> None:
    client = logged_in(manager)
    assert 'id="recall-notices-link"' in client.get(f"/recalls/{recall.pk}/").content.decode()
    empty = client.get(f"/recalls/{recall.pk}/notices/").content.decode()
    assert "No notices have been sent yet." in empty
    response = client.post(f"/recalls/{recall.pk}/notices/send/", follow=True)
    run = NoticeRun.objects.get()
    assert any(f"Send run {run.pk} started" in m for m in texts(response))
    assert 'hx-trigger="every 1s"' in response.content.decode()  # still queued: the bar polls
    work_off_queue()
    assert Notice.objects.filter(recall=recall).count() == 5
    assert len(smtp.messages) == 4
    page = client.get(f"/recalls/{recall.pk}/notices/").content.decode()
    for code in ("DIST", "SUB", "HOSP", "HOSP2"):
        assert f"{code} " in page
    assert 'data-status="sent"' in page
    assert 'data-status="generated"' in page
    fragment = client.get(
        f"/notices/runs/{run.pk}/progress/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'data-run-status="done"' in fragment
    assert "hx-get" not in fragment  # finished: polling stops
    assert "<html" not in fragment


def test_send_refused_for_a_recall_not_yet_approved(recall: RecallCase, manager: User) -> None:
    RecallCase.objects.filter(pk=recall.pk).update(status="assessment")
    response = logged_in(manager).post(f"/recalls/{recall.pk}/notices/send/", follow=True)
    assert any(
        m.startswith("Sending recall notices and reminders is not possible while recall")
        for m in texts(response)
    )
    assert NoticeRun.objects.count() == 0


def test_notice_list_filters(sent: RecallCase, manager: User) -> None:
    client = logged_in(manager)
    url = f"/recalls/{sent.pk}/notices/"

    def rows(query: str) -> str:
        page = client.get(url + query).content.decode()
        return page.split('id="notice-list"')[1].split("</table>")[0]

    letters = rows("?channel=letter")
    assert "HOSP " in letters
    assert "DIST " not in letters
    assert rows("?status=sent").count("<tr>") - 1 == 4
    assert rows("?q=zhao@dist").count("<tr>") - 1 == 1
    assert "No notices match." in rows("?kind=reminder")


# --- one notice ------------------------------------------------------------------------


def test_notice_detail_shows_the_notice_pdf_and_log(sent: RecallCase, manager: User) -> None:
    notice = notice_of("SUB")
    client = logged_in(manager)
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "<iframe sandbox srcdoc=" in page
    assert "chen@sub.example" in page
    assert "Sent by e-mail" in page
    assert "Queued for sending" in page
    assert "/n/o/" not in page  # looking at it must not count as the holder opening it
    assert f"/notices/{notice.pk}/reply/" in page
    pdf = client.get(f"/notices/{notice.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_log_a_posted_letter_and_acknowledgement(sent: RecallCase, manager: User) -> None:
    letter = notice_of("HOSP")
    assert letter.status == "generated"
    response = logged_in(manager).post(
        f"/notices/{letter.pk}/contact/",
        {"channel": "letter", "note": "EMS 1234", "acknowledged": "1"},
        follow=True,
    )
    assert any("Letter posted" in m for m in texts(response))
    letter.refresh_from_db()
    assert letter.status == "acknowledged"
    assert letter.sent_at is not None
    assert (
        NoticeEvent.objects.filter(
            notice=letter, type="letter", actor=manager, note="EMS 1234"
        ).count()
        == 1
    )
    assert "EMS 1234" in response.content.decode()


def test_a_call_without_a_note_is_refused(sent: RecallCase, manager: User) -> None:
    letter = notice_of("HOSP")
    response = logged_in(manager).post(
        f"/notices/{letter.pk}/contact/", {"channel": "call", "note": " "}, follow=True
    )
    assert any("Say what the call achieved" in m for m in texts(response))
    assert not NoticeEvent.objects.filter(notice=letter, type="call").exists()


def test_staff_enter_the_reply_on_the_holders_behalf(
    sent: RecallCase, make_user: Callable[..., User]
) -> None:
    service = make_user(Role.CUSTOMER_SERVICE)
    notice = notice_of("HOSP2")
    client = logged_in(service)
    assert 'id="reply-form"' in client.get(f"/notices/{notice.pk}/reply/").content.decode()
    line = replies.expected_lines(notice)[0]
    response = client.post(
        f"/notices/{notice.pk}/reply/",
        {
            f"q-{line.key}-on_hand": "50",
            f"q-{line.key}-to_return": "50",
            "respondent_name": "Dr Smith (by phone)",
        },
    )
    assert 'id="reply-received"' in response.content.decode()
    reply = Reply.objects.get()
    assert (reply.via, reply.entered_by, reply.party.code) == ("staff", service, "HOSP2")
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "Dr Smith (by phone)" in page
    assert "Enter the reply on the holder" not in page


# --- overdue queue ---------------------------------------------------------------------


def test_overdue_queue_shows_escalated_notices_and_letters_to_post(
    sent: RecallCase, manager: User
) -> None:
    later = timezone.now()
    for step in range(1, 4):  # the 2nd notice, the 3rd, then escalation
        later += timedelta(days=30)
        followup.reminders_send(later)
        if step < 3:
            work_off_queue()
    escalated = set(Notice.objects.filter(escalated_at__isnull=False).values_list("pk", flat=True))
    assert escalated == set(
        Notice.objects.filter(kind="initial", channel="email").values_list("pk", flat=True)
    )
    letter = notice_of("HOSP")
    page = logged_in(manager).get("/notices/overdue/").content.decode()
    assert "<title>Overdue queue (5)" in page
    queue = page.split('id="overdue-list"')[1]
    for pk in [*escalated, letter.pk]:
        assert f'href="/notices/{pk}/"' in queue
    assert "chen@sub.example" in queue
    assert "+86 20 1234 5678" in queue


# --- customers -------------------------------------------------------------------------


def test_customer_search_by_lot_and_by_phone(sent: RecallCase, manager: User) -> None:
    ContactFactory(
        party=Party.objects.get(code="HOSP"), name="Ward nurse", phone="+86 755 8888 0001", email=""
    )
    client = logged_in(manager)
    by_lot = client.get("/customers/?q=C1").content.decode()
    for code in ("DIST", "SUB", "HOSP", "HOSP2"):
        assert f"<td>{code}</td>" in by_lot
    by_phone = client.get("/customers/?q=8888 0001").content.decode()
    assert "<td>HOSP</td>" in by_phone
    assert "<td>DIST</td>" not in by_phone
    assert "Nobody matches" in client.get("/customers/?q=nothing-like-this").content.decode()


def test_timeline_shows_notice_events_and_the_reply(sent: RecallCase, manager: User) -> None:
    notice = notice_of("SUB")
    line = replies.expected_lines(notice)[0]
    replies.reply_submit(
        notice=notice, respondent_name="Chen Jie", quantities={line.key: {"on_hand": 100}}
    )
    page = logged_in(manager).get(f"/customers/{notice.party_id}/").content.decode()
    timeline = page.split('id="timeline"')[1]
    assert "Sent by e-mail" in timeline
    assert "Replied" in timeline
    assert "Signed by Chen Jie: on hand 100" in timeline
    assert sent.number in page
    assert "<td>C1</td>" in page.split('id="customer-units"')[1]


def test_offer_propose_approve_and_fulfil_through_the_pages(
    sent: RecallCase, manager: User, make_user: Callable[..., User]
) -> None:
    party = Party.objects.get(code="HOSP2")
    client = logged_in(manager)
    response = client.post(
        f"/customers/{party.pk}/offers/",
        {
            "recall": sent.pk,
            "kind": "replacement",
            "description": "50 new catheters",
            "quantity": "50",
            "amount": "12500.00",
            "currency": "cny",
        },
        follow=True,
    )
    offer = Offer.objects.get()
    assert (offer.party, offer.quantity, str(offer.amount), offer.currency) == (
        party,
        50,
        "12500.00",
        "CNY",
    )
    assert "50 new catheters" in response.content.decode()
    assert "offer-approve" in response.content.decode()

    own = client.post(f"/offers/{offer.pk}/decide/", {"decision": "approve"}, follow=True)
    assert any("other than the proposer" in m for m in texts(own))
    approver = logged_in(make_user(Role.QA_RA_MANAGER))
    no_reason = approver.post(
        f"/offers/{offer.pk}/decide/", {"decision": "reject", "note": ""}, follow=True
    )
    assert any("Say why" in m for m in texts(no_reason))
    offer.refresh_from_db()
    assert offer.status == "proposed"
    approver.post(f"/offers/{offer.pk}/decide/", {"decision": "approve", "note": "OK"})
    offer.refresh_from_db()
    assert offer.status == "approved"
    page = client.post(f"/offers/{offer.pk}/fulfil/", {"note": "Shipped DN-99"}, follow=True)
    offer.refresh_from_db()
    assert (offer.status, offer.fulfilment_note) == ("fulfilled", "Shipped DN-99")
    assert "Fulfilled" in page.content.decode()


def test_an_offer_needs_a_recall_of_the_party(sent: RecallCase, manager: User) -> None:
    party = Party.objects.get(code="HOSP2")
    response = logged_in(manager).post(
        f"/customers/{party.pk}/offers/",
        {"recall": "999999", "kind": "credit", "description": "x"},
        follow=True,
    )
    assert any("Choose a recall" in m for m in texts(response))
    assert Offer.objects.count() == 0


def test_progress_update_sends_an_email(sent: RecallCase, manager: User, smtp: Any) -> None:
    party = Party.objects.get(code="HOSP2")
    before = len(smtp.messages)
    response = logged_in(manager).post(
        f"/customers/{party.pk}/progress/",
        {"recall": sent.pk, "message": "Your replacement units ship on Monday."},
        follow=True,
    )
    assert any("Progress update queued: 1" in m for m in texts(response))
    work_off_queue()
    new = smtp.messages[before:]
    assert [rcpt for rcpt, _m in new] == [["smith@hosp2.example"]]
    assert "Your replacement units ship on Monday." in new[0][1].get_body(("html",)).get_content()


# --- permissions and the portal --------------------------------------------------------


def test_a_viewer_sees_the_pages_but_cannot_act(
    sent: RecallCase, make_user: Callable[..., User]
) -> None:
    viewer = logged_in(make_user(Role.VIEWER))
    notice = notice_of("HOSP")
    assert viewer.get(f"/recalls/{sent.pk}/notices/").status_code == 200
    assert viewer.get(f"/notices/{notice.pk}/").status_code == 200
    assert viewer.post(f"/recalls/{sent.pk}/notices/send/").status_code == 403
    assert (
        viewer.post(f"/notices/{notice.pk}/contact/", {"channel": "note", "note": "x"}).status_code
        == 403
    )
    assert viewer.get(f"/notices/{notice.pk}/reply/").status_code == 403
    assert viewer.post(f"/notices/templates/{nmpa_zh().pk}/edit/", {}).status_code == 403
    assert NoticeRun.objects.count() == 1


@pytest.mark.parametrize("role", [Role.WAREHOUSE, Role.FIELD_SERVICE])
def test_roles_without_notices_are_refused(
    role: str, sent: RecallCase, make_user: Callable[..., User]
) -> None:
    client = logged_in(make_user(role))
    for url in (
        f"/recalls/{sent.pk}/notices/",
        "/notices/overdue/",
        "/customers/?q=C1",
        "/notices/templates/",
        f"/notices/{notice_of('SUB').pk}/",
    ):
        assert client.get(url).status_code == 403, url


def test_anonymous_is_sent_to_log_in(recall: RecallCase) -> None:
    response = Client().get(f"/recalls/{recall.pk}/notices/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_portal_users_see_only_their_own_notices_and_no_staff_page(
    sent: RecallCase, make_user: Callable[..., User]
) -> None:
    sub, dist = Party.objects.get(code="SUB"), Party.objects.get(code="DIST")
    portal = logged_in(make_user(Role.PORTAL, party=sub))
    own, other = notice_of("SUB"), notice_of("DIST")
    listing = portal.get("/portal/notices/").content.decode()
    assert f"/portal/notices/{own.pk}/reply/" in listing
    assert f"/portal/notices/{other.pk}/reply/" not in listing
    assert "Our recall notices" in listing
    assert "Overdue queue" not in listing
    assert portal.get(f"/portal/notices/{own.pk}/reply/").status_code == 200
    assert portal.get(f"/portal/notices/{other.pk}/reply/").status_code == 404
    for url in (
        f"/notices/{other.pk}/",
        f"/notices/{own.pk}/",
        f"/notices/{own.pk}/pdf/",
        "/notices/overdue/",
        "/notices/templates/",
        f"/recalls/{sent.pk}/notices/",
        "/customers/?q=C1",
        f"/customers/{sub.pk}/",
        f"/customers/{dist.pk}/",
        f"/notices/{own.pk}/reply/",
    ):
        assert portal.get(url).status_code == 404, url
    assert portal.post(f"/recalls/{sent.pk}/notices/send/").status_code == 404
    assert (
        portal.post(
            f"/customers/{sub.pk}/progress/", {"recall": sent.pk, "message": "x"}
        ).status_code
        == 404
    )


def test_navigation_of_notices(manager: User, make_user: Callable[..., User]) -> None:
    page = logged_in(manager).get("/").content.decode()
    for label, url in (
        ("Notice templates", "/notices/templates/"),
        ("Overdue queue", "/notices/overdue/"),
        ("Customers", "/customers/"),
    ):
        assert f'href="{url}"' in page, label
    assert 'href="/portal/notices/"' not in page  # staff have the recall's notices page instead
    service = logged_in(make_user(Role.CUSTOMER_SERVICE)).get("/").content.decode()
    assert 'href="/notices/overdue/"' in service


def test_a_send_run_of_one_notice_says_one_notice_in_either_language(
    recall: RecallCase, manager: User, smtp: Any
) -> None:
    client = logged_in(manager)
    client.post(f"/recalls/{recall.pk}/notices/send/")
    work_off_queue()
    NoticeRun.objects.update(total=1, rendered=1)
    page = client.get(f"/recalls/{recall.pk}/notices/").content.decode()
    assert "<small>1 notice · 1 rendered · 4 sent · 0 failed · 0 bounced</small>" in page
    manager.language = "zh-hans"
    manager.save(update_fields=["language"])
    try:
        page = client.get(f"/recalls/{recall.pk}/notices/").content.decode()
    finally:
        translation.deactivate()  # the user's language stays active on this thread otherwise
    assert "<small>共 1 份通知 · 已生成 1 · 已发送 4 · 失败 0 · 退信 0</small>" in page
