"""Files for the FDA import tests, made from the real openFDA samples (``data/``)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

# Copied verbatim from shared/data/fda (public domain; sources in data/README.md).
FDA = Path(__file__).parent / "data"
RECALL_CSV = FDA / "openfda_device_recall_class2_demo100.csv"
WEEKLY_REPORT = FDA / "fda_enforcement_report_2012-06-13_ucm308307.jsonl"
ONE_2004 = FDA / "fda_enforcement_one_device_recall_2004.json"


def recall_example() -> dict[str, Any]:
    """The openFDA documentation's device/recall record (it has no cfres_id: one is given)."""
    record = json.loads((FDA / "openfda_device_recall_example.json").read_text())["anatomy"][
        "results"
    ][0]
    return {"cfres_id": "177049", **record}


def enforcement_example() -> dict[str, Any]:
    record = json.loads((FDA / "openfda_device_enforcement_example.json").read_text())["result"]
    return {"recall_number": "Z-2201-2012", **record}


def download(path: Path, records: list[dict[str, Any]], *, meta_last: bool = False) -> Path:
    """An openFDA download file: ``{"meta": …, "results": [ … ]}``."""
    meta = {"disclaimer": "openFDA", "last_updated": "2026-11-25", "results": {"total": len(records)}}
    body = {"results": records, "meta": meta} if meta_last else {"meta": meta, "results": records}
    path.write_text(json.dumps(body, indent=1), encoding="utf-8")
    return path


def varied(record: dict[str, Any], key: str, value: str, **changes: Any) -> dict[str, Any]:
    copied = copy.deepcopy(record)
    copied[key] = value
    copied.update(changes)
    return copied
