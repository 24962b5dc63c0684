"""``medrecall notices …``: notices and customer relations from the command line.

medrecall notices send RECALL --user U [--party CODE …] [--wait]   queue a send run (--wait: show progress)
medrecall notices letters RECALL --out FILE.pdf [--posted --user U]   the letters to print (and log them posted)
medrecall notices run RUN_ID [--json]                              a run's progress
medrecall notices list [--recall R] [--status S] [--channel C] [--json]
medrecall notices overdue [--json]                                 the customer-service queue
medrecall notices holders RECALL [--state S] [--json]              each holder's notify-by, overdue ones
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

Each subcommand has its own ``--help`` (``medrecall notices offer --help``).
"""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import get_language

from medrecall.cli.command import Everyone, ProductCommand, number_argument
from medrecall.cli.lookups import found, party_coded, recall_numbered, refusal, user_named
from medrecall.cli.progress import ProgressLine
from medrecall.core.errors import DomainError
from medrecall.notices import (
    delivery,
    followup,
    notify_by,
    postal,
    relations,
    selectors,
    send_runs,
    template_control,
)
from medrecall.notices.models import Notice, NoticeRun, NoticeTemplate, Offer
from medrecall.notices.tasks import follow_up_sweep_task

_TEMPLATE_SAVED = ("regime", "language", "kind", "title", "subject", "sections")
_LISTED = 5000


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


def _notice(text: str) -> Notice:
    pk = number_argument(text, "notice")
    return found(lambda: selectors.notice_get_for(viewer=Everyone(), pk=pk))


def _template(text: str) -> NoticeTemplate:
    pk = number_argument(text, "template")
    return found(lambda: selectors.template_get(pk))


def _offer(text: str) -> Offer:
    pk = number_argument(text, "offer")
    return found(lambda: selectors.offer_get_for(viewer=Everyone(), pk=pk))


def _template_fields(path: str) -> dict[str, Any]:
    """The JSON object ``template-show`` printed (and someone edited), checked for the fields."""
    try:
        with open(path, encoding="utf-8") as source:
            fields = json.load(source)
    except (OSError, ValueError) as bad:
        raise CommandError(f"--file {path!r}: {bad}") from bad
    if not isinstance(fields, dict):
        raise CommandError("The file must hold one JSON object (see template-show).")
    if missing := [name for name in _TEMPLATE_SAVED if name not in fields]:
        raise CommandError(f"The file lacks {', '.join(missing)}.")
    return fields


def _first_party(codes: list[str]) -> Any:
    return party_coded(codes[0] if codes else "")


class Command(ProductCommand):
    help = "Send recall notices, follow them up, and work with customers' timelines and offers."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = self.subcommands(parser, dest="action")
        self._sending(actions)
        self._following_up(actions)
        self._templating(actions)
        self._relating(actions)
        for name, sub in actions.parsers.items():
            if name != "template-show":  # its answer is JSON anyway
                sub.add_argument("--json", action="store_true")

    def _sending(self, actions: Any) -> None:
        send = actions.add("send", self._send, help="Queue a send run for a recall.")
        send.add_argument("target", nargs="?", default="", metavar="RECALL")
        send.add_argument("--party", action="append", default=[], help="Only this party (code).")
        send.add_argument("--wait", action="store_true", help="Show the run's progress.")
        _user(send)
        letters = actions.add("letters", self._letters, help="The letters to print, as one PDF.")
        letters.add_argument("target", nargs="?", default="", metavar="RECALL")
        letters.add_argument("--out", default="", metavar="FILE.pdf")
        letters.add_argument("--posted", action="store_true", help="Log the letters posted.")
        letters.add_argument("--note", default="")
        _user(letters)
        run = actions.add("run", self._run, help="A send run's progress.")
        run.add_argument("target", nargs="?", default="", metavar="RUN_ID")

    def _following_up(self, actions: Any) -> None:
        listing = actions.add("list", self._list, help="Notices (at most 5000).")
        listing.add_argument("--recall", default="")
        listing.add_argument("--status", default="")
        listing.add_argument("--channel", default="")
        actions.add("overdue", self._overdue, help="The customer-service queue.")
        holders = actions.add(
            "holders", self._holders, help="Each holder's notify-by time, and who is overdue."
        )
        holders.add_argument("target", nargs="?", default="", metavar="RECALL")
        holders.add_argument("--state", default="", help=", ".join(notify_by.STATES))
        replies = actions.add(
            "replies", self._replies, help="Replies, and where they disagree with our records."
        )
        replies.add_argument("target", nargs="?", default="", metavar="RECALL")
        log = actions.add("log", self._log, help="Log a call, letter or note on a notice.")
        log.add_argument("target", nargs="?", default="", metavar="NOTICE_ID")
        log.add_argument("--channel", default="", help="call, letter or note.")
        log.add_argument("--note", default="")
        log.add_argument("--acknowledged", action="store_true")
        _user(log)
        delivery = actions.add("delivery", self._delivery, help="Record a delivery report.")
        delivery.add_argument("--message-id", default="")
        delivery.add_argument("--outcome", default="", help="delivered or bounced.")
        delivery.add_argument("--detail", default="")
        sweep = actions.add(
            "sweep", self._sweep, help="Retries, reminders, escalation and surveys."
        )
        sweep.add_argument(
            "--every", type=int, default=0, help="Queue the sweep every N seconds (Ctrl-C stops)."
        )

    def _templating(self, actions: Any) -> None:
        templates = actions.add("templates", self._templates, help="The notice templates.")
        templates.add_argument("--status", default="")
        show = actions.add("template-show", self._template_show, help="One template as JSON.")
        show.add_argument("target", nargs="?", default="", metavar="TEMPLATE_ID")
        show.add_argument("--json", action="store_true", help="(The answer is always JSON.)")
        save = actions.add(
            "template-save", self._template_save, help="A new draft version from a JSON file."
        )
        save.add_argument("--file", default="", metavar="FILE.json")
        _user(save)
        approve = actions.add(
            "approve-template", self._approve_template, help="Approve a template version."
        )
        approve.add_argument("target", nargs="?", default="", metavar="TEMPLATE_ID")
        _user(approve)

    def _relating(self, actions: Any) -> None:
        timeline = actions.add("timeline", self._timeline, help="A customer's timeline.")
        timeline.add_argument("target", nargs="?", default="", metavar="PARTY_CODE")
        search = actions.add(
            "search", self._search, help="Customers by name, phone, e-mail, lot or serial."
        )
        search.add_argument("target", nargs="?", default="", metavar="TEXT")
        progress = actions.add("progress", self._progress, help="Send a progress update.")
        progress.add_argument("target", nargs="?", default="", metavar="RECALL")
        progress.add_argument("--party", action="append", default=[])
        progress.add_argument("--message", default="")
        _user(progress)
        offer = actions.add("offer", self._offer, help="Propose an offer to a customer.")
        offer.add_argument("target", nargs="?", default="", metavar="RECALL")
        offer.add_argument("--party", action="append", default=[])
        offer.add_argument("--kind", default="")
        offer.add_argument("--description", default="")
        offer.add_argument("--amount", default="0")
        offer.add_argument("--currency", default="CNY")
        _user(offer)
        decision = actions.add(
            "offer-decision", self._offer_decision, help="Approve, reject, fulfil or cancel."
        )
        decision.add_argument("target", nargs="?", default="", metavar="OFFER_ID")
        decision.add_argument(
            "--action", dest="decision", default="", help="approve, reject, fulfil or cancel."
        )
        decision.add_argument("--note", default="")
        _user(decision)

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            super().handle(*args, **o)
        except DomainError as refused:
            raise refusal(refused) from refused

    def _out(self, body: Any, as_json: bool) -> None:
        if as_json:
            self.write_json(body)
        elif isinstance(body, list):
            for row in body:
                self.stdout.write("  ".join(f"{value}" for value in row.values()))
        else:
            self.write_fields(body, width=12)

    # -- sending -----------------------------------------------------------------------------
    def _send(self, o: dict[str, Any]) -> None:
        recall = recall_numbered(o["target"])
        parties = [party_coded(code).pk for code in o["party"]]
        run = send_runs.notice_run_start(
            recall=recall,
            actor=user_named(o["user"]),
            parties=parties or None,
            reason="medrecall notices send",
        )
        if o["wait"]:
            self._wait(run)
        self._out(selectors.run_progress(selectors.run_get(run.pk)), o["json"])

    def _wait(self, run: NoticeRun) -> None:
        """Follow a run to the end (the worker does the work)."""
        line = ProgressLine(f"Notices for {run.recall.number}")
        while True:
            progress = selectors.run_progress(selectors.run_get(run.pk))
            line(progress["percent"], 100)
            if progress["status"] in (NoticeRun.Status.DONE, NoticeRun.Status.FAILED):
                return
            time.sleep(0.5)

    def _letters(self, o: dict[str, Any]) -> None:
        letters = list(postal.letters_to_post(recall_numbered(o["target"])))
        if not o["out"]:
            raise CommandError("Give --out FILE.pdf for the letters to print.")
        with open(o["out"], "wb") as out:
            out.write(postal.letters_bundle(letters))
        posted = (
            postal.letters_posted(notices=letters, actor=user_named(o["user"]), note=o["note"])
            if o["posted"]
            else 0
        )
        self._out({"letters": len(letters), "file": o["out"], "posted": posted}, o["json"])

    def _run(self, o: dict[str, Any]) -> None:
        run = selectors.run_get(number_argument(o["target"], "run"))
        self._out(selectors.run_progress(run), o["json"])

    def _delivery(self, o: dict[str, Any]) -> None:
        notice = delivery.notice_delivery_report(
            message_id=o["message_id"], outcome=o["outcome"], detail=o["detail"]
        )
        self._out(_notice_row(notice), o["json"])

    # -- following up ------------------------------------------------------------------------
    def _list(self, o: dict[str, Any]) -> None:
        notices = selectors.notice_list_for(
            viewer=Everyone(),
            status=o["status"],
            channel=o["channel"],
            recall_id=recall_numbered(o["recall"]).pk if o["recall"] else None,
        )
        self._out([_notice_row(n) for n in notices[:_LISTED]], o["json"])

    def _overdue(self, o: dict[str, Any]) -> None:
        rows = [
            _notice_row(n) | {"reply_difference": getattr(n, "reply_difference", None)}
            for n in selectors.overdue_queue(viewer=Everyone())[:_LISTED]
        ]
        self._out(rows, o["json"])

    def _holders(self, o: dict[str, Any]) -> None:
        recall = recall_numbered(o["target"])
        every = notify_by.holders_for(viewer=Everyone(), recall=recall)
        rows = notify_by.in_state(every, o["state"])
        self._out([row.as_dict() for row in rows], o["json"])
        if not o["json"] and (note := notify_by.uncovered_note(every, get_language() or "en")):
            self.stdout.write(note)

    def _replies(self, o: dict[str, Any]) -> None:
        replies = selectors.replies_for(
            viewer=Everyone(), recall_id=recall_numbered(o["target"]).pk
        )
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
            for r in replies
        ]
        self._out(rows, o["json"])

    def _log(self, o: dict[str, Any]) -> None:
        notice = _notice(o["target"])
        delivery.notice_contact_log(
            notice=notice,
            actor=user_named(o["user"]),
            channel=o["channel"],
            note=o["note"],
            acknowledged=o["acknowledged"],
        )
        self._out(_notice_row(Notice.objects.get(pk=notice.pk)), o["json"])

    def _sweep(self, o: dict[str, Any]) -> None:
        if o["every"] > 0:
            self.enqueue_every(
                follow_up_sweep_task,
                o["every"],
                announce=f"Putting the notice follow-up sweep on the task queue every {o['every']} s "
                "(Ctrl-C stops).",
            )
        self._out(followup.follow_up_sweep(), o["json"])

    # -- templates ---------------------------------------------------------------------------
    def _templates(self, o: dict[str, Any]) -> None:
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

    def _template_show(self, o: dict[str, Any]) -> None:
        self._out(selectors.template_content(_template(o["target"])), True)

    def _template_save(self, o: dict[str, Any]) -> None:
        fields = _template_fields(o["file"])
        saved = template_control.template_save(
            actor=user_named(o["user"]),
            change_note=str(fields.get("change_note", "")),
            **{name: fields[name] for name in _TEMPLATE_SAVED},
        )
        self._out({"id": saved.pk, "version": saved.version, "status": saved.status}, o["json"])

    def _approve_template(self, o: dict[str, Any]) -> None:
        template = _template(o["target"])
        approved = template_control.template_approve(template=template, actor=user_named(o["user"]))
        self._out(
            {"id": approved.pk, "status": approved.status, "version": approved.version},
            o["json"],
        )

    # -- customer relations ------------------------------------------------------------------
    def _timeline(self, o: dict[str, Any]) -> None:
        party, entries, units = selectors.timeline_for(
            viewer=Everyone(), party_id=party_coded(o["target"]).pk
        )
        if not o["json"]:
            self.stdout.write(f"{party.code} {party.name}")
            for e in entries:
                self.stdout.write(
                    f"{e.at:%Y-%m-%d %H:%M}  {e.recall}  {e.what}  {e.detail}  {e.who}"
                )
            return
        rows = [
            {"at": e.at, "recall": e.recall, "what": e.what, "detail": e.detail, "who": e.who}
            for e in entries
        ]
        self._out({"party": party.code, "name": party.name, "units": units, "entries": rows}, True)

    def _search(self, o: dict[str, Any]) -> None:
        rows = [
            {"code": p.code, "name": p.name, "type": p.party_type, "city": p.city}
            for p in selectors.customer_search(viewer=Everyone(), query=o["target"])
        ]
        self._out(rows, o["json"])

    def _progress(self, o: dict[str, Any]) -> None:
        created = relations.progress_update_send(
            recall=recall_numbered(o["target"]),
            party=_first_party(o["party"]),
            message=o["message"],
            actor=user_named(o["user"]),
        )
        self._out({"notices": created}, o["json"])

    def _offer(self, o: dict[str, Any]) -> None:
        try:
            amount = Decimal(o["amount"])
        except InvalidOperation as bad:
            raise CommandError(f"--amount {o['amount']!r} is not a number.") from bad
        proposed = relations.offer_propose(
            recall=recall_numbered(o["target"]),
            party=_first_party(o["party"]),
            kind=o["kind"],
            description=o["description"],
            amount=amount,
            currency=o["currency"],
            actor=user_named(o["user"]),
        )
        self._out({"id": proposed.pk, "status": proposed.status}, o["json"])

    def _offer_decision(self, o: dict[str, Any]) -> None:
        offer = _offer(o["target"])
        user, decision, note = user_named(o["user"]), o["decision"], o["note"]
        if decision in ("approve", "reject"):
            offer = relations.offer_decide(
                offer=offer, approve=decision == "approve", actor=user, note=note
            )
        elif decision == "fulfil":
            offer = relations.offer_fulfil(offer=offer, actor=user, note=note)
        elif decision == "cancel":
            offer = relations.offer_cancel(offer=offer, actor=user, note=note)
        else:
            raise CommandError("Give --action approve, reject, fulfil or cancel.")
        self._out({"id": offer.pk, "status": offer.status}, o["json"])


def _user(sub: ArgumentParser) -> None:
    sub.add_argument("--user", default="", help="The account the action is recorded under.")
