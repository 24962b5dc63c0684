"""The signing forms (21 CFR 11.200(a)(1)): the user ID is never pre-filled; the first
signature of a session needs it typed with the password, later ones the password only."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from medrecall.accounts.models import Signature, User
from medrecall.accounts.roles import Role
from medrecall.accounts.signatures import SESSION_KEY
from medrecall.recalls.models import ApprovalStep, RecallCase
from tests.conftest import PASSWORD
from tests.recalls.test_approvals import pending  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def sign_form(client: Client, recall: RecallCase) -> str:
    page = client.get(f"/recalls/{recall.pk}/").content.decode()
    found = re.search(r'<form[^>]*id="sign-form".*?</form>', page, re.S)
    assert found is not None
    return found.group(0)


def test_the_form_does_not_prefill_the_user_id(
    pending: RecallCase,  # noqa: F811
    manager: User,
    client: Client,
) -> None:
    client.force_login(manager)
    form = sign_form(client, pending)
    assert re.findall(r'<input name="username"[^>]*>', form) == [
        '<input name="username" value="" placeholder="User ID" aria-label="User ID" required autocomplete="off">'
    ]
    assert manager.username not in form


def test_the_first_signature_of_a_session_needs_both_components(
    pending: RecallCase,  # noqa: F811
    manager: User,
    client: Client,
) -> None:
    client.force_login(manager)
    url = f"/recalls/{pending.pk}/sign/"
    answer = client.post(
        url, {"step": "qa_head", "password": PASSWORD}, follow=True
    ).content.decode()
    assert "the first signature of a session needs both" in answer
    assert Signature.objects.count() == 0
    client.post(url, {"step": "qa_head", "username": manager.username, "password": PASSWORD})
    assert list(Signature.objects.values_list("step", "signer")) == [("qa_head", manager.pk)]
    assert client.session[SESSION_KEY]["user"] == manager.pk


def test_later_signatures_of_the_session_ask_the_password_only(
    pending: RecallCase,  # noqa: F811
    manager: User,
    client: Client,
) -> None:
    ApprovalStep.objects.filter(regime="nmpa", recall_class="I").update(distinct_signer=False)
    client.force_login(manager)
    url = f"/recalls/{pending.pk}/sign/"
    client.post(url, {"step": "qa_head", "username": manager.username, "password": PASSWORD})
    assert 'name="username"' not in sign_form(client, pending)
    assert "your password is enough" in client.get(f"/recalls/{pending.pk}/").content.decode()
    client.post(url, {"step": "ra_head", "password": PASSWORD})
    assert list(Signature.objects.order_by("pk").values_list("step", flat=True)) == [
        "qa_head",
        "ra_head",
    ]


def test_a_new_log_in_session_asks_for_both_again(
    pending: RecallCase,  # noqa: F811
    manager: User,
    client: Client,
    make_user: Callable[..., User],
) -> None:
    ApprovalStep.objects.filter(regime="nmpa", recall_class="I").update(distinct_signer=False)
    client.force_login(manager)
    client.post(
        f"/recalls/{pending.pk}/sign/",
        {"step": "qa_head", "username": manager.username, "password": PASSWORD},
    )
    client.logout()
    client.force_login(manager)
    assert 'name="username"' in sign_form(client, pending)
    client.post(f"/recalls/{pending.pk}/sign/", {"step": "ra_head", "password": PASSWORD})
    assert Signature.objects.count() == 1


def test_another_persons_user_id_is_refused(
    pending: RecallCase,  # noqa: F811
    manager: User,
    client: Client,
    make_user: Callable[..., User],
) -> None:
    other = make_user(Role.QA_RA_MANAGER)
    client.force_login(manager)
    answer = client.post(
        f"/recalls/{pending.pk}/sign/",
        {"step": "qa_head", "username": other.username, "password": PASSWORD},
        follow=True,
    ).content.decode()
    assert "That is another user&#x27;s log-in. Sign with your own user ID" in answer
    assert Signature.objects.count() == 0


def test_the_release_form_does_not_prefill_the_user_id(pending: RecallCase, manager: User) -> None:  # noqa: F811
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from medrecall.execution.models import Disposition

    request = RequestFactory().get("/")
    request.user = manager
    d = Disposition(number="DSP-1", kind="release", status="open", quantity=1, recall=pending)
    html = render_to_string(
        "web/disposition_detail.html",
        {
            "d": d,
            "signing_needs_user_id": True,
            "perms": {"execution": {"change_disposition": True}},
        },
        request=request,
    )
    assert '<input name="username" value="" required autocomplete="off">' in html
    assert f'value="{manager.username}"' not in html
    in_session = render_to_string(
        "web/disposition_detail.html",
        {
            "d": d,
            "signing_needs_user_id": False,
            "perms": {"execution": {"change_disposition": True}},
        },
        request=request,
    )
    assert 'name="username"' not in in_session
    assert 'name="password"' in in_session


def test_the_case_page_sends_an_approved_recall_back_only_with_a_reason(
    pending: RecallCase,  # noqa: F811
    manager: User,
    client: Client,
    make_user: Callable[..., User],
) -> None:
    from medrecall.recalls import approvals, services

    for step in ("qa_head", "ra_head"):
        signer = make_user(Role.QA_RA_MANAGER)
        approvals.approval_sign(
            recall=pending, step=step, actor=signer, password=PASSWORD, username=signer.username
        )
    services.recall_transition(recall=pending, target="in_execution", actor=manager)
    client.force_login(manager)
    page = client.get(f"/recalls/{pending.pk}/").content.decode()
    back = re.search(r'<form[^>]*>(?:(?!</form>).)*value="pending_approval".*?</form>', page, re.S)
    assert back is not None
    assert '<input name="reason" placeholder="Reason" required>' in back.group(0)
    url = f"/recalls/{pending.pk}/transition/"
    refused = client.post(url, {"target": "pending_approval"}, follow=True).content.decode()
    assert "Say why the approved recall goes back for approval." in refused
    pending.refresh_from_db()
    assert pending.status == "in_execution"
    client.post(url, {"target": "pending_approval", "reason": "Field data changes the class"})
    pending.refresh_from_db()
    assert pending.status == "pending_approval"
    assert sorted(approvals.missing_approvals(pending)) == [
        "QA head",
        "RA head",
    ]  # approval starts over
