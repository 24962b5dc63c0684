"""Cockpit benchmark: one recall of 1,000,000 affected units over 10,000 holders, its cockpit
page and progress API, and the home page, under concurrent users (locust) against the
production server setup of the README (a WSGI server with several workers).

    .venv/bin/python bench/cockpit_bench.py --db postgres [--users 50] [--workers 4]
    .venv/bin/python bench/cockpit_bench.py --db sqlite --users 10

Builds a fresh database (SQLite file in ``bench/out/`` or the PostgreSQL database of
``--database-url``): 10,000 hospitals over China's provinces and a few other countries, ten
lots of 100,000 units each shipped 100 units per holder through the product's event import
(20,010 events), an approved recall with its scope frozen by the trace engine (1,000,000
units), and notices at every stage (sent, delivered, acknowledged, replied) written in bulk.
It then counts the queries of each page in-process, starts gunicorn
(``medrecall.wsgi:application``, ``--workers``; gunicorn is not a MedRecall dependency:
install it beside, e.g. ``pip install --target /tmp/tools gunicorn`` and pass
``--gunicorn-path /tmp/tools``), asks each page once (the cold figures, before the cache keeps
them), and runs locust headless (``bench/cockpit_locustfile.py``) for ``--seconds``. The
``/healthz`` answer, asked in the same run, is the floor every page is compared with.
Budgets (p95): cockpit page and API 200 ms and home 300 ms on PostgreSQL with 50 users; every
page 500 ms on SQLite with 10 users.

``--reuse`` keeps the database an earlier run built (migrated, not rebuilt); ``--profile N``
answers each page once (figures kept), lists the slowest statements of one request and
profiles N more; ``--statements N`` times the pages in-process, counted and kept.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
PROJECT_DIR = BENCH_DIR.parent
PROVINCES = [
    "CN-BJ",
    "CN-SH",
    "CN-TJ",
    "CN-CQ",
    "CN-GD",
    "CN-JS",
    "CN-ZJ",
    "CN-SD",
    "CN-HE",
    "CN-HA",
    "CN-HB",
    "CN-HN",
    "CN-SC",
    "CN-FJ",
    "CN-AH",
    "CN-LN",
    "CN-SN",
    "CN-JX",
    "CN-GX",
    "CN-YN",
    "CN-GZ",
    "CN-SX",
    "CN-JL",
    "CN-HL",
    "CN-NM",
    "CN-XJ",
    "CN-GS",
    "CN-HI",
    "CN-NX",
    "CN-QH",
    "CN-XZ",
]
ABROAD = ("US", "DE", "FR", "JP", "KR", "GB", "AU", "BR", "IN", "SG")
LOTS = 10


def say(text: str = "") -> None:
    print(text, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def setup_database(args: argparse.Namespace) -> str:
    OUT_DIR.mkdir(exist_ok=True)
    if args.db == "sqlite":
        path = OUT_DIR / f"cockpit-{args.holders}.sqlite3"
        if args.reuse:
            return f"sqlite:///{path}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    url = str(args.database_url)
    name = url.rsplit("/", 1)[1]
    if args.reuse:
        return url
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return url


def _holders(holders: int) -> list[Any]:
    from medrecall.parties.models import Location, Party

    own = Party.objects.create(code="OWN", name="本厂", party_type="own_site", country="CN")
    Location.objects.create(code="FAC", name="Factory", party=own, location_type="warehouse")
    rows = []
    for n in range(holders):
        abroad = n % 20 == 0
        country = ABROAD[n % len(ABROAD)] if abroad else "CN"
        province = "" if abroad else PROVINCES[n % len(PROVINCES)]
        rows.append(
            Party(
                code=f"H{n:05d}",
                name=f"第{n}人民医院",
                name_en=f"Hospital No. {n}",
                party_type="hospital" if n % 4 else "distributor",
                country=country,
                province_code=province,
            )
        )
    Party.objects.bulk_create(rows, batch_size=2000)
    parties = list(Party.objects.filter(code__startswith="H").order_by("code"))
    Location.objects.bulk_create(
        [
            Location(
                code=f"L{p.code}",
                name=p.name,
                party=p,
                location_type="customer_site",
                country=p.country,
                province_code=p.province_code,
            )
            for p in parties
        ],
        batch_size=2000,
    )
    return parties


def _events(parties: list[Any], units: int, tmp: Path, gtin: str) -> None:
    from medrecall.traceability.importing.events import EventImporter

    each = units // len(parties)
    per_lot = each * len(parties) // LOTS
    path = tmp / "events.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(
            "event_id,event_type,event_time,gtin,lot,serial,quantity,from_location,to_location,"
            "document_ref,manufactured,expiry,into_gtin,into_lot\n"
        )
        for lot in range(LOTS):
            out.write(
                f"P{lot},produced,2025-01-10T08:00:00+08:00,{gtin},B{lot},,{per_lot},,FAC,WO-{lot},"
                "2025-01-10,2028-01-09,,\n"
            )
        for n, party in enumerate(parties):
            for kind, day in (("shipped", "01"), ("received", "02")):
                out.write(
                    f"{kind[0]}{n},{kind},2025-02-{day}T08:00:00+08:00,{gtin},B{n % LOTS},,{each},"
                    f"FAC,L{party.code},DN-{n},,,,\n"
                )
    outcome = EventImporter().run(path, file_name="events.csv")
    if not outcome.accepted:
        raise SystemExit(f"the events were refused: {outcome.errors[:3]}")


def _notices(recall: Any, parties: list[Any]) -> None:
    """Notices at every stage, and the replies, written in bulk (the send run is not measured)."""
    from medrecall.notices.models import Notice, Reply

    now = datetime.now(UTC)
    stages = ("generated", "sent", "delivered", "delivered", "opened", "acknowledged", "replied")
    Notice.objects.bulk_create(
        [
            Notice(
                recall=recall,
                party=p,
                recipient_key=f"{p.pk}:0",
                kind="initial",
                regime="nmpa",
                language="zh-hans",
                channel="email",
                status=stages[n % len(stages)],
                token_nonce=secrets.token_hex(8),
                sent_at=now,
            )
            for n, p in enumerate(parties)
        ],
        batch_size=2000,
    )
    Reply.objects.bulk_create(
        [
            Reply(
                notice=notice,
                recall=recall,
                party_id=notice.party_id,
                respondent_name="设备科",
                via="link",
            )
            for notice in Notice.objects.filter(recall=recall, status="replied")
        ],
        batch_size=2000,
    )


def build(holders: int, units: int, tmp: Path) -> tuple[int, int]:
    """Master data, events, an approved recall with its scope frozen; (recall id, user id)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from medrecall.accounts.models import User
    from medrecall.catalog.models import DeviceModel
    from medrecall.recalls import services
    from medrecall.recalls.models import RecallCase, Transition

    parties = _holders(holders)
    model = DeviceModel.objects.create(
        udi_di="06950000000019", model_code="CATH", name="导管", tracking="lot"
    )
    started = time.perf_counter()
    _events(parties, units, tmp, model.udi_di)
    say(f"  events imported in {time.perf_counter() - started:.1f} s")
    manager = User.objects.create_user(username="bench", password="bench", is_superuser=True)  # noqa: S106
    recall = services.recall_open(
        actor=manager,
        title="导管尖端断裂",
        products=[model],
        reason="The tip may break off.",
        regimes=["nmpa"],
        decision_at=datetime.now(UTC) - timedelta(days=30),
    )
    services.recall_transition(recall=recall, target="assessment", actor=manager)
    services.hazard_evaluate(
        recall=recall, actor=manager, severity="serious", likelihood="probable"
    )
    services.scope_rule_add(
        recall=recall,
        actor=manager,
        kind="lots",
        device_model=model,
        values=[f"B{n}" for n in range(LOTS)],
    )
    started = time.perf_counter()
    snapshot = services.scope_freeze(recall=recall, actor=manager)
    say(
        f"  scope frozen in {time.perf_counter() - started:.1f} s: {snapshot.total_units:,} units, "
        f"{snapshot.total_holders:,} parties"
    )
    # Approvals are not what is measured: the recall is put in execution 30 days ago.
    RecallCase.objects.filter(pk=recall.pk).update(status="in_execution")
    Transition.objects.create(
        recall=recall, source="pending_approval", target="in_execution", actor=manager
    )
    Transition.objects.filter(recall=recall, target="in_execution").update(
        at=datetime.now(UTC) - timedelta(days=30)
    )
    _notices(recall, parties)
    return int(recall.pk), int(manager.pk)


def reused() -> tuple[int, int]:
    """The recall and user of a database built by an earlier run (``--reuse``), migrated."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from medrecall.accounts.models import User
    from medrecall.recalls.models import RecallCase

    recall = RecallCase.objects.order_by("pk").values_list("pk", flat=True).first()
    user = User.objects.filter(username="bench").values_list("pk", flat=True).first()
    if recall is None or user is None:
        raise SystemExit("--reuse: no benchmark data in this database; run once without it")
    return int(recall), int(user)


def profiled(recall_id: int, user_id: int, times: int) -> None:
    """Where a kept page's time goes: each page answered once to keep its figures, then
    ``times`` times under cProfile, with the slowest statements of one request."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from medrecall.accounts.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(pk=user_id))
    for name, url in pages(recall_id).items():
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:8]
        say(f"--- {name}: {len(captured)} queries, slowest:")
        for query in slowest:
            say(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:300]}")
        profile = cProfile.Profile()
        profile.enable()
        for _n in range(times):
            client.get(url)
        profile.disable()
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(20)


def cpu_per_request(recall_id: int, user_id: int, times: int) -> dict[str, dict[str, Any]]:
    """CPU time of this process per kept request (``time.process_time``, which the other
    processes on a shared machine do not inflate as they do wall time), and its queries, each
    page asked ``times`` times through Django's WSGI handler as a WSGI server asks it: the
    request's signals run, so the database connection is closed or kept at the end of each
    request as ``CONN_MAX_AGE`` says (the test client keeps it open, which hides the cost of
    connecting). The database server's own CPU is not in these figures."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test import RequestFactory

    session, token = credentials(user_id)
    handler = WSGIHandler()
    found: dict[str, dict[str, Any]] = {}

    def ask(url: str) -> int:
        extra = {"HTTP_COOKIE": f"sessionid={session}", "HTTP_HOST": "127.0.0.1"}
        if url.startswith("/api/"):
            extra["HTTP_AUTHORIZATION"] = f"Token {token}"
        environ = RequestFactory()._base_environ(PATH_INFO=url, REQUEST_METHOD="GET", **extra)
        status: list[str] = []
        answer = handler(environ, lambda code, headers, *rest: status.append(code))
        b"".join(answer)
        answer.close()  # request_finished: close_old_connections, as the WSGI server does
        return int(status[0].split()[0])

    for name, url in pages(recall_id).items():
        for _warm in range(2):
            if ask(url) != 200:
                raise SystemExit(f"{url} did not answer 200")
        executed: list[str] = []

        def counting(
            execute: Any, sql: str, params: Any, many: bool, context: Any, seen: Any = executed
        ) -> Any:
            seen.append(sql)
            return execute(sql, params, many, context)

        # Counted by a wrapper: the request's start clears the connection's query log.
        with connection.execute_wrapper(counting):
            ask(url)
        samples = []
        for _n in range(times):
            tick = time.process_time()
            ask(url)
            samples.append((time.process_time() - tick) * 1000)
        samples.sort()
        found[name] = {
            "queries": len(executed),
            "cpu_ms_median": round(samples[len(samples) // 2], 1),
            "cpu_ms_min": round(samples[0], 1),
            "cpu_ms_p90": round(samples[int(len(samples) * 0.9) - 1], 1),
        }
    return found


def query_counts(recall_id: int, user_id: int) -> dict[str, dict[str, int]]:
    """Queries per page, in-process (the same pages locust asks for): with the figures
    computed (cache empty) and kept (the second request)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from medrecall.accounts.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(pk=user_id))
    found: dict[str, dict[str, int]] = {}
    for name, url in pages(recall_id).items():
        cache.clear()
        for state in ("computed", "kept"):
            with CaptureQueriesContext(connection) as captured:
                answer = client.get(url)
            if answer.status_code != 200:
                raise SystemExit(f"{url} answered {answer.status_code}")
            found.setdefault(name, {})[state] = len(captured)
    return found


def pages(recall_id: int) -> dict[str, str]:
    return {
        "cockpit": f"/recalls/{recall_id}/cockpit/",
        "progress API": f"/api/recalls/{recall_id}/progress/",
        "home": "/",
        "healthz": "/healthz",
    }


def credentials(user_id: int) -> tuple[str, str]:
    """A session cookie and an API token for the benchmark user."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from rest_framework.authtoken.models import Token

    from medrecall.accounts.models import User

    user = User.objects.get(pk=user_id)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    token, _new = Token.objects.get_or_create(user=user)
    return str(session.session_key), token.key


def serve(args: argparse.Namespace, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server_env = dict(
        env, PYTHONPATH=os.pathsep.join([args.gunicorn_path, str(PROJECT_DIR / "src")])
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "medrecall.wsgi:application",
            "--workers",
            str(args.workers),
            # gthread: each worker answers --threads requests at once (one database connection
            # each) and keeps the client's connection alive; --threads 1: sync workers.
            *(
                ["--worker-class", "gthread", "--threads", str(args.threads)]
                if args.threads > 1
                else []
            ),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            # The first request counts the whole scope (seconds on PostgreSQL, longer on
            # SQLite): more than gunicorn's default 30 s before it kills a worker.
            "--timeout",
            "600",
        ],
        env=server_env,
        cwd=PROJECT_DIR,
    )


def cold(base: str, url: str, session: str, token: str) -> float:
    request = urllib.request.Request(base + url)  # noqa: S310
    request.add_header("Cookie", f"sessionid={session}")
    if url.startswith("/api/"):
        request.add_header("Authorization", f"Token {token}")
    tick = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as answer:  # noqa: S310
        answer.read()
    return time.perf_counter() - tick


def one_by_one(base: str, url: str, session: str, token: str, times: int = 20) -> dict[str, int]:
    """The lower bound: the page asked ``times`` times one after another (no other user), warm."""
    samples = sorted(cold(base, url, session, token) for _ in range(times))
    return {
        "p50": round(samples[len(samples) // 2] * 1000),
        "p95": round(samples[int(len(samples) * 0.95) - 1] * 1000),
    }


def wait_up(base: str) -> None:
    for _ in range(120):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=5).read()  # noqa: S310
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not come up")


def run_locust(
    args: argparse.Namespace, env: dict[str, str], base: str
) -> dict[str, dict[str, float]]:
    prefix = OUT_DIR / f"cockpit-{args.db}-{args.users}u"
    subprocess.run(
        [
            str(Path(sys.executable).with_name("locust")),
            "-f",
            str(BENCH_DIR / "cockpit_locustfile.py"),
            "--headless",
            "--users",
            str(args.users),
            "--spawn-rate",
            str(max(args.users // 5, 1)),
            "--run-time",
            f"{args.seconds}s",
            "--host",
            base,
            "--csv",
            str(prefix),
            "--only-summary",
        ],
        env=env,
        check=False,
    )
    found = {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as stats:
        for row in csv.DictReader(stats):
            found[row["Name"]] = {
                "requests": float(row["Request Count"]),
                "failures": float(row["Failure Count"]),
                "p50": float(row["50%"]),
                "p95": float(row["95%"]),
                "rps": float(row["Requests/s"]),
            }
    return found


# execution's _SCOPED_POSITIONS before issue 16's review: every frozen line joined with every
# position of its lot, then DISTINCT (kept here to measure the statement that replaced it in
# the same run, on the same data).
SCOPED_POSITIONS_BEFORE = """
    SELECT scoped.snapshot_id, position.lot_id, location.location_type, party.party_type,
           SUM(position.on_hand), SUM(position.in_transit)
    FROM (SELECT DISTINCT line.snapshot_id, snapshot.recall_id, position.id AS position_id
          FROM recalls_affectedline line
          JOIN recalls_scopesnapshot snapshot ON snapshot.id = line.snapshot_id
          JOIN traceability_position position ON position.lot_id = line.lot_id
               AND (line.serial_id IS NULL OR position.serial_id = line.serial_id)
          WHERE line.snapshot_id IN ({snapshots})) scoped
    JOIN traceability_position position ON position.id = scoped.position_id
    JOIN parties_location location ON location.id = position.location_id
    JOIN parties_party party ON party.id = location.party_id
    WHERE party.party_type <> %s
      AND NOT EXISTS (SELECT 1 FROM execution_disposition done
                      WHERE done.recall_id = scoped.recall_id AND done.status = %s
                        AND done.serial_id = position.serial_id)
    GROUP BY scoped.snapshot_id, position.lot_id, location.location_type, party.party_type
"""


def _timed(run: Any, times: int) -> list[float]:
    found = []
    for _n in range(times):
        started = time.perf_counter()
        run()
        found.append(round((time.perf_counter() - started) * 1000, 1))
    return found


def statements(recall_id: int, user_id: int, times: int) -> dict[str, Any]:
    """In-process, one request at a time: the positions statement before and after (the same
    rows), the figures counted afresh, and the cockpit page and progress API each answered
    with the figures counted (cache empty) and kept."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from medrecall.accounts.models import User
    from medrecall.execution import selectors
    from medrecall.execution.lifecycle import TaskStatus
    from medrecall.parties.models import PartyType
    from medrecall.recalls.models import RecallCase
    from medrecall.reporting.progress import compute_progress
    from medrecall.traceability.engine import trace_settings

    recall = RecallCase.objects.get(pk=recall_id)
    snapshot = recall.snapshots.order_by("-sequence").values_list("pk", flat=True).first()
    rows: dict[str, Any] = {}

    def positions(sql: str, name: str) -> None:
        with trace_settings(), connection.cursor() as cursor:
            cursor.execute(
                sql.format(snapshots="%s"), [snapshot, PartyType.SUPPLIER, TaskStatus.DONE]
            )
            rows[name] = sorted(cursor.fetchall())

    found: dict[str, Any] = {
        "positions before (ms)": _timed(
            lambda: positions(SCOPED_POSITIONS_BEFORE, "before"), times
        ),
        "positions after (ms)": _timed(
            lambda: positions(selectors._SCOPED_POSITIONS, "after"), times
        ),
    }
    found["same rows"] = rows["before"] == rows["after"]
    found["accounting_for (ms)"] = _timed(lambda: selectors.accounting_for([recall]), times)
    found["compute_progress (ms)"] = _timed(lambda: compute_progress(recall), times)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(pk=user_id))
    for name, url in pages(recall_id).items():

        def counted(url: str = url) -> None:
            cache.clear()
            kept(url)

        def kept(url: str = url) -> None:
            if client.get(url).status_code != 200:
                raise SystemExit(f"{url} did not answer 200")

        found[f"{name} counted (ms)"] = _timed(counted, times)
        found[f"{name} kept (ms)"] = _timed(kept, times * 4)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:55432/mr_cockpit_bench"
    )
    parser.add_argument("--holders", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per worker: above 1, gunicorn's gthread workers (1: sync workers)",
    )
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--gunicorn-path", default=os.environ.get("GUNICORN_PATH", ""))
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database an earlier run built (migrated, not rebuilt)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="in-process only: profile each page kept, N requests, and list its slowest statements",
    )
    parser.add_argument(
        "--cpu",
        type=int,
        default=0,
        metavar="N",
        help="in-process only: CPU time (process_time) and queries per kept request of each "
        "page, N requests each, through the WSGI handler",
    )
    parser.add_argument(
        "--statements",
        type=int,
        default=0,
        metavar="N",
        help="in-process only, no server: time the positions statement before and after, the "
        "figures and each page N times, one request at a time (no locust)",
    )
    args = parser.parse_args()

    url = setup_database(args)
    data_dir = OUT_DIR / f"cockpit-data-{args.db}"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="medrecall.settings.base",
        MEDRECALL_DATA_DIR=str(data_dir),
        MEDRECALL_TASK_BACKEND="database",
        SECRET_KEY=secrets.token_urlsafe(50),
        LOG_LEVEL="WARNING",
    )
    env.pop("REDIS_URL", None)
    os.environ.update(env)
    sys.path.insert(0, str(PROJECT_DIR / "src"))
    import django

    django.setup()
    say(f"load average before: {os.getloadavg()}")
    started = time.perf_counter()
    tmp = OUT_DIR / "cockpit-tmp"
    tmp.mkdir(exist_ok=True)
    if args.reuse:
        recall_id, user_id = reused()
    else:
        recall_id, user_id = build(args.holders, args.units, tmp)
    say(f"set-up in {time.perf_counter() - started:.1f} s ({args.db})")
    if args.profile:
        profiled(recall_id, user_id, args.profile)
        return
    if args.cpu:
        load = os.getloadavg()
        cpu = cpu_per_request(recall_id, user_id, args.cpu)
        result = {"db": args.db, "conn_max_age": os.environ.get("CONN_MAX_AGE", "default")}
        result.update(cpu=cpu, load_before=load, load_after=os.getloadavg())
        say(json.dumps(result, indent=2))
        (OUT_DIR / f"cockpit-{args.db}-cpu.json").write_text(json.dumps(result, indent=2))
        return
    counts = query_counts(recall_id, user_id)
    say(f"queries per page: {counts}")
    if args.statements:
        load = os.getloadavg()
        timed = statements(recall_id, user_id, args.statements)
        result = {"db": args.db, "units": args.units, "holders": args.holders, "queries": counts}
        result.update(timed, load_before=load, load_after=os.getloadavg())
        say(json.dumps(result, indent=2))
        (OUT_DIR / f"cockpit-{args.db}-statements.json").write_text(json.dumps(result, indent=2))
        return
    session, token = credentials(user_id)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(args, env, port)
    try:
        wait_up(base)
        from django.core.cache import cache

        cache.clear()
        first = {name: cold(base, page, session, token) for name, page in pages(recall_id).items()}
        say(
            "first answer (cold figures): "
            + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in first.items())
        )
        alone = {
            name: one_by_one(base, page, session, token) for name, page in pages(recall_id).items()
        }
        say("one user, one request at a time (ms): " + json.dumps(alone))
        load_before = os.getloadavg()
        env.update(COCKPIT_RECALL=str(recall_id), COCKPIT_SESSION=session, COCKPIT_TOKEN=token)
        stats = run_locust(args, env, base)
        load_after = os.getloadavg()
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:  # a worker still counting: stop it
            server.kill()
            server.wait(30)
    result = {
        "db": args.db,
        "users": args.users,
        "workers": args.workers,
        "threads": args.threads,
        "holders": args.holders,
        "units": args.units,
        "queries": counts,
        "first_ms": {k: round(v * 1000) for k, v in first.items()},
        "one_by_one_ms": alone,
        "stats": stats,
        "load_before": load_before,
        "load_after": load_after,
    }
    say(json.dumps(result, indent=2))
    (OUT_DIR / f"cockpit-{args.db}-{args.users}u-{args.workers}w{args.threads}t.json").write_text(
        json.dumps(result, indent=2)
    )


if __name__ == "__main__":
    main()
