"""``medrecall parties reported|show|verify|merge``: the review of sub-consignees that holders
reported on a reply form.

  medrecall parties reported [--review unverified|verified|merged|all] [--reported-by CODE] [--search TEXT] [--json]
  medrecall parties show CODE [--json]
  medrecall parties verify CODE --user U [--reason TEXT] [--json]
  medrecall parties merge CODE --into TARGET [--check] --user U [--reason TEXT] [--json]

``merge --check`` says what would move, or why the merge is refused, and changes nothing."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from medrecall.cli.command import Everyone, ProductCommand
from medrecall.cli.lookups import party_coded, refusal, user_named
from medrecall.core.errors import DomainError
from medrecall.notices.relations import reported_units
from medrecall.parties import selectors, services
from medrecall.parties.models import Party


def _row(party: Party) -> dict[str, Any]:
    return {
        "id": party.pk,
        "code": party.code,
        "name": party.name,
        "party_type": party.party_type,
        "country": party.country,
        "city": party.city,
        "address": party.address,
        "review": party.review,
        "reported_by": party.reported_by.code if party.reported_by else None,
        "merged_into": party.merged_into.code if party.merged_into else None,
        "reviewed_at": party.reviewed_at.isoformat() if party.reviewed_at else None,
        "reviewed_by": party.reviewed_by.username if party.reviewed_by else None,
        "created_at": party.created_at.isoformat(),
    }


class Command(ProductCommand):
    help = "Review parties that holders reported as sub-consignees: list, show, verify, merge into an existing party."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = self.subcommands(parser, dest="action")
        reported = actions.add(
            "reported", self._reported, help="The parties holders reported, to review."
        )
        reported.add_argument(
            "--review", default="unverified", choices=list(selectors.REVIEW_FILTERS)
        )
        reported.add_argument(
            "--reported-by", default="", help="Only those this holder (code) reported."
        )
        reported.add_argument("--search", default="")
        show = actions.add("show", self._show, help="A reported party, its units and contacts.")
        verify = actions.add("verify", self._verify, help="Confirm a reported party as it is.")
        merge = actions.add("merge", self._merge, help="Merge a reported party into another.")
        merge.add_argument(
            "--into", default="", help="The code of the existing party to merge into."
        )
        merge.add_argument(
            "--check", action="store_true", help="Say what would happen, change nothing."
        )
        for sub in (show, verify, merge):
            sub.add_argument("code", nargs="?", default="", help="The reported party's code.")
        for sub in (verify, merge):
            sub.add_argument("--reason", default="")
            sub.add_argument(
                "--user", default="", help="The account the decision is recorded under."
            )
        for sub in actions.parsers.values():
            sub.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            super().handle(*args, **o)
        except DomainError as refused:
            raise refusal(refused) from refused

    def _reported(self, o: dict[str, Any]) -> None:
        rows = [
            _row(p) | {"locations": p.location_count, "contacts": p.contact_count}  # type: ignore[attr-defined]
            for p in selectors.reported_party_list_for(
                viewer=Everyone(),
                review=o["review"],
                search=o["search"],
                reported_by=o["reported_by"],
            )
        ]
        if o["json"]:
            self.write_json(rows)
            return
        for row in rows:
            self.stdout.write(
                f"{row['code']:<24} {row['review']:<11} reported by {row['reported_by']:<12} "
                f"{row['name']} ({row['country']} {row['city']})"
            )
        self.stderr.write(f"{len(rows)} reported part{'y' if len(rows) == 1 else 'ies'}")

    def _party(self, o: dict[str, Any]) -> Party:
        if not o["code"]:
            raise CommandError("Give the reported party's CODE.")
        return selectors.reported_party_get_for(viewer=Everyone(), pk=party_coded(o["code"]).pk)

    def _reviewer(self, o: dict[str, Any]) -> Any:
        actor = user_named(o["user"])
        if not actor.has_perm("parties.change_party") or actor.party_id is not None:
            raise CommandError(f"{actor.username} may not review parties (needs to edit parties).")
        return actor

    def _show(self, o: dict[str, Any]) -> None:
        party = self._party(o)
        units = [
            {
                "recall": u.recall.number,
                "reported_by": u.reported_by.code,
                "lot": u.lot.number,
                "serial": u.serial.serial if u.serial else None,
                "quantity": u.quantity,
                "location": u.location.code,
            }
            for u in reported_units(party.pk)
        ]
        contacts = [
            {"name": c.name, "email": c.email, "phone": c.phone}
            for c in party.contacts.order_by("name")
        ]
        candidates = [c.code for c in selectors.merge_candidates(viewer=Everyone(), party=party)]
        self._out(
            _row(party) | {"units": units, "contacts": contacts, "candidates": candidates},
            o["json"],
        )

    def _verify(self, o: dict[str, Any]) -> None:
        party = self._party(o)
        verified = services.party_verify(party=party, actor=self._reviewer(o), reason=o["reason"])
        self._out(_row(verified), o["json"])

    def _merge(self, o: dict[str, Any]) -> None:
        party = self._party(o)
        actor = self._reviewer(o)
        if not o["into"]:
            raise CommandError("Give --into: the code of the existing party to merge into.")
        target = selectors.merge_target_for(viewer=Everyone(), code=o["into"])
        if o["check"]:
            blockers = services.merge_blockers(party, target)
            self._out(
                {
                    "source": party.code,
                    "target": target.code,
                    "possible": not blockers,
                    "blockers": blockers,
                    "locations": list(
                        party.locations.order_by("code").values_list("code", flat=True)
                    ),
                    "units": reported_units(party.pk).count(),
                    "contacts_not_moved": party.contacts.count(),
                },
                o["json"],
            )
            return
        services.party_merge(source=party, target=target, actor=actor, reason=o["reason"])
        party = selectors.reported_party_get_for(viewer=Everyone(), pk=party.pk)
        self._out(_row(party), o["json"])

    def _out(self, body: dict[str, Any], as_json: bool) -> None:
        if as_json:
            self.write_json(body)
            return
        self.write_fields(body, width=18)
