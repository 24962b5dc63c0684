"""How notices are labelled in their reader's language: our company's Chinese name, countries
by name in addresses, the action mid-sentence, the line that the case's texts follow in
English in a German or French FSN, the FSN language rule, and the FSCA record read once a
batch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from medrecall.accounts.models import User
from medrecall.notices import issuing
from medrecall.notices.models import Notice
from medrecall.notices.recipients import reader_language, recipients
from medrecall.notices.rendering import notice_render, notice_values, notices_render
from medrecall.parties.models import Contact, Party
from medrecall.recalls.models import RecallCase
from tests.notices.conftest import approved_recall
from tests.notices.test_fsn import SRN, _override

pytestmark = pytest.mark.django_db


@pytest.fixture
def eu_recall(
    tmp_path: Path, manager: User, make_user: Callable[..., User], settings: Any
) -> RecallCase:
    settings.MEDRECALL_COMPANY = {**settings.MEDRECALL_COMPANY, "srn": SRN}
    found = approved_recall(tmp_path, manager, make_user, regimes=("eu_mdr",), recall_class="fsca")
    Party.objects.exclude(party_type="own_site").update(country="DE")
    return found


def test_a_chinese_notice_names_our_company_and_the_country_in_chinese(
    recall: RecallCase,
) -> None:
    hosp = Party.objects.get(code="HOSP")
    Party.objects.filter(pk=hosp.pk).update(country="CN", province="浙江省", city="杭州市")
    issuing.notices_create(recall=recall, run=None, kind="initial", party_ids=[hosp.pk])
    notice = Notice.objects.filter(party=hosp, language="zh-hans").first()
    assert notice is not None
    values = notice_values(notice)
    assert values["company_name"] == "MedRecall 演示医疗器械有限公司"
    assert values["company_address"] == "中国苏州市演示路1号"
    assert values["holder_address"].startswith("中国 浙江省 杭州市")
    assert "CN" not in values["holder_address"].split()
    rendered = notice_render(notice, with_pdf=False)
    assert "MedRecall 演示医疗器械有限公司" in rendered.html
    assert "MedRecall Demo Medical" not in rendered.html + rendered.text


def test_a_german_fsn_says_the_case_texts_follow_in_english(
    eu_recall: RecallCase, manager: User
) -> None:
    _override(eu_recall, manager)
    hosp2 = Party.objects.get(code="HOSP2")
    Contact.objects.filter(party=hosp2).update(language="de")
    issuing.notices_create(recall=eu_recall, run=None, kind="initial", party_ids=[hosp2.pk])
    notice = Notice.objects.get(party=hosp2)
    rendered = notice_render(notice, with_pdf=False)
    assert notice.language == "de"
    assert "folgen auf Englisch" in rendered.text
    assert notice_values(notice)["action"] == "removal"  # lower case mid-sentence


def test_an_english_fsn_has_no_such_line(eu_recall: RecallCase, manager: User) -> None:
    _override(eu_recall, manager)
    hosp2 = Party.objects.get(code="HOSP2")
    Contact.objects.filter(party=hosp2).update(language="en")
    issuing.notices_create(recall=eu_recall, run=None, kind="initial", party_ids=[hosp2.pk])
    rendered = notice_render(Notice.objects.get(party=hosp2), with_pdf=False)
    assert "Englisch" not in rendered.text
    assert "follows in English" not in rendered.text


def test_the_fsn_language_follows_the_contact_then_the_party_then_the_country() -> None:
    assert reader_language("en", "de", "DE") == "en"
    assert reader_language("", "de", "DE") == "de"
    assert reader_language("", "", "DE") == "de"
    assert reader_language("", "", "FR") == "fr"
    assert reader_language("", "", "SG") == "en"


def test_a_german_holder_whose_contact_reads_german_gets_the_german_fsn(
    eu_recall: RecallCase,
) -> None:
    hosp2 = Party.objects.get(code="HOSP2")
    Party.objects.filter(pk=hosp2.pk).update(language="de")
    Contact.objects.filter(party=hosp2).update(language="")
    assert {r.language for r in recipients([hosp2.pk])} == {"de"}


def _fsca_reads(eu_recall: RecallCase, party_ids: list[int]) -> int:
    issuing.notices_create(recall=eu_recall, run=None, kind="initial", party_ids=party_ids)
    ids = list(Notice.objects.filter(party_id__in=party_ids).values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        notices_render(ids)
    return sum(
        1
        for q in queries.captured_queries
        if "filings_filing" in q["sql"] or "notices_fsnoverride" in q["sql"]
    )


def test_the_fsca_record_is_read_once_a_batch(eu_recall: RecallCase, manager: User) -> None:
    _override(eu_recall, manager)
    Contact.objects.update(language="en")
    Party.objects.update(language="en")  # one language: the record is read once for it
    holders = list(
        Party.objects.exclude(party_type="own_site").order_by("code").values_list("pk", flat=True)
    )
    assert len(holders) >= 3
    one = _fsca_reads(eu_recall, holders[:1])
    many = _fsca_reads(eu_recall, holders[1:])
    assert one == many == 4  # content check and values, each once (report, override)
