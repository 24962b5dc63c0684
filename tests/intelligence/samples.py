"""Files for the FDA import tests, made from the real openFDA samples (``data/``)."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from medrecall.intelligence.importers import FdaRecallImporter

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
    meta = {
        "disclaimer": "openFDA",
        "last_updated": "2026-11-25",
        "results": {"total": len(records)},
    }
    body = {"results": records, "meta": meta} if meta_last else {"meta": meta, "results": records}
    path.write_text(json.dumps(body, indent=1), encoding="utf-8")
    return path


def varied(record: dict[str, Any], key: str, value: str, **changes: Any) -> dict[str, Any]:
    copied = copy.deepcopy(record)
    copied[key] = value
    copied.update(changes)
    return copied


OBVIOUS = {
    "cfres_id": "900001",
    "product_res_number": "Z-9001-2024",
    "recalling_firm": "Example Infusion Systems",
    "product_code": "FRN",
    "root_cause_description": "Software design",
    "reason_for_recall": (
        "The infusion pump software may miscalculate the dose when the infusion rate is "
        "changed, which can lead to over-infusion."
    ),
    "product_description": "Large-volume infusion pump, model IP-700",
    "event_date_initiated": "2024-03-01",
    "event_date_terminated": "2024-11-20",
    "product_quantity": "1,200 pumps",
    "code_info": "Serial Numbers: IP7-0001 thru IP7-1200; Software version 2.1",
    "distribution_pattern": "US Nationwide and Canada",
}
DISTRACTORS = [
    ("900002", "FRN", "Component design/selection", "The infusion pump battery may fail and the pump stops without an alarm."),
    ("900003", "DQY", "Labeling design", "The label shows the wrong software version for the catheter kit."),
    ("900004", "DQY", "Device Design", "The catheter tip may detach during use."),
    ("900005", "LLZ", "Software design", "Image viewing software may display measurements with the wrong scale."),
    ("900006", "FOZ", "Process control", "Sterile barrier packaging may have a breach; the dose of ethylene oxide was too low."),
]  # fmt: skip


def search_records() -> list[dict[str, Any]]:
    """One obviously similar record (an infusion pump whose software miscalculates the dose)
    among records that share some of its words, product code or root cause."""
    base = recall_example()
    records = [{**base, **OBVIOUS}]
    for key, code, cause, reason in DISTRACTORS:
        records.append(
            varied(
                base,
                "cfres_id",
                key,
                product_code=code,
                root_cause_description=cause,
                reason_for_recall=reason,
                recalling_firm=f"Firm {key}",
                product_description="Medical device",
            )
        )
    return records


class ExplodingRecallImporter(FdaRecallImporter):
    """A recall import whose parsing raises at the record ``cfres_id`` 2 (a parser's bug):
    module-level, so that the child process that parses the file can import it."""

    def fields_of(self, record: Mapping[str, str]) -> dict[str, Any]:
        if record.get("cfres_id") == "2":
            raise ValueError("a parser's bug")
        return super().fields_of(record)


class DyingRecallImporter(FdaRecallImporter):
    """A recall import whose parsing ends its process without a word (killed, out of memory)."""

    def fields_of(self, record: Mapping[str, str]) -> dict[str, Any]:
        os._exit(3)
