"""The shape of a real recall, for ``trace_bench.py --shape recall``.

The demo's lots are large (hundreds of events each, serials, genealogy), so 1% of its lots at
1M events is only 24 lots. A distributor's recall looks different: many small lots, each with
about 11 stock moves (1.9 events a move) and a few holders, and a recall of 1% of the lots
touches thousands of holders. This module builds that shape, deterministically:

* a network per million moves (a "replica"): 250 distributors (one stock location each), each
  serving 20 hospitals of its own (5,000 hospital sites), plus the demo's own warehouse and
  quarantine;
* 94,000 lot-tracked lots per replica (two of the demo's lot-tracked device models), each:
  produced into the own warehouse (the receipt, 1 move); 2–4 direct sales to hospitals of the
  replica; replenishment of 1–2 distributors; 2–5 onward sales by each distributor to its own
  hospitals (a sale is one move: ``shipped`` and, for 96%, ``received``); for 15% of the lots a
  hospital returns some units to quarantine (``returned``, one move).

A lot's events depend only on (seed, lot index), and lot ``i`` uses replica ``i // LOTS_PER_REPLICA``,
so the first lots are the same at every size: a fixed recall drawn from them reads identical
events inside a history ten times larger.

Import this module only after ``django.setup()``.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

LOTS_PER_REPLICA = 94_000  # about 1M moves at 10.7 moves a lot
DISTRIBUTORS = 250  # per replica
HOSPITALS_PER_DISTRIBUTOR = 20
WAREHOUSE = "OWN-SH-DC"
QUARANTINE = "OWN-SH-QA"
FIRST_DAY = date(2024, 1, 2).toordinal()
IN_TRANSIT_SHARE = 0.04
RETURN_SHARE = 0.15
PRODUCT_INDEXES = (1, 3)  # the demo's lot-tracked own products (CVC kit, Foley catheter)


def distributor_code(replica: int, index: int) -> str:
    return f"RS{replica:02d}-D{index:03d}"


def hospital_code(replica: int, distributor: int, index: int) -> str:
    return f"RS{replica:02d}-D{distributor:03d}-H{index:02d}"


def replicas_for(lots: int) -> int:
    """Copies of the network the first ``lots`` lots ship to."""
    return max(1, -(-lots // LOTS_PER_REPLICA))


def create_network(replicas: int) -> int:
    """Parties and locations of ``replicas`` copies of the recall network; how many locations."""
    from medrecall.parties.models import Location, LocationType, Party, PartyType

    parties: list[Party] = []
    places: list[tuple[str, str, str, str]] = []  # (party code, location code, name, type)
    cities = (
        ("CN", "浙江省", "杭州市"),
        ("CN", "江苏省", "南京市"),
        ("CN", "广东省", "广州市"),
        ("CN", "四川省", "成都市"),
        ("CN", "湖北省", "武汉市"),
    )
    for replica in range(replicas):
        for d in range(DISTRIBUTORS):
            country, province, city = cities[d % len(cities)]
            code = distributor_code(replica, d)
            parties.append(
                Party(
                    code=code,
                    name=f"{city}召回演练经销商{replica:02d}-{d:03d}",
                    name_en=f"Recall drill distributor {replica:02d}-{d:03d}",
                    party_type=PartyType.DISTRIBUTOR,
                    country=country,
                    province=province,
                    city=city,
                )
            )
            places.append(
                (
                    code,
                    f"{code}-W",
                    f"{city}召回演练经销商{replica:02d}-{d:03d} 仓库",
                    LocationType.DISTRIBUTOR_STOCK,
                )
            )
            for h in range(HOSPITALS_PER_DISTRIBUTOR):
                hospital = hospital_code(replica, d, h)
                parties.append(
                    Party(
                        code=hospital,
                        name=f"{city}第{replica * 10000 + d * 100 + h}人民医院",
                        name_en=f"{city} People's Hospital No. {replica * 10000 + d * 100 + h}",
                        party_type=PartyType.HOSPITAL,
                        country=country,
                        province=province,
                        city=city,
                    )
                )
                places.append(
                    (
                        hospital,
                        f"{hospital}-S",
                        f"{city}第{replica * 10000 + d * 100 + h}人民医院 设备科",
                        LocationType.CUSTOMER_SITE,
                    )
                )
    Party.objects.bulk_create(parties, batch_size=5000)
    ids = dict(Party.objects.filter(code__startswith="RS").values_list("code", "pk"))
    by_code = {p.code: p for p in parties}
    Location.objects.bulk_create(
        [
            Location(
                code=code,
                name=name,
                location_type=kind,
                party_id=ids[party],
                country=by_code[party].country,
                province=by_code[party].province,
                city=by_code[party].city,
            )
            for party, code, name, kind in places
        ],
        batch_size=5000,
    )
    return len(places)


def lot_events(seed: int, index: int) -> tuple[list[tuple[str, ...]], int]:
    """(the events of lot ``index`` as rows of the events template, its number of moves)."""
    from medrecall.cli.demo import PRODUCTS

    rng = random.Random(seed * 1_000_003 + index)
    product = PRODUCTS[PRODUCT_INDEXES[index % len(PRODUCT_INDEXES)]]
    replica = index // LOTS_PER_REPLICA
    gtin, number = product.gtin, f"RS{product.lot_prefix}{index:08d}"
    made = FIRST_DAY + (index * 7) % 700
    rows: list[tuple[str, ...]] = []
    moves = 0
    docs = 0

    def stamp(day: int, hour: int) -> str:
        return f"{date.fromordinal(day).isoformat()}T{hour:02d}:{rng.randrange(60):02d}:00+08:00"

    def emit(
        kind: str, day: int, hour: int, quantity: int, source: str, target: str, doc: str
    ) -> None:
        first = kind == "produced"
        rows.append(
            (
                f"RS{index:08d}-{len(rows):02d}",
                kind,
                stamp(day, hour),
                gtin,
                number,
                "",
                str(quantity),
                source,
                target,
                doc,
                date.fromordinal(made).isoformat() if first else "",
                date.fromordinal(made + 3 * 365).isoformat() if first else "",
                "",
                "",
            )
        )

    def sell(source: str, target: str, quantity: int, day: int) -> bool:
        """One move: a delivery note shipped and, mostly, received; whether it arrived."""
        nonlocal moves, docs
        docs += 1
        doc = f"DN{index:08d}{docs:02d}"
        emit("shipped", day, 10, quantity, source, target, doc)
        moves += 1
        if rng.random() < IN_TRANSIT_SHARE:
            return False
        emit("received", day + rng.randint(1, 3), 15, quantity, source, target, doc)
        return True

    quantity = rng.randrange(200, 1001, 10)
    emit("produced", made, 8, quantity, "", WAREHOUSE, f"MO-{number}")
    moves += 1
    day = made + rng.randint(1, 5)
    distributors = rng.sample(range(DISTRIBUTORS), rng.randint(1, 2))
    direct = rng.sample(range(DISTRIBUTORS * HOSPITALS_PER_DISTRIBUTOR), rng.randint(2, 4))
    share = (
        quantity * 9 // 10 // (len(distributors) * 3 + len(direct))
    )  # a distributor takes three shares
    arrived: list[tuple[str, int, int]] = []  # (hospital, quantity, day)
    for hospital in direct:
        target = hospital_code(
            replica, hospital // HOSPITALS_PER_DISTRIBUTOR, hospital % HOSPITALS_PER_DISTRIBUTOR
        )
        code = f"{target}-S"
        if sell(WAREHOUSE, code, share, day):
            arrived.append((code, share, day + 3))
        day += rng.randint(0, 3)
    for distributor in distributors:
        stock = f"{distributor_code(replica, distributor)}-W"
        if not sell(WAREHOUSE, stock, 3 * share, day):
            continue
        onward_day = day + rng.randint(3, 20)
        customers = rng.sample(range(HOSPITALS_PER_DISTRIBUTOR), rng.randint(2, 5))
        part = 3 * share * 4 // 5 // len(customers)
        for hospital in customers:
            code = f"{hospital_code(replica, distributor, hospital)}-S"
            if sell(stock, code, part, onward_day):
                arrived.append((code, part, onward_day + 3))
            onward_day += rng.randint(0, 5)
    if arrived and rng.random() < RETURN_SHARE:
        code, held, when = rng.choice(arrived)
        returned = max(1, held // rng.randint(2, 5))
        emit(
            "returned",
            when + rng.randint(10, 60),
            11,
            returned,
            code,
            QUARANTINE,
            f"RMA{index:08d}",
        )
        moves += 1
    return rows, moves


def write_recall_events(path: Path, *, moves: int, seed: int) -> tuple[int, int, int]:
    """Write lots until ``moves`` stock moves (whole lots); (events, moves, lots) written."""
    from medrecall.cli.demo import EVENT_FIELDS

    events = done = lots = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(EVENT_FIELDS) + "\n")
        batch: list[str] = []
        while done < moves:
            rows, count = lot_events(seed, lots)
            batch.extend(map(",".join, rows))
            events += len(rows)
            done += count
            lots += 1
            if len(batch) >= 50_000:
                out.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            out.write("\n".join(batch) + "\n")
    return events, done, lots


def recall_lots(seed: int, share: float, fixed: int) -> tuple[list[int], list[int]]:
    """(a seeded share of all lots of this shape, ``fixed`` lots of the first replica) as ids."""
    from medrecall.catalog.models import Lot

    ids = sorted(Lot.objects.filter(number__startswith="RS").values_list("pk", flat=True))
    recall = sorted(random.Random(seed).sample(ids, max(1, round(len(ids) * share))))
    first = random.Random(seed + 1).sample(range(min(LOTS_PER_REPLICA, len(ids))), fixed)
    numbers = [lot_number(index) for index in first]
    growth = sorted(Lot.objects.filter(number__in=numbers).values_list("pk", flat=True))
    return recall, growth


def lot_number(index: int) -> str:
    from medrecall.cli.demo import PRODUCTS

    return f"RS{PRODUCTS[PRODUCT_INDEXES[index % len(PRODUCT_INDEXES)]].lot_prefix}{index:08d}"
