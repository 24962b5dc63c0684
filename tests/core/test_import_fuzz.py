"""Every importer against generated and mutated files (issue 14, item 4): whatever the bytes,
the import accepts, accepts in part (``keep_good``), or refuses with its own rejection naming a
row; it never raises anything else, and a refused file writes nothing.

Seeds are valid files of each kind (tests/fixtures for EPCIS and GUDID); hypothesis mutates
bytes, cells, encodings and structure, and for EPCIS the parsed document itself. The suite
runs ``MEDRECALL_FUZZ_EXAMPLES`` examples per importer (default 15, derandomised so the suite
is repeatable); ``bench/fuzz_imports.py`` runs thousands with a random seed and, with
``MEDRECALL_FUZZ_REPORT`` set, each test appends what it saw to that file (JSON lines).
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import DeviceModel, Lot, Serial
from medrecall.core.errors import DomainError, ImportRejected, RowError
from medrecall.core.importing import ImportOutcome, Policy
from medrecall.core.models import WorkingDayEntry
from medrecall.core.registry import importer_for
from medrecall.notices.replies import sub_consignees_from_file
from medrecall.parties.models import Contact, Location, Party
from medrecall.recalls.calendars import calendar_import
from medrecall.traceability.models import TraceEvent
from tests.traceability.scenario import CATH, HEADER, PUMP, network

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("MEDRECALL_FUZZ_EXAMPLES", "15"))
REPORT = os.environ.get("MEDRECALL_FUZZ_REPORT", "")
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not REPORT,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
TABLES: tuple[type[Model], ...] = (
    DeviceModel,
    Lot,
    Serial,
    Party,
    Location,
    Contact,
    TraceEvent,
    AuditEntry,
    WorkingDayEntry,
)

SEEDS = {
    "products": "gtin,model_code,name,tracking,name_en,risk_class_nmpa,implantable,unit\n"
    "06950000000040,PUMP-1,输液泵,serial,Infusion pump,II,no,EA\n"
    "6950000000057,CATH-1,中心静脉导管,lot,Catheter,三类,否,BX\n",
    "lots": f"gtin,lot,manufactured,expiry,quantity_produced\n{CATH},L1,2025-01-01,2027-01-01,100\n"
    f"{CATH},L2,2025/02/01,20270201,5\n",
    "serials": f"gtin,lot,serial,manufactured\n{PUMP},P1,SN1,2025-01-01\n{PUMP},P1,SN2,\n",
    "parties": "party_code,party_name,party_type,country,city,latitude,longitude,language\n"
    "P1,瑞金医院,hospital,CN,上海,31.2,121.4,zh-hans\nP2,Dist,distributor,DE,Berlin,52.5,13.4,en\n",
    "locations": "location_code,location_name,location_type,party_code,party_name,party_type,country,province,city,"
    "latitude,longitude\nL1,Store,warehouse,P1,Own,own_site,CN,上海,上海,31.2,121.4\n",
    "contacts": "party_code,contact_name,email,phone,is_primary\nHOSP,王医生,wang@example.com,+86 21 1234,yes\n",
    "events": HEADER
    + f"F1,produced,2025-01-10T08:00:00+08:00,{CATH},FZ1,,10,,FAC,,2025-01-01,2027-01-01,,\n"
    f"F2,shipped,2025-01-11T08:00:00Z,{CATH},FZ1,,4,FAC,D1,DN-1,,,,\n"
    f"F3,received,2025-01-12T08:00:00+08:00,{CATH},FZ1,,4,FAC,D1,,,,,\n",
    "calendar": "calendar,date,kind,name\nCN,2031-10-01,holiday,国庆节\nCN,2031-10-11,workday,调休\n",
    "sub_consignees": "name,country,city,address,lot,quantity,type,contact_name\n"
    "仁济医院,CN,上海,浦建路160号,C1,3,hospital,李护士\n",
}
TOKENS = [
    "NaN",
    "inf",
    "-Infinity",
    "--5",
    "²",
    "٣",
    "1e3",
    "1_000",
    "-1",
    "0",
    "2147483648",
    "9223372036854775808",
    "9" * 5000,
    "",
    " ",
    '"',
    "'",
    ",",
    ";",
    "\t",
    "\n",
    "\r\n",
    "\x00",
    "\ufeff",
    "\ud7ff",
    "=cmd|' /C calc'!A0",
    "0001-01-01T00:00:00+08:00",
    "9999-12-31T23:59:59-08:00",
    "2025-02-30",
    "x" * 40_000,
    "中文",
    "𝟘𝟙",
    "06950000000018",
    "<",
    "&amp;",
    "]]>",
]
ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1", "cp1252", "shift_jis"]


def _counts() -> tuple[int, ...]:
    return tuple(table.objects.count() for table in TABLES)  # type: ignore[attr-defined]


def _record(kind: str, outcomes: Counter[str]) -> None:
    if REPORT:
        with open(REPORT, "a", encoding="utf-8") as report:
            report.write(json.dumps({"kind": kind, **outcomes}) + "\n")


def _check_errors(errors: list[RowError]) -> None:
    """A refusal says where: a row (1 = the header or the document), and a message."""
    assert errors
    for error in errors:
        assert error.row >= 1
        assert error.message.strip()


def _attempt(run: Callable[[], Any], outcomes: Counter[str]) -> None:
    """Run one import; check the property; count what happened. Any exception but the
    importers' own refusals (``DomainError``: ``ImportRejected`` naming rows, or a whole-file
    refusal such as a sub-consignee file without rows) fails the test."""
    before = _counts()
    refused: DomainError | None = None
    result: Any = None
    try:
        result = run()
    except DomainError as error:
        refused = error
    if refused is not None:
        assert refused.message.strip()
        if isinstance(refused, ImportRejected):
            _check_errors(refused.errors)
        assert _counts() == before
        outcomes["rejected" if isinstance(refused, ImportRejected) else "refused"] += 1
    elif isinstance(result, ImportOutcome) and not result.accepted:
        _check_errors(result.errors)
        assert _counts() == before
        outcomes["rows_rejected"] += 1
    elif isinstance(result, ImportOutcome) and result.errors:
        _check_errors(result.errors)
        outcomes["partial"] += 1
    else:
        outcomes["accepted"] += 1


# -- mutations ---------------------------------------------------------------------------------


@st.composite
def mutated_text(draw: st.DrawFn, seed: str) -> bytes:
    """The seed with cells replaced, rows repeated or dropped, then encoded and bytes mutated."""
    lines = seed.splitlines()
    for _step in range(draw(st.integers(0, 4))):
        choice = draw(st.integers(0, 5))
        index = draw(st.integers(0, len(lines) - 1)) if lines else 0
        if not lines:
            lines.append(draw(st.sampled_from(TOKENS)))
        elif choice <= 2:  # replace one cell with an interesting token or random text
            cells = lines[index].split(",")
            cell = draw(st.integers(0, len(cells) - 1))
            cells[cell] = draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=30)))
            lines[index] = ",".join(cells)
        elif choice == 3:
            lines.insert(index, lines[index])
        elif choice == 4:
            del lines[index]
        else:
            lines[index] += "," + draw(st.sampled_from(TOKENS))
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))
    encoding = draw(st.sampled_from(ENCODINGS))
    raw = text.encode(
        encoding, errors="surrogatepass" if encoding.startswith("utf-8") else "replace"
    )
    return draw(mutated_bytes(raw))


@st.composite
def mutated_bytes(draw: st.DrawFn, raw: bytes) -> bytes:
    data = bytearray(raw)
    for _step in range(draw(st.integers(0, 3))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        choice = draw(st.integers(0, 3))
        if choice == 0:
            data[at] = draw(st.integers(0, 255))
        elif choice == 1:
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif choice == 2:
            del data[at : at + draw(st.integers(1, 16))]
        else:
            del data[at:]
    return bytes(data)


def _xlsx(rows: list[list[Any]]) -> bytes:
    """The rows as a workbook, the same bytes for the same rows (hypothesis replays draws, so
    the save time in the zip entries and the document properties is fixed)."""
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    fixed = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for part in source.infolist():
            content = re.sub(
                rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                b"2025-01-01T00:00:00Z",
                source.read(part.filename),
            )
            target.writestr(
                zipfile.ZipInfo(part.filename, (2025, 1, 1, 0, 0, 0)), content, zipfile.ZIP_DEFLATED
            )
    return fixed.getvalue()


@st.composite
def mutated_workbook(draw: st.DrawFn, seed: str) -> bytes:
    """The seed as a workbook, with cells replaced by tokens, numbers or random values, or the
    sheet's XML mutated, or the zip's bytes."""
    rows: list[list[Any]] = [line.split(",") for line in seed.splitlines()]
    cell_values = st.one_of(
        st.sampled_from([t for t in TOKENS if not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", t)]),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.none(),
        st.dates(),
    )
    for _step in range(draw(st.integers(0, 4))):
        row = draw(st.integers(0, len(rows) - 1))
        column = draw(st.integers(0, len(rows[row])))
        value = draw(cell_values)
        if column < len(rows[row]):
            rows[row][column] = value
        else:
            rows[row].append(value)
    raw = _xlsx(rows)
    how = draw(st.integers(0, 3))
    if how == 0:
        return raw
    if how == 1:
        return draw(mutated_bytes(raw))
    with zipfile.ZipFile(io.BytesIO(raw)) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    if how == 2:
        parts["xl/worksheets/sheet1.xml"] = draw(mutated_bytes(sheet))
    else:
        extra = draw(
            st.sampled_from(
                [
                    b'<!DOCTYPE worksheet [<!ENTITY a "aaaa">]>',
                    b'<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/hostname">]>',
                ]
            )
        )
        parts["xl/worksheets/sheet1.xml"] = sheet.replace(b"<worksheet", extra + b"<worksheet", 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in parts.items():
            target.writestr(
                zipfile.ZipInfo(name, (2025, 1, 1, 0, 0, 0)), content, zipfile.ZIP_DEFLATED
            )
    return buffer.getvalue()


# -- the table importers, CSV and Excel ----------------------------------------------------


@pytest.fixture
def references() -> None:
    network()


def _run_table(
    tmp_path: Path, kind: str, content: bytes, suffix: str, policy: Policy
) -> Callable[[], Any]:
    path = tmp_path / f"{kind}{suffix}"
    path.write_bytes(content)
    importer = importer_for(kind)
    assert importer is not None
    chosen = policy if importer.offers_keep_good else Policy.REJECT
    return lambda: importer().run(path, file_name=path.name, policy=chosen)


TABLE_KINDS = ["products", "lots", "serials", "parties", "locations", "contacts", "events"]


@pytest.mark.parametrize("kind", TABLE_KINDS)
def test_fuzz_csv(tmp_path: Path, references: None, settings: Any, kind: str) -> None:
    outcomes: Counter[str] = Counter()

    @FUZZ
    @given(
        content=mutated_text(SEEDS[kind]),
        policy=st.sampled_from(list(Policy)),
        direct=st.booleans(),
    )
    def run(content: bytes, policy: Policy, direct: bool) -> None:
        settings.MEDRECALL_DIRECT_LOAD_MIN_BYTES = 0 if direct else 10**12  # events: both paths
        _attempt(_run_table(tmp_path, kind, content, ".csv", policy), outcomes)

    run()
    _record(f"{kind}.csv", outcomes)


@pytest.mark.parametrize("kind", TABLE_KINDS)
def test_fuzz_xlsx(tmp_path: Path, references: None, kind: str) -> None:
    outcomes: Counter[str] = Counter()

    @FUZZ
    @given(content=mutated_workbook(SEEDS[kind]), policy=st.sampled_from(list(Policy)))
    def run(content: bytes, policy: Policy) -> None:
        _attempt(_run_table(tmp_path, kind, content, ".xlsx", policy), outcomes)

    run()
    _record(f"{kind}.xlsx", outcomes)


# -- EPCIS JSON --------------------------------------------------------------------------------

EPCIS_SEEDS = sorted((FIXTURES / "epcis").glob("*.jsonld"))
JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**80), 2**80),
        st.floats(),
        st.text(max_size=20),
        st.sampled_from(TOKENS),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
RAW_NUMBERS = [
    "9" * 5000,
    "1" + "0" * 4400 + ".5",
    "1e999999",
    "-0",
    "NaN",
    "Infinity",
    "2147483648",
]


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*here, index))
    return found


@st.composite
def mutated_epcis(draw: st.DrawFn) -> bytes:
    document = json.loads(draw(st.sampled_from(EPCIS_SEEDS)).read_text(encoding="utf-8"))
    for _step in range(draw(st.integers(0, 4))):
        path = draw(st.sampled_from(_paths(document)[1:]))
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        choice = draw(st.integers(0, 2))
        if choice == 0:
            parent[path[-1]] = draw(JSON_VALUES)
        elif (
            choice == 1
        ):  # deep nesting, written as text: building it would overflow the strategy's own stack
            parent[path[-1]] = "@@DEEP@@"
        else:
            parent[path[-1]] = "@@RAW@@"
    text = json.dumps(document, ensure_ascii=draw(st.booleans()))
    depth = draw(st.sampled_from([70, 1200]))
    text = text.replace('"@@DEEP@@"', "[" * depth + "1" + "]" * depth)
    text = text.replace('"@@RAW@@"', draw(st.sampled_from(RAW_NUMBERS)))
    raw = text.encode(
        draw(st.sampled_from(["utf-8", "utf-16", "utf-32", "latin-1"])), errors="replace"
    )
    return draw(mutated_bytes(raw))


def test_fuzz_epcis(tmp_path: Path, references: None) -> None:
    outcomes: Counter[str] = Counter()
    importer = importer_for("epcis")
    assert importer is not None

    @FUZZ
    @given(content=mutated_epcis())
    def run(content: bytes) -> None:
        path = tmp_path / "document.jsonld"
        path.write_bytes(content)
        _attempt(lambda: importer().run(path, file_name=path.name), outcomes)

    run()
    _record("epcis.json", outcomes)


# -- GUDID XML ---------------------------------------------------------------------------------


def _gudid_seed() -> str:
    text = (FIXTURES / "gudid" / "gudid_2016_demo100.xml").read_text(encoding="utf-8")
    devices = re.findall(r"  <device .*?</device>\n", text, flags=re.DOTALL)[:3]
    return '<?xml version="1.0" encoding="utf-8"?>\n<data>\n' + "".join(devices) + "</data>\n"


GUDID_SEED = _gudid_seed()


@st.composite
def mutated_gudid(draw: st.DrawFn) -> bytes:
    text = GUDID_SEED
    for _step in range(draw(st.integers(0, 4))):
        nodes = list(re.finditer(r">([^<>]+)<", text))
        node = draw(st.sampled_from(nodes))
        text = (
            text[: node.start(1)]
            + draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=20)))
            + text[node.end(1) :]
        )
    encoding = draw(
        st.sampled_from(
            ["utf-8", "GB18030", "utf-16", "ISO-8859-1", "shift_jis", "x-unknown", "rot13"]
        )
    )
    declared = text.replace('encoding="utf-8"', f'encoding="{encoding}"', 1)
    try:
        raw = declared.encode(encoding, errors="replace")
    except LookupError:
        raw = declared.encode("utf-8", errors="surrogatepass")
    except UnicodeEncodeError:
        raw = declared.encode("utf-8", errors="surrogatepass")
    if draw(st.booleans()):
        raw = raw.replace(
            b"<data>",
            draw(
                st.sampled_from(
                    [b'<!DOCTYPE data [<!ENTITY a "b">]><data>', b"<data>" * 3, b"<data><data>&a;"]
                )
            ),
            1,
        )
    return draw(mutated_bytes(raw))


def test_fuzz_gudid(tmp_path: Path) -> None:
    outcomes: Counter[str] = Counter()
    importer = importer_for("gudid")
    assert importer is not None

    @FUZZ
    @given(content=mutated_gudid(), policy=st.sampled_from(list(Policy)))
    def run(content: bytes, policy: Policy) -> None:
        path = tmp_path / "gudid.xml"
        path.write_bytes(content)
        _attempt(lambda: importer().run(path, file_name=path.name, policy=policy), outcomes)

    run()
    _record("gudid.xml", outcomes)


# -- the other files users upload: working-day calendars, sub-consignee lists ---------------


def test_fuzz_calendar_csv(manager: Any) -> None:
    outcomes: Counter[str] = Counter()

    @FUZZ
    @given(content=mutated_text(SEEDS["calendar"]))
    def run(content: bytes) -> None:
        _attempt(
            lambda: calendar_import(content=content, file_name="calendar.csv", actor=manager),
            outcomes,
        )

    run()
    _record("calendar.csv", outcomes)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_fuzz_sub_consignee_file(tmp_path: Path, suffix: str) -> None:
    outcomes: Counter[str] = Counter()
    strategy = (
        mutated_text(SEEDS["sub_consignees"])
        if suffix == ".csv"
        else mutated_workbook(SEEDS["sub_consignees"])
    )

    @FUZZ
    @given(content=strategy)
    def run(content: bytes) -> None:
        path = tmp_path / f"sub{suffix}"
        path.write_bytes(content)
        _attempt(lambda: sub_consignees_from_file(path, file_name=path.name), outcomes)

    run()
    _record(f"sub_consignees{suffix}", outcomes)
