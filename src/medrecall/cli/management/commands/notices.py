"""``medrecall notices …``: notices and customer relations from the command line.

medrecall notices send RECALL --user U [--party CODE …] [--wait]   queue a send run (--wait: show progress)
medrecall notices letters RECALL --out FILE.pdf [--posted --user U]   the letters to print (and log them posted)
medrecall notices run RUN_ID [--json]                              a run's progress
medrecall notices list [--recall R] [--status S] [--channel C] [--json]
medrecall notices overdue [--json]                                 the customer-service queue
medrecall notices replies RECALL [--json]                          replies, and where they disagree with our records
medrecall notices log NOTICE_ID --channel call|letter|note --note N [--acknowledged] --user U
medrecall notices delivery --message-id ID --outcome delivered|bounced [--detail D]
medrecall notices sweep [--every N]                                retries, reminders, escalation, surveys
medrecall notices templates [--status S] [--json]
medrecall notices template-show TEMPLATE_ID > FILE.json                   one template as JSON, to edit
medrecall notices template-save --file FILE.json --user U                a new draft version from that JSON
medrecall notices approve-template TEMPLATE_ID --user U
medrecall notices timeline PARTY_CODE [--json]
medrecall notices search TEXT [--json]                             by name, phone, e-mail, lot or serial
medrecall notices progress RECALL --party CODE --message M --user U
medrecall notices offer RECALL --party CODE --kind K --description D [--amount A] [--currency C] --user U
medrecall notices offer-decision OFFER_ID --action approve|reject|fulfil|cancel [--note N] --user U
"""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import CommandError

from medrecall.accounts.models import User
from medrecall.cli.command import ProductCommand
from medrecall.cli.lookups import party_coded, recall_numbered, refusal, user_named
from medrecall.cli.progress import ProgressLine
from medrecall.core.errors import DomainError
from medrecall.notices import (
    delivery,
    followup,
    postal,
    relations,
    selectors,
    send_runs,
    template_control,
)
from medrecall.notices.models import Notice, NoticeRun, NoticeTemplate, Offer
from medrecall.notices.tasks import follow_up_sweep_task
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase

ACTIONS = [
    "send",
    "letters",
    "run",
    "list",
    "overdue",
    "replies",
    "log",
    "delivery",
    "sweep",
    "templates",
    "template-show",
    "template-save",
    "approve-template",
    "timeline",
    "search",
    "progress",
    "offer",
    "offer-decision",
]


class _Everyone:
    """The command line sees every party (it runs with the server's own rights)."""

    pk = None
    party_id = None

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return True


def _notice_row(notice: Notice) -> dict[str, Any]:
    return {
        "id": notice.pk,
        "recall": notice.recall.number,
        "party": notice.party.code,
        "kind": notice.kind,
        "sequence": notice.sequence,
        "channel": notice.channel,
        "email": notice.email,
        "status": notice.status,
        "units": notice.total_units,
        "reply_due_at": notice.reply_due_at,
        "sent_at": notice.sent_at,
        "replied_at": notice.replied_at,
        "escalated_at": notice.escalated_at,
        "last_error": notice.last_error,
    }


class Command(ProductCommand):
    help = "Send recall notices, follow them up, and work with customers' timelines and offers."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument("target", nargs="?", default="")
        parser.add_argument("--user", default="")
        parser.add_argument("--party", action="append", default=[])
        parser.add_argument("--recall", default="")
        parser.add_argument("--status", default="")
        parser.add_argument("--channel", default="")
        parser.add_argument("--note", default="")
        parser.add_argument("--acknowledged", action="store_true")
        parser.add_argument("--message-id", default="")
        parser.add_argument("--outcome", default="")
        parser.add_argument("--detail", default="")
        parser.add_argument("--message", default="")
        parser.add_argument("--kind", default="")
        parser.add_argument("--description", default="")
        parser.add_argument("--amount", default="0")
        parser.add_argument("--currency", default="CNY")
        parser.add_argument("--action", dest="decision", default="")
        parser.add_argument("--every", type=int, default=0)
        parser.add_argument("--wait", action="store_true")
        parser.add_argument("--out", default="")
        parser.add_argument("--file", default="")
        parser.add_argument("--posted", action="store_true")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            self._handle(o)
        except DomainError as refused:
            raise refusal(refused) from refused

    def _user(self, name: str) -> User:
        return user_named(name)

    def _recall(self, number: str) -> RecallCase:
        return recall_numbered(number)

    def _party(self, code: str) -> Party:
        return party_coded(code)

    def _id(self, text: str, what: str) -> int:
        if not text.isdigit():
            raise CommandError(f"Give the {what} id (a number), not {text!r}.")
        return int(text)

    def _out(self, body: Any, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2, default=str))
        elif isinstance(body, list):
            for row in body:
                self.stdout.write("  ".join(f"{value}" for value in row.values()))
        else:
            for key, value in body.items():
                self.stdout.write(f"{key:>12}: {value}")

    def _handle(self, o: dict[str, Any]) -> None:
        action, target = o["action"], o["target"]
        if action == "send":
            recall = self._recall(target)
            parties = [self._party(code).pk for code in o["party"]]
            run = send_runs.notice_run_start(
                recall=recall,
                actor=self._user(o["user"]),
                parties=parties or None,
                reason="medrecall notices send",
            )
            if o["wait"]:
                self._wait(run)
            self._out(selectors.run_progress(selectors.run_get(run.pk)), o["json"])
        elif action == "letters":
            recall = self._recall(target)
            letters = list(postal.letters_to_post(recall))
            if not o["out"]:
                raise CommandError("Give --out FILE.pdf for the letters to print.")
            with open(o["out"], "wb") as out:
                out.write(postal.letters_bundle(letters))
            posted = (
                postal.letters_posted(notices=letters, actor=self._user(o["user"]), note=o["note"])
                if o["posted"]
                else 0
            )
            self._out({"letters": len(letters), "file": o["out"], "posted": posted}, o["json"])
        elif action == "run":
            self._out(selectors.run_progress(selectors.run_get(self._id(target, "run"))), o["json"])
        elif action == "list":
            notices = selectors.notice_list_for(
                viewer=_Everyone(),
                status=o["status"],
                channel=o["channel"],
                recall_id=self._recall(o["recall"]).pk if o["recall"] else None,
            )
            self._out([_notice_row(n) for n in notices[:5000]], o["json"])
        elif action == "overdue":
            self._out(
                [
                    _notice_row(n) | {"reply_difference": getattr(n, "reply_difference", None)}
                    for n in selectors.overdue_queue(viewer=_Everyone())[:5000]
                ],
                o["json"],
            )
        elif action == "replies":
            rows = [
                {
                    "party": r.party.code,
                    "respondent": r.respondent_name,
                    "submitted_at": r.submitted_at,
                    **{name: getattr(r, name) for name in ("on_record", "reported", "difference")},
                    "differences": [
                        {
                            "lot": d.lot,
                            "serial": d.serial,
                            "on_record": d.on_record,
                            "reported": d.reported,
                            "difference": d.difference,
                        }
                        for d in selectors.reply_differences(r)
                    ],
                }
                for r in selectors.replies_for(
                    viewer=_Everyone(), recall_id=self._recall(target).pk
                )
            ]
            self._out(rows, o["json"])
        elif action == "log":
            notice = Notice.objects.filter(pk=self._id(target, "notice")).first()
            if notice is None:
                raise CommandError(f"No notice {target}.")
            delivery.notice_contact_log(
                notice=notice,
                actor=self._user(o["user"]),
                channel=o["channel"],
                note=o["note"],
                acknowledged=o["acknowledged"],
            )
            self._out(_notice_row(Notice.objects.get(pk=notice.pk)), o["json"])
        elif action == "delivery":
            notice = delivery.notice_delivery_report(
                message_id=o["message_id"], outcome=o["outcome"], detail=o["detail"]
            )
            self._out(_notice_row(notice), o["json"])
        elif action == "sweep":
            if o["every"] > 0:
                self.stdout.write(
                    f"Putting the notice follow-up sweep on the task queue every {o['every']} s "
                    "(Ctrl-C stops)."
                )
                while True:
                    follow_up_sweep_task.enqueue()
                    time.sleep(o["every"])
            self._out(followup.follow_up_sweep(), o["json"])
        elif action == "templates":
            rows = [
                {
                    "id": t.pk,
                    "regime": t.regime,
                    "language": t.language,
                    "kind": t.kind,
                    "version": t.version,
                    "status": t.status,
                    "title": t.title,
                }
                for t in selectors.template_list(status=o["status"])
            ]
            self._out(rows, o["json"])
        elif action == "template-show":
            template = NoticeTemplate.objects.filter(pk=self._id(target, "template")).first()
            if template is None:
                raise CommandError(f"No template {target}.")
            self._out(
                {
                    field: getattr(template, field)
                    for field in (
                        "regime",
                        "language",
                        "kind",
                        "version",
                        "status",
                        "title",
                        "subject",
                        "sections",
                        "change_note",
                    )
                },
                True,
            )
        elif action == "template-save":
            try:
                with open(o["file"], encoding="utf-8") as source:
                    fields = json.load(source)
            except (OSError, ValueError) as bad:
                raise CommandError(f"--file {o['file']!r}: {bad}") from bad
            if not isinstance(fields, dict):
                raise CommandError("The file must hold one JSON object (see template-show).")
            wanted = ("regime", "language", "kind", "title", "subject", "sections")
            if missing := [name for name in wanted if name not in fields]:
                raise CommandError(f"The file lacks {', '.join(missing)}.")
            saved = template_control.template_save(
                actor=self._user(o["user"]),
                change_note=str(fields.get("change_note", "")),
                **{name: fields[name] for name in wanted},
            )
            self._out({"id": saved.pk, "version": saved.version, "status": saved.status}, o["json"])
        elif action == "approve-template":
            template = NoticeTemplate.objects.filter(pk=self._id(target, "template")).first()
            if template is None:
                raise CommandError(f"No template {target}.")
            approved = template_control.template_approve(
                template=template, actor=self._user(o["user"])
            )
            self._out(
                {"id": approved.pk, "status": approved.status, "version": approved.version},
                o["json"],
            )
        elif action == "timeline":
            party, entries, units = selectors.timeline_for(
                viewer=_Everyone(), party_id=self._party(target).pk
            )
            body = {
                "party": party.code,
                "name": party.name,
                "units": units,
                "entries": [
                    {
                        "at": e.at,
                        "recall": e.recall,
                        "what": e.what,
                        "detail": e.detail,
                        "who": e.who,
                    }
                    for e in entries
                ],
            }
            if o["json"]:
                self._out(body, True)
            else:
                self.stdout.write(f"{party.code} {party.name}")
                for e in entries:
                    self.stdout.write(
                        f"{e.at:%Y-%m-%d %H:%M}  {e.recall}  {e.what}  {e.detail}  {e.who}"
                    )
        elif action == "search":
            rows = [
                {"code": p.code, "name": p.name, "type": p.party_type, "city": p.city}
                for p in selectors.customer_search(viewer=_Everyone(), query=target)
            ]
            self._out(rows, o["json"])
        elif action == "progress":
            created = relations.progress_update_send(
                recall=self._recall(target),
                party=self._party(o["party"][0] if o["party"] else ""),
                message=o["message"],
                actor=self._user(o["user"]),
            )
            self._out({"notices": created}, o["json"])
        elif action == "offer":
            try:
                amount = Decimal(o["amount"])
            except InvalidOperation as bad:
                raise CommandError(f"--amount {o['amount']!r} is not a number.") from bad
            proposed = relations.offer_propose(
                recall=self._recall(target),
                party=self._party(o["party"][0] if o["party"] else ""),
                kind=o["kind"],
                description=o["description"],
                amount=amount,
                currency=o["currency"],
                actor=self._user(o["user"]),
            )
            self._out({"id": proposed.pk, "status": proposed.status}, o["json"])
        elif action == "offer-decision":
            found = Offer.objects.filter(pk=self._id(target, "offer")).first()
            if found is None:
                raise CommandError(f"No offer {target}.")
            offer, user, decision = found, self._user(o["user"]), o["decision"]
            if decision in ("approve", "reject"):
                offer = relations.offer_decide(
                    offer=offer, approve=decision == "approve", actor=user, note=o["note"]
                )
            elif decision == "fulfil":
                offer = relations.offer_fulfil(offer=offer, actor=user, note=o["note"])
            elif decision == "cancel":
                offer = relations.offer_cancel(offer=offer, actor=user, note=o["note"])
            else:
                raise CommandError("Give --action approve, reject, fulfil or cancel.")
            self._out({"id": offer.pk, "status": offer.status}, o["json"])

    def _wait(self, run: NoticeRun) -> None:
        """Follow a run to the end (the worker does the work)."""
        line = ProgressLine(f"Notices for {run.recall.number}")
        while True:
            progress = selectors.run_progress(selectors.run_get(run.pk))
            line(progress["percent"], 100)
            if progress["status"] in (NoticeRun.Status.DONE, NoticeRun.Status.FAILED):
                return
            time.sleep(0.5)
