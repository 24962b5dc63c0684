"""Closing a recall follows from the data: the Class I case of the defects issue (420 units at
11 holders; one holder replied and returned its 40 units, which were destroyed; 380 units
still at the 10 silent holders). Closing is refused with every reason; a signed closure
exception closes it (stored, audited, shown); balanced accounting closes it without one.
After closure the holder's reply link is read-only. Interfaces: API 409 and CLI exit codes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone, translation
from rest_framework.test import APIClient

from medrecall.accounts.models import Signature, User
from medrecall.accounts.signatures import SignatureRefused
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import DeviceModel, Lot
from medrecall.core.errors import ValidationFailed
from medrecall.core.states import ActionNotAllowed
from medrecall.effectiveness import services as effectiveness
from medrecall.execution import closure as execution_closure
from medrecall.execution import services as execution
from medrecall.execution.closure import closure_findings
from medrecall.execution.models import Disposition
from medrecall.execution.selectors import recall_accounting
from medrecall.notices import issuing, links, replies
from medrecall.notices.models import Notice, Reply
from medrecall.parties.models import Location, Party
from medrecall.recalls import closure, services
from medrecall.recalls.models import ClosureException, RecallCase, Transition
from medrecall.recalls.services import TransitionRefused
from tests.conftest import PASSWORD
from tests.execution.conftest import approve, seed_carriers
from tests.factories import LocationFactory, PartyFactory
from tests.traceability.scenario import CATH, network, run_events

pytestmark = pytest.mark.django_db

HOLDERS = [
    f"HX{i:02d}" for i in range(1, 12)
]  # HX01 replies and returns its 40; HX02…HX11 hold 38 each
BLOCKED = [
    "380 of 420 units are still at holders (not returned, corrected or reported used).",
    "Deal with these units, or sign a closure exception with a reason.",
    # Notified: the holder has the notice; the ten notices only sent do not notify.
    "For information: 10 of 11 holders in scope were never notified.",
    "For information: 10 of 11 holders have not replied.",
]


# What effectiveness adds while no level is chosen and the closure is not signed, then what
# filings add while the NMPA summary evaluation report is not submitted.
EFFECTIVENESS = [
    "Choose the effectiveness-check level for China NMPA.",
    "Sign the closure of the recall (e-signature, meaning approved).",
    "The NMPA recall summary evaluation report (召回总结评估报告) is not submitted: "
    "generate it, check, sign and submit it.",
]


def units_of(code: str) -> int:
    return 40 if code == "HX01" else 38


def class_i_recall(tmp_path: Path, manager: User, make_user: Callable[..., User]) -> RecallCase:
    """Through the services: lot K1 (420 units) shipped to 11 hospitals, recalled NMPA 一级,
    approved, noticed; HX01 replies, returns 40 units, they are destroyed; effectiveness check."""
    network()
    seed_carriers()
    rows = [
        f"K0,produced,2025-01-10T08:00:00+08:00,{CATH},K1,,420,,FAC,WO-K,2025-01-10,2028-01-09,,"
    ]
    for n, code in enumerate(HOLDERS, start=1):
        LocationFactory(
            code=f"L{code}",
            party=PartyFactory(code=code, name=f"Hospital {code}", party_type="hospital"),
            location_type="customer_site",
        )
        rows += [
            f"K{n}S,shipped,2025-01-12T08:00:00+08:00,{CATH},K1,,{units_of(code)},FAC,L{code},DN-{n},,,,",
            f"K{n}R,received,2025-01-13T08:00:00+08:00,{CATH},K1,,{units_of(code)},FAC,L{code},DN-{n},,,,",
        ]
    assert run_events(tmp_path, "\n".join(rows) + "\n").accepted
    cath = DeviceModel.objects.get(udi_di=CATH)
    recall = services.recall_open(
        actor=manager,
        title="Tip fracture",
        products=[cath],
        reason="tip",
        regimes=["nmpa"],
        decision_at=datetime(2025, 3, 1, tzinfo=UTC),
    )
    services.recall_transition(recall=recall, target="assessment", actor=manager)
    services.hazard_evaluate(recall=recall, actor=manager, severity="death", likelihood="probable")
    services.scope_rule_add(
        recall=recall, actor=manager, kind="lots", device_model=cath, values=["K1"]
    )
    assert services.scope_freeze(recall=recall, actor=manager).total_units == 420
    services.recall_transition(recall=recall, target="pending_approval", actor=manager)
    recall = approve(recall, make_user)
    parties = list(Party.objects.filter(code__in=HOLDERS).values_list("pk", flat=True))
    assert (
        len(issuing.notices_create(recall=recall, run=None, kind="initial", party_ids=parties))
        == 11
    )
    replying = Party.objects.get(code="HX01")
    notice = Notice.objects.get(recall=recall, party=replying)
    key = replies.expected_lines(notice)[0].key
    replies.reply_submit(
        notice=notice,
        respondent_name="Chen Jie",
        quantities={key: {"on_hand": 40, "to_return": 40}},
    )
    ra = execution.return_create(recall=recall, party=replying, actor=manager)
    execution.return_receive(ra=ra, actor=manager, gtin=CATH, lot="K1", quantity=40)
    ra.refresh_from_db()
    assert ra.status == "received"  # every line received: the return closes itself
    destroy = execution.disposition_create(
        recall=recall,
        kind="destroy",
        lot=Lot.objects.get(number="K1"),
        location=Location.objects.get(code="QUAR"),
        quantity=40,
        actor=manager,
    )
    execution.disposition_complete(
        disposition=destroy,
        actor=manager,
        method="incineration",
        place="Suzhou",
        performed_by="Wang",
        witnesses=["Li"],
    )
    recall = services.recall_transition(recall=recall, target="effectiveness_check", actor=manager)
    return services.recall_update(
        recall=recall,
        actor=manager,
        version=recall.version,
        completed_at=datetime(2026, 11, 30, tzinfo=UTC),
    )


@pytest.fixture
def class_i(tmp_path: Path, manager: User, make_user: Callable[..., User]) -> RecallCase:
    return class_i_recall(tmp_path, manager, make_user)


def test_closing_with_units_at_holders_is_refused_with_every_reason(
    class_i: RecallCase, manager: User
) -> None:
    total = recall_accounting(class_i).total
    assert (total.affected, total.at_holders, total.dispositioned, total.unexplained) == (
        420,
        380,
        40,
        0,
    )
    audited = AuditEntry.objects.count()
    with pytest.raises(services.TransitionRefused) as refused:
        services.recall_transition(recall=class_i, target="closed", actor=manager)
    details = refused.value.details
    assert details[:7] == [BLOCKED[0], *EFFECTIVENESS, *BLOCKED[1:]]
    # quality's finding (no CAPA linked) first among the information, then the deadlines
    assert details[7].startswith("For information: No CAPA is linked to this recall")
    assert details[8:]
    assert all(d.startswith("For information: Deadline breached: ") for d in details[8:])
    class_i.refresh_from_db()
    assert class_i.status == "effectiveness_check"
    assert not Transition.objects.filter(recall=class_i, target="closed").exists()
    assert AuditEntry.objects.count() == audited


def test_a_signed_closure_exception_closes_and_is_audited(
    class_i: RecallCase, manager: User
) -> None:
    with pytest.raises(SignatureRefused):
        closure.closure_exception_sign(
            recall=class_i,
            actor=manager,
            reason="Holders unreachable",
            password="wrong",
            username=manager.username,
        )
    with pytest.raises(ValidationFailed, match="Say why the recall may close"):
        closure.closure_exception_sign(
            recall=class_i, actor=manager, reason=" ", password=PASSWORD, username=manager.username
        )
    assert not ClosureException.objects.exists()
    exception = closure.closure_exception_sign(
        recall=class_i,
        actor=manager,
        reason="Ten hospitals closed down",
        password=PASSWORD,
        username=manager.username,
    )
    signature = Signature.objects.get(pk=exception.signature_id)
    assert (signature.meaning, signature.step, signature.reason) == (
        "responsible",
        "closure_exception",
        "Ten hospitals closed down",
    )
    assert [f["message"] for f in exception.findings if f["blocking"]] == [
        BLOCKED[0],
        *EFFECTIVENESS,
    ]
    assert signature.content["outstanding"] == exception.findings
    entry = AuditEntry.objects.get(action="recalls.closure_exception_signed")
    assert (entry.reason, entry.changes["outstanding"]) == (
        "Ten hospitals closed down",
        [None, [BLOCKED[0], *EFFECTIVENESS]],
    )
    closed = services.recall_transition(recall=class_i, target="closed", actor=manager)
    assert closed.status == "closed"
    client = Client()
    client.force_login(manager)
    page = client.get(f"/recalls/{class_i.pk}/").content.decode()
    assert 'id="closure-exception"' in page
    assert "Ten hospitals closed down" in page


def test_balanced_accounting_closes_without_an_exception(
    class_i: RecallCase, manager: User, tmp_path: Path
) -> None:
    used = "".join(
        f"U{code},consumed,2026-11-20T08:00:00+08:00,{CATH},K1,,38,L{code},,USE-{code},,,,\n"
        for code in HOLDERS[1:]
    )
    assert run_events(
        tmp_path, used, "used.csv"
    ).accepted  # the silent holders' units were used up, as reported
    total = recall_accounting(class_i).total
    assert (total.at_holders, total.used, total.dispositioned, total.unexplained) == (0, 380, 40, 0)
    assert closure.closure_report(class_i).blocking == EFFECTIVENESS
    effectiveness.plan_set(recall=class_i, regime="nmpa", level="E", actor=manager)
    from tests.effectiveness.test_closure import summary_submitted

    summary_submitted(class_i, manager)
    effectiveness.closing_sign(
        recall=class_i, actor=manager, password=PASSWORD, username=manager.username
    )
    assert closure.closure_report(class_i).blocking == []
    closed = services.recall_transition(recall=class_i, target="closed", actor=manager)
    assert closed.status == "closed"
    assert not ClosureException.objects.exists()


def test_completed_at_alone_no_longer_closes(class_i: RecallCase, manager: User) -> None:
    """The issue's path: "completed at" set by hand, then Closed."""
    assert class_i.completed_at is not None
    client = Client()
    client.force_login(manager)
    page = client.post(
        f"/recalls/{class_i.pk}/transition/", {"target": "closed"}, follow=True
    ).content.decode()
    assert BLOCKED[0] in page
    class_i.refresh_from_db()
    assert class_i.status == "effectiveness_check"


def test_reply_link_after_closure_is_read_only(class_i: RecallCase, manager: User) -> None:
    closure.closure_exception_sign(
        recall=class_i,
        actor=manager,
        reason="Ten hospitals closed down",
        password=PASSWORD,
        username=manager.username,
    )
    services.recall_transition(recall=class_i, target="closed", actor=manager)
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    replied = links.token_for(Notice.objects.get(recall=class_i, party__code="HX01"), "reply")
    page = client.get(f"/n/r/{replied}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert f"Recall {class_i.number} is Closed: it no longer takes replies." in text
    assert 'id="reply-record"' in text
    assert "Chen Jie" in text
    assert "<form" not in text.split('id="reply-closed"')[1]
    silent = Notice.objects.get(recall=class_i, party__code="HX02")
    token = links.token_for(silent, "reply")
    assert 'id="reply-none"' in client.get(f"/n/r/{token}/").content.decode()
    audited, replies_before = AuditEntry.objects.count(), Reply.objects.count()
    key = replies.expected_lines(silent)[0].key
    refused = client.post(f"/n/r/{token}/", {f"q-{key}-on_hand": "38", "respondent_name": "Late"})
    assert refused.status_code == 409
    assert (
        f"Recording a holder&#x27;s reply is not possible while recall {class_i.number} is Closed"
        in refused.content.decode()
    )
    ack = client.post(f"/n/r/{token}/acknowledge/")
    assert ack.status_code == 409
    silent.refresh_from_db()
    assert silent.acknowledged_at is None
    assert (Reply.objects.count(), AuditEntry.objects.count()) == (replies_before, audited)
    with pytest.raises(ActionNotAllowed):
        replies.reply_submit(notice=silent, respondent_name="Late", quantities={})


def test_api_answers_409_with_the_reason(class_i: RecallCase, manager: User) -> None:
    api = APIClient()
    api.force_authenticate(manager)
    report = api.get(f"/api/recalls/{class_i.pk}/closure/").json()
    assert (report["blocking"], report["may_close"], report["exception"]) == (
        [BLOCKED[0], *EFFECTIVENESS],
        False,
        None,
    )
    assert report["information"][:2] == [
        "10 of 11 holders in scope were never notified.",
        "10 of 11 holders have not replied.",
    ]
    # Terminating passes the closure checks: here lifted by a closure exception.
    recall = RecallCase.objects.get(pk=class_i.pk)  # in effectiveness check
    closure.closure_exception_sign(
        recall=recall,
        actor=manager,
        reason="Holders unreachable",
        password=PASSWORD,
        username=manager.username,
    )
    recall = services.recall_update(
        recall=recall, actor=manager, version=recall.version, completed_at=timezone.now()
    )
    services.recall_transition(
        recall=recall, target="terminated", actor=manager, reason="FDA terminated"
    )
    response = api.post(
        f"/api/recalls/{class_i.pk}/classify/",
        {"regime": "nmpa", "recall_class": "II", "reason": "less harm"},
        format="json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "action_not_allowed"
    assert body["message"] == (
        f"Classification is not possible while recall {class_i.number} is Terminated "
        "(possible when it is: Draft, Assessment, Pending approval, Approved / in execution, "
        "Effectiveness check)."
    )
    signed = api.post(
        f"/api/recalls/{class_i.pk}/closure/exception/",
        {"reason": "r", "password": PASSWORD, "username": manager.username},
        format="json",
    )
    assert signed.status_code == 409
    assert ClosureException.objects.count() == 1  # the one signed before terminating
    actions = api.get(f"/api/recalls/{class_i.pk}/").json()["actions"]
    assert actions["classify"] == [body["message"]]
    assert actions["release_hold"] == []


def test_cli_exits_non_zero_with_the_reason(
    class_i: RecallCase, manager: User, tmp_path: Path, capsys: Any
) -> None:
    call_command("recall", "closure", class_i.number, "--json")
    assert '"may_close": false' in capsys.readouterr().out
    with pytest.raises(CommandError, match="380 of 420 units are still at holders") as refused:
        call_command(
            "recall", "transition", class_i.number, "--to", "closed", "--user", manager.username
        )
    assert refused.value.returncode == 1
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD, encoding="utf-8")
    password_file.chmod(0o600)
    call_command(
        "recall",
        "closure-exception",
        class_i.number,
        "--reason",
        "Hospitals closed down",
        "--user",
        manager.username,
        "--password-file",
        str(password_file),
    )
    assert ClosureException.objects.get().reason == "Hospitals closed down"
    call_command(
        "recall", "transition", class_i.number, "--to", "closed", "--user", manager.username
    )
    with pytest.raises(
        CommandError, match=r"Hazard evaluation is not possible while recall .* is Closed"
    ):
        call_command(
            "recall",
            "evaluate",
            class_i.number,
            "--severity",
            "none",
            "--likelihood",
            "remote",
            "--user",
            manager.username,
        )


def test_an_exception_counts_only_while_what_is_outstanding_is_what_was_signed(
    class_i: RecallCase, manager: User, tmp_path: Path
) -> None:
    closure.closure_exception_sign(
        recall=class_i,
        actor=manager,
        reason="Ten hospitals closed down",
        password=PASSWORD,
        username=manager.username,
    )
    # Editing the case (its completion time) does not change what is outstanding: the exception holds.
    class_i = services.recall_update(
        recall=class_i,
        actor=manager,
        version=class_i.version,
        completed_at=timezone.now(),
        change_reason="Last unit dealt with",
    )
    assert closure.closure_report(class_i).may_close is True
    # Units found in use after signing change what is outstanding: the signature no longer speaks for it.
    assert run_events(
        tmp_path,
        f"UX,consumed,2026-11-20T08:00:00+08:00,{CATH},K1,,5,L{HOLDERS[1]},,USE-X,,,,\n",
        "used-late.csv",
    ).accepted
    report = closure.closure_report(class_i)
    assert (report.may_close, report.exception) == (False, None)
    with pytest.raises(TransitionRefused):
        services.recall_transition(recall=class_i, target="closed", actor=manager)
    client = Client()
    client.force_login(manager)
    page = client.get(f"/recalls/{class_i.pk}/").content.decode()
    assert "what is outstanding changed since signing" in page
    class_i.refresh_from_db()
    assert class_i.status == "effectiveness_check"


@pytest.mark.parametrize(("signed_in", "read_in"), [("en", "zh-hans"), ("zh-hans", "en")])
def test_an_exception_signed_in_one_language_holds_for_a_reader_in_the_other(
    class_i: RecallCase, manager: User, signed_in: str, read_in: str
) -> None:
    with translation.override(signed_in):
        closure.closure_exception_sign(
            recall=class_i,
            actor=manager,
            reason="Ten hospitals closed down",
            password=PASSWORD,
            username=manager.username,
        )

    with translation.override(read_in):
        report = closure.closure_report(class_i)

    assert report.may_close is True
    assert report.exception == ClosureException.objects.get(recall=class_i)


def test_one_open_task_is_told_in_the_singular(class_i: RecallCase) -> None:
    disposition = Disposition.objects.filter(recall=class_i).first()
    assert disposition is not None
    Disposition.objects.filter(pk=disposition.pk).update(status="open")

    messages = [f.message for f in closure_findings(class_i)]

    assert "1 disposition is not done." in messages
    with translation.override("zh-hans"):
        assert "仍有 1 项处置未完成。" in [f.message for f in closure_findings(class_i)]


def test_one_unit_in_quarantine_is_told_in_the_singular(
    class_i: RecallCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    books = recall_accounting(class_i)
    one_each = SimpleNamespace(
        snapshot=books.snapshot,
        total=SimpleNamespace(
            at_holders=0, in_transit=0, in_quarantine=1, own_stock=1, affected=books.total.affected
        ),
        lots=[],
    )
    monkeypatch.setattr(execution_closure, "recall_accounting", lambda recall: one_each)

    messages = [f.message for f in closure_findings(class_i)]

    assert "1 unit in quarantine waits for a disposition." in messages
    assert "1 unit in our own stock is on hold without a disposition." in messages
