"""The permission matrix: every route of the URL conf × every role × own/other party × method.

The routes come from the resolved URL conf (the pages, the API and its router), never from a
list kept by hand; the methods each route accepts come from the view itself (``require_POST``
and friends, a DRF view's handlers, a viewset's actions). ``POLICY`` below says, once per route,
which permission each method needs and how portal users fare; the roles' permissions come from
the product's own table (``accounts.roles.ROLE_PERMISSIONS``). From the two the test derives the
expected answer of every cell: allowed, 403, 404 (hidden), a redirect to the log-in page (pages)
or 401 (API) for anonymous requests.

The world: party A (a distributor) and party B (a hospital) each hold their own lot and serial,
each is in its own recall with notices, a reply, a return, a destruction certificate and a work
order with evidence. It is built once for the module. Every request runs inside a savepoint that
is rolled back, so an allowed POST or DELETE leaves the world as it was for the next cell; a
refused one must also leave no audit entry. Pages are posted with the CSRF token, as a browser
does; the API is called with the role's API token.

Portal users (A, and B) ask for their own party's records and for the other party's: the other's
answer 404 (or 403 where the role has no access at all), and no answer of any route, lists,
exports, searches and traces included, contains a string that identifies the other party.

A route missing from ``POLICY``, or one whose path arguments the world cannot fill, fails the
test: a new page cannot forget its scoping. docs/architecture.md says how to add a route."""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, Literal, cast

import pytest
from django.contrib.auth.models import Group
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.signals import request_finished
from django.db import DatabaseError, close_old_connections, transaction
from django.http import HttpResponseBase
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import ROLE_PERMISSIONS, Role
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import Lot, Serial
from medrecall.core.models import ImportRun
from medrecall.execution import services as execution
from medrecall.execution.models import (
    DestructionCertificate,
    Disposition,
    Evidence,
    ServiceProvider,
)
from medrecall.intelligence.models import PublicRecall
from medrecall.notices import links, replies, send_runs
from medrecall.notices.models import Notice, NoticeRun, Offer
from medrecall.parties.models import Location, Party
from medrecall.quality import services as quality
from medrecall.recalls import approvals
from medrecall.recalls import services as recalls
from medrecall.recalls.calendars import calendar_entry_set
from medrecall.recalls.models import RecallCase
from medrecall.reporting.queues import QUEUES
from medrecall.web.file_views import FILE_KINDS
from medrecall.web.masterdata import ENTITIES
from tests.conftest import PASSWORD
from tests.execution.conftest import seed_carriers
from tests.factories import ContactFactory, DeviceModelFactory, LocationFactory, PartyFactory
from tests.traceability.scenario import CATH, PUMP, run_events

pytestmark = pytest.mark.django_db

EVENTS = f"""A1,produced,2025-01-10T08:00:00+08:00,{CATH},LOT-ALFA,,100,,FAC,WO-A,2025-01-10,2028-01-09,,
A2,shipped,2025-01-12T08:00:00+08:00,{CATH},LOT-ALFA,,40,FAC,LOC-ALFA,DN-ALFA,,,,
A3,received,2025-01-13T08:00:00+08:00,{CATH},LOT-ALFA,,40,FAC,LOC-ALFA,DN-ALFA,,,,
B1,produced,2025-01-10T08:00:00+08:00,{CATH},LOT-BRAVO,,100,,FAC,WO-B,2025-01-10,2028-01-09,,
B2,shipped,2025-01-12T08:00:00+08:00,{CATH},LOT-BRAVO,,30,FAC,LOC-BRAVO,DN-BRAVO,,,,
B3,received,2025-01-13T08:00:00+08:00,{CATH},LOT-BRAVO,,30,FAC,LOC-BRAVO,DN-BRAVO,,,,
P1,produced,2025-01-10T08:00:00+08:00,{PUMP},PL-ALFA,SN-ALFA-1,1,,FAC,WO-PA,2025-01-10,2030-01-09,,
P2,shipped,2025-01-12T08:00:00+08:00,{PUMP},PL-ALFA,SN-ALFA-1,1,FAC,LOC-ALFA,DN-PA,,,,
P3,received,2025-01-13T08:00:00+08:00,{PUMP},PL-ALFA,SN-ALFA-1,1,FAC,LOC-ALFA,DN-PA,,,,
P4,produced,2025-01-10T08:00:00+08:00,{PUMP},PL-BRAVO,SN-BRAVO-1,1,,FAC,WO-PB,2025-01-10,2030-01-09,,
P5,shipped,2025-01-12T08:00:00+08:00,{PUMP},PL-BRAVO,SN-BRAVO-1,1,FAC,LOC-BRAVO,DN-PB,,,,
P6,received,2025-01-13T08:00:00+08:00,{PUMP},PL-BRAVO,SN-BRAVO-1,1,FAC,LOC-BRAVO,DN-PB,,,,
"""


@dataclass
class Side:
    """One party's records, and the strings that give them away."""

    party: Party
    location: Location
    lot: Lot
    serial: Serial
    user: User
    recall: RecallCase
    notice: Notice
    run: NoticeRun
    ra: Any
    disposition: Disposition
    certificate: DestructionCertificate
    order: Any
    evidence: Evidence
    offer: Offer
    import_run: ImportRun
    reported: (
        Party  # a sub-consignee this side's holder reported on a reply form (staff review pages)
    )
    secrets: list[str] = field(default_factory=list)
    complaint: Any = None  # a complaint this side's holder reported (quality)
    capa: Any = None  # a CAPA with one action (staff only)
    signal: Any = None  # an early-warning signal on this side's lot (staff only)
    cost_entry: Any = None  # a posted cost with an attachment (finance is staff-only)
    unit_cost: Any = None  # a disposition cost (reference data of finance)


def _approved(manager: User, make_user: Callable[..., User], lot: Lot) -> RecallCase:
    recall = recalls.recall_open(
        actor=manager,
        title=f"{lot.number} 批召回",
        title_en=f"Recall of {lot.number}",
        products=[lot.device_model],
        reason="导管尖端可能断裂",
        reason_en="Tip may break",
        regimes=["nmpa"],
        decision_at=datetime(2025, 3, 1, tzinfo=UTC),
    )
    recalls.recall_update(
        recall=recall,
        actor=manager,
        version=recall.version,
        hazard_description="栓塞",
        hazard_description_en="Embolism",
        defect_description="尖端粘接强度不足",
        defect_description_en="Weak bond at the tip",
    )
    recalls.recall_transition(recall=recall, target="assessment", actor=manager)
    recalls.hazard_evaluate(recall=recall, actor=manager, severity="death", likelihood="probable")
    recalls.scope_rule_add(
        recall=recall,
        actor=manager,
        kind="lots",
        device_model=lot.device_model,
        values=[lot.number],
    )
    recalls.scope_freeze(recall=recall, actor=manager)
    recall = recalls.recall_transition(recall=recall, target="pending_approval", actor=manager)
    for step in sorted({s.step for s in approvals.required_steps(recall)}):
        signer = make_user(Role.QA_RA_MANAGER)
        approvals.approval_sign(
            recall=recall, step=step, actor=signer, password=PASSWORD, username=signer.username
        )
    return recalls.recall_transition(recall=recall, target="in_execution", actor=manager)


def _side(
    code: str,
    name: str,
    kind: str,
    suffix: str,
    *,
    manager: User,
    make_user: Callable[..., User],
    tmp_path: Path,
    latitude: str,
) -> Side:
    party = Party.objects.get(code=code)
    location = Location.objects.get(code=f"LOC-{suffix}")
    lot = Lot.objects.get(number=f"LOT-{suffix}")
    serial = Serial.objects.get(serial=f"SN-{suffix}-1")
    user = make_user(Role.PORTAL, party=party)
    recall = _approved(manager, make_user, lot)
    run = send_runs.notice_run_start(recall=recall, actor=manager)
    for _round in range(3):
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    notice = Notice.objects.get(recall=recall, party=party, kind="initial")
    line = replies.expected_lines(notice)[0]
    replies.reply_submit(
        notice=notice, respondent_name=f"Respondent {suffix}", quantities={line.key: {"on_hand": 5}}
    )
    ra = execution.return_create(recall=recall, party=party, actor=manager)
    warehouse = make_user(Role.WAREHOUSE)
    execution.return_receive(ra=ra, actor=warehouse, gtin=CATH, lot=lot.number, quantity=2)
    disposition = execution.disposition_create(
        recall=recall,
        kind="destroy",
        lot=lot,
        quantity=2,
        actor=warehouse,
        location=Location.objects.get(code="QUAR"),
    )
    disposition = execution.disposition_complete(
        disposition=disposition,
        actor=warehouse,
        method="Shredding",
        place="Suzhou",
        performed_by="Veolia",
        witnesses=["Zhang Wei"],
    )
    provider = ServiceProvider.objects.create(
        name=f"Service {suffix}",
        party=party,
        skills=["inspection"],
        capacity=5,
        latitude=Decimal(latitude),
        longitude=Decimal("113.2644"),
    )
    provider.device_models.add(lot.device_model)
    order = execution.work_order_create(
        recall=recall, party=party, action="inspection", actor=manager
    )
    assert order.provider == provider, (order.provider, ServiceProvider.objects.all())
    evidence = execution.evidence_add(
        order=order,
        actor=user,
        name=f"photo-{suffix}.pdf",
        content=SimpleUploadedFile("p.pdf", b"%PDF-1.7\n" + suffix.encode() * 8),
    )
    from medrecall.notices import relations

    offer = relations.offer_propose(
        recall=recall,
        party=party,
        kind="replacement",
        actor=manager,
        description=f"Replacement for {suffix}",
        quantity=1,
    )
    import_path = tmp_path / f"parties-{suffix}.csv"
    import_path.write_text(f"code,name,party_type\n{code}-X,{name} X,{kind}\n", encoding="utf-8")
    import_run = ImportRun.objects.create(
        kind="parties", file_name=import_path.name, created_by=manager
    )
    import_run.source.save(import_path.name, File(io.BytesIO(import_path.read_bytes())))
    import_run.rejected_rows.save(
        f"rejected-{suffix}.csv", File(io.BytesIO(f"row,error\n1,{code}-X\n".encode()))
    )
    secrets = [
        code,
        name,
        location.code,
        lot.number,
        serial.serial,
        recall.number,
        ra.number,
        disposition.number,
        disposition.certificate.number,
        order.number,
        f"{suffix.lower()}@{suffix.lower()}.example",
        f"Respondent {suffix}",
        f"photo-{suffix}",
        f"Replacement for {suffix}",
    ]
    complaint = quality.complaint_receive(
        actor=manager,
        channel="email",
        description=f"Problem reported by {suffix}",
        aware_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        holder=party,
        reference=f"REF-{suffix}",
        unit=quality.UnitGiven(gtin=CATH, lot=lot.number),
    )
    capa = quality.capa_open(
        confirm_past_due=True,
        actor=manager,
        title=f"CAPA {suffix}",
        problem="Tips break",
        owner=manager,
        due_on=date(2026, 6, 30),
        complaints=[complaint],
    )
    quality.capa_action_add(
        capa=capa,
        actor=manager,
        kind="corrective",
        description="Inspect",
        owner=manager,
        due_on=date(2026, 5, 1),
    )
    secrets += [complaint.number, f"REF-{suffix}", f"Problem reported by {suffix}"]
    signal = _signal(lot, complaint)
    from medrecall.finance import ledger as finance_ledger
    from medrecall.finance.models import DispositionCost

    cost_entry = finance_ledger.cost_post(
        actor=manager,
        recall=recall,
        line=finance_ledger.CostLine(
            category="legal",
            amount="100.00",
            currency="CNY",
            incurred_on=date(2026, 11, 30),
            holder=party,
            document_reference=f"INV-{suffix}",
        ),
        attachment=finance_ledger.Attachment(
            f"invoice-{suffix}.pdf", b"%PDF-1.7\n" + suffix.encode()
        ),
    )
    unit_cost = DispositionCost.objects.create(
        kind="repair" if suffix == "ALFA" else "destroy", unit_cost=Decimal("10.00")
    )
    secrets.append(f"INV-{suffix}")
    reported = Party.objects.create(
        code=f"SC-SCOPE-{code}",
        name=f"Reported by {code}",
        party_type="hospital",
        review="unverified",
        reported_by=party,
    )
    return Side(
        party=party,
        location=location,
        lot=lot,
        serial=serial,
        user=user,
        recall=recall,
        notice=notice,
        run=NoticeRun.objects.get(pk=run.pk),
        ra=ra,
        disposition=disposition,
        certificate=disposition.certificate,
        order=order,
        evidence=evidence,
        offer=offer,
        import_run=import_run,
        reported=reported,
        secrets=secrets,
        complaint=complaint,
        capa=capa,
        signal=signal,
        cost_entry=cost_entry,
        unit_cost=unit_cost,
    )


def _signal(lot: Lot, complaint: Any) -> Any:
    """An early-warning signal on the lot, with the complaint behind it (as a detection run
    leaves it; the figures are the run's)."""
    from medrecall.quality.models import Signal, SignalKind

    detected = datetime(2026, 3, 9, 6, 0, tzinfo=UTC)
    signal = Signal.objects.create(
        kind=SignalKind.LOT,
        device_model=lot.device_model,
        lot=lot,
        complaints_count=1,
        units=100,
        expected=0.1,
        rate_per_1000=10.0,
        baseline_per_1000=1.0,
        ratio=10.0,
        p_value=0.001,
        q_value=0.002,
        since=date(2026, 3, 2),
        window_start=date(2025, 12, 8),
        window_end=date(2026, 3, 8),
        first_detected_at=detected,
        last_detected_at=detected,
    )
    signal.complaints.add(complaint)
    return signal


_usernames = iter(range(1, 10_000))


def _make_user(role: str = Role.VIEWER, *, party: Party | None = None) -> User:
    """A user in one role group (the module's world is built outside the per-test fixtures)."""
    user = User.objects.create_user(
        username=f"matrix-{role}-{next(_usernames)}",
        password=PASSWORD,
        party=party,
        email=f"{role}@example.com",
    )
    user.groups.add(Group.objects.get(name=role))
    return user


STAFF_ROLES = (
    Role.QA_RA_MANAGER,
    Role.TRACEABILITY_ANALYST,
    Role.CUSTOMER_SERVICE,
    Role.WAREHOUSE,
    Role.FIELD_SERVICE,
    Role.FINANCE,
    Role.VIEWER,
    Role.ADMINISTRATOR,
)
PORTAL_A, PORTAL_B, ANONYMOUS = "portal A", "portal B", "anonymous"
VIEWERS = (*STAFF_ROLES, PORTAL_A, PORTAL_B, ANONYMOUS)


@dataclass
class World:
    sides: dict[str, Side]
    users: dict[str, User]  # viewer -> user (no entry for anonymous)
    web: dict[str, Client]  # viewer -> a browser-like client, signed in, CSRF enforced
    api: dict[str, APIClient]  # viewer -> an API client with the user's token
    media: Path
    fills: dict[str, dict[str, list[dict[str, Any]]]] = field(
        default_factory=dict
    )  # side -> objects_of()
    queries: dict[str, dict[str, list[str]]] = field(
        default_factory=dict
    )  # side -> queries_about()


def _build(tmp_path: Path) -> World:
    own = PartyFactory(code="OWN", party_type="own_site", name="Our factory")
    LocationFactory(code="FAC", party=own, location_type="warehouse")
    LocationFactory(code="QUAR", party=own, location_type="quarantine")
    alfa = cast(
        Party,
        PartyFactory(code="ALFA-DIST", name="Alfa Trading 阿尔法商贸", party_type="distributor"),
    )
    bravo = cast(
        Party,
        PartyFactory(code="BRAVO-HOSP", name="Bravo Hospital 布拉沃医院", party_type="hospital"),
    )
    LocationFactory(code="LOC-ALFA", party=alfa, location_type="distributor_stock")
    LocationFactory(code="LOC-BRAVO", party=bravo, location_type="customer_site")
    ContactFactory(
        party=alfa, name="Alice Alfa", email="alfa@alfa.example", language="en", is_primary=True
    )
    ContactFactory(
        party=bravo, name="Bob Bravo", email="bravo@bravo.example", language="en", is_primary=True
    )
    DeviceModelFactory(udi_di=CATH, model_code="CATH", tracking="lot")
    DeviceModelFactory(udi_di=PUMP, model_code="PUMP", tracking="serial")
    assert run_events(tmp_path, EVENTS).accepted
    seed_carriers()
    manager = _make_user(Role.QA_RA_MANAGER)
    a = _side(
        "ALFA-DIST",
        alfa.name,
        "distributor",
        "ALFA",
        manager=manager,
        make_user=_make_user,
        tmp_path=tmp_path,
        latitude="23.10",
    )
    b = _side(
        "BRAVO-HOSP",
        bravo.name,
        "hospital",
        "BRAVO",
        manager=manager,
        make_user=_make_user,
        tmp_path=tmp_path,
        latitude="23.1291",
    )  # nearer than ALFA's
    a.secrets.append("Alice Alfa")
    b.secrets.append("Bob Bravo")
    PublicRecall.objects.create(source="recall", key="MATRIX-1", firm="Matrix Medical")
    users = {role: _make_user(role) for role in STAFF_ROLES}
    calendar_entry_set(
        calendar="CN",
        day=date(2027, 2, 6),
        kind="holiday",
        name="春节",
        actor=users[Role.ADMINISTRATOR],
    )
    users[PORTAL_A], users[PORTAL_B] = a.user, b.user
    web: dict[str, Client] = {
        ANONYMOUS: Client(enforce_csrf_checks=True, raise_request_exception=False)
    }
    api: dict[str, APIClient] = {ANONYMOUS: APIClient(raise_request_exception=False)}
    for viewer, user in users.items():
        web[viewer] = Client(enforce_csrf_checks=True, raise_request_exception=False)
        assert web[viewer].login(username=user.username, password=PASSWORD)
        api[viewer] = APIClient(raise_request_exception=False)
        api[viewer].credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    for client in web.values():
        client.cookies["csrftoken"] = CSRF_TOKEN
    _finance_payables_world((a, b), manager)
    _filings_world((a, b), manager)
    return World(sides={"A": a, "B": b}, users=users, web=web, api=api, media=tmp_path / "media")


CSRF_TOKEN = "matrixCSRFtoken0matrixCSRFtoken0"  # 32 characters: Django's unmasked form of a token


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The two parties' records, built once for the module and removed afterwards (the tests
    themselves run in transactions that are rolled back)."""
    tmp_path = tmp_path_factory.mktemp("matrix")
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=tmp_path / "media",
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            MEDRECALL_AUDIT_CHECKPOINT_FILE=str(tmp_path / "audit-checkpoints.jsonl"),
        ),
    ):
        try:
            yield _build(tmp_path)
        finally:
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _media_root(settings: Any, world: World) -> None:
    """The world's files (evidence, certificates, notices, imported sheets) for every test here."""
    settings.MEDIA_ROOT = world.media
    settings.MEDRECALL_AUDIT_CHECKPOINT_FILE = str(world.media.parent / "audit-checkpoints.jsonl")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


# --- the fills ------------------------------------------------------------------------------

# Marks path arguments naming reference data both parties share (the device-model catalogue): the
# page may answer 200, but it must still not show the other party's records (e.g. its lots).
SHARED = "shared"
ENTITY_SLUGS = (
    "devicemodel",
    "lot",
    "serial",
    "party",
    "location",
    "contact",
    "carrier",
    "carrierrate",
    "serviceprovider",
)


def objects_of(side: Side) -> dict[str, list[dict[str, Any]]]:
    """For each pattern with arguments: the path arguments naming ``side``'s records."""
    recall, ra, order = side.recall, side.ra, side.order
    rule = recall.scope_rules.first()
    assert rule is not None
    unit = order.units.first()
    assert unit is not None
    pk = {"pk": recall.pk}
    provider = order.provider
    assert provider is not None
    carrier = ra.carrier
    assert carrier is not None
    rate = carrier.rates.first()
    assert rate is not None
    return {
        **{
            name: [{"pk": side.reported.pk}]
            for name in (
                "web:party-reported-detail",
                "web:party-reported-verify",
                "web:party-reported-merge",
                "party-reported-detail",
                "party-reported-verify",
                "party-reported-merge",
            )
        },
        # web: imports, recalls, notices, customers, offers, portal, execution, master data, files
        "web:import-detail": [{"pk": side.import_run.pk}],
        "web:import-rejected": [{"pk": side.import_run.pk}],
        "web:import-template": [{"kind": "parties", "fmt": "csv"}],
        **{
            f"web:{name}": [pk]
            for name in (
                "recall-detail",
                "recall-edit",
                "recall-hazard",
                "recall-classify",
                "recall-scope-rule",
                "recall-freeze",
                "recall-transition",
                "recall-impact-xlsx",
                "recall-cockpit",
                "recall-cockpit-figures",
                "recall-cockpit-holders",
                "recall-cockpit-xlsx",
                "recall-cockpit-pdf",
                "recall-sign",
                "recall-deadline-done",
                "recall-notices",
                "recall-notices-send",
                "recall-letters",
                "recall-letters-posted",
                "execution-recall",
                "recall-effectiveness",
                "recall-effectiveness-level",
                "recall-effectiveness-sample",
                "recall-effectiveness-check",
                "recall-effectiveness-exception",
                "recall-effectiveness-sign",
                "execution-hold",
                "return-create",
                "work-order-create",
                "finance-budget",
                "finance-report",
                "finance-report-xlsx",
            )
        },
        "web:recall-scope-rule-remove": [{"pk": recall.pk, "rule": rule.pk}],
        # finance: the cost ledger
        **{
            name: [pk]
            for name in (
                "web:finance-ledger",
                "web:finance-entry-post",
                "web:finance-post-due",
                "finance-recall-entries",
                "finance-recall-totals",
                "finance-recall-due",
            )
        },
        **{
            name: [{"pk": side.cost_entry.pk}]
            for name in (
                "web:finance-entry",
                "web:finance-entry-reverse",
                "web:finance-entry-edit",
                "web:finance-entry-attachment",
                "finance-entry",
                "finance-entry-reverse",
                "finance-entry-attachment",
            )
        },
        "web:finance-unit-cost-delete": [{"pk": side.unit_cost.pk, SHARED: True}],
        "finance-unit-cost": [{"pk": side.unit_cost.pk, SHARED: True}],
        "web:recall-cockpit-records": [{"pk": recall.pk, "kind": "returns"}],
        # the holder's signed links (public: the token names the one notice)
        **{
            f"web:notice-{name}": [{"token": links.token_for(side.notice, purpose)}]
            for name, purpose in (
                ("reply", "reply"),
                ("acknowledge", "reply"),
                ("reply-pdf", "reply"),
                ("problem", "reply"),
                ("survey", "survey"),
                ("opened", "open"),
            )
        },
        **{
            f"web:notice-template-{name}": [{"pk": side.notice.template_id}]
            for name in ("detail", "edit", "approve", "preview", "preview-pdf")
        },
        "web:notice-run-progress": [{"pk": side.run.pk}],
        **{
            f"web:notice-{name}": [{"pk": side.notice.pk}]
            for name in ("detail", "pdf", "contact", "staff-reply", "return-authorise")
        },
        **{
            f"web:customer-{name}": [{"party_pk": side.party.pk}]
            for name in ("detail", "offer-propose", "progress")
        },
        "web:offer-decide": [{"pk": side.offer.pk}],
        "web:offer-fulfil": [{"pk": side.offer.pk}],
        "web:portal-reply": [{"pk": side.notice.pk}],
        **{
            f"web:return-{name}": [{"pk": ra.pk}]
            for name in ("detail", "status", "amend", "waybill")
        },
        "web:warehouse-return": [{"pk": ra.pk}],
        "web:disposition-detail": [{"pk": side.disposition.pk}],
        "web:work-order-detail": [{"pk": order.pk}],
        "web:queue": [{"role": role} for role in QUEUES],
        "queue": [{"role": role} for role in QUEUES],
        "web:queue-offer-decide": [{"pk": side.offer.pk}],
        **{
            f"web:entity-{name}": [
                {"slug": "devicemodel", "pk": side.lot.device_model_id, SHARED: True},
                {"slug": "party", "pk": side.party.pk},
                {"slug": "location", "pk": side.location.pk},
                {"slug": "contact", "pk": side.party.contacts.get().pk},
                {"slug": "lot", "pk": side.lot.pk},
                {"slug": "serial", "pk": side.serial.pk},
                {"slug": "carrier", "pk": carrier.pk, SHARED: True},
                {"slug": "carrierrate", "pk": rate.pk, SHARED: True},
                {"slug": "serviceprovider", "pk": provider.pk},
            ]
            for name in ("detail", "edit")
        },
        "web:entity-list": [{"slug": slug} for slug in ENTITY_SLUGS],
        "web:entity-create": [{"slug": slug} for slug in ENTITY_SLUGS],
        "web:recall-closure-exception": [pk],
        "web:file": [
            {"kind": kind, "pk": record.pk}
            for kind, record in (
                ("certificate", side.certificate),
                ("evidence", side.evidence),
                ("notice", side.notice),
                ("import-source", side.import_run),
                ("import-rejected", side.import_run),
            )
        ],
        # API
        **{
            name: [pk]
            for name in (
                "recall-detail",
                "recall-hazard",
                "recall-classify",
                "recall-scope-rules",
                "recall-scope-freeze",
                "recall-impact",
                "recall-progress",
                "recall-transition",
                "recall-sign",
                "recall-deadlines",
                "notice-run-start",
                "notice-letters",
                "notice-progress-update",
                "execution-accounting",
                "execution-holds",
                "execution-hold-release",
                "finance-budget",
                "finance-forecast",
                "finance-report",
                "finance-budget-alerts",
                "recall-effectiveness",
                "recall-effectiveness-sample",
                "recall-effectiveness-checks",
                "recall-effectiveness-completion",
                "recall-effectiveness-outstanding",
                "recall-effectiveness-exceptions",
                "recall-effectiveness-blockers",
                "recall-effectiveness-sign",
            )
        },
        "recall-effectiveness-members": [{**pk, "regime": "nmpa"}],
        "recall-effectiveness-resolve": [{**pk, "check": 999_999}],
        "web:recall-effectiveness-resolve": [{**pk, "check_pk": 999_999}],
        "finance-costs-by": [{"by": "vendor"}],
        "notice-run": [{"pk": side.run.pk}],
        **{
            name: [{"pk": side.notice.pk}]
            for name in ("notice-detail", "notice-pdf", "notice-contact-log", "notice-reply")
        },
        "notice-template-detail": [{"pk": side.notice.template_id}],
        "notice-template-approve": [{"pk": side.notice.template_id}],
        "customer-timeline": [{"pk": side.party.pk}],
        "offer-decision": [{"pk": side.offer.pk}],
        **{
            name: [{"pk": ra.pk}]
            for name in (
                "return-detail",
                "return-status",
                "return-amend",
                "return-receive",
                "return-waybill",
            )
        },
        "disposition-complete": [{"pk": side.disposition.pk}],
        "work-order-result": [{"pk": order.pk, "unit": unit.pk}],
        "work-order-evidence": [{"pk": order.pk}],
        "lot-detail": [{"pk": side.lot.pk}],
        "serial-detail": [{"pk": side.serial.pk}],
        "party-detail": [{"pk": side.party.pk}],
        "location-detail": [{"pk": side.location.pk}],
        "contact-detail": [{"pk": side.party.contacts.get().pk}],
        "importrun-detail": [{"pk": side.import_run.pk}],
        "traceevent-detail": [{"pk": _event_pk(side)}],
        "devicemodel-detail": [{"pk": side.lot.device_model_id, SHARED: True}],
        **{name: [pk] for name in ("recall-closure", "recall-closure-exception", "recall-replies")},
        "disposition-certificate": [{"pk": side.disposition.pk}],
        "work-order-evidence-file": [{"pk": order.pk, "evidence": side.evidence.pk}],
        "carrier-detail": [{"pk": carrier.pk, SHARED: True}],
        "carrierrate-detail": [{"pk": rate.pk, SHARED: True}],
        "serviceprovider-detail": [{"pk": provider.pk}],
        "calendar-entry": [{"calendar": "CN", "day": "2027-02-06", SHARED: True}],
        **{
            name: [{"pk": side.complaint.pk}]
            for name in (
                *(f"web:quality-complaint{suffix}" for suffix in QUALITY_COMPLAINT_PAGES),
                *(f"quality-complaint{suffix}" for suffix in QUALITY_COMPLAINT_API),
            )
        },
        **{
            name: [{"pk": side.capa.pk}]
            for name in (
                *(f"web:quality-capa{suffix}" for suffix in QUALITY_CAPA_PAGES),
                *(f"quality-capa{suffix}" for suffix in QUALITY_CAPA_API),
            )
        },
        "web:quality-capa-action-update": [
            {"pk": side.capa.pk, "action": side.capa.actions.get().pk}
        ],
        "quality-capa-action": [{"pk": side.capa.pk, "action": side.capa.actions.get().pk}],
        # early warning: one signal, its page and API, and each status change
        **{
            name: [{"pk": side.signal.pk}]
            for name in (
                "web:quality-signal",
                *(f"quality-signal{suffix}" for suffix in QUALITY_SIGNAL_API),
            )
        },
        "web:quality-signal-action": [
            {"pk": side.signal.pk, "action": action} for action in QUALITY_SIGNAL_ACTIONS
        ],
        # the public recall history: one record both parties' viewers share, a recall's likes
        **{
            name: [{"pk": PublicRecall.objects.get(key="MATRIX-1").pk, SHARED: True}]
            for name in ("web:intelligence-record", "intelligence-record")
        },
        **{name: [pk] for name in ("web:recall-similar", "recall-similar")},
        **_finance_payables_fills(side),
        **_filings_fills(side),
    }


# The quality routes naming one complaint or one CAPA (URL names after the prefix).
QUALITY_COMPLAINT_PAGES = (
    "",
    "-resolve",
    "-triage",
    "-report",
    "-investigate",
    "-close",
    "-link-recall",
    "-start-recall",
)
QUALITY_COMPLAINT_API = (
    "",
    "-unit",
    "-triage",
    "-report",
    "-investigate",
    "-close",
    "-recall",
    "-start-recall",
)
QUALITY_CAPA_PAGES = ("", "-root-cause", "-action-add", "-link", "-verify", "-reopen", "-close")
QUALITY_CAPA_API = ("", "-root-causes", "-actions", "-links", "-verify", "-reopen", "-close")
# The status changes of an early-warning signal (the page's ``<action>`` and the API's routes).
QUALITY_SIGNAL_ACTIONS = ("review", "dismiss", "link", "reopen")
QUALITY_SIGNAL_API = ("", *(f"-{action}" for action in QUALITY_SIGNAL_ACTIONS))


def _event_pk(side: Side) -> int:
    from medrecall.traceability.models import TraceEvent

    event = TraceEvent.objects.filter(lot=side.lot, to_location=side.location).first()
    assert event is not None
    return int(event.pk)


def _finance_payables_world(sides: tuple[Side, ...], manager: User) -> None:
    """Per side a request for quotes and a refund request of its recall; one AP export batch."""
    from medrecall.finance.models_payables import ApExportBatch, QuoteRequest, RefundRequest

    for side in sides:
        QuoteRequest.objects.create(
            number=f"RFQ-2026-9{side.recall.pk:04d}",
            recall=side.recall,
            kind="logistics",
            description="pick-up",
            quantity=1,
            region="CN",
            due_on=timezone.localdate() + timedelta(days=30),  # open, whatever today is
            created_by=manager,
        )
        RefundRequest.objects.create(
            number=f"RF-2026-9{side.recall.pk:04d}",
            recall=side.recall,
            holder=side.party,
            source="entered",
            quantity=1,
            unit_price=Decimal(10),
            invoice_reference="INV-1",
            amount=Decimal(10),
            currency="CNY",
            rate=Decimal(1),
            company_amount=Decimal(10),
            company_currency="CNY",
            requested_by=manager,
            requested_at=datetime(2026, 12, 1, tzinfo=UTC),
        )
    ApExportBatch.objects.create(number="AP-2026-90001", payment_count=0, created_by=manager)


def _filings_world(sides: tuple[Side, ...], manager: User) -> None:
    """Per side the NMPA event report of its recall, generated (a filing of a recall)."""
    from medrecall.filings.services import filing_generate
    from medrecall.recalls.models import RecallRegime

    for side in sides:
        filing_generate(recall=side.recall, doc_type="nmpa.event_report", actor=manager)
        # The FSN gate and FDA's record answer on a recall with the EU MDR and FDA regimes.
        RecallRegime.objects.create(recall=side.recall, regime="eu_mdr", recall_class="fsca")
        RecallRegime.objects.create(recall=side.recall, regime="fda", recall_class="II")


def _filings_fills(side: Side) -> dict[str, list[dict[str, Any]]]:
    from medrecall.filings.models import Filing

    recall = {"pk": side.recall.pk}
    filing = {"pk": side.recall.pk, "filing": Filing.objects.get(recall=side.recall).pk}
    fills: dict[str, list[dict[str, Any]]] = {
        "filing-list": [recall],
        **{
            name: [filing]
            for name in (
                "filing-detail",
                "filing-check",
                "filing-sign",
                "filing-submit",
                "filing-revise",
            )
        },
        "filing-file": [filing | {"name": "pdf_zh"}],
        "fda-record": [recall],
        "fsn-gate": [recall],
        "recall-notify-by": [recall],
    }
    return {
        **fills,
        **{f"web:{name}": kwargs for name, kwargs in fills.items()},
        "web:filing-generate": [recall],
        "web:filing-fda-record": [recall],
        "web:filing-enter": [filing],
    }


def _finance_payables_fills(side: Side) -> dict[str, list[dict[str, Any]]]:
    from medrecall.finance.models_payables import ApExportBatch, QuoteRequest, RefundRequest

    recall = {"pk": side.recall.pk}
    rfq = {"pk": QuoteRequest.objects.get(recall=side.recall).pk}
    refund = {"pk": RefundRequest.objects.get(recall=side.recall).pk}
    batch = {"pk": ApExportBatch.objects.get().pk, SHARED: True}
    names = {
        "finance-recall-payables": recall,
        "finance-quote-request-open": recall,
        "finance-refund-new": recall,
        "finance-quote-requests": recall,
        "finance-refund-create": recall,
        "finance-quote-request": rfq,
        "finance-quote-add": rfq,
        "finance-quote-award": rfq,
        "finance-quote-cancel": rfq,
        "finance-refund-detail": refund,
        "finance-refund-approve": refund,
        "finance-refund-reject": refund,
        "finance-refund-pay": refund,
        "finance-ap-export-file": batch,
    }
    return {
        **{f"web:{name}": [kwargs] for name, kwargs in names.items()},
        **{name: [kwargs] for name, kwargs in names.items()},
    }


def queries_about(side: Side) -> dict[str, list[str]]:
    """For patterns without arguments that take a query: the queries that name ``side``'s records."""
    lot, serial, recall = side.lot, side.serial, side.recall
    trace = [
        f"gtin={CATH}&lot={lot.number}",
        f"gtin={CATH}&lot={lot.number}&format=xlsx",
        f"gtin={CATH}&lot={lot.number}&direction=backward",
        f"gtin={PUMP}&serial={serial.serial}",
        f"gtin={PUMP}&serial={serial.serial}&direction=backward",
    ]
    return {
        "web:trace": trace,
        "trace-forward": trace[:1] + trace[3:4],
        "trace-backward": trace[:1] + trace[3:4],
        "web:customer-search": [f"q={lot.number}", f"q={side.party.code}"],
        "customer-search": [f"q={lot.number}", f"q={side.party.code}"],
        "web:recall-list": [f"q={recall.number}"],
        "recall-list": [f"q={recall.number}"],
        "web:event-list": [f"document_ref=DN-{side.location.code[4:]}"],
        "notice-list": [f"recall={recall.pk}"],
        "return-list": [f"recall={recall.pk}"],
        "offer-list": [f"recall={recall.pk}", f"party={side.party.pk}"],
        "traceevent-list": [f"lot={lot.pk}", f"serial={serial.pk}"],
        "position-list": [f"lot={lot.pk}"],
        **{
            f"{name}-list": [f"search={side.party.code}"]
            for name in ("party", "location", "contact", "lot")
        },
        "web:entity-list": [f"q={side.party.code}"],
    }


def text_of(response: Any) -> str:
    """The readable text of an answer: HTML/JSON/CSV as text, Excel cell by cell, streamed files joined."""
    body = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    if body[:2] == b"PK":  # xlsx
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    return body.decode("utf-8", errors="replace")


# --- the URL conf ----------------------------------------------------------------------------

SAFE, UNSAFE = ("GET",), ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Route:
    name: str  # namespaced URL name ("" for unnamed patterns)
    route: str  # the pattern text, for messages
    arguments: frozenset[str]
    methods: tuple[str, ...]  # the methods the view accepts, GET first

    @property
    def api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def label(self) -> str:
        return f"{self.name or '(unnamed)'}{' .format' if 'format' in self.arguments else ''}"


def methods_of(callback: Callable[..., Any]) -> tuple[str, ...]:
    """The methods a view answers: a viewset's actions, a class-based view's handlers, or the list
    of ``require_http_methods`` (``require_POST``…) found along a function view's decorators. A
    function view without one answers GET and POST alike (it branches on the method itself)."""
    accepted: set[str] | None = None
    actions = getattr(callback, "actions", None)
    view_class = getattr(callback, "view_class", None)
    if actions:
        accepted = {method.upper() for method in actions}
    elif view_class is not None:
        accepted = {
            m.upper()
            for m in view_class.http_method_names
            if m not in ("options", "head", "trace") and hasattr(view_class, m)
        }
    else:
        function: Any = callback
        while function is not None and accepted is None:
            try:
                found = inspect.getclosurevars(function).nonlocals.get("request_method_list")
            except (TypeError, ValueError):
                found = None
            accepted = {m.upper() for m in found} if found else None
            function = getattr(function, "__wrapped__", None)
        accepted = accepted if accepted is not None else {"GET", "POST"}
    return tuple(m for m in (*SAFE, *UNSAFE) if m in accepted)


def walk(
    patterns: list[Any] | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[Route]:
    """Every URL pattern of the project, with the names of its arguments and its methods."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        text = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, text, inner)
        elif isinstance(entry, URLPattern):
            pattern = entry.pattern
            names = set(getattr(pattern, "converters", {}) or {}) | set(pattern.regex.groupindex)
            yield Route(
                f"{namespace}{entry.name}" if entry.name else "",
                text,
                frozenset(names),
                methods_of(entry.callback),
            )


# The Django admin has its own log-in: only ``is_staff`` users get past it, and no role is staff
# (test_the_admin_sends_everyone_else_to_its_log_in below).
ADMIN_PREFIX = "admin/"


def routes() -> list[Route]:
    return [r for r in walk() if not r.route.startswith(ADMIN_PREFIX)]


# --- the policy table ------------------------------------------------------------------------

ANY = ""  # any signed-in user
Outcome = Literal["ok", "login"] | int
PortalRule = Literal["perm", "own", "hidden", "refused", "only"]


@dataclass(frozen=True)
class Known:
    """A cell known to answer wrongly, with the issue item that fixes it: the test reports it as
    an expected failure (xfail) while it answers ``got``, and passes once it answers right."""

    viewers: tuple[str, ...]
    methods: tuple[str, ...]
    got: int
    reason: str


@dataclass(frozen=True)
class Policy:
    """Who may use a route.

    ``read`` is the permission GET needs, ``write`` the one POST/PUT/PATCH/DELETE need (default:
    ``read``); ``ANY`` is any signed-in user, ``"a|b"`` either permission. Roles have the
    permissions of ``accounts.roles.ROLE_PERMISSIONS``. ``portal`` says how portal users fare:
    ``perm`` (default) by their role's permissions, and then only for their own party's records
    (another party's answer 404); ``own`` their own party's records whatever the role's
    permissions (the selector scopes them); ``hidden`` 404 (a staff page); ``refused`` 403;
    ``only`` a page for portal users alone (staff get ``refused``); ``portal_write`` the same for
    unsafe methods where it differs. ``refused`` is the answer to a
    signed-in user without the permission. ``public`` (a reason) opens the route to anyone."""

    read: str = ANY
    write: str | None = None
    portal: PortalRule = "perm"
    portal_write: PortalRule | None = (
        None  # for POST/PUT/PATCH/DELETE, where it differs from ``portal``
    )
    refused: int = 403
    public: str = ""
    known: tuple[Known, ...] = ()


def P(read: str = ANY, write: str | None = None, **options: Any) -> Policy:  # noqa: N802 - reads as a table
    return Policy(read=read, write=write, **options)


def W(write: str, **options: Any) -> Policy:  # noqa: N802 - a route taking only unsafe methods
    return Policy(read=write, write=write, **options)


def public(reason: str) -> Policy:
    return Policy(public=reason)


ROLE_HELD = "role:"  # a policy "role:<role>": only users in that role, not a permission
STAFF = {"portal": "hidden"}  # staff pages (web ``staff()``): portal users get "not found"
STAFF_API = {"portal": "refused"}  # staff endpoints: portal users get 403
IMPORTS = (
    "catalog.add_devicemodel|parties.add_party|traceability.add_traceevent|quality.change_complaint"
)
RECALL, CHANGE_RECALL = "recalls.view_recallcase", "recalls.change_recallcase"
FILING, CHANGE_FILING = "filings.view_filing", "filings.change_filing"
INTELLIGENCE = "intelligence.view_publicrecall"
EFFECTIVENESS, EFFECTIVENESS_PLAN, EFFECTIVENESS_CHECK = (
    "effectiveness.view_checkplan",
    "effectiveness.change_checkplan",
    "effectiveness.add_checkrecord",
)
NOTICE, TEMPLATE = "notices.view_notice", "notices.view_noticetemplate"
EXECUTION = "execution.view_returnauthorisation"
VIEW_COST, POST_COST = "finance.view_costentry", "finance.add_costentry"
TRACE = "traceability.view_traceevent"
Q_VIEW, Q_ADD, Q_CHANGE = (
    "quality.view_complaint",
    "quality.add_complaint",
    "quality.change_complaint",
)
Q_TRIAGE = "quality.triage_complaint"
CAPA_VIEW, CAPA_ADD, CAPA_CHANGE = "quality.view_capa", "quality.add_capa", "quality.change_capa"
SIGNAL_VIEW, SIGNAL_ACT = "quality.view_signal", "quality.review_signal"
CALENDAR_CHANGE = "core.change_workingdayentry"
IMPORT_RUN = "core.view_importrun"  # import runs the user may not see answer 404 (core.selectors)
HIDDEN = {
    "portal": "hidden"
}  # recall pages and endpoints: the selector hides every recall from portal users


def _entities(action: str, unsafe: str | None = None) -> dict[str, Policy]:
    """Master-data pages, one policy per entity, from the entity's own model permissions."""
    return {
        slug: P(entity.perm(action), entity.perm(unsafe) if unsafe else None)
        for slug, entity in ENTITIES.items()
    }


def _router(
    basename: str, app: str, *, read_only: bool = False, **options: Any
) -> dict[str, Policy]:
    """A router's list and detail routes: DRF model permissions (view for GET, add for POST,
    change for PUT/PATCH, delete for DELETE)."""
    model = basename
    view = f"{app}.view_{model}"
    if read_only:
        return {f"{basename}-list": P(view, **options), f"{basename}-detail": P(view, **options)}
    return {
        f"{basename}-list": P(view, f"{app}.add_{model}", **options),
        f"{basename}-detail": Policy(
            read=view, write=f"{app}.change_{model}", known=(PROTECTED,), **options
        ),
    }


# Deleting a record other records refer to (every record of the world is referenced).
PROTECTED = Known(
    STAFF_ROLES,
    ("DELETE",),
    500,
    "issue 14 item 3: deleting a referenced record answers 500 "
    "(ProtectedError) instead of 409 with the records that refer to it",
)


# The DELETE of a router's detail route needs the delete permission, PUT/PATCH the change one.
def write_permission(policy: Policy, route: Route, method: str) -> str:
    if method == "GET":
        return policy.read
    if method == "DELETE" and route.name.endswith("-detail") and route.api and policy.write:
        return policy.write.replace(".change_", ".delete_")
    return policy.write if policy.write is not None else policy.read


COMPANY_VIEW = "accounts.view_companyidentity"
COMPANY_CHANGE = "accounts.change_companyidentity"

POLICY: dict[str, Policy | dict[str, Policy]] = {
    # finance: budgets and reports (finance sets budgets; the ledger's readers read)
    "web:finance-budget": P("finance.view_recallbudget", "finance.change_recallbudget"),
    "web:finance-report": P("finance.view_costentry"),
    "web:finance-report-xlsx": P("finance.view_costentry"),
    "web:finance-reports": P("finance.view_costentry"),
    "web:finance-reports-xlsx": P("finance.view_costentry"),
    "finance-budget": P("finance.view_recallbudget", "finance.change_recallbudget"),
    "finance-forecast": P("finance.view_recallbudget"),
    "finance-report": P("finance.view_costentry"),
    "finance-budget-alerts": P("finance.view_recallbudget"),
    "finance-recall-costs": P("finance.view_costentry"),
    "finance-costs-by": P("finance.view_costentry"),
    # finance: vendor quotes, refunds and the AP export (pages and API; portal users refused)
    **{
        f"{prefix}{name}": policy
        for prefix in ("web:", "")
        for name, policy in {
            "finance-quote-request": P("finance.view_quoterequest", portal="refused"),
            "finance-quote-add": W("finance.add_quote", portal="refused"),
            "finance-quote-award": W("finance.change_quoterequest", portal="refused"),
            "finance-quote-cancel": W("finance.change_quoterequest", portal="refused"),
            "finance-refund-list": P("finance.view_refundrequest", portal="refused"),
            "finance-refund-detail": P("finance.view_refundrequest", portal="refused"),
            "finance-refund-approve": W("finance.approve_refundrequest", portal="refused"),
            "finance-refund-reject": W("finance.approve_refundrequest", portal="refused"),
            "finance-refund-pay": W("finance.add_refundpayment", portal="refused"),
            "finance-ap-exports": P("finance.export_refundpayment", portal="refused"),
            "finance-ap-export-file": P("finance.export_refundpayment", portal="refused"),
        }.items()
    },
    "web:finance-recall-payables": P(
        "finance.view_quoterequest|finance.view_refundrequest", portal="refused"
    ),
    "web:finance-quote-request-open": W("finance.add_quoterequest", portal="refused"),
    "web:finance-refund-new": W("finance.add_refundrequest", portal="refused"),
    "web:finance-scorecard": P("finance.view_quoterequest", portal="refused"),
    "finance-vendor-scorecard": P("finance.view_quoterequest", portal="refused"),
    "finance-quote-requests": P(
        "finance.view_quoterequest", "finance.add_quoterequest", portal="refused"
    ),
    "finance-refund-create": W(
        "finance.add_refundrequest|finance.request_refund_from_reply", portal="refused"
    ),
    # the project's own routes
    "healthz": public("health check: database and queue status, no records"),
    "login": public("the log-in form"),
    "logout": public("logging out"),
    # web: home, imports, recalls, the working-day calendar
    "web:home": P(),
    "web:set-language": public("language switch: a redirect, no records"),
    "web:import-list": P(IMPORTS),
    "web:import-detail": P(IMPORT_RUN, refused=404),
    "web:import-rejected": P(IMPORT_RUN, refused=404),
    "web:import-template": P(ANY),  # a blank template: column headings, no records
    "web:recall-list": P(RECALL),
    "web:recall-open": P("recalls.add_recallcase"),
    "web:recall-due-week": P(RECALL),
    "web:portfolio": P(RECALL, **STAFF),
    # a work queue is its role's: held or not, whatever the permissions (reporting.queues)
    "web:queue": {role: P(f"{ROLE_HELD}{role}", **STAFF) for role in QUEUES},
    "web:queue-offer-decide": W("notices.approve_offer", **STAFF),
    "web:recall-detail": P(RECALL, **STAFF),  # a staff page: portal users get 404, not 403
    "web:recall-similar": P(INTELLIGENCE, portal="refused"),
    "web:intelligence-search": P(INTELLIGENCE, portal="refused"),
    "web:intelligence-record": P(INTELLIGENCE, portal="refused"),
    "web:recall-edit": W(CHANGE_RECALL, **HIDDEN),
    "web:recall-hazard": W(CHANGE_RECALL, **HIDDEN),
    "web:recall-classify": W(CHANGE_RECALL, **HIDDEN),
    "web:recall-scope-rule": W("recalls.add_scoperule", **HIDDEN),
    "web:recall-scope-rule-remove": W("recalls.change_scoperule", **HIDDEN),
    "web:recall-freeze": W("recalls.add_scopesnapshot", **HIDDEN),
    "web:recall-transition": W(CHANGE_RECALL, **HIDDEN),
    "web:recall-impact-xlsx": P(RECALL, **STAFF),
    # the recall cockpit: staff who may see recalls; a portal user is refused (403)
    **{
        f"web:recall-cockpit{page}": P(RECALL, portal="refused")
        for page in ("", "-figures", "-holders", "-records", "-xlsx", "-pdf")
    },
    "web:recall-sign": W(CHANGE_RECALL, **HIDDEN),
    "web:recall-closure-exception": W(CHANGE_RECALL, **HIDDEN),
    # effectiveness checks and completion: staff pages, QA/RA plans and signs, customer service checks
    "web:recall-effectiveness": P(EFFECTIVENESS, portal="refused"),
    **{
        f"web:recall-effectiveness-{name}": W(EFFECTIVENESS_PLAN, **HIDDEN)
        for name in ("level", "sample", "exception", "sign")
    },
    **{
        f"web:recall-effectiveness-{name}": W(EFFECTIVENESS_CHECK, **HIDDEN)
        for name in ("check", "resolve")
    },
    "web:recall-deadline-done": W(CHANGE_RECALL, **HIDDEN),
    # regulatory filings: QA/RA act, other staff read, portal users never see them (404)
    "web:filing-list": P(FILING, **HIDDEN),
    "web:filing-detail": P(FILING, **HIDDEN),
    "web:filing-file": P(FILING, **HIDDEN),
    **{
        f"web:filing-{name}": W(CHANGE_FILING, **HIDDEN)
        for name in ("generate", "enter", "check", "sign", "submit", "revise")
    },
    "filing-list": P(FILING, CHANGE_FILING, **HIDDEN),
    "filing-detail": P(FILING, CHANGE_FILING, **HIDDEN),
    "filing-file": P(FILING, **HIDDEN),
    "fda-record": P(FILING, CHANGE_FILING, **HIDDEN),
    # the EU FSN gate: where it stands (whoever sees the recall), its override (filings)
    "web:fsn-gate": P(ANY, CHANGE_FILING, **HIDDEN),
    "fsn-gate": P(ANY, CHANGE_FILING, **HIDDEN),
    # each holder's notify-by time: staff who read notices; the recall hides from portal users
    "web:recall-notify-by": P(NOTICE, **STAFF),
    "recall-notify-by": P(NOTICE, **HIDDEN),
    "web:filing-fda-record": P(FILING, CHANGE_FILING, **HIDDEN),
    **{
        f"filing-{name}": W(CHANGE_FILING, **HIDDEN)
        for name in ("check", "sign", "submit", "revise")
    },
    "web:calendar": P(RECALL, portal="refused"),
    "web:calendar-export": P(RECALL, portal="refused"),
    **{
        f"web:calendar-{name}": W(CALENDAR_CHANGE, portal="refused")
        for name in ("entry-set", "entry-delete", "year-entered", "import")
    },
    # web: notices, customers, offers (staff pages)
    "web:recall-notices": P(NOTICE, **STAFF),
    "web:recall-notices-send": W("notices.add_noticerun", **STAFF),
    "web:recall-letters": P(NOTICE, **STAFF),
    "web:recall-letters-posted": W("notices.change_notice", **STAFF),
    "web:notice-template-list": P(TEMPLATE, **STAFF),
    "web:notice-template-detail": P(TEMPLATE, **STAFF),
    "web:notice-template-edit": P("notices.add_noticetemplate", **STAFF),
    "web:notice-template-approve": W("notices.approve_noticetemplate", **STAFF),
    "web:notice-template-preview": P(TEMPLATE, **STAFF),
    "web:notice-template-preview-pdf": P(TEMPLATE, **STAFF),
    "web:notice-run-progress": P(NOTICE, **STAFF),
    "web:notice-overdue": P(NOTICE, **STAFF),
    "web:notice-detail": P(NOTICE, **STAFF),
    "web:notice-pdf": P(NOTICE, **STAFF),
    "web:notice-contact": W("notices.change_notice", **STAFF),
    "web:notice-staff-reply": P("notices.add_reply", **STAFF),
    "web:notice-return-authorise": W("execution.add_returnauthorisation", **STAFF),
    "web:customer-search": P(NOTICE, **STAFF),
    "web:customer-detail": P(NOTICE, **STAFF),
    # log-ins locked after failed attempts: administrators see and unlock them
    "web:lockout-list": P("axes.view_accessattempt", "axes.delete_accessattempt", portal="refused"),
    "lockout-list": P("axes.view_accessattempt", portal="refused"),
    # the company's identifiers the documents print: QA/RA managers and administrators
    "web:company": P(COMPANY_VIEW, COMPANY_CHANGE, portal="refused"),
    "company": P(COMPANY_VIEW, COMPANY_CHANGE, portal="refused"),
    "lockout-unlock": W("axes.delete_accessattempt", portal="refused"),
    # parties reported on reply forms: staff review (portal users are refused)
    "web:party-reported-list": P("parties.view_party", portal="refused"),
    "web:party-reported-detail": P("parties.view_party", portal="refused"),
    "web:party-reported-verify": W("parties.change_party", portal="refused"),
    "web:party-reported-merge": W("parties.change_party", portal="refused"),
    "party-reported-list": P("parties.view_party", portal="refused"),
    "party-reported-detail": P("parties.view_party", portal="refused"),
    "party-reported-verify": W("parties.change_party", portal="refused"),
    "party-reported-merge": W("parties.change_party", portal="refused"),
    "web:customer-offer-propose": W("notices.add_offer", **STAFF),
    "web:customer-progress": W("notices.add_notice", **STAFF),
    "web:offer-decide": W("notices.approve_offer", **STAFF),
    "web:offer-fulfil": W("notices.change_offer", **STAFF),
    # web: the holder's signed links (the token, not a session, names the one notice: tests/notices)
    "web:notice-reply": public("signed reply link"),
    "web:notice-acknowledge": public("signed reply link (acknowledge)"),
    "web:notice-reply-pdf": public("signed reply link (the holder's own notice PDF)"),
    "web:notice-problem": public("signed reply link (the holder reports a problem)"),
    "web:notice-survey": public("signed survey link"),
    "web:notice-opened": public("signed open-tracking pixel: a GIF, no records"),
    # web: the portal
    "web:portal-notices": P(NOTICE, portal="own", refused=404),
    "web:portal-reply": P(portal="only", refused=404),
    # web: execution
    "web:execution-home": P(EXECUTION),
    "web:execution-recall": P(EXECUTION),
    "web:execution-hold": W("execution.change_hold"),
    "web:return-create": W("execution.add_returnauthorisation"),
    "web:work-order-create": W("execution.add_workorder", **HIDDEN),
    "web:return-detail": P(EXECUTION),
    "web:return-status": W("execution.change_returnauthorisation"),
    "web:return-amend": W("execution.change_returnauthorisation"),
    "web:return-waybill": P(EXECUTION),
    "web:warehouse": P("execution.add_receipt"),
    "web:warehouse-return": P("execution.add_receipt"),
    "web:disposition-create": W("execution.add_disposition"),
    "web:disposition-detail": P("execution.view_disposition"),
    "web:work-order-list": P(
        ANY
    ),  # the selector lists the work orders the user may see (none, or its own)
    # POST: the service decides who may record (``fieldwork.may_record``); a refusal comes back as a message
    "web:work-order-detail": P("execution.view_workorder", refused=404),
    # web: traceability and master data
    "web:trace": P(TRACE),
    "web:scan": P(),
    "web:event-list": P(TRACE),
    "web:entity-list": _entities("view"),
    "web:entity-create": _entities("add"),
    "web:entity-detail": _entities("view"),
    "web:entity-edit": _entities("change"),
    # web: stored files, each through its record
    # (a record the user may not see answers 404, exactly as one that does not exist: web/file_views.py)
    "web:file": {
        "certificate": P("execution.view_disposition", refused=404),
        "evidence": P("execution.view_evidence", refused=404),
        "notice": P(NOTICE, refused=404),
        "import-source": P(IMPORT_RUN, refused=404),
        "import-rejected": P(IMPORT_RUN, refused=404),
    },
    # API: the schema
    "api-schema": public("the OpenAPI schema: the API's shape, no records"),
    "api-docs": public("Swagger UI page for the schema"),
    "api-redoc": public("ReDoc page for the schema"),
    "api-root": P(),
    # API: imports, traceability
    "import-start": W(IMPORTS),
    "trace-forward": P(TRACE),
    "trace-backward": P(TRACE),
    "trace-forward-set": W(
        TRACE
    ),  # a list of units in the body; portal users only their party's units
    "trace-backward-set": W(TRACE),
    "udi-parse": W(ANY),
    "event-capture": W("traceability.add_traceevent"),
    "epcis-capture": W("traceability.add_traceevent"),
    # API: recalls and the calendar
    "recall-list": P(
        RECALL, "recalls.add_recallcase", portal="own", portal_write="perm"
    ),  # GET: the selector lists none for portal users
    "recall-detail": P(RECALL, CHANGE_RECALL, **HIDDEN),
    "recall-similar": P(INTELLIGENCE, **STAFF_API),
    "intelligence-similar": P(INTELLIGENCE, **STAFF_API),
    "intelligence-statistics": P(INTELLIGENCE, **STAFF_API),
    "intelligence-record": P(INTELLIGENCE, **STAFF_API),
    "recall-hazard": W(CHANGE_RECALL, **HIDDEN),
    "recall-classify": W(CHANGE_RECALL, **HIDDEN),
    "recall-scope-rules": P(RECALL, "recalls.add_scoperule", **HIDDEN),
    "recall-scope-freeze": W("recalls.add_scopesnapshot", **HIDDEN),
    "recall-impact": P(RECALL, **HIDDEN),
    "recall-progress": P(RECALL, portal="refused"),
    "recall-transition": W(CHANGE_RECALL, **HIDDEN),
    "recall-sign": W(CHANGE_RECALL, **HIDDEN),
    "recall-closure": P(RECALL, **HIDDEN),
    "recall-closure-exception": W(CHANGE_RECALL, **HIDDEN),
    "recall-effectiveness": P(EFFECTIVENESS, EFFECTIVENESS_PLAN, **HIDDEN),
    "recall-effectiveness-sample": W(EFFECTIVENESS_PLAN, **HIDDEN),
    "recall-effectiveness-members": P(EFFECTIVENESS, **HIDDEN),
    "recall-effectiveness-checks": P(EFFECTIVENESS, EFFECTIVENESS_CHECK, **HIDDEN),
    "recall-effectiveness-resolve": W(EFFECTIVENESS_CHECK, **HIDDEN),
    "recall-effectiveness-completion": P(EFFECTIVENESS, **HIDDEN),
    "recall-effectiveness-outstanding": P(EFFECTIVENESS, **HIDDEN),
    "recall-effectiveness-exceptions": W(EFFECTIVENESS_PLAN, **HIDDEN),
    "recall-effectiveness-blockers": P(EFFECTIVENESS, **HIDDEN),
    "recall-effectiveness-sign": W(EFFECTIVENESS_PLAN, **HIDDEN),
    "recall-deadlines": P(RECALL, **HIDDEN),
    "recall-due-week": P(RECALL),
    **{
        name: P(RECALL, **STAFF_API)
        for name in ("home", "home-recalls", "home-deadlines", "portfolio", "portfolio-products")
    },
    "queue": {role: P(f"{ROLE_HELD}{role}", **STAFF_API) for role in QUEUES},
    "calendar-entries": P(RECALL, CALENDAR_CHANGE, portal="refused"),
    "calendar-entry": W(CALENDAR_CHANGE, portal="refused"),
    "calendar-years": P(RECALL, CALENDAR_CHANGE, portal="refused"),
    "calendar-import": W(CALENDAR_CHANGE, portal="refused"),
    # API: notices
    "notice-run-start": W("notices.add_noticerun", **STAFF_API),
    "notice-letters": P(NOTICE, "notices.change_notice", **HIDDEN),
    "notice-progress-update": W("notices.add_noticerun", **STAFF_API),
    "notice-list": P(NOTICE),
    "notice-overdue": P(NOTICE, **STAFF_API),
    "recall-replies": P("notices.view_reply", **STAFF_API),
    "notice-delivery": W("notices.change_notice", **STAFF_API),
    "notice-run": P(NOTICE, **STAFF),
    "notice-detail": P(NOTICE),
    "notice-pdf": P(NOTICE),
    "notice-contact-log": W("notices.change_notice", **STAFF_API),
    "notice-reply": W("notices.add_reply", portal="own"),
    "notice-template-list": P(TEMPLATE, "notices.add_noticetemplate", **STAFF_API),
    "notice-template-detail": P(TEMPLATE, **STAFF_API),
    "notice-template-approve": W("notices.approve_noticetemplate", **STAFF_API),
    "customer-search": P(NOTICE, **STAFF_API),
    "customer-timeline": P(NOTICE, **STAFF_API),
    "offer-list": P("notices.view_offer", "notices.add_offer", **STAFF_API),
    "offer-decision": W("notices.approve_offer|notices.change_offer", **STAFF_API),
    # finance: the cost ledger (staff only: portal users hold none of its permissions)
    "web:finance-ledgers": P(VIEW_COST),
    "web:finance-ledger": P(VIEW_COST),
    "web:finance-entry-post": P(POST_COST),
    "web:finance-post-due": W(POST_COST),
    "web:finance-entry": P(VIEW_COST),
    "web:finance-entry-reverse": W(POST_COST),
    "web:finance-entry-edit": P(VIEW_COST),  # answers that a posted entry is not changed
    "web:finance-entry-attachment": P(VIEW_COST),
    "web:finance-rates": P("finance.view_exchangerate", "finance.add_exchangerate"),
    "web:finance-unit-costs": P("finance.view_dispositioncost", "finance.change_dispositioncost"),
    "web:finance-unit-cost-delete": W("finance.delete_dispositioncost"),
    "web:finance-provider-rates": P("finance.view_providerrate", "finance.change_providerrate"),
    "web:finance-policy": P("finance.view_financepolicy", "finance.change_financepolicy"),
    "finance-recall-entries": P(VIEW_COST, POST_COST, **STAFF_API),
    "finance-recall-totals": P(VIEW_COST, **STAFF_API),
    "finance-recall-due": P(VIEW_COST, **STAFF_API),
    "finance-entry": P(VIEW_COST, **STAFF_API),  # PUT/PATCH: 409, a posted entry is not changed
    "finance-entry-reverse": W(POST_COST, **STAFF_API),
    "finance-entry-attachment": P(VIEW_COST, **STAFF_API),
    "finance-sweep": W(POST_COST, **STAFF_API),
    "finance-rates": P("finance.view_exchangerate", "finance.add_exchangerate", **STAFF_API),
    "finance-rates-import": W("finance.add_exchangerate", **STAFF_API),
    "finance-unit-costs": P(
        "finance.view_dispositioncost", "finance.change_dispositioncost", **STAFF_API
    ),
    "finance-unit-cost": W("finance.delete_dispositioncost", **STAFF_API),
    "finance-provider-rates": P(
        "finance.view_providerrate", "finance.change_providerrate", **STAFF_API
    ),
    # API: execution
    "execution-accounting": P("execution.view_hold"),
    "execution-holds": P("execution.view_hold", "execution.change_hold"),
    "execution-hold-release": W("execution.change_hold"),
    "return-list": P(
        EXECUTION, "execution.add_returnauthorisation", portal="own", portal_write="perm"
    ),
    "return-detail": P(EXECUTION, portal="own"),
    "return-status": W("execution.change_returnauthorisation"),
    "return-amend": W("execution.change_returnauthorisation"),
    "return-receive": W("execution.add_receipt"),
    "return-waybill": P(EXECUTION, portal="own"),
    "disposition-list": P("execution.view_disposition", "execution.add_disposition"),
    "disposition-complete": W("execution.change_disposition"),
    "disposition-certificate": P("execution.view_disposition"),
    # GET: the selector lists the work orders the user may see (none, or its own party's)
    "work-order-list": P(ANY, "execution.add_workorder"),
    # a work order the user may not see answers 404; the service decides who may record (may_record)
    "work-order-result": W("execution.change_workorder", refused=404),
    "work-order-evidence": P("execution.view_evidence", "execution.add_evidence", refused=404),
    "work-order-evidence-file": P("execution.view_evidence", refused=404),
    # API: the router (DRF model permissions)
    **_router("devicemodel", "catalog"),
    **_router("lot", "catalog"),
    **_router("serial", "catalog"),
    **_router("party", "parties"),
    **_router("location", "parties"),
    **_router("contact", "parties"),
    "importrun-list": P(
        ANY
    ),  # the selector lists the import runs the user may see (none without the permission)
    "importrun-detail": P(IMPORT_RUN, refused=404),
    **_router("traceevent", "traceability", read_only=True),
    "position-list": P("traceability.view_position"),
    **_router("carrier", "execution"),
    **_router("carrierrate", "execution"),
    **_router("serviceprovider", "execution"),
    # quality: staff pages and endpoints by permission; a portal user reads and enters its own
    # party's complaints (its page, the export, the API list and detail) and sees no CAPA
    "web:quality-dashboard": P(Q_VIEW, **STAFF),
    "web:quality-complaints": P(Q_VIEW, **STAFF),
    "web:quality-complaint-export": P(Q_VIEW, refused=404),
    "web:quality-complaint-new": P(Q_ADD, **STAFF),
    "web:quality-complaint": P(Q_VIEW, **STAFF),
    "web:quality-complaint-resolve": W(Q_CHANGE, **STAFF),
    **{
        f"web:quality-complaint{suffix}": W(Q_TRIAGE, **STAFF)
        for suffix in QUALITY_COMPLAINT_PAGES[2:]
    },
    "web:quality-capas": P(CAPA_VIEW, **STAFF),
    "web:quality-capa-new": P(CAPA_ADD, **STAFF),
    "web:quality-capa": P(CAPA_VIEW, **STAFF),
    **{f"web:quality-capa{suffix}": W(CAPA_CHANGE, **STAFF) for suffix in QUALITY_CAPA_PAGES[1:]},
    "web:quality-capa-action-update": W(CAPA_CHANGE, **STAFF),
    "web:portal-complaints": P(Q_VIEW, Q_ADD, portal="only", refused=404),
    "quality-dashboard": P(Q_VIEW, **STAFF_API),
    "quality-complaints": P(Q_VIEW, Q_ADD),
    "quality-complaint": P(Q_VIEW),
    "quality-complaint-unit": W(Q_CHANGE, **STAFF_API),
    **{
        f"quality-complaint{suffix}": W(Q_TRIAGE, **STAFF_API)
        for suffix in QUALITY_COMPLAINT_API[2:]
    },
    "quality-capas": P(CAPA_VIEW, CAPA_ADD, **STAFF_API),
    "quality-capa": P(CAPA_VIEW, **STAFF_API),
    **{f"quality-capa{suffix}": W(CAPA_CHANGE, **STAFF_API) for suffix in QUALITY_CAPA_API[1:]},
    "quality-capa-action": W(CAPA_CHANGE, **STAFF_API),
    # early warning: staff roles read the signals and the thresholds in force, QA/RA acts (status
    # changes, a detection run); the company's own analysis, so portal users are refused
    "web:quality-signals": P(SIGNAL_VIEW, **STAFF),
    "web:quality-signals-detect": W(SIGNAL_ACT, **STAFF),
    "web:quality-signal": P(SIGNAL_VIEW, **STAFF),
    "web:quality-signal-action": W(SIGNAL_ACT, **STAFF),
    # the thresholds' form: the role that may change them (read on the signals page)
    "web:quality-signal-policy": W("quality.change_signalpolicy", **STAFF),
    "quality-signals": P(SIGNAL_VIEW, **STAFF_API),
    "quality-signals-detect": W(SIGNAL_ACT, **STAFF_API),
    "quality-signals-policy": P(
        f"{SIGNAL_VIEW}|quality.view_signalpolicy", "quality.change_signalpolicy", **STAFF_API
    ),
    "quality-signal": P(SIGNAL_VIEW, **STAFF_API),
    **{f"quality-signal-{action}": W(SIGNAL_ACT, **STAFF_API) for action in QUALITY_SIGNAL_ACTIONS},
}

# Anonymous API requests: DRF answers 403 while session authentication comes first; 401 with
# ``WWW-Authenticate: Token`` is what a client can act on.
ANONYMOUS_API = Known(
    (ANONYMOUS,),
    (*SAFE, *UNSAFE),
    403,
    "issue 14 item 3: an unauthenticated API request answers 401 with WWW-Authenticate",
)


def has(viewer: str, permission: str) -> bool:
    if permission == ANY:
        return True
    if permission.startswith(ROLE_HELD):  # the viewer is in that role (each viewer holds one)
        return viewer == permission.removeprefix(ROLE_HELD)
    role = Role.PORTAL if viewer in (PORTAL_A, PORTAL_B) else viewer
    return any(p in ROLE_PERMISSIONS[role] for p in permission.split("|"))


def expected(
    policy: Policy, route: Route, viewer: str, method: str, *, own: bool, shared: bool
) -> Outcome:
    """The answer a cell must give, from the policy and the roles' permissions."""
    if policy.public:
        return "ok"
    if viewer == ANONYMOUS:
        return 401 if route.api else "login"
    permission = write_permission(policy, route, method)
    if viewer in (PORTAL_A, PORTAL_B):
        rule = policy.portal_write if method != "GET" and policy.portal_write else policy.portal
        if rule == "hidden":
            return 404
        if rule == "refused" or (rule == "perm" and not has(viewer, permission)):
            return 403 if rule == "refused" else policy.refused
        object_route = bool(route.arguments - {"format"}) and route.name not in NOT_OBJECTS
        return "ok" if own or shared or not object_route else 404
    if policy.portal == "only":
        return policy.refused
    return "ok" if has(viewer, permission) else policy.refused


# Routes whose path arguments name a kind of record, not one record.
NOT_OBJECTS = ("web:entity-list", "web:entity-create", "web:import-template")
OK = frozenset(
    {200, 201, 202, 204, 302, 303, 400, 409, 415}
)  # allowed: an empty body may be refused as input


def outcome_of(response: HttpResponseBase) -> Outcome:
    status = response.status_code
    if status in (301, 302, 303) and response.get("Location", "").startswith(reverse("login")):
        return "login"
    return "ok" if status in OK else status


# --- the walk --------------------------------------------------------------------------------


def fills_of(world: World, side: str) -> dict[str, list[dict[str, Any]]]:
    if side not in world.fills:
        world.fills[side], world.queries[side] = (
            objects_of(world.sides[side]),
            queries_about(world.sides[side]),
        )
    return world.fills[side]


def variant(kwargs: dict[str, Any]) -> str:
    return str(kwargs.get("slug") or kwargs.get("kind") or kwargs.get("role") or "")


@dataclass
class Cell:
    viewer: str
    method: str
    url: str
    own: bool
    shared: bool
    policy: Policy


def cells(world: World, route: Route, policy: Policy | dict[str, Policy]) -> Iterator[Cell]:
    """Every (viewer, method, URL) of a route: staff and anonymous ask for party A's records,
    portal users for their own party's and the other party's; lists are asked with the queries
    that name the other party."""
    for viewer in VIEWERS:
        mine = "B" if viewer == PORTAL_B else "A"
        theirs = "A" if viewer == PORTAL_B else "B"
        portal = viewer in (PORTAL_A, PORTAL_B)
        # a public route's signed link is the key to one notice, whoever holds it: only the viewer's own
        sides = (
            ((mine, True), (theirs, False))
            if portal and not (isinstance(policy, Policy) and policy.public)
            else ((mine, True),)
        )
        arguments = route.arguments - {"format"}
        for side, own in sides:
            fills_of(world, theirs)
            fills = fills_of(world, side).get(route.name) if arguments else [{}]
            assert fills is not None, (
                f"{route.label} ({route.route}): add its path arguments to objects_of()"
            )
            for kwargs in fills:
                shared = bool(kwargs.get(SHARED, False))
                args = {k: v for k, v in kwargs.items() if k != SHARED}
                if "format" in route.arguments:
                    args["format"] = "json"
                cell_policy = policy[variant(kwargs)] if isinstance(policy, dict) else policy
                base = reverse(route.name, kwargs=args)
                for method in route.methods:
                    queries = (
                        world.queries[theirs].get(route.name, [])
                        if portal and method == "GET" and not own
                        else []
                    )
                    if portal and not own and not arguments and not queries and method == "GET":
                        continue  # a list without a query was asked as the viewer's own
                    if portal and not own and not arguments and method != "GET":
                        continue
                    for url in [base] + [f"{base}?{q}" for q in queries] if queries else [base]:
                        yield Cell(viewer, method, url, own, shared, cell_policy)


def send(world: World, route: Route, cell: Cell) -> tuple[HttpResponseBase, str, int]:
    """One request, inside a savepoint that is rolled back; the answer, its text, and how many
    audit entries it wrote."""
    client = world.api[cell.viewer] if route.api else world.web[cell.viewer]
    cookies = SimpleCookie()
    cookies.update(client.cookies)
    extra: dict[str, Any] = {}
    if route.api and cell.method in UNSAFE:
        extra = {"data": {}, "format": "json"}
    elif cell.method in UNSAFE:
        extra = {"data": {}, "HTTP_X_CSRFTOKEN": CSRF_TOKEN}
    with transaction.atomic():
        before = AuditEntry.objects.count()
        response = getattr(client, cell.method.lower())(cell.url, **extra)
        text = text_of(response)
        try:
            written = AuditEntry.objects.count() - before
        except DatabaseError:  # an aborted PostgreSQL transaction after a server error
            written = -1
        transaction.set_rollback(True)
    request_finished.disconnect(
        close_old_connections
    )  # as the test client does: keep the test's transaction
    try:
        response.close()  # a file answer's file
    finally:
        request_finished.connect(close_old_connections)
    client.cookies = cookies
    return response, text, written


ROUTES = routes()


@pytest.mark.parametrize("route", ROUTES, ids=[r.label for r in ROUTES])
def test_every_role_gets_the_answer_the_policy_gives(world: World, route: Route) -> None:
    policy = POLICY.get(route.name)
    assert policy is not None, (
        f"{route.label} ({route.route}) is not in POLICY: say who may use it "
        f"(docs/architecture.md, 'The permission matrix')"
    )
    wrong, known = [], []
    for cell in cells(world, route, policy):
        response, text, written = send(world, route, cell)
        want = expected(
            cell.policy, route, cell.viewer, cell.method, own=cell.own, shared=cell.shared
        )
        got = outcome_of(response)
        if cell.policy.public and response.status_code < 500:
            got = "ok"  # logging out redirects to the log-in page; a survey link of a notice without a survey is 404
        if not cell.own and got in (403, 404) and not (route.arguments - {"format"}):
            got = want  # another party's lot asked for in a query: "not known" is as closed as an empty answer
        if cell.viewer in (PORTAL_A, PORTAL_B) and {got, want} == {403, 404}:
            got = want  # for portal users, "forbidden" and "not found" are both a closed door
        where = f"{cell.viewer:22} {cell.method:6} {cell.url}"
        if got != want:
            rules = (*cell.policy.known, *((ANONYMOUS_API,) if route.api else ()))
            excuse = next(
                (
                    k.reason
                    for k in rules
                    if cell.viewer in k.viewers
                    and cell.method in k.methods
                    and response.status_code == k.got
                ),
                None,
            )
            if excuse:
                known.append(excuse)
            else:
                wrong.append(f"{where} → {response.status_code}, the policy says {want}")
        if want != "ok" and written:
            wrong.append(
                f"{where} → refused ({response.status_code}) but wrote {written} audit entries"
            )
        if cell.viewer in (PORTAL_A, PORTAL_B):
            other = world.sides["B" if cell.viewer == PORTAL_A else "A"]
            asked = cell.url.partition("?")[2]
            found = [
                s for s in other.secrets if s in text and s not in asked
            ]  # echoing the question is no leak
            if found:
                wrong.append(f"{where} → {response.status_code} shows the other party's {found}")
    assert not wrong, f"{route.label} ({route.route}):\n" + "\n".join(wrong)
    if known:
        pytest.xfail("; ".join(sorted(set(known))))


def test_the_policy_names_only_routes_that_exist() -> None:
    names = {r.name for r in ROUTES}
    assert sorted(set(POLICY) - names) == []


def test_every_file_kind_and_entity_is_walked(world: World) -> None:
    fills = fills_of(world, "B")
    assert sorted(k["kind"] for k in fills["web:file"]) == sorted(FILE_KINDS)
    assert sorted(k["slug"] for k in fills["web:entity-detail"]) == sorted(ENTITIES)
    files = POLICY["web:file"]
    assert isinstance(files, dict)
    assert sorted(files) == sorted(FILE_KINDS)


def test_the_walk_reaches_a_portal_users_own_records(world: World) -> None:
    """The fills open the party's own records where portal users have pages: the walk is not vacuous."""
    me = world.sides["A"]
    client = world.web[PORTAL_A]
    reply = client.get(reverse("web:portal-reply", kwargs={"pk": me.notice.pk}))
    assert reply.status_code == 200
    assert f'href="/files/notice/{me.notice.pk}/"' in reply.content.decode()
    page = client.get("/trace/", {"gtin": CATH, "lot": "LOT-ALFA"}).content.decode()
    assert "LOC-ALFA" in page
    assert "LOC-BRAVO" not in page


def test_a_page_post_without_the_csrf_token_is_refused(world: World) -> None:
    """The matrix posts pages with the token; without it, every unsafe page method answers 403."""
    client = world.web[Role.ADMINISTRATOR]
    opened = []
    for route in ROUTES:
        if route.api or "POST" not in route.methods or route.arguments - {"format"}:
            continue
        with transaction.atomic():
            status = client.post(reverse(route.name), {}).status_code
            transaction.set_rollback(True)
        if status != 403:
            opened.append(f"{route.label} → {status}")
    assert opened == []


def test_the_admin_sends_everyone_else_to_its_log_in(world: World) -> None:
    for viewer in VIEWERS:
        response = world.web[viewer].get("/admin/")
        assert (response.status_code, response["Location"]) == (
            302,
            "/admin/login/?next=/admin/",
        ), viewer


# --- the fixes the matrix found, each as its own case -----------------------------------------


def _post(client: Client, url: str, data: dict[str, Any] | None = None) -> tuple[int, str, int]:
    """A page POST with the CSRF token; the status, the redirect target and the audit entries written."""
    before = AuditEntry.objects.count()
    response = client.post(url, data or {}, HTTP_X_CSRFTOKEN=CSRF_TOKEN)
    return response.status_code, response.get("Location", ""), AuditEntry.objects.count() - before


@pytest.mark.parametrize(
    ("viewer", "status"),
    [
        (Role.TRACEABILITY_ANALYST, 403),
        (Role.FINANCE, 403),
        (Role.FIELD_SERVICE, 403),
        (Role.ADMINISTRATOR, 403),
        (Role.WAREHOUSE, 200),
        (Role.VIEWER, 200),
        (PORTAL_A, 200),
    ],
)
def test_api_returns_are_read_with_the_view_permission_as_the_pages_are(
    world: World, viewer: str, status: int
) -> None:
    ra = world.sides["A"].ra
    client = world.api[viewer]
    answers = [
        client.get(f"/api/execution/returns/{ra.pk}/").status_code,
        client.get(f"/api/execution/returns/{ra.pk}/waybill/").status_code,
        client.get("/api/execution/returns/").status_code,
    ]
    assert answers == [status, status, status]


def test_an_empty_return_amendment_is_a_message_not_a_server_error(world: World) -> None:
    ra = world.sides["A"].ra
    status, location, written = _post(
        world.web[Role.QA_RA_MANAGER],
        f"/execution/returns/{ra.pk}/amend/",
        {"line": "", "expected": "3"},
    )
    assert (status, location, written) == (302, f"/execution/returns/{ra.pk}/", 0)


def test_a_recall_action_answers_403_to_a_role_that_sees_the_recall_but_may_not_change_it(
    world: World,
) -> None:
    recall = world.sides["A"].recall
    status, _location, written = _post(
        world.web[Role.VIEWER], f"/recalls/{recall.pk}/transition/", {"target": "closed"}
    )
    assert (status, written) == (403, 0)
    recall.refresh_from_db()
    assert recall.status == "in_execution"


def test_an_analyst_edits_a_recalls_scope_on_the_page_as_through_the_api(world: World) -> None:
    """The role table gives analysts the scope permissions; the page asked for "change recall"."""
    recall = world.sides["A"].recall
    status, location, _written = _post(
        world.web[Role.TRACEABILITY_ANALYST], f"/recalls/{recall.pk}/scope/rules/", {"kind": "lots"}
    )
    assert (status, location) == (
        302,
        f"/recalls/{recall.pk}/",
    )  # through to the form: refused there as input


@pytest.mark.parametrize(
    "url",
    ["/api/execution/returns/", "/api/execution/dispositions/", "/api/execution/work-orders/"],
)
def test_creating_through_the_api_is_refused_before_the_input_is_read(
    world: World, url: str
) -> None:
    client = world.api[Role.FINANCE]
    before = AuditEntry.objects.count()
    answers = [
        client.post(url, {}, format="json").status_code,
        client.post(url, {"recall": 1}, format="json").status_code,
    ]
    assert (answers, AuditEntry.objects.count()) == ([403, 403], before)
