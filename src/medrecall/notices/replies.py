"""A holder's reply: quantities per affected line, checked against what the holder had,
signed by the respondent's name, and the sub-consignees they passed units on to — who join
the recall as holders (scope additions) and get their own notices. A sub-consignee always
becomes a new party "reported by <holder>, unverified", never one we already know."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.catalog.models import Serial, device_name
from medrecall.core import regions
from medrecall.core.errors import ImportRejected, ValidationFailed
from medrecall.core.tabular import Columns, TableReader
from medrecall.parties.models import Contact, Location, LocationType, Party, PartyType, Review
from medrecall.recalls.lifecycle import Action, require_action

from .delivery import advance
from .errors import AlreadyReplied, RecallClosedForReplies
from .models import (
    OPEN_FOR_NOTICES,
    Kind,
    Notice,
    NoticeEvent,
    NoticeStatus,
    Reply,
    ReplyLine,
    SubConsignee,
)
from .send_runs import notice_run_start

QUANTITIES = ("on_hand", "to_return", "destroyed", "used", "distributed")
SUB_CONSIGNEE_COLUMNS = Columns(
    required=("name", "country", "city", "address", "lot", "quantity"),
    optional=("type", "province", "contact_name", "phone", "email", "serial"),
)
SUB_CONSIGNEE_TYPES = {
    "distributor": PartyType.DISTRIBUTOR,
    "hospital": PartyType.HOSPITAL,
    "end_user": PartyType.END_USER,
}


@dataclass(frozen=True)
class ExpectedLine:
    """One line of the reply form: a lot (or serial) the holder had, summed over its locations."""

    key: str
    lot_id: int
    serial_id: int | None
    lot: str
    serial: str
    model: str
    quantity: int
    received: int
    model_en: str = ""

    @property
    def model_name(self) -> str:
        """The device name in the active language (the reply page's)."""
        return device_name(self.model, self.model_en)

    @property
    def limit(self) -> int:
        return max(self.quantity, self.received)


def expected_lines(notice: Notice) -> list[ExpectedLine]:
    """The holder's first notice's lines plus those its updated notices (a re-scope) added."""
    root = notice.root
    added = [
        line
        for lines in Notice.objects.filter(parent=root, kind=Kind.UPDATE)
        .order_by("sequence")
        .values_list("lines", flat=True)
        for line in lines
    ]
    summed: dict[tuple[int, int | None], dict[str, Any]] = {}
    for line in [*root.lines, *added]:
        key = (line["lot_id"], line["serial_id"])
        entry = summed.setdefault(
            key,
            {
                "lot": line["lot"],
                "serial": line["serial"],
                "model": line["model"],
                "model_en": line.get("model_en", ""),
                "quantity": 0,
                "received": 0,
            },
        )
        entry["quantity"] += line["quantity"]
        entry["received"] += line.get("received", line["quantity"])
    return [
        ExpectedLine(
            f"{lot}-{serial or 0}",
            lot,
            serial,
            e["lot"],
            e["serial"],
            e["model"],
            e["quantity"],
            e["received"],
            e["model_en"],
        )
        for (lot, serial), e in sorted(summed.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))
    ]


@dataclass
class SubConsigneeInput:
    name: str
    country: str
    city: str
    address: str
    lot: str
    quantity: int
    type: str = "hospital"
    province: str = ""
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    serial: str = ""
    row: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)


def _int(value: Any, where: str, problems: list[tuple[str, str]]) -> int:
    """A quantity as the importers read one (digits 0-9, at most the 32-bit column's maximum)."""
    from medrecall.core.importing import whole_number

    text = str(value if value is not None else "").strip()
    if text == "":
        return 0
    if text.startswith("-") and text[1:].isdigit():
        problems.append((where, _("A quantity cannot be negative.")))
        return 0
    number, problem = whole_number(text, where, low=0)
    if problem is not None or number is None:
        problems.append(
            (
                where,
                problem[2]
                if problem
                else _("“%(value)s” is not a whole number.") % {"value": text},
            )
        )
        return 0
    return number


def sub_consignees_from_file(path: Path, *, file_name: str) -> list[SubConsigneeInput]:
    """Read a sub-consignee list (CSV or Excel, the columns of ``SUB_CONSIGNEE_COLUMNS``);
    every bad row is reported with its row and column, and nothing is taken if any is bad."""
    reader = TableReader(path, file_name=file_name, columns=SUB_CONSIGNEE_COLUMNS)
    found, errors = [], []
    from medrecall.core.errors import RowError

    for row in reader.rows():
        values = row.values
        problems: list[tuple[str, str]] = []
        entry = SubConsigneeInput(
            name=values.get("name", "").strip(),
            country=values.get("country", "").strip(),
            city=values.get("city", "").strip(),
            address=values.get("address", "").strip(),
            lot=values.get("lot", "").strip(),
            quantity=_int(values.get("quantity"), "quantity", problems),
            type=(values.get("type") or "hospital").strip().lower(),
            province=values.get("province", "").strip(),
            contact_name=values.get("contact_name", "").strip(),
            phone=values.get("phone", "").strip(),
            email=values.get("email", "").strip(),
            serial=values.get("serial", "").strip(),
            row=row.number,
        )
        problems += _sub_consignee_problems(entry)
        errors += [
            RowError(file_name, row.number, column, "invalid", message)
            for column, message in problems
        ]
        found.append(entry)
    if errors:
        raise ImportRejected(
            _(
                "The sub-consignee file %(file)s has %(count)s problem(s); the first: row %(row)s, "
                "%(column)s: %(message)s"
            )
            % {
                "file": file_name,
                "count": len(errors),
                "row": errors[0].row,
                "column": errors[0].column,
                "message": errors[0].message,
            },
            errors,
        )
    if not found:
        raise ValidationFailed(
            _("The sub-consignee file %(file)s has no rows.") % {"file": file_name}
        )
    return found


def _required_labels() -> dict[str, str]:
    """The labels of the sub-consignee fields a holder must fill, as the reply form shows them
    (the messages name the field by its label, not its column code)."""
    return {
        "name": _("Organisation name"),
        "country": _("Country"),
        "city": _("City"),
        "address": _("Street address"),
        "lot": _("Lot"),
    }


def _sub_consignee_problems(entry: SubConsigneeInput) -> list[tuple[str, str]]:
    problems = [
        (column, _("%(column)s is required.") % {"column": label})
        for column, label in _required_labels().items()
        if not getattr(entry, column)
    ]
    if entry.country and regions.country_code(entry.country) is None:
        problems.append(
            (
                "country",
                _("“%(value)s” is not a country we know (use a name or an ISO code such as CN).")
                % {"value": entry.country},
            )
        )
    if entry.quantity <= 0:
        problems.append(("quantity", _("The quantity must be at least 1.")))
    if entry.type not in SUB_CONSIGNEE_TYPES:
        problems.append(
            (
                "type",
                _("The type must be one of %(allowed)s.")
                % {"allowed": ", ".join(SUB_CONSIGNEE_TYPES)},
            )
        )
    if not (entry.contact_name or entry.phone or entry.email):
        problems.append(
            ("contact_name", _("Give a contact: a name, a phone number or an e-mail address."))
        )
    if entry.email and "@" not in entry.email:
        problems.append(
            ("email", _("“%(value)s” is not an e-mail address.") % {"value": entry.email})
        )
    return problems


def reply_problems(
    notice: Notice, quantities: dict[str, dict[str, int]], sub_consignees: list[SubConsigneeInput]
) -> list[tuple[str, str]]:
    """Every problem of a reply as (where, message); empty when it can be accepted."""
    lines = {line.key: line for line in expected_lines(notice)}
    problems: list[tuple[str, str]] = [
        (f"lines.{key}", _("This line is not in your notice."))
        for key in quantities
        if key not in lines
    ]
    distributed_by_lot: dict[str, int] = defaultdict(int)
    for key, line in lines.items():
        given = quantities.get(key, {})
        label = line.lot + (f" / {line.serial}" if line.serial else "")
        total = sum(given.get(q, 0) for q in ("on_hand", "destroyed", "used", "distributed"))
        if total > line.limit:
            problems.append(
                (
                    f"lines.{key}",
                    _(
                        "Lot %(lot)s: you report %(total)s units (on hand, destroyed, used and "
                        "passed on), but you had %(limit)s."
                    )
                    % {"lot": label, "total": total, "limit": line.limit},
                )
            )
        if given.get("to_return", 0) > given.get("on_hand", 0):
            problems.append(
                (
                    f"lines.{key}.to_return",
                    _("Lot %(lot)s: you can return at most the %(on_hand)s units on hand.")
                    % {"lot": label, "on_hand": given.get("on_hand", 0)},
                )
            )
        distributed_by_lot[line.lot] += given.get("distributed", 0)
    passed_on: dict[str, int] = defaultdict(int)
    known_lots = {line.lot for line in lines.values()}
    for index, entry in enumerate(sub_consignees, start=1):
        where = f"sub_consignees.{entry.row or index}"
        problems += [
            (f"{where}.{column}", message) for column, message in _sub_consignee_problems(entry)
        ]
        if entry.lot and entry.lot not in known_lots:
            problems.append(
                (
                    f"{where}.lot",
                    _("Lot %(lot)s is not one of the lots in your notice.") % {"lot": entry.lot},
                )
            )
        passed_on[entry.lot] += entry.quantity
    for lot in sorted(known_lots | set(passed_on)):
        if lot in known_lots and passed_on.get(lot, 0) != distributed_by_lot.get(lot, 0):
            problems.append(
                (
                    "sub_consignees",
                    _(
                        "Lot %(lot)s: you passed on %(distributed)s units, but the "
                        "sub-consignees listed add up to %(listed)s."
                    )
                    % {
                        "lot": lot,
                        "distributed": distributed_by_lot.get(lot, 0),
                        "listed": passed_on.get(lot, 0),
                    },
                )
            )
    return problems


def _reported_party(
    entry: SubConsigneeInput,
    country: str,
    reply: Reply,
    index: int,
    made: dict[tuple[str, str, str], Party],
) -> tuple[Party, Location]:
    """The sub-consignee as a NEW party, reported by the replying holder and unverified.

    Whatever name, address or e-mail the holder typed, it is never matched to a party we
    already know: a reply link has no log-in, and matching would let anyone holding one
    attach a contact to another party and receive its notices. Staff verify the new party
    or merge it into the existing one (``parties.services.party_merge``). Within one reply,
    rows naming the same sub-consignee (several lots) share one party."""
    key = (entry.name.casefold(), country, entry.city.casefold())
    party = made.get(key)
    if party is None:
        party = made[key] = Party.objects.create(
            code=f"SC-{reply.recall.number}-{reply.pk}-{index}",
            name=entry.name,
            party_type=SUB_CONSIGNEE_TYPES[entry.type],
            country=country,
            city=entry.city,
            province=entry.province,
            province_code=regions.subdivision_code(country, entry.province),
            address=entry.address,
            language="zh-hans" if country == "CN" else "en",
            review=Review.UNVERIFIED,
            reported_by=reply.party,
            notes=_("Reported as a sub-consignee by %(holder)s in the reply to recall %(recall)s.")
            % {"holder": reply.party.name, "recall": reply.recall.number},
        )
    location = party.locations.filter(address__iexact=entry.address).first()
    if location is None:
        location = Location.objects.create(
            code=f"{party.code}-{party.locations.count() + 1}",
            name=entry.name,
            party=party,
            country=country,
            city=entry.city,
            province=entry.province,
            province_code=party.province_code,
            address=entry.address,
            location_type=LocationType.DISTRIBUTOR_STOCK
            if entry.type == "distributor"
            else LocationType.CUSTOMER_SITE,
        )
    if (entry.email or entry.phone) and not party.contacts.filter(
        email=entry.email, phone=entry.phone
    ).exists():
        name = entry.contact_name or entry.name
        if party.contacts.filter(name=name).exists():
            name = f"{name} ({entry.email or entry.phone})"
        Contact.objects.create(
            party=party,
            name=name,
            email=entry.email,
            phone=entry.phone,
            language=party.language,
            is_primary=not party.contacts.exists(),
        )
    elif (
        entry.contact_name
        and not (entry.email or entry.phone)
        and not party.contacts.filter(name=entry.contact_name).exists()
    ):  # a name alone is still someone to ask for when staff call or write
        Contact.objects.create(
            party=party,
            name=entry.contact_name,
            language=party.language,
            is_primary=not party.contacts.exists(),
        )
    return party, location


@transaction.atomic
def reply_submit(
    *,
    notice: Notice,
    respondent_name: str,
    quantities: dict[str, dict[str, int]],
    sub_consignees: list[SubConsigneeInput] | None = None,
    via: str = Reply.Via.LINK,
    actor: User | None = None,
    respondent_title: str = "",
    respondent_email: str = "",
    respondent_phone: str = "",
    read_and_understood: bool = False,
    users_informed: bool = False,
    comment: str = "",
) -> Reply:
    """Accept a holder's reply whole or not at all; sub-consignees become holders with notices."""
    require_action(notice.recall, Action.RECORD_REPLY)
    sub_consignees = sub_consignees or []
    root = (
        Notice.objects.select_for_update().select_related("recall", "party").get(pk=notice.root.pk)
    )
    recall = root.recall
    _refuse_reply(root, respondent_name, quantities, sub_consignees)
    reply = Reply.objects.create(
        notice=root,
        recall=recall,
        party=root.party,
        respondent_name=respondent_name.strip(),
        respondent_title=respondent_title,
        respondent_email=respondent_email,
        respondent_phone=respondent_phone,
        read_and_understood=read_and_understood,
        users_informed=users_informed,
        comment=comment,
        via=via,
        entered_by=actor if via != Reply.Via.LINK else None,
    )
    expected = expected_lines(root)
    ReplyLine.objects.bulk_create(
        [
            ReplyLine(
                reply=reply,
                lot_id=line.lot_id,
                serial_id=line.serial_id,
                expected=line.quantity,
                **{q: quantities.get(line.key, {}).get(q, 0) for q in QUANTITIES},
            )
            for line in expected
        ]
    )
    new_parties = _sub_consignees_record(reply, root, expected, sub_consignees)
    _mark_replied(root, reply, actor)
    audit.record(
        actor=actor or f"{reply.respondent_name} ({root.party.code})",
        action="notices.reply_received",
        target=reply,
        changes={
            "lines": [None, {line.key: quantities.get(line.key, {}) for line in expected}],
            "sub_consignees": [None, len(sub_consignees)],
        },
        reason=_("Signed by %(name)s via %(via)s") % {"name": reply.respondent_name, "via": via},
    )
    _notify_sub_consignees(root, new_parties)
    return reply


def _refuse_reply(
    root: Notice,
    respondent_name: str,
    quantities: dict[str, dict[str, int]],
    sub_consignees: list[SubConsigneeInput],
) -> None:
    """Why the reply cannot be accepted, if it cannot: recall closed, holder replied already,
    no signature, or the quantities and sub-consignees do not add up (every problem listed)."""
    recall = root.recall
    if recall.status not in OPEN_FOR_NOTICES:
        raise RecallClosedForReplies(
            _("Recall %(recall)s is no longer taking replies (%(status)s); please contact us.")
            % {"recall": recall.number, "status": recall.get_status_display()}
        )
    earlier = Reply.objects.filter(recall=recall, party=root.party).first()
    if earlier is not None:
        raise AlreadyReplied(
            _(
                "%(holder)s already replied on %(date)s (signed by %(name)s). To correct the reply, "
                "please contact us."
            )
            % {
                "holder": root.party.name,
                "name": earlier.respondent_name,
                "date": timezone.localtime(earlier.submitted_at).date(),
            }
        )
    if not respondent_name.strip():
        raise ValidationFailed(_("Sign the reply with your name."), where="respondent_name")
    if problems := reply_problems(root, quantities, sub_consignees):
        raise ValidationFailed(
            problems[0][1],
            where=problems[0][0],
            details=[{"where": where, "message": message} for where, message in problems],
        )


def _sub_consignees_record(
    reply: Reply,
    root: Notice,
    expected: list[ExpectedLine],
    sub_consignees: list[SubConsigneeInput],
) -> list[int]:
    """The sub-consignees of the reply as new reported parties and scope additions; returns
    their party ids (one per row, a party shared by rows naming the same one)."""
    lots = {line.lot: line.lot_id for line in expected}
    new_parties: list[int] = []
    made: dict[tuple[str, str, str], Party] = {}
    for index, entry in enumerate(sub_consignees, start=1):
        country = regions.country_code(entry.country) or ""
        party, location = _reported_party(entry, country, reply, index, made)
        serial = (
            Serial.objects.filter(lot_id=lots[entry.lot], serial=entry.serial).first()
            if entry.serial
            else None
        )
        SubConsignee.objects.create(
            reply=reply,
            recall=root.recall,
            reported_by=root.party,
            party=party,
            location=location,
            lot_id=lots[entry.lot],
            serial=serial,
            quantity=entry.quantity,
        )
        new_parties.append(party.pk)
    return new_parties


def _mark_replied(root: Notice, reply: Reply, actor: User | None) -> None:
    """The holder's first notice and reminders become replied (and acknowledged), with an event."""
    now = timezone.now()
    group = Notice.objects.filter(
        recall=root.recall, party=root.party, kind__in=(Kind.INITIAL, Kind.REMINDER)
    )
    advance(group, NoticeStatus.REPLIED, "replied_at", at=now)
    group.filter(acknowledged_at__isnull=True).update(acknowledged_at=now)
    NoticeEvent.objects.create(
        notice=root,
        party=root.party,
        recall=root.recall,
        type=NoticeEvent.Type.REPLIED,
        at=now,
        actor=actor,
        note=_("Signed by %(name)s") % {"name": reply.respondent_name},
    )


def _notify_sub_consignees(root: Notice, new_parties: list[int]) -> None:
    """A send run for the reported sub-consignees not notified in this recall yet."""
    if not new_parties:
        return
    already = set(
        Notice.objects.filter(
            recall=root.recall, kind=Kind.INITIAL, party_id__in=new_parties
        ).values_list("party_id", flat=True)
    )
    if fresh := sorted(set(new_parties) - already):
        notice_run_start(
            recall=root.recall,
            actor=None,
            parties=fresh,
            reason=_("Sub-consignees reported by %(holder)s") % {"holder": root.party.name},
        )
