"""On the demo data: the FDA status report's counts equal an independent count over the frozen
scope, the notices, the replies and the returns, and they reconcile (the check passes)."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F, Q, Sum

from medrecall.accounts.models import User
from medrecall.execution.models import Receipt
from medrecall.filings import services
from medrecall.notices.models import Notice, NoticeEvent, Reply
from medrecall.parties.models import Location
from medrecall.recalls.models import AffectedLine, RecallCase, RecallRegime

pytestmark = pytest.mark.django_db

SENT = datetime(2026, 1, 5, 9, tzinfo=UTC)


def test_the_status_report_counts_equal_an_independent_count_on_the_demo_data() -> None:
    call_command("demo", "--json", stdout=StringIO(), stderr=StringIO())
    recall = RecallCase.objects.get()
    Notice.objects.filter(recall=recall).update(sent_at=SENT)  # as the worker sends them
    # The demo's holders moved to the US and the NMPA regime taken off: every holder is an FDA
    # consignee (a holder is under FDA only where its country is the US: notices' rule).
    RecallRegime.objects.filter(recall=recall, regime="nmpa").delete()
    Location.objects.exclude(party__party_type__in=("own_site", "supplier")).update(country="US")
    actor = User.objects.get(username="qa_ra_manager")

    report = services.filing_generate(recall=recall, doc_type="fda.status_report", actor=actor)

    lines = AffectedLine.objects.filter(snapshot=recall.current_snapshot).exclude(
        party__party_type__in=("own_site", "supplier")
    )
    parties = set(lines.values_list("party_id", flat=True))
    units = lines.aggregate(n=Sum(F("on_hand") + F("in_transit")))["n"] or 0
    # Notified: the holder has the notice (delivered, opened, acknowledged or replied to, its
    # reply, or a call logged); a notice only sent does not count.
    notified = (
        set(
            Notice.objects.filter(recall=recall, party_id__in=parties)
            .filter(
                Q(delivered_at__isnull=False)
                | Q(opened_at__isnull=False)
                | Q(acknowledged_at__isnull=False)
                | Q(replied_at__isnull=False)
            )
            .values_list("party_id", flat=True)
        )
        | set(
            Reply.objects.filter(recall=recall, party_id__in=parties).values_list(
                "party_id", flat=True
            )
        )
        | set(
            NoticeEvent.objects.filter(
                recall=recall, party_id__in=parties, type="call"
            ).values_list("party_id", flat=True)
        )
    )
    responding = set(
        Notice.objects.filter(recall=recall, party_id__in=notified)
        .filter(Q(acknowledged_at__isnull=False) | Q(replied_at__isnull=False))
        .values_list("party_id", flat=True)
    ) | set(
        Reply.objects.filter(recall=recall, party_id__in=notified).values_list(
            "party_id", flat=True
        )
    )
    returned = (
        Receipt.objects.filter(recall=recall, ra__party_id__in=parties).aggregate(
            n=Sum("quantity")
        )["n"]
        or 0
    )
    counts = report.content["counts"]
    assert (len(parties), len(responding), returned) == (10, 3, 20)
    assert counts == {
        "consignees": len(parties),
        "notified": len(notified),
        "not_notified": len(parties) - len(notified),
        "responding": len(responding),
        "not_responding": len(notified) - len(responding),
        "on_hand_at_response": counts["on_hand_at_response"],
        "units": units,
        "returned": returned,
        "corrected": 0,
        "accounted": returned,
    }
    assert counts["on_hand_at_response"] == (
        Reply.objects.filter(recall=recall, party_id__in=responding).aggregate(
            n=Sum("lines__on_hand")
        )["n"]
        or 0
    )
    all_returned = Receipt.objects.filter(recall=recall).aggregate(n=Sum("quantity"))["n"] or 0
    assert report.content["execution"]["returned_all"] == all_returned
    report = services.filing_enter(
        filing=report,
        actor=actor,
        sections={"estimated_completion": {"zh": "六周内", "en": "Within six weeks"}},
    )
    assert services.filing_problems(report) == []
