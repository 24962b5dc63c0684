"""``medrecall import fda-recalls FILE`` and ``medrecall import fda-enforcement FILE``.

openFDA ``device/recall`` (natural key ``cfres_id``) and ``device/enforcement`` (natural key
``recall_number``) records, from the JSON download (streamed, see ``reading.py``) or a CSV/Excel
extract with openFDA's field names. All or nothing: every record is parsed and checked, and the
records are written in batches inside one transaction that is rolled back when any record is
bad, so a refused file writes nothing and memory stays flat. Idempotent on the natural key: a
record already recorded is updated when it changed, left alone otherwise; a record repeated
within the file with the same content is imported once, with other content it refuses the file.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from medrecall.core import files
from medrecall.core.errors import ImportRejected, RowError
from medrecall.core.importing import (
    ImportOutcome,
    Policy,
    Progress,
    RowProblem,
    cyclic_collection_paused,
)
from medrecall.core.registry import IMPORTERS
from medrecall.core.tabular import Columns, TableReader
from medrecall.core.types import ActorOrSystem

from . import parsing
from .models import Source
from .parsing_process import read_in_child
from .reading import JsonRecords, is_json
from .services import WRITE_BATCH, BatchWriter, Written, public_recalls_analyse, record_import

# Fields of a record written to PublicRecall (besides source and key), in one order.
FIELDS: tuple[str, ...] = (
    "recall_number", "event_number", "status", "recall_class", "device_class", "firm",
    "firm_key", "city", "state", "postal_code", "country", "product_code", "device_name",
    "product_description", "reason", "root_cause", "action", "initiated_on", "posted_on",
    "classified_on", "terminated_on", "days_open", "quantity_text", "quantity", "quantity_unit",
    "code_info", "codes", "code_info_parsed", "distribution_text", "nationwide", "worldwide",
    "states", "countries", "k_numbers", "search_document",
)  # fmt: skip
_OPENFDA = ("device_class", "device_name", "medical_specialty_description", "regulation_number")
_TEXT_LIMITS = {"recall_number": 40, "event_number": 20, "status": 40, "firm": 255, "city": 100}
_TEXT_LIMITS |= {"state": 40, "postal_code": 20, "country": 60, "product_code": 8}
_TEXT_LIMITS |= {"device_name": 255, "root_cause": 100}


@dataclass
class FdaImportOutcome(ImportOutcome):
    """The import's counts, plus what only these files have: records repeated in the file,
    records that are not devices (the weekly reports mix foods and drugs in), and records whose
    ``code_info`` gave nothing (kept as text)."""

    repeated: int = 0
    not_devices: int = 0
    code_info_unread: int = 0

    def as_dict(self) -> dict[str, Any]:
        body = super().as_dict()
        body |= {
            "repeated": self.repeated,
            "not_devices": self.not_devices,
            "code_info_unread": self.code_info_unread,
        }
        return body

    @property
    def notes(self) -> str:
        """What only these files have, for the summary line and the import run's message: each
        count said when it is not zero."""
        parts = []
        if self.code_info_unread:
            parts.append(
                ngettext(
                    "%(count)s record's code information could not be read (kept as text).",
                    "%(count)s records' code information could not be read (kept as text).",
                    self.code_info_unread,
                )
                % {"count": self.code_info_unread}
            )
        if self.repeated:
            parts.append(
                ngettext(
                    "%(count)s record was repeated in the file and imported once.",
                    "%(count)s records were repeated in the file and imported once.",
                    self.repeated,
                )
                % {"count": self.repeated}
            )
        if self.not_devices:
            parts.append(
                ngettext(
                    "%(count)s record is not a device and was left out.",
                    "%(count)s records are not devices and were left out.",
                    self.not_devices,
                )
                % {"count": self.not_devices}
            )
        return " ".join(parts)


class Batches(Protocol):
    """Where ``_read_all`` hands its batches: the writer, or the child process's queue."""

    def put(self, rows: Sequence[tuple[str, dict[str, Any]]]) -> None: ...


class _Refused(Exception):
    """Raised inside the import's transaction to roll back what the batches wrote."""


_FIELD_NAMES: dict[str, str] = {}


def _field_name(name: Any) -> str:
    """A record's field name as the CSV extract writes it (``code-info`` -> ``code_info``),
    remembered for the few dozen names a file uses (a file of made-up names is not)."""
    found = _FIELD_NAMES.get(name)
    if found is None:
        found = str(name).replace("-", "_").lower()
        if len(_FIELD_NAMES) < 500:
            _FIELD_NAMES[name] = found
    return found


def _text(value: Any) -> str:
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value).strip()


class FdaImporter(ABC):
    """The shared run of both openFDA imports; subclasses map their fields (``fields_of``)."""

    kind: ClassVar[str]
    source: ClassVar[Source]
    key_field: ClassVar[str]
    other_key: ClassVar[str]  # the other openFDA kind's key: a file of that kind is refused
    other_markers: ClassVar[tuple[str, ...]]  # fields only the other kind's records have
    other_kind: ClassVar[str]
    other_endpoint: ClassVar[str]
    columns: ClassVar[Columns]
    offers_template: ClassVar[bool] = False
    offers_keep_good: ClassVar[bool] = False  # all or nothing, like every history import
    # The upload types the Imports page and the API take: every table and JSON, and the zip
    # openFDA's download comes as (unpacked as a stream, see ``reading.JsonRecords``).
    upload_types: ClassVar[tuple[files.FileType, ...]] = (*files.IMPORT_TYPES, files.ZIP)

    # -- mapping (subclasses) -----------------------------------------------------------------

    @abstractmethod
    def fields_of(self, record: Mapping[str, str]) -> dict[str, Any]:
        """The model's values (besides the dates and what is derived) from one record's cells."""

    def is_device(self, record: Mapping[str, str]) -> bool:
        return True

    # -- one record -------------------------------------------------------------------------

    def flatten(self, raw: Mapping[str, Any]) -> dict[str, str]:
        """A JSON record as the CSV extract's cells: ``-`` in old field names read as ``_``,
        the ``openfda`` block's device class and name lifted up, lists joined."""
        names = _FIELD_NAMES
        flat = {names.get(k) or _field_name(k): v for k, v in raw.items()}
        openfda = flat.pop("openfda", None)
        values = {
            k: v.strip() if type(v) is str else _text(v)
            for k, v in flat.items()
            if not isinstance(v, dict)
        }
        if isinstance(openfda, dict):
            for name in _OPENFDA:
                if name in openfda and not values.get(name):
                    values[name] = _text(openfda[name])
        if isinstance(flat.get("k_numbers"), list):
            values["k_numbers"] = ",".join(_text(v) for v in flat["k_numbers"])
        return values

    def parse(self, record: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
        """The natural key and the model's values; ``RowProblem`` names each bad field."""
        problems: list[tuple[str, str, str]] = []
        key = record.get(self.key_field, "").strip()
        if not key:
            problems.append(
                (
                    self.key_field,
                    "required",
                    _("%(column)s is required.") % {"column": self.key_field},
                )
            )
        elif len(key) > 40:
            problems.append(
                (self.key_field, "length", _("%(column)s is longer than %(limit)s characters.")
                 % {"column": self.key_field, "limit": 40})
            )  # fmt: skip
        values = self.fields_of(record)
        for name, column in self.date_columns.items():
            try:
                values[name] = parsing.parse_fda_date(record.get(column, ""))
            except ValueError:
                problems.append(
                    (
                        column,
                        "date",
                        _("%(value)s is not a date (openFDA writes YYYYMMDD).")
                        % {"value": record.get(column, "")[:40]},
                    )
                )
        if problems:
            raise RowProblem(*problems)
        for name, limit in _TEXT_LIMITS.items():
            values[name] = values[name][:limit]
        _derive(values)
        return key, values

    date_columns: ClassVar[dict[str, str]]

    # -- the file ---------------------------------------------------------------------------

    def records(
        self, path: Path, file_name: str
    ) -> tuple[Iterator[tuple[int, dict[str, str]]], Any]:
        if is_json(path, file_name):
            reader: Any = JsonRecords(path, file_name=file_name)
            return ((n, self._checked(n, r)) for n, r in reader.records()), reader
        self._refuse_not_a_table(path, file_name)
        self._refuse_other_header(path, file_name)
        table = TableReader(path, file_name=file_name, columns=self.columns)
        return ((row.number, row.values) for row in table.rows()), table

    @staticmethod
    def _refuse_empty(path: Path, file_name: str) -> None:
        """An empty file is refused as empty, whether named .json or .csv."""
        try:
            empty = path.stat().st_size == 0
        except OSError:
            return
        if empty:
            message = _("The file %(file)s is empty.") % {"file": file_name}
            raise ImportRejected(message, [RowError(file_name, 1, "", "empty", message)])

    def _refuse_not_a_table(self, path: Path, file_name: str) -> None:
        """A YAML file (by its name, or a first line ``name:`` with no column separator, as
        openFDA's field dictionaries ``properties:``) is neither an openFDA download nor a CSV
        extract: refused as such, not with its lines read as unknown columns."""
        try:
            with path.open("rb") as handle:
                first = handle.readline(65536).decode("utf-8-sig", errors="replace").strip()
        except OSError:
            return
        yaml_line = re.fullmatch(r"[A-Za-z_][\w-]*:(\s.*)?", first) and not re.search(
            r"[,;\t|]", first
        )
        if not (file_name.lower().endswith((".yaml", ".yml")) or yaml_line):
            return
        message = _(
            "%(file)s is not an openFDA JSON download or CSV extract (it reads as YAML, like "
            "openFDA's field definitions). Import the %(endpoint)s download from "
            "open.fda.gov/data/downloads (.json or .json.zip) or a CSV extract whose first line "
            "names the fields (%(key)s, …)."
        ) % {"file": file_name, "endpoint": ENDPOINTS[self.kind], "key": self.key_field}
        raise ImportRejected(message, [RowError(file_name, 1, "", "not_openfda", message)])

    def _refuse_other_header(self, path: Path, file_name: str) -> None:
        """A CSV extract of the other openFDA kind (its header names the other kind's key and
        not this one's) is refused with the import it is for, not with its unknown columns."""
        try:
            with path.open("rb") as handle:
                first = handle.readline(65536).decode("utf-8-sig", errors="replace")
        except OSError:
            return
        names = {name.strip().strip('"').lower() for name in re.split(r"[,;\t|]", first)}
        if self.other_key in names and self.key_field not in names:
            self._refuse_other_kind({self.other_key: "x"}, 1, file_name)

    def _checked(self, number: int, raw: Any) -> dict[str, str]:
        if not isinstance(raw, dict):
            return {"__error__": _("Record %(number)s is not a JSON object.") % {"number": number}}
        if number == 1 and "anatomy" in raw and "results" not in raw:
            return {"__example__": _example_kind(raw)}
        return self.flatten(raw)

    def run(
        self,
        path: Path,
        *,
        file_name: str,
        policy: Policy = Policy.REJECT,
        actor: ActorOrSystem = None,
        progress: Progress | None = None,
    ) -> FdaImportOutcome:
        outcome = FdaImportOutcome(kind=self.kind, file_name=file_name)
        try:
            with cyclic_collection_paused(), transaction.atomic():
                self._import(path, file_name, outcome, actor, progress)
        except _Refused:
            outcome.accepted = False
            outcome.errors.sort(key=lambda e: (e.row, e.column))  # by row, then field
        if progress:
            progress(100, 100)
        return outcome

    def _import(
        self,
        path: Path,
        file_name: str,
        outcome: FdaImportOutcome,
        actor: ActorOrSystem,
        progress: Progress | None,
    ) -> None:
        written = Written()
        self._refuse_empty(path, file_name)
        if self._parse_in_child(path):
            with BatchWriter(self.source, written) as writer:
                read_in_child(self, path, file_name, outcome, writer, progress)
        else:
            rows, reader = self.records(path, file_name)
            with BatchWriter(self.source, written) as writer:
                self._read_all(rows, reader, file_name, outcome, writer, progress)
        if outcome.rows == 0:
            message = _("The file %(file)s holds no records.") % {"file": file_name}
            raise ImportRejected(message, [RowError(file_name, 1, "", "empty", message)])
        if outcome.errors:
            raise _Refused
        outcome.created, outcome.updated, outcome.unchanged = (
            written.created,
            written.updated,
            written.unchanged,
        )
        public_recalls_analyse(written=written)
        record_import(source=self.source, file_name=file_name, outcome=outcome, actor=actor)

    @staticmethod
    def _parse_in_child(path: Path) -> bool:
        """Whether the file is large enough to be parsed in a child process while this one
        writes (``parsing_process``); smaller files are parsed here, in a second thread's
        company (``BatchWriter``), without the cost of starting a process."""
        try:
            size = path.stat().st_size
        except OSError:
            return False
        return size >= settings.MEDRECALL_FDA_IMPORT_PROCESS_BYTES

    def _read_all(
        self,
        rows: Iterator[tuple[int, dict[str, str]]],
        reader: Any,
        file_name: str,
        outcome: FdaImportOutcome,
        writer: Batches,
        progress: Progress | None,
    ) -> None:
        """Every record parsed and checked in order; the good ones handed to the writer in
        batches until the first problem (then only checked, to list every problem)."""
        seen: dict[str, tuple[int, int]] = {}
        batch: list[tuple[str, dict[str, Any]]] = []
        for number, record in rows:
            outcome.rows += 1
            if progress and outcome.rows % 2000 == 0:
                progress(int(reader.fraction_read * 95), 100)
            if "__error__" in record:
                outcome.errors.append(RowError(file_name, number, "", "shape", record["__error__"]))
                continue
            if outcome.rows == 1:
                self._refuse_other_kind(record, number, file_name)
            if not self.is_device(record):
                outcome.not_devices += 1
                continue
            try:
                key, values = self.parse(record)
            except RowProblem as problem:
                outcome.errors.extend(
                    RowError(file_name, number, c, code, m) for c, code, m in problem.problems
                )
                continue
            if self._repeated(key, record, number, seen, outcome):
                continue
            if not values["code_info_parsed"]:
                outcome.code_info_unread += 1
            if not outcome.errors:
                batch.append((key, values))
                if len(batch) >= WRITE_BATCH:
                    writer.put(batch)
                    batch = []
        if batch and not outcome.errors:
            writer.put(batch)

    def _refuse_other_kind(self, record: Mapping[str, str], number: int, file_name: str) -> None:
        """A file of the other openFDA kind (its first record has the other kind's key and not
        this one's) is refused with the import it is for, not with a missing key on every row;
        openFDA's documentation example of a record (``anatomy``, not a download) likewise."""
        if "__example__" in record:
            kind = record["__example__"] or self.kind
            message = _(
                "%(file)s is openFDA's documentation example of a %(endpoint)s record, not a "
                "download of records: import a %(endpoint)s download (open.fda.gov/data/"
                "downloads) as “%(label)s” (on the Imports page; with the command, medrecall "
                "import %(kind)s FILE)."
            ) % {
                "file": file_name,
                "endpoint": ENDPOINTS[kind],
                "kind": kind,
                "label": _import_label(kind),
            }
            raise ImportRejected(message, [RowError(file_name, number, "", "example", message)])
        if record.get(self.key_field, "").strip():
            return
        marker = next((m for m in self.other_markers if record.get(m, "").strip()), "")
        if not marker:
            self._refuse_not_openfda(record, number, file_name)
            return
        message = _(
            "%(file)s holds openFDA %(endpoint)s records (%(key)s), not what this import reads: "
            "import it as “%(label)s” (on the Imports page; with the command, medrecall import "
            "%(kind)s FILE)."
        ) % {
            "file": file_name,
            "endpoint": self.other_endpoint,
            "key": marker,
            "kind": self.other_kind,
            "label": _import_label(self.other_kind),
        }
        raise ImportRejected(
            message, [RowError(file_name, number, self.key_field, "wrong_import", message)]
        )

    def _refuse_not_openfda(self, record: Mapping[str, str], number: int, file_name: str) -> None:
        """A first record with none of the fields this import reads (``{"foo": 1}``, a list of
        other objects) is refused as not an openFDA file, not with a missing key on each row."""
        if any(str(record.get(name, "")).strip() for name in self.columns.all):
            return
        message = _(
            "This is not an openFDA %(endpoint)s file: the first record of %(file)s has none of "
            "its fields (%(key)s, …). Import the %(endpoint)s download from "
            "open.fda.gov/data/downloads (.json or .json.zip) or a CSV extract of it."
        ) % {"endpoint": ENDPOINTS[self.kind], "file": file_name, "key": self.key_field}
        raise ImportRejected(message, [RowError(file_name, number, "", "not_openfda", message)])

    def _repeated(
        self,
        key: str,
        record: Mapping[str, str],
        number: int,
        seen: dict[str, tuple[int, int]],
        outcome: FdaImportOutcome,
    ) -> bool:
        """Whether the record's key was seen before in the file (then it is not written again);
        with other content, that is an error naming both rows."""
        digest = hash(frozenset(record.items()))  # the record's text, field by field
        first = seen.get(key)
        if first is None:
            seen[key] = (number, digest)
            return False
        if first[1] == digest:
            outcome.repeated += 1
        else:
            outcome.errors.append(
                RowError(
                    outcome.file_name,
                    number,
                    self.key_field,
                    "duplicate",
                    _(
                        "%(column)s %(key)s is in the file twice with different content "
                        "(first at row %(first)s)."
                    )
                    % {"column": self.key_field, "key": key, "first": first[0]},
                )
            )
        return True


ENDPOINTS = {"fda-recalls": "device/recall", "fda-enforcement": "device/enforcement"}


def _import_label(kind: str) -> str:
    """The import's name as the Imports page's "What the file holds" offers it, in the active
    language (a web user is pointed there, a command user to the command)."""
    entry = IMPORTERS.find(kind)
    return str(entry.label) if entry is not None else kind


def _example_kind(document: Mapping[str, Any]) -> str:
    """Which import an openFDA documentation example is about: its sample record (``record``
    or ``result``) holds the recall fields (``res_event_number``, ``product_res_number``) or
    the enforcement ones (``recall_initiation_date``, ``classification``); "" when neither."""
    sample = document.get("record") or document.get("result") or {}
    if not isinstance(sample, Mapping):
        return ""
    if {"cfres_id", "res_event_number", "product_res_number"} & set(sample):
        return "fda-recalls"
    if {"recall_number", "recall_initiation_date", "classification"} & set(sample):
        return "fda-enforcement"
    return ""


def _derive(values: dict[str, Any]) -> None:
    """The structured fields read from the free text (the text itself stays as it was)."""
    quantity = parsing.parse_quantity(values["quantity_text"])
    values["quantity"], values["quantity_unit"] = quantity.value, quantity.unit
    codes = parsing.parse_code_info(values["code_info"]).as_dict()
    values["codes"] = codes
    values["code_info_parsed"] = bool(codes) or not values["code_info"]
    where = parsing.parse_distribution(values["distribution_text"])
    values["nationwide"], values["worldwide"] = where.nationwide, where.worldwide
    values["states"], values["countries"] = list(where.states), list(where.countries)
    values["firm_key"] = parsing.firm_key(values["firm"])
    started, ended = values["initiated_on"], values["terminated_on"]
    values["days_open"] = (ended - started).days if started and ended and ended >= started else None
    values["search_document"] = " ".join(
        part
        for part in (
            values["reason"],
            values["product_description"],
            values["root_cause"],
            values["device_name"],
            values["firm"],
        )
        if part
    )


def _k_numbers(text: str) -> list[str]:
    return [k.strip() for k in text.replace(";", ",").split(",") if k.strip()]


RECALL_COLUMNS = (
    "cfres_id", "product_res_number", "res_event_number", "event_date_initiated",
    "event_date_created", "event_date_posted", "event_date_terminated", "recall_status",
    "recalling_firm", "firm_fei_number", "address_1", "address_2", "city", "state",
    "postal_code", "country", "additional_info_contact", "reason_for_recall", "k_numbers",
    "pma_numbers", "other_submission_description", "product_description", "code_info",
    "product_code", "product_quantity", "distribution_pattern", "root_cause_description",
    "action", *_OPENFDA,
)  # fmt: skip


class FdaRecallImporter(FdaImporter):
    kind = "fda-recalls"
    source = Source.RECALL
    key_field = "cfres_id"
    other_key, other_kind, other_endpoint = "recall_number", "fda-enforcement", "device/enforcement"
    other_markers = ("recall_number", "recall_initiation_date", "classification", "product_type")
    columns = Columns(required=("cfres_id",), optional=RECALL_COLUMNS[1:])
    date_columns: ClassVar[dict[str, str]] = {
        "initiated_on": "event_date_initiated",
        "posted_on": "event_date_posted",
        "classified_on": "event_date_created",
        "terminated_on": "event_date_terminated",
    }

    def fields_of(self, record: Mapping[str, str]) -> dict[str, Any]:
        get = record.get
        return {
            "recall_number": get("product_res_number", ""),
            "event_number": get("res_event_number", ""),
            "status": get("recall_status", ""),
            "recall_class": None,
            "device_class": parsing.parse_class(get("device_class", "")),
            "firm": get("recalling_firm", ""),
            "city": get("city", ""),
            "state": get("state", ""),
            "postal_code": get("postal_code", ""),
            "country": get("country", ""),
            "product_code": get("product_code", "").upper(),
            "device_name": get("device_name", ""),
            "product_description": get("product_description", ""),
            "reason": get("reason_for_recall", ""),
            "root_cause": get("root_cause_description", ""),
            "action": get("action", ""),
            "quantity_text": get("product_quantity", ""),
            "code_info": get("code_info", ""),
            "distribution_text": get("distribution_pattern", ""),
            "k_numbers": _k_numbers(get("k_numbers", "")),
        }


ENFORCEMENT_COLUMNS = (
    "recall_number", "event_id", "status", "classification", "product_type",
    "recall_initiation_date", "center_classification_date", "report_date", "termination_date",
    "recalling_firm", "address_1", "address_2", "city", "state", "postal_code", "country",
    "voluntary_mandated", "initial_firm_notification", "product_code", "product_description",
    "reason_for_recall", "product_quantity", "code_info", "more_code_info",
    "distribution_pattern", *_OPENFDA,
)  # fmt: skip


class FdaEnforcementImporter(FdaImporter):
    kind = "fda-enforcement"
    source = Source.ENFORCEMENT
    key_field = "recall_number"
    other_key, other_kind, other_endpoint = "cfres_id", "fda-recalls", "device/recall"
    other_markers = ("cfres_id", "res_event_number", "product_res_number")
    columns = Columns(required=("recall_number",), optional=ENFORCEMENT_COLUMNS[1:])
    date_columns: ClassVar[dict[str, str]] = {
        "initiated_on": "recall_initiation_date",
        "posted_on": "report_date",
        "classified_on": "center_classification_date",
        "terminated_on": "termination_date",
    }

    def is_device(self, record: Mapping[str, str]) -> bool:
        kind = record.get("product_type", "").strip().lower()
        return kind in ("", "devices", "device")

    def flatten(self, raw: Mapping[str, Any]) -> dict[str, str]:
        values = super().flatten(raw)
        if not values.get("recall_number"):  # the weekly reports before openFDA: "Recall # Z-…"
            values["recall_number"] = parsing.recall_number_in(
                values.get("product_description", "")
            )
        if not values.get("city") and (
            old := parsing.split_old_firm(values.get("recalling_firm", ""))
        ):
            # the same reports' firm line: name, city, state, notification, status in one text
            values["recalling_firm"] = old["firm"]
            for name, field in (
                ("city", "city"),
                ("state", "state"),
                ("country", "country"),
                ("notification", "initial_firm_notification"),
                ("initiated", "recall_initiation_date"),
                ("status", "status"),
            ):
                if old.get(name) and not values.get(field):
                    values[field] = old[name]
        return values

    def fields_of(self, record: Mapping[str, str]) -> dict[str, Any]:
        get = record.get
        code_info = "\n".join(t for t in (get("code_info", ""), get("more_code_info", "")) if t)
        return {
            "recall_number": get("recall_number", ""),
            "event_number": get("event_id", ""),
            "status": get("status", ""),
            "recall_class": parsing.parse_class(get("classification", "")),
            "device_class": parsing.parse_class(get("device_class", "")),
            "firm": get("recalling_firm", ""),
            "city": get("city", ""),
            "state": get("state", ""),
            "postal_code": get("postal_code", ""),
            "country": get("country", ""),
            "product_code": get("product_code", "").upper(),
            "device_name": get("device_name", ""),
            "product_description": get("product_description", ""),
            "reason": get("reason_for_recall", ""),
            "root_cause": "",
            "action": get("initial_firm_notification", ""),
            "quantity_text": get("product_quantity", ""),
            "code_info": code_info,
            "distribution_text": get("distribution_pattern", ""),
            "k_numbers": [],
        }
