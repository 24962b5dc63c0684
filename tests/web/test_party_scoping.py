"""Every URL of the project, walked as two portal users of different parties.

Party A (a distributor) and party B (a hospital) each hold their own lot and serial, each is in
its own recall with notices, a reply, a return, a destruction certificate and a work order with
evidence. For every URL pattern of the resolved URL conf (web, API and the router's), the test
requests the other party's records as A and as B: an object URL answers 403/404 (405 for the
wrong method), never 200, and no answer (lists, exports, searches, traces) contains a string
that identifies the other party. A pattern the test cannot fill fails the test, so a new page
cannot forget its scoping; the few public patterns are allowed by name, each with its reason."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.catalog.models import Lot, Serial
from medrecall.core.models import ImportRun
from medrecall.execution import services as execution
from medrecall.execution.models import (
    DestructionCertificate,
    Disposition,
    Evidence,
    ServiceProvider,
)
from medrecall.notices import replies
from medrecall.notices import services as notices
from medrecall.notices.models import Notice, NoticeRun, Offer
from medrecall.parties.models import Location, Party
from medrecall.recalls import approvals
from medrecall.recalls import services as recalls
from medrecall.recalls.models import RecallCase
from medrecall.web.file_views import FILE_KINDS
from tests.conftest import PASSWORD
from tests.execution.conftest import seed_carriers
from tests.factories import ContactFactory, DeviceModelFactory, LocationFactory, PartyFactory
from tests.traceability.scenario import CATH, PUMP, run_events

pytestmark = pytest.mark.django_db(transaction=True)  # the task worker closes the connection

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
    secrets: list[str] = field(default_factory=list)


def _approved(manager: User, make_user: Callable[..., User], lot: Lot) -> RecallCase:
    recall = recalls.recall_open(actor=manager, title=f"{lot.number} 批召回", title_en=f"Recall of {lot.number}",
                                 products=[lot.device_model], reason="导管尖端可能断裂", reason_en="Tip may break",
                                 regimes=["nmpa"], decision_at=datetime(2025, 3, 1, tzinfo=UTC))
    recalls.recall_update(recall=recall, actor=manager, version=recall.version, hazard_description="栓塞",
                          hazard_description_en="Embolism", defect_description="尖端粘接强度不足",
                          defect_description_en="Weak bond at the tip")
    recalls.recall_transition(recall=recall, target="assessment", actor=manager)
    recalls.hazard_evaluate(recall=recall, actor=manager, severity="death", likelihood="probable")
    recalls.scope_rule_add(recall=recall, actor=manager, kind="lots", device_model=lot.device_model,
                           values=[lot.number])
    recalls.scope_freeze(recall=recall, actor=manager)
    recall = recalls.recall_transition(recall=recall, target="pending_approval", actor=manager)
    for step in sorted({s.step for s in approvals.required_steps(recall)}):
        signer = make_user(Role.QA_RA_MANAGER)
        approvals.approval_sign(recall=recall, step=step, actor=signer, password=PASSWORD, username=signer.username)
    return recalls.recall_transition(recall=recall, target="in_execution", actor=manager)


def _side(code: str, name: str, kind: str, suffix: str, *, manager: User, make_user: Callable[..., User],
          tmp_path: Path, latitude: str) -> Side:
    party = Party.objects.get(code=code)
    location = Location.objects.get(code=f"LOC-{suffix}")
    lot = Lot.objects.get(number=f"LOT-{suffix}")
    serial = Serial.objects.get(serial=f"SN-{suffix}-1")
    user = make_user(Role.PORTAL, party=party)
    recall = _approved(manager, make_user, lot)
    run = notices.notice_run_start(recall=recall, actor=manager)
    for _round in range(3):
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    notice = Notice.objects.get(recall=recall, party=party, kind="initial")
    line = replies.expected_lines(notice)[0]
    replies.reply_submit(notice=notice, respondent_name=f"Respondent {suffix}", quantities={line.key: {"on_hand": 5}})
    ra = execution.return_create(recall=recall, party=party, actor=manager)
    warehouse = make_user(Role.WAREHOUSE)
    execution.return_receive(ra=ra, actor=warehouse, gtin=CATH, lot=lot.number, quantity=2)
    disposition = execution.disposition_create(recall=recall, kind="destroy", lot=lot, quantity=2, actor=warehouse,
                                               location=Location.objects.get(code="QUAR"))
    disposition = execution.disposition_complete(disposition=disposition, actor=warehouse, method="Shredding",
                                                 place="Suzhou", performed_by="Veolia", witnesses=["Zhang Wei"])
    provider = ServiceProvider.objects.create(name=f"Service {suffix}", party=party, skills=["inspection"], capacity=5,
                                              latitude=Decimal(latitude), longitude=Decimal("113.2644"))
    provider.device_models.add(lot.device_model)
    order = execution.work_order_create(recall=recall, party=party, action="inspection", actor=manager)
    assert order.provider == provider, (order.provider, ServiceProvider.objects.all())
    evidence = execution.evidence_add(order=order, actor=user, name=f"photo-{suffix}.pdf",
                                      content=SimpleUploadedFile("p.pdf", b"%PDF-1.7\n" + suffix.encode() * 8))
    from medrecall.notices import relations

    offer = relations.offer_propose(recall=recall, party=party, kind="replacement", actor=manager,
                                    description=f"Replacement for {suffix}", quantity=1)
    import_path = tmp_path / f"parties-{suffix}.csv"
    import_path.write_text(f"code,name,party_type\n{code}-X,{name} X,{kind}\n", encoding="utf-8")
    import_run = ImportRun.objects.create(kind="parties", file_name=import_path.name, created_by=manager)
    import_run.source.save(import_path.name, io.BytesIO(import_path.read_bytes()))
    import_run.rejected_rows.save(f"rejected-{suffix}.csv", io.BytesIO(f"row,error\n1,{code}-X\n".encode()))
    secrets = [code, name, location.code, lot.number, serial.serial, recall.number, ra.number, disposition.number,
               disposition.certificate.number, order.number, f"{suffix.lower()}@{suffix.lower()}.example",
               f"Respondent {suffix}", f"photo-{suffix}", f"Replacement for {suffix}"]
    return Side(party=party, location=location, lot=lot, serial=serial, user=user, recall=recall, notice=notice,
                run=NoticeRun.objects.get(pk=run.pk), ra=ra, disposition=disposition,
                certificate=disposition.certificate, order=order, evidence=evidence, offer=offer,
                import_run=import_run, secrets=secrets)


@pytest.fixture
def sides(tmp_path: Path, manager: User, make_user: Callable[..., User], settings: Any) -> dict[str, Side]:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    own = PartyFactory(code="OWN", party_type="own_site", name="Our factory")
    LocationFactory(code="FAC", party=own, location_type="warehouse")
    LocationFactory(code="QUAR", party=own, location_type="quarantine")
    alfa = PartyFactory(code="ALFA-DIST", name="Alfa Trading 阿尔法商贸", party_type="distributor")
    bravo = PartyFactory(code="BRAVO-HOSP", name="Bravo Hospital 布拉沃医院", party_type="hospital")
    LocationFactory(code="LOC-ALFA", party=alfa, location_type="distributor_stock")
    LocationFactory(code="LOC-BRAVO", party=bravo, location_type="customer_site")
    ContactFactory(party=alfa, name="Alice Alfa", email="alfa@alfa.example", language="en", is_primary=True)
    ContactFactory(party=bravo, name="Bob Bravo", email="bravo@bravo.example", language="en", is_primary=True)
    DeviceModelFactory(udi_di=CATH, model_code="CATH", tracking="lot")
    DeviceModelFactory(udi_di=PUMP, model_code="PUMP", tracking="serial")
    assert run_events(tmp_path, EVENTS).accepted
    seed_carriers()
    a = _side("ALFA-DIST", alfa.name, "distributor", "ALFA", manager=manager, make_user=make_user,
              tmp_path=tmp_path, latitude="23.10")
    b = _side("BRAVO-HOSP", bravo.name, "hospital", "BRAVO", manager=manager, make_user=make_user,
              tmp_path=tmp_path, latitude="23.1291")  # nearer than ALFA's
    a.secrets.append("Alice Alfa")
    b.secrets.append("Bob Bravo")
    return {"A": a, "B": b}


# --- the URL conf ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    name: str  # namespaced URL name ("" for unnamed patterns)
    route: str  # the pattern text, for messages
    arguments: frozenset[str]


def walk(patterns: list[Any] | None = None, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    """Every URL pattern of the project, with the names of its arguments."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        text = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, text, inner)
        elif isinstance(entry, URLPattern):
            pattern = entry.pattern
            names = set(getattr(pattern, "converters", {}) or {}) | set(pattern.regex.groupindex)
            yield Route(f"{namespace}{entry.name}" if entry.name else "", text, frozenset(names))


# Patterns a portal user's session does not scope, each with its reason.
PUBLIC = {
    "healthz": "health check: database and queue status, no records",
    "login": "the log-in form",
    "logout": "logging out (POST ends the session the walk uses)",
    "web:set-language": "language switch: a redirect, no records",
    "api-schema": "the OpenAPI schema: the API's shape, no records",
    "api-docs": "Swagger UI page for the schema",
    "api-redoc": "ReDoc page for the schema",
    "web:notice-reply": "signed reply link: the token, not the session, names the one notice (tests/notices)",
    "web:notice-acknowledge": "signed reply link (acknowledge)",
    "web:notice-reply-pdf": "signed reply link (the holder's own notice PDF)",
    "web:notice-survey": "signed survey link",
    "web:notice-opened": "signed open-tracking pixel: a GIF, no records",
}
# Marks path arguments naming reference data both parties share (the device-model catalogue): the
# page may answer 200, but it must still not show the other party's records (e.g. its lots).
SHARED = "shared"
ENTITY_SLUGS = ("devicemodel", "lot", "serial", "party", "location", "contact", "carrier", "carrierrate",
                "serviceprovider")
# The Django admin: only ``is_staff`` users get past its log-in; portal users never are.
ADMIN_PREFIX = "admin/"


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
    # A sub-consignee this side's holder reported on a reply form (staff review pages).
    reported, _created = Party.objects.get_or_create(
        code=f"SC-SCOPE-{side.party.code}",
        defaults={"name": f"Reported by {side.party.code}", "party_type": "hospital", "review": "unverified",
                  "reported_by": side.party})
    return {
        **{name: [{"pk": reported.pk}] for name in (
            "web:party-reported-detail", "web:party-reported-verify", "web:party-reported-merge",
            "party-reported-detail", "party-reported-verify", "party-reported-merge")},
        # web: imports, recalls, notices, customers, offers, portal, execution, master data, files
        "web:import-detail": [{"pk": side.import_run.pk}],
        "web:import-rejected": [{"pk": side.import_run.pk}],
        "web:import-template": [{"kind": "parties", "fmt": "csv"}],
        **{f"web:{name}": [pk] for name in (
            "recall-detail", "recall-edit", "recall-hazard", "recall-classify", "recall-scope-rule", "recall-freeze",
            "recall-transition", "recall-impact-xlsx", "recall-sign", "recall-deadline-done", "recall-notices",
            "recall-notices-send", "recall-letters", "recall-letters-posted", "execution-recall", "execution-hold",
            "return-create", "work-order-create")},
        "web:recall-scope-rule-remove": [{"pk": recall.pk, "rule": rule.pk}],
        **{f"web:notice-template-{name}": [{"pk": side.notice.template_id}]
           for name in ("detail", "edit", "approve", "preview", "preview-pdf")},
        "web:notice-run-progress": [{"pk": side.run.pk}],
        **{f"web:notice-{name}": [{"pk": side.notice.pk}]
           for name in ("detail", "pdf", "contact", "staff-reply", "return-authorise")},
        **{f"web:customer-{name}": [{"party_pk": side.party.pk}] for name in ("detail", "offer-propose", "progress")},
        "web:offer-decide": [{"pk": side.offer.pk}],
        "web:offer-fulfil": [{"pk": side.offer.pk}],
        "web:portal-reply": [{"pk": side.notice.pk}],
        **{f"web:return-{name}": [{"pk": ra.pk}] for name in ("detail", "status", "amend", "waybill")},
        "web:warehouse-return": [{"pk": ra.pk}],
        "web:disposition-detail": [{"pk": side.disposition.pk}],
        "web:work-order-detail": [{"pk": order.pk}],
        **{f"web:entity-{name}": [{"slug": "devicemodel", "pk": side.lot.device_model_id, SHARED: True},
                                  {"slug": "party", "pk": side.party.pk}, {"slug": "location", "pk": side.location.pk},
                                  {"slug": "contact", "pk": side.party.contacts.get().pk},
                                  {"slug": "lot", "pk": side.lot.pk}, {"slug": "serial", "pk": side.serial.pk},
                                  {"slug": "carrier", "pk": carrier.pk, SHARED: True},
                                  {"slug": "carrierrate", "pk": rate.pk, SHARED: True},
                                  {"slug": "serviceprovider", "pk": provider.pk}]
           for name in ("detail", "edit")},
        "web:entity-list": [{"slug": slug} for slug in ENTITY_SLUGS],
        "web:entity-create": [{"slug": slug} for slug in ENTITY_SLUGS],
        "web:recall-closure-exception": [pk],
        "web:file": [{"kind": kind, "pk": record.pk} for kind, record in (
            ("certificate", side.certificate), ("evidence", side.evidence), ("notice", side.notice),
            ("import-source", side.import_run), ("import-rejected", side.import_run))],
        # API
        **{name: [pk] for name in (
            "recall-detail", "recall-hazard", "recall-classify", "recall-scope-rules", "recall-scope-freeze",
            "recall-impact", "recall-transition", "recall-sign", "recall-deadlines", "notice-run-start",
            "notice-letters", "notice-progress-update", "execution-accounting", "execution-holds",
            "execution-hold-release")},
        "notice-run": [{"pk": side.run.pk}],
        **{name: [{"pk": side.notice.pk}] for name in ("notice-detail", "notice-pdf", "notice-contact-log",
                                                       "notice-reply")},
        "notice-template-detail": [{"pk": side.notice.template_id}],
        "notice-template-approve": [{"pk": side.notice.template_id}],
        "customer-timeline": [{"pk": side.party.pk}],
        "offer-decision": [{"pk": side.offer.pk}],
        **{name: [{"pk": ra.pk}] for name in ("return-detail", "return-status", "return-amend", "return-receive",
                                               "return-waybill")},
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
    }


def _event_pk(side: Side) -> int:
    from medrecall.traceability.models import TraceEvent

    event = TraceEvent.objects.filter(lot=side.lot).first()
    assert event is not None
    return int(event.pk)


def queries_about(side: Side) -> dict[str, list[str]]:
    """For patterns without arguments that take a query: the queries that name ``side``'s records."""
    lot, serial, recall = side.lot, side.serial, side.recall
    trace = [f"gtin={CATH}&lot={lot.number}", f"gtin={CATH}&lot={lot.number}&format=xlsx",
             f"gtin={CATH}&lot={lot.number}&direction=backward", f"gtin={PUMP}&serial={serial.serial}",
             f"gtin={PUMP}&serial={serial.serial}&direction=backward"]
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
        **{f"{name}-list": [f"search={side.party.code}"] for name in ("party", "location", "contact", "lot")},
        "web:entity-list": [f"q={side.party.code}"],
    }


def text_of(response: Any) -> str:
    """The readable text of an answer: HTML/JSON/CSV as text, Excel cell by cell, streamed files joined."""
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    if body[:2] == b"PK":  # xlsx
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    return body.decode("utf-8", errors="replace")


def client_of(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _url(route: Route, kwargs: dict[str, Any]) -> str:
    if "format" in route.arguments:
        kwargs = {**kwargs, "format": "json"}
    return reverse(route.name, kwargs=kwargs)


def routes() -> list[Route]:
    return [r for r in walk() if not r.route.startswith(ADMIN_PREFIX)]


@pytest.mark.parametrize(("viewer", "other"), [("A", "B"), ("B", "A")], ids=["A looks for B", "B looks for A"])
def test_no_portal_user_sees_another_partys_records_on_any_url(sides: dict[str, Side], viewer: str, other: str) -> None:
    me, them = sides[viewer], sides[other]
    client = client_of(me.user)
    fills, queries = objects_of(them), queries_about(them)
    unknown, leaks, opened = [], [], []
    for route in routes():
        if route.name in PUBLIC:
            continue
        arguments = route.arguments - {"format"}
        if arguments and route.name not in fills:
            unknown.append(f"{route.name or '(unnamed)'}: {route.route}")
            continue
        if not arguments and not route.name:
            unknown.append(f"(unnamed): {route.route}")
            continue
        for kwargs in fills.get(route.name, [{}]) if arguments else [{}]:
            shared = bool(kwargs.get(SHARED, False))
            base = _url(route, {k: v for k, v in kwargs.items() if k != SHARED})
            urls = [base] + [f"{base}?{q}" for q in queries.get(route.name, [])]
            for url in urls:
                for method in ("get", "post"):
                    response = getattr(client, method)(url)
                    text, asked = text_of(response), url.partition("?")[2]
                    found = [s for s in them.secrets if s in text and s not in asked]  # echoing the question is no leak
                    if found:
                        leaks.append(f"{method.upper()} {url} → {response.status_code}: {found}")
                    is_object = bool(arguments) and not shared and route.name not in ("web:entity-list", "web:entity-create",
                                                                       "web:import-template")
                    if is_object and response.status_code not in (403, 404, 405) and not (
                            method == "post" and response.status_code == 400):
                        opened.append(f"{method.upper()} {url} → {response.status_code}")
    assert not unknown, "URL patterns the scoping walk cannot fill; add them to objects_of() or PUBLIC:\n" + "\n".join(
        unknown)
    assert not leaks, "\n".join(leaks)
    assert not opened, "\n".join(opened)
    assert client.get("/admin/").status_code == 302  # the admin sends portal users to its log-in


def test_the_walk_reaches_a_portal_users_own_records(sides: dict[str, Side]) -> None:
    """The same fills open the party's own records where portal users have pages: the walk above
    is not vacuous."""
    me = sides["A"]
    client = client_of(me.user)
    own = objects_of(me)
    for name in ("web:work-order-detail", "web:portal-reply", "notice-detail", "return-detail", "web:file"):
        for kwargs in own[name]:
            if name == "web:file" and kwargs["kind"] in ("certificate", "import-source", "import-rejected"):
                continue  # staff records: portal users see no dispositions and no imports
            response = client.get(reverse(name, kwargs=kwargs))
            assert response.status_code == 200, (name, kwargs)
    reply = client.get(reverse("web:portal-reply", kwargs={"pk": me.notice.pk})).content.decode()
    assert f'href="/files/notice/{me.notice.pk}/"' in reply
    page = client.get("/trace/", {"gtin": CATH, "lot": "LOT-ALFA"}).content.decode()
    assert "LOC-ALFA" in page
    assert "LOC-BRAVO" not in page


def test_every_file_kind_is_walked(sides: dict[str, Side]) -> None:
    assert sorted(k["kind"] for k in objects_of(sides["B"])["web:file"]) == sorted(FILE_KINDS)


# Internal pages and endpoints: a portal user does not reach them at all, even for its own party
# (web `staff()` pages answer 404, role-gated pages 403; the API refuses with 403).
INTERNAL = {
    "/imports/": 403, "/recalls/": 403, "/recalls/new/": 403, "/recalls/due-this-week/": 403,
    "/notices/templates/": 404, "/notices/overdue/": 404, "/customers/": 404, "/execution/": 403,
    "/execution/warehouse/": 403, "/api/recalls/due-this-week/": 403, "/api/notice-templates/": 403,
    "/api/notices/overdue/": 403, "/api/customers/?q=ALFA": 403, "/api/offers/": 403,
    "/api/execution/dispositions/": 403, "/api/lots/": 403, "/api/serials/": 403,
}


def test_internal_pages_and_endpoints_refuse_portal_users(sides: dict[str, Side]) -> None:
    me = sides["A"]
    client = client_of(me.user)
    internal = {**INTERNAL, f"/customers/{me.party.pk}/": 404, f"/api/customers/{me.party.pk}/timeline/": 403,
                f"/recalls/{me.recall.pk}/": 403, f"/api/notices/runs/{me.run.pk}/": 404,
                f"/notices/runs/{me.run.pk}/progress/": 404, f"/execution/dispositions/{me.disposition.pk}/": 403,
                f"/files/certificate/{me.certificate.pk}/": 404, f"/files/import-source/{me.import_run.pk}/": 404}
    assert {url: client.get(url).status_code for url in internal} == internal
