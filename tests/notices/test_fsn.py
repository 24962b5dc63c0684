"""EU field safety notices: the urgent override of the gate, national-language templates
(German, French), a holder whose language has no approved template."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.core.errors import DomainError
from medrecall.notices import fsn, issuing, send_runs
from medrecall.notices.errors import FsnGateClosed, FsnOverrideRefused, TemplateMissing
from medrecall.notices.models import FsnOverride, Notice, NoticeRun
from medrecall.notices.rendering import notice_render
from medrecall.parties.models import Contact, Party
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.notices.conftest import approved_recall

SRN = "CN-MF-000012345"


@pytest.fixture
def eu_recall(
    tmp_path: Path, manager: User, make_user: Callable[..., User], settings: Any
) -> RecallCase:
    settings.MEDRECALL_COMPANY = {**settings.MEDRECALL_COMPANY, "srn": SRN}
    found = approved_recall(tmp_path, manager, make_user, regimes=("eu_mdr",), recall_class="fsca")
    Party.objects.exclude(party_type="own_site").update(country="DE")
    return found


def _override(recall: RecallCase, actor: User, password: str = PASSWORD) -> FsnOverride:
    return fsn.fsn_override_sign(
        recall=recall,
        actor=actor,
        reason="Patients at risk today.",
        authority="BfArM",
        reference="phone call 2025-03-01 10:00",
        password=password,
        username=actor.username,
    )


def _pdf_text(data: bytes) -> str:
    import pypdf

    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


@pytest.mark.django_db
def test_a_signed_override_opens_the_gate_and_prints_in_the_sentence(
    eu_recall: RecallCase, manager: User
) -> None:
    with pytest.raises(FsnGateClosed):
        send_runs.notice_run_start(recall=eu_recall, actor=manager)
    override = _override(eu_recall, manager)
    assert override.signature is not None
    assert AuditEntry.objects.filter(action="notices.fsn_override").count() == 1
    send_runs.notice_run_start(recall=eu_recall, actor=manager)
    assert NoticeRun.objects.count() == 1
    hosp2 = Party.objects.get(code="HOSP2")
    issuing.notices_create(recall=eu_recall, run=None, kind="initial", party_ids=[hosp2.pk])
    text = notice_render(Notice.objects.get(party=hosp2), with_pdf=False).text
    assert "The competent authority (BfArM) was informed" in text
    assert "(reference: phone call 2025-03-01 10:00)." in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("reason", "Say why the field safety notice cannot wait for the FSCA report."),
        ("authority", "Name the competent authority informed."),
        ("reference", "Say how and when the authority was informed (the reference)."),
    ],
)
def test_an_override_without_each_item_is_refused(
    eu_recall: RecallCase, manager: User, case: str, expected: str
) -> None:
    values = {"reason": "Urgent.", "authority": "BfArM", "reference": "phone"} | {case: " "}
    with pytest.raises(FsnOverrideRefused) as refused:
        fsn.fsn_override_sign(
            recall=eu_recall, actor=manager, password=PASSWORD, username=manager.username, **values
        )
    assert refused.value.details == [expected]
    assert FsnOverride.objects.count() == 0


@pytest.mark.django_db
def test_an_override_with_a_wrong_password_leaves_nothing(
    eu_recall: RecallCase, manager: User
) -> None:
    with pytest.raises(DomainError):
        _override(eu_recall, manager, password="wrong")
    assert FsnOverride.objects.count() == 0
    assert AuditEntry.objects.filter(action="notices.fsn_override").count() == 0
    with pytest.raises(FsnGateClosed):
        send_runs.notice_run_start(recall=eu_recall, actor=manager)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "title", "closing"),
    [
        (
            "de",
            "Dringende Sicherheitsinformation",
            "Die zuständige Behörde (BfArM) wurde am",
        ),
        ("fr", "Avis de sécurité urgent", "L'autorité compétente (BfArM) a été informée"),
    ],
)
def test_fsn_in_the_holders_language(
    eu_recall: RecallCase, manager: User, language: str, title: str, closing: str
) -> None:
    _override(eu_recall, manager)
    hosp2 = Party.objects.get(code="HOSP2")
    Contact.objects.filter(party=hosp2).update(language=language)
    issuing.notices_create(recall=eu_recall, run=None, kind="initial", party_ids=[hosp2.pk])
    notice = Notice.objects.get(party=hosp2)
    rendered = notice_render(notice)
    assert (notice.language, rendered.subject.split(" RC")[0]) == (language, title)
    assert closing in rendered.text
    assert "The tip may break off during insertion." in rendered.text  # the case's words
    pdf = _pdf_text(rendered.pdf)
    assert title in pdf
    assert f"SRN {SRN}" in pdf


@pytest.mark.django_db
def test_a_holder_whose_language_has_no_template_is_refused_naming_it(
    eu_recall: RecallCase, manager: User
) -> None:
    _override(eu_recall, manager)
    Contact.objects.filter(party__code="HOSP2").update(language="it")
    with pytest.raises(TemplateMissing) as refused:
        send_runs.notice_run_start(recall=eu_recall, actor=manager)
    assert refused.value.message == (
        "No approved Recall notice template for EU MDR in Italian: approve one, or set the "
        "holder's language to one that has a template."
    )
    assert (NoticeRun.objects.count(), Notice.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_an_eu_notice_without_the_srn_is_refused(
    eu_recall: RecallCase, manager: User, settings: Any
) -> None:
    _override(eu_recall, manager)
    settings.MEDRECALL_COMPANY = {**settings.MEDRECALL_COMPANY, "srn": ""}
    with pytest.raises(DomainError) as refused:
        send_runs.notice_run_start(recall=eu_recall, actor=manager)
    assert (
        "The manufacturer's single registration number (SRN) is not set: every field safety "
        "notice must carry it (MDR Art. 89(8)). Set it under Administration → Company."
    ) in refused.value.details
    assert NoticeRun.objects.count() == 0


@pytest.mark.django_db
def test_an_fsn_template_with_a_typed_authority_sentence_is_not_approved(
    make_user: Callable[..., User],
) -> None:
    from medrecall.notices.defaults import standard_templates
    from medrecall.notices.errors import TemplateInvalid
    from medrecall.notices.models import NoticeTemplate
    from medrecall.notices.template_control import template_approve, template_save

    author, approver = make_user("qa_ra_manager"), make_user("qa_ra_manager")
    standard = next(
        t
        for t in standard_templates()
        if (t["regime"], t["language"], t["kind"]) == ("eu_mdr", "de", "initial")
    )
    sections = [
        s | {"body": "Die zuständige Behörde wurde informiert."} if s["key"] == "closing" else s
        for s in standard["sections"]
    ]
    draft = template_save(
        actor=author,
        regime="eu_mdr",
        language="de",
        kind="initial",
        title=standard["title"],
        subject=standard["subject"],
        sections=sections,
    )
    with pytest.raises(TemplateInvalid) as refused:
        template_approve(template=draft, actor=approver)
    assert refused.value.details == [
        f"An EU field safety notice must use {{{{ {name} }}}} (MDR Art. 89(8): the "
        "manufacturer's SRN, and that the competent authority was informed, from the FSCA record)."
        for name in ("fsca_authority", "fsca_reported_on", "fsca_reference")
    ]
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert (
        NoticeTemplate.objects.get(
            regime="eu_mdr", language="de", kind="initial", status="approved"
        ).version
        == 1
    )
