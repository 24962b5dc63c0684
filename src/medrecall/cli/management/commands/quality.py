"""``medrecall quality …``: complaints and adverse events, CAPAs, the reporting clocks and the
quality dashboard.

  medrecall quality complaint add --aware-at T --description D [--holder PARTY] [--channel C]
                                  [--barcode B | --gtin G --lot L --serial S] [--reference R]
                                  [--event-date D] [--death] [--injury] [--patient] [--malfunction] --user U
  medrecall quality complaint list [--status S] [--unresolved]
  medrecall quality complaint show CMP
  medrecall quality complaint resolve CMP (--barcode B | --gtin G --lot L --serial S) --user U
  medrecall quality complaint triage CMP --decision REGIME:CATEGORY|no:RATIONALE … --user U
  medrecall quality complaint report CMP --regime R --reference X --filed-at T --user U
  medrecall quality complaint investigate CMP --findings F --user U
  medrecall quality complaint close CMP --user U
  medrecall quality complaint link CMP --recall RC --user U
  medrecall quality complaint start-recall CMP [--confirm-overlap] --user U
  medrecall quality capa open --title T --problem P --due YYYY-MM-DD [--confirm-past-due] [--owner U] [--recall RC …]
                              [--complaint CMP …] [--lot GTIN:LOT …] --user U
  medrecall quality capa list [--status S] [--overdue] | show CAPA
  medrecall quality capa root-cause CAPA --category C --statement S [--why W …] [--fishbone M=CAUSE …] --user U
  medrecall quality capa action CAPA --kind K --description D --due YYYY-MM-DD [--owner U] --user U
  medrecall quality capa action-update CAPA ID --status S [--note N] --user U
  medrecall quality capa link CAPA [--recall RC …] [--complaint CMP …] [--lot GTIN:LOT …] --user U
  medrecall quality capa verify CAPA --method M --result R (--effective | --not-effective) --user U
  medrecall quality capa reopen CAPA --reason R --user U
  medrecall quality capa close CAPA --user U
  medrecall quality clocks [--alert] [--every N]
  medrecall quality dashboard
  medrecall quality signals [--detect] [--every N] [--status S] [--kind K] [--all]
  medrecall quality signal ID review|dismiss|link|reopen [--reason R] [--capa C] [--recall RC] --user U
  medrecall quality signal-policy [--min-complaints N] [--significance P] [--min-units N]
      [--min-ratio R] [--window-weeks N] [--recent-weeks N] [--cluster-days N] [--min-holders N]
      [--prior-complaints X] [--user U]

Every subcommand answers with ``--json`` for scripts; refusals exit with status 1 and the message.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.catalog.models import Lot
from medrecall.cli import quality_signals
from medrecall.cli.answers import error_answer
from medrecall.cli.command import Everyone, ProductCommand, Subcommands
from medrecall.cli.lookups import found, party_coded, recall_numbered, refusal, user_named
from medrecall.core.errors import DomainError
from medrecall.quality import selectors, services
from medrecall.quality.models import Capa, Channel, Complaint

Answer = dict[str, Any]


def _given(value: str, what: str) -> str:
    if not value:
        raise CommandError(f"Give the {what}.")
    return value


def _user(options: dict[str, Any]) -> User:
    """The ``--user`` the action is recorded under; not given, a usage error (exit status 2)."""
    if not (options.get("user") or "").strip():
        raise CommandError(
            _("Give --user: the staff account this action is recorded under."), returncode=2
        )
    return user_named(options["user"])


def _actor(options: dict[str, Any], *perms: str) -> User:
    """The ``--user`` who acts, refused unless staff with the permissions the web page and the
    API ask for the same action (a portal user acts through the portal, not the command line)."""
    actor = _user(options)
    missing = [perm for perm in perms if not actor.has_perm(perm)]
    if missing or actor.party_id is not None:
        raise CommandError(
            _("%(user)s may not do this (needs the permission %(permission)s, as staff).")
            % {"user": actor.username, "permission": ", ".join(missing or perms)}
        )
    return actor


def _complaint(number: str) -> Complaint:
    return found(
        lambda: selectors.complaint_numbered_for(
            viewer=Everyone(), number=_given(number, "complaint number (e.g. CMP-2026-00001)")
        )
    )


def _capa(number: str) -> Capa:
    return found(
        lambda: selectors.capa_numbered_for(
            viewer=Everyone(), number=_given(number, "CAPA number (e.g. CAPA-2026-0001)")
        )
    )


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"{option}: {text or '—'} is not a date (use YYYY-MM-DD).") from error


def _moment(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise CommandError(
            f"{option}: {text or '—'} is not a date and time (use YYYY-MM-DDTHH:MM)."
        ) from error
    return timezone.make_aware(moment) if moment.tzinfo is None else moment


def _lots(specs: list[str]) -> list[Lot]:
    lots = []
    for spec in specs:
        gtin, _sep, number = spec.partition(":")
        lot = Lot.objects.filter(device_model__udi_di=gtin, number=number).first()
        if lot is None:
            raise CommandError(f"--lot {spec}: there is no lot {number} of GTIN {gtin}.")
        lots.append(lot)
    return lots


def _links(o: dict[str, Any]) -> dict[str, Any]:
    return {
        "recalls": [recall_numbered(n.strip()) for n in o["recall"]],
        "complaints": [_complaint(n) for n in o["complaint"]],
        "lots": _lots(o["lot"]),
    }


def _triage(specs: list[str]) -> list[services.Triage]:
    decisions = []
    for spec in specs:
        regime, _sep, rest = spec.partition(":")
        category, _sep, rationale = rest.partition(":")
        reportable = category.lower() != "no"
        decisions.append(
            services.Triage(regime, reportable, category if reportable else "", rationale)
        )
    return decisions


def _fishbone(specs: list[str]) -> dict[str, list[str]]:
    bones: dict[str, list[str]] = defaultdict(list)
    for spec in specs:
        bone, _sep, cause = spec.partition("=")
        bones[bone.strip()].append(cause)
    return dict(bones)


# -- answers -----------------------------------------------------------------------------------


def _local(moment: datetime | None) -> str | None:
    """A time as the API gives it: ISO 8601 in the configured time zone."""
    return timezone.localtime(moment).isoformat() if moment else None


def complaint_answer(complaint: Complaint) -> Answer:
    from medrecall.quality import reporting  # the working-day calendars: loaded when used

    decisions = list(complaint.decisions.all())
    for decision in decisions:
        decision.complaint = complaint
    return {
        "number": complaint.number,
        "status": complaint.status,
        "channel": complaint.channel,
        "holder": complaint.holder.code if complaint.holder else None,
        "aware_at": _local(complaint.aware_at),
        "gtin": complaint.gtin_text,
        "lot": complaint.lot_text,
        "serial": complaint.serial_text,
        "resolution": complaint.resolution,
        "death": complaint.death,
        "injury": complaint.injury,
        "description": complaint.description,
        "findings": complaint.findings,
        "recall": complaint.recall.number if complaint.recall else None,
        "decisions": [
            {
                "regime": d.regime,
                "reportable": d.reportable,
                "category": d.category,
                "submitted_at": _local(d.submitted_at),
            }
            for d in decisions
        ],
        "clocks": [row.as_dict() for row in reporting.clock_rows(decisions)],
    }


def capa_answer(capa: Capa) -> Answer:
    detail = selectors.capa_detail(capa)
    return {
        "number": capa.number,
        "title": capa.title,
        "status": capa.status,
        "owner": capa.owner.username,
        "due_on": capa.due_on.isoformat(),
        "root_causes": [
            {
                "category": c.category,
                "statement": c.statement,
                "whys": c.whys,
                "fishbone": c.fishbone,
            }
            for c in detail["root_causes"]
        ],
        "actions": [
            {
                "id": a.pk,
                "kind": a.kind,
                "description": a.description,
                "owner": a.owner.username,
                "due_on": a.due_on.isoformat(),
                "status": a.status,
            }
            for a in detail["actions"]
        ],
        "verifications": [
            {"effective": v.effective, "method": v.method, "result": v.result}
            for v in detail["verifications"]
        ],
        "recalls": [r.number for r in detail["recalls"]],
        "complaints": [c.number for c in detail["complaints"]],
        "lots": [lot.number for lot in detail["lots"]],
        "suppliers": [p.code for p in detail["suppliers"]],
    }


class Command(ProductCommand):
    help = "Complaints and adverse events, CAPAs, reporting clocks and the quality dashboard."

    def add_arguments(self, parser: ArgumentParser) -> None:
        areas = self.subcommands(parser, dest="area")
        self._complaints(
            areas.group(
                "complaint",
                help="Complaints and adverse events.",
                missing="action (add, list, show, resolve, triage, report, investigate, close, "
                "link, start-recall)",
            )
        )
        self._capas(
            areas.group(
                "capa",
                help="Corrective and preventive actions.",
                missing="action (open, list, show, root-cause, action, action-update, link, "
                "verify, reopen, close)",
            )
        )
        clocks = areas.add("clocks", self._clocks, help="Reporting clocks due or overdue.")
        clocks.add_argument("--alert", action="store_true", help="Send the alerts that are due.")
        clocks.add_argument("--every", type=int, default=0, help="Enqueue the sweep every N s.")
        areas.add("dashboard", self._dashboard, help="The quality dashboard.")
        quality_signals.add_arguments(
            areas.add(
                "signals",
                lambda o: quality_signals.signals_answer(self, o),
                help="Early-warning signals (complaint rates per lot and device model).",
            )
        )
        quality_signals.add_action_arguments(
            areas.add(
                "signal",
                lambda o: quality_signals.signal_action_answer(
                    o, _actor(o, "quality.review_signal")
                ),
                help="Review, dismiss, link or reopen an early-warning signal.",
            )
        )
        quality_signals.add_policy_arguments(
            areas.add(
                "signal-policy",
                lambda o: quality_signals.policy_answer(
                    o, lambda: _actor(o, "quality.change_signalpolicy")
                ),
                help="The early-warning thresholds; give thresholds to change them (--user).",
            )
        )
        for sub in _leaves(areas):
            sub.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = self.run_subcommand(options)
        except (DomainError, CommandError) as refused:
            if options.get("json"):  # the refusal as JSON on stdout; the message on stderr
                self.write_json(error_answer(refused))
            if isinstance(refused, DomainError):
                raise refusal(refused) from refused
            raise
        if options["json"]:
            self.write_json({k: v for k, v in result.items() if k != "message"})
        else:
            self.stdout.write(
                result.get("message") or json.dumps(result, ensure_ascii=False, default=str)
            )

    # -- complaints ----------------------------------------------------------------------------
    def _complaints(self, verbs: Subcommands) -> None:
        add = verbs.add("add", self._complaint_add, help="Enter a complaint.")
        add.add_argument("--aware-at", default="", help="When the company learned of it.")
        add.add_argument("--description", default="")
        add.add_argument("--holder", default="")
        add.add_argument(
            "--channel",
            default=Channel.EMAIL,
            choices=[Channel.EMAIL, Channel.PHONE, Channel.STAFF],
        )
        add.add_argument("--reference", default="")
        add.add_argument("--event-date", default="")
        add.add_argument("--reporter", default="")
        for flag in ("death", "injury", "patient", "malfunction"):
            add.add_argument(f"--{flag}", action="store_true")
        resolve = verbs.add("resolve", self._complaint_resolve, help="Identify the device again.")
        for sub in (add, resolve):
            for name in ("barcode", "gtin", "lot", "serial"):
                sub.add_argument(f"--{name}", default="")
        listing = verbs.add("list", self._complaint_list, help="Complaints.")
        listing.add_argument("--status", default="")
        listing.add_argument("--unresolved", action="store_true")
        show = verbs.add("show", self._complaint_show, help="One complaint with its clocks.")
        triage = verbs.add("triage", self._complaint_triage, help="Decide reportability.")
        triage.add_argument(
            "--decision",
            action="append",
            default=[],
            help="REGIME:CATEGORY:RATIONALE or REGIME:no:RATIONALE (nmpa, fda, eu_mdr).",
        )
        triage.add_argument(
            "--death",
            choices=["yes", "no"],
            default=None,
            help="Correct the complaint's death flag with the triage.",
        )
        triage.add_argument(
            "--injury",
            choices=["yes", "no"],
            default=None,
            help="Correct the complaint's serious-injury flag with the triage.",
        )
        triage.add_argument(
            "--confirm-harm",
            default="",
            help="Reason to keep a category that contradicts the recorded harm (audited).",
        )
        report = verbs.add("report", self._complaint_report, help="A report filed.")
        report.add_argument("--regime", default="")
        report.add_argument("--reference", default="", help="The regulator's report reference.")
        report.add_argument(
            "--filed-at",
            default="",
            help="When the report was filed (YYYY-MM-DD HH:MM, local time); required.",
        )
        investigate = verbs.add("investigate", self._complaint_investigate, help="Findings.")
        investigate.add_argument("--findings", default="")
        close = verbs.add("close", self._complaint_close, help="Close the complaint.")
        link = verbs.add("link", self._complaint_link, help="Link to a recall.")
        link.add_argument("--recall", default="")
        start = verbs.add("start-recall", self._complaint_start, help="Open a recall from it.")
        start.add_argument(
            "--confirm-overlap",
            action="store_true",
            help="Start it although other recalls already cover the complaint's lot.",
        )
        for sub in (show, resolve, triage, report, investigate, close, link, start):
            sub.add_argument("number", nargs="?", default="", metavar="CMP")
        for sub in (add, resolve, triage, report, investigate, close, link, start):
            sub.add_argument("--user", default="")

    def _complaint_add(self, o: dict[str, Any]) -> Answer:
        complaint = services.complaint_receive(
            actor=_actor(o, "quality.add_complaint"),
            channel=o["channel"],
            description=o["description"],
            aware_at=_moment(o["aware_at"], "--aware-at"),
            holder=party_coded(o["holder"]) if o["holder"] else None,
            unit=services.UnitGiven(o["barcode"], o["gtin"], o["lot"], o["serial"]),
            reference=o["reference"],
            reporter_name=o["reporter"],
            event_date=_date(o["event_date"], "--event-date") if o["event_date"] else None,
            patient_involved=o["patient"],
            injury=o["injury"],
            death=o["death"],
            malfunction=o["malfunction"],
        )
        answer = complaint_answer(complaint)
        flag = "" if not complaint.needs_resolution else f" ({complaint.get_resolution_display()})"
        return {**answer, "message": f"Complaint {complaint.number} recorded{flag}."}

    def _complaint_resolve(self, o: dict[str, Any]) -> Answer:
        complaint = services.complaint_resolve_unit(
            complaint=_complaint(o["number"]),
            actor=_actor(o, "quality.change_complaint"),
            unit=services.UnitGiven(o["barcode"], o["gtin"], o["lot"], o["serial"]),
        )
        return {
            **complaint_answer(complaint),
            "message": f"{complaint.number}: {complaint.get_resolution_display()}.",
        }

    def _complaint_list(self, o: dict[str, Any]) -> Answer:
        rows = selectors.complaint_list_for(
            viewer=Everyone(), status=o["status"], unresolved=o["unresolved"]
        )
        listed = [
            {
                "number": c.number,
                "status": c.status,
                "holder": c.holder.code if c.holder else None,
                "aware_at": c.aware_at.isoformat(),
                "lot": c.lot_text,
                "serial": c.serial_text,
                "resolution": c.resolution,
            }
            for c in rows
        ]
        lines = [
            f"{c['number']}  {c['status']:<13} {str(c['aware_at'])[:16]}  {c['holder'] or '-':<10} "
            f"{c['lot'] or '-'} {c['serial'] or ''}  {c['resolution']}"
            for c in listed
        ]
        return {"complaints": listed, "message": "\n".join(lines) or "No complaints."}

    def _complaint_show(self, o: dict[str, Any]) -> Answer:
        answer = complaint_answer(_complaint(o["number"]))
        return {**answer, "message": json.dumps(answer, ensure_ascii=False, indent=2)}

    def _complaint_triage(self, o: dict[str, Any]) -> Answer:
        complaint = _complaint(o["number"])
        harm = None
        if o["death"] is not None or o["injury"] is not None:
            harm = services.Harm(
                death=complaint.death if o["death"] is None else o["death"] == "yes",
                injury=complaint.injury if o["injury"] is None else o["injury"] == "yes",
            )
        complaint = services.complaint_triage(
            complaint=complaint,
            actor=_actor(o, "quality.triage_complaint"),
            decisions=_triage(o["decision"]),
            harm=harm,
            harm_confirmation=o["confirm_harm"],
        )
        answer = complaint_answer(complaint)
        clocks = "; ".join(f"{c['category']} due {c['due_at']}" for c in answer["clocks"])
        return {**answer, "message": f"{complaint.number} triaged. {clocks}".strip()}

    def _complaint_report(self, o: dict[str, Any]) -> Answer:
        complaint = _complaint(o["number"])
        services.complaint_mark_reported(
            complaint=complaint,
            actor=_actor(o, "quality.triage_complaint"),
            regime=_given(o["regime"], "regime (--regime nmpa|fda|eu_mdr)"),
            reference=o["reference"],
            submitted_at=_moment(o["filed_at"], "--filed-at") if o["filed_at"] else None,
        )
        return {**complaint_answer(complaint), "message": f"{complaint.number}: report recorded."}

    def _complaint_investigate(self, o: dict[str, Any]) -> Answer:
        complaint = services.complaint_investigate(
            complaint=_complaint(o["number"]),
            actor=_actor(o, "quality.triage_complaint"),
            findings=o["findings"],
        )
        return {**complaint_answer(complaint), "message": f"{complaint.number}: findings recorded."}

    def _complaint_close(self, o: dict[str, Any]) -> Answer:
        complaint = services.complaint_close(
            complaint=_complaint(o["number"]), actor=_actor(o, "quality.triage_complaint")
        )
        return {**complaint_answer(complaint), "message": f"{complaint.number} closed."}

    def _complaint_link(self, o: dict[str, Any]) -> Answer:
        complaint = services.complaint_link_recall(
            complaint=_complaint(o["number"]),
            actor=_actor(o, "quality.triage_complaint"),
            recall=recall_numbered(o["recall"].strip()),
        )
        return {**complaint_answer(complaint), "message": f"{complaint.number} linked."}

    def _complaint_start(self, o: dict[str, Any]) -> Answer:
        recall = services.complaint_start_recall(
            complaint=_complaint(o["number"]),
            actor=_actor(o, "quality.triage_complaint", "recalls.add_recallcase"),
            confirm_overlap=o["confirm_overlap"],
        )
        return {
            "recall": recall.number,
            "status": recall.status,
            "message": f"Recall {recall.number} opened in draft.",
        }

    # -- CAPAs ---------------------------------------------------------------------------------
    def _capas(self, verbs: Subcommands) -> None:
        opened = verbs.add("open", self._capa_open, help="Open a CAPA.")
        opened.add_argument("--title", default="")
        opened.add_argument("--problem", default="")
        opened.add_argument("--owner", default="")
        opened.add_argument("--due", default="")
        opened.add_argument(
            "--confirm-past-due",
            action="store_true",
            help="Open it although the due date is already past (it starts overdue).",
        )
        link = verbs.add("link", self._capa_link, help="Link recalls, complaints, lots.")
        for sub in (opened, link):
            sub.add_argument("--recall", action="append", default=[])
            sub.add_argument("--complaint", action="append", default=[])
            sub.add_argument("--lot", action="append", default=[], help="GTIN:LOT")
        listing = verbs.add("list", self._capa_list, help="CAPAs (! marks an overdue one).")
        listing.add_argument("--status", default="")
        listing.add_argument(
            "--overdue", action="store_true", help="Only CAPAs not closed and past due."
        )
        show = verbs.add("show", self._capa_show, help="One CAPA.")
        cause = verbs.add("root-cause", self._capa_root_cause, help="Record a root cause.")
        cause.add_argument("--category", default="", help="FDA root-cause category, exact text.")
        cause.add_argument("--statement", default="")
        cause.add_argument("--why", action="append", default=[])
        cause.add_argument("--fishbone", action="append", default=[], help="M=CAUSE (6M)")
        action = verbs.add("action", self._capa_action, help="Add an action.")
        action.add_argument("--kind", default="")
        action.add_argument("--description", default="")
        action.add_argument("--owner", default="")
        action.add_argument("--due", default="")
        update = verbs.add("action-update", self._capa_action_update, help="Move an action on.")
        update.add_argument("number", nargs="?", default="", metavar="CAPA")
        update.add_argument("action", nargs="?", default="", metavar="ID")
        update.add_argument("--status", default="")
        update.add_argument("--note", default="")
        verify = verbs.add("verify", self._capa_verify, help="Verify effectiveness.")
        verify.add_argument("--method", default="")
        verify.add_argument("--result", default="")
        verify.add_argument("--effective", dest="effective", action="store_true", default=None)
        verify.add_argument("--not-effective", dest="effective", action="store_false")
        reopen = verbs.add("reopen", self._capa_reopen, help="Reopen a verified CAPA.")
        reopen.add_argument("--reason", default="")
        close = verbs.add("close", self._capa_close, help="Close a verified CAPA.")
        for sub in (show, cause, action, link, verify, reopen, close):
            sub.add_argument("number", nargs="?", default="", metavar="CAPA")
        for sub in (opened, cause, action, update, link, verify, reopen, close):
            sub.add_argument("--user", default="")

    def _capa_open(self, o: dict[str, Any]) -> Answer:
        actor = _actor(o, "quality.add_capa")
        capa = services.capa_open(
            actor=actor,
            title=o["title"],
            problem=o["problem"],
            owner=user_named(o["owner"]) if o["owner"] else actor,
            due_on=_date(o["due"], "--due"),
            confirm_past_due=o["confirm_past_due"],
            **_links(o),
        )
        warning = services.past_due_warning(capa.due_on)
        return {
            **capa_answer(capa),
            "warnings": [warning] if warning else [],
            "message": " ".join(filter(None, [f"CAPA {capa.number} opened.", warning])),
        }

    def _capa_list(self, o: dict[str, Any]) -> Answer:
        listed = [
            {
                "number": c.number,
                "status": c.status,
                "title": c.title,
                "owner": c.owner.username,
                "due_on": c.due_on.isoformat(),
                "overdue": c.is_overdue,
            }
            for c in selectors.capa_list_for(
                viewer=Everyone(), status=o["status"], overdue=o["overdue"]
            )
        ]
        lines = [
            f"{c['number']}  {c['status']:<9} {c['due_on']}{' !' if c['overdue'] else '  '} "
            f"{c['owner']:<16} {c['title']}"
            for c in listed
        ]
        return {"capas": listed, "message": "\n".join(lines) or "No CAPAs."}

    def _capa_show(self, o: dict[str, Any]) -> Answer:
        answer = capa_answer(_capa(o["number"]))
        return {**answer, "message": json.dumps(answer, ensure_ascii=False, indent=2)}

    def _capa_root_cause(self, o: dict[str, Any]) -> Answer:
        capa = _capa(o["number"])
        services.root_cause_add(
            capa=capa,
            actor=_actor(o, "quality.change_capa"),
            category=o["category"],
            statement=o["statement"],
            whys=o["why"],
            fishbone=_fishbone(o["fishbone"]),
        )
        return {**capa_answer(capa), "message": f"{capa.number}: root cause recorded."}

    def _capa_action(self, o: dict[str, Any]) -> Answer:
        capa = _capa(o["number"])
        actor = _actor(o, "quality.change_capa")
        task = services.capa_action_add(
            capa=capa,
            actor=actor,
            kind=o["kind"],
            description=o["description"],
            owner=user_named(o["owner"]) if o["owner"] else actor,
            due_on=_date(o["due"], "--due"),
        )
        warning = services.past_due_warning(task.due_on)
        return {
            **capa_answer(capa),
            "warnings": [warning] if warning else [],
            "message": " ".join(filter(None, [f"{capa.number}: action {task.pk} added.", warning])),
        }

    def _capa_action_update(self, o: dict[str, Any]) -> Answer:
        capa = _capa(o["number"])
        if not o["action"].isdigit():
            raise CommandError("Give the action's id (see `medrecall quality capa show`).")
        task = found(lambda: selectors.capa_action_get(capa=capa, pk=int(o["action"])))
        services.capa_action_update(
            task=task, actor=_actor(o, "quality.change_capa"), status=o["status"], note=o["note"]
        )
        return {**capa_answer(capa), "message": f"{capa.number}: action {task.pk} {o['status']}."}

    def _capa_link(self, o: dict[str, Any]) -> Answer:
        capa = services.capa_link(
            capa=_capa(o["number"]), actor=_actor(o, "quality.change_capa"), **_links(o)
        )
        return {**capa_answer(capa), "message": f"{capa.number}: linked."}

    def _capa_verify(self, o: dict[str, Any]) -> Answer:
        if o["effective"] is None:
            raise CommandError("Say whether the actions worked: --effective or --not-effective.")
        capa = _capa(o["number"])
        services.capa_verify(
            capa=capa,
            actor=_actor(o, "quality.change_capa"),
            method=o["method"],
            result=o["result"],
            effective=o["effective"],
        )
        capa.refresh_from_db()
        return {**capa_answer(capa), "message": f"{capa.number}: verification recorded."}

    def _capa_reopen(self, o: dict[str, Any]) -> Answer:
        capa = services.capa_reopen(
            capa=_capa(o["number"]), actor=_actor(o, "quality.change_capa"), reason=o["reason"]
        )
        return {**capa_answer(capa), "message": f"{capa.number} reopened."}

    def _capa_close(self, o: dict[str, Any]) -> Answer:
        capa = services.capa_close(capa=_capa(o["number"]), actor=_actor(o, "quality.change_capa"))
        return {**capa_answer(capa), "message": f"{capa.number} closed."}

    # -- clocks and dashboard ------------------------------------------------------------------
    def _clocks(self, o: dict[str, Any]) -> Answer:
        from medrecall.quality import reporting
        from medrecall.quality.tasks import reporting_alert_sweep

        if o["every"] > 0:
            self.enqueue_every(
                reporting_alert_sweep,
                o["every"],
                announce=f"Putting the reporting-clock sweep on the task queue every "
                f"{o['every']} s (Ctrl-C stops).",
            )
        if o["alert"]:
            sent = reporting.reporting_alert()
            return {"alerts_sent": sent, "message": f"Alerts sent: {sent}"}
        rows = reporting.clocks_due()
        lines = [
            f"{r.due_at:%Y-%m-%d %H:%M %Z}  {r.status:<9} {r.complaint_number}  {r.title}"
            + (f"  ({r.provisional_note})" if r.provisional else "")
            for r in rows
        ]
        return {
            "clocks": [r.as_dict() for r in rows],
            "message": "\n".join(lines) or "No report due this week.",
        }

    def _dashboard(self, o: dict[str, Any]) -> Answer:
        board = selectors.dashboard_for(viewer=Everyone()).as_dict()
        lines = [
            f"Open complaints: {board['complaints_open']} "
            f"(device not identified: {board['complaints_unresolved']})",
            f"Reporting clocks due or overdue: {len(board['clocks'])}",
            f"Open CAPAs: {board['capas_open']} (overdue: {len(board['capas_overdue'])}, "
            f"due within two weeks: {len(board['capas_due'])})",
            "Top root causes: "
            + (", ".join(f"{r['name']} {r['count']}" for r in board["root_causes"]) or "none"),
            "Closed recalls without a CAPA: "
            + (
                ", ".join(board["recalls_without_capa"])
                or ("none" if board["recalls_closed"] else "none (no recall is closed yet)")
            ),
            f"Early-warning signals to review: {board['signals_active']}"
            + "".join(
                f"\n  #{s['id']} {s['device_model']}{' / ' + s['lot'] if s['lot'] else ''} "
                f"since {s['since']}"
                for s in board["signals_top"]
            ),
        ]
        return {**board, "message": "\n".join(lines)}


def _leaves(subcommands: Subcommands) -> list[ArgumentParser]:
    """Every subcommand's parser that runs a handler (not a group's own)."""
    leaves = []
    for name, parser in subcommands.parsers.items():
        if name in subcommands.groups:
            leaves += _leaves(subcommands.groups[name])
        else:
            leaves.append(parser)
    return leaves
