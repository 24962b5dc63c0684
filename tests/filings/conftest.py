"""An NMPA recall in execution over the small distribution network (tests/notices), with the
catalogue data the filings print: registration number and quantity produced per lot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time

from medrecall.accounts.models import User
from medrecall.catalog.models import DeviceModel, Lot
from medrecall.parties.models import Location
from medrecall.recalls.models import RecallCase
from tests.notices.conftest import approved_recall
from tests.traceability.scenario import CATH


@pytest.fixture
def recall(tmp_path: Path, manager: User, make_user: Callable[..., User]) -> RecallCase:
    found = approved_recall(tmp_path, manager, make_user, recall_class="II")
    DeviceModel.objects.filter(udi_di=CATH).update(registration_no="国械注准20203030001")
    Lot.objects.filter(device_model__udi_di=CATH).update(quantity_produced=1000)
    RecallCase.objects.filter(pk=found.pk).update(progress_interval_days=3)
    return RecallCase.objects.get(pk=found.pk)


@pytest.fixture
def elsewhere(recall: RecallCase) -> None:
    """The hospital's site in Beijing: the recall's place differs from the registrant's."""
    Location.objects.filter(party__code="HOSP").update(
        province="北京市", province_code="CN-BJ", city="北京市"
    )


PLAN_SECTIONS = {
    "measures": {
        "zh": "质量部组织，7日内收回全部批次C1。",
        "en": "QA organises; lot C1 back in 7 days.",
    },
    "publication": {"zh": "广东省药监局网站。", "en": "Guangdong MPA website."},
    "expected_effect": {"zh": "全部收回。", "en": "Every unit back."},
    "after_recall": {"zh": "监督销毁。", "en": "Destroyed under supervision."},
}
ACK = b"%PDF-1.4\n% acknowledgement of receipt\n"
# When the tests' filings are signed: before the submission times they record (a filing is
# submitted after it is signed), which are in March 2025 like the recalls' decisions.
SIGNED_AT = "2025-03-01T00:00:00+00:00"


def signing_clock() -> Any:
    """Sign inside this block: the signature is made at ``SIGNED_AT`` (the clock ticks on)."""
    return freeze_time(SIGNED_AT, tick=True)


def signed_plan(recall: RecallCase, actor: User) -> Any:
    """The recall plan generated, completed, checked and signed."""
    from medrecall.filings import services
    from tests.conftest import PASSWORD

    filing = services.filing_generate(recall=recall, doc_type="nmpa.recall_plan", actor=actor)
    filing = services.filing_enter(filing=filing, actor=actor, sections=PLAN_SECTIONS)
    filing = services.filing_check(filing=filing, actor=actor)
    with signing_clock():
        return services.filing_sign(
            filing=filing, actor=actor, password=PASSWORD, username=actor.username
        )


FDA_REGISTRATION = "3001234567"


@pytest.fixture
def fda_recall(
    tmp_path: Path, manager: User, make_user: Callable[..., User], settings: Any
) -> RecallCase:
    """The same recall under the FDA regime alone (every consignee's site in the US), class
    II, first consignee notified on 3 March 2025, with the firm's FDA registration number."""
    from datetime import UTC, datetime

    settings.MEDRECALL_COMPANY = {
        **settings.MEDRECALL_COMPANY,
        "fda_registration": FDA_REGISTRATION,
    }
    found = approved_recall(tmp_path, manager, make_user, regimes=("fda",), recall_class="II")
    # The consignees' sites in the US: a holder is under FDA only there (a holder in a country
    # under none of the recall's regimes is no regime's consignee).
    Location.objects.exclude(party__party_type="own_site").update(country="US")
    DeviceModel.objects.filter(udi_di=CATH).update(registration_no="K201234")
    Lot.objects.filter(device_model__udi_di=CATH).update(quantity_produced=1000)
    RecallCase.objects.filter(pk=found.pk).update(
        initiated_at=datetime(2025, 3, 3, 9, tzinfo=UTC), fda_status_interval_days=14
    )
    return RecallCase.objects.get(pk=found.pk)


REPORT_806_SECTIONS = {
    "responsible": {
        "zh": "质量总监 李明，+86 512 0000 0000",
        "en": "Li Ming, QA Director, +86 512",
    },
    "device_names": {"zh": "导管；产品代码 DQY", "en": "Catheter; product code DQY"},
    "intended_use": {"zh": "血管介入", "en": "Vascular access"},
    "marketing_status": {"zh": "510(k) K201234", "en": "510(k) K201234"},
    "actions": {"zh": "移除批次C1。", "en": "Lot C1 removed."},
    "mdr_reports": {"zh": "无", "en": "None"},
    "communications": {"zh": "召回通知附后。", "en": "Recall letter attached."},
}
