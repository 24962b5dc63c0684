"""Notices' look-ups by the id a user types: an offer as the viewer may see it, and a template's
content; and ``medrecall notices`` refusing an unknown notice, template or offer with the
selector's message, exit status 1, nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.core.errors import NotFound
from medrecall.notices import relations, selectors
from medrecall.notices.models import NoticeTemplate, Offer
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(recall: RecallCase, manager: User) -> Offer:
    return relations.offer_propose(
        recall=recall,
        party=Party.objects.get(code="SUB"),
        kind="replacement",
        description="Two new catheters",
        amount=Decimal(300),
        actor=manager,
    )


def test_offer_get_for_finds_an_offer_the_viewer_may_see(
    offer: Offer, manager: User, make_user: Callable[..., User]
) -> None:
    holder = make_user(Role.PORTAL, party=offer.party)
    assert selectors.offer_get_for(viewer=manager, pk=offer.pk) == offer
    assert selectors.offer_get_for(viewer=holder, pk=offer.pk) == offer


def test_offer_get_for_refuses_an_unknown_offer_and_another_partys(
    offer: Offer, make_user: Callable[..., User]
) -> None:
    stranger = make_user(Role.PORTAL, party=PartyFactory(code="ELSE"))
    for viewer, pk in ((stranger, offer.pk), (make_user(Role.QA_RA_MANAGER), offer.pk + 1)):
        with pytest.raises(NotFound) as missing:
            selectors.offer_get_for(viewer=viewer, pk=pk)
        assert missing.value.message == f"Offer {pk} was not found."


def test_template_content_is_the_edited_fields_in_order(db: None) -> None:
    template = NoticeTemplate.objects.filter(status="approved").order_by("pk").first()
    assert template is not None
    assert list(selectors.template_content(template)) == [
        "regime",
        "language",
        "kind",
        "version",
        "status",
        "title",
        "subject",
        "sections",
        "change_note",
    ]
    assert selectors.template_content(template)["sections"] == template.sections


def refused(*args: str) -> tuple[str, int]:
    with pytest.raises(CommandError) as refusal:
        call_command("notices", *args, stdout=StringIO())
    return str(refusal.value), refusal.value.returncode


def test_the_command_refuses_an_unknown_notice_template_or_offer(
    offer: Offer, manager: User
) -> None:
    user = ("--user", manager.username)
    assert [
        refused("log", "999999", "--channel", "call", "--note", "rang", *user),
        refused("template-show", "999999"),
        refused("approve-template", "999999", *user),
        refused("offer-decision", str(offer.pk + 1), "--action", "approve", *user),
        refused("offer-decision", "x", "--action", "approve", *user),
    ] == [
        ("Notice 999999 was not found.", 1),
        ("Template 999999 was not found.", 1),
        ("Template 999999 was not found.", 1),
        (f"Offer {offer.pk + 1} was not found.", 1),
        ("Give the offer id (a number), not 'x'.", 1),
    ]
    offer.refresh_from_db()
    assert offer.status == "proposed"
