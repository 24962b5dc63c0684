"""Decompression bombs against the Excel import: how fast they are refused, and the peak memory.

Builds the two workbooks of issue 14 (item 5) and imports each as trace events in a child
process, reporting the wall time, the peak resident memory (``ru_maxrss`` of the child) and
the outcome:

* ``rows``: an events sheet whose XML repeats one row ``--rows`` times (3,000,000 by default,
  a few hundred KB packed);
* ``cell``: one data row whose ``event_id`` cell holds ``--cell-mb`` MB of text (800 by default).

    MEDRECALL_DATA_DIR=/tmp/mr-bench .venv/bin/python bench/xlsx_bombs.py [--rows N] [--cell-mb M]

The child runs ``medrecall import events FILE`` on a fresh SQLite database (``migrate`` first),
so the figures are those of the command a user would run. Set ``--src DIR`` to run another
checkout's ``src`` (the code before a change) on the same files.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HEADER = (
    "event_id",
    "event_type",
    "event_time",
    "gtin",
    "lot",
    "serial",
    "quantity",
    "from_location",
    "to_location",
    "document_ref",
)
PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.'
    'xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
    'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
    'worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="events" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}
SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main"><sheetData>'
)
SHEET_END = "</sheetData></worksheet>"


def _row(cells: tuple[str, ...]) -> str:
    return (
        "<row>"
        + "".join(f'<c t="inlineStr"><is><t>{cell}</t></is></c>' for cell in cells)
        + "</row>"
    )


def write_workbook(path: Path, *, rows: int = 0, cell_bytes: int = 0) -> Path:
    """An events workbook: the header, then ``rows`` copies of one row, or one row whose first
    cell is ``cell_bytes`` characters long. Streamed into the zip: never held in memory."""
    data = (
        "E1",
        "shipped",
        "2025-01-11T08:00:00+08:00",
        "06950000000019",
        "C1",
        "",
        "5",
        "FAC",
        "D1",
        "DN-1",
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write((SHEET_START + _row(HEADER)).encode())
            block = _row(data).encode() * 10_000
            left = rows
            while left > 0:
                take = min(left, 10_000)
                sheet.write(block if take == 10_000 else _row(data).encode() * take)
                left -= take
            if cell_bytes:
                sheet.write(b'<row><c t="inlineStr"><is><t>')
                chunk = b"A" * (1 << 20)
                for _ in range(cell_bytes >> 20):
                    sheet.write(chunk)
                sheet.write(b"</t></is></c>" + _row(data[1:]).encode()[5:])
            sheet.write(SHEET_END.encode())
    return path


CHILD = """
import json, resource, sys, time
import django
django.setup()
from django.core.management import call_command
ready = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    call_command("import", "events", sys.argv[1], verbosity=0)
    status = 0
except SystemExit as stop:
    status = stop.code
print(json.dumps({"seconds": time.perf_counter() - start, "ready_mb": ready / 1024,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "exit": status}))
"""


def measure(path: Path, src: Path, data_dir: Path) -> tuple[dict[str, float], str]:
    """The import in a child process on a fresh SQLite database: its seconds (from the command's
    start, after Django is set up), its peak resident memory before and after the import, its
    exit status; and the command's last line of output."""
    env = dict(
        os.environ,
        MEDRECALL_DATA_DIR=str(data_dir),
        PYTHONPATH=str(src),
        DJANGO_SETTINGS_MODULE="medrecall.settings.base",
    )
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "medrecall.cli", "migrate", "-v", "0"], env=env, check=True
    )
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    figures = (
        json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {"exit": done.returncode}
    )
    said = lines[-2] if len(lines) > 1 else ""
    if not said:
        said = (done.stderr.strip().splitlines() or [""])[-1]
    return figures, said[:300]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--cell-mb", type=int, default=800)
    parser.add_argument("--src", type=Path, default=Path(__file__).resolve().parent.parent / "src")
    parser.add_argument("--only", choices=("rows", "cell"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mr-bombs-") as folder:
        root = Path(folder)
        bombs = {
            "rows": lambda p: write_workbook(p, rows=args.rows),
            "cell": lambda p: write_workbook(p, cell_bytes=args.cell_mb << 20),
        }
        for name, build in bombs.items():
            if args.only and name != args.only:
                continue
            path = build(root / f"{name}.xlsx")
            figures, said = measure(path, args.src, root / f"data-{name}")
            print(
                f"{name}: {path.stat().st_size / 1024:,.0f} KB packed: {json.dumps(figures)}\n  {said}"
            )


if __name__ == "__main__":
    main()
