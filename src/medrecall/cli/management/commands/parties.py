"""``medrecall parties reported|show|verify|merge``: the review of sub-consignees that holders
reported on a reply form.

  medrecall parties reported [--review unverified|verified|merged|all] [--reported-by CODE] [--search TEXT] [--json]
  medrecall parties show CODE [--json]
  medrecall parties verify CODE --user U [--reason TEXT] [--json]
  medrecall parties merge CODE --into TARGET [--check] --user U [--reason TEXT] [--json]

``merge --check`` says what would move, or why the merge is refused, and changes nothing."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from medrecall.cli.command import ProductCommand
from medrecall.cli.lookups import party_coded, refusal, user_named
from medrecall.core.errors import DomainError
from medrecall.notices.relations import reported_units
from medrecall.parties import selectors, services
from medrecall.parties.models import Party


class _Everyone:
    """The command line sees every party (it runs with the server's own rights)."""

    pk = None
    party_id = None

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return True


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
        parser.add_argument("action", choices=["reported", "show", "verify", "merge"])
        parser.add_argument(
            "code", nargs="?", default="", help="The reported party's code (show, verify, merge)."
        )
        parser.add_argument(
            "--review", default="unverified", choices=list(selectors.REVIEW_FILTERS)
        )
        parser.add_argument(
            "--reported-by", default="", help="reported: only those this holder (code) reported."
        )
        parser.add_argument("--search", default="")
        parser.add_argument(
            "--into", default="", help="merge: the code of the existing party to merge into."
        )
        parser.add_argument(
            "--check", action="store_true", help="merge: say what would happen, change nothing."
        )
        parser.add_argument("--reason", default="")
        parser.add_argument(
            "--user", default="", help="The account the decision is recorded under."
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            self._run(o)
        except DomainError as refused:
            raise refusal(refused) from refused

    def _run(self, o: dict[str, Any]) -> None:
        action = o["action"]
        if action == "reported":
            rows = [
                _row(p) | {"locations": p.location_count, "contacts": p.contact_count}  # type: ignore[attr-defined]
                for p in selectors.reported_party_list_for(
                    viewer=_Everyone(),
                    review=o["review"],
                    search=o["search"],
                    reported_by=o["reported_by"],
                )
            ]
            if o["json"]:
                self._json(rows)
                return
            for row in rows:
                self.stdout.write(
                    f"{row['code']:<24} {row['review']:<11} reported by {row['reported_by']:<12} "
                    f"{row['name']} ({row['country']} {row['city']})"
                )
            self.stderr.write(f"{len(rows)} reported part{'y' if len(rows) == 1 else 'ies'}")
            return
        if not o["code"]:
            raise CommandError("Give the reported party's CODE.")
        party = selectors.reported_party_get_for(viewer=_Everyone(), pk=party_coded(o["code"]).pk)
        if action == "show":
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
            candidates = [
                c.code for c in selectors.merge_candidates(viewer=_Everyone(), party=party)
            ]
            self._out(
                _row(party) | {"units": units, "contacts": contacts, "candidates": candidates},
                o["json"],
            )
            return
        actor = user_named(o["user"])
        if not actor.has_perm("parties.change_party") or actor.party_id is not None:
            raise CommandError(f"{actor.username} may not review parties (needs to edit parties).")
        if action == "verify":
            self._out(
                _row(services.party_verify(party=party, actor=actor, reason=o["reason"])), o["json"]
            )
            return
        if not o["into"]:
            raise CommandError("Give --into: the code of the existing party to merge into.")
        target = selectors.merge_target_for(viewer=_Everyone(), code=o["into"])
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
        party = selectors.reported_party_get_for(viewer=_Everyone(), pk=party.pk)
        self._out(_row(party), o["json"])

    def _json(self, body: Any) -> None:
        self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2, default=str))

    def _out(self, body: dict[str, Any], as_json: bool) -> None:
        if as_json:
            self._json(body)
            return
        for key, value in body.items():
            self.stdout.write(f"{key:>18}: {value}")
