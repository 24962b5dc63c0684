"""Notice benchmark: N holders → notices rendered (HTML + PDF) and handed to SMTP, against the
design's budget (10,000 in ≤ 60 s on 2 cores with the default worker).

    .venv/bin/python bench/notices_bench.py [--holders 10000] [--workers 1] [--db sqlite|postgres]

Builds a fresh database (SQLite file in ``bench/out/`` or the PostgreSQL database of
``--database-url``) with N hospitals (one e-mail contact each), one lot shipped to all of
them (2N + 1 events through the product's event import), an approved recall with its scope
frozen, and a real SMTP server on 127.0.0.1 (aiosmtpd, in its own process, counting what it
accepts). It then starts the product's send run and times it from the click to the last
message accepted by the SMTP server, with ``--workers`` task-queue worker processes
(``medrecall db_worker``; the embedded default runs one). It also times the rendering of one
notice (HTML + PDF) in-process, the lower bound per notice that the run is compared with.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
PROJECT_DIR = BENCH_DIR.parent
BUDGET_SECONDS_PER_10K = 60.0


def say(text: str = "") -> None:
    print(text, flush=True)


def smtp_sink(port: int, counter: Any, ready: Any) -> None:
    """A real SMTP server that accepts everything and counts the messages (its own process)."""
    import asyncio

    from aiosmtpd.controller import Controller

    class Count:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            with counter.get_lock():
                counter.value += 1
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    asyncio.run(asyncio.sleep(10**6))


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def setup_database(args: argparse.Namespace) -> str:
    OUT_DIR.mkdir(exist_ok=True)
    if args.db == "sqlite":
        path = OUT_DIR / f"notices-{args.holders}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    url = args.database_url
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return str(url)


def build(holders: int, tmp: Path) -> int:
    """Master data, events, an approved recall with its scope frozen; returns the recall id."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from medrecall.accounts.models import User
    from medrecall.catalog.models import DeviceModel
    from medrecall.parties.models import Contact, Location, Party
    from medrecall.recalls import services
    from medrecall.recalls.models import RecallCase
    from medrecall.traceability.importing.events import EventImporter

    own = Party.objects.create(code="OWN", name="Own factory", party_type="own_site", country="CN")
    Location.objects.create(
        code="FAC", name="Factory", party=own, location_type="warehouse", country="CN"
    )
    parties = Party.objects.bulk_create(
        [
            Party(
                code=f"H{n:05d}",
                name=f"第{n}人民医院",
                name_en=f"People's Hospital No. {n}",
                party_type="hospital",
                country="CN",
                city="苏州",
                address=f"人民路 {n} 号",
                language="zh-hans" if n % 2 else "en",
            )
            for n in range(holders)
        ],
        batch_size=2000,
    )
    parties = list(Party.objects.filter(code__startswith="H").order_by("code"))
    Location.objects.bulk_create(
        [
            Location(
                code=f"L{p.code}", name=p.name, party=p, location_type="customer_site", country="CN"
            )
            for p in parties
        ],
        batch_size=2000,
    )
    Contact.objects.bulk_create(
        [
            Contact(
                party=p,
                name=f"设备科 {p.code}",
                email=f"{p.code.lower()}@hospital.example",
                language=p.language,
                is_primary=True,
            )
            for p in parties
        ],
        batch_size=2000,
    )
    model = DeviceModel.objects.create(
        udi_di="06950000000019", model_code="CATH", name="导管", tracking="lot"
    )
    events = tmp / "events.csv"
    with events.open("w", encoding="utf-8") as out:
        out.write(
            "event_id,event_type,event_time,gtin,lot,serial,quantity,from_location,to_location,document_ref,"
            "manufactured,expiry,into_gtin,into_lot\n"
        )
        out.write(
            f"P1,produced,2025-01-10T08:00:00+08:00,{model.udi_di},B1,,{holders * 10},,FAC,WO-1,2025-01-10,"
            "2028-01-09,,\n"
        )
        for n, party in enumerate(parties):
            for kind in ("shipped", "received"):
                out.write(
                    f"{kind[0]}{n},{kind},2025-02-0{1 if kind == 'shipped' else 2}T08:00:00+08:00,"
                    f"{model.udi_di},B1,,{1 + n % 10},FAC,L{party.code},DN-{n},,,,\n"
                )
    outcome = EventImporter().run(events, file_name="events.csv")
    if not outcome.accepted:
        raise SystemExit(f"the events were refused: {outcome.errors[:3]}")
    manager = User.objects.create_user(username="bench", password="bench", is_superuser=True)  # noqa: S106
    recall = services.recall_open(
        actor=manager,
        title="Catheter tip fracture",
        products=[model],
        reason="The tip may break off.",
        regimes=["nmpa"],
        decision_at=datetime(2025, 3, 1, tzinfo=UTC),
    )
    services.recall_transition(recall=recall, target="assessment", actor=manager)
    services.hazard_evaluate(
        recall=recall, actor=manager, severity="serious", likelihood="probable"
    )
    services.scope_rule_add(
        recall=recall, actor=manager, kind="lots", device_model=model, values=["B1"]
    )
    services.scope_freeze(recall=recall, actor=manager)
    RecallCase.objects.filter(pk=recall.pk).update(
        status="in_execution"
    )  # approvals are not what is measured
    return int(recall.pk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--holders", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:55432/medrecall_notices_bench"
    )
    args = parser.parse_args()

    url = setup_database(args)
    media = OUT_DIR / "notices-media"
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="medrecall.settings.base",
        MEDIA_ROOT=str(media),
        MEDRECALL_TASK_BACKEND="database",
        LOG_LEVEL="WARNING",
    )
    env.pop("REDIS_URL", None)
    os.environ.update(env)
    sys.path.insert(0, str(PROJECT_DIR / "src"))
    import django

    django.setup()
    tmp = OUT_DIR / "notices-tmp"
    tmp.mkdir(exist_ok=True)
    started = time.perf_counter()
    recall_id = build(args.holders, tmp)
    say(
        f"set-up: {args.holders:,} holders, scope frozen in {time.perf_counter() - started:.1f} s ({url.split('://')[0]})"
    )

    counter, ready = multiprocessing.Value("i", 0), multiprocessing.Event()
    port = free_port()
    sink = multiprocessing.Process(target=smtp_sink, args=(port, counter, ready), daemon=True)
    sink.start()
    ready.wait(10)
    os.environ.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port))
    env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port))
    from django.conf import settings

    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port

    from medrecall.notices import issuing, rendering, send_runs
    from medrecall.notices.models import Notice, NoticeRun
    from medrecall.recalls.models import RecallCase

    recall = RecallCase.objects.get(pk=recall_id)
    # The lower bound per notice: rendering one (HTML + PDF) in this process, warm.
    one = issuing.notices_create(
        recall=recall,
        run=None,
        kind="progress",
        party_ids=[Notice._meta.get_field("party").related_model.objects.get(code="H00001").pk],
    )  # type: ignore[union-attr]
    notice = Notice.objects.select_related("recall", "party", "contact", "template").get(pk=one[0])
    rendering.notice_render(notice, progress_message="warm-up")
    samples = []
    for _ in range(20):
        tick = time.perf_counter()
        rendering.notice_render(notice, progress_message="x")
        samples.append(time.perf_counter() - tick)
    render_one = sorted(samples)[len(samples) // 2]
    Notice.objects.filter(pk__in=one).delete()

    clock = time.perf_counter()
    run = send_runs.notice_run_start(recall=recall, actor=None)
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "medrecall.cli",
                "db_worker",
                "--no-startup-delay",
                "--interval",
                "0.05",
            ],
            env=env,
            cwd=PROJECT_DIR,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(args.workers)
    ]
    total = None
    try:
        last = -1
        while True:
            time.sleep(0.25)
            run.refresh_from_db()
            total = run.total or total
            done = counter.value
            if done != last and int(time.perf_counter() - clock) % 5 == 0:
                say(
                    f"  {time.perf_counter() - clock:6.1f} s  rendered {run.rendered:,}/{run.total:,}  accepted by SMTP {done:,}"
                )
                last = done
            if run.status == NoticeRun.Status.FAILED:
                raise SystemExit(f"run failed: {run.error}")
            if total and done >= total:
                break
            if time.perf_counter() - clock > 1800:
                raise SystemExit("gave up after 30 minutes")
        elapsed = time.perf_counter() - clock
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
        sink.terminate()
    sent = Notice.objects.filter(recall=recall, status="sent").count()
    budget = BUDGET_SECONDS_PER_10K * args.holders / 10_000
    say()
    say(
        f"notices: {total:,} rendered (HTML + PDF) and accepted by SMTP in {elapsed:.1f} s "
        f"with {args.workers} worker(s): {total / elapsed:,.0f}/s; {sent:,} marked sent"
    )
    say(f"budget {budget:.0f} s: {elapsed / budget:.2f}x of the budget")
    say(
        f"one notice rendered in-process: {render_one * 1000:.1f} ms; {args.workers} worker(s) at that pace: "
        f"{render_one * total / args.workers:.1f} s; the run takes {elapsed / (render_one * total / args.workers):.2f}x that"
    )
    results = OUT_DIR / "notices.json"
    history = json.loads(results.read_text()) if results.exists() else []
    history.append(
        {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "holders": args.holders,
            "db": args.db,
            "workers": args.workers,
            "seconds": round(elapsed, 1),
            "render_one_ms": round(render_one * 1000, 2),
            "sent": sent,
        }
    )
    results.write_text(json.dumps(history, indent=2))


if __name__ == "__main__":
    main()
