"""A complaint's or CAPA's history as people read it: each audit entry's changes with the
field's label in the reader's language, yes/no for flags, choice labels for codes, local times,
and people and parties by name. The audit log keeps what it recorded (codes, user names, ids);
this only says it in words. One query per kind of record named, for a whole page of entries."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from medrecall.audit.models import AuditEntry
from medrecall.audit.presentation import key_label
from medrecall.catalog.models import DeviceModel, Lot, Serial
from medrecall.core.presentation import local_time, user_display_name
from medrecall.parties.models import Party
from medrecall.recalls.models import Regime

from .models import ActionKind, ActionStatus, ReportCategory, RootCauseCategory, Verification

EMPTY = "—"


@dataclass(frozen=True)
class ChangeShown:
    """One change of an entry: ``field`` (its label), ``old`` → ``new`` when ``pair``, else
    ``value``."""

    field: str
    pair: bool
    old: str = ""
    new: str = ""
    value: str = ""


@dataclass
class _Names:
    """The records an entry's values name, looked up once for the page."""

    users: dict[str, str]  # user name → full name
    users_by_pk: dict[int, str]
    parties: dict[str, str]  # code → name
    parties_by_pk: dict[int, str]
    models: dict[int, str]
    lots: dict[int, str]
    serials: dict[int, str]


def _party_name(party: Party) -> str:
    english = not (translation.get_language() or "").lower().startswith("zh")
    name = (party.name_en if english and party.name_en else party.name) or party.code
    return f"{name} ({party.code})"


def _model_name(model: DeviceModel) -> str:
    english = not (translation.get_language() or "").lower().startswith("zh")
    return f"{model.model_code} {(model.name_en if english else '') or model.name}"


def _rows(model: type[models.Model], pks: set[int]) -> list[Any]:
    """The rows of ``model`` with these ids: one query, none when there are none."""
    return list(model._default_manager.filter(pk__in=pks)) if pks else []


def _collect(entries: list[AuditEntry]) -> _Names:
    """One query per kind of record the entries name (none for a kind no entry names)."""
    usernames: set[str] = set()
    user_pks: set[int] = set()
    codes: set[str] = set()
    party_pks: set[int] = set()
    refs: dict[str, set[int]] = {"device_model": set(), "lot": set(), "serial": set()}
    for entry in entries:
        for name, change in (entry.changes or {}).items():
            values = change if isinstance(change, list) else [change]
            for value in values:
                if isinstance(value, dict) and isinstance(value.get("owner"), str):
                    usernames.add(value["owner"])
                if value is None or isinstance(value, bool):
                    continue
                if name in ("owner", "closed_by", "entered_by"):
                    if isinstance(value, str):
                        usernames.add(value)
                    elif isinstance(value, int):
                        user_pks.add(value)
                elif name == "holder":
                    if isinstance(value, str):
                        codes.add(value)
                    elif isinstance(value, int):
                        party_pks.add(value)
                elif name in refs and isinstance(value, int):
                    refs[name].add(value)
    users = get_user_model().objects.only("username", "first_name", "last_name")
    found_users = (
        list(users.filter(models.Q(username__in=usernames) | models.Q(pk__in=user_pks)))
        if usernames or user_pks
        else []
    )
    parties = (
        list(Party.objects.filter(models.Q(code__in=codes) | models.Q(pk__in=party_pks)))
        if codes or party_pks
        else []
    )
    return _Names(
        users={u.get_username(): user_display_name(u) for u in found_users},
        users_by_pk={u.pk: user_display_name(u) for u in found_users},
        parties={p.code: _party_name(p) for p in parties},
        parties_by_pk={p.pk: _party_name(p) for p in parties},
        models={m.pk: _model_name(m) for m in _rows(DeviceModel, refs["device_model"])},
        lots={lot.pk: lot.number for lot in _rows(Lot, refs["lot"])},
        serials={unit.pk: unit.serial for unit in _rows(Serial, refs["serial"])},
    )


def _labels(choices: Any) -> dict[Any, Any]:
    return dict(choices.choices)


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _choice(labels: Mapping[str, Any]) -> Callable[[Any], str]:
    return lambda value: str(labels.get(value, value))


def _decision(value: Any) -> str:
    """A triage decision as recorded: ``[reportable, category, rationale]`` (entries from
    before the rationale was recorded: ``[reportable, category]``)."""
    if isinstance(value, list) and len(value) in (2, 3):
        reportable, category = value[0], value[1]
        rationale = str(value[2]).strip() if len(value) == 3 and value[2] else ""
        if not reportable:
            decided = _("Not reportable")
        else:
            labels: dict[Any, Any] = dict(ReportCategory.choices)
            label = labels.get(category, category)
            decided = (
                _("Reportable (%(category)s)") % {"category": label} if label else _("Reportable")
            )
        if not rationale:
            return str(decided)
        return _("%(decision)s; rationale: %(rationale)s") % {
            "decision": decided,
            "rationale": rationale,
        }
    return _plain(value)


def _plain(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value) or EMPTY
    if isinstance(value, dict):
        return "; ".join(f"{key_label(str(k)) or k}: {_plain(v)}" for k, v in value.items())
    return str(value)


def _when(value: Any) -> str:
    return local_time(value) if isinstance(value, str) and "T" in value else _plain(value)


def _day(value: Any) -> str:
    """A date stays a date (ISO, as every quality page writes dates)."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            return value
    return _plain(value)


class _Reader:
    """Turns one record type's changes into words, with the names looked up for the page."""

    def __init__(self, model: type[models.Model], names: _Names) -> None:
        self.model, self.names = model, names

    def label(self, name: str, action: str) -> str:
        return capfirst(self._label(name, action)) or name

    def _label(self, name: str, action: str) -> str:
        if name == "gtin":
            return "GTIN"
        if name in Regime.values:
            return str(Regime(name).label)
        if name == "reference" and action == "quality.complaint_reported":
            return _("report reference")
        if name == "root_cause":
            return _("root cause")
        if name == "action":
            return pgettext("capa", "action")
        if name == "effective":
            return str(Verification._meta.get_field("effective").verbose_name)
        if name.startswith("action ") and name[7:].isdigit():
            return pgettext("capa", "action %(id)s") % {"id": name[7:]}
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return key_label(name) or name
        return str(getattr(field, "verbose_name", name))

    def value(self, name: str, value: Any, action: str) -> str:
        if value is None or value == "":
            return EMPTY
        if isinstance(value, bool):
            return _yes_no(value)
        if name in Regime.values:
            return _when(value) if action == "quality.complaint_reported" else _decision(value)
        if name.startswith("action ") and isinstance(value, str):
            return str(dict(ActionStatus.choices).get(value, value))
        shown = self._by_field(name, value)
        return shown if shown is not None else _plain(value)

    def _by_field(self, name: str, value: Any) -> str | None:
        names = self.names
        if name in ("owner", "closed_by", "entered_by"):
            found = (names.users if isinstance(value, str) else names.users_by_pk).get(value)
            return found or str(value)
        if name == "holder":
            found = (names.parties if isinstance(value, str) else names.parties_by_pk).get(value)
            return found or str(value)
        if name in ("device_model", "lot", "serial") and isinstance(value, int):
            table = {"device_model": names.models, "lot": names.lots, "serial": names.serials}
            return table[name].get(value, str(value))
        if name == "root_cause" and isinstance(value, dict):
            categories: dict[Any, Any] = dict(RootCauseCategory.choices)
            category = categories.get(value.get("category"), "")
            return f"{category}: {value.get('statement', '')}".strip(": ")
        if name == "action" and isinstance(value, dict):
            return self._action(value)
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if getattr(field, "choices", None):
            return _choice(dict(getattr(field, "choices", None) or []))(value)
        if isinstance(field, models.DateTimeField):
            return _when(value)
        if isinstance(field, models.DateField):
            return _day(value)
        return None

    def _action(self, value: Mapping[str, Any]) -> str:
        parts = [
            str(_labels(ActionKind).get(value.get("kind"), value.get("kind") or "")),
            str(value.get("description") or ""),
            self.names.users.get(value.get("owner", ""), str(value.get("owner") or "")),
            _day(value["due_on"]) if value.get("due_on") else "",
        ]
        return " · ".join(part for part in parts if part)


def changes_shown(
    entries: Iterable[AuditEntry], model: type[models.Model]
) -> dict[int, list[ChangeShown]]:
    """Each entry's changes (by entry id) in words, for a history of ``model`` records."""
    listed = list(entries)
    reader = _Reader(model, _collect(listed))
    # In the form's order (the model's fields), never the stored JSON's: PostgreSQL's jsonb
    # keeps an object's keys sorted by length, SQLite as written.
    place = {field.name: index for index, field in enumerate(model._meta.get_fields())}
    shown: dict[int, list[ChangeShown]] = {}
    for entry in listed:
        rows: list[ChangeShown] = []
        changes = entry.changes if isinstance(entry.changes, dict) else {}
        for name, change in sorted(
            changes.items(), key=lambda item: (place.get(item[0], len(place)), item[0])
        ):
            label = reader.label(name, entry.action)
            if isinstance(change, list | tuple) and len(change) == 2:
                if change[0] in (None, "") and change[1] in (None, ""):
                    continue  # nothing before, nothing after: nothing to say
                rows.append(
                    ChangeShown(
                        label,
                        True,
                        old=reader.value(name, change[0], entry.action),
                        new=reader.value(name, change[1], entry.action),
                    )
                )
            else:
                rows.append(
                    ChangeShown(label, False, value=reader.value(name, change, entry.action))
                )
        shown[entry.pk] = rows
    return shown
